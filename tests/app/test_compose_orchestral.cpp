// `tensorhaus compose` of the opera and the suite on the real stories260K model: deterministic,
// non-degenerate (varied pitches; the canon's four voices each their own line).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_support.h"

namespace fs = std::filesystem;

namespace {

using th::test::read_events;
using th::test::slurp;

int compose_session(const std::string& session, const fs::path& out, const fs::path& scratch) {
  const auto model = th::test::shared_data("models/stories260K-hf");
  return th::test::run_cli(
             "compose " + (th::test::source_dir() / "sessions" / (session + ".toml")).string() +
                 " --out " + out.string() + " --model " + model.string(),
             scratch)
      .code;
}

}  // namespace

TEST_CASE("compose: opera and suite on stories260K are deterministic and varied",
          "[app][compose][orchestral]") {
  std::map<std::string, fs::path> out;
  for (const std::string session : {"opera", "suite"}) {
    INFO(session);
    const auto dir = th::test::scratch("compose_" + session);
    out[session] = dir / "a/events.jsonl";
    REQUIRE(compose_session(session, dir / "a", dir) == 0);
    REQUIRE(compose_session(session, dir / "b", dir) == 0);
    CHECK(slurp(dir / "a/events.jsonl") == slurp(dir / "b/events.jsonl"));
    const auto ev = read_events(dir / "a/events.jsonl");
    std::set<double> pitches;
    for (const auto& e : ev) pitches.insert(e["pitch"].get<double>());
    CHECK(pitches.size() >= 5);
  }
  // The canon (bars 10..19 of the 40-bar opera): the four voices play four different lines.
  const auto ev = read_events(out["opera"]);
  std::map<std::string, std::vector<double>> lines;
  for (const auto& e : ev) {
    const int bar = e["bar"].get<int>();
    if (bar >= 16 && bar < 20) {
      lines[e["instrument"].get<std::string>()].push_back(e["pitch"]);
      CHECK(e["section"] == "fugue");  // one section per act (sessions/opera.toml)
    }
  }
  std::set<std::vector<double>> distinct;
  for (const char* v : {"violin", "viola", "cello", "contrabass"}) {
    INFO(v);
    CHECK(lines[v].size() >= 4);
    distinct.insert(lines[v]);
  }
  CHECK(distinct.size() == 4);
}
