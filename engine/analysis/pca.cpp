#include "analysis/pca.h"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>

namespace th::analysis {

Pca pca(const MatrixView& s, std::size_t k) {
  if (s.rows < 2) throw std::invalid_argument("pca: needs at least 2 samples");
  using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  MatD x = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
               s.data.data(), s.rows, s.cols)
               .cast<double>();
  x.rowwise() -= x.colwise().mean();
  const auto n = static_cast<Eigen::Index>(s.rows);
  // Eigen-decompose the smaller Gram matrix: XXᵀ (samples ≤ features, e.g. layers × hidden)
  // gives left singular vectors u and components Xᵀu/σ; XᵀX (many samples, e.g. token rows of
  // a refusal direction) gives the components directly. Both have the same nonzero σ².
  const bool by_samples = s.rows <= s.cols;
  Eigen::MatrixXd g =
      by_samples ? Eigen::MatrixXd(x * x.transpose()) : Eigen::MatrixXd(x.transpose() * x);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g);
  const Eigen::Index m = g.rows();
  double total = 0;
  for (Eigen::Index i = 0; i < m; ++i) total += std::max(eig.eigenvalues()[i], 0.0);
  Pca out;
  out.n_features = static_cast<std::size_t>(s.cols);
  const double scale = 1e-12 * std::max(eig.eigenvalues()[m - 1], 0.0);
  for (std::size_t c = 0; c < k; ++c) {
    std::vector<double> comp(out.n_features, 0.0);
    double ev = 0;
    const Eigen::Index idx = m - 1 - static_cast<Eigen::Index>(c);  // eigenvalues ascend
    if (idx >= 0 && eig.eigenvalues()[idx] > scale && eig.eigenvalues()[idx] > 0) {
      ev = eig.eigenvalues()[idx];
      Eigen::VectorXd v =
          by_samples ? Eigen::VectorXd(x.transpose() * eig.eigenvectors().col(idx) / std::sqrt(ev))
                     : Eigen::VectorXd(eig.eigenvectors().col(idx));
      Eigen::Index arg = 0;
      for (Eigen::Index j = 1; j < v.size(); ++j)
        if (std::abs(v[j]) > std::abs(v[arg])) arg = j;
      if (v[arg] < 0) v = -v;
      for (Eigen::Index j = 0; j < v.size(); ++j) comp[static_cast<std::size_t>(j)] = v[j];
    }
    out.components.push_back(std::move(comp));
    out.explained_variance.push_back(ev / static_cast<double>(n - 1));
    out.explained_variance_ratio.push_back(total > 0 ? ev / total : 0.0);
  }
  return out;
}

}  // namespace th::analysis
