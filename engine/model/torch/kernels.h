// INTERNAL to engine/model/torch (torch types): the matrix products and norms of the forward pass,
// and the row helpers the float32 kernels (attention_kernel, rope_kernel, mlp_kernel) share.
// Float32 weights go straight to torch (OpenBLAS). Bfloat16 keeps HF's bf16 convention — bf16
// inputs, float32 accumulation, the result rounded to bf16 — but computes it with float32 BLAS on
// bf16 values widened block by block, because torch's CPU bf16 GEMM without avx512_bf16 is ~30×
// slower than sgemm; single-row products (decoding) use a GEMV that reads the bf16 weights
// directly, so decoding stays bound by memory bandwidth. Under grad mode everything goes to torch
// so training stays differentiable. Include only from engine/model/torch/*.cpp.
#pragma once

#include <c10/util/BFloat16.h>
#include <torch/types.h>

#include <algorithm>
#include <vector>

namespace th::model {

// x [..., K] · w[N, K]ᵀ (+ b[N]) → [..., N] in x's dtype. w may be BF16 under float32 x (its
// values widened exactly). Thread-safe (torch's pool); allocates.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {});

// A matrix the raw kernels (decode_step, layer_team) read as it is: a contiguous float32 or BF16
// CPU matrix. Thread-safe; realtime-safe.
inline bool raw_matrix(const torch::Tensor& t) {
  return t.defined() && t.dim() == 2 && t.is_contiguous() && t.device().is_cpu() &&
         (t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kBFloat16);
}

// Rows per task for an element-wise pass over rows of n values: split among torch's threads only
// past 64K values in all, because below that, waking the other thread (a futex under
// OMP_WAIT_POLICY=passive) costs more than the pass (the pocket model at T = 64). Thread-safe;
// realtime-safe.
inline int64_t row_grain(int64_t n) {
  return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(n, 1));
}

// A float32 CPU [B, T, n] tensor whose rows (the last dim) are contiguous and evenly spaced —
// contiguous, or a column slice of a wider product — so kernels can walk it as B·T rows with one
// stride (t.stride(1)). Thread-safe; realtime-safe.
inline bool f32_even_rows(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat32 && t.device().is_cpu() && t.dim() == 3 &&
         t.stride(2) == 1 && t.stride(1) >= t.size(2) && t.stride(0) == t.size(1) * t.stride(1);
}

// out [M, N] = x [M, K] · w[N, K]ᵀ for float32 x and out (both contiguous), w float32 or BF16:
// the product written in place (a BF16 w by torch's threads as one team, each product_rows over
// its own columns of out), for outputs too large to allocate twice (all of a big vocabulary's
// logits). No autograd. Thread-safe (torch's pool); not realtime-safe (allocates the widening
// buffer once per thread).
void linear_out(torch::Tensor& out, const torch::Tensor& x, const torch::Tensor& w);

// out[M, n1 − n0] (row stride ldo) = x[M, K] · w[n0:n1, K]ᵀ for float32 x (contiguous rows) and
// w float32 or BF16, computed by the calling thread alone when it runs inside a thread team's
// region (OpenBLAS does not nest): a team splits a product among its threads by output columns.
// A BF16 w is widened product_chunk_rows(K) rows at a time into this thread's scratch (≤ 1 MB:
// a team's scratch stays small next to a large model's weights), one sgemm per chunk.
// Thread-safe; not realtime-safe (grows the scratch once).
void product_rows(const float* x, int64_t M, int64_t K, const torch::Tensor& w, int64_t n0,
                  int64_t n1, float* out, int64_t ldo);

// Rows of a K-wide matrix per product_rows chunk: a multiple of 16, ~256K values. Thread-safe;
// realtime-safe.
int64_t product_chunk_rows(int64_t K);

// Batched a [..., M, K] · b [..., K, N] → [..., M, N] in a's dtype. Thread-safe; allocates.
torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b);

// HF RMSNorm over the last dim without autograd, one pass per row: x·rsqrt(mean(x²) + eps) in
// float32, then Gemma's ·(1 + w) in float32 rounded once (offset_one), or Llama's rounding of
// the normed row to x's dtype followed by ·w. x and w float32 or bfloat16 of the same dtype.
// Returns a contiguous tensor of x's shape. Thread-safe; allocates.
torch::Tensor rms_norm_rows(const torch::Tensor& x, const torch::Tensor& w, double eps,
                            bool offset_one);

// The raw single-thread pieces the products above and the decoding step (decode_step.h) share.

// y[n] = Σ_i W[n, i]·x[i] for rows [n0, n1) of a row-major W[·, k] holding bf16 bits or float32,
// accumulated in float32 in one fixed order per row (whatever rows it is computed with), with
// software prefetch ahead of the streams. Thread-safe; realtime-safe.
void gemv_rows(const float* x, const uint16_t* w, int64_t k, int64_t n0, int64_t n1, float* y);
void gemv_rows(const float* x, const float* w, int64_t k, int64_t n0, int64_t n1, float* y);

// v rounded to the nearest bfloat16 (ties to even), as torch rounds. Inline: the decoding
// step calls it per element. Thread-safe; realtime-safe.
inline float round_bf16(float v) {
  return static_cast<float>(c10::BFloat16(v));
}

// rms_norm_rows for one float row whose values are those of the compute dtype: the same
// arithmetic, each rounding to bfloat16 done when round_to_bf16. Thread-safe; realtime-safe.
void rms_norm_row(const float* x, const float* w, float* out, int64_t n, float eps, bool offset_one,
                  bool round_to_bf16);

}  // namespace th::model
