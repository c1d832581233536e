// UdpSink: the live scheduler's sched::Sink — note starts and ends become timestamped OSC
// bundles to scsynth over UDP, through the same ScsynthVoicer as offline renders.
// Contract:
// - A command for host time `at` goes in a bundle stamped ClockMap::host_to_ntp(at + latency),
//   so scsynth plays it sample-accurately (OffsetOut) as long as the scheduler's lookahead
//   covers the network and scheduling jitter.
// - Commands with the same timetag share a bundle; a bundle never exceeds kMaxPacket bytes
//   (one UDP datagram, below a typical MTU) — a bigger one is split into several bundles with
//   the same timetag. Packets go out when a bundle is full, when the time changes, and on flush.
// - Realtime-safe: every buffer is preallocated; note_on/note_off/flush never allocate, lock or
//   block (non-blocking sendto). One thread (the scheduler's).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "io/scsynth_voicer.h"
#include "io/udp_socket.h"
#include "sched/clock_map.h"
#include "sched/sink.h"
#include "sched/timeline.h"

namespace th::io {

struct UdpSinkStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t send_failures = 0;  // datagrams the kernel refused (server gone, buffer full)
  std::uint64_t messages = 0;
  // How far ahead of its timetag each bundle left (timetag − the ClockMap's host clock at send,
  // latency included): counts per bin of kLeadEdgesMs (bin i: edges[i−1] <= lead < edges[i]; bin 0:
  // already late; the last bin: >= the last edge), and the smallest lead seen.
  static constexpr std::array<double, 8> kLeadEdgesMs{0, 5, 10, 20, 30, 40, 50, 75};
  std::array<std::uint64_t, kLeadEdgesMs.size() + 1> lead_bins{};
  double min_lead_ms = 1e300;
};

class UdpSink final : public sched::Sink {
 public:
  static constexpr std::size_t kMaxPacket = 1400;

  // Every reference must outlive the sink. latency_us: output latency added to every timetag
  // (the one place it is applied, DESIGN.md §3).
  UdpSink(UdpSocket& socket, UdpEndpoint server, ScsynthVoicer& voicer,
          const sched::ClockMap& clock_map, const sched::Timeline& timeline,
          sched::HostMicros latency_us = 0);

  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override;
  void note_off(sched::VoiceId voice, sched::HostMicros at) override;
  void flush() override;

  // Writes one command stamped for host time `at`. Scheduler thread; realtime-safe.
  void add(const ScCommand& c, sched::HostMicros at);
  // Redirects packets (after the server moved). Scheduler thread; realtime-safe.
  void set_server(UdpEndpoint server) { server_ = server; }
  const UdpSinkStats& stats() const { return stats_; }

 private:
  void send_current();

  UdpSocket& socket_;
  UdpEndpoint server_;
  ScsynthVoicer& voicer_;
  const sched::ClockMap& clock_map_;
  const sched::Timeline& timeline_;
  sched::HostMicros latency_us_;
  std::array<ScCommand, ScsynthVoicer::kMaxCommandsPerEvent> cmds_{};
  alignas(8) std::array<char, 4096> scratch_{};
  std::array<std::byte, 4096> packet_{};
  std::size_t size_ = 0;  // 0: no bundle open
  std::uint64_t timetag_ = 0;
  UdpSinkStats stats_;
};

}  // namespace th::io
