// Every per-tensor statistic of docs/analysis.md, for one weight matrix or one vector.
// Contract: pure functions of the values; all computed in double.
#pragma once

#include <string>
#include <vector>

#include "analysis/matrix_view.h"
#include "analysis/power_law.h"
#include "analysis/stats.h"

namespace th::analysis {

struct MatrixStats {
  std::vector<double> singular_values;  // all min(m, n), descending
  std::string svd_method;               // "gram-eigh" | "bdcsvd"
  double spectral_norm = 0, fro = 0, stable_rank = 0, spectral_entropy = 0, effective_rank = 0;
  Moments moments;
  double bimodality = 0;
  std::vector<double> row_norms, col_norms;
  Histogram histogram;
  PowerLawFit alpha;  // on λ = σ²
};

struct VectorStats {
  Moments moments;        // of the stored values
  Moments scale_moments;  // of the effective scale (1 + w with a norm offset, else w)
  double bimodality = 0;  // 0 when fewer than 4 values
  Histogram histogram;
};

// Thread-safe; not realtime-safe.
MatrixStats matrix_stats(const MatrixView& w, int histogram_bins = 32);
VectorStats vector_stats(std::span<const float> w, double scale_offset, int histogram_bins = 32);

}  // namespace th::analysis
