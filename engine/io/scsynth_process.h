// ScsynthProcess: a private audio server for `live --boot-scsynth` and the integration tests —
// jackd with the dummy backend under a unique server name, and scsynth on a given UDP port
// connected to it (docs/PLATFORM-NOTES: Debian's scsynth is JACK-only).
// Contract: start() returns once jackd answers (jack_wait, bounded) and scsynth has been
// spawned (whether it answers OSC is the client's job); stop() ends both by their PIDs (TERM,
// then KILL after a bounded wait) and removes the /dev/shm files they leave behind, and the
// destructor calls it. Only processes this object started are ever signalled. Not thread-safe;
// blocks (seconds); never on the scheduler thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace th::io {

struct ScsynthProcessOptions {
  std::uint16_t port = 57110;
  std::string jack_name;  // empty: "th_<pid>_<port>"
  int sample_rate = 48000;
  int period = 256;
  std::string scsynth = "scsynth";
  std::string jackd = "jackd";
  std::filesystem::path log_dir;  // jackd.log and scsynth.log; empty: /tmp
};

class ScsynthProcess {
 public:
  explicit ScsynthProcess(ScsynthProcessOptions options);
  ~ScsynthProcess();
  ScsynthProcess(const ScsynthProcess&) = delete;
  ScsynthProcess& operator=(const ScsynthProcess&) = delete;

  // Starts jackd (if not running) and scsynth. Throws th::Error (with the log's tail) when
  // jackd does not come up within 10 s or a program cannot be run.
  void start();
  // Starts scsynth again on the running jackd (after a crash). Throws th::Error.
  void restart_scsynth();
  // Kills scsynth only (SIGKILL, as a crash would): for tests of crash recovery.
  void kill_scsynth();
  // Whether scsynth is still running (reaps it if it exited).
  bool scsynth_running();
  void stop();

  pid_t scsynth_pid() const { return scsynth_pid_; }
  const ScsynthProcessOptions& options() const { return options_; }

 private:
  void spawn_scsynth();
  ScsynthProcessOptions options_;
  pid_t jackd_pid_ = -1;
  pid_t scsynth_pid_ = -1;
};

}  // namespace th::io
