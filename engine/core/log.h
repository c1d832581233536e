// Minimal logging to stderr for the command-line tools. Not for the scheduler thread: it
// formats and writes (allocates, blocks).
#pragma once

#include <fmt/format.h>

#include <cstdio>

namespace th::log {

// Thread-safe (one fwrite per line); not realtime-safe.
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  std::fputs((fmt::format(f, std::forward<Args>(args)...) + "\n").c_str(), stderr);
}

template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  std::fputs(("warning: " + fmt::format(f, std::forward<Args>(args)...) + "\n").c_str(), stderr);
}

}  // namespace th::log
