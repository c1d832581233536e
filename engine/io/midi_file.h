// Standard MIDI File (type 1) writer for Events.
// Contract: output is a pure function of the song — byte-identical for the same input.
// Track 0 is the conductor (tempo map, time signatures, section markers); then one track per
// instrument, in order of first appearance in the sorted events, each with its name, channel
// and GM program. Drum instruments share channel 10 (index 9) and play their GM drum note;
// melodic instruments take channels 0..8, 10..15 in order (wrapping after 15, like
// pretty_midi). Beats are quarter notes; ticks = round(beats · ticks_per_quarter), exact
// whenever the beat's denominator divides ticks_per_quarter. Velocity 0..1 → 1..127, raised
// by the accent parameter: v' = v + (1 − v)·accent/2. A note whose slide parameter is > 0.5
// is held into the next note of its track (legato overlap of ticks_per_quarter/48 ticks when
// the pitches differ) and portamento is switched on for that next note (CC 65 = 127 just
// before its note-on, CC 65 = 0 before the next non-sliding note; CC 5 = portamento time set
// once at the start of any track that slides). Fractional pitches are rounded to the nearest
// key; no pitch bend is written. Thread-safe; allocates; not realtime-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/rational.h"
#include "music/event.h"

namespace th::io {

struct TempoSegment {
  Beats beat;  // where this tempo starts
  double bpm = 120.0;
};

struct TimeSignature {
  Beats beat;
  int numerator = 4;
  int denominator = 4;  // a power of two
};

struct Marker {
  Beats beat;
  std::string text;  // e.g. a section name
};

// How an instrument id is played on a GM device.
struct GmInstrument {
  int program = 0;     // 0-based GM program (ignored for drums)
  bool drum = false;   // channel 10
  int drum_note = 36;  // the key a drum instrument plays
};

// The GM table for the project's instrument ids (violin 40, tb303 38, kick 36 on channel 10,
// …); nullptr for an unknown id. Thread-safe; realtime-safe.
const GmInstrument* gm_instrument(std::string_view id);

struct MidiSong {
  std::string title;
  std::vector<TempoSegment> tempo = {{0, 120.0}};
  std::vector<TimeSignature> meter = {{0, 4, 4}};
  std::vector<Marker> markers;
  std::vector<music::Event> events;
  // Overrides or additions to the GM table, by instrument id.
  std::map<std::string, GmInstrument> instruments;
};

struct MidiOptions {
  int ticks_per_quarter = 480;
  int portamento_time = 20;  // CC 5 value used on tracks with slides
};

// The file's bytes. Throws th::InputError for an instrument id neither in song.instruments nor
// in the GM table, a non-positive tempo, or an event before beat 0.
std::vector<std::uint8_t> encode_midi(const MidiSong& song, const MidiOptions& opt = {});
// Writes encode_midi's bytes; throws th::InputError naming the path when it cannot.
void write_midi_file(const std::filesystem::path& path, const MidiSong& song,
                     const MidiOptions& opt = {});

}  // namespace th::io
