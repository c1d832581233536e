// Link start/stop sync with the live engine: two Ableton Link peers in one process (the
// engine on peer a, a bare LinkTimeline as peer b) inside a network namespace with only
// loopback up (docs/PLATFORM-NOTES). Our start starts b; b's stop pauses the set with every
// voice released; b's start plays it again from a quantum boundary; our finish stops b.
// Waits for Link with bounded polls; what is checked are beats, counts and states.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/live_engine.h"
#include "io/link_timeline.h"
#include "link_namespace.h"

namespace th::control {
namespace {

using namespace std::chrono_literals;

struct Ons final : sched::Sink {
  std::vector<sched::HostMicros> on;
  std::size_t off = 0;
  void note_on(sched::VoiceId, const music::Event&, sched::HostMicros at) override {
    on.push_back(at);
  }
  void note_off(sched::VoiceId, sched::HostMicros) override { ++off; }
};

// A kick on every beat and a long pad (always sounding: a stop must release it).
std::shared_ptr<const music::Composition> set() {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(8);
  for (int b = 0; b < 8; ++b) {
    music::Event e;
    e.instrument = "kick";
    e.onset = Beats(b);
    e.duration = Beats(1, 4);
    c->events.push_back(e);
  }
  music::Event pad;
  pad.instrument = "pad";
  pad.onset = Beats(0);
  pad.duration = Beats(8);
  c->events.push_back(pad);
  music::sort_events(c->events);
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"A", "acid", Beats(0), Beats(8)}};
  return c;
}

}  // namespace

TEST_CASE("link: start/stop sync between the live engine and a peer", "[link]") {
  if (!test::in_link_namespace("link: start/stop sync*")) return;
  io::LinkTimeline a(120, 4), b(120, 4);
  io::LinkClock clock_a{a};
  LiveClockOf<io::LinkClock> lc(clock_a);
  LiveTransportOf<io::LinkTimeline> transport(a);
  Ons out;
  LiveEngine engine(lc, a, out, music::default_instruments(), [](const Command&) -> Recomposed {
    return {set(), {}};
  });
  engine.set_transport(&transport);
  std::vector<std::pair<bool, Beats>> changes;  // what the listener heard (MIDI start/stop)
  engine.set_transport_listener([&changes](bool playing, Beats beat, sched::HostMicros) {
    changes.push_back({playing, beat});
  });
  // Ticks the engine (and peer b, as its own scheduler would) until pred or the deadline.
  const auto poll = [&](auto pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      engine.tick();
      engine.collect();
      b.follow(b.now() + 50'000);
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  };
  REQUIRE(poll([&] { return a.peers() == 1 && b.peers() == 1; }, 10s));
  REQUIRE_FALSE(b.playing());

  // Our start starts the session.
  CommandContext ctx;
  ctx.sections = {"A"};
  engine.start({set(), ctx});
  REQUIRE(poll([&] { return b.playing(); }, 5s));
  REQUIRE(poll([&] { return out.on.size() >= 4; }, 5s));
  CHECK(engine.status().running);

  // b stops: every voice released, nothing more starts.
  b.set_playing(false, b.now());
  REQUIRE(poll([&] { return !engine.status().running; }, 5s));
  CHECK(engine.status().open_notes == 0);
  CHECK(out.off == out.on.size());  // the pad and any kick still sounding were released
  const std::size_t before = out.on.size();
  const sched::HostMicros stopped_at = a.now();
  poll([] { return false; }, 300ms);  // the set stays silent while stopped
  CHECK(out.on.size() == before);

  // b starts: the set plays again from the next quantum boundary, from its top (kick + pad).
  b.set_playing(true, b.now());
  REQUIRE(poll([&] { return out.on.size() >= before + 2; }, 5s));
  CHECK(engine.status().running);
  CHECK(engine.status().transport_starts == 1);
  const sched::HostMicros restart = out.on[before];
  CHECK(restart > stopped_at);
  const Beats beat = a.beat_at_time(restart + 1);
  INFO("restart at beat " << beat.to_double());
  CHECK(beat == Beats((beat / Beats(4)).floor_int() * 4));  // on a multiple of the quantum
  CHECK(out.on[before + 1] == restart);                     // the pad and the kick together
  REQUIRE(changes.size() == 2);
  CHECK_FALSE(changes[0].first);
  CHECK(changes[1].first);
  CHECK(changes[1].second == beat);

  // Our stop propagates.
  engine.finish();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (b.playing() && std::chrono::steady_clock::now() < deadline) {
    b.follow(b.now() + 50'000);
    std::this_thread::sleep_for(5ms);
  }
  CHECK_FALSE(b.playing());
}

TEST_CASE("link: a peer joins, changes the tempo and leaves; the set follows, never late",
          "[link]") {
  if (!test::in_link_namespace("link: a peer joins*")) return;
  io::LinkTimeline a(120, 4);
  io::LinkClock clock_a{a};
  LiveClockOf<io::LinkClock> lc(clock_a);
  Ons out;
  LiveEngine engine(lc, a, out, music::default_instruments(), [](const Command&) -> Recomposed {
    return {set(), {}};
  });
  std::unique_ptr<io::LinkTimeline> b;
  const auto poll = [&](auto pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      engine.tick();
      engine.collect();
      if (b) b->follow(b->now() + 50'000);
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  };
  CommandContext ctx;
  ctx.sections = {"A"};
  engine.start({set(), ctx});
  REQUIRE(poll([&] { return out.on.size() >= 4; }, 5s));

  // A peer joins (at 90 BPM of its own): it takes the session's tempo; ours does not move.
  b = std::make_unique<io::LinkTimeline>(90, 4);
  REQUIRE(poll([&] { return a.peers() == 1 && std::fabs(b->tempo() - 120) < 1e-3; }, 10s));
  CHECK(a.tempo() == Approx(120));

  // It goes to 140: the set follows; its kicks (one a beat) land 60/140 s apart from then on.
  b->set_tempo(140, Beats(b->beat_at_time(b->now() + 50'000).ceil_int()));
  REQUIRE(poll([&] { return std::fabs(a.tempo() - 140) < 1e-3; }, 5s));
  const std::size_t from = out.on.size();
  REQUIRE(poll([&] { return out.on.size() >= from + 12; }, 10s));
  std::vector<sched::HostMicros> kicks;
  for (std::size_t i = from + 2; i < out.on.size(); ++i)
    if (a.beat_at_time(out.on[i] + 1) == Beats(a.beat_at_time(out.on[i] + 1).floor_int()))
      kicks.push_back(out.on[i]);
  REQUIRE(kicks.size() >= 3);
  for (std::size_t i = 1; i < kicks.size(); ++i)
    if (kicks[i] != kicks[i - 1]) CHECK(kicks[i] - kicks[i - 1] == Approx(60e6 / 140).margin(2));

  // It leaves: the set plays on at 140, alone.
  b.reset();
  REQUIRE(poll([&] { return a.peers() == 0; }, 15s));
  const std::size_t alone = out.on.size();
  REQUIRE(poll([&] { return out.on.size() >= alone + 4; }, 5s));
  CHECK(a.tempo() == Approx(140));

  engine.finish();
  CHECK(engine.scheduler_stats().late == 0);
  CHECK(out.off == out.on.size());  // every voice released
}

}  // namespace th::control
