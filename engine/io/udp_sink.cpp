#include "io/udp_sink.h"

#include <algorithm>
#include <cstring>

#include "io/osc_writer.h"
#include "sched/clocks.h"

namespace th::io {
namespace {

void put_be32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (24 - 8 * i)) & 0xff);
}

void put_be64(std::byte* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = std::byte((v >> (56 - 8 * i)) & 0xff);
}

constexpr std::size_t kBundleHeader = 16;  // "#bundle\0" + timetag

}  // namespace

UdpSink::UdpSink(UdpSocket& socket, UdpEndpoint server, ScsynthVoicer& voicer,
                 const sched::ClockMap& clock_map, const sched::Timeline& timeline,
                 sched::HostMicros latency_us)
    : socket_(socket),
      server_(server),
      voicer_(voicer),
      clock_map_(clock_map),
      timeline_(timeline),
      latency_us_(latency_us) {}

void UdpSink::note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) {
  const double spb = 60.0 / timeline_.tempo();
  const std::size_t n = voicer_.note_on(voice, e, spb, cmds_);
  for (std::size_t i = 0; i < n; ++i) add(cmds_[i], at);
}

void UdpSink::note_off(sched::VoiceId voice, sched::HostMicros at) {
  const std::size_t n = voicer_.note_off(voice, cmds_);
  for (std::size_t i = 0; i < n; ++i) add(cmds_[i], at);
}

void UdpSink::add(const ScCommand& c, sched::HostMicros at) {
  OscPacketWriter w(scratch_.data(), scratch_.size());
  write_command(w, c);
  const auto msg = w.bytes();
  const std::uint64_t tt = clock_map_.host_to_ntp(at + latency_us_);
  if (size_ > 0 && (tt != timetag_ || size_ + 4 + msg.size() > kMaxPacket)) send_current();
  if (size_ == 0) {
    std::memcpy(packet_.data(), "#bundle", 8);
    put_be64(packet_.data() + 8, tt);
    size_ = kBundleHeader;
    timetag_ = tt;
  }
  // A single message larger than a packet still goes out, alone in its bundle.
  if (size_ + 4 + msg.size() > packet_.size()) return;
  put_be32(packet_.data() + size_, static_cast<std::uint32_t>(msg.size()));
  std::memcpy(packet_.data() + size_ + 4, msg.data(), msg.size());
  size_ += 4 + msg.size();
  ++stats_.messages;
}

void UdpSink::send_current() {
  if (size_ <= kBundleHeader) {
    size_ = 0;
    return;
  }
  if (socket_.send_to(server_, std::span<const std::byte>(packet_.data(), size_))) {
    ++stats_.packets;
    stats_.bytes += size_;
    // On the map's own host clock: Link's (CLOCK_MONOTONIC_RAW) is not the steady clock.
    const double lead_ms =
        static_cast<double>(clock_map_.ntp_to_host(timetag_) - clock_map_.host_now()) / 1e3;
    std::size_t bin = 0;
    while (bin < UdpSinkStats::kLeadEdgesMs.size() && lead_ms >= UdpSinkStats::kLeadEdgesMs[bin])
      ++bin;
    ++stats_.lead_bins[bin];
    stats_.min_lead_ms = std::min(stats_.min_lead_ms, lead_ms);
  } else {
    ++stats_.send_failures;
  }
  size_ = 0;
}

void UdpSink::flush() {
  send_current();
}

}  // namespace th::io
