// The live set's event log: the live engine on a manual clock writes what it sent (after
// mute) with set beats, real seconds and sections; the log reads back as events.jsonl and
// becomes a Composition with the tempo map the set played (a tempo command included); and
// `tensorhaus render --events` renders a short recorded log.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "control/live_engine.h"
#include "control/live_event_log.h"
#include "control/tee_sink.h"
#include "music/events_jsonl.h"
#include "sched/clocks.h"
#include "sched/timeline.h"
#include "support.h"

namespace th::control {
namespace {

music::Event note(const char* instrument, Beats onset, Beats duration, double pitch) {
  music::Event e;
  e.instrument = instrument;
  e.onset = onset;
  e.duration = duration;
  e.pitch = pitch;
  e.velocity = 0.75;
  e.params.set(music::Field::cutoff, 800 + pitch);
  return e;
}

// 8 beats: a kick on every beat (pitch 36 + beat), a hat on every off-beat; sections A [0, 4)
// and B [4, 8).
std::shared_ptr<const music::Composition> set() {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(8);
  for (int b = 0; b < 8; ++b) {
    c->events.push_back(note("kick", Beats(b), Beats(1, 4), 36 + b));
    c->events.push_back(note("hat", Beats(2 * b + 1, 2), Beats(1, 4), 80));
  }
  music::sort_events(c->events);
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"A", "acid", Beats(0), Beats(4)}, {"B", "acid", Beats(4), Beats(8)}};
  return c;
}

CommandContext context() {
  CommandContext ctx;
  ctx.num_layers = 4;
  ctx.sections = {"A", "B"};
  ctx.patterns = {"acid"};
  return ctx;
}

Command cmd(const std::string& line) {
  auto p = parse_command(line);
  REQUIRE(p.command);
  return *p.command;
}

struct Played {
  std::filesystem::path log;
  std::vector<music::EventRecord> records;
};

// Plays the set from host time `start_us` (so the first boundary is beat 4 of the timeline,
// not 0): 120 BPM, `mute hat` at beat 6 (lands on beat 8), `tempo 60` at beat 9 (lands on
// beat 12), stops at host time `end_us`.
Played play(const std::string& name, sched::HostMicros end_us) {
  sched::ManualClock clock(1'600'000);  // beat 3.2 at 120 BPM from host time 0
  sched::TempoTimeline timeline(120, 0);
  LiveEventLog log(music::default_instruments(), timeline, 4);
  TeeSink out;
  out.add(log);
  LiveClockOf<sched::ManualClock> lc(clock);
  LiveEngine engine(lc, timeline, out, music::default_instruments(),
                    [](const Command&) -> Recomposed {
                      return {set(), context()};
                    });
  const Beats start = engine.start({set(), context()});
  CHECK(start == Beats(4));
  log.set_origin(start, timeline.time_at_beat(start));
  log.set_section_of([&engine](Beats b) { return engine.section_at(b); });
  const auto run_to = [&](sched::HostMicros t) {
    while (clock.now() < t) {
      clock.advance(5'000);
      engine.tick();
      engine.collect();
    }
  };
  run_to(3'000'000);  // beat 6
  CHECK(engine.submit(cmd("mute hat")) == "");
  run_to(4'500'000);  // beat 9
  CHECK(engine.submit(cmd("tempo 60")) == "");
  run_to(end_us);
  engine.finish();
  Played p;
  p.log = test::scratch(name) / "set.events.jsonl";
  std::ofstream f(p.log);
  log.write_pending(f);
  f.close();
  CHECK(log.dropped() == 0);
  p.records = music::read_events_jsonl(p.log);
  return p;
}

}  // namespace

TEST_CASE("live event log: what was sent, with set beats, seconds and sections") {
  // Up to host time 10 s: beat 12 at 6 s, then 60 BPM: beat 16 at 10 s (set beats 0..12).
  const auto p = play("live_event_log", 10'000'000);
  const auto& r = p.records;
  // Set beats 0..4 (timeline 4..8): kicks and hats; from set beat 4 (timeline 8) hats muted.
  std::vector<double> kick_beats, hat_beats;
  for (const auto& x : r)
    (x.event.instrument == "kick" ? kick_beats : hat_beats).push_back(x.event.onset.to_double());
  CHECK(hat_beats == std::vector<double>{0.5, 1.5, 2.5, 3.5});
  // Kicks up to the horizon at the end (10 s + 50 ms lookahead at 60 BPM: beat 16.05).
  REQUIRE(kick_beats.size() == 13);
  for (int b = 0; b < 13; ++b) CHECK(kick_beats[b] == b);
  for (const auto& x : r) {
    const double b = x.event.onset.to_double();
    INFO(x.event.instrument << " at " << b);
    // The set started at timeline beat 4 (program beat 0); the program loops every 8 beats.
    const int program_beat = static_cast<int>(std::floor(b)) % 8;
    CHECK(x.section == (program_beat < 4 ? "A" : "B"));
    CHECK(x.bar == static_cast<int>(std::floor(b / 4)) + 1);
    // 120 BPM up to set beat 8 (timeline 12), then 60 BPM.
    const double seconds = b <= 8 ? b * 0.5 : 4.0 + (b - 8);
    CHECK(x.seconds == Approx(seconds).margin(1e-6));
    CHECK(x.event.velocity == 0.75);
    if (x.event.instrument == "kick") {
      CHECK(x.event.pitch == 36 + program_beat);
      CHECK(x.event.params.get_or(music::Field::cutoff, 0) == 800 + 36 + program_beat);
      CHECK(x.event.duration == Beats(1, 4));
    }
    CHECK(x.event.provenance.empty());
  }

  const auto c = composition_from_log(r, p.log.string());
  CHECK(c.beats_per_bar == 4);
  CHECK(c.length == Beats(16));
  CHECK(c.events.size() == r.size());
  REQUIRE(c.tempo.size() == 2);
  CHECK(c.tempo[0].at == Beats(0));
  CHECK(c.tempo[0].bpm == Approx(120).epsilon(1e-6));
  CHECK(c.tempo[1].at == Beats(8));
  CHECK(c.tempo[1].bpm == Approx(60).epsilon(1e-6));
  std::vector<std::string> names;
  for (const auto& s : c.sections) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"A", "B", "A", "B"});
  CHECK(c.sections[1].begin == Beats(4));
  CHECK(c.sections[3].end == c.length);
  for (const auto& x : r) CHECK(c.seconds_at(x.event.onset) == Approx(x.seconds).margin(1e-6));
}

TEST_CASE("live event log: an empty log is refused, naming the file") {
  CHECK_THROWS_WITH(composition_from_log({}, "x.events.jsonl"),
                    Catch::Contains("x.events.jsonl") && Catch::Contains("no events"));
}

TEST_CASE("live event log: `render --events` renders a recorded log") {
  const auto bin = test::tensorhaus_bin();
  if (!std::filesystem::exists(bin)) {
    WARN("SKIP: " << bin << " is not built");
    return;
  }
  // Host time 4.5 s is timeline beat 9 (+ the lookahead): set beats 0..5; hats muted from 4.
  const auto p = play("live_event_log_render", 4'500'000);
  REQUIRE(p.records.size() == 10);  // kicks 0..5, hats 0.5..3.5
  const auto dir = p.log.parent_path();
  const auto wav = dir / "again.wav";
  const auto out = dir / "render.txt";
  const std::string command = bin.string() + " render --events " + p.log.string() + " --out " +
                              wav.string() + " > " + out.string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream f(out);
  std::stringstream text;
  text << f.rdbuf();
  INFO(text.str());
  REQUIRE(status == 0);
  // Every logged event was played: "… N notes from 10 events"; the file lasts at least the
  // set's two bars (8 beats at 120 BPM = 4 s; 16-bit stereo at 48 kHz or more).
  CHECK_THAT(text.str(), Catch::Contains("notes from 10 events"));
  REQUIRE(std::filesystem::exists(wav));
  CHECK(std::filesystem::file_size(wav) > 4 * 48000 * 2 * 2);
}

}  // namespace th::control
