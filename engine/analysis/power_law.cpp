#include "analysis/power_law.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace th::analysis {

PowerLawFit fit_power_law(std::span<const double> values) {
  std::vector<double> x;
  x.reserve(values.size());
  for (double v : values)
    if (v > 0 && std::isfinite(v)) x.push_back(v);
  std::sort(x.begin(), x.end());
  PowerLawFit best;
  if (x.size() < kMinTail) return best;
  best.ks = std::numeric_limits<double>::infinity();
  // Suffix sums of ln x make each candidate's α O(1); the KS scan is O(tail).
  std::vector<double> suffix_log(x.size() + 1, 0.0);
  for (std::size_t i = x.size(); i-- > 0;) suffix_log[i] = suffix_log[i + 1] + std::log(x[i]);
  for (std::size_t start = 0; start + kMinTail <= x.size(); ++start) {
    if (start > 0 && x[start] == x[start - 1])
      continue;  // the tail of a value starts at its first copy
    const double xmin = x[start];
    const auto n = static_cast<double>(x.size() - start);
    const double sum_log = suffix_log[start] - n * std::log(xmin);
    if (sum_log <= 0) continue;
    const double alpha = 1.0 + n / sum_log;
    // Two-sided KS distance between the tail's empirical CDF and 1 − (x/xmin)^(1−α).
    double d = 0;
    for (std::size_t i = start; i < x.size(); ++i) {
      const double model = 1.0 - std::pow(x[i] / xmin, 1.0 - alpha);
      const double k = static_cast<double>(i - start);
      d = std::max({d, std::abs((k + 1) / n - model), std::abs(k / n - model)});
    }
    if (d < best.ks) best = {alpha, xmin, d, x.size() - start};
  }
  if (!std::isfinite(best.ks)) return PowerLawFit{};
  return best;
}

}  // namespace th::analysis
