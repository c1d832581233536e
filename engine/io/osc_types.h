// OSC values as plain C++ data, shared by the encoder (osc_writer.h), the decoder
// (osc_reader.h) and the scsynth vocabulary (scsynth_commands.h). Contract: an OscMessage is a
// value (copyable, comparable); it allocates, so it belongs on worker and I/O threads. The
// realtime path writes packets with OscPacketWriter directly instead.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace th::io {

struct OscBlob {
  std::vector<std::byte> bytes;
  bool operator==(const OscBlob&) const = default;
};

// Tags: i int32, h int64, f float32, d float64, s string, b blob.
using OscArg = std::variant<std::int32_t, std::int64_t, float, double, std::string, OscBlob>;

struct OscMessage {
  std::string address;
  std::vector<OscArg> args;
  bool operator==(const OscMessage&) const = default;
};

// A message with the bundle timetag it arrived in (1 = "immediately" for a bare message).
struct OscTimedMessage {
  std::uint64_t timetag = 1;
  OscMessage message;
  bool operator==(const OscTimedMessage&) const = default;
};

// The OSC "immediately" timetag.
inline constexpr std::uint64_t kOscImmediate = 1;

// NTP-format timetag for a time in seconds from the score's start (NRT scores count from 0:
// seconds·2^32, rounded to the nearest tick). Thread-safe; realtime-safe. Requires
// 0 <= seconds < 2^32 (callers validate).
inline std::uint64_t seconds_to_timetag(double seconds) noexcept {
  return static_cast<std::uint64_t>(std::llround(std::ldexp(seconds, 32)));
}

// Inverse of seconds_to_timetag. Thread-safe; realtime-safe.
inline double timetag_to_seconds(std::uint64_t tt) noexcept {
  return std::ldexp(static_cast<double>(tt), -32);
}

}  // namespace th::io
