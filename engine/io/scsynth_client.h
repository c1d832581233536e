// ScsynthClient: the control connection to a running scsynth (realtime mode, UDP).
// Contract:
// - Every call blocks at most its timeout and returns or throws th::Error naming the server;
//   nothing waits forever on a server that died. Replies are decoded with the validating OSC
//   reader; packets that are not scsynth replies are ignored.
// - setup() makes the server ready for a set: /notify 1, every SynthDef (/d_recv), then the
//   mix (live_mix.h) in order, syncing (/sync → /synced) after asynchronous commands so a synth
//   never starts before its buffers and defs exist.
// - Liveness: the owner calls poll() every few hundred ms; it sends /status and reads replies;
//   alive() turns false when no /status.reply arrived for `dead_after_us` (1 s), measured on an
//   injected clock so tests drive it without sleeping.
// One owner thread (the live engine's server thread), never the scheduler thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "io/nrt_score.h"
#include "io/osc_types.h"
#include "io/scsynth_replies.h"
#include "io/scsynth_synthdefs.h"
#include "io/udp_socket.h"

namespace th::io {

// The liveness rule alone, on an injected clock (µs). Not thread-safe; realtime-safe.
class Liveness {
 public:
  explicit Liveness(std::int64_t dead_after_us = 1'000'000) : dead_after_(dead_after_us) {}
  void reset(std::int64_t now) { last_ = now; }
  void on_reply(std::int64_t now) { last_ = now; }
  bool alive(std::int64_t now) const { return now - last_ <= dead_after_; }
  std::int64_t silence(std::int64_t now) const { return now - last_; }

 private:
  std::int64_t dead_after_;
  std::int64_t last_ = 0;
};

class ScsynthClient {
 public:
  using Now = std::function<std::int64_t()>;  // monotonic µs

  // Opens a local socket (127.0.0.1, any port) for talking to `server`. Throws th::Error.
  explicit ScsynthClient(UdpEndpoint server, Now now = {}, std::int64_t dead_after_us = 1'000'000);

  const UdpEndpoint& server() const { return server_; }

  // Sends one message now (no reply expected). False if the kernel refused it.
  bool send(const OscMessage& m);
  // Sends messages in one bundle for NTP time `timetag`. False if the kernel refused it.
  bool send_bundle(std::uint64_t timetag, std::span<const OscMessage> messages);
  // /status, waiting up to timeout_ms for /status.reply.
  std::optional<StatusReply> status(int timeout_ms);
  // Polls /status until the server answers or timeout_ms passes. True when it answered.
  bool wait_ready(int timeout_ms);
  // /sync id → /synced id within timeout_ms, else throws th::Error.
  void sync(int timeout_ms);
  // /notify 1 (node notifications come to this socket). Throws th::Error on no /done.
  void notify(int timeout_ms = 2000);
  // See the contract: `cleanup` (sent first, failures ignored: frees what an earlier run left),
  // /notify, /d_recv each def, then every message of `mix` (bundles at time 0, in order).
  // Throws th::Error on a timeout or a /fail.
  void setup(std::span<const SynthDefFile> defs, const NrtScore& mix,
             std::span<const OscMessage> cleanup = {}, int timeout_ms = 5000);
  // Sends messages in order, syncing before a message that follows an asynchronous one and at
  // the end. Throws th::Error on a timeout or a /fail among them.
  void run(std::span<const OscMessage> messages, int timeout_ms = 5000);

  // Liveness tick: reads pending replies, sends /status, then reads replies for wait_ms (so a
  // loop of poll(200) sends one /status every 200 ms). Owner thread; not realtime-safe.
  void poll(int wait_ms = 0);
  bool alive() const { return liveness_.alive(now_()); }
  std::int64_t silence_us() const { return liveness_.silence(now_()); }
  const StatusReply& last_status() const { return last_status_; }
  // /fail replies seen so far (the last one's text).
  std::uint64_t failures() const { return failures_; }
  const std::string& last_failure() const { return last_failure_; }

 private:
  // Reads replies until pred returns true or timeout_ms passes. True when pred matched.
  bool await(int timeout_ms, const std::function<bool(const ScsynthReply&)>& pred);
  void handle(const ScsynthReply& r);

  UdpEndpoint server_;
  Now now_;
  UdpSocket socket_;
  Liveness liveness_;
  StatusReply last_status_;
  std::int32_t next_sync_ = 1;
  std::uint64_t failures_ = 0;
  std::string last_failure_;
};

}  // namespace th::io
