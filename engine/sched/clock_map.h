// ClockMap: converts host time (a monotonic clock in microseconds, the clock Ableton Link and the
// scheduler use) to OSC/NTP time (the wall clock, seconds since 1900 in 32.32 fixed point, the
// clock scsynth compares bundle timetags with).
//
// Contract: the offset wall − host is estimated from (host, wall, host) sandwiches, keeping the
// narrowest of a few; re-estimation moves the offset by at most `max_slew_us` per call, so a
// wall-clock step (NTP adjusting the machine) never makes scheduled bundles jump. Both clocks are
// injected (std::function sources) so tests drive them by hand — no sleeps.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace th::sched {

using HostMicros = int64_t;  // monotonic microseconds
using UnixNanos = int64_t;   // wall clock, nanoseconds since 1970-01-01
using NtpTime = uint64_t;    // seconds since 1900 << 32 | fraction

constexpr int64_t kNtpUnixOffsetSeconds = 2208988800LL;

// Thread-safe; realtime-safe.
NtpTime unix_nanos_to_ntp(UnixNanos t);
// Thread-safe; realtime-safe.
UnixNanos ntp_to_unix_nanos(NtpTime t);

class ClockMap {
 public:
  struct Sources {
    std::function<HostMicros()> host;
    std::function<UnixNanos()> wall;
  };
  static Sources system_sources();

  explicit ClockMap(Sources sources, int64_t max_slew_us = 1000);

  // Measures the offset now. The first call sets it outright; later calls slew toward the new
  // estimate. Call from a non-realtime thread (a few clock reads; no allocation). Thread-safe
  // with respect to the converters below.
  void reestimate();

  // Thread-safe; realtime-safe (one atomic load).
  NtpTime host_to_ntp(HostMicros host) const;
  // Thread-safe; realtime-safe.
  HostMicros ntp_to_host(NtpTime ntp) const;
  // Current offset wall − host in nanoseconds. Thread-safe; realtime-safe.
  int64_t offset_ns() const { return offset_ns_.load(std::memory_order_acquire); }
  // Now on the host clock this map converts from (Link's with Link, else the steady clock).
  // Thread-safe; realtime-safe.
  HostMicros host_now() const { return sources_.host(); }

 private:
  Sources sources_;
  int64_t max_slew_ns_;
  bool initialised_ = false;
  std::atomic<int64_t> offset_ns_{0};
};

}  // namespace th::sched
