#include "io/loudness.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "core/error.h"

namespace th::io {
namespace {

constexpr int kOversample = 4;
constexpr int kTapsPerPhase = 12;  // as BS.1770-4 Annex 2 (48 taps in all)
constexpr int kFirstTap = -5;      // taps at n-5 … n+6 around the interpolated point

using Phase = std::array<float, kTapsPerPhase>;

// Windowed-sinc phases for the points n + p/4, p = 1..3 (p = 0 is the sample itself).
// Each phase is normalised to unit DC gain (designed in double, applied in float: the
// rounding, ~1e-7 of the peak, is far below the 0.2 dB the meter is good for).
std::array<Phase, kOversample - 1> interpolator() {
  std::array<Phase, kOversample - 1> ph{};
  constexpr double half = 6.0;  // window half-width in samples
  for (int p = 1; p < kOversample; ++p) {
    const double d = static_cast<double>(p) / kOversample;
    std::array<double, kTapsPerPhase> h{};
    double sum = 0;
    for (int j = 0; j < kTapsPerPhase; ++j) {
      const double t = d - (kFirstTap + j);
      const double x = std::numbers::pi * t;
      const double sinc = t == 0 ? 1.0 : std::sin(x) / x;
      const double w = 0.42 + 0.5 * std::cos(std::numbers::pi * t / half) +
                       0.08 * std::cos(2 * std::numbers::pi * t / half);
      h[j] = sinc * w;
      sum += h[j];
    }
    for (int j = 0; j < kTapsPerPhase; ++j) ph[p - 1][j] = static_cast<float>(h[j] / sum);
  }
  return ph;
}

constexpr std::size_t kChunk = 2048;  // frames per pass: the working set stays in L1/L2

// The signal a pass reads: x itself, or x · g·gain[frame] rounded to float exactly as the
// normaliser writes its output, so the output can be measured before (without) writing it.
struct Source {
  std::span<const float> x;
  std::size_t ch = 1;
  const float* gain = nullptr;  // per frame, or none
  double g = 1;
  std::size_t frames() const { return x.size() / ch; }
  float at(std::size_t frame, std::size_t c) const {
    const float v = x[frame * ch + c];
    return gain ? static_cast<float>(v * (g * gain[frame])) : v;
  }
};

// best[i] = max over channels of |x[i]| and of the three oversampled points after it, for
// frames [first, first + count). Zeros beyond the signal's ends. The FIRs run over a
// contiguous, zero-padded copy of one channel, so the loops vectorise.
void chunk_peaks(const Source& x, std::size_t n, std::size_t first, std::size_t count,
                 float* best) {
  static const auto ph = interpolator();
  std::array<float, kChunk + kTapsPerPhase> xp;
  std::fill(best, best + count, 0.0f);
  for (std::size_t c = 0; c < x.ch; ++c) {
    // xp[k] = channel c at frame first + kFirstTap + k.
    for (std::size_t k = 0; k < count + kTapsPerPhase - 1; ++k) {
      const auto f = static_cast<std::int64_t>(first + k) + kFirstTap;
      xp[k] =
          f < 0 || f >= static_cast<std::int64_t>(n) ? 0.0f : x.at(static_cast<std::size_t>(f), c);
    }
    for (std::size_t i = 0; i < count; ++i)
      best[i] = std::max(best[i], std::abs(xp[i + static_cast<std::size_t>(-kFirstTap)]));
    // The three phases at once, taps unrolled: the compiler vectorises over i with the
    // accumulators in registers and each input load shared by three phases.
    const float* in = xp.data();
    for (std::size_t i = 0; i < count; ++i) {
      float a0 = 0, a1 = 0, a2 = 0;
      for (int j = 0; j < kTapsPerPhase; ++j) {
        const float v = in[i + static_cast<std::size_t>(j)];
        a0 += ph[0][j] * v;
        a1 += ph[1][j] * v;
        a2 += ph[2][j] * v;
      }
      best[i] = std::max({best[i], std::abs(a0), std::abs(a1), std::abs(a2)});
    }
  }
}

// Per frame: the largest |value| over channels of the sample and of the oversampled points on
// either side of it (points between n and n+1 count for both frames).
std::vector<float> frame_peaks(const Source& x) {
  const std::size_t n = x.frames();
  std::vector<float> peak(n);
  for (std::size_t first = 0; first < n; first += kChunk)
    chunk_peaks(x, n, first, std::min(kChunk, n - first), peak.data() + first);
  // best[i] covers [i, i+1): frame i also takes the points just before it.
  for (std::size_t i = n; i-- > 1;) peak[i] = std::max(peak[i], peak[i - 1]);
  return peak;
}

// True peak of y = x · gain[i] without a second full pass: frame i's peak depends on the
// output frames i−6 … i+6 only, so where the gain is the same over all of them it is
// gain · peak_x[i]; the frames where the gain moves (the limiter's ramps) are measured on y.
double scaled_true_peak(const Source& y, const std::vector<float>& peak_x, double g,
                        const std::vector<float>& gain) {
  const std::size_t n = peak_x.size();
  constexpr std::size_t reach = static_cast<std::size_t>(kTapsPerPhase / 2);  // 6
  // moving[i]: the gain changes somewhere in frames (i − 6, i + 6], counted in a sliding window.
  const auto changed = [&](std::size_t m) { return m >= 1 && m < n && gain[m] != gain[m - 1]; };
  std::vector<std::uint8_t> moving(n);
  int count = 0;
  for (std::size_t m = 1; m <= std::min(n - 1, reach); ++m) count += changed(m);
  for (std::size_t f = 0; f < n; ++f) {
    moving[f] = count > 0;
    count += changed(f + reach + 1);  // the window's right end moves to f + 1 + reach
    if (f + 1 > reach) count -= changed(f + 1 - reach);  // ... and its left end past f − reach
  }
  double best = 0;
  std::vector<float> scratch(kChunk);
  std::size_t i = 0;
  while (i < n) {
    if (!moving[i]) {
      best = std::max(best, g * gain[i] * peak_x[i]);
      ++i;
      continue;
    }
    // A run of moving frames [i, e): measure best_y over [i − 1, e) and combine as
    // frame_peaks does.
    std::size_t e = i;
    while (e < n && moving[e] && e - i < kChunk - 1) ++e;
    const std::size_t first = i > 0 ? i - 1 : 0, len = e - first;
    chunk_peaks(y, n, first, len, scratch.data());
    for (std::size_t k = 0; k < len; ++k) best = std::max(best, double(scratch[k]));
    i = e;
  }
  return best;
}

double mean_square_to_lufs(double ms) {
  return ms > 0 ? -0.691 + 10 * std::log10(ms) : -std::numeric_limits<double>::infinity();
}

// Sum over channels of the K-weighted mean square of each 400 ms block (step 100 ms).
std::vector<double> block_powers(const Source& x, double sr) {
  const auto k = k_weighting(sr);
  const std::size_t n = x.frames();
  const auto step = static_cast<std::size_t>(std::llround(0.1 * sr));
  const std::size_t block = 4 * step;
  if (n < block || step == 0) return {};
  // Squared K-weighted signal summed over channels, per 100 ms step. Channels in pairs in one
  // loop: each filter is a serial chain, two independent ones keep the pipeline busy.
  std::vector<double> steps(n / step, 0.0);
  struct State {
    double s1[2] = {0, 0}, s2[2] = {0, 0};  // direct form II transposed
  };
  const auto filter = [&k](State& st, double in) {
    const double y1 = k[0].b0 * in + st.s1[0];
    st.s1[0] = k[0].b1 * in - k[0].a1 * y1 + st.s1[1];
    st.s1[1] = k[0].b2 * in - k[0].a2 * y1;
    const double y2 = k[1].b0 * y1 + st.s2[0];
    st.s2[0] = k[1].b1 * y1 - k[1].a1 * y2 + st.s2[1];
    st.s2[1] = k[1].b2 * y1 - k[1].a2 * y2;
    return y2 * y2;
  };
  const std::size_t cs = x.ch;
  for (std::size_t c = 0; c < cs; c += 2) {
    State a, b;
    const bool pair = c + 1 < cs;
    for (std::size_t s = 0; s < steps.size(); ++s) {
      double sum = 0;
      for (std::size_t i = s * step; i < (s + 1) * step; ++i) {
        sum += filter(a, x.at(i, c));
        if (pair) sum += filter(b, x.at(i, c + 1));
      }
      steps[s] += sum;
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
// Gain per frame, never above need[n], ramping over 2·half frames: a sliding minimum over
// [n − half, n + half] then a moving average over the same width. Each average term is a
// minimum over a window that contains n, so the result is ≤ need[n]. Writes `out` (kept by the
// caller across iterations: fresh pages of the size of the signal cost more in page faults
// than the arithmetic); every other buffer is a few windows long.
void smooth_gain(const std::vector<float>& need, std::size_t half, std::vector<float>& out) {
  const std::size_t n = need.size();
  out.resize(n);
  // Sliding minimum by van Herk / Gil-Werman over blocks of w = 2·half + 1 of the signal padded
  // with `half` ones at each end (need ≤ 1, so that is the clipped window's minimum): window
  // pad[i … i+w−1] = min(suffix minimum of i in its block, prefix minimum of i+w−1 in its
  // block). Blocks are done one at a time, with the next block's prefix minima.
  const std::size_t w = 2 * half + 1, m = n + 2 * half;
  const auto pad = [&](std::size_t i) { return i < half || i >= half + n ? 1.0f : need[i - half]; };
  std::vector<float> bwd(w), fwd(w), fwd_next(w);
  const auto prefix_min = [&](std::size_t b, std::vector<float>& f) {
    const std::size_t e = std::min(m, b + w);
    if (b < e) f[0] = pad(b);
    for (std::size_t i = b + 1; i < e; ++i) f[i - b] = std::min(f[i - b - 1], pad(i));
  };
  prefix_min(0, fwd);
  for (std::size_t b = 0; b < n; b += w) {  // outputs i ∈ [b, b + w) ∩ [0, n)
    const std::size_t e = std::min(m, b + w);
    bwd[e - 1 - b] = pad(e - 1);
    for (std::size_t i = e - 1; i-- > b;) bwd[i - b] = std::min(bwd[i + 1 - b], pad(i));
    prefix_min(b + w, fwd_next);
    for (std::size_t i = b; i < std::min(n, b + w); ++i) {
      const std::size_t j = i + w - 1;  // in this block only when i == b
      out[i] = std::min(bwd[i - b], j < b + w ? fwd[j - b] : fwd_next[j - b - w]);
    }
    fwd.swap(fwd_next);
  }
  // Moving average of the minima (now in out) from running prefix sums; the sums of the
  // window's ends are kept in a ring, and out[i] is overwritten only after it was summed.
  std::size_t ring = 1;
  while (ring < w + 1) ring *= 2;
  std::vector<double> prefix(ring, 0.0);  // prefix[k & (ring − 1)] = Σ minima[0 … k)
  std::size_t summed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = i >= half ? i - half : 0, b = std::min(n, i + half + 1);
    for (; summed < b; ++summed)
      prefix[(summed + 1) & (ring - 1)] = prefix[summed & (ring - 1)] + out[summed];
    out[i] = static_cast<float>((prefix[b & (ring - 1)] - prefix[a & (ring - 1)]) /
                                static_cast<double>(b - a));
  }
}

// Integrated loudness from the blocks' powers: absolute gate −70 LKFS, relative gate −10 LU.
double gated_lufs(const std::vector<double>& blocks) {
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
  return gated_lufs(block_powers(Source{x, static_cast<std::size_t>(ch)}, sr));
}

double true_peak(std::span<const float> x, int ch) {
  if (ch < 1) throw Error("loudness: channel count must be >= 1", 1);
  const auto p = frame_peaks(Source{x, static_cast<std::size_t>(ch)});
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
  const Source in{x, static_cast<std::size_t>(ch)};
  r.input_lufs = gated_lufs(block_powers(in, sr));
  const std::vector<float> peaks = frame_peaks(in);
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
  // Each iteration measures the output as x · g·s read on the fly (Source); x is scaled in
  // place once, with the last iteration's gains: no second copy of the signal.
  std::vector<float> need(n), s;
  double g = 1;
  for (r.iterations = 1; r.iterations <= 8; ++r.iterations) {
    g = db_to_gain(gain_db);
    const double aim = db_to_gain(aim_db);
    for (std::size_t i = 0; i < n; ++i) {
      const double p = g * peaks[i];
      need[i] = static_cast<float>(p > aim ? aim / p : 1.0);
    }
    smooth_gain(need, half, s);
    double deepest = 1.0;
    for (float v : s) deepest = std::min(deepest, static_cast<double>(v));
    const Source y{x, in.ch, s.data(), g};
    r.gain_db = gain_db;
    r.max_reduction_db = -gain_to_db(deepest);
    r.output_lufs = gated_lufs(block_powers(y, sr));
    if (std::abs(r.output_lufs - o.target_lufs) > o.tolerance_lu && r.iterations < 8) {
      gain_db += o.target_lufs - r.output_lufs;
      continue;
    }
    r.output_true_peak_dbtp = gain_to_db(scaled_true_peak(y, peaks, g, s));
    if (r.output_true_peak_dbtp <= o.ceiling_dbtp || r.iterations == 8) break;
    aim_db -= r.output_true_peak_dbtp - o.ceiling_dbtp + 0.05;
  }
  r.iterations = std::min(r.iterations, 8);
  for (std::size_t i = 0; i < n; ++i) {
    const double gi = g * s[i];
    for (std::size_t c = 0; c < in.ch; ++c)
      x[i * in.ch + c] = static_cast<float>(x[i * in.ch + c] * gi);
  }
  return r;
}

}  // namespace th::io
