#include "io/loudness.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numbers>

#include "core/error.h"

namespace th::io {
namespace {

constexpr int kOversample = 4;
constexpr int kTapsPerPhase = 12;  // as BS.1770-4 Annex 2 (48 taps in all)
constexpr int kFirstTap = -5;      // taps at n-5 … n+6 around the interpolated point

using Phase = std::array<double, kTapsPerPhase>;

// Windowed-sinc phases for the points n + p/4, p = 1..3 (p = 0 is the sample itself).
// Each phase is normalised to unit DC gain.
std::array<Phase, kOversample - 1> interpolator() {
  std::array<Phase, kOversample - 1> ph{};
  constexpr double half = 6.0;  // window half-width in samples
  for (int p = 1; p < kOversample; ++p) {
    const double d = static_cast<double>(p) / kOversample;
    double sum = 0;
    for (int j = 0; j < kTapsPerPhase; ++j) {
      const double t = d - (kFirstTap + j);
      const double x = std::numbers::pi * t;
      const double sinc = t == 0 ? 1.0 : std::sin(x) / x;
      const double w = 0.42 + 0.5 * std::cos(std::numbers::pi * t / half) +
                       0.08 * std::cos(2 * std::numbers::pi * t / half);
      ph[p - 1][j] = sinc * w;
      sum += ph[p - 1][j];
    }
    for (double& v : ph[p - 1]) v /= sum;
  }
  return ph;
}

// Per frame: the largest |value| over channels of the sample and of the oversampled points on
// either side of it (points between n and n+1 count for both frames).
std::vector<float> frame_peaks(std::span<const float> x, int ch) {
  static const auto ph = interpolator();
  const std::size_t n = x.size() / static_cast<std::size_t>(ch);
  std::vector<float> peak(n, 0.0f);
  const auto at = [&](std::int64_t i, int c) -> double {
    if (i < 0 || i >= static_cast<std::int64_t>(n)) return 0.0;
    return x[static_cast<std::size_t>(i) * ch + c];
  };
  for (std::size_t i = 0; i < n; ++i) {
    double best = 0;
    for (int c = 0; c < ch; ++c) {
      best = std::max(best, std::abs(static_cast<double>(x[i * ch + c])));
      const bool inner = i >= 5 && i + 6 < n;
      for (const auto& p : ph) {
        double y = 0;
        if (inner) {
          const float* base = &x[(i - 5) * ch + c];
          for (int j = 0; j < kTapsPerPhase; ++j) y += p[j] * base[j * ch];
        } else {
          for (int j = 0; j < kTapsPerPhase; ++j)
            y += p[j] * at(static_cast<std::int64_t>(i) + kFirstTap + j, c);
        }
        best = std::max(best, std::abs(y));
      }
    }
    peak[i] = std::max(peak[i], static_cast<float>(best));
    if (i + 1 < n) peak[i + 1] = static_cast<float>(best);  // raised again by frame i+1 itself
  }
  return peak;
}

double mean_square_to_lufs(double ms) {
  return ms > 0 ? -0.691 + 10 * std::log10(ms) : -std::numeric_limits<double>::infinity();
}

// Sum over channels of the K-weighted mean square of each 400 ms block (step 100 ms).
std::vector<double> block_powers(std::span<const float> x, int ch, double sr) {
  const auto k = k_weighting(sr);
  const std::size_t n = x.size() / static_cast<std::size_t>(ch);
  const auto step = static_cast<std::size_t>(std::llround(0.1 * sr));
  const std::size_t block = 4 * step;
  if (n < block || step == 0) return {};
  // Squared K-weighted signal summed over channels, per 100 ms step.
  std::vector<double> steps(n / step, 0.0);
  for (int c = 0; c < ch; ++c) {
    double s1[2] = {0, 0}, s2[2] = {0, 0};  // direct form II transposed states
    for (std::size_t i = 0; i < steps.size() * step; ++i) {
      const double in = x[i * ch + c];
      const double y1 = k[0].b0 * in + s1[0];
      s1[0] = k[0].b1 * in - k[0].a1 * y1 + s1[1];
      s1[1] = k[0].b2 * in - k[0].a2 * y1;
      const double y2 = k[1].b0 * y1 + s2[0];
      s2[0] = k[1].b1 * y1 - k[1].a1 * y2 + s2[1];
      s2[1] = k[1].b2 * y1 - k[1].a2 * y2;
      steps[i / step] += y2 * y2;
    }
  }
  std::vector<double> blocks;
  for (std::size_t b = 0; b + 4 <= steps.size(); ++b)
    blocks.push_back((steps[b] + steps[b + 1] + steps[b + 2] + steps[b + 3]) /
                     static_cast<double>(block));
  return blocks;
}

// Gain per frame, never above need[n], ramping over 2·half frames: a sliding minimum over
// [n − half, n + half] then a moving average over the same width. Each average term is a
// minimum over a window that contains n, so the result is ≤ need[n].
std::vector<float> smooth_gain(const std::vector<float>& need, std::size_t half) {
  const std::size_t n = need.size();
  std::vector<float> mn(n);
  std::deque<std::size_t> q;  // indices with increasing need
  std::size_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t hi = std::min(n - 1, i + half);
    for (; next <= hi; ++next) {
      while (!q.empty() && need[q.back()] >= need[next]) q.pop_back();
      q.push_back(next);
    }
    while (q.front() + half < i) q.pop_front();
    mn[i] = need[q.front()];
  }
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + mn[i];
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Frames beyond the ends count as 1 (no reduction) … but never above mn[i]'s bound:
    // the window is clipped, and the average of the in-range minima is still ≤ need[i].
    const std::size_t a = i >= half ? i - half : 0, b = std::min(n, i + half + 1);
    out[i] = static_cast<float>((prefix[b] - prefix[a]) / static_cast<double>(b - a));
  }
  return out;
}

}  // namespace

std::array<Biquad, 2> k_weighting(double fs) {
  std::array<Biquad, 2> k;
  {  // Stage 1: high shelf, +4 dB above ~1.7 kHz (head acoustics).
    const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
    const double K = std::tan(std::numbers::pi * f0 / fs);
    const double vh = std::pow(10.0, gain_db / 20.0), vb = std::pow(vh, 0.4996667741545416);
    const double a0 = 1.0 + K / q + K * K;
    k[0] = {(vh + vb * K / q + K * K) / a0, 2.0 * (K * K - vh) / a0, (vh - vb * K / q + K * K) / a0,
            2.0 * (K * K - 1.0) / a0, (1.0 - K / q + K * K) / a0};
  }
  {  // Stage 2: RLB high-pass at ~38 Hz.
    const double f0 = 38.13547087602444, q = 0.5003270373238773;
    const double K = std::tan(std::numbers::pi * f0 / fs);
    const double a0 = 1.0 + K / q + K * K;
    k[1] = {1.0, -2.0, 1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - K / q + K * K) / a0};
  }
  return k;
}

double integrated_lufs(std::span<const float> x, int ch, double sr) {
  if (ch < 1) throw Error("loudness: channel count must be >= 1", 1);
  const auto blocks = block_powers(x, ch, sr);
  const double abs_gate = std::pow(10.0, (-70.0 + 0.691) / 10.0);
  double sum = 0;
  std::size_t count = 0;
  for (double p : blocks)
    if (p > abs_gate) sum += p, ++count;
  if (count == 0) return -std::numeric_limits<double>::infinity();
  const double rel_gate = sum / static_cast<double>(count) * std::pow(10.0, -10.0 / 10.0);
  sum = 0;
  count = 0;
  for (double p : blocks)
    if (p > abs_gate && p > rel_gate) sum += p, ++count;
  return mean_square_to_lufs(sum / static_cast<double>(count));
}

double true_peak(std::span<const float> x, int ch) {
  if (ch < 1) throw Error("loudness: channel count must be >= 1", 1);
  const auto p = frame_peaks(x, ch);
  return p.empty() ? 0.0 : *std::max_element(p.begin(), p.end());
}

double sample_peak(std::span<const float> x) {
  double p = 0;
  for (float v : x) p = std::max(p, std::abs(static_cast<double>(v)));
  return p;
}

double gain_to_db(double g) {
  return g > 0 ? 20.0 * std::log10(g) : -std::numeric_limits<double>::infinity();
}

NormalizeReport normalize_master(std::vector<float>& x, int ch, double sr,
                                 const NormalizeOptions& o) {
  if (ch < 1) throw Error("loudness: channel count must be >= 1", 1);
  NormalizeReport r;
  r.input_lufs = integrated_lufs(x, ch, sr);
  const std::vector<float> peaks = frame_peaks(x, ch);
  const double in_tp = peaks.empty() ? 0.0 : *std::max_element(peaks.begin(), peaks.end());
  r.input_true_peak_dbtp = gain_to_db(in_tp);
  if (!std::isfinite(r.input_lufs)) {
    r.silent = true;
    r.output_lufs = r.input_lufs;
    r.output_true_peak_dbtp = r.input_true_peak_dbtp;
    return r;
  }
  const auto half = static_cast<std::size_t>(std::llround(o.lookahead_s * sr));
  const std::size_t n = peaks.size();
  double gain_db = o.target_lufs - r.input_lufs;
  // The limiter aims a little under the ceiling: gain moves inside the interpolator's support.
  double aim_db = o.ceiling_dbtp - 0.3;
  std::vector<float> y(x.size()), need(n);
  for (r.iterations = 1; r.iterations <= 8; ++r.iterations) {
    const double g = db_to_gain(gain_db), aim = db_to_gain(aim_db);
    for (std::size_t i = 0; i < n; ++i) {
      const double p = g * peaks[i];
      need[i] = static_cast<float>(p > aim ? aim / p : 1.0);
    }
    const auto s = smooth_gain(need, half);
    double deepest = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      deepest = std::min(deepest, static_cast<double>(s[i]));
      const double gi = g * s[i];
      for (int c = 0; c < ch; ++c) y[i * ch + c] = static_cast<float>(x[i * ch + c] * gi);
    }
    r.gain_db = gain_db;
    r.max_reduction_db = -gain_to_db(deepest);
    r.output_lufs = integrated_lufs(y, ch, sr);
    if (std::abs(r.output_lufs - o.target_lufs) > o.tolerance_lu && r.iterations < 8) {
      gain_db += o.target_lufs - r.output_lufs;
      continue;
    }
    r.output_true_peak_dbtp = gain_to_db(true_peak(y, ch));
    if (r.output_true_peak_dbtp <= o.ceiling_dbtp || r.iterations == 8) break;
    aim_db -= r.output_true_peak_dbtp - o.ceiling_dbtp + 0.05;
  }
  r.iterations = std::min(r.iterations, 8);
  x.swap(y);
  return r;
}

}  // namespace th::io
