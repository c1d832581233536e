// INTERNAL to engine/model/torch (torch types): a projection's heads made ready for attention in
// one pass — split into heads, each head's row RMS-normed when the model has q/k norms, rotated
// by RoPE — instead of a view, a transpose, a norm and the ~7 torch operations of
// x·cos + rotate_half(x)·sin. Float32 without autograd; the forward pass keeps the torch
// operations elsewhere (rope_kernel_applies). Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

namespace th::model {

// x [B, T, n·hd] float32 with evenly spaced rows (f32_even_rows), cos/sin [T, rd] float32
// contiguous (rd ≤ hd, even), no grad. Thread-safe; realtime-safe.
bool rope_kernel_applies(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin);

// [B, n, T, hd] contiguous: head h of token t is x[b, t, h·hd : (h+1)·hd], normed by `norm`
// (rms_norm_row's arithmetic, when defined), then its first rd features rotated —
// out_i = x_i·cos_i + r_i·sin_i with r_i = −x_(i+rd/2) for i < rd/2 and x_(i−rd/2) above — and
// the rest passed (Phi-3's partial rotary). Thread-safe (torch's pool); not realtime-safe
// (allocates).
torch::Tensor rope_heads(const torch::Tensor& x, int64_t n, int64_t hd, const torch::Tensor& norm,
                         float eps, bool offset_one, const torch::Tensor& cos,
                         const torch::Tensor& sin);

// rope_heads' arithmetic on raw rows, for a thread team's share of the items (b, t) of x.
struct RopeRows {
  const float* x;  // [B, T, ·] rows, `ld` apart; head h of (b, t) at x + (b·T + t)·ld + h·hd
  int64_t ld, T, n, hd;
  const float* norm;  // the heads' RMS-norm weights, or nullptr
  float eps;
  bool offset_one;
  const float *cos, *sin;  // [T, rd]
  int64_t rd;
  // Head h of (b, t) goes to out + ((b·n + h)·cap + off + t)·hd: a [B, n, T, hd] tensor
  // (cap = T, off = 0), or a KV cache's [B, n, cap, hd] buffer from position off.
  float* out;
  int64_t cap, off;
};

// Items [i0, i1) of B·T (item b·T + t) on the calling thread. Thread-safe (disjoint items);
// not realtime-safe (allocates a row).
void rope_rows(const RopeRows& r, int64_t i0, int64_t i1);

}  // namespace th::model
