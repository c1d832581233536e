#include "plot/ticks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace th::plot {
namespace {

constexpr std::array<std::string_view, 10> kSuperscript{"⁰", "¹", "²", "³", "⁴",
                                                        "⁵", "⁶", "⁷", "⁸", "⁹"};

std::string number_label(double v, double step) {
  const double mag = std::max(std::abs(v), std::abs(step));
  if (v == 0) return "0";
  if (mag >= 1e6 || step < 1e-4) return fmt::format("{:.3g}", v);
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

}  // namespace

std::string power_of_ten_label(int exponent) {
  std::string s = "10";
  if (exponent < 0) s += "⁻";
  const std::string digits = std::to_string(std::abs(exponent));
  for (char d : digits) s += kSuperscript[static_cast<std::size_t>(d - '0')];
  return s;
}

std::vector<Tick> linear_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {{lo, number_label(lo, 1)}};
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  // Each tick from its own index, not by accumulation, so 0.1 steps do not drift.
  const auto first = static_cast<long long>(std::ceil(lo / step - 1e-9));
  const auto last = static_cast<long long>(std::floor(hi / step + 1e-9));
  std::vector<Tick> out;
  for (long long i = first; i <= last; ++i) {
    double v = static_cast<double>(i) * step;
    if (std::abs(v) < step * 1e-9) v = 0;
    out.push_back({v, number_label(v, step)});
  }
  return out;
}

std::vector<Tick> log_ticks(double lo, double hi) {
  std::vector<Tick> out;
  if (!(lo > 0) || !(hi > lo)) return out;
  const int k0 = static_cast<int>(std::floor(std::log10(lo)));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi)));
  const bool with_multiples = std::log10(hi) - std::log10(lo) < 2;
  const int every = std::max(1, (k1 - k0) / 8);  // at most about eight labelled decades
  for (int k = k0; k <= k1; ++k) {
    const double d = std::pow(10.0, k);
    // Next to 2 and 5, a plain "10" reads better than "10¹".
    if (d >= lo * (1 - 1e-9) && d <= hi * (1 + 1e-9) && (k - k0) % every == 0)
      out.push_back({d, with_multiples ? fmt::format("{:g}", d) : power_of_ten_label(k)});
    if (!with_multiples) continue;
    for (double m : {2.0, 5.0}) {
      const double v = m * d;
      if (v >= lo && v <= hi) out.push_back({v, fmt::format("{:g}", v)});
    }
  }
  return out;
}

std::vector<double> log_minor_ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(lo > 0) || !(hi > lo)) return out;
  const int k0 = static_cast<int>(std::floor(std::log10(lo)));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi)));
  for (int k = k0; k <= k1; ++k)
    for (int m = 2; m <= 9; ++m) {
      const double v = m * std::pow(10.0, k);
      if (v >= lo && v <= hi) out.push_back(v);
    }
  return out;
}

}  // namespace th::plot
