#include "control/osc_server.h"

#include <fmt/format.h>

#include <array>
#include <chrono>

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

// Any thread: sendto on one UDP socket is safe alongside the server's receive.
void OscCommandServer::answer(const io::UdpEndpoint& to, const std::string& name, const Answer& a) {
  io::OscMessage m = a.error.empty() ? io::OscMessage{"/th/ok", {name}}
                                     : io::OscMessage{"/th/error", {name, a.error}};
  if (a.error.empty() && !a.info.empty()) m.args.emplace_back(a.info);
  socket_.send_to(to, io::encode_message(m));
  ++answered_;
}

void OscCommandServer::drop(const std::string& what) {
  ++dropped_;
  // A flood must not flood the log too: one line a second, with what was left out.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_drop_log_ < std::chrono::seconds(1)) {
    ++unlogged_;
    return;
  }
  if (unlogged_ > 0)
    log::warn("control: dropped {} (and {} more since the last line)", what, unlogged_);
  else
    log::warn("control: dropped {}", what);
  unlogged_ = 0;
  last_drop_log_ = now;
}

void OscCommandServer::run() {
  std::array<std::byte, kMaxPacket> buf;
  while (running_) {
    io::UdpEndpoint from;
    bool truncated = false;
    const auto n = socket_.receive(buf, 100, &from, &truncated);
    if (!n) continue;
    if (truncated) {
      drop(fmt::format("an oversized packet from {} (> {} bytes)", from.str(), kMaxPacket));
      continue;
    }
    std::string why;
    const auto m = io::decode_message(std::span<const std::byte>(buf.data(), *n), &why);
    if (!m) {
      drop(fmt::format("a malformed packet from {}: {}", from.str(), why));
      continue;
    }
    if (m->address.rfind("/th/", 0) != 0) {
      drop(fmt::format("{} from {} (not a /th/ command)", m->address, from.str()));
      continue;
    }
    const ParseResult p = parse_command(*m);
    ++handled_;
    if (!p.command) {
      answer(from, p.name, p.error);
      continue;
    }
    try {
      handler_(*p.command, [this, from, name = p.name](const Answer& a) { answer(from, name, a); });
    } catch (const std::exception& e) {
      answer(from, p.name, e.what());
    }
  }
}

}  // namespace th::control
