// The liveness rule on an injected clock, and UdpSink's packets read back from a loopback
// socket: exact NTP timetags from the ClockMap (injected clocks), bundles split below
// kMaxPacket with the same timetag, every message delivered once.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "io/scsynth_client.h"
#include "io/udp_sink.h"
#include "music/instruments.h"

namespace th {
namespace {

std::uint64_t be64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | std::to_integer<std::uint64_t>(p[i]);
  return v;
}
std::uint32_t be32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | std::to_integer<std::uint32_t>(p[i]);
  return v;
}

struct Packet {
  std::uint64_t timetag = 0;
  int messages = 0;
  std::size_t size = 0;
};

}  // namespace

TEST_CASE("liveness: dead after exactly dead_after of silence, on an injected clock") {
  io::Liveness l(1'000'000);
  l.reset(5'000);
  CHECK(l.alive(1'005'000));
  CHECK_FALSE(l.alive(1'005'001));
  l.on_reply(900'000);
  CHECK(l.alive(1'900'000));
  CHECK_FALSE(l.alive(1'900'001));
  CHECK(l.silence(1'000'000) == 100'000);
}

TEST_CASE("udp sink: exact timetags, bundles split below the packet limit") {
  const auto& table = music::default_instruments();
  const auto defs = io::read_synthdef_dir(io::default_synthdef_dir());
  io::VoicerLayout layout;
  for (std::size_t g = 0; g < table.groups().size(); ++g) {
    layout.group_node.push_back(100 + static_cast<int>(g));
    layout.group_bus.push_back(16 + 2 * static_cast<int>(g));
    layout.strip_node.push_back(-1);
  }
  io::ScsynthVoicer voicer(table, defs, layout);
  // Wall clock = host + exactly 1.7e9 s (in ns): NTP times are known in closed form.
  constexpr sched::UnixNanos kWall0 = 1'700'000'000'000'000'000;
  sched::ClockMap map({[] { return sched::HostMicros(0); }, [] { return kWall0; }});
  map.reestimate();
  sched::TempoTimeline timeline(120, 0);
  io::UdpSocket receiver, sender;
  io::UdpSink sink(sender, receiver.local(), voicer, map, timeline, /*latency_us=*/2'000);

  music::Event e;
  e.instrument = "kick";
  e.duration = Beats(1, 4);
  constexpr int kChord = 40;  // 40 s_new at one time: several packets
  for (int i = 0; i < kChord; ++i) sink.note_on(static_cast<sched::VoiceId>(1000 + i), e, 500'000);
  sink.note_on(2000, e, 750'000);
  sink.flush();

  std::vector<Packet> got;
  std::array<std::byte, 4096> buf;
  int total = 0;
  while (total < kChord + 1) {
    const auto n = receiver.receive(buf, 2000);
    REQUIRE(n);
    REQUIRE(*n >= 16);
    REQUIRE(std::memcmp(buf.data(), "#bundle", 8) == 0);
    Packet p{be64(buf.data() + 8), 0, *n};
    for (std::size_t at = 16; at < *n;) {
      const std::uint32_t size = be32(buf.data() + at);
      REQUIRE(at + 4 + size <= *n);
      ++p.messages;
      at += 4 + size;
    }
    total += p.messages;
    got.push_back(p);
  }
  CHECK(total == kChord + 1);
  REQUIRE(got.size() >= 3);
  const auto ntp = [](sched::UnixNanos unix) { return sched::unix_nanos_to_ntp(unix); };
  const std::uint64_t t1 = ntp(kWall0 + 502'000'000), t2 = ntp(kWall0 + 752'000'000);
  int first = 0;
  for (std::size_t i = 0; i + 1 < got.size(); ++i) {
    CHECK(got[i].timetag == t1);
    CHECK(got[i].size <= io::UdpSink::kMaxPacket);
    first += got[i].messages;
  }
  CHECK(first == kChord);
  CHECK(got.back().timetag == t2);
  CHECK(got.back().messages == 1);
  CHECK(sink.stats().packets == got.size());
  CHECK(sink.stats().send_failures == 0);
}

}  // namespace th
