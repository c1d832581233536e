// Axis ticks: where the labelled marks of an axis go and how they read. Contract: pure functions;
// linear ticks are multiples of 1, 2 or 5 × 10^k inside [lo, hi]; log ticks are the decades
// inside [lo, hi] (plus 2× and 5× when fewer than two decades show), labelled 10ᵏ.
#pragma once

#include <string>
#include <vector>

namespace th::plot {

struct Tick {
  double value = 0;
  std::string label;
};

// About `target` ticks over [lo, hi]. Thread-safe; not realtime-safe (allocates).
std::vector<Tick> linear_ticks(double lo, double hi, int target);
// Labelled ticks over [lo, hi], 0 < lo < hi. Thread-safe; allocates.
std::vector<Tick> log_ticks(double lo, double hi);
// Unlabelled minor ticks (2·10ᵏ … 9·10ᵏ) over [lo, hi]. Thread-safe; allocates.
std::vector<double> log_minor_ticks(double lo, double hi);

// "10⁻³", "10⁰", "10²". Thread-safe; allocates.
std::string power_of_ten_label(int exponent);

}  // namespace th::plot
