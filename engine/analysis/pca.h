// Principal components of a small stack of vectors (rows = samples), sklearn.decomposition.PCA
// semantics: data centred by column means, components are unit rows, signs fixed by sklearn ≥ 1.5
// svd_flip (each component's entry of largest |value| is positive; first such entry on a tie).
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/matrix_view.h"

namespace th::analysis {

struct Pca {
  std::size_t n_features = 0;
  std::vector<std::vector<double>> components;   // k rows of n_features; all-zero past the rank
  std::vector<double> explained_variance;        // σ_i² / (n_samples − 1)
  std::vector<double> explained_variance_ratio;  // σ_i² / Σ_all σ²
};

// Thread-safe; not realtime-safe. Throws std::invalid_argument for fewer than 2 samples.
Pca pca(const MatrixView& samples, std::size_t k);

}  // namespace th::analysis
