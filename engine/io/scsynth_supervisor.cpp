#include "io/scsynth_supervisor.h"

#include <chrono>

#include "core/error.h"
#include "core/log.h"

namespace th::io {

ScsynthSupervisor::ScsynthSupervisor(SupervisorOptions options)
    : options_(std::move(options)), client_(options_.server, {}, options_.dead_after_us) {}

ScsynthSupervisor::~ScsynthSupervisor() {
  stop();
}

bool ScsynthSupervisor::connect() {
  if (!client_.wait_ready(options_.ready_timeout_ms)) return false;
  if (options_.on_connect) options_.on_connect(client_);
  connected_.store(true, std::memory_order_release);
  return true;
}

void ScsynthSupervisor::start() {
  if (!connect())
    throw Error("scsynth " + options_.server.str() + " does not answer /status (is it running?)",
                1);
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void ScsynthSupervisor::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

bool ScsynthSupervisor::call(const std::function<void(ScsynthClient&)>& f, int timeout_ms) {
  if (!running_) {
    f(client_);
    return true;
  }
  call_done_ = false;
  call_.store(&f, std::memory_order_release);
  for (int waited = 0; waited < timeout_ms; waited += 5) {
    if (call_done_.load(std::memory_order_acquire)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Too late: withdraw the request unless the thread has just taken it.
  const std::function<void(ScsynthClient&)>* expected = &f;
  if (call_.compare_exchange_strong(expected, nullptr)) return false;
  while (!call_done_.load(std::memory_order_acquire))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void ScsynthSupervisor::run() {
  while (running_) {
    if (auto* f = call_.exchange(nullptr, std::memory_order_acq_rel)) {
      try {
        (*f)(client_);
      } catch (const std::exception& e) {
        log::warn("scsynth: {}", e.what());
      }
      call_done_.store(true, std::memory_order_release);
    }
    client_.poll(options_.poll_ms);
    if (client_.alive()) continue;
    detection_us_ = client_.silence_us();
    connected_.store(false, std::memory_order_release);
    ++deaths_;
    log::warn("scsynth {} stopped answering ({} ms without /status.reply); reconnecting",
              options_.server.str(), client_.silence_us() / 1000);
    while (running_) {
      try {
        if (options_.process && !options_.process->scsynth_running()) {
          log::info("scsynth: restarting the server");
          options_.process->restart_scsynth();
        }
        if (connect()) {
          ++reconnects_;
          log::info("scsynth {}: back; the set goes on", options_.server.str());
          break;
        }
      } catch (const std::exception& e) {
        log::warn("scsynth: reconnect failed: {}", e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.retry_ms));
    }
  }
}

}  // namespace th::io
