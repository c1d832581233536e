#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "sched/clocks.h"
#include "sched/scheduler.h"

using namespace th;
using namespace th::sched;

namespace {

struct Record {
  std::string what;  // "on kick 36" / "off"
  VoiceId voice;
  HostMicros at;
  friend bool operator==(const Record&, const Record&) = default;
};

struct RecordingSink : Sink {
  std::vector<Record> log;
  int flushes = 0;
  void note_on(VoiceId v, const music::Event& e, HostMicros at) override {
    log.push_back({"on " + e.instrument + " " + std::to_string(static_cast<int>(e.pitch)), v, at});
  }
  void note_off(VoiceId v, HostMicros at) override { log.push_back({"off", v, at}); }
  void flush() override { ++flushes; }
};

music::Event ev(Beats onset, Beats dur, const std::string& inst, double pitch) {
  music::Event e;
  e.onset = onset;
  e.duration = dur;
  e.instrument = inst;
  e.pitch = pitch;
  return e;
}

Program four_on_the_floor(const std::string& inst = "kick", double pitch = 36) {
  std::vector<music::Event> evs;
  for (int b = 0; b < 4; ++b) evs.push_back(ev(b, Beats(1, 2), inst, pitch));
  return Program(evs, 4, /*loop=*/true);
}

// Runs the scheduler from t=0 to t_end in ticks of `step` µs.
template <typename S>
void run(S& s, ManualClock& c, HostMicros t_end, HostMicros step) {
  for (HostMicros t = 0; t < t_end; t += step) {
    c.set(t);
    s.tick();
  }
  c.set(t_end);  // every run ends on the same instant, whatever the step
  s.tick();
}

}  // namespace

TEST_CASE("scheduler: onsets and releases at exact times, looping", "[sched]") {
  ManualClock clock;
  TempoTimeline tl(120, 0);  // 0.5 s per beat
  RecordingSink sink;
  Scheduler s(clock, tl, sink, {50'000});
  Program p = four_on_the_floor();
  s.start(&p);
  run(s, clock, 2'400'000, 10'000);
  // Beats 0..4 (4 = the loop's second pass) are inside now + lookahead at 2.4 s (beat 4.9).
  std::vector<Record> expected = {
      {"on kick 36", 1000, 0},         {"off", 1000, 250'000},
      {"on kick 36", 1001, 500'000},   {"off", 1001, 750'000},
      {"on kick 36", 1002, 1'000'000}, {"off", 1002, 1'250'000},
      {"on kick 36", 1003, 1'500'000}, {"off", 1003, 1'750'000},
      {"on kick 36", 1004, 2'000'000}, {"off", 1004, 2'250'000},
  };
  CHECK(sink.log == expected);
  CHECK(s.stats().late == 0);
}

TEST_CASE("scheduler: the tick rate does not change what is sent", "[sched]") {
  Program p = four_on_the_floor();
  std::vector<Record> reference;
  for (HostMicros step : {1'000, 7'919, 33'333, 120'000}) {
    ManualClock clock;
    TempoTimeline tl(128, 0);
    RecordingSink sink;
    Scheduler s(clock, tl, sink, {50'000});
    s.start(&p);
    run(s, clock, 30'000'000, step);
    s.stop();
    // Same notes, same times; only the voice numbering could differ and it does not.
    if (reference.empty()) reference = sink.log;
    auto sorted = sink.log;
    auto ref = reference;
    auto by_time = [](const Record& a, const Record& b) {
      return std::tie(a.at, a.voice, a.what) < std::tie(b.at, b.voice, b.what);
    };
    std::sort(sorted.begin(), sorted.end(), by_time);
    std::sort(ref.begin(), ref.end(), by_time);
    CHECK(sorted == ref);
  }
  CHECK(reference.size() > 100);
}

TEST_CASE("scheduler: an hour at 128 BPM does not drift", "[sched]") {
  ManualClock clock;
  TempoTimeline tl(128, 0);
  RecordingSink sink;
  Scheduler s(clock, tl, sink, {50'000});
  Program p = four_on_the_floor();
  s.start(&p);
  clock.set(3'600'000'000);  // one big jump: every onset in the window is still sent once
  s.tick();
  // 128 BPM for one hour = 7680 beats; with the lookahead, beat 7680 itself is included.
  size_t ons = 0;
  HostMicros last_on = -1;
  for (const auto& r : sink.log)
    if (r.what != "off") ++ons, last_on = r.at;
  CHECK(ons == 7681);
  CHECK(last_on == 3'600'000'000);  // beat 7680 exactly at 3600 s: computed from the anchor
}

TEST_CASE("scheduler: switch at the next bar, old voices released, new program from its start",
          "[sched]") {
  ManualClock clock;
  TempoTimeline tl(120, 0);
  RecordingSink sink;
  Scheduler s(clock, tl, sink, {50'000});
  Program a = four_on_the_floor("kick", 36);
  std::vector<music::Event> b_events = {ev(0, 2, "tb303", 48), ev(2, 2, "tb303", 51)};
  Program b(b_events, 4, true);
  s.start(&a);
  run(s, clock, 600'000, 10'000);  // up to beat 1.3
  REQUIRE(s.request_switch(&b, 4, /*keep_phase=*/false));
  for (HostMicros t = 610'000; t <= 4'100'000; t += 10'000) {
    clock.set(t);
    s.tick();
  }
  std::vector<std::string> ons;
  std::vector<HostMicros> on_times;
  for (const auto& r : sink.log)
    if (r.what != "off") ons.push_back(r.what), on_times.push_back(r.at);
  std::vector<std::string> expected_ons = {"on kick 36",  "on kick 36",  "on kick 36", "on kick 36",
                                           "on tb303 48", "on tb303 51", "on tb303 48"};
  CHECK(ons == expected_ons);
  CHECK(on_times ==
        std::vector<HostMicros>{0, 500'000, 1'000'000, 1'500'000, 2'000'000, 3'000'000, 4'000'000});
  CHECK(s.take_retired() == &a);
  CHECK(s.take_retired() == nullptr);
  CHECK(s.stats().switches == 1);
}

TEST_CASE("scheduler: stop releases every open voice after everything sent", "[sched]") {
  ManualClock clock;
  TempoTimeline tl(120, 0);
  RecordingSink sink;
  Scheduler s(clock, tl, sink, {50'000});
  std::vector<music::Event> pads = {ev(0, 16, "pad", 60), ev(0, 16, "pad", 64),
                                    ev(Beats(1, 2), 16, "pad", 67)};
  Program p(pads, 32, true);
  s.start(&p);
  run(s, clock, 300'000, 10'000);
  REQUIRE(s.open_notes() == 3);
  s.stop();
  CHECK(s.open_notes() == 0);
  int on = 0, off = 0;
  HostMicros last_on = 0;
  for (const auto& r : sink.log) {
    if (r.what == "off") {
      ++off;
      CHECK(r.at >= last_on);
    } else {
      ++on;
      last_on = std::max(last_on, r.at);
    }
  }
  CHECK(on == 3);
  CHECK(off == 3);
  CHECK(s.take_retired() == &p);
}

TEST_CASE("scheduler: a tempo change moves later onsets, computed from the new anchor", "[sched]") {
  ManualClock clock;
  TempoTimeline tl(120, 0);
  RecordingSink sink;
  Scheduler s(clock, tl, sink, {50'000});
  Program p = four_on_the_floor();
  s.start(&p);
  run(s, clock, 1'000'000, 10'000);  // through beat 2.1
  tl.set_tempo(60, Beats(3));        // from beat 3 on: one beat per second
  for (HostMicros t = 1'010'000; t <= 3'600'000; t += 10'000) {
    clock.set(t);
    s.tick();
  }
  std::vector<HostMicros> on_times;
  for (const auto& r : sink.log)
    if (r.what != "off") on_times.push_back(r.at);
  // Beats 0,1,2 at 120 BPM, beat 3 at 1.5 s, then beat 4 at 2.5 s and beat 5 at 3.5 s.
  CHECK(on_times ==
        std::vector<HostMicros>{0, 500'000, 1'000'000, 1'500'000, 2'500'000, 3'500'000});
}

TEST_CASE("program: rejects looping events outside the loop", "[sched]") {
  CHECK_THROWS_AS(Program({ev(4, 1, "kick", 36)}, 4, true), std::invalid_argument);
  CHECK_NOTHROW(Program({ev(4, 1, "kick", 36)}, 4, false));
  Program p({ev(0, 1, "kick", 36)}, 8, true, {{"intro", 0, 4}, {"drop", 4, 8}});
  REQUIRE(p.section_at(Beats(5)) != nullptr);
  CHECK(p.section_at(Beats(5))->name == "drop");
  CHECK(p.section_at(Beats(9))->name == "intro");  // looped
}

namespace {

// A looping 8-beat program: a kick every beat, 120 BPM for beats 0–3 and 60 BPM for 4–7.
Program two_tempo_loop() {
  std::vector<music::Event> evs;
  for (int b = 0; b < 8; ++b) evs.push_back(ev(b, Beats(1, 4), "kick", 36));
  return Program(evs, 8, true, {}, {{Beats(0), 120}, {Beats(4), 60}});
}

// The times of the sink's note-ons, or of those whose record reads `what` only.
std::vector<HostMicros> onsets(const RecordingSink& sink, const std::string& what = {}) {
  std::vector<HostMicros> out;
  for (const auto& r : sink.log)
    if (r.what != "off" && (what.empty() || r.what == what)) out.push_back(r.at);
  return out;
}

// A scheduler on a manual clock and a 120 BPM timeline (the tempo tests' set-up).
struct TempoRig {
  ManualClock clock;
  TempoTimeline timeline{120, 0};
  RecordingSink sink;
  Scheduler<ManualClock> s{clock, timeline, sink};
};

}  // namespace

TEST_CASE("scheduler: a program's tempo map is followed, loop after loop", "[sched][tempo]") {
  for (const HostMicros step : {1'000, 5'000, 37'000}) {
    INFO("tick " << step);
    TempoRig rig;
    auto& [clock, timeline, sink, s] = rig;
    const Program p = two_tempo_loop();
    s.start(&p);
    run(s, clock, 12'000'000, step);
    // Beats 0–3 at 0.5 s, 4–7 at 1 s: one loop is 6 s; the second loop starts at 120 again.
    const std::vector<HostMicros> want{
        0,         500'000,   1'000'000, 1'500'000, 2'000'000, 3'000'000, 4'000'000,  5'000'000,
        6'000'000, 6'500'000, 7'000'000, 7'500'000, 8'000'000, 9'000'000, 10'000'000, 11'000'000};
    auto got = onsets(sink);
    got.resize(std::min(got.size(), want.size()));
    CHECK(got == want);
    CHECK(s.stats().late == 0);
  }
}

TEST_CASE("scheduler: a one-tempo loop leaves a performer's tempo alone", "[sched][tempo]") {
  TempoRig rig;
  auto& [clock, timeline, sink, s] = rig;
  std::vector<music::Event> evs{ev(0, Beats(1, 4), "kick", 36)};
  const Program p(evs, 4, true, {}, {{Beats(0), 120}});
  s.start(&p);
  run(s, clock, 100'000, 5'000);
  timeline.set_tempo(90, Beats(4));  // the `tempo 90` command at the next bar
  run(s, clock, 20'000'000, 5'000);
  CHECK(timeline.tempo() == 90);
  const auto got = onsets(sink);
  REQUIRE(got.size() >= 4);
  // Every later bar at 90 BPM (2.667 s; times round to the microsecond).
  CHECK(std::llabs(got[2] - got[1] - 2'666'667) <= 1);
  CHECK(std::llabs(got[3] - got[2] - 2'666'667) <= 1);
}

TEST_CASE("scheduler: a jump starts at the new program's tempo; a recompose keeps the tempo",
          "[sched][tempo]") {
  TempoRig rig;
  auto& [clock, timeline, sink, s] = rig;
  const Program p = two_tempo_loop();
  // The same set rotated to its slow half (a `section` jump): 60 BPM from its beat 0.
  std::vector<music::Event> evs;
  for (int b = 0; b < 8; ++b) evs.push_back(ev(b, Beats(1, 4), "kick", 37));
  const Program slow(evs, 8, true, {}, {{Beats(0), 60}, {Beats(4), 120}});
  s.start(&p);
  run(s, clock, 100'000, 5'000);
  REQUIRE(s.request_switch(&slow, Beats(1), /*keep_phase=*/false));
  clock.set(200'000);
  s.tick();
  clock.set(3'000'000);
  s.tick();
  CHECK(timeline.tempo() == 60);
  CHECK(timeline.segment_start() == Beats(1));  // from the switch on
  // Beat 1 at 0.5 s, then one a second.
  const auto ons = onsets(sink, "on kick 37");
  REQUIRE(ons.size() >= 3);
  CHECK(ons[0] == 500'000);
  CHECK(ons[1] == 1'500'000);
  CHECK(ons[2] == 2'500'000);

  // A recompose (keep_phase) of the slow program while a performer plays it at 100 BPM.
  timeline.set_tempo(100, Beats(4));
  const Program again(evs, 8, true, {}, {{Beats(0), 60}, {Beats(4), 120}});
  REQUIRE(s.request_switch(&again, Beats(1), /*keep_phase=*/true));
  clock.set(3'500'000);
  s.tick();
  CHECK(timeline.tempo() == 100);
}

TEST_CASE("scheduler: a recompose at another tempo brings it at the switch", "[sched][tempo]") {
  TempoRig rig;
  auto& [clock, timeline, sink, s] = rig;
  std::vector<music::Event> evs{ev(0, Beats(1, 4), "kick", 36)};
  const Program at120(evs, 4, true, {}, {{Beats(0), 120}});
  const Program at140(evs, 4, true, {}, {{Beats(0), 140}});
  s.start(&at120);
  run(s, clock, 100'000, 5'000);
  REQUIRE(s.request_switch(&at140, Beats(4), /*keep_phase=*/true));
  clock.set(2'000'000);
  s.tick();
  CHECK(timeline.tempo() == 140);
  CHECK(timeline.segment_start() == Beats(4));  // at the switch, the bar boundary
}
