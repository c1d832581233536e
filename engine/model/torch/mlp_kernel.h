// INTERNAL to engine/model/torch (torch types): the MLP's element-wise work in float32 without
// autograd, as single loops instead of chains of torch operations (each a pass over the [T, I]
// activations and a dispatch): the gated activation, and the sparsity capture. The forward pass
// uses them where mlp_kernels_apply(); elsewhere (bfloat16, whose every operation rounds, and
// training) it keeps the torch operations. Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include "model/architecture.h"

namespace th::model {

// True for float32 [B, T, I] tensors of one shape and layout with evenly spaced rows
// (f32_even_rows: contiguous, or column slices of one wider product), outside grad mode.
// Thread-safe; realtime-safe.
bool mlp_kernels_apply(const torch::Tensor& gate, const torch::Tensor& up);

// act(gate) ⊙ up as a new contiguous tensor: tanh-GELU as x / (1 + e^(−2·inner)), which equals
// torch's 0.5·x·(1 + tanh(inner)) without its cancellation for x ≪ 0, and SiLU as
// x / (1 + e^(−x)). Thread-safe (torch's pool); not realtime-safe (allocates).
torch::Tensor gated_activation(const torch::Tensor& gate, const torch::Tensor& up, Activation act);

// out[i] = act(gate[i]) · up[i] for i < n: gated_activation's arithmetic on one row. Thread-safe;
// realtime-safe.
void gated_row(const float* gate, const float* up, float* out, int64_t n, Activation act);

// detail::sparsity for a float32 contiguous [B, T, I]: per batch row the population std of all
// its values (per-row moments in double, merged), then per token the fraction of |a| < 0.1·std.
// Thread-safe (torch's pool); not realtime-safe (allocates).
torch::Tensor sparsity_f32(const torch::Tensor& a);

// sparsity_f32 in pieces, for a thread team that takes its rows' moments, meets, and counts its
// rows against the threshold every thread derives alike from all rows' moments. All thread-safe
// and realtime-safe.

// Σ (x − k) and Σ (x − k)² over a row in double, k its first value (a shift that keeps the
// squares from cancelling).
struct RowMoments {
  double shift, s1, s2;
};
RowMoments row_moments(const float* x, int64_t n);

// 0.1 · the population std of `count` rows of n values, from their moments merged in order.
float sparsity_threshold(const RowMoments* rows, int64_t count, int64_t n);

// The fraction of x[0, n) with |x| < thr.
float fraction_below(const float* x, int64_t n, float thr);

}  // namespace th::model
