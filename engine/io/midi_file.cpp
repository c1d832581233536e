#include "io/midi_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <fstream>
#include <string_view>

#include "core/error.h"

namespace th::io {
namespace {

struct GmEntry {
  std::string_view id;
  GmInstrument gm;
};

// GM programs from the seed notebooks (SEED-SPEC §1.1, §3.1) and the GM drum map.
constexpr std::array kGm = {
    GmEntry{"piano", {0}},
    GmEntry{"celesta", {8}},
    GmEntry{"organ", {19}},
    GmEntry{"reed_organ", {20}},
    GmEntry{"bass", {38}},
    GmEntry{"synth_bass1", {38}},
    GmEntry{"synth_bass2", {39}},
    GmEntry{"sub", {39}},
    GmEntry{"tb303", {39}},
    GmEntry{"violin", {40}},
    GmEntry{"viola", {41}},
    GmEntry{"cello", {42}},
    GmEntry{"contrabass", {43}},
    GmEntry{"harp", {46}},
    GmEntry{"strings", {48}},
    GmEntry{"slow_strings", {49}},
    GmEntry{"choir", {52}},
    GmEntry{"trumpet", {56}},
    GmEntry{"trombone", {57}},
    GmEntry{"tuba", {58}},
    GmEntry{"horn", {60}},
    GmEntry{"brass", {61}},
    GmEntry{"oboe", {68}},
    GmEntry{"bassoon", {70}},
    GmEntry{"clarinet", {71}},
    GmEntry{"flute", {73}},
    GmEntry{"lead_square", {80}},
    GmEntry{"lead_saw", {81}},
    GmEntry{"lead", {81}},
    GmEntry{"pad_choir", {91}},
    GmEntry{"pad_strings", {92}},
    GmEntry{"pad", {92}},
    GmEntry{"kick", {0, true, 36}},
    GmEntry{"rim", {0, true, 37}},
    GmEntry{"snare", {0, true, 38}},
    GmEntry{"clap", {0, true, 39}},
    GmEntry{"hat", {0, true, 42}},
    GmEntry{"hat_c", {0, true, 42}},
    GmEntry{"tom_lo", {0, true, 45}},
    GmEntry{"hat_o", {0, true, 46}},
    GmEntry{"crash", {0, true, 49}},
    GmEntry{"tom_hi", {0, true, 50}},
    GmEntry{"ride", {0, true, 51}},
};

constexpr std::array<int, 15> kMelodicChannels = {0, 1,  2,  3,  4,  5,  6, 7,
                                                  8, 10, 11, 12, 13, 14, 15};
constexpr int kDrumChannel = 9;

// Order of messages sharing a tick: setup first, then note-offs, controllers, note-ons, so a
// note ending where the next begins never cuts the new one.
enum Rank : int { kSetup = 0, kNoteOff = 1, kControl = 2, kNoteOn = 3, kEnd = 4 };

struct Msg {
  std::int64_t tick;
  int rank;
  std::vector<std::uint8_t> bytes;
};

std::int64_t to_ticks(Beats b, int tpq) {
  const Rational t = b * tpq + Rational(1, 2);
  return t.floor_int();
}

void put_vlq(std::vector<std::uint8_t>& out, std::uint64_t v) {
  std::array<std::uint8_t, 10> buf{};
  int n = 0;
  buf[n++] = v & 0x7f;
  while (v >>= 7) buf[n++] = static_cast<std::uint8_t>(0x80 | (v & 0x7f));
  while (n) out.push_back(buf[--n]);
}

void put_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Msg meta(std::int64_t tick, int rank, std::uint8_t type, std::string_view data) {
  Msg m{tick, rank, {0xff, type}};
  put_vlq(m.bytes, data.size());
  m.bytes.insert(m.bytes.end(), data.begin(), data.end());
  return m;
}

std::vector<std::uint8_t> track_chunk(std::vector<Msg> msgs) {
  std::stable_sort(msgs.begin(), msgs.end(), [](const Msg& a, const Msg& b) {
    return a.tick != b.tick ? a.tick < b.tick : a.rank < b.rank;
  });
  const std::int64_t last = msgs.empty() ? 0 : msgs.back().tick;
  msgs.push_back(meta(last, kEnd, 0x2f, ""));
  std::vector<std::uint8_t> body;
  std::int64_t now = 0;
  for (const auto& m : msgs) {
    put_vlq(body, static_cast<std::uint64_t>(m.tick - now));
    now = m.tick;
    body.insert(body.end(), m.bytes.begin(), m.bytes.end());
  }
  std::vector<std::uint8_t> chunk = {'M', 'T', 'r', 'k'};
  put_be(chunk, body.size(), 4);
  chunk.insert(chunk.end(), body.begin(), body.end());
  return chunk;
}

int velocity_byte(const music::Event& e) {
  const double accent = std::clamp(e.params.get_or(music::Field::accent, 0.0), 0.0, 1.0);
  const double v = std::clamp(e.velocity, 0.0, 1.0);
  const double lifted = v + (1.0 - v) * accent * 0.5;
  return std::clamp(static_cast<int>(std::lround(lifted * 127.0)), 1, 127);
}

struct Note {
  std::int64_t on, off;
  int key, vel;
  bool glide_in;  // the previous note of the track slid into this one
};

}  // namespace

const GmInstrument* gm_instrument(std::string_view id) {
  for (const auto& e : kGm)
    if (e.id == id) return &e.gm;
  return nullptr;
}

std::vector<std::uint8_t> encode_midi(const MidiSong& song, const MidiOptions& opt) {
  const int tpq = opt.ticks_per_quarter;
  if (tpq <= 0 || tpq > 0x7fff) throw InputError("MIDI: ticks_per_quarter must be 1..32767");
  std::vector<music::Event> events = song.events;
  music::sort_events(events);

  // Tracks in order of first appearance.
  std::vector<std::string> names;
  for (const auto& e : events) {
    if (e.onset < 0 || e.duration < 0)
      throw InputError(fmt::format("MIDI: event of \"{}\" at beat {} has a negative time",
                                   e.instrument, e.onset.str()));
    if (std::find(names.begin(), names.end(), e.instrument) == names.end())
      names.push_back(e.instrument);
  }

  std::vector<std::vector<std::uint8_t>> chunks;

  // Conductor track.
  {
    std::vector<Msg> msgs;
    if (!song.title.empty()) msgs.push_back(meta(0, kSetup, 0x03, song.title));
    for (const auto& ts : song.meter) {
      const int dd = std::countr_zero(static_cast<unsigned>(ts.denominator));
      if (ts.denominator <= 0 || (1 << dd) != ts.denominator || ts.numerator <= 0 ||
          ts.numerator > 255)
        throw InputError(
            fmt::format("MIDI: time signature {}/{} is not valid", ts.numerator, ts.denominator));
      Msg m = meta(to_ticks(ts.beat, tpq), kSetup, 0x58, "");
      m.bytes.back() = 4;
      for (int b : {ts.numerator, dd, 24, 8}) m.bytes.push_back(static_cast<std::uint8_t>(b));
      msgs.push_back(std::move(m));
    }
    for (const auto& t : song.tempo) {
      if (!(t.bpm > 0)) throw InputError(fmt::format("MIDI: tempo {} bpm is not positive", t.bpm));
      const auto us = std::clamp<long>(std::lround(60e6 / t.bpm), 1, 0xffffff);
      Msg m = meta(to_ticks(t.beat, tpq), kSetup, 0x51, "");
      m.bytes.back() = 3;
      put_be(m.bytes, static_cast<std::uint64_t>(us), 3);
      msgs.push_back(std::move(m));
    }
    for (const auto& mk : song.markers)
      msgs.push_back(meta(to_ticks(mk.beat, tpq), kControl, 0x06, mk.text));
    chunks.push_back(track_chunk(std::move(msgs)));
  }

  int melodic = 0;
  const std::int64_t overlap = std::max(1, tpq / 48);
  for (const auto& name : names) {
    GmInstrument gm;
    if (auto it = song.instruments.find(name); it != song.instruments.end())
      gm = it->second;
    else if (const auto* g = gm_instrument(name))
      gm = *g;
    else
      throw InputError(
          fmt::format("MIDI: instrument \"{}\" has no GM program (add it to the "
                      "song's instrument table)",
                      name));
    const int ch = gm.drum ? kDrumChannel : kMelodicChannels[melodic++ % 15];

    std::vector<const music::Event*> evs;
    for (const auto& e : events)
      if (e.instrument == name) evs.push_back(&e);

    std::vector<Note> notes;
    bool slides = false;
    for (std::size_t i = 0; i < evs.size(); ++i) {
      const auto& e = *evs[i];
      const int key =
          gm.drum ? gm.drum_note : std::clamp(static_cast<int>(std::lround(e.pitch)), 0, 127);
      Note n{to_ticks(e.onset, tpq), to_ticks(e.end(), tpq), key, velocity_byte(e), false};
      notes.push_back(n);
    }
    // Slides: hold into the next later onset and mark that note as gliding in.
    for (std::size_t i = 0; i < evs.size(); ++i) {
      if (gm.drum || evs[i]->params.get_or(music::Field::slide, 0.0) <= 0.5) continue;
      std::size_t j = i + 1;
      while (j < evs.size() && evs[j]->onset == evs[i]->onset) ++j;
      if (j == evs.size()) continue;
      slides = true;
      notes[j].glide_in = true;
      notes[i].off = notes[j].on + (notes[j].key != notes[i].key ? overlap : 0);
    }
    // At least one tick long; a key never overlaps itself on one channel.
    for (auto& n : notes) n.off = std::max(n.off, n.on + 1);
    for (std::size_t i = 0; i < notes.size(); ++i)
      for (std::size_t j = i + 1; j < notes.size(); ++j)
        if (notes[j].key == notes[i].key && notes[j].on >= notes[i].on) {
          notes[i].off = std::min(notes[i].off, notes[j].on);
          break;
        }

    std::vector<Msg> msgs;
    msgs.push_back(meta(0, kSetup, 0x03, name));
    if (!gm.drum)
      msgs.push_back(
          {0,
           kSetup,
           {static_cast<std::uint8_t>(0xc0 | ch), static_cast<std::uint8_t>(gm.program)}});
    if (slides)
      msgs.push_back({0,
                      kSetup,
                      {static_cast<std::uint8_t>(0xb0 | ch), 5,
                       static_cast<std::uint8_t>(std::clamp(opt.portamento_time, 0, 127))}});
    bool porta = false;
    for (const auto& n : notes) {
      if (n.off <= n.on) continue;  // a duplicate of a note at the same tick and key
      if (slides && n.glide_in != porta) {
        porta = n.glide_in;
        msgs.push_back({n.on,
                        kControl,
                        {static_cast<std::uint8_t>(0xb0 | ch), 65,
                         static_cast<std::uint8_t>(porta ? 127 : 0)}});
      }
      msgs.push_back({n.on,
                      kNoteOn,
                      {static_cast<std::uint8_t>(0x90 | ch), static_cast<std::uint8_t>(n.key),
                       static_cast<std::uint8_t>(n.vel)}});
      msgs.push_back({n.off,
                      kNoteOff,
                      {static_cast<std::uint8_t>(0x80 | ch), static_cast<std::uint8_t>(n.key), 0}});
    }
    chunks.push_back(track_chunk(std::move(msgs)));
  }

  std::vector<std::uint8_t> out = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1};
  put_be(out, chunks.size(), 2);
  put_be(out, static_cast<std::uint64_t>(tpq), 2);
  for (const auto& c : chunks) out.insert(out.end(), c.begin(), c.end());
  return out;
}

void write_midi_file(const std::filesystem::path& path, const MidiSong& song,
                     const MidiOptions& opt) {
  const auto bytes = encode_midi(song, opt);
  std::ofstream f(path, std::ios::binary);
  if (!f) throw bad_file(path.string(), "cannot open for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw bad_file(path.string(), "write failed");
}

}  // namespace th::io
