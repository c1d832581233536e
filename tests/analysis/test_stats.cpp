// Unit tests of the statistics on inputs whose answers are known by construction.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "analysis/pca.h"
#include "analysis/power_law.h"
#include "analysis/spectrum.h"
#include "analysis/stats.h"
#include "analysis/tonality.h"

using namespace th::analysis;

TEST_CASE("spectrum: gram path on a well-conditioned matrix, bdcsvd on a near-singular one",
          "[analysis][spectrum]") {
  // A diagonal block padded with zero rows: the singular values are the |diagonal|, sorted.
  std::vector<float> w = {3, 0, 0, 0, -1.5f, 0, 0, 0, 2, 0, 0, 0};  // 4×3
  auto s = singular_spectrum({w, 4, 3});
  CHECK(s.method == "gram-eigh");
  REQUIRE(s.singular_values.size() == 3);
  CHECK(s.singular_values[0] == Approx(3.0).epsilon(1e-12));
  CHECK(s.singular_values[1] == Approx(2.0).epsilon(1e-12));
  CHECK(s.singular_values[2] == Approx(1.5).epsilon(1e-12));

  std::vector<float> ill = {3, 0, 0, 0, 2e-6f, 0};  // 2×3 wide, cond 1.5e6 → λ ratio 4e-13
  auto t = singular_spectrum({ill, 2, 3});
  CHECK(t.method == "bdcsvd");
  REQUIRE(t.singular_values.size() == 2);
  CHECK(t.singular_values[1] == Approx(static_cast<double>(2e-6f)).epsilon(1e-9));
}

TEST_CASE("stats: moments match the closed forms of a small sample", "[analysis][stats]") {
  std::vector<float> x = {1, 2, 3, 4, 10};
  auto m = moments(std::span<const float>(x));
  // mean 4, deviations −3 −2 −1 0 6: m2 = 50/5, m3 = 180/5, m4 = 1394/5
  CHECK(m.mean == Approx(4.0));
  CHECK(m.std == Approx(std::sqrt(10.0)));
  CHECK(m.skewness == Approx(36.0 / std::pow(10.0, 1.5)));
  CHECK(m.kurtosis == Approx(278.8 / 100.0 - 3.0));
}

TEST_CASE("stats: percentile and histogram follow numpy", "[analysis][stats]") {
  std::vector<float> x;
  for (int i = 0; i <= 100; ++i) x.push_back(static_cast<float>(i));
  CHECK(percentile(x, 2) == Approx(2.0));
  CHECK(percentile(x, 98) == Approx(98.0));
  CHECK(percentile(std::vector<float>{1, 2, 3, 4}, 50) == Approx(2.5));
  auto h = percentile_histogram(x, 4);  // range [2, 98]: 97 values, bins of width 24
  CHECK(h.lo == 2.0);
  CHECK(h.hi == 98.0);
  // [2,26) 24 · [26,50) 24 · [50,74) 24 · [74,98] 25 (last edge inclusive)
  CHECK(h.density[0] == Approx(24.0 / 97));
  CHECK(h.density[3] == Approx(25.0 / 97));
}

TEST_CASE("stats: spectral scalars, norm01, Wasserstein and coherence", "[analysis][stats]") {
  std::vector<double> flat = {2, 2, 2, 2};
  CHECK(effective_rank(flat) == Approx(4.0));
  CHECK(stable_rank(flat, 4.0) == Approx(4.0));
  std::vector<double> one = {5, 0, 0};
  CHECK(effective_rank(one) == Approx(1.0));
  auto n = norm01(std::vector<double>{1, 3, 2});
  CHECK(n[1] == Approx(1.0).margin(1e-8));
  CHECK(n[2] == Approx(0.5).margin(1e-8));
  CHECK(norm01(std::vector<double>{7, 7})[0] == 0.0);
  // Same shape at another scale: distance 0, coherence 1.
  CHECK(spectrum_wasserstein(std::vector<double>{4, 2, 1}, std::vector<double>{8, 4, 2}) ==
        Approx(0.0).margin(1e-15));
  // {1, 0.5} vs {1, 1}: one quantile moves by 0.5 → W1 = 0.25
  CHECK(spectrum_wasserstein(std::vector<double>{2, 1}, std::vector<double>{3, 3}) == Approx(0.25));
  CHECK(spectral_coherence(std::vector<double>{4, 2, 1}, std::vector<double>{8, 4, 2}) ==
        Approx(1.0));
  CHECK(spectral_coherence(std::vector<double>{1, 0}, std::vector<double>{0, 1}) == Approx(0.0));
}

TEST_CASE("stats: Sarle bimodality separates one peak from two", "[analysis][stats]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> uni, bi;
  for (int i = 0; i < 20000; ++i) {
    uni.push_back(g(rng));
    bi.push_back(g(rng) * 0.3f + (i % 2 ? 3.f : -3.f));
  }
  const double bu = bimodality_coefficient(moments(std::span<const float>(uni)), 20000);
  const double bb = bimodality_coefficient(moments(std::span<const float>(bi)), 20000);
  CHECK(bu == Approx(1.0 / 3.0).margin(0.02));  // normal: 1/3
  CHECK(bb > 5.0 / 9.0);
}

TEST_CASE("power law: MLE recovers α of synthetic Pareto samples", "[analysis][alpha]") {
  for (double alpha : {2.0, 2.5, 4.0}) {
    std::mt19937_64 rng(static_cast<uint64_t>(alpha * 100));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> x;
    for (int i = 0; i < 4000; ++i) x.push_back(1.5 * std::pow(1.0 - u(rng), -1.0 / (alpha - 1.0)));
    auto fit = fit_power_law(x);
    INFO("alpha " << alpha << " fit " << fit.alpha << " xmin " << fit.lambda_min << " tail "
                  << fit.tail);
    CHECK(fit.alpha == Approx(alpha).epsilon(0.08));
    CHECK(fit.ks < 0.05);
    CHECK(fit.lambda_min >= 1.5);
  }
  // A power-law tail on top of a uniform bulk: λ_min must land near the tail start.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x;
  for (int i = 0; i < 3000; ++i) x.push_back(0.1 + 0.9 * u(rng));
  for (int i = 0; i < 3000; ++i) x.push_back(2.0 * std::pow(1.0 - u(rng), -1.0 / 2.0));  // α = 3
  auto fit = fit_power_law(x);
  CHECK(fit.lambda_min >= 1.0);
  CHECK(fit.alpha == Approx(3.0).epsilon(0.1));
  CHECK(fit_power_law(std::vector<double>{1, 2, 3}).alpha == 0.0);  // too few values
}

TEST_CASE("pca: components, explained variance and svd_flip signs", "[analysis][pca]") {
  // Samples spread along e0 (variance big), e1 (small): PC1 = +e0, PC2 = ±e1 with the largest
  // entry positive.
  std::vector<float> x = {-2, -0.5f, 0, 2, -0.5f, 0, -2, 0.5f, 0, 2, 0.5f, 0};  // 4 × 3
  auto p = pca({x, 4, 3}, 2);
  CHECK(p.components[0][0] == Approx(1.0));
  CHECK(p.components[1][1] == Approx(1.0));
  CHECK(p.explained_variance_ratio[0] == Approx(16.0 / 17.0));
  CHECK(p.explained_variance[0] == Approx(16.0 / 3.0));
}

TEST_CASE("tonality: mode rule and a root from PC1's explained variance", "[analysis][tonality]") {
  // Layers = a ramp along d1 plus a smaller orthogonal pattern along d2; both the layer weights
  // (ramp ⟂ c) and the hidden directions (d1 ⟂ d2) are orthogonal, so PC1 = d1 and PC2 = ±d2.
  const int layers = 6, hidden = 24;
  static constexpr double kC[] = {1, -1, 0, 0, -1, 1};
  auto build = [&](double a1, double a2, std::vector<double> d2) {
    std::vector<float> g;
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < hidden; ++h) {
        const double d1 = h < 12 ? 1.0 : -1.0;
        g.push_back(static_cast<float>(a1 * (l - 2.5) * d1 / std::sqrt(24.0) +
                                       a2 * kC[static_cast<std::size_t>(l)] *
                                           d2[static_cast<std::size_t>(h)]));
      }
    return g;
  };
  // d2: one large positive entry among small negatives → positive skew after svd_flip → major.
  std::vector<double> spike(hidden, 0.0);
  for (int h = 0; h < 12; ++h) spike[static_cast<std::size_t>(h)] = h == 5 ? 1.0 : -1.0 / 11.0;
  auto g = build(1.0, 0.3, spike);
  auto t = tonality_from_norms({g, layers, hidden});
  CHECK(t.mode == "major");
  CHECK(t.pc2_skew > 0.1);
  const double evr1 = t.explained_variance_ratio[0];
  CHECK(t.root_pitch_class == static_cast<int>(std::floor(12 * evr1)));
  CHECK(t.root_midi == 60 + t.root_pitch_class);
  // The root is invariant to Gemma's 1 + w offset (PCA centres).
  auto shifted = g;
  for (auto& v : shifted) v += 1.0f;
  CHECK(tonality_from_norms({shifted, layers, hidden}).root_pitch_class == t.root_pitch_class);
  // A symmetric ±1 second direction has zero skew; kurtosis of a ±1 vector is −2 → dorian.
  std::vector<double> pm(hidden);
  for (int h = 0; h < hidden; ++h)
    pm[static_cast<std::size_t>(h)] = ((h / 6) % 2 ? 1.0 : -1.0) / std::sqrt(24.0);
  auto t2 = tonality_from_norms({build(1.0, 0.3, pm), layers, hidden});
  CHECK(std::abs(t2.pc2_skew) < 0.1);
  CHECK(t2.mode == "dorian");
  // Raising PC1's share moves the root up.
  auto t3 = tonality_from_norms({build(3.0, 0.3, spike), layers, hidden});
  CHECK(t3.explained_variance_ratio[0] > evr1);
  CHECK(t3.root_pitch_class >= t.root_pitch_class);
}
