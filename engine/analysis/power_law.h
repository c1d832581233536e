// Power-law fit of an empirical spectral density (the WeightWatcher heavy-tail metric).
// Contract: α is the continuous maximum-likelihood estimate of Clauset, Shalizi & Newman (2009),
// α = 1 + n / Σ ln(λ_i / λ_min) over the tail λ_i ≥ λ_min, with λ_min the candidate whose tail
// fit has the smallest Kolmogorov–Smirnov distance. Candidates: every distinct positive value
// that leaves at least kMinTail values in the tail. Ties keep the smallest λ_min.
#pragma once

#include <cstddef>
#include <span>

namespace th::analysis {

inline constexpr std::size_t kMinTail = 5;

struct PowerLawFit {
  double alpha = 0;       // 0 when fewer than kMinTail positive values
  double lambda_min = 0;  // chosen tail start
  double ks = 0;          // KS distance of the chosen fit
  std::size_t tail = 0;   // number of values in the tail
};

// values: eigenvalues (any order). Thread-safe; not realtime-safe (sorts a copy, O(n²)).
PowerLawFit fit_power_law(std::span<const double> values);

}  // namespace th::analysis
