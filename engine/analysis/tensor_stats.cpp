#include "analysis/tensor_stats.h"

#include "analysis/spectrum.h"

namespace th::analysis {

MatrixStats matrix_stats(const MatrixView& w, int bins) {
  MatrixStats s;
  auto spec = singular_spectrum(w);
  s.singular_values = std::move(spec.singular_values);
  s.svd_method = std::move(spec.method);
  s.spectral_norm = s.singular_values.empty() ? 0.0 : s.singular_values.front();
  s.fro = frobenius(w.data);
  s.stable_rank = stable_rank(s.singular_values, s.fro);
  s.spectral_entropy = spectral_entropy(s.singular_values);
  s.effective_rank = effective_rank(s.singular_values);
  s.moments = moments(w.data);
  s.bimodality = w.data.size() >= 4
                     ? bimodality_coefficient(s.moments, static_cast<int64_t>(w.data.size()))
                     : 0.0;
  s.row_norms = row_norms(w);
  s.col_norms = col_norms(w);
  s.histogram = percentile_histogram(w.data, bins);
  std::vector<double> lambda(s.singular_values.size());
  for (std::size_t i = 0; i < lambda.size(); ++i)
    lambda[i] = s.singular_values[i] * s.singular_values[i];
  s.alpha = fit_power_law(lambda);
  return s;
}

VectorStats vector_stats(std::span<const float> w, double offset, int bins) {
  VectorStats s;
  s.moments = moments(w);
  s.scale_moments = s.moments;
  s.scale_moments.mean += offset;  // shifting leaves every central moment unchanged
  s.bimodality =
      w.size() >= 4 ? bimodality_coefficient(s.moments, static_cast<int64_t>(w.size())) : 0.0;
  s.histogram = percentile_histogram(w, bins);
  return s;
}

}  // namespace th::analysis
