#include "io/udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/error.h"

namespace th::io {
namespace {

sockaddr_in to_sockaddr(const UdpEndpoint& e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  a.sin_addr.s_addr = htonl(e.host);
  return a;
}

}  // namespace

std::string UdpEndpoint::str() const {
  return fmt::format("{}.{}.{}.{}:{}", host >> 24, (host >> 16) & 255, (host >> 8) & 255,
                     host & 255, port);
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  if (text == "localhost") return 0x7f000001u;
  std::uint32_t host = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    unsigned v = 0;
    auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc{} || q == p || q - p > 3 || v > 255) return std::nullopt;
    host = host << 8 | v;
    p = q;
    if (i < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return host;
}

std::optional<UdpEndpoint> parse_endpoint(std::string_view text) {
  UdpEndpoint e;
  const auto colon = text.rfind(':');
  std::string_view port = text;
  if (colon != std::string_view::npos) {
    const auto host = parse_ipv4(text.substr(0, colon));
    if (!host) return std::nullopt;
    e.host = *host;
    port = text.substr(colon + 1);
  }
  unsigned v = 0;
  auto [q, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc{} || q != port.data() + port.size() || port.empty() || v == 0 || v > 65535)
    return std::nullopt;
  e.port = static_cast<std::uint16_t>(v);
  return e;
}

UdpSocket::UdpSocket(std::uint16_t port, std::uint32_t bind_host) {
  const UdpEndpoint want{bind_host, port};
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw Error(fmt::format("udp: cannot create a socket: {}", std::strerror(errno)), 1);
  const sockaddr_in a = to_sockaddr(want);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    ::close(fd_);
    throw Error(fmt::format("udp: cannot bind {}: {}", want.str(), std::strerror(err)), 1);
  }
  sockaddr_in got{};
  socklen_t len = sizeof got;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&got), &len);
  local_ = {ntohl(got.sin_addr.s_addr), ntohs(got.sin_port)};
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool UdpSocket::send_to(const UdpEndpoint& to, std::span<const std::byte> bytes) {
  const sockaddr_in a = to_sockaddr(to);
  const ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&a), sizeof a);
  return n == static_cast<ssize_t>(bytes.size());
}

std::optional<std::size_t> UdpSocket::receive(std::span<std::byte> buffer, int timeout_ms,
                                              UdpEndpoint* from, bool* truncated) {
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0 || !(p.revents & POLLIN)) return std::nullopt;
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC | MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&a), &len);
  if (n < 0) return std::nullopt;
  if (from) *from = {ntohl(a.sin_addr.s_addr), ntohs(a.sin_port)};
  if (truncated) *truncated = static_cast<std::size_t>(n) > buffer.size();
  return std::min(static_cast<std::size_t>(n), buffer.size());
}

}  // namespace th::io
