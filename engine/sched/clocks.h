// Clocks the scheduler can run on (Scheduler<Clock> needs `HostMicros now()`).
// SteadyClock: the machine's monotonic clock (live without Link). ManualClock: time only moves
// when told — the offline render (as fast as possible) and tests (no sleeps).
#pragma once

#include <chrono>

#include "sched/clock_map.h"

namespace th::sched {

struct SteadyClock {
  // Thread-safe; realtime-safe.
  HostMicros now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock {
 public:
  explicit ManualClock(HostMicros start = 0) : now_(start) {}
  // Not thread-safe (one owner); realtime-safe.
  HostMicros now() const { return now_; }
  void set(HostMicros t) { now_ = t; }
  void advance(HostMicros dt) { now_ += dt; }

 private:
  HostMicros now_;
};

}  // namespace th::sched
