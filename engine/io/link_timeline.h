// LinkTimeline: a sched::Timeline shared with every Ableton Link peer on the network.
// Contract:
// - Tempo and phase follow the Link session: our beat b and Link's beats agree modulo the
//   quantum (beat 0 of our bar lines up with the peers' bar), so programs anchored on multiples
//   of the quantum play in phase with everyone.
// - Times are Link host time (µs, Link's monotonic clock: now()); LinkClock feeds the scheduler
//   and clock_sources() the ClockMap, so timetags convert Link host time to NTP.
// - Like TempoTimeline, the map is a short list of anchored segments (beat, host time, BPM),
//   so notes already sent keep their times. set_tempo (ours) adds a segment and commits the
//   tempo to Link at that beat's time; follow() (once per tick) adopts the peers' tempo or a
//   phase correction from the first grid step after the scheduler's horizon (notes already
//   sent keep their times; the next one is on the peers' grid). beat_at_time is
//   monotonic across segment changes (clamped to the next segment's beat).
// - Start/stop sync is enabled: playing() is the session's transport, set_playing() ours.
// Link itself runs its own threads (discovery on every interface that is up: see
// docs/PLATFORM-NOTES — tests run it inside `unshare -n`). Construction and destruction: any
// one thread, not realtime. Timeline calls: scheduler thread, realtime-safe (Link's audio-thread
// session state). now(), peers(): thread-safe, realtime-safe.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "sched/clock_map.h"
#include "sched/timeline.h"

namespace th::io {

class LinkTimeline final : public sched::Timeline {
 public:
  // Joins (or starts) a Link session at `bpm` (when alone) with `quantum` beats per phase cycle.
  // Throws std::invalid_argument on a bpm outside (0, 1000] or quantum < 1.
  LinkTimeline(double bpm, int quantum);
  ~LinkTimeline() override;
  LinkTimeline(const LinkTimeline&) = delete;
  LinkTimeline& operator=(const LinkTimeline&) = delete;

  sched::HostMicros time_at_beat(Beats b) const override;
  Beats beat_at_time(sched::HostMicros t) const override;
  double tempo() const override { return segments_[last_].bpm; }
  Beats segment_start() const override { return segments_[last_].beat; }
  void set_tempo(double bpm, Beats at) override;
  void follow(sched::HostMicros horizon) override;

  // Link's host clock in µs. Thread-safe; realtime-safe.
  sched::HostMicros now() const;
  // Peers in the session (not counting us). Thread-safe.
  std::size_t peers() const;
  int quantum() const { return quantum_; }
  // The session's transport as last seen by follow(). Scheduler thread.
  bool playing() const { return playing_; }
  // Starts or stops the session's transport at host time `at`. Scheduler thread; realtime-safe.
  void set_playing(bool playing, sched::HostMicros at);
  // Segments added by follow() (peers' tempo changes and phase corrections). Scheduler thread.
  std::size_t followed() const { return followed_; }

  // ClockMap sources whose host clock is Link's. Thread-safe.
  sched::ClockMap::Sources clock_sources() const;

 private:
  struct Segment {
    Beats beat;
    sched::HostMicros time = 0;
    double bpm = 120;
  };
  void add_segment(Beats beat, sched::HostMicros time, double bpm);
  std::size_t index_back(std::size_t i) const { return (last_ + kKeep - i) % kKeep; }

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int quantum_;
  static constexpr std::size_t kKeep = 8;
  std::array<Segment, kKeep> segments_{};
  std::size_t count_ = 1;
  std::size_t last_ = 0;
  bool playing_ = false;
  std::size_t followed_ = 0;
};

// The scheduler's clock for a Link set. Thread-safe; realtime-safe.
struct LinkClock {
  const LinkTimeline& timeline;
  sched::HostMicros now() const { return timeline.now(); }
};

}  // namespace th::io
