#include "analysis/spectrum.h"

#include "analysis/largest_first.h"

#include <omp.h>

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>

// Reference BLAS/LAPACK (OpenBLAS at run time via Debian's alternatives). Declared here rather
// than through cblas/lapacke headers: the two routines are all this module needs. The trailing
// size_t are the Fortran hidden string lengths.
extern "C" {
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc,
            std::size_t, std::size_t);
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info, std::size_t, std::size_t);
}

namespace th::analysis {
namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF =
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// Doubles per converted block: big enough for syrk to run at its GEMM rate, small enough that
// each thread's copy stays in the last-level cache's neighbourhood (8 MB).
constexpr int64_t kBlockElements = 1 << 20;

// Lower triangle of the Gram of the smaller side (n × n, column-major), in double. Tall W
// (rows ≥ cols): WᵀW summed over row blocks; wide W: WWᵀ summed over column blocks. Each
// OpenMP thread converts its blocks to double and runs its own syrk into a private Gram; the
// partial Grams are added at the end (inside an enclosing parallel region this is one thread).
std::vector<double> gram(const MatrixView& w, int& n_out) {
  const bool tall = w.rows >= w.cols;
  const int n = static_cast<int>(tall ? w.cols : w.rows);
  const int64_t len = tall ? w.rows : w.cols;
  const int64_t block = std::max<int64_t>(256, kBlockElements / n);
  const int64_t blocks = (len + block - 1) / block;
  const auto nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  std::vector<double> g(nn, 0.0);
  std::mutex sum;
#pragma omp parallel if (blocks > 1)
  {
    std::vector<double> local(omp_get_num_threads() > 1 ? nn : 0, 0.0);
    double* acc = local.empty() ? g.data() : local.data();
    std::vector<double> buf(static_cast<std::size_t>(std::min(block, len) * n));
#pragma omp for schedule(dynamic)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t start = b * block;
      const int k = static_cast<int>(std::min(block, len - start));
      const double one = 1.0;
      if (tall) {
        // k rows, contiguous: column-major this is the n × k matrix A, and WᵀW += A·Aᵀ.
        const float* src = w.data.data() + start * w.cols;
        std::copy(src, src + static_cast<int64_t>(k) * n, buf.begin());
        dsyrk_("L", "N", &n, &k, &one, buf.data(), &n, &one, acc, &n, 1, 1);
      } else {
        // Columns [start, start + k) of every row, packed row-major: column-major this is the
        // k × n matrix A, and WWᵀ += Aᵀ·A.
        for (int r = 0; r < n; ++r) {
          const float* src = w.data.data() + r * w.cols + start;
          std::copy(src, src + k, buf.begin() + static_cast<std::ptrdiff_t>(r) * k);
        }
        dsyrk_("L", "T", &n, &k, &one, buf.data(), &k, &one, acc, &n, 1, 1);
      }
    }
    if (!local.empty()) {
      std::lock_guard lock(sum);
      for (std::size_t i = 0; i < nn; ++i) g[i] += local[i];
    }
  }
  n_out = n;
  return g;
}

// Eigenvalues (ascending) of the symmetric matrix whose lower triangle is in g; destroys g.
std::vector<double> eigenvalues(std::vector<double>& g, int n) {
  std::vector<double> lambda(static_cast<std::size_t>(n));
  int info = 0, lwork = -1;
  double query = 0;
  dsyev_("N", "L", &n, g.data(), &n, lambda.data(), &query, &lwork, &info, 1, 1);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
  dsyev_("N", "L", &n, g.data(), &n, lambda.data(), work.data(), &lwork, &info, 1, 1);
  if (info != 0) throw std::runtime_error("singular_spectrum: dsyev did not converge");
  return lambda;
}

}  // namespace

Spectrum singular_spectrum(const MatrixView& w) {
  if (w.rows <= 0 || w.cols <= 0 || static_cast<int64_t>(w.data.size()) != w.rows * w.cols)
    throw std::invalid_argument("singular_spectrum: data size does not match rows × cols");
  Spectrum out;
  int n = 0;
  auto g = gram(w, n);
  const auto lambda = eigenvalues(g, n);
  const double lmax = std::max(lambda.back(), 0.0);
  const double lmin = lambda.front();
  const bool ill_conditioned = lmax > 0 && lmin < kGramConditionLimit * lmax;
  if (ill_conditioned && w.rows * w.cols <= kSvdMaxElements) {
    MatD md = MapF(w.data.data(), w.rows, w.cols).cast<double>();
    Eigen::BDCSVD<MatD> svd(md);
    const auto& s = svd.singularValues();  // descending
    out.singular_values.assign(s.data(), s.data() + s.size());
    out.method = "bdcsvd";
    return out;
  }
  out.singular_values.resize(lambda.size());
  std::transform(lambda.rbegin(), lambda.rend(), out.singular_values.begin(),
                 [](double l) { return std::sqrt(std::max(l, 0.0)); });
  out.method = "gram-eigh";
  return out;
}

std::vector<Spectrum> singular_spectra(std::span<const MatrixView> ws) {
  std::vector<Spectrum> out(ws.size());
  largest_first(
      ws.size(), [&](std::size_t i) { return spectrum_flops(ws[i]); },
      [&](std::size_t i) { out[i] = singular_spectrum(ws[i]); });
  return out;
}

double spectrum_flops(const MatrixView& w) {
  const auto n = static_cast<double>(std::min(w.rows, w.cols));
  const auto m = static_cast<double>(std::max(w.rows, w.cols));
  return m * n * (n + 1) + 4.0 / 3.0 * n * n * n;
}

}  // namespace th::analysis
