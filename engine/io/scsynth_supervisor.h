// ScsynthSupervisor: keeps a live set's server connection alive.
// Contract: a thread polls /status every poll_ms; when no reply came for dead_after_us (1 s) the
// server is declared dead (connected() turns false, logged once), and the supervisor tries to
// bring it back: it restarts scsynth if it owns the process (--boot-scsynth), then waits for
// /status and calls on_connect (which reloads the SynthDefs and rebuilds the mix) — the music
// keeps being scheduled meanwhile, so the set resumes where it is. on_connect runs on the
// supervisor's thread and may block; an exception from it counts as a failed attempt, retried
// after retry_ms. start/stop: one owner thread; the accessors: thread-safe, realtime-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "io/scsynth_client.h"
#include "io/scsynth_process.h"

namespace th::io {

struct SupervisorOptions {
  UdpEndpoint server;
  ScsynthProcess* process = nullptr;  // owned elsewhere; restarted when it died
  int poll_ms = 200;
  int retry_ms = 1000;
  int ready_timeout_ms = 10000;
  std::int64_t dead_after_us = 1'000'000;
  std::function<void(ScsynthClient&)> on_connect;  // set the server up (defs, mix, recorder)
};

class ScsynthSupervisor {
 public:
  explicit ScsynthSupervisor(SupervisorOptions options);
  ~ScsynthSupervisor();

  // Connects (waiting up to ready_timeout_ms) and calls on_connect, then starts polling.
  // Throws th::Error when the first connection fails.
  void start();
  void stop();

  // Runs f with the client on the supervisor's thread at its next poll and waits for it (at
  // most timeout_ms); false on a timeout. For the few control messages (panic, record stop).
  // Not realtime-safe.
  bool call(const std::function<void(ScsynthClient&)>& f, int timeout_ms = 2000);

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  std::uint64_t deaths() const { return deaths_.load(std::memory_order_acquire); }
  std::uint64_t reconnects() const { return reconnects_.load(std::memory_order_acquire); }
  // µs from the last /status.reply to the moment death was declared, for the latest death.
  std::int64_t last_detection_us() const { return detection_us_.load(); }

 private:
  void run();
  bool connect();

  SupervisorOptions options_;
  ScsynthClient client_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> deaths_{0}, reconnects_{0};
  std::atomic<std::int64_t> detection_us_{0};
  std::atomic<const std::function<void(ScsynthClient&)>*> call_{nullptr};
  std::atomic<bool> call_done_{false};
};

}  // namespace th::io
