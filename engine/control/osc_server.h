// OscCommandServer: the live set's OSC command port (sclang, oscsend, any OSC client).
// Contract: binds UDP on 127.0.0.1 (or the given address) and, on its own thread, decodes each
// datagram with the validating reader. A message /th/<command> args is parsed with the shared
// grammar (command.h) and handed to the handler; the sender gets `/th/ok <command>` or
// `/th/error <command> <message>` (a parse error, or the handler's); an answer's info text is
// added: `/th/ok status <state line>`. Oversized datagrams
// (> kMaxPacket), malformed OSC, bundles and addresses outside /th/ are dropped without a reply
// and logged (at most one line a second, counting what it left out). The handler runs on the server
// thread and must not block: it answers through the Reply it is given, then or later from any
// thread (a recompose answers when its composition is ready), so one slow command never holds up
// the next.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "control/command.h"
#include "io/udp_socket.h"

namespace th::control {

using CommandHandler = std::function<void(const Command&, Reply)>;

class OscCommandServer {
 public:
  static constexpr std::size_t kMaxPacket = 8192;

  // Binds now (port 0: any; see port()). Throws th::Error when the port is taken.
  // Not realtime-safe (socket setup). start()/stop(): from the owning thread only; stop() joins.
  // port(), dropped(), handled() (commands parsed), answered() (replies sent): thread-safe,
  // realtime-safe. A handler's late reply must come before stop() returns to be sent.
  OscCommandServer(std::uint16_t port, std::uint32_t bind_host, CommandHandler handler);
  ~OscCommandServer();

  void start();
  void stop();
  std::uint16_t port() const { return socket_.local().port; }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t handled() const { return handled_.load(); }
  std::uint64_t answered() const { return answered_.load(); }

 private:
  void run();
  void answer(const io::UdpEndpoint& to, const std::string& name, const Answer& a);
  // Counts a dropped datagram; logs at most one line a second (server thread).
  void drop(const std::string& what);

  io::UdpSocket socket_;
  CommandHandler handler_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> dropped_{0}, handled_{0}, answered_{0};
  std::chrono::steady_clock::time_point last_drop_log_{};
  std::uint64_t unlogged_ = 0;
};

}  // namespace th::control
