#include "analysis/spectrum.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace th::analysis {
namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF =
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Rows per block: the double copy of one block stays a few MB however tall the matrix is.
constexpr Eigen::Index kBlockRows = 4096;

// Gram of the smaller side, in double. For tall W (rows ≥ cols) this is WᵀW accumulated over
// row blocks; for wide W it is WWᵀ over column blocks.
Eigen::MatrixXd gram(const MapF& w) {
  const bool tall = w.rows() >= w.cols();
  const Eigen::Index n = tall ? w.cols() : w.rows();
  const Eigen::Index len = tall ? w.rows() : w.cols();
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index start = 0; start < len; start += kBlockRows) {
    const Eigen::Index count = std::min(kBlockRows, len - start);
    if (tall) {
      Eigen::MatrixXd block = w.middleRows(start, count).cast<double>();
      g.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
    } else {
      Eigen::MatrixXd block = w.middleCols(start, count).cast<double>();
      g.selfadjointView<Eigen::Lower>().rankUpdate(block);
    }
  }
  return g;
}

}  // namespace

Spectrum singular_spectrum(const MatrixView& w) {
  if (w.rows <= 0 || w.cols <= 0 || static_cast<int64_t>(w.data.size()) != w.rows * w.cols)
    throw std::invalid_argument("singular_spectrum: data size does not match rows × cols");
  MapF m(w.data.data(), w.rows, w.cols);
  Spectrum out;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram(m), Eigen::EigenvaluesOnly);
  Eigen::VectorXd lambda = eig.eigenvalues();  // ascending
  const double lmax = std::max(lambda.maxCoeff(), 0.0);
  const double lmin = lambda.minCoeff();
  const bool ill_conditioned = lmax > 0 && lmin < kGramConditionLimit * lmax;
  if (ill_conditioned && w.rows * w.cols <= kSvdMaxElements) {
    MatD md = m.cast<double>();
    Eigen::BDCSVD<MatD> svd(md);
    const auto& s = svd.singularValues();  // descending
    out.singular_values.assign(s.data(), s.data() + s.size());
    out.method = "bdcsvd";
    return out;
  }
  out.singular_values.resize(static_cast<std::size_t>(lambda.size()));
  for (Eigen::Index i = 0; i < lambda.size(); ++i)
    out.singular_values[static_cast<std::size_t>(i)] =
        std::sqrt(std::max(lambda[lambda.size() - 1 - i], 0.0));
  out.method = "gram-eigh";
  return out;
}

}  // namespace th::analysis
