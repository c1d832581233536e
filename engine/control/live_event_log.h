// LiveEventLog: the events a live set actually sent (after mute and solo), written as
// events.jsonl (music/events_jsonl.h: the same keys in the same order) so `tensorhaus render
// --events` can play the set again offline. And composition_from_log: such a log (or any
// events.jsonl) back into a Composition.
// Contract:
// - The log is a sched::Sink placed after the live filter. note_on (scheduler thread) copies
//   the event's values into a preallocated lock-free queue — no allocation, no lock, no I/O —
//   with its beat counted from the set's start (set_origin: beat 0 of the log is the first
//   quantum boundary the set played on), the host time it sounded and the section it belongs
//   to. A full queue drops the event and counts it.
// - write_pending (one other thread: the live command's main loop) turns queued events into
//   lines: beat/beat_exact and bar from the set beat, seconds = real seconds since the start
//   (tempo changes included), section, instrument, pitch, velocity, duration, params;
//   provenance is empty (a live log records what played, not why).
// - composition_from_log: events sorted, sections = runs of the same section name, the tempo
//   map rebuilt from the seconds (a new segment wherever an onset is more than 1 ms from where
//   the current tempo puts it), beats per bar = the one the bar numbers agree with (4 when
//   they allow several), length = the last note's end rounded up to a whole bar.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/spsc_queue.h"
#include "music/composer.h"
#include "music/events_jsonl.h"
#include "music/instruments.h"
#include "sched/sink.h"
#include "sched/timeline.h"

namespace th::control {

class LiveEventLog final : public sched::Sink {
 public:
  static constexpr std::size_t kQueue = 16384;
  // The section of a set beat (global timeline beat). Scheduler thread; realtime-safe.
  using SectionOf = std::function<std::string_view(Beats)>;

  // table and timeline must outlive the log. Allocates.
  LiveEventLog(const music::InstrumentTable& table, const sched::Timeline& timeline,
               int beats_per_bar);

  // Beat `start` of the timeline (host time `start_time`) is beat 0 of the log. Before the
  // scheduler starts.
  void set_origin(Beats start, sched::HostMicros start_time);
  void set_section_of(SectionOf f) { section_of_ = std::move(f); }

  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override;
  void note_off(sched::VoiceId, sched::HostMicros) override {}

  // Writes every queued event as a line; returns how many. One consumer thread; allocates.
  std::size_t write_pending(std::ostream& out);
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Record {
    Beats onset, duration;
    int instrument = -1;
    double pitch = 0, velocity = 0;
    music::Params params;
    sched::HostMicros at = 0;
    std::array<char, 48> section{};
  };

  const music::InstrumentTable& table_;
  const sched::Timeline& timeline_;
  int beats_per_bar_;
  Beats start_;
  sched::HostMicros start_time_ = 0;
  SectionOf section_of_;
  std::unique_ptr<SpscQueue<Record, kQueue>> queue_;
  std::atomic<std::uint64_t> dropped_{0};
};

// See the contract. Throws th::InputError (naming `file`) for an empty log or times that go
// backwards. Thread-safe; allocates.
music::Composition composition_from_log(const std::vector<music::EventRecord>& records,
                                        const std::string& file);

}  // namespace th::control
