// UdpSocket: a non-blocking IPv4 UDP socket, bound to 127.0.0.1 unless told otherwise.
// Contract: send_to never blocks (a full socket buffer drops the datagram and says so);
// receive waits at most the given timeout (poll), so no thread ever hangs on the network.
// Errors opening or binding throw th::Error naming the address; send/receive report failure
// through their return values. The socket closes on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace th::io {

struct UdpEndpoint {
  std::uint32_t host = 0x7f000001;  // IPv4, host byte order
  std::uint16_t port = 0;
  bool operator==(const UdpEndpoint&) const = default;
  // "127.0.0.1:57110". Thread-safe; allocates.
  std::string str() const;
};

// Parses "HOST:PORT" or "PORT" (then host 127.0.0.1); HOST is a dotted IPv4 address or
// "localhost". nullopt when malformed. Thread-safe; allocates nothing.
std::optional<UdpEndpoint> parse_endpoint(std::string_view text);
// Parses a dotted IPv4 address or "localhost". Thread-safe.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

class UdpSocket {
 public:
  // Binds to bind_host:port (port 0: the kernel picks). Throws th::Error when it cannot.
  explicit UdpSocket(std::uint16_t port = 0, std::uint32_t bind_host = 0x7f000001);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // The bound endpoint. Thread-safe; realtime-safe.
  UdpEndpoint local() const { return local_; }

  // One datagram, non-blocking. False when the kernel refused it (buffer full, unreachable).
  // Thread-safe (one syscall); realtime-safe in the sense of DESIGN.md (no allocation, no lock,
  // never blocks).
  bool send_to(const UdpEndpoint& to, std::span<const std::byte> bytes);

  // Waits up to timeout_ms (0: just checks) for one datagram; returns its size (it is truncated
  // to buffer.size(); *truncated tells) and the sender, or nullopt on timeout. One receiving
  // thread; blocks up to the timeout (not for the scheduler thread).
  std::optional<std::size_t> receive(std::span<std::byte> buffer, int timeout_ms,
                                     UdpEndpoint* from = nullptr, bool* truncated = nullptr);

 private:
  int fd_ = -1;
  UdpEndpoint local_;
};

}  // namespace th::io
