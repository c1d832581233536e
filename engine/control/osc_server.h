// OscCommandServer: the live set's OSC command port (sclang, oscsend, any OSC client).
// Contract: binds UDP on 127.0.0.1 (or the given address) and, on its own thread, decodes each
// datagram with the validating reader. A message /th/<command> args is parsed with the shared
// grammar (command.h) and handed to the handler; the sender gets `/th/ok <command>` or
// `/th/error <command> <message>` (a parse error, or the handler's). Oversized datagrams
// (> kMaxPacket), malformed OSC, bundles and addresses outside /th/ are dropped with one log
// line each and no reply. The handler runs on the server thread (it must not block long).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "control/command.h"
#include "io/udp_socket.h"

namespace th::control {

// Returns "" on success or the error message for the reply.
using CommandHandler = std::function<std::string(const Command&)>;

class OscCommandServer {
 public:
  static constexpr std::size_t kMaxPacket = 8192;

  // Binds now (port 0: any; see port()). Throws th::Error when the port is taken.
  // Not realtime-safe (socket setup). start()/stop(): from the owning thread only; stop() joins.
  // port(), dropped(), handled(): thread-safe, realtime-safe.
  OscCommandServer(std::uint16_t port, std::uint32_t bind_host, CommandHandler handler);
  ~OscCommandServer();

  void start();
  void stop();
  std::uint16_t port() const { return socket_.local().port; }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t handled() const { return handled_.load(); }

 private:
  void run();
  void reply(const io::UdpEndpoint& to, const io::OscMessage& m);

  io::UdpSocket socket_;
  CommandHandler handler_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> dropped_{0}, handled_{0};
};

}  // namespace th::control
