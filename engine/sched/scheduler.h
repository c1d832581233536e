// Scheduler<Clock>: plays Programs through a Sink, live or offline, with one code path.
//
// Contract (DESIGN.md §1, §3, §4):
// - tick() sends every note whose onset falls in [cursor, horizon), horizon = the beat at
//   now + lookahead, then every release whose end falls there; windows partition the beat line,
//   so no event is lost or sent twice whatever the tick rate. Times come from the Timeline's
//   anchor, never from accumulated increments.
// - tick(), stop() and the command path are realtime-safe: no allocation, no locks, no I/O
//   except what the Sink does. Programs arrive through a lock-free queue and leave through
//   another, so the worker thread that built them also frees them.
// - The open-note table guarantees that every started voice is released: at its end, on stop(),
//   and (as the sink sees it) never before its start.
// - The playing program's tempo map is followed (a session's section tempi and ramps, live and
//   offline alike): each tempo change enters the timeline before any note at or after it is
//   timed. A switch that jumps (not keep_phase) into a program whose tempo changes starts at
//   its tempo at beat 0; one that keeps the phase brings its tempo only where it differs from
//   the old program's at that point (an edited session tempo); otherwise the tempo playing is
//   kept (a performer's `tempo` holds). A change earlier than the
//   timeline's current segment (a `tempo` command already took a later beat) is skipped.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "core/spsc_queue.h"
#include "sched/program.h"
#include "sched/sink.h"
#include "sched/timeline.h"

namespace th::sched {

struct SchedulerOptions {
  HostMicros lookahead_us = 50'000;
};

struct SchedulerStats {
  uint64_t notes_on = 0;
  uint64_t notes_off = 0;
  uint64_t late = 0;     // onsets whose time had already passed when sent
  uint64_t dropped = 0;  // notes not started because the open-note table was full
  uint64_t switches = 0;
};

template <class Clock>
class Scheduler {
 public:
  static constexpr std::size_t kMaxOpenNotes = 2048;

  Scheduler(Clock& clock, Timeline& timeline, Sink& sink, SchedulerOptions options = {})
      : clock_(clock), timeline_(timeline), sink_(sink), options_(options) {}

  // Plays `program` with its beat 0 at global beat `anchor`, starting from the beat at now.
  // Call once before the first tick, on the thread that ticks. Realtime-safe.
  void start(const Program* program, Beats anchor = Beats(0)) {
    active_ = {program, anchor};
    cursor_ = std::max(anchor, timeline_.beat_at_time(clock_.now()));
  }

  // Plays again after a pause (no ticks since), with beat 0 of the program at `at`, a beat not
  // yet reached: the newest program asked for if one waits (requested during the pause, or due
  // at a boundary the pause skipped — never played late), else the playing one. Scheduler
  // thread; realtime-safe.
  void restart(Beats at) {
    apply_requests();
    if (pending_) {
      retire(active_.program);
      active_.program = pending_->slot.program;
      pending_.reset();
      ++stats_.switches;
    }
    active_.anchor = at;
    cursor_ = std::max(at, timeline_.beat_at_time(clock_.now()));
  }

  // Asks for `program` to replace the playing one at the next multiple of `quantum` beats
  // (0: at once). keep_phase keeps the old anchor (same position in the loop); otherwise the new
  // program starts from its beat 0 at the switch. One producer thread; realtime-safe; false when
  // the queue is full.
  bool request_switch(const Program* program, Beats quantum, bool keep_phase) {
    return requests_.try_push({program, quantum, keep_phase});
  }

  // A program the scheduler no longer reads, for its owner to free; nullptr when none.
  // One consumer thread; realtime-safe.
  const Program* take_retired() { return retired_.try_pop().value_or(nullptr); }

  // Scheduler thread; realtime-safe.
  void tick() {
    apply_requests();
    const HostMicros now = clock_.now();
    Beats horizon = timeline_.beat_at_time(now + options_.lookahead_us);
    if (horizon <= cursor_) return;
    for (;;) {
      const bool switching = pending_ && pending_->at < horizon;
      horizon = follow_tempo(active_, cursor_, switching ? pending_->at : horizon, now, horizon);
      if (!pending_ || pending_->at >= horizon) break;
      play(active_, cursor_, pending_->at, now);
      release_until(pending_->at);
      const double bpm = switch_tempo(*pending_);  // reads the old program: before retiring it
      retire(active_.program);
      active_ = pending_->slot;
      cursor_ = pending_->at;
      if (bpm > 0) horizon = change_tempo(bpm, cursor_, now, horizon);
      pending_.reset();
      ++stats_.switches;
    }
    play(active_, cursor_, horizon, now);
    release_until(horizon);
    cursor_ = horizon;
    sink_.flush();
  }

  // Releases every open voice at the first moment after everything already sent, and stops
  // scheduling. Scheduler thread; realtime-safe.
  void stop() {
    const HostMicros at = timeline_.time_at_beat(cursor_);
    for (std::size_t i = 0; i < open_count_; ++i) {
      sink_.note_off(open_[i].voice, at);
      ++stats_.notes_off;
    }
    open_count_ = 0;
    if (active_.program) retire(active_.program);
    if (pending_) retire(pending_->slot.program);
    active_ = {};
    pending_.reset();
    sink_.flush();
  }

  Beats cursor() const { return cursor_; }
  const Program* playing() const { return active_.program; }
  Beats anchor() const { return active_.anchor; }
  std::size_t open_notes() const { return open_count_; }
  const SchedulerStats& stats() const { return stats_; }

 private:
  struct Slot {
    const Program* program = nullptr;
    Beats anchor;
  };
  struct Request {
    const Program* program = nullptr;
    Beats quantum;
    bool keep_phase = false;
  };
  struct Pending {
    Slot slot;
    Beats at;
    bool jump = false;  // starts from the program's beat 0 (not keep_phase)
  };
  struct OpenNote {
    VoiceId voice;
    Beats end;
  };

  void apply_requests() {
    while (auto r = requests_.try_pop()) {
      Beats at = cursor_;
      if (r->quantum > Beats(0)) at = r->quantum * Beats((cursor_ / r->quantum).ceil_int());
      const Beats anchor = r->keep_phase ? active_.anchor : at;
      if (pending_) retire(pending_->slot.program);  // a newer request replaces an unplayed one
      pending_ = Pending{{r->program, anchor}, at, !r->keep_phase};
    }
  }

  // The tempo switch `p` starts at, 0 to keep the one playing (see the contract).
  double switch_tempo(const Pending& p) const {
    const Program& next = *p.slot.program;
    if (p.jump) return next.has_tempo_changes() ? next.tempo_at(Beats(0)) : 0;
    if (!active_.program) return 0;
    const double was = active_.program->tempo_at(p.at - active_.anchor);
    const double bpm = next.tempo_at(p.at - p.slot.anchor);
    return was > 0 && bpm > 0 && bpm != was ? bpm : 0;
  }

  // Sets the tempo from beat `at` on (unless a later change already holds) and returns the
  // horizon, lowered if the change means fewer beats fit before now + lookahead. It never
  // rises within a tick: beats past the old horizon may hold changes not yet looked at.
  Beats change_tempo(double bpm, Beats at, HostMicros now, Beats horizon) {
    if (at < timeline_.segment_start() || bpm == timeline_.tempo()) return horizon;
    timeline_.set_tempo(bpm, at);
    return std::min(horizon, std::max(at, timeline_.beat_at_time(now + options_.lookahead_us)));
  }

  // Applies the slot's tempo changes in [from, to) in order; returns the horizon.
  Beats follow_tempo(const Slot& slot, Beats from, Beats to, HostMicros now, Beats horizon) {
    if (!slot.program || to <= from) return horizon;
    slot.program->for_each_tempo_change(from - slot.anchor, to - slot.anchor,
                                        [&](Beats onset, double bpm) {
                                          const Beats at = onset + slot.anchor;
                                          if (at < horizon)
                                            horizon = change_tempo(bpm, at, now, horizon);
                                        });
    return horizon;
  }

  void play(const Slot& slot, Beats from, Beats to, HostMicros now) {
    if (!slot.program || to <= from) return;
    slot.program->for_each_onset(
        from - slot.anchor, to - slot.anchor, [&](const music::Event& e, Beats onset) {
          const Beats global = onset + slot.anchor;
          release_until(global, /*inclusive=*/true);  // keeps releases in time order with starts
          if (open_count_ == kMaxOpenNotes) {
            ++stats_.dropped;
            return;
          }
          const HostMicros at = timeline_.time_at_beat(global);
          if (at < now) ++stats_.late;
          const VoiceId v = next_voice_++;
          sink_.note_on(v, e, at);
          ++stats_.notes_on;
          open_[open_count_++] = {v, global + e.duration};
        });
  }

  void release_until(Beats to, bool inclusive = false) {
    for (std::size_t i = 0; i < open_count_;) {
      if (open_[i].end < to || (inclusive && open_[i].end == to)) {
        sink_.note_off(open_[i].voice, timeline_.time_at_beat(open_[i].end));
        ++stats_.notes_off;
        open_[i] = open_[--open_count_];
      } else {
        ++i;
      }
    }
  }

  void retire(const Program* p) {
    if (p && !retired_.try_push(p)) {
      // The owner is not collecting: keeping the pointer alive forever is safer than freeing
      // here (allocator call on the realtime thread). Counted so it shows in the stats.
      ++stats_.dropped;
    }
  }

  Clock& clock_;
  Timeline& timeline_;
  Sink& sink_;
  SchedulerOptions options_;
  Slot active_;
  std::optional<Pending> pending_;
  Beats cursor_;
  std::array<OpenNote, kMaxOpenNotes> open_{};
  std::size_t open_count_ = 0;
  VoiceId next_voice_ = 1000;  // scsynth node ids below 1000 are for groups and effects
  SpscQueue<Request, 64> requests_;
  SpscQueue<const Program*, 64> retired_;
  SchedulerStats stats_;
};

}  // namespace th::sched
