// Scalar and vector statistics of weights and spectra, on plain spans. Contract: every function
// computes in double, is deterministic, and matches the numpy/scipy definition named in its
// comment (docs/analysis.md lists each formula). Empty input throws std::invalid_argument.
// All functions: thread-safe (no shared state); not realtime-safe (they may allocate).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "analysis/matrix_view.h"

namespace th::analysis {

struct Moments {
  double mean = 0, std = 0;  // population std (numpy ddof=0)
  double skewness = 0;       // scipy.stats.skew, bias=True: m3 / m2^1.5
  double kurtosis = 0;       // scipy.stats.kurtosis, Fisher, bias=True: m4 / m2² − 3
};
Moments moments(std::span<const float> x);
Moments moments(std::span<const double> x);

// Sarle's bimodality coefficient (g² + 1) / (k + 3(n−1)²/((n−2)(n−3))) with the bias-corrected
// sample skewness g and excess kurtosis k; > 5/9 ≈ 0.555 hints at bimodality. Needs n ≥ 4.
double bimodality_coefficient(const Moments& population, int64_t n);

// numpy.percentile(x, q) with the default "linear" method, q in [0, 100].
double percentile(std::span<const float> x, double q);

struct Histogram {
  std::vector<double> density;  // sums to 1 (all zeros when no value falls in range)
  double lo = 0, hi = 0;        // the range: [2nd, 98th] percentile by default
};
// numpy.histogram(x, bins, range=(percentile lo_q, percentile hi_q)) / count: values outside
// the range are dropped, the last bin includes its right edge.
Histogram percentile_histogram(std::span<const float> x, int bins = 32, double lo_q = 2.0,
                               double hi_q = 98.0);

double frobenius(std::span<const float> x);  // sqrt(Σ x²)
std::vector<double> row_norms(const MatrixView& w);
std::vector<double> col_norms(const MatrixView& w);

// Spectral scalars from a descending singular spectrum σ.
double stable_rank(std::span<const double> sigma, double fro);  // fro² / σ₁²
double spectral_entropy(std::span<const double> sigma);         // −Σ p ln p, p = σ/Σσ
double effective_rank(std::span<const double> sigma);           // exp(spectral_entropy)

// norm01 (seed §0): (x − min) / (max − min + 1e-9).
std::vector<double> norm01(std::span<const double> x);

// 1-D Wasserstein-1 distance between the value distributions of two spectra after dividing each
// by its own maximum (scipy.stats.wasserstein_distance(a/max a, b/max b)): compares shapes, not
// scales; 0 ≤ W ≤ 1.
double spectrum_wasserstein(std::span<const double> a, std::span<const double> b);

// QK spectral coherence: cosine similarity of the top-k singular values of q and k (k =
// min(k, |a|, |b|)), each divided by its maximum. 1 = same spectral shape.
double spectral_coherence(std::span<const double> a, std::span<const double> b, std::size_t k = 16);

}  // namespace th::analysis
