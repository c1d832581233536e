#include "model/torch/entry_points.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "model/torch/kernels.h"
#include "model/torch/transformer.h"

namespace th::model {

namespace torch_rt {

double matmul_gflops(int64_t m, int64_t k, int64_t n, ComputeDType dtype, MatmulPath path,
                     int reps) {
  init_torch_threads();
  c10::InferenceMode guard;
  const auto st = dtype == ComputeDType::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
  torch::Tensor a = torch::randn({m, k}).to(st), w = torch::randn({n, k}).to(st);
  auto run = [&] { return path == MatmulPath::Torch ? torch::mm(a, w.t()) : model::linear(a, w); };
  run();
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(reps, 1); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n) / best /
         1e9;
}

}  // namespace torch_rt
}  // namespace th::model
