// `tensorhaus live` end to end against a real scsynth under a dummy JACK server: the set plays
// for a few seconds (--duration), /th/tempo and /th/section sent over loopback are answered
// /th/ok (a bad section /th/error), a prompt recomposes without holding up the port, the program
// exits 0, and afterwards the server holds the mix only — every voice was released. Bounded waits
// on real processes; counts and order, not timing.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "io/live_mix.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "io/scsynth_client.h"
#include "live_server_fixture.h"
#include "music/instruments.h"

namespace th {
namespace {

using namespace std::chrono_literals;

std::optional<io::OscMessage> ask(io::UdpSocket& s, std::uint16_t port, const io::OscMessage& m) {
  const auto bytes = io::encode_message(m);
  REQUIRE(s.send_to({0x7f000001, port}, bytes));
  std::array<std::byte, 2048> buf;
  // The first command may wait for the set to start; recomposing takes a while under load.
  const auto n = s.receive(buf, 20000);
  if (!n) return std::nullopt;
  return io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr);
}

// Asks /th/status until the command port answers (the set composes first; bounded: 60 s).
std::optional<io::OscMessage> first_answer(io::UdpSocket& s, std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    s.send_to({0x7f000001, port}, io::encode_message(io::OscMessage{"/th/status", {}}));
    std::array<std::byte, 2048> buf;
    if (const auto n = s.receive(buf, 500))
      return io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("live command: a short set over OSC, clean exit, no stuck notes", "[live][scsynth]") {
  test::LiveServerFixture server("live_command", 2);
  const auto dir = test::scratch("live_command_out");
  io::ScsynthClient probe(server.endpoint());
  REQUIRE(probe.wait_ready(15000));
  REQUIRE(std::filesystem::exists(test::tensorhaus_bin()));

  const std::uint16_t control = test::unique_port(3);
  const std::string cmd =
      "cd " + test::source_dir().string() + " && TH_CACHE_DIR=" + (dir / "cache").string() +
      " timeout 120 " + test::tensorhaus_bin().string() +
      " live sessions/demo.toml --scsynth 127.0.0.1:" + std::to_string(server.endpoint().port) +
      " --control-port " + std::to_string(control) +
      " --quantum 1 --output-latency-ms 5 --duration 10 < /dev/null > " +
      (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
  std::thread runner;
  int status = -1;
  runner = std::thread([&] { status = std::system(cmd.c_str()); });

  io::UdpSocket client;
  // Wait until the command port answers (the set composes first).
  const auto r = first_answer(client, control);
  REQUIRE(r);
  CHECK(r->address == "/th/ok");
  const auto t = ask(client, control, {"/th/tempo", {std::int32_t(140)}});
  REQUIRE(t);
  CHECK(t->address == "/th/ok");
  const auto s = ask(client, control, {"/th/section", {std::string("drop")}});
  REQUIRE(s);
  CHECK(s->address == "/th/ok");
  // A prompt recomposes the set (a forward pass per section) on the composer thread: the
  // status sent right after it is answered first, the prompt when its set is ready.
  REQUIRE(client.send_to({0x7f000001, control},
                         io::encode_message(io::OscMessage{
                             "/th/prompt", {std::string("And God said, Let there be light")}})));
  const auto first = ask(client, control, {"/th/status", {}});
  REQUIRE(first);
  CHECK(first->address == "/th/ok");
  REQUIRE(first->args.size() == 2);  // status and the state line
  CHECK(std::get<std::string>(first->args[0]) == "status");
  CHECK(std::get<std::string>(first->args[1]).starts_with("beat "));
  std::array<std::byte, 2048> buf;
  const auto n = client.receive(buf, 20000);
  REQUIRE(n);
  CHECK(io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr) ==
        io::OscMessage{"/th/ok", {std::string("prompt")}});
  // A model folder that does not load: refused by name; the set plays on.
  const auto model = ask(client, control, {"/th/model", {std::string("/no/such/model")}});
  REQUIRE(model);
  CHECK(model->address == "/th/error");
  REQUIRE(model->args.size() == 2);
  CHECK(std::get<std::string>(model->args[1]).find("/no/such/model") != std::string::npos);
  const auto bad = ask(client, control, {"/th/section", {std::string("nowhere")}});
  REQUIRE(bad);
  CHECK(bad->address == "/th/error");
  runner.join();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // The mix's own synths (strips, effects, master) stay; every voice is gone.
  io::LiveMixOptions mo;
  mo.work_dir = dir;
  const auto mix = io::build_live_mix(music::default_instruments(), mo);
  int mix_synths = 0;
  for (const auto& b : mix.setup.bundles())
    for (const auto& m : b.messages)
      if (m.address == "/s_new") ++mix_synths;
  std::optional<io::StatusReply> st;
  const auto until = std::chrono::steady_clock::now() + 10s;
  do {
    st = probe.status(1000);
  } while ((!st || st->synths != mix_synths) && std::chrono::steady_clock::now() < until &&
           (std::this_thread::sleep_for(100ms), true));
  REQUIRE(st);
  CHECK(st->synths == mix_synths);
}

TEST_CASE("live command: an edited session reloads the set; a broken pattern edit is refused",
          "[live][scsynth]") {
  test::LiveServerFixture server("live_reload", 4);
  const auto dir = test::scratch("live_reload_out");
  namespace fs = std::filesystem;
  fs::remove_all(dir / "patterns");
  fs::copy(test::source_dir() / "patterns", dir / "patterns", fs::copy_options::recursive);
  const auto session = dir / "set.toml";
  const auto write_session = [&](int tempo) {
    std::ofstream(session) << "name = \"reload\"\nmodel = \""
                           << (test::source_dir() / "models/pocket").string() << "\"\npatterns = \""
                           << (dir / "patterns").string() << "\"\ntempo = " << tempo
                           << "\n\n[[section]]\nname = \"acid\"\npattern = \"acid\"\nbars = 8\n";
  };
  write_session(138);
  io::ScsynthClient probe(server.endpoint());
  REQUIRE(probe.wait_ready(15000));

  const std::uint16_t control = test::unique_port(5);
  const auto out = dir / "out.txt";
  const std::string cmd =
      "cd " + test::source_dir().string() + " && TH_CACHE_DIR=" + (dir / "cache").string() +
      " timeout 120 " + test::tensorhaus_bin().string() + " live " + session.string() +
      " --scsynth 127.0.0.1:" + std::to_string(server.endpoint().port) + " --control-port " +
      std::to_string(control) + " --quantum 1 --duration 12 < /dev/null > " + out.string() +
      " 2> " + (dir / "err.txt").string();
  int status = -1;
  std::thread runner([&] { status = std::system(cmd.c_str()); });
  const auto seen = [&](const std::string& text, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in(out);
      const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (s.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  io::UdpSocket client;
  const auto r = first_answer(client, control);
  REQUIRE(r);  // playing

  write_session(140);
  CHECK(seen("live: set.toml changed: reloading", 20s));
  CHECK(seen("live: reloaded", 20s));
  std::ofstream(dir / "patterns/acid.toml", std::ios::app) << "\nnot toml at all [\n";
  CHECK(seen("live: acid.toml changed: reloading", 20s));
  CHECK(seen("live: reload refused: ", 20s));
  runner.join();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);     // the set played on to the end
  CHECK(seen("| tempo 140.0 |", 1s));  // the edited session's tempo, in the final status line
}

TEST_CASE("live command: an output latency the lookahead cannot cover is refused by name",
          "[live]") {
  const auto dir = test::scratch("live_latency_bad");
  const std::string cmd = "cd " + test::source_dir().string() + " && " +
                          test::tensorhaus_bin().string() +
                          " live sessions/acid.toml --lookahead-ms 50 --output-latency-ms -60 "
                          "--duration 1 < /dev/null > " +
                          (dir / "out.txt").string() + " 2> " + (dir / "err.txt").string();
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  std::ifstream in(dir / "err.txt");
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(err.find("--output-latency-ms") != std::string::npos);
  CHECK(err.find("-60") != std::string::npos);
}

}  // namespace th
