// Singular spectrum of one weight matrix, or of many at once. Contract: returns all
// min(rows, cols) singular values, descending, computed in double. This is the only translation
// unit that instantiates Eigen's SVD (BDCSVD costs ~30 s of compile time per file).
//
// Method (docs/analysis.md "Singular spectrum"): eigenvalues of the Gram matrix of the smaller
// side (WᵀW or WWᵀ) formed in double by BLAS dsyrk over row blocks (a tall embedding never needs
// a full double copy; the blocks are shared among the OpenMP threads, each with its own partial
// Gram), then LAPACK's symmetric eigensolver, eigenvalues only. The Gram path loses relative
// accuracy on σ_i roughly as ε·(σ₁/σ_i)²; when λ_min/λ_max < kGramConditionLimit and the matrix
// is small enough to copy, the spectrum is recomputed with BDCSVD in double instead.
//
// Threads: OpenMP (OMP_NUM_THREADS, default all cores). Inside an enclosing parallel region
// every call runs on the calling thread only, BLAS included, so callers can parallelise across
// matrices without oversubscribing.
#pragma once

#include <span>
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

// Every matrix's spectrum, in input order, the matrices spread over the OpenMP threads (largest
// first). Thread-safe; not realtime-safe.
std::vector<Spectrum> singular_spectra(std::span<const MatrixView> ws);

// Floating-point operations the method needs for w on the Gram path: the Gram by syrk
// (max·min² multiply-adds counted as 2 flops on half the output) plus the eigensolver's
// tridiagonal reduction (4/3·min³). Thread-safe; realtime-safe.
double spectrum_flops(const MatrixView& w);

}  // namespace th::analysis
