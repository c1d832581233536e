// The OSC command server over loopback: replies /th/ok and /th/error to the sender, hands
// parsed commands to the handler, and drops malformed, oversized and foreign packets without
// replying. Waits for datagrams with bounded timeouts (no timing is tested).
#include <catch2/catch.hpp>

#include <array>
#include <mutex>
#include <vector>

#include "control/osc_server.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"

namespace th::control {
namespace {

std::optional<io::OscMessage> ask(io::UdpSocket& s, std::uint16_t port,
                                  std::span<const std::byte> bytes, int timeout_ms = 2000) {
  REQUIRE(s.send_to({0x7f000001, port}, bytes));
  std::array<std::byte, 4096> buf;
  const auto n = s.receive(buf, timeout_ms);
  if (!n) return std::nullopt;
  return io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr);
}

}  // namespace

TEST_CASE("osc server: replies ok and error, drops junk") {
  std::mutex mu;
  std::vector<Command> got;
  OscCommandServer server(0, 0x7f000001, [&](const Command& c, const Reply& reply) {
    std::lock_guard lock(mu);
    got.push_back(c);
    if (c.kind == CommandKind::status)
      reply({"", "beat 1.00 | tempo 120.0"});  // an answer's info is sent after the name
    else
      reply(c.kind == CommandKind::section && c.text == "nowhere" ? "section: no such section"
                                                                  : "");
  });
  server.start();
  io::UdpSocket client;
  const auto port = server.port();

  auto r = ask(client, port, io::encode_message({"/th/status", {}}));
  REQUIRE(r);
  CHECK(*r ==
        io::OscMessage{"/th/ok", {std::string("status"), std::string("beat 1.00 | tempo 120.0")}});
  r = ask(client, port, io::encode_message({"/th/tempo", {std::int32_t(140)}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{"/th/ok", {std::string("tempo")}});

  r = ask(client, port, io::encode_message({"/th/section", {std::string("nowhere")}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{"/th/error",
                             {std::string("section"), std::string("section: no such section")}});

  r = ask(client, port, io::encode_message({"/th/layers", {std::int32_t(5), std::int32_t(2)}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{
                  "/th/error",
                  {std::string("layers"), std::string("layers: expected A <= B, found 5 > 2")}});

  r = ask(client, port, io::encode_message({"/th/dance", {}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{"/th/error",
                             {std::string("dance"), std::string("unknown command 'dance'")}});

  // Junk gets no reply: malformed bytes, a foreign address, an oversized datagram.
  const std::array<std::byte, 5> junk{std::byte{'/'}, std::byte{'t'}, std::byte{'h'}, std::byte{0},
                                      std::byte{1}};
  CHECK_FALSE(ask(client, port, junk, 300));
  CHECK_FALSE(ask(client, port, io::encode_message({"/foo", {}}), 300));
  std::vector<std::byte> big =
      io::encode_message({"/th/prompt", {std::string(OscCommandServer::kMaxPacket + 100, 'a')}});
  CHECK_FALSE(ask(client, port, big, 300));

  // Still alive after the junk.
  r = ask(client, port, io::encode_message({"/th/panic", {}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{"/th/ok", {std::string("panic")}});
  server.stop();

  CHECK(server.dropped() == 3);
  std::lock_guard lock(mu);
  REQUIRE(got.size() == 4);  // status, tempo, section, panic reached the handler
  CHECK(got[0].kind == CommandKind::status);
  CHECK(got[1].kind == CommandKind::tempo);
  CHECK(got[1].bpm == 140);
  CHECK(got[2].kind == CommandKind::section);
  CHECK(got[3].kind == CommandKind::panic);
}

TEST_CASE("osc server: a command answered later holds up none after it") {
  std::mutex mu;
  Reply held;  // the prompt's answer, given only after the tempo was answered
  OscCommandServer server(0, 0x7f000001, [&](const Command& c, Reply reply) {
    std::lock_guard lock(mu);
    if (c.kind == CommandKind::prompt)
      held = std::move(reply);
    else
      reply("");
  });
  server.start();
  io::UdpSocket client;
  const auto port = server.port();
  const auto prompt = io::encode_message({"/th/prompt", {std::string("sing")}});
  client.send_to({0x7f000001, port}, prompt);
  auto r = ask(client, port, io::encode_message({"/th/tempo", {140.0f}}));
  REQUIRE(r);
  CHECK(*r == io::OscMessage{"/th/ok", {std::string("tempo")}});
  {
    std::lock_guard lock(mu);
    REQUIRE(held);
    held("prompt: the model said no");  // from this thread, as a composer thread would
  }
  std::array<std::byte, 4096> buf;
  const auto n = client.receive(buf, 2000);
  REQUIRE(n);
  CHECK(io::decode_message(std::span<const std::byte>(buf.data(), *n), nullptr) ==
        io::OscMessage{"/th/error",
                       {std::string("prompt"), std::string("prompt: the model said no")}});
  server.stop();
  CHECK(server.handled() == 2);
  CHECK(server.answered() == 2);
}

}  // namespace th::control
