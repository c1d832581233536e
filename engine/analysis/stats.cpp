#include "analysis/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace th::analysis {
namespace {

template <class T>
Moments moments_impl(std::span<const T> x) {
  if (x.empty()) throw std::invalid_argument("moments: empty input");
  const double n = static_cast<double>(x.size());
  double sum = 0;
  for (T v : x) sum += v;
  const double mean = sum / n;
  // Two passes: central moments from the exact mean keep precision for offset data.
  double m2 = 0, m3 = 0, m4 = 0;
  for (T v : x) {
    const double d = static_cast<double>(v) - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n, m3 /= n, m4 /= n;
  Moments m;
  m.mean = mean;
  m.std = std::sqrt(m2);
  // scipy returns nan for a constant array; 0 keeps downstream mappings finite.
  m.skewness = m2 > 0 ? m3 / std::pow(m2, 1.5) : 0.0;
  m.kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;
  return m;
}

}  // namespace

Moments moments(std::span<const float> x) {
  return moments_impl(x);
}
Moments moments(std::span<const double> x) {
  return moments_impl(x);
}

double bimodality_coefficient(const Moments& p, int64_t n_int) {
  if (n_int < 4) throw std::invalid_argument("bimodality_coefficient: needs at least 4 values");
  const double n = static_cast<double>(n_int);
  const double g = p.skewness * std::sqrt(n * (n - 1)) / (n - 2);
  const double k = ((n + 1) * p.kurtosis + 6) * (n - 1) / ((n - 2) * (n - 3));
  return (g * g + 1) / (k + 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3)));
}

namespace {
// Linear-interpolated percentile on an already sorted array (numpy "linear").
double sorted_percentile(const std::vector<double>& s, double q) {
  const double pos = q / 100.0 * static_cast<double>(s.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(i);
  if (i + 1 >= s.size()) return s.back();
  // numpy's _lerp: a + (b − a)·t, switched to b − (b − a)(1 − t) for t ≥ 0.5.
  const double a = s[i], b = s[i + 1], d = b - a;
  return frac >= 0.5 ? b - d * (1.0 - frac) : a + d * frac;
}
std::vector<double> sorted_copy(std::span<const float> x) {
  if (x.empty()) throw std::invalid_argument("percentile: empty input");
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  return s;
}
}  // namespace

double percentile(std::span<const float> x, double q) {
  return sorted_percentile(sorted_copy(x), q);
}

Histogram percentile_histogram(std::span<const float> x, int bins, double lo_q, double hi_q) {
  if (bins <= 0) throw std::invalid_argument("percentile_histogram: bins must be positive");
  const auto s = sorted_copy(x);
  Histogram h;
  h.lo = sorted_percentile(s, lo_q);
  h.hi = sorted_percentile(s, hi_q);
  h.density.assign(static_cast<std::size_t>(bins), 0.0);
  double first = h.lo, last = h.hi;
  if (first == last) first -= 0.5, last += 0.5;  // numpy widens an empty range the same way
  // Edges as numpy.linspace builds them; bin lookup with numpy's edge corrections so values on
  // an edge land in the same bin numpy puts them in.
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (last - first) / bins;
  for (int i = 0; i <= bins; ++i) edges[static_cast<std::size_t>(i)] = first + i * step;
  edges.back() = last;
  const double norm = bins / (last - first);
  double count = 0;
  for (double v : s) {
    if (v < first || v > last) continue;
    auto idx = static_cast<int64_t>((v - first) * norm);
    if (idx == bins) --idx;
    if (v < edges[static_cast<std::size_t>(idx)])
      --idx;
    else if (idx != bins - 1 && v >= edges[static_cast<std::size_t>(idx) + 1])
      ++idx;
    h.density[static_cast<std::size_t>(idx)] += 1;
    count += 1;
  }
  if (count > 0)
    for (auto& d : h.density) d /= count;
  return h;
}

double frobenius(std::span<const float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s);
}

std::vector<double> row_norms(const MatrixView& w) {
  std::vector<double> out(static_cast<std::size_t>(w.rows));
  for (int64_t r = 0; r < w.rows; ++r)
    out[static_cast<std::size_t>(r)] = frobenius(
        w.data.subspan(static_cast<std::size_t>(r * w.cols), static_cast<std::size_t>(w.cols)));
  return out;
}

std::vector<double> col_norms(const MatrixView& w) {
  std::vector<double> acc(static_cast<std::size_t>(w.cols), 0.0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      const double v = w.at(r, c);
      acc[static_cast<std::size_t>(c)] += v * v;
    }
  for (auto& a : acc) a = std::sqrt(a);
  return acc;
}

double stable_rank(std::span<const double> sigma, double fro) {
  if (sigma.empty() || sigma[0] <= 0) return 0.0;
  return fro * fro / (sigma[0] * sigma[0]);
}

double spectral_entropy(std::span<const double> sigma) {
  const double total = std::accumulate(sigma.begin(), sigma.end(), 0.0);
  if (total <= 0) return 0.0;
  double h = 0;
  for (double s : sigma)
    if (s > 0) h -= (s / total) * std::log(s / total);
  return h;
}

double effective_rank(std::span<const double> sigma) {
  return std::exp(spectral_entropy(sigma));
}

std::vector<double> norm01(std::span<const double> x) {
  if (x.empty()) return {};
  const auto [mn, mx] = std::minmax_element(x.begin(), x.end());
  const double lo = *mn, range = *mx - *mn + 1e-9;
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - lo) / range;
  return out;
}

namespace {
std::vector<double> max_normalized_sorted(std::span<const double> a) {
  if (a.empty()) throw std::invalid_argument("spectrum: empty input");
  const double mx = *std::max_element(a.begin(), a.end());
  std::vector<double> out(a.begin(), a.end());
  for (auto& v : out) v = mx > 0 ? v / mx : 0.0;
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

double spectrum_wasserstein(std::span<const double> a_in, std::span<const double> b_in) {
  const auto a = max_normalized_sorted(a_in), b = max_normalized_sorted(b_in);
  // W1 = ∫ |F_a(x) − F_b(x)| dx, integrated piecewise between consecutive pooled values.
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  double w = 0;
  std::size_t ia = 0, ib = 0;
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    while (ia < a.size() && a[ia] <= all[i]) ++ia;
    while (ib < b.size() && b[ib] <= all[i]) ++ib;
    const double fa = static_cast<double>(ia) / static_cast<double>(a.size());
    const double fb = static_cast<double>(ib) / static_cast<double>(b.size());
    w += std::abs(fa - fb) * (all[i + 1] - all[i]);
  }
  return w;
}

double spectral_coherence(std::span<const double> a, std::span<const double> b, std::size_t k) {
  k = std::min({k, a.size(), b.size()});
  if (k == 0) throw std::invalid_argument("spectral_coherence: empty spectrum");
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < k; ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  // Dividing each by its maximum does not change a cosine; only the top-k cut matters.
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

}  // namespace th::analysis
