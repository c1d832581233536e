// Measures the machine's matrix-multiply rate as the model runtime sees it, for benchmarks
// (torch-free interface). Contract: best of `reps` timed runs after one untimed warm-up, with
// the runtime's thread settings; the result is 2·m·k·n / seconds / 1e9.
#pragma once

#include <cstdint>

#include "model/runner.h"

namespace th::model {

enum class MatmulPath {
  Torch,    // torch::mm in the dtype (what PyTorch eager calls)
  Runtime,  // the product forward() uses for linear layers (bf16: widened to float32 BLAS)
};

// GFLOP/s of [m, k] · [k, n] in dtype. Not thread-safe (torch's pool); allocates.
double matmul_gflops(int64_t m, int64_t k, int64_t n, ComputeDType dtype, MatmulPath path,
                     int reps);

}  // namespace th::model
