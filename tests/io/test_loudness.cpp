// Loudness meter and true-peak meter against the figures the standards publish:
// ITU-R BS.1770-4 (K-weighting coefficients at 48 kHz, Table 1 and 2; a 0 dBFS 997 Hz sine in
// one channel reads −3.01 LKFS), EBU Tech 3341 (stereo sines with gating, cases 1-5) and a
// true-peak case (a quarter-sample-rate sine whose samples sit 3 dB under its peak).
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <vector>

#include "io/loudness.h"

using namespace th::io;

namespace {

constexpr int kSr = 48000;

// Appends `seconds` of a sine at `dbfs` (peak) to both channels (or the left only).
void sine(std::vector<float>& x, int ch, double seconds, double dbfs, double hz = 1000,
          bool left_only = false) {
  const double a = std::pow(10.0, dbfs / 20.0);
  const auto n = static_cast<std::size_t>(seconds * kSr);
  const std::size_t start = x.size() / ch;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = a * std::sin(2 * std::numbers::pi * hz * double(start + i) / kSr);
    for (int c = 0; c < ch; ++c) x.push_back(c == 0 || !left_only ? float(v) : 0.0f);
  }
}

}  // namespace

TEST_CASE("loudness: K-weighting at 48 kHz is BS.1770-4's table") {
  const auto k = k_weighting(48000);
  CHECK(k[0].b0 == Approx(1.53512485958697).epsilon(1e-9));
  CHECK(k[0].b1 == Approx(-2.69169618940638).epsilon(1e-9));
  CHECK(k[0].b2 == Approx(1.19839281085285).epsilon(1e-9));
  CHECK(k[0].a1 == Approx(-1.69065929318241).epsilon(1e-9));
  CHECK(k[0].a2 == Approx(0.73248077421585).epsilon(1e-9));
  CHECK(k[1].b0 == 1.0);
  CHECK(k[1].b1 == -2.0);
  CHECK(k[1].b2 == 1.0);
  CHECK(k[1].a1 == Approx(-1.99004745483398).epsilon(1e-9));
  CHECK(k[1].a2 == Approx(0.99007225036621).epsilon(1e-9));
}

TEST_CASE("loudness: a 997 Hz sine at -20 dBFS in one channel reads -23.01 LUFS") {
  std::vector<float> mono, stereo;
  sine(mono, 1, 10, -20, 997);
  sine(stereo, 2, 10, -20, 997, /*left_only=*/true);
  CHECK(integrated_lufs(mono, 1, kSr) == Approx(-23.01).margin(0.03));
  CHECK(integrated_lufs(stereo, 2, kSr) == Approx(-23.01).margin(0.03));
  // In both channels the power doubles: +3.01 LU.
  std::vector<float> both;
  sine(both, 2, 10, -20, 997);
  CHECK(integrated_lufs(both, 2, kSr) == Approx(-20.0).margin(0.03));
}

TEST_CASE("loudness: EBU Tech 3341 cases 1-5 (stereo 1 kHz, gating)") {
  std::vector<float> x;
  sine(x, 2, 20, -23);
  CHECK(integrated_lufs(x, 2, kSr) == Approx(-23.0).margin(0.1));  // case 1
  x.clear();
  sine(x, 2, 20, -33);
  CHECK(integrated_lufs(x, 2, kSr) == Approx(-33.0).margin(0.1));  // case 2
  x.clear();
  sine(x, 2, 10, -36);
  sine(x, 2, 60, -23);
  sine(x, 2, 10, -36);
  CHECK(integrated_lufs(x, 2, kSr) == Approx(-23.0).margin(0.1));  // case 3: relative gate
  x.clear();
  sine(x, 2, 10, -72);
  sine(x, 2, 10, -36);
  sine(x, 2, 60, -23);
  sine(x, 2, 10, -36);
  sine(x, 2, 10, -72);
  CHECK(integrated_lufs(x, 2, kSr) == Approx(-23.0).margin(0.1));  // case 4: absolute gate
  x.clear();
  sine(x, 2, 20, -26);
  sine(x, 2, 20.1, -20);
  sine(x, 2, 20, -26);
  CHECK(integrated_lufs(x, 2, kSr) == Approx(-23.0).margin(0.1));  // case 5
}

TEST_CASE("loudness: silence and short input read -inf") {
  std::vector<float> x(2 * kSr, 0.0f);
  CHECK(std::isinf(integrated_lufs(x, 2, kSr)));
  std::vector<float> s;
  sine(s, 2, 0.3, -10);
  CHECK(std::isinf(integrated_lufs(s, 2, kSr)));
}

TEST_CASE("true peak: a sine at fs/4 with a 45 degree phase peaks between its samples") {
  // sin(pi/2 n + pi/4): every sample is ±0.7071·A, the waveform reaches A half-way between.
  std::vector<float> x;
  const double a = 0.5;
  for (int i = 0; i < kSr; ++i) {
    const float v = float(a * std::sin(std::numbers::pi / 2 * i + std::numbers::pi / 4));
    x.push_back(v);
    x.push_back(v);
  }
  CHECK(sample_peak(x) == Approx(a * std::sqrt(0.5)).epsilon(1e-6));
  CHECK(gain_to_db(true_peak(x, 2)) == Approx(gain_to_db(a)).margin(0.2));
}

TEST_CASE("normalize: reaches -14 LUFS with true peak under -1 dBTP, limiting when needed") {
  // A quiet 110 Hz tone with sparse loud clicks: the gain that reaches -14 LUFS would push the
  // clicks far over the ceiling, so the limiter has to work.
  std::vector<float> x;
  sine(x, 2, 12, -30, 110);
  for (std::size_t i = kSr; i + 2 < x.size() / 2; i += kSr / 2) {
    x[2 * i] = 0.5f;
    x[2 * i + 1] = -0.5f;
  }
  auto r = normalize_master(x, 2, kSr);
  INFO("in " << r.input_lufs << " LUFS, out " << r.output_lufs << " LUFS, tp "
             << r.output_true_peak_dbtp << " dBTP, reduction " << r.max_reduction_db);
  CHECK(r.output_lufs == Approx(-14.0).margin(0.25));
  CHECK(integrated_lufs(x, 2, kSr) == Approx(r.output_lufs).margin(1e-9));
  CHECK(gain_to_db(true_peak(x, 2)) <= -1.0);
  // The report's peak (measured on the limiter's ramps only, scaled elsewhere) is the output's.
  CHECK(r.output_true_peak_dbtp == Approx(gain_to_db(true_peak(x, 2))).margin(1e-4));
  CHECK(r.max_reduction_db > 6.0);
  for (float v : x) REQUIRE(std::isfinite(v));
}

TEST_CASE("normalize: without limiting the reported true peak is the output's") {
  // Unequal channels and a level ramp, so the peak is one frame of many; no gain reduction.
  std::vector<float> x;
  sine(x, 2, 6, -30, 110);
  for (std::size_t i = 0; i < x.size() / 2; ++i) {
    x[2 * i] *= float(1.0 + double(i) / double(x.size()));
    x[2 * i + 1] *= 0.5f;
  }
  auto r = normalize_master(x, 2, kSr);
  CHECK(r.max_reduction_db == 0.0);
  CHECK(r.output_true_peak_dbtp < -1.0);
  CHECK(r.output_true_peak_dbtp == Approx(gain_to_db(true_peak(x, 2))).margin(1e-4));
  CHECK(r.output_true_peak_dbtp == Approx(r.input_true_peak_dbtp + r.gain_db).margin(1e-4));
}
