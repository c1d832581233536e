// singular_spectrum on matrices with known singular values, large enough that the Gram is summed
// over several blocks (and, at the top level, over several threads' partial Grams), in both the
// tall (WᵀW) and the wide (WWᵀ) orientation; singular_spectra against one call per matrix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "analysis/spectrum.h"

using namespace th::analysis;

namespace {

// A rows × cols (rows ≥ cols) row-major float32 matrix with singular values s (size cols):
// diag(s), times four random Householder reflections from the right, padded with zero rows, then
// four random reflections of the full height from the left. Orthogonal factors keep the spectrum
// and make every row and column dense. transpose: return the cols × rows transpose instead.
std::vector<float> with_spectrum(int64_t rows, int64_t cols, const std::vector<double>& s,
                                 unsigned seed, bool transpose = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  const auto R = static_cast<std::size_t>(rows), C = static_cast<std::size_t>(cols);
  std::vector<double> w(R * C, 0.0);
  for (std::size_t i = 0; i < C; ++i) w[i * C + i] = s[i];
  auto random_vector = [&](std::size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) x = g(rng);
    double vv = 0;
    for (double x : v) vv += x * x;
    return std::pair{v, vv};
  };
  for (int k = 0; k < 4; ++k) {  // W ← W·(I − 2vvᵀ/vᵀv) on the first cols rows
    const auto [v, vv] = random_vector(C);
    for (std::size_t r = 0; r < C; ++r) {
      double d = 0;
      for (std::size_t c = 0; c < C; ++c) d += w[r * C + c] * v[c];
      for (std::size_t c = 0; c < C; ++c) w[r * C + c] -= 2 * d / vv * v[c];
    }
  }
  for (int k = 0; k < 4; ++k) {  // W ← (I − 2vvᵀ/vᵀv)·W
    const auto [v, vv] = random_vector(R);
    std::vector<double> d(C, 0.0);
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) d[c] += v[r] * w[r * C + c];
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) w[r * C + c] -= 2 * v[r] / vv * d[c];
  }
  std::vector<float> out(R * C);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c)
      out[transpose ? c * R + r : r * C + c] = static_cast<float>(w[r * C + c]);
  return out;
}

// σ_i = 2 / (1 + i)^0.7: a trained-looking decay.
std::vector<double> decaying(int n) {
  std::vector<double> s(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) s[static_cast<std::size_t>(i)] = 2.0 / std::pow(1.0 + i, 0.7);
  return s;
}

void check_spectrum(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  // Storing W in float32 moves each σ by at most ‖δW‖₂ ≲ 1e-6·σ₁ here.
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("σ[" << i << "]");
    CHECK(got[i] == Approx(want[i]).margin(2e-6 * want[0]).epsilon(0));
  }
}

}  // namespace

TEST_CASE("spectrum: tall and wide matrices summed over several blocks", "[analysis][spectrum]") {
  // 1 Mi elements per block: 40000 × 64 is 2 blocks of 16384 rows and a partial one.
  const auto s = decaying(64);
  const auto tall = with_spectrum(40000, 64, s, 1);
  const auto wide = with_spectrum(40000, 64, s, 2, true);
  const auto t = singular_spectrum({tall, 40000, 64});
  const auto w = singular_spectrum({wide, 64, 40000});
  CHECK(t.method == "gram-eigh");
  CHECK(w.method == "gram-eigh");
  check_spectrum(t.singular_values, s);
  check_spectrum(w.singular_values, s);
}

TEST_CASE("spectrum: singular_spectra equals one call per matrix, in input order",
          "[analysis][spectrum]") {
  const auto big = decaying(64), small = decaying(20);
  const auto a = with_spectrum(40000, 64, big, 3);
  const auto b = with_spectrum(300, 20, small, 4, true);
  const auto c = with_spectrum(300, 20, small, 5);
  const std::vector<MatrixView> views{{b, 20, 300}, {a, 40000, 64}, {c, 300, 20}};
  const auto all = singular_spectra(views);
  REQUIRE(all.size() == 3);
  for (std::size_t i = 0; i < views.size(); ++i) {
    INFO("matrix " << i);
    const auto one = singular_spectrum(views[i]);
    REQUIRE(all[i].singular_values.size() == one.singular_values.size());
    for (std::size_t j = 0; j < one.singular_values.size(); ++j)
      CHECK(all[i].singular_values[j] ==
            Approx(one.singular_values[j]).epsilon(1e-12).margin(1e-14));
  }
  check_spectrum(all[0].singular_values, small);
  check_spectrum(all[1].singular_values, big);
}

TEST_CASE("spectrum: a rank-deficient matrix takes the BDCSVD path", "[analysis][spectrum]") {
  std::vector<double> s(30, 0.0);
  for (int i = 0; i < 10; ++i) s[static_cast<std::size_t>(i)] = 1.0 + i;
  std::sort(s.rbegin(), s.rend());
  const auto w = with_spectrum(60, 30, s, 6);
  const auto r = singular_spectrum({w, 60, 30});
  CHECK(r.method == "bdcsvd");
  check_spectrum(r.singular_values, s);
  CHECK_THROWS_AS(singular_spectrum({w, 60, 29}), std::invalid_argument);
}
