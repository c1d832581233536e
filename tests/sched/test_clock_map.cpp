#include <catch2/catch.hpp>

#include "sched/clock_map.h"

using namespace th::sched;

namespace {
// Clocks a test moves by hand.
struct FakeClocks {
  HostMicros host = 1'000'000;
  UnixNanos wall = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
  int64_t host_tick_us = 0;                    // how far host advances per read
  ClockMap::Sources sources() {
    return {[this] {
              host += host_tick_us;
              return host;
            },
            [this] { return wall; }};
  }
};
}  // namespace

TEST_CASE("ntp conversion: known instants", "[sched][clock]") {
  // 1970-01-01 is NTP second 2208988800 exactly.
  CHECK(unix_nanos_to_ntp(0) == (uint64_t{2208988800u} << 32));
  // Half a second is fraction 2^31.
  CHECK(unix_nanos_to_ntp(500'000'000) == ((uint64_t{2208988800u} << 32) | 0x80000000u));
  for (UnixNanos t :
       {UnixNanos{0}, UnixNanos{1}, UnixNanos{999'999'999}, UnixNanos{1'700'000'000'123'456'789}}) {
    CHECK(ntp_to_unix_nanos(unix_nanos_to_ntp(t)) == Approx(t).margin(1));
  }
}

TEST_CASE("clock map: converts host time with the measured offset", "[sched][clock]") {
  FakeClocks c;
  ClockMap map(c.sources());
  const int64_t expected_offset = c.wall - c.host * 1000;
  CHECK(map.offset_ns() == expected_offset);
  // 250 ms after the host reading, NTP says 250 ms after the wall reading.
  CHECK(map.host_to_ntp(c.host + 250'000) == unix_nanos_to_ntp(c.wall + 250'000'000));
  CHECK(map.ntp_to_host(unix_nanos_to_ntp(c.wall + 250'000'000)) == c.host + 250'000);
}

TEST_CASE("clock map: a wall-clock step is slewed, not jumped", "[sched][clock]") {
  FakeClocks c;
  ClockMap map(c.sources(), /*max_slew_us=*/1000);
  const int64_t before = map.offset_ns();
  c.wall += 5'000'000;  // the wall clock steps 5 ms forward
  map.reestimate();
  CHECK(map.offset_ns() - before == 1'000'000);  // 1 ms per re-estimate at most
  for (int i = 0; i < 10; ++i) map.reestimate();
  CHECK(map.offset_ns() - before == 5'000'000);  // converged, no overshoot
}

TEST_CASE("clock map: the narrowest sandwich wins", "[sched][clock]") {
  FakeClocks c;
  c.host_tick_us = 10;  // each host read advances 10 µs: the wall reading sits at the midpoint
  ClockMap map(c.sources());
  // For the first sandwich, h0 = 1'000'010, h1 = 1'000'020: midpoint 1'000'015 µs.
  CHECK(map.offset_ns() == c.wall - 1'000'015'000);
}
