#include "sched/clock_map.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace th::sched {

NtpTime unix_nanos_to_ntp(UnixNanos t) {
  const int64_t secs = t / 1'000'000'000 + (t % 1'000'000'000 < 0 ? -1 : 0);
  const int64_t nanos = t - secs * 1'000'000'000;
  const auto frac = static_cast<uint64_t>((static_cast<uint64_t>(nanos) << 32) / 1'000'000'000u);
  return (static_cast<uint64_t>(secs + kNtpUnixOffsetSeconds) << 32) | frac;
}

UnixNanos ntp_to_unix_nanos(NtpTime t) {
  const auto secs = static_cast<int64_t>(t >> 32) - kNtpUnixOffsetSeconds;
  // Both products stay below 2^62. Round to nearest so ntp(unix(x)) and unix(ntp(y)) agree to the
  // nanosecond.
  const auto frac = static_cast<int64_t>((((t & 0xffffffffu) * 1'000'000'000u) + (1u << 31)) >> 32);
  return secs * 1'000'000'000 + frac;
}

ClockMap::Sources ClockMap::system_sources() {
  return {[] {
            return std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
          },
          [] {
            return std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
          }};
}

ClockMap::ClockMap(Sources sources, int64_t max_slew_us)
    : sources_(std::move(sources)), max_slew_ns_(max_slew_us * 1000) {
  reestimate();
}

void ClockMap::reestimate() {
  // Keep the sandwich with the smallest host gap: the wall reading inside it is the one least
  // disturbed by preemption.
  int64_t best_gap = std::numeric_limits<int64_t>::max();
  int64_t best_offset = 0;
  for (int i = 0; i < 5; ++i) {
    const HostMicros h0 = sources_.host();
    const UnixNanos w = sources_.wall();
    const HostMicros h1 = sources_.host();
    const int64_t gap = h1 - h0;
    if (gap < best_gap) {
      best_gap = gap;
      best_offset = w - (h0 + h1) * 500;  // midpoint in ns
    }
  }
  if (!initialised_) {
    offset_ns_.store(best_offset, std::memory_order_release);
    initialised_ = true;
    return;
  }
  const int64_t current = offset_ns_.load(std::memory_order_acquire);
  const int64_t step = std::clamp(best_offset - current, -max_slew_ns_, max_slew_ns_);
  offset_ns_.store(current + step, std::memory_order_release);
}

NtpTime ClockMap::host_to_ntp(HostMicros host) const {
  return unix_nanos_to_ntp(host * 1000 + offset_ns());
}

HostMicros ClockMap::ntp_to_host(NtpTime ntp) const {
  const int64_t ns = ntp_to_unix_nanos(ntp) - offset_ns();
  return ns / 1000 - (ns % 1000 < 0 ? 1 : 0);
}

}  // namespace th::sched
