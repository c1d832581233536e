// The live engine on a manual clock with a recording sink (no sleeps, no network): commands
// take effect exactly at the next quantum boundary — mute, tempo, section, a recomposition —
// bad commands are refused while the music goes on, panic and finish release every voice once.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "control/live_engine.h"
#include "sched/clocks.h"
#include "sched/timeline.h"

namespace th::control {
namespace {

struct Call {
  bool on = true;
  sched::VoiceId voice = 0;
  std::string instrument;
  double pitch = 0;
  sched::HostMicros at = 0;
};

struct RecordingSink final : sched::Sink {
  std::vector<Call> calls;
  void note_on(sched::VoiceId v, const music::Event& e, sched::HostMicros at) override {
    calls.push_back({true, v, e.instrument, e.pitch, at});
  }
  void note_off(sched::VoiceId v, sched::HostMicros at) override {
    calls.push_back({false, v, "", 0, at});
  }
  std::vector<Call> ons(const std::string& instrument) const {
    std::vector<Call> out;
    for (const auto& c : calls)
      if (c.on && c.instrument == instrument) out.push_back(c);
    return out;
  }
};

music::Event note(const char* instrument, Beats onset, Beats duration, double pitch) {
  music::Event e;
  e.instrument = instrument;
  e.onset = onset;
  e.duration = duration;
  e.pitch = pitch;
  return e;
}

// 16 beats: a kick on every beat (pitch 36 + beat), a hat on every off-beat, one long pad;
// sections A [0, 8) and B [8, 16).
std::shared_ptr<const music::Composition> set(double transpose = 0) {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(16);
  for (int b = 0; b < 16; ++b) {
    c->events.push_back(note("kick", Beats(b), Beats(1, 4), 36 + b + transpose));
    c->events.push_back(note("hat", Beats(2 * b + 1, 2), Beats(1, 4), 80));
  }
  c->events.push_back(note("pad", Beats(0), Beats(15), 60));
  music::sort_events(c->events);
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"A", "acid", Beats(0), Beats(8)}, {"B", "acid", Beats(8), Beats(16)}};
  return c;
}

CommandContext context() {
  CommandContext ctx;
  ctx.num_layers = 8;
  ctx.sections = {"A", "B"};
  ctx.patterns = {"acid", "house"};
  return ctx;
}

Command cmd(const std::string& line) {
  auto p = parse_command(line);
  REQUIRE(p.command);
  return *p.command;
}

constexpr sched::HostMicros kSecond = 1'000'000;
// One lookahead before beat 0: the first boundary the set can reach in time is beat 0.
constexpr sched::HostMicros kStart = -50'000;

// An engine playing set() on a manual clock from kStart at 120 BPM, recording what it sends.
struct Rig {
  sched::ManualClock clock{kStart};
  sched::TempoTimeline timeline{120, 0};
  RecordingSink sink;
  LiveClockOf<sched::ManualClock> lc{clock};
  LiveEngine engine;
  explicit Rig(Recompose recompose)
      : engine(lc, timeline, sink, music::default_instruments(), std::move(recompose)) {
    engine.start({set(), context()});
  }
  // Ticks every 5 ms up to host time t.
  void run_to(sched::HostMicros t) {
    while (clock.now() < t) {
      clock.advance(5'000);
      engine.tick();
      engine.collect();
    }
  }
};

}  // namespace

TEST_CASE("live engine: commands take effect at the quantum, exactly") {
  int recomposes = 0;
  Rig rig([&](const Command& c) -> Recomposed {
    ++recomposes;
    if (c.kind == CommandKind::model) throw std::runtime_error("model: no such folder");
    return {set(12), context()};
  });
  auto& sink = rig.sink;
  auto& engine = rig.engine;
  const auto run_to = [&rig](sched::HostMicros t) { rig.run_to(t); };

  run_to(kSecond);  // beat 2
  CHECK(engine.submit(cmd("mute hat")) == "");
  run_to(5 * kSecond / 2);  // beat 5
  CHECK(engine.submit(cmd("tempo 150")) == "");
  // Refused, and nothing changes: unknown section, a model that fails to load.
  CHECK(engine.submit(cmd("section C")).find("section") != std::string::npos);
  CHECK(engine.submit(cmd("model /nowhere")) == "model: no such folder");
  run_to(4200'000);                                  // beat 8 + 0.2 s at 150 BPM = beat 8.5
  CHECK(engine.submit(cmd("section A")) == "");      // at beat 12
  CHECK(engine.submit(cmd("mute hat")) == "");       // lifted at beat 12 too
  run_to(6 * kSecond);                               // beat 12 + 0.4 s = beat 13
  CHECK(engine.submit(cmd("pattern house")) == "");  // recomposed; at beat 16
  run_to(8 * kSecond);                               // beat 18
  engine.finish();

  // Hats: beats 0.5 … 3.5 (before the mute at beat 4), then again from beat 12.5 on.
  const auto hats = sink.ons("hat");
  REQUIRE(hats.size() >= 6);
  CHECK(hats[0].at == 250'000);
  CHECK(hats[3].at == 1'750'000);
  const sched::HostMicros beat8 = 4 * kSecond, beat12 = beat8 + 4 * 400'000;
  CHECK(hats[4].at == beat12 + 200'000);  // beat 12.5 at 150 BPM

  // Kicks: 120 BPM up to beat 8, 150 BPM from there.
  const auto kicks = sink.ons("kick");
  REQUIRE(kicks.size() >= 17);
  for (int b = 0; b <= 8; ++b) CHECK(kicks[b].at == b * 500'000);
  for (int b = 8; b < 17; ++b) CHECK(kicks[b].at == beat8 + (b - 8) * 400'000);
  // The set plays A B …: beats 8-11 are section B (pitch 44 …); at beat 12 section A restarts
  // (pitch 36 …); at beat 16 the recomposed set (+12) continues from where we are (beat 4 of
  // the composition: 36 + 4 + 12).
  CHECK(kicks[11].pitch == 47);
  CHECK(kicks[12].pitch == 36);
  CHECK(kicks[15].pitch == 39);
  CHECK(kicks[16].pitch == 36 + 4 + 12);
  CHECK(recomposes == 2);
  CHECK(engine.scheduler_stats().switches == 2);

  // Every started voice is released exactly once, after it started; silenced hats never reach
  // the sink.
  std::map<sched::VoiceId, int> state;
  std::map<sched::VoiceId, sched::HostMicros> start;
  for (const auto& c : sink.calls) {
    if (c.on) {
      CHECK(state[c.voice] == 0);
      state[c.voice] = 1;
      start[c.voice] = c.at;
    } else {
      CHECK(state[c.voice] == 1);
      CHECK(c.at > start[c.voice]);
      state[c.voice] = 2;
    }
  }
  for (const auto& [v, s] : state) CHECK(s == 2);
  CHECK(engine.filter().silenced() == 8);  // hats at beats 4.5 … 11.5
  CHECK(engine.filter().open_voices() == 0);
}

TEST_CASE("live engine: panic releases every sounding voice once, the set goes on") {
  Rig rig([](const Command&) -> Recomposed { throw std::runtime_error("unused"); });
  auto& clock = rig.clock;
  auto& sink = rig.sink;
  auto& engine = rig.engine;
  for (int i = 0; i < 200; ++i) {  // 1 s: the pad (15 beats) is sounding
    clock.advance(5'000);
    engine.tick();
  }
  CHECK(engine.submit(cmd("quant now")) == "");
  CHECK(engine.submit(cmd("panic")) == "");
  engine.tick();
  const auto pad = sink.ons("pad");
  REQUIRE(pad.size() == 1);
  int offs = 0;
  for (const auto& c : sink.calls)
    if (!c.on && c.voice == pad[0].voice) {
      ++offs;
      CHECK(c.at > clock.now());  // at once, not at its end (7.5 s)
      CHECK(c.at < clock.now() + 1000);
    }
  CHECK(offs == 1);
  for (int i = 0; i < 2000; ++i) {  // 10 s: past the pad's end and around the loop
    clock.advance(5'000);
    engine.tick();
  }
  engine.finish();
  offs = 0;
  for (const auto& c : sink.calls)
    if (!c.on && c.voice == pad[0].voice) ++offs;
  CHECK(offs == 1);                    // the scheduler's own release was swallowed
  CHECK(sink.ons("pad").size() == 2);  // the loop came round: the pad started again
  CHECK(engine.filter().open_voices() == 0);
  CHECK(engine.submit(cmd("mute nothing")).find("nothing") != std::string::npos);
}

TEST_CASE(
    "live engine: a slow recompose holds up no other command; newer prompts replace queued ones") {
  std::promise<void> gate, started;  // the first recompose (prompt "a") signals, then waits
  std::shared_future<void> opened = gate.get_future().share();
  std::mutex seen_mu;
  std::vector<std::string> seen;  // prompts composed, in order
  Rig rig([&](const Command& c) -> Recomposed {
    {
      std::lock_guard lock(seen_mu);
      seen.push_back(c.text);
    }
    if (c.text == "a") {
      started.set_value();
      opened.wait();
    }
    return {set(c.text == "a" ? 12 : 24), context()};
  });
  auto& sink = rig.sink;
  auto& engine = rig.engine;

  std::map<std::string, std::promise<std::string>> replies;
  const auto prompt = [&](const std::string& text) {
    engine.submit(cmd("prompt " + text),
                  [&replies, text](const Answer& a) { replies[text].set_value(a.error); });
  };
  for (const auto* t : {"a", "b", "c"}) replies[t];  // the promises exist before any reply
  const auto run_to = [&rig](sched::HostMicros t) { rig.run_to(t); };
  run_to(kSecond);  // beat 2
  prompt("a");
  REQUIRE(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  // While "a" composes: light commands and section jumps are answered at once (bounded waits:
  // a blocked engine fails here instead of hanging the suite).
  auto light = std::async(std::launch::async, [&] {
    return engine.submit(cmd("mute hat")) + engine.submit(cmd("section B"));
  });
  REQUIRE(light.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(light.get() == "");
  prompt("b");
  prompt("c");  // replaces "b", which has not started
  auto b = replies["b"].get_future();
  REQUIRE(b.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(b.get() == "prompt: replaced by a newer prompt");
  CHECK(engine.recomposing() == 2);  // "a" running, "c" queued
  run_to(5 * kSecond / 2);           // beat 5: section B since beat 4
  gate.set_value();
  auto a = replies["a"].get_future(), c = replies["c"].get_future();
  REQUIRE(a.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  REQUIRE(c.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(a.get() == "");
  CHECK(c.get() == "");
  {
    std::lock_guard lock(seen_mu);
    CHECK(seen == std::vector<std::string>{"a", "c"});
  }
  CHECK(engine.recomposing() == 0);

  run_to(6 * kSecond);  // beat 12
  engine.finish();
  // Beats 0-3: section A; 4-7: section B from its top (36 + 8 …); from beat 8 the last
  // composed set (+24), both composed sets arriving for the same boundary, in the composition's
  // place: beat 12 of it.
  const auto kicks = sink.ons("kick");
  REQUIRE(kicks.size() >= 12);
  for (int b = 0; b < 4; ++b) CHECK(kicks[b].pitch == 36 + b);
  for (int b = 4; b < 8; ++b) CHECK(kicks[b].pitch == 36 + 4 + b);
  for (int b = 8; b < 12; ++b) CHECK(kicks[b].pitch == 36 + 4 + b + 24);
  CHECK(engine.scheduler_stats().switches == 2);
  CHECK(engine.filter().open_voices() == 0);
}

TEST_CASE("live engine: recomposes after stop_composer are refused") {
  Rig rig([](const Command&) -> Recomposed { return {set(12), context()}; });
  auto& engine = rig.engine;
  engine.stop_composer();
  CHECK(engine.submit(cmd("prompt late")) == "the set is ending");
  CHECK(engine.submit(cmd("mute hat")) == "");
}

TEST_CASE("live engine: a set's section tempi play live; a jump brings its section's tempo") {
  // set() with section B at 60 BPM (A stays at 120).
  const auto two_tempo = [] {
    auto c = std::make_shared<music::Composition>(*set());
    c->tempo = {{Beats(0), 120}, {Beats(8), 60}};
    return std::shared_ptr<const music::Composition>(c);
  };
  Rig rig([&](const Command&) -> Recomposed { return {two_tempo(), context()}; });
  rig.engine.submit(cmd("reload"));  // plays the two-tempo set from the next boundary (beat 1)
  rig.run_to(kSecond);               // beat 2
  rig.run_to(10 * kSecond);
  // A: beats 1–7 at 0.5 s; B: beat 8 at 4 s, then one a second; A again at beat 16 (12 s).
  const auto kicks = rig.sink.ons("kick");
  REQUIRE(kicks.size() >= 14);
  for (int b = 0; b <= 8; ++b) CHECK(kicks[b].at == b * 500'000);
  for (int b = 9; b < 14; ++b) CHECK(kicks[b].at == 4 * kSecond + (b - 8) * kSecond);
  CHECK(rig.engine.status().tempo == 60);

  // `section A` from inside B, at the next beat: the jump comes back at A's 120 BPM.
  CHECK(rig.engine.submit(cmd("quant beat")) == "");
  CHECK(rig.engine.submit(cmd("section A")) == "");
  rig.run_to(12 * kSecond);
  CHECK(rig.engine.status().tempo == 120);
  rig.engine.finish();
}

}  // namespace th::control
