// Faults on the control side (issue 6): a client floods the OSC port with thousands of commands
// (valid, invalid, oversized, junk, slow recomposes) and then goes away without reading a reply.
// The engine plays on meanwhile (a real scheduler thread on the steady clock keeps starting
// notes), every recompose but the newest is replaced, and a fresh client is answered at once.
// Bounded waits only; what is checked are counts and answers.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "control/live_engine.h"
#include "control/osc_server.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "sched/clocks.h"
#include "sched/timeline.h"

namespace th::control {
namespace {

using namespace std::chrono_literals;

struct CountingSink final : sched::Sink {
  std::atomic<std::uint64_t> on{0}, off{0};
  void note_on(sched::VoiceId, const music::Event&, sched::HostMicros) override { ++on; }
  void note_off(sched::VoiceId, sched::HostMicros) override { ++off; }
};

// 8 beats of kicks and hats at 120 BPM: a note every quarter second.
std::shared_ptr<const music::Composition> set() {
  auto c = std::make_shared<music::Composition>();
  c->length = Beats(8);
  for (int b = 0; b < 16; ++b) {
    music::Event e;
    e.instrument = b % 2 ? "hat" : "kick";
    e.onset = Beats(b, 2);
    e.duration = Beats(1, 4);
    c->events.push_back(e);
  }
  c->tempo = {{Beats(0), 120}};
  c->sections = {{"A", "acid", Beats(0), Beats(8)}};
  return c;
}

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace

TEST_CASE("control: a flooding client that vanishes leaves the set playing and the port answering",
          "[live]") {
  sched::SteadyClock steady;
  sched::TempoTimeline timeline(120, steady.now());
  LiveClockOf<sched::SteadyClock> clock(steady);
  CountingSink sink;
  std::atomic<int> composed{0};
  CommandContext ctx;
  ctx.sections = {"A"};
  LiveEngine engine(clock, timeline, sink, music::default_instruments(),
                    [&](const Command&) -> Recomposed {
                      std::this_thread::sleep_for(100ms);  // a prompt's forward passes
                      ++composed;
                      return {set(), ctx};
                    });
  engine.start({set(), ctx});
  std::atomic<bool> stop{false};
  std::thread scheduler([&] { engine.run(stop); });
  OscCommandServer server(
      0, 0x7f000001, [&](const Command& c, Reply reply) { engine.submit(c, std::move(reply)); });
  server.start();
  REQUIRE(wait_for([&] { return sink.on.load() >= 2; }, 5s));  // playing

  // The flood: 4000 datagrams as fast as the socket takes them; no reply is ever read.
  std::size_t sent = 0;
  {
    io::UdpSocket flooder;
    const io::UdpEndpoint to{0x7f000001, server.port()};
    const std::array<std::vector<std::byte>, 8> kinds{
        io::encode_message({"/th/tempo", {std::int32_t(121)}}),
        io::encode_message({"/th/mute", {std::string("hat")}}),
        io::encode_message({"/th/prompt", {std::string("again and again")}}),
        io::encode_message({"/th/status", {}}),
        io::encode_message({"/th/layer", {std::int32_t(-3)}}),  // refused
        io::encode_message({"/th/nonsense", {}}),               // unknown
        io::encode_message({"/elsewhere", {std::int32_t(1)}}),  // not ours: dropped
        std::vector<std::byte>(OscCommandServer::kMaxPacket + 1, std::byte{'x'})};  // oversized
    for (int i = 0; i < 4000; ++i) sent += flooder.send_to(to, kinds[i % kinds.size()]);
  }  // the flooder's socket closes: its replies go nowhere
  REQUIRE(sent > 0);

  // A new client is answered, and the set still plays.
  io::UdpSocket client;
  std::optional<io::OscMessage> answer;
  REQUIRE(wait_for(
      [&] {
        client.send_to({0x7f000001, server.port()}, io::encode_message({"/th/status", {}}));
        std::array<std::byte, 2048> buf;
        if (const auto n = client.receive(buf, 200))
          answer = io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr);
        return answer.has_value();
      },
      10s));
  // The engine's status answer carries its state line.
  CHECK(answer->address == "/th/ok");
  REQUIRE(answer->args.size() == 2);
  CHECK(answer->args[0] == io::OscArg(std::string("status")));
  CHECK_THAT(std::get<std::string>(answer->args[1]), Catch::StartsWith("beat "));
  const auto before = sink.on.load();
  CHECK(wait_for([&] { return sink.on.load() >= before + 4; }, 5s));

  // Recomposes: the slow ones ran one at a time; nearly every queued one was replaced.
  REQUIRE(wait_for([&] { return engine.recomposing() == 0; }, 30s));
  INFO(composed.load() << " recomposes ran; " << server.dropped() << " datagrams dropped");
  CHECK(composed.load() >= 1);
  CHECK(composed.load() < 100);  // 500 prompts were sent
  CHECK(server.dropped() > 0);   // the foreign address and the oversized packets
  CHECK(server.handled() > 0);

  engine.stop_composer();
  server.stop();
  stop = true;
  scheduler.join();
  // Every voice released once the set ended.
  CHECK(sink.off.load() == sink.on.load());
}

}  // namespace th::control
