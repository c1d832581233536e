// The live REPL on a real pseudo-terminal (raw mode, completion, history recall, replies above
// the line, history saved, the terminal's mode restored) and on a pipe (plain lines). The
// engine is a real LiveEngine on a manual clock; commands here are answered without ticks.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "control/osc_server.h"
#include "control/terminal_repl.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "sched/clocks.h"
#include "sched/timeline.h"
#include "support.h"

namespace th::control {
namespace {

struct NullSink final : sched::Sink {
  void note_on(sched::VoiceId, const music::Event&, sched::HostMicros) override {}
  void note_off(sched::VoiceId, sched::HostMicros) override {}
};

std::shared_ptr<const music::Composition> set() {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(4);
  music::Event e;
  e.instrument = "kick";
  e.duration = Beats(1, 4);
  c->events.push_back(e);
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"intro", "acid", Beats(0), Beats(2)}, {"drop", "acid", Beats(2), Beats(4)}};
  return c;
}

struct Engine {
  sched::ManualClock clock{0};
  sched::TempoTimeline timeline{120, 0};
  NullSink sink;
  LiveClockOf<sched::ManualClock> lc{clock};
  LiveEngine engine{lc, timeline, sink, music::default_instruments(),
                    [](const Command&) -> Recomposed { throw std::runtime_error("unused"); }};
  Engine() {
    CommandContext ctx;
    ctx.sections = {"intro", "drop"};
    engine.start({set(), ctx});
  }
};

// Reads what the terminal shows until `want` appears (bounded: 10 s).
std::string read_until(int fd, std::string& seen, const std::string& want) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.find(want) == std::string::npos && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[1024];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) seen.append(buf, static_cast<std::size_t>(n));
  }
  return seen;
}

void send(int fd, std::string_view bytes) {
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

// What a REPL on a pipe prints for `input` (which it reads to its end).
std::string repl_output(TerminalRepl::Submit submit, Engine& e, std::string_view input) {
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  std::FILE* w = ::fdopen(out[1], "w");
  REQUIRE(w);
  TerminalRepl repl(e.engine, in[0], w);
  if (submit) repl.set_submit(std::move(submit));
  send(in[1], input);
  ::close(in[1]);
  std::atomic<bool> stop{false};
  repl.run(stop);
  std::fclose(w);
  std::string seen;
  char buf[1024];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    seen.append(buf, static_cast<std::size_t>(n));
  ::close(in[0]);
  ::close(out[0]);
  return seen;
}

}  // namespace

TEST_CASE("terminal repl: on a pty, completion, history and replies above the line") {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(slave >= 0);
  const auto history = test::scratch("terminal_repl") / "history";
  std::filesystem::remove(history);
  ::setenv("TH_HISTORY", history.c_str(), 1);

  Engine e;
  std::FILE* out = ::fdopen(::dup(slave), "w");
  REQUIRE(out);
  {
    TerminalRepl repl(e.engine, slave, out);
    std::atomic<bool> stop{false};
    std::thread t([&] { repl.run(stop); });
    std::string seen;
    read_until(master, seen, "live> ");
    // Raw mode: keys arrive one by one, nothing is echoed by the terminal itself.
    termios mode{};
    REQUIRE(::tcgetattr(slave, &mode) == 0);
    CHECK((mode.c_lflag & ICANON) == 0);
    CHECK((mode.c_lflag & ECHO) == 0);

    send(master, "tem\t140\r");  // Tab completes "tempo "
    read_until(master, seen, "ok tempo");
    CHECK(seen.find("tempo 140") != std::string::npos);
    send(master, "section dr\t\r");
    read_until(master, seen, "ok section");
    send(master, "section nowhere\r");
    read_until(master, seen, "error: section: no section 'nowhere' (known: intro, drop)");
    CHECK(seen.find("error: section: no section 'nowhere' (known: intro, drop)") !=
          std::string::npos);
    // ↑ recalls the last line; ← and Backspace edit it into a valid one.
    seen.clear();
    send(master, "\x1b[A");
    read_until(master, seen, "section nowhere");
    send(master,
         "\x7f\x7f\x7f\x7f\x7f\x7f\x7f"
         "intro\r");
    read_until(master, seen, "ok section");
    // Every reply line is cleared and the prompt drawn again after it.
    CHECK(seen.find("\r\x1b[Kok section") != std::string::npos);
    send(master, "\x04");  // Ctrl-D on an empty line ends the REPL, not the set
    read_until(master, seen, "input closed");
    t.join();
    REQUIRE(::tcgetattr(slave, &mode) == 0);
    CHECK((mode.c_lflag & ICANON) != 0);  // restored
  }
  std::fclose(out);
  ::unsetenv("TH_HISTORY");
  std::ifstream h(history);
  std::stringstream lines;
  lines << h.rdbuf();
  CHECK(lines.str() == "tempo 140\nsection drop \nsection nowhere\nsection intro\n");
  ::close(slave);
  ::close(master);
}

TEST_CASE("terminal repl: from a pipe, one reply line per command") {
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  Engine e;
  std::FILE* w = ::fdopen(out[1], "w");
  REQUIRE(w);
  TerminalRepl repl(e.engine, in[0], w);
  send(in[1], "tempo 140\nbogus\n\nsection intro\nstatus\n");
  ::close(in[1]);
  std::atomic<bool> stop{false};
  repl.run(stop);  // returns at the end of input
  std::fclose(w);
  std::string seen;
  read_until(out[0], seen, "beat");
  std::istringstream lines(seen);
  std::string l;
  std::vector<std::string> got;
  while (std::getline(lines, l)) got.push_back(l);
  REQUIRE(got.size() == 4);
  CHECK(got[0] == "ok tempo");
  CHECK(got[1] == "error: unknown command 'bogus'");
  CHECK(got[2] == "ok section");
  CHECK(got[3] == e.engine.status_line());
  ::close(in[0]);
  ::close(out[0]);
}

TEST_CASE("terminal repl: an answer's info text is the reply line, whatever the command") {
  Engine e;
  const auto out = repl_output(
      [](const Command& c, Reply r) {
        r(c.kind == CommandKind::tempo ? Answer{"", "tempo is now 140"} : Answer{});
      },
      e, "tempo 140\npanic\n");
  CHECK(out == "tempo is now 140\nok panic\n");
}

TEST_CASE("status: the engine's state line reaches the OSC reply and the REPL alike") {
  Engine e;
  OscCommandServer server(0, 0x7f000001,
                          [&e](const Command& c, Reply r) { e.engine.submit(c, std::move(r)); });
  server.start();
  io::UdpSocket client;
  REQUIRE(client.send_to({0x7f000001, server.port()}, io::encode_message({"/th/status", {}})));
  std::array<std::byte, 4096> buf;
  const auto n = client.receive(buf, 2000);
  server.stop();
  REQUIRE(n);
  const auto osc = io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr);
  const auto repl = repl_output({}, e, "status\n");

  // No ticks on the manual clock: the state line stays the same between the two asks.
  const std::string line = e.engine.status_line();
  CHECK_THAT(line, Catch::StartsWith("beat ") && Catch::Contains(" | tempo "));
  CHECK(osc == io::OscMessage{"/th/ok", {std::string("status"), line}});
  CHECK(repl == line + "\n");
}

}  // namespace th::control
