// `tensorhaus live --midi-out` end to end: a real scsynth under a private dummy jackd, MIDI
// read back with jack_midi_dump on the same server. The MIDI stream starts with 0xFA, ends
// with 0xFC, carries one note-on for every event of the set's log (FILE.events.jsonl from
// --record), leaves no key sounding, and its clock covers every logged beat at 24 ppqn. And
// without a JACK server: one warning line, and the set plays on. Bounded waits on real
// processes; counts and order, not timing.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "io/scsynth_client.h"
#include "io/udp_socket.h"
#include "live_server_fixture.h"
#include "midi_jack_fixture.h"
#include "music/events_jsonl.h"

namespace th {
namespace {

using namespace std::chrono_literals;
using Bytes = test::MidiBytes;
using test::slurp_file;

std::string live_command(const std::filesystem::path& dir, std::uint16_t scsynth,
                         const std::string& jack, const std::string& extra) {
  return "cd " + test::source_dir().string() + " && JACK_DEFAULT_SERVER=" + jack +
         " TH_CACHE_DIR=" + (dir / "cache").string() + " timeout 120 " +
         test::tensorhaus_bin().string() +
         " live sessions/demo.toml --scsynth 127.0.0.1:" + std::to_string(scsynth) +
         " --control-port 0 --duration 4 " + extra + " < /dev/null > " +
         (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
}

}  // namespace

TEST_CASE("live midi: notes and clock of a set reach a JACK MIDI port", "[live][scsynth][midi]") {
  if (!test::have_jack_tools()) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("jackd / jack_midi_dump missing under CI");
    WARN("SKIP: needs jackd, jack_midi_dump, jack_lsp and stdbuf (jackd2); not run");
    return;
  }
  REQUIRE(std::filesystem::exists(test::tensorhaus_bin()));
  test::LiveServerFixture server("live_midi", 6);
  io::ScsynthClient probe(server.endpoint());
  REQUIRE(probe.wait_ready(15000));
  const std::string jack = server.process->options().jack_name;
  const auto dir = test::scratch("live_midi_out");

  SECTION("a JACK server: the set's MIDI") {
    ::setenv("JACK_DEFAULT_SERVER", jack.c_str(), 1);
    const std::string client = fmt::format("thlivedump{}", ::getpid());
    const pid_t dumper = test::spawn_to_file({"stdbuf", "-oL", "jack_midi_dump", client},
                                             (dir / "dump.txt").string(), false);
    bool ready = false;
    for (int i = 0; i < 500 && dumper > 0 && !ready; ++i) {
      std::string ports;
      if (FILE* p = ::popen("jack_lsp 2>/dev/null", "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, p)) ports += buf;
        ::pclose(p);
      }
      ready = ports.find(client + ":input") != std::string::npos;
      if (!ready) std::this_thread::sleep_for(20ms);
    }
    ::unsetenv("JACK_DEFAULT_SERVER");
    const std::size_t xruns_before =
        test::jack_xruns(server.process->options().log_dir / "jackd.log");
    int status = -1;
    if (ready) {
      status = std::system(
          live_command(dir, server.endpoint().port, jack,
                       "--midi-out " + client + " --record " + (dir / "set.wav").string())
              .c_str());
      std::this_thread::sleep_for(300ms);  // jack_midi_dump prints the last cycles
    }
    // JACK drops a cycle's MIDI when a client misses its deadline (scsynth on a busy machine):
    // exact counts only when it did not while the set played.
    const bool exact =
        test::jack_xruns(server.process->options().log_dir / "jackd.log") == xruns_before;
    test::end_pid(dumper);
    REQUIRE(ready);
    INFO(slurp_file(dir / "err.txt"));
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK_THAT(slurp_file(dir / "err.txt"), Catch::Contains("MIDI out on JACK port"));

    const auto msgs = test::read_midi_dump(dir / "dump.txt");
    const auto log = music::read_events_jsonl(dir / "set.events.jsonl");
    REQUIRE(!log.empty());
    REQUIRE(msgs.size() > log.size() / 2);
    std::size_t ons = 0, clocks = 0, start = msgs.size(), stop = 0;
    std::map<int, bool> sounding;  // channel·128 + key
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      const auto& m = msgs[i];
      if (m == Bytes{0xF8}) ++clocks;
      if (m == Bytes{0xFA}) start = std::min(start, i);
      if (m == Bytes{0xFC}) stop = i;
      if (m.size() != 3) continue;
      const int kind = m[0] & 0xF0, ch = m[0] & 0x0F, key = ch * 128 + m[1];
      if (kind == 0x90 && m[2] > 0) {
        ++ons;
        sounding[key] = true;
      } else if (kind == 0x80) {
        sounding[key] = false;
      } else if (kind == 0xB0 && m[1] == 123) {  // All Notes Off
        for (auto& [k, on] : sounding)
          if (k / 128 == ch) on = false;
      }
    }
    for (const auto& [key, on] : sounding) CHECK_FALSE(on);  // nothing left sounding
    const double last_beat = log.back().event.onset.to_double();
    if (exact) {
      CHECK(start == 0);
      CHECK(stop == msgs.size() - 1);
      CHECK(ons == log.size());  // one note-on per event the set sent
      // The clock runs from the start to past the last logged onset (24 ticks per beat).
      CHECK(clocks >= static_cast<std::size_t>(24 * last_beat) + 1);
    } else {
      WARN("jackd missed cycles during the set: " << ons << " of " << log.size()
                                                  << " note-ons arrived");
      CHECK(ons <= log.size());
      CHECK(ons * 10 >= log.size() * 8);
      CHECK(clocks * 10 >= static_cast<std::size_t>(24 * last_beat) * 8);
    }
  }

  SECTION("no JACK server: one warning, the set plays on") {
    const int status =
        std::system(live_command(dir, server.endpoint().port, fmt::format("th_none_{}", ::getpid()),
                                 "--midi-out thnone")
                        .c_str());
    const std::string err = slurp_file(dir / "err.txt");
    INFO(err);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::size_t warnings = 0, lines = 0;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line); ++lines)
      warnings += line.find("warning: --midi-out thnone: no MIDI output") != std::string::npos;
    CHECK(warnings == 1);
    // libjack's own complaints stay off stderr: only the live command's lines.
    CHECK(err.find("Cannot connect to server") == std::string::npos);
    const std::string out = slurp_file(dir / "out.txt");
    CHECK_THAT(out, Catch::Contains("notes "));
    CHECK(out.find("notes 0 ") == std::string::npos);  // it played
    CHECK(out.find("midi:") == std::string::npos);
  }
}

}  // namespace th
