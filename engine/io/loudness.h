// Loudness and true peak after ITU-R BS.1770-4, and the master's loudness normalisation.
// Contract:
// - K-weighting = the two biquads of BS.1770-4 (high-shelf pre-filter, RLB high-pass), derived
//   for any sample rate by the bilinear transform of the analogue prototypes; at 48 kHz they
//   reproduce the coefficients tabled in the Recommendation.
// - integrated_lufs: 400 ms blocks with 75 % overlap, absolute gate −70 LKFS, relative gate
//   −10 LU; channel weights 1.0 (mono, stereo: L, R). A 0 dBFS 997 Hz sine in one channel
//   reads −3.01 LKFS (BS.1770-4, Annex 1), so −20 dBFS in one channel reads −23.01.
//   −infinity for silence or input shorter than one block.
// - true_peak: the largest |sample| of the 4× oversampled signal (polyphase windowed-sinc
//   interpolator, 12 taps per phase as in BS.1770-4 Annex 2), linear.
// - normalize_master: gain to the target integrated loudness, then a look-ahead true-peak
//   limiter (linked channels, zero-phase gain curve that never exceeds the needed reduction)
//   holding the 4× peak at or below the ceiling; iterates until both hold.
// All functions: thread-safe (no shared state); allocate; not realtime-safe.
#pragma once

#include <array>
#include <cmath>
#include <span>
#include <vector>

namespace th::io {

struct Biquad {
  double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;  // a0 = 1
};

// Stage 1 (pre-filter) and stage 2 (RLB). Thread-safe; realtime-safe.
std::array<Biquad, 2> k_weighting(double sample_rate);

// Integrated loudness in LUFS of interleaved samples.
double integrated_lufs(std::span<const float> interleaved, int channels, double sample_rate);
// Linear 4×-oversampled peak over all channels.
double true_peak(std::span<const float> interleaved, int channels);
// Linear sample peak.
double sample_peak(std::span<const float> interleaved);

inline double db_to_gain(double db) {
  return std::pow(10.0, db / 20.0);
}
double gain_to_db(double g);

struct NormalizeOptions {
  double target_lufs = -14.0;
  double tolerance_lu = 0.2;   // the loop stops within this of the target
  double ceiling_dbtp = -1.0;  // true-peak ceiling
  double lookahead_s = 0.005;  // limiter half-window: gain ramps over 2× this
};

struct NormalizeReport {
  double input_lufs = 0, input_true_peak_dbtp = 0;
  double output_lufs = 0, output_true_peak_dbtp = 0;
  double gain_db = 0;           // the linear gain applied before limiting
  double max_reduction_db = 0;  // deepest limiter gain reduction
  int iterations = 0;
  bool silent = false;  // no block above the absolute gate: left untouched
};

// Normalises `interleaved` in place. Throws th::Error if channels < 1.
NormalizeReport normalize_master(std::vector<float>& interleaved, int channels, double sample_rate,
                                 const NormalizeOptions& options = {});

}  // namespace th::io
