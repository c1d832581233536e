#include "analysis/tonality.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "analysis/pca.h"
#include "analysis/stats.h"

namespace th::analysis {
namespace {

// The seed's mode rule, first match wins (seed §1.2 item 1).
enum class Stat { Pc2Skew, Pc3Kurtosis };
struct ModeRule {
  Stat stat;
  int sign;  // +1: value > threshold; −1: value < threshold
  double threshold;
  const char* mode;
};
constexpr std::array kModeRules{
    ModeRule{Stat::Pc2Skew, +1, 0.1, "major"},
    ModeRule{Stat::Pc2Skew, -1, -0.1, "natural_minor"},
    ModeRule{Stat::Pc3Kurtosis, +1, 3.0, "harmonic_minor"},
};
constexpr const char* kDefaultMode = "dorian";

constexpr std::array<const char*, 12> kPitchNames{"C",  "C#", "D",  "D#", "E",  "F",
                                                  "F#", "G",  "G#", "A",  "A#", "B"};

}  // namespace

const char* pitch_class_name(int pc) {
  return kPitchNames[static_cast<std::size_t>(((pc % 12) + 12) % 12)];
}

Tonality tonality_from_norms(const MatrixView& norms) {
  const Pca p = pca(norms, 3);
  Tonality t;
  t.components = p.components;
  t.explained_variance_ratio = p.explained_variance_ratio;
  t.pc2_skew = moments(std::span<const double>(p.components[1])).skewness;
  t.pc3_kurtosis = moments(std::span<const double>(p.components[2])).kurtosis;
  t.mode = kDefaultMode;
  for (const auto& r : kModeRules) {
    const double v = r.stat == Stat::Pc2Skew ? t.pc2_skew : t.pc3_kurtosis;
    if (r.sign > 0 ? v > r.threshold : v < r.threshold) {
      t.mode = r.mode;
      break;
    }
  }
  const double pos = 12.0 * p.explained_variance_ratio[0];
  t.root_pitch_class = std::clamp(static_cast<int>(std::floor(pos)), 0, 11);
  t.root_midi = 60 + t.root_pitch_class;
  t.root_margin = std::min(pos - std::floor(pos), std::ceil(pos) - pos) / 12.0;
  return t;
}

}  // namespace th::analysis
