// Colours for pictures. Contract: pure functions of their arguments (the same input gives the
// same colour on every machine), components in 0..1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace th::plot {

struct Rgb {
  double r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

// 0xRRGGBB → Rgb. Thread-safe; realtime-safe.
constexpr Rgb hex(std::uint32_t v) {
  return {((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0};
}

// Perceptually ordered dark-blue → yellow map for ordered series (one line per layer) and heat
// maps; t is clamped to 0..1. Thread-safe; realtime-safe.
Rgb viridis(double t);

// The i-th categorical colour (instruments, roles): ten hues, then the same ten darker, cycling
// every twenty.
// Thread-safe; realtime-safe.
Rgb categorical(std::size_t i);

// c mixed with white: amount 0 = c, 1 = white. Thread-safe; realtime-safe.
Rgb lighten(Rgb c, double amount);

}  // namespace th::plot
