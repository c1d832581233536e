// Two Ableton Link peers (two LinkTimelines in one process) inside a network namespace with
// only loopback up (docs/PLATFORM-NOTES: Link must never run on the machine's interfaces).
// The test case re-executes this binary under `unshare -n`; inside, it finds the peers agreeing
// on tempo and phase and following a 120 → 140 change made by one of them. Waits for Link's
// discovery with bounded polls; the segment logic itself is exact arithmetic.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "io/link_timeline.h"
#include "link_namespace.h"
#include "support.h"

namespace th {
namespace {

using namespace std::chrono_literals;

// Ticks both peers (follow() as the scheduler would) until pred holds or the deadline passes.
template <class Pred>
bool poll(io::LinkTimeline& a, io::LinkTimeline& b, Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    a.follow(a.now() + 50'000);
    b.follow(b.now() + 50'000);
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

}  // namespace

TEST_CASE("link: two peers agree on tempo and phase and follow a change", "[link]") {
  if (!test::in_link_namespace("link: two peers*")) return;
  io::LinkTimeline a(120, 4);
  io::LinkTimeline b(90, 4);  // joins: adopts the session's tempo
  REQUIRE(poll(
      a, b, [&] { return a.peers() == 1 && b.peers() == 1; }, 10s));
  // Alone each peer had its own tempo; once connected they agree (whichever tempo won).
  REQUIRE(poll(
      a, b, [&] { return std::fabs(a.tempo() - b.tempo()) < 1e-3; }, 5s));
  a.set_tempo(120, Beats(a.beat_at_time(a.now() + 50'000).ceil_int()));
  REQUIRE(poll(
      a, b, [&] { return std::fabs(b.tempo() - 120) < 1e-3; }, 5s));
  // Phase: the same host time gives the same beat modulo the quantum (within a grid step).
  const auto phase_gap = [&] {
    const auto t = a.now() + 200'000;
    const double pa = std::fmod(a.beat_at_time(t).to_double(), 4.0);
    const double pb = std::fmod(b.beat_at_time(t).to_double(), 4.0);
    double d = std::fabs(pa - pb);
    return std::min(d, 4.0 - d);
  };
  REQUIRE(poll(
      a, b, [&] { return phase_gap() < 0.002; }, 5s));

  // a goes to 140 at its next beat; b follows from its next beat after its horizon.
  const Beats at(a.beat_at_time(a.now() + 50'000).ceil_int());
  a.set_tempo(140, at);
  const bool followed140 = poll(
      a, b, [&] { return std::fabs(b.tempo() - 140) < 1e-3; }, 5s);
  INFO("a " << a.tempo() << " b " << b.tempo() << " followed " << b.followed());
  REQUIRE(followed140);
  CHECK(a.tempo() == Approx(140));
  CHECK(b.followed() >= 1);
  REQUIRE(poll(
      a, b, [&] { return phase_gap() < 0.002; }, 5s));
  // Beat spacing at 140 BPM on both, measured on their timelines.
  const Beats later = Beats(a.beat_at_time(a.now() + 1'000'000).ceil_int());
  CHECK(a.time_at_beat(later + Beats(1)) - a.time_at_beat(later) == Approx(60e6 / 140).margin(1));
  const Beats bl = Beats(b.beat_at_time(b.now() + 1'000'000).ceil_int());
  CHECK(b.time_at_beat(bl + Beats(1)) - b.time_at_beat(bl) == Approx(60e6 / 140).margin(1));
}

}  // namespace th
