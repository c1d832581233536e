// OSC encoder (byte-exact against packets derived by hand from the OSC 1.0 spec), the
// validating decoder, and scsynth reply parsing.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "io/scsynth_commands.h"
#include "io/scsynth_replies.h"

using namespace th::io;

namespace {

// Bytes from a mix of text (copied without terminator) and raw byte values.
struct B {
  std::vector<std::byte> v;
  B& s(const char* text, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) v.push_back(std::byte(static_cast<unsigned char>(text[i])));
    return *this;
  }
  B& x(std::initializer_list<int> bytes) {
    for (int b : bytes) v.push_back(std::byte(b));
    return *this;
  }
};

std::vector<std::byte> span_bytes(std::span<const std::byte> s) {
  return {s.begin(), s.end()};
}

}  // namespace

TEST_CASE("osc: /n_free 1001 encodes as address, ',i', big-endian int32") {
  auto expected = B{}.s("/n_free\0", 8).s(",i\0\0", 4).x({0x00, 0x00, 0x03, 0xE9}).v;
  CHECK(encode_message(sc::n_free(1001)) == expected);
}

TEST_CASE("osc: /s_new with string, negative int and float control") {
  const sc::Control amp[] = {{"amp", 0.5f}};
  auto m = sc::s_new("kick909", -1, sc::AddAction::head, 100, amp);
  auto expected = B{}.s("/s_new\0\0", 8)
                      .s(",siiisf\0", 8)
                      .s("kick909\0", 8)
                      .x({0xFF, 0xFF, 0xFF, 0xFF})
                      .x({0, 0, 0, 0})
                      .x({0, 0, 0, 0x64})
                      .s("amp\0", 4)
                      .x({0x3F, 0x00, 0x00, 0x00})
                      .v;
  CHECK(encode_message(m) == expected);
}

TEST_CASE("osc: double, int64 and a blob padded to 4 bytes") {
  OscMessage m{"/x", {1.0, std::int64_t{-2}, OscBlob{{std::byte{1}, std::byte{2}, std::byte{3}}}}};
  auto expected = B{}.s("/x\0\0", 4)
                      .s(",dhb\0\0\0\0", 8)
                      .x({0x3F, 0xF0, 0, 0, 0, 0, 0, 0})
                      .x({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE})
                      .x({0, 0, 0, 3, 1, 2, 3, 0})
                      .v;
  CHECK(encode_message(m) == expected);
}

TEST_CASE("osc: bundle with NTP timetag 1.5 s and two elements") {
  std::vector<OscMessage> ms{sc::status(), sc::n_free(7)};
  auto expected = B{}.s("#bundle\0", 8)
                      .x({0, 0, 0, 1, 0x80, 0, 0, 0})  // 1 s + 2^31/2^32
                      .x({0, 0, 0, 12})
                      .s("/status\0", 8)
                      .s(",\0\0\0", 4)
                      .x({0, 0, 0, 16})
                      .s("/n_free\0", 8)
                      .s(",i\0\0", 4)
                      .x({0, 0, 0, 7})
                      .v;
  CHECK(encode_bundle(seconds_to_timetag(1.5), ms) == expected);
  CHECK(seconds_to_timetag(1.5) == 0x0000000180000000ull);
  CHECK(timetag_to_seconds(0x0000000180000000ull) == 1.5);
}

TEST_CASE("osc: the writer fills a caller buffer and reports overflow as th::Error") {
  char small[16];
  OscPacketWriter w(small, sizeof small);
  CHECK_THROWS_AS(w.add(sc::s_new("a_long_synthdef_name", 1, sc::AddAction::tail, 0)), th::Error);

  alignas(4) char buf[256];
  OscPacketWriter ok(buf, sizeof buf);
  ok.begin_bundle(kOscImmediate)
      .begin_message("/n_set")
      .add(std::int32_t{5})
      .add("freq")
      .add(440.0f)
      .end_message()
      .end_bundle();
  const sc::Control c[] = {{"freq", 440.0f}};
  CHECK(span_bytes(ok.bytes()) == encode_bundle(kOscImmediate, std::vector{sc::n_set(5, c)}));
  CHECK(static_cast<const void*>(ok.bytes().data()) == static_cast<const void*>(buf));
  ok.clear();
  CHECK(ok.size() == 0);
}

TEST_CASE("osc: strings with embedded NUL are refused") {
  OscMessage m{"/s_new", {std::string("a\0b", 3)}};
  CHECK_THROWS_AS(encode_message(m), th::Error);
}

TEST_CASE("osc: decode round-trips every argument type, nested bundles keep inner timetags") {
  OscMessage m{"/t",
               {std::int32_t{-5}, std::int64_t{1} << 40, 0.25f, -2.5, std::string("hello"),
                OscBlob{{std::byte{9}}}}};
  std::string why;
  auto back = decode_message(encode_message(m), &why);
  REQUIRE(back);
  CHECK(*back == m);

  auto inner = encode_bundle(42, std::vector{m});
  std::vector<std::byte> outer = encode_bundle(7, std::vector{sc::status()});
  // Append the inner bundle as a second element of the outer bundle by hand.
  outer.push_back(std::byte(0));
  outer.push_back(std::byte(0));
  outer.push_back(std::byte((inner.size() >> 8) & 0xff));
  outer.push_back(std::byte(inner.size() & 0xff));
  outer.insert(outer.end(), inner.begin(), inner.end());
  auto all = decode_packet(outer, &why);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0] == OscTimedMessage{7, sc::status()});
  CHECK((*all)[1] == OscTimedMessage{42, m});
}

TEST_CASE("osc: decoder rejects malformed packets with a reason") {
  std::string why;
  auto good = encode_message(sc::s_new("kick909", -1, sc::AddAction::head, 1));
  // Every strict prefix is invalid (sizes, padding or truncated arguments).
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::span<const std::byte> p(good.data(), n);
    INFO("prefix " << n);
    CHECK_FALSE(decode_message(p, &why));
  }
  auto bad_pad = good;
  bad_pad[7] = std::byte{'x'};  // "/s_new\0x": non-NUL padding
  CHECK_FALSE(decode_message(bad_pad, &why));
  auto no_comma = B{}.s("/a\0\0", 4).s("i\0\0\0", 4).x({0, 0, 0, 1}).v;
  CHECK_FALSE(decode_message(no_comma, &why));
  CHECK(why.find("','") != std::string::npos);
  auto huge_blob = B{}.s("/a\0\0", 4).s(",b\0\0", 4).x({0x7F, 0xFF, 0xFF, 0xF0}).v;
  CHECK_FALSE(decode_message(huge_blob, &why));
  auto unknown = B{}.s("/a\0\0", 4).s(",m\0\0", 4).x({0, 0, 0, 1}).v;
  CHECK_FALSE(decode_message(unknown, &why));
  CHECK(why.find("'m'") != std::string::npos);
  auto bundle = encode_bundle(1, std::vector{sc::status()});
  bundle[19] = std::byte{200};  // element size beyond the packet
  CHECK_FALSE(decode_packet(bundle, &why));
  CHECK_FALSE(decode_message(encode_bundle(1, std::vector{sc::status()}), &why));
}

TEST_CASE("osc: decoder refuses bundles nested deeper than 8") {
  std::vector<std::byte> p = encode_message(sc::status());
  for (int d = 0; d < 9; ++d) {
    std::vector<std::byte> b = B{}.s("#bundle\0", 8).x({0, 0, 0, 0, 0, 0, 0, 1}).v;
    b.push_back(std::byte(0));
    b.push_back(std::byte(0));
    b.push_back(std::byte(0));
    b.push_back(std::byte(p.size()));
    b.insert(b.end(), p.begin(), p.end());
    p = b;
  }
  std::string why;
  CHECK_FALSE(decode_packet(p, &why));
  CHECK(why.find("deep") != std::string::npos);
}

TEST_CASE("scsynth replies: /done, /fail, /status.reply, /n_go, /synced") {
  std::string why;
  auto done = parse_reply({"/done", {std::string("/d_recv")}}, &why);
  REQUIRE(done);
  CHECK(done->kind == ReplyKind::done);
  CHECK(done->command == "/d_recv");

  auto fail =
      parse_reply({"/fail", {std::string("/s_new"), std::string("SynthDef not found")}}, &why);
  REQUIRE(fail);
  CHECK(fail->error == "SynthDef not found");
  CHECK_FALSE(parse_reply({"/fail", {std::string("/s_new")}}, &why));

  OscMessage st{"/status.reply",
                {std::int32_t{1}, std::int32_t{12}, std::int32_t{3}, std::int32_t{2},
                 std::int32_t{26}, 1.5f, 3.0f, 48000.0, 47999.9}};
  auto s = parse_reply(st, &why);
  REQUIRE(s);
  CHECK(s->status.ugens == 12);
  CHECK(s->status.synthdefs == 26);
  CHECK(s->status.peak_cpu == 3.0f);
  CHECK(s->status.actual_sample_rate == 47999.9);
  st.args[2] = 1.0f;
  CHECK_FALSE(parse_reply(st, &why));

  auto go = parse_reply({"/n_go",
                         {std::int32_t{1001}, std::int32_t{100}, std::int32_t{-1},
                          std::int32_t{1000}, std::int32_t{0}}},
                        &why);
  REQUIRE(go);
  CHECK(go->kind == ReplyKind::n_go);
  CHECK(go->node.node == 1001);
  CHECK(go->node.next == 1000);
  CHECK_FALSE(go->node.is_group);
  auto grp = parse_reply({"/n_end",
                          {std::int32_t{100}, std::int32_t{0}, std::int32_t{-1}, std::int32_t{-1},
                           std::int32_t{1}, std::int32_t{5}, std::int32_t{6}}},
                         &why);
  REQUIRE(grp);
  CHECK(grp->node.is_group);
  CHECK(grp->node.tail == 6);
  CHECK_FALSE(parse_reply(
      {"/n_go",
       {std::int32_t{1}, std::int32_t{0}, std::int32_t{-1}, std::int32_t{-1}, std::int32_t{2}}},
      &why));
  auto syn = parse_reply({"/synced", {std::int32_t{9}}}, &why);
  REQUIRE(syn);
  CHECK(syn->sync_id == 9);
  auto other = parse_reply({"/tr", {}}, &why);
  REQUIRE(other);
  CHECK(other->kind == ReplyKind::other);
}
