// The command log of a recorded set: one line per answered command, in answer order, with the
// arrival time and set beat counted from the set's first beat, the source, the command as a
// REPL line and the answer; the wrapped reply still reaches its sender.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/command_log.h"
#include "sched/clocks.h"
#include "sched/timeline.h"
#include "support.h"

namespace th::control {

TEST_CASE("command log: arrival, beat, source, command and answer per line") {
  const auto file = test::scratch("command_log") / "set.commands.jsonl";
  sched::ManualClock clock(1'000'000);
  sched::TempoTimeline timeline(120, 0);  // beat b at b/2 s
  CommandLog log(
      file, [&clock] { return clock.now(); }, timeline);
  log.set_origin(Beats(4), 2'000'000);  // the set's first beat: beat 4, at 2 s

  std::vector<std::string> heard;
  const auto to_sender = [&heard](const Answer& a) {
    heard.push_back(a.error.empty() ? "ok" : a.error);
  };
  clock.set(2'500'000);  // set beat 1
  auto tempo = log.wrap(*parse_command("tempo 140").command, "osc", to_sender);
  clock.set(2'750'000);  // set beat 1.5
  auto prompt =
      log.wrap(*parse_command("prompt Let there be light").command, "terminal", to_sender);
  clock.set(2'760'000);
  tempo("");  // answered at once
  clock.set(4'000'000);
  prompt("prompt: the model said no");  // answered by the composer, later
  CHECK(heard == std::vector<std::string>{"ok", "prompt: the model said no"});

  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["seconds"] == Approx(0.5));
  CHECK(lines[0]["beat"] == Approx(1.0));
  CHECK(lines[0]["source"] == "osc");
  CHECK(lines[0]["command"] == "tempo 140");
  CHECK(lines[0]["answer"] == "ok");
  CHECK(lines[0]["answered_seconds"] == Approx(0.76));
  CHECK(lines[1]["seconds"] == Approx(0.75));
  CHECK(lines[1]["beat"] == Approx(1.5));
  CHECK(lines[1]["source"] == "terminal");
  CHECK(lines[1]["command"] == "prompt Let there be light");
  CHECK(lines[1]["answer"] == "prompt: the model said no");
  CHECK(lines[1]["answered_seconds"] == Approx(2.0));
}

TEST_CASE("command log: a file that cannot be written is refused by name") {
  sched::ManualClock clock(0);
  sched::TempoTimeline timeline(120, 0);
  const auto bad = test::scratch("command_log_bad") / "no" / "such" / "dir" / "x.jsonl";
  try {
    CommandLog log(
        bad, [&clock] { return clock.now(); }, timeline);
    FAIL("no error");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find(bad.string()) != std::string::npos);
  }
}

}  // namespace th::control
