// Timeline: the map between musical beats and host time (monotonic microseconds).
// Contract: every time is computed from an anchor (the beat and host time where the current
// tempo segment starts), never by adding increments, so a long set does not drift
// (DESIGN.md §3). beat_at_time rounds DOWN to a grid of 1/kBeatGrid beat so that the
// scheduler's windows [cursor, horizon) are exact rationals that partition the beat line.
#pragma once

#include <array>
#include <cstdint>

#include "core/rational.h"
#include "sched/clock_map.h"

namespace th::sched {

inline constexpr int64_t kBeatGrid = 1920;  // 2^7·3·5: quarter, eighth triplets, quintuplets …

class Timeline {
 public:
  virtual ~Timeline() = default;
  // Host time at which beat b sounds. Thread-safe only on the scheduler thread; realtime-safe.
  virtual HostMicros time_at_beat(Beats b) const = 0;
  // Beat at host time t, rounded down to the grid. Scheduler thread; realtime-safe.
  virtual Beats beat_at_time(HostMicros t) const = 0;
  // Current tempo in BPM. Scheduler thread; realtime-safe.
  virtual double tempo() const = 0;
  // The beat where the current tempo segment starts: set_tempo takes no earlier beat.
  // Scheduler thread; realtime-safe.
  virtual Beats segment_start() const = 0;
  // From beat `at` on, the tempo is bpm (the live engine's `tempo` command, at the quantum).
  // Scheduler thread; realtime-safe. Throws std::invalid_argument on a bad bpm or beat.
  virtual void set_tempo(double bpm, Beats at) = 0;
  // Once per tick, before the scheduler reads the timeline: a timeline shared with others
  // (Ableton Link) picks up their changes here, from the first whole beat after `horizon`.
  // Scheduler thread; realtime-safe.
  virtual void follow(HostMicros horizon) { (void)horizon; }
};

// Rounds a beat position down to the grid. Thread-safe; realtime-safe.
Beats grid_floor(double beat);

// A timeline for the free-running and offline clocks: tempo segments, each anchored where it
// starts. Keeps the last few segments so that note ends that straddle a change still map.
class TempoTimeline final : public Timeline {
 public:
  // Beat 0 sounds at host time `origin`. Throws std::invalid_argument unless bpm is in (0, 1000].
  TempoTimeline(double bpm, HostMicros origin);

  // From beat `at` on, the tempo is bpm; `at` must not precede the current segment's anchor.
  // Scheduler thread; realtime-safe. Throws std::invalid_argument on a bad bpm or beat.
  void set_tempo(double bpm, Beats at) override;

  HostMicros time_at_beat(Beats b) const override;
  Beats beat_at_time(HostMicros t) const override;
  double tempo() const override { return segments_[last_].bpm; }
  Beats segment_start() const override { return segments_[last_].beat; }

 private:
  struct Segment {
    Beats beat;
    HostMicros time;
    double bpm;
  };
  const Segment& segment_for_beat(Beats b) const;
  const Segment& segment_for_time(HostMicros t) const;

  static constexpr std::size_t kKeep = 8;
  std::array<Segment, kKeep> segments_{};
  std::size_t count_ = 1;
  std::size_t last_ = 0;
};

}  // namespace th::sched
