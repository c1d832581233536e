// A private jackd (dummy backend) + scsynth for one integration test: unique UDP port and JACK
// server name per process, stopped by PID and cleaned up (/dev/shm) when the fixture ends.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>

#include "io/scsynth_process.h"
#include "support.h"

namespace th::test {

inline std::uint16_t unique_port(int slot) {
  return static_cast<std::uint16_t>(47000 + (::getpid() % 1000) * 8 + slot);
}

struct LiveServerFixture {
  explicit LiveServerFixture(const std::string& name, int slot = 0) {
    io::ScsynthProcessOptions o;
    o.port = unique_port(slot);
    o.jack_name = "th_test_" + std::to_string(::getpid()) + "_" + std::to_string(slot);
    o.log_dir = scratch(name);
    process = std::make_unique<io::ScsynthProcess>(o);
    process->start();
  }
  io::UdpEndpoint endpoint() const { return {0x7f000001, process->options().port}; }
  std::unique_ptr<io::ScsynthProcess> process;
};

}  // namespace th::test
