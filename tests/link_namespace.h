// Link tests run inside a network namespace with only loopback up (docs/PLATFORM-NOTES: Link
// multicasts on every interface that is up). Outside it, in_link_namespace re-runs this test
// binary there on the given test-case filter, checks it passed and returns false (the caller
// returns); inside, it returns true and the test goes on. Without root or unshare: a warning,
// not run. Not thread-safe (std::system).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace th::test {

inline bool in_link_namespace(const std::string& filter) {
  if (std::getenv("TH_LINK_NETNS")) return true;
  if (::geteuid() != 0 || std::system("command -v unshare >/dev/null 2>&1") != 0) {
    WARN("link test needs root and unshare (network namespace); not run");
    return false;
  }
  char exe[4096];
  const auto n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  const std::string cmd =
      "timeout 60 unshare -n sh -c 'ip link set lo up && TH_LINK_NETNS=1 exec \"" +
      std::string(exe, static_cast<std::size_t>(n)) + "\" \"" + filter + "\"' > /dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  return false;
}

}  // namespace th::test
