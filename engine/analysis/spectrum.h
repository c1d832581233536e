// Singular spectrum of one weight matrix. Contract: returns all min(rows, cols) singular values,
// descending, computed in double. This is the only translation unit that instantiates Eigen's
// SVD (BDCSVD costs ~30 s of compile time per file).
//
// Method (docs/analysis.md "Singular spectrum"): eigenvalues of the Gram matrix of the smaller
// side (WᵀW or WWᵀ, accumulated in double, blocked so a tall embedding never needs a full double
// copy) with SelfAdjointEigenSolver. The Gram path loses relative accuracy on σ_i roughly as
// ε·(σ₁/σ_i)²; when λ_min/λ_max < kGramConditionLimit and the matrix is small enough to copy,
// the spectrum is recomputed with BDCSVD in double instead.
#pragma once

#include <string>
#include <vector>

#include "analysis/matrix_view.h"

namespace th::analysis {

inline constexpr double kGramConditionLimit = 1e-10;      // λ_min/λ_max below this → BDCSVD
inline constexpr long long kSvdMaxElements = 64LL << 20;  // BDCSVD fallback only up to this size

struct Spectrum {
  std::vector<double> singular_values;  // descending, size min(rows, cols)
  std::string method;                   // "gram-eigh" or "bdcsvd"
};

// Thread-safe (no shared state); not realtime-safe (allocates, O(min(m,n)²·max(m,n))).
Spectrum singular_spectrum(const MatrixView& w);

}  // namespace th::analysis
