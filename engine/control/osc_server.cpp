#include "control/osc_server.h"

#include <array>

#include "core/log.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"

namespace th::control {

OscCommandServer::OscCommandServer(std::uint16_t port, std::uint32_t bind_host,
                                   CommandHandler handler)
    : socket_(port, bind_host), handler_(std::move(handler)) {}

OscCommandServer::~OscCommandServer() {
  stop();
}

void OscCommandServer::start() {
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void OscCommandServer::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void OscCommandServer::reply(const io::UdpEndpoint& to, const io::OscMessage& m) {
  socket_.send_to(to, io::encode_message(m));
}

void OscCommandServer::run() {
  std::array<std::byte, kMaxPacket> buf;
  while (running_) {
    io::UdpEndpoint from;
    bool truncated = false;
    const auto n = socket_.receive(buf, 100, &from, &truncated);
    if (!n) continue;
    if (truncated) {
      ++dropped_;
      log::warn("control: dropped an oversized packet from {} (> {} bytes)", from.str(),
                kMaxPacket);
      continue;
    }
    std::string why;
    const auto m = io::decode_message(std::span<const std::byte>(buf.data(), *n), &why);
    if (!m) {
      ++dropped_;
      log::warn("control: dropped a malformed packet from {}: {}", from.str(), why);
      continue;
    }
    if (m->address.rfind("/th/", 0) != 0) {
      ++dropped_;
      log::warn("control: dropped {} from {} (not a /th/ command)", m->address, from.str());
      continue;
    }
    const ParseResult p = parse_command(*m);
    std::string error = p.error;
    if (p.command) {
      try {
        error = handler_(*p.command);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    ++handled_;
    if (error.empty())
      reply(from, {"/th/ok", {p.name}});
    else
      reply(from, {"/th/error", {p.name, error}});
  }
}

}  // namespace th::control
