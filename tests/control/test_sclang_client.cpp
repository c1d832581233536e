// The sclang client (sclang/TensorHaus): a headless sclang drives the real OscCommandServer in
// front of a LiveEngine (not ticking: only its command side answers) with the TensorHaus
// class — every command once and two refused ones. Checks the commands the engine received
// (kinds and arguments), the replies the class got, in order, and what it posted.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "control/live_engine.h"
#include "control/osc_server.h"
#include "sched/clocks.h"
#include "sched/timeline.h"
#include "support.h"

namespace th::control {
namespace {

std::shared_ptr<const music::Composition> set() {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(8);
  for (int b = 0; b < 8; ++b) {
    music::Event e;
    e.instrument = b % 2 ? "hat" : "kick";
    e.onset = Beats(b);
    e.duration = Beats(1, 4);
    c->events.push_back(e);
  }
  music::sort_events(c->events);
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"intro", "acid", Beats(0), Beats(4)}, {"drop", "acid", Beats(4), Beats(8)}};
  return c;
}

CommandContext context() {
  CommandContext ctx;
  ctx.num_layers = 8;
  ctx.sections = {"intro", "drop"};
  ctx.patterns = {"acid", "house"};
  ctx.instruments = {"kick", "hat", "drums"};
  return ctx;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("sclang client: every command through the TensorHaus class, replies posted") {
  if (std::system("command -v sclang >/dev/null 2>&1") != 0) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("sclang missing under CI");
    WARN("SKIP: needs sclang (supercollider-language); not run");
    return;
  }
  sched::ManualClock clock(0);
  sched::TempoTimeline timeline(120, 0);
  LiveClockOf<sched::ManualClock> lc(clock);
  struct Null final : sched::Sink {
    void note_on(sched::VoiceId, const music::Event&, sched::HostMicros) override {}
    void note_off(sched::VoiceId, sched::HostMicros) override {}
  } out;
  LiveEngine engine(lc, timeline, out, music::default_instruments(),
                    [](const Command& c) -> Recomposed {
                      if (c.kind == CommandKind::model)
                        throw std::runtime_error("model: " + c.text + " is not a model folder");
                      return {set(), context()};
                    });
  engine.start({set(), context()});
  std::mutex mu;
  std::vector<Command> received;
  OscCommandServer server(0, 0x7f000001, [&](const Command& c, Reply reply) {
    {
      std::lock_guard lock(mu);
      received.push_back(c);
    }
    engine.submit(c, std::move(reply));
  });
  server.start();

  const auto dir = test::scratch("sclang_client");
  const auto conf = dir / "sclang_conf.yaml";
  std::ofstream(conf) << "includePaths:\n    -   "
                      << (test::source_dir() / "sclang/TensorHaus").string()
                      << "\nexcludePaths:\n    []\npostInlineWarnings: false\n";
  const auto log = dir / "sclang.txt";
  const auto tests = test::source_dir() / "tests/control";
  const std::string cmd = "cd " + dir.string() + " && HOME=" + dir.string() +
                          " XDG_RUNTIME_DIR=" + dir.string() +
                          " QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 timeout 60 "
                          "sclang -l " +
                          conf.string() + " " + (tests / "sclang_run.scd").string() + " " +
                          (tests / "sclang_drive.scd").string() + " " +
                          std::to_string(server.port()) + " > " + log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  server.stop();
  const std::string text = slurp(log);
  INFO(text);
  REQUIRE(status == 0);

  std::vector<std::string> replies;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("REPLY ", 0) == 0) replies.push_back(line.substr(6));
  const std::vector<std::string> want = {
      "ok layer ",   "ok layers ",  "ok prompt ",
      "ok section ", "ok pattern ", "ok tempo ",
      "ok mute ",    "ok solo ",    "error model model: /no/such/model is not a model folder",
      "ok reload ",  "ok quant ",   "ok quant ",
      "ok status",   "ok panic "};
  REQUIRE(replies.size() == want.size() + 2);
  // The status reply carries the state line (`ok status beat … | tempo …`).
  for (std::size_t i = 0; i < want.size(); ++i)
    if (want[i] == "ok status")
      CHECK_THAT(replies[i], Catch::StartsWith("ok status beat ") && Catch::Contains("| tempo "));
    else
      CHECK(replies[i] == want[i]);
  CHECK_THAT(text, Catch::Contains("TensorHaus: status | beat "));
  CHECK_THAT(replies[14], Catch::StartsWith("error layer layer:") && Catch::Contains("99"));
  CHECK_THAT(replies[15],
             Catch::StartsWith("error section section:") && Catch::Contains("nowhere"));
  // What the post window showed.
  CHECK_THAT(text, Catch::Contains("TensorHaus: ok layer"));
  CHECK_THAT(text,
             Catch::Contains("TensorHaus: error: model: /no/such/model is not a model folder"));

  // The arguments arrived as the grammar wants them.
  std::lock_guard lock(mu);
  REQUIRE(received.size() == 16);
  CHECK((received[0].kind == CommandKind::layer && received[0].a == 3));
  CHECK((received[1].kind == CommandKind::layers && received[1].a == 2 && received[1].b == 5));
  CHECK((received[2].kind == CommandKind::prompt && received[2].text == "hello world"));
  CHECK((received[3].kind == CommandKind::section && received[3].text == "drop"));
  CHECK((received[4].kind == CommandKind::pattern && received[4].text == "house"));
  CHECK((received[5].kind == CommandKind::tempo && received[5].bpm == 128.5));
  CHECK((received[6].kind == CommandKind::mute && received[6].text == "hat"));
  CHECK((received[7].kind == CommandKind::solo && received[7].text == "drums"));
  CHECK((received[8].kind == CommandKind::model && received[8].text == "/no/such/model"));
  CHECK(received[9].kind == CommandKind::reload);
  CHECK((received[10].kind == CommandKind::quant && received[10].a == -1));
  CHECK((received[11].kind == CommandKind::quant && received[11].a == 8));
  CHECK(received[12].kind == CommandKind::status);
  CHECK(received[13].kind == CommandKind::panic);
}

}  // namespace th::control
