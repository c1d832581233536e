// Tonality of a model from its per-layer input-norm vectors (seed §1.2 item 1, with a stable
// root). Contract: mode follows the seed rule exactly (PC2 skewness, then PC3 excess kurtosis);
// the root pitch class is floor(12 · EVR₁) clamped to 0..11, where EVR₁ is PC1's explained
// variance ratio — permutation-, sign- and offset-invariant (1 + w gives the same answer).
// docs/analysis.md and docs/mapping.md ("Tonality") give the reasoning and evidence.
#pragma once

#include <string>
#include <vector>

#include "analysis/matrix_view.h"

namespace th::analysis {

struct Tonality {
  int root_pitch_class = 0;  // 0 = C … 11 = B
  int root_midi = 60;        // 60 + pitch class (C4 … B4; the seed's recorded root was C4)
  std::string mode;          // major | natural_minor | harmonic_minor | dorian
  double pc2_skew = 0;
  double pc3_kurtosis = 0;
  double root_margin = 0;  // distance of EVR₁ to the nearest pitch-class boundary (≥ 0)
  std::vector<double> explained_variance_ratio;  // PC1..PC3
  std::vector<std::vector<double>> components;   // 3 × hidden, svd_flip signs
};

// norms: layers × hidden (row l = layer l's input_layernorm weight). Thread-safe; not
// realtime-safe. Throws std::invalid_argument for fewer than 2 layers.
Tonality tonality_from_norms(const MatrixView& norms);

// Thread-safe; realtime-safe. "C", "C#", … "B".
const char* pitch_class_name(int pc);

}  // namespace th::analysis
