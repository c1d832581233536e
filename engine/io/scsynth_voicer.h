// ScsynthVoicer: Event → scsynth commands, shared by the live engine (UDP) and offline renders
// (NRT score). Contract:
// - note_on → one /s_new of the instrument's SynthDef (patterns/instruments.toml) into its stem
//   group's node group, `out` = the group's bus, with freq/amp/pan, the fixed controls, the
//   mapped event parameters and (slide voices) `from_freq`/`slide` when the previous note of
//   the same instrument asked to slide; plus one /n_set of the group's strip when the event
//   carries a reverb or delay send.
// - note_off → /n_set node gate 0 for gated voices, nothing for self-freeing ones.
// - Node id of a voice = layout.first_node + voice (mod the int32 range above first_node).
// - note_on/note_off write ScCommand values into the caller's span: no allocation, no locks,
//   no I/O (realtime-safe). Command names point into the InstrumentTable, which must outlive
//   the voicer. Construction resolves every instrument against the compiled SynthDefs and
//   throws th::InputError (table file, line, field) for a missing def or control.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "io/osc_types.h"
#include "io/osc_writer.h"
#include "io/scsynth_synthdefs.h"
#include "music/event.h"
#include "music/instruments.h"

namespace th::io {

struct ScControlValue {
  const char* name = "";
  float value = 0;
};

struct ScCommand {
  static constexpr std::size_t kMaxControls = 24;
  enum class Kind : std::uint8_t { s_new, n_set };
  Kind kind = Kind::s_new;
  const char* def = "";  // s_new only
  std::int32_t node = -1;
  std::int32_t target = 0;  // s_new: the group the synth goes to the tail of
  std::array<ScControlValue, kMaxControls> controls{};
  std::size_t count = 0;
};

// Appends the command as one OSC message. Realtime-safe (throws only if the buffer is full).
void write_command(OscPacketWriter& w, const ScCommand& c);
// The same message as a value (allocates; NRT scores, tests). Thread-safe.
OscMessage to_message(const ScCommand& c);

// Where each stem group lives on the server (index = InstrumentTable::groups() index).
struct VoicerLayout {
  std::vector<std::int32_t> group_node;  // node group the group's synths go into
  std::vector<std::int32_t> group_bus;   // stereo bus the group's synths write to
  std::vector<std::int32_t> strip_node;  // the group's strip (sends); -1: no sends
  std::int32_t first_node = 10000;
};

struct VoicerStats {
  std::uint64_t notes = 0;      // s_new of instrument synths
  std::uint64_t releases = 0;   // gate 0 sent
  std::uint64_t unknown = 0;    // events whose instrument is not in the table (not played)
  std::uint64_t untracked = 0;  // gated voices released by `sustain` (open table slot taken)
};

class ScsynthVoicer {
 public:
  static constexpr std::size_t kMaxCommandsPerEvent = 2;

  // Allocates; worker thread. Throws th::InputError (see the contract).
  ScsynthVoicer(const music::InstrumentTable& table, std::span<const SynthDefFile> defs,
                VoicerLayout layout);

  // Writes at most kMaxCommandsPerEvent commands into out; returns how many. seconds_per_beat
  // converts the note length for `duration` controls and the `sustain` fallback.
  // One thread; realtime-safe.
  std::size_t note_on(std::uint32_t voice, const music::Event& e, double seconds_per_beat,
                      std::span<ScCommand> out);
  // At most one command. One thread; realtime-safe.
  std::size_t note_off(std::uint32_t voice, std::span<ScCommand> out);

  // Thread-safe; realtime-safe.
  std::int32_t node_of(std::uint32_t voice) const;
  const VoicerStats& stats() const { return stats_; }
  const VoicerLayout& layout() const { return layout_; }

 private:
  struct SlideState {
    double last_freq = 0;
    bool slide_next = false;
  };
  static constexpr std::size_t kOpenSlots = 4096;
  struct OpenSlot {
    std::uint32_t voice = 0;
    bool used = false;
  };

  const music::InstrumentTable& table_;
  VoicerLayout layout_;
  std::vector<SlideState> slide_;
  std::array<OpenSlot, kOpenSlots> open_{};
  VoicerStats stats_;
};

}  // namespace th::io
