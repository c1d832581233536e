// INTERNAL to engine/model/torch (torch types): the decoder layers of the float32 prompt pass as
// one thread team in one OpenMP region. The pieces are the fused kernels' (the same row norms,
// RoPE rows, attention items and gated activation; sgemm products), but where each piece was
// its own parallel region — five per layer, each a thread wake-up (tens of microseconds on a
// virtual machine) and each small product split by OpenBLAS its own way — the team splits the
// products by output columns, the rows and attention items among its threads, and meets at a
// spin barrier between phases:
//   1. n = attn_norm(h)                      rows
//   2. q | k | v = n · [Wq; Wk; Wv]ᵀ (+ b)    output columns of each
//   3. q, k split into heads, q/k-normed, rotated; k and v into the cache    tokens
//   4. attention (and its entropy)           items: a head's block of query rows
//   5. y = attn · Woᵀ                         output columns
//   6. h' = h + post_attn_norm(y), n = pre_ffn_norm(h')    rows
//   7. a = act(n · Wgateᵀ) ⊙ (n · Wupᵀ)        units
//   8. y = a · Wdownᵀ; moments of a           output columns; rows
//   9. h'' = h' + post_ffn_norm(y); sparsity of a    rows
// Layers share their work buffers; what a layer keeps is what its captures ask for.
// Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include <optional>
#include <vector>

#include "model/architecture.h"
#include "model/torch/transformer.h"

namespace th::model {

struct LayerTeamInput {
  const LayerWeights& w;
  int64_t heads, kv_heads, head_dim, intermediate;  // the config's: every layer alike
  float eps;
  bool offset_one;  // Gemma's (1 + w) norms
  Activation act;
  const torch::Tensor &cos, &sin;  // RoPE rows of the T positions [T, rotary_dim]
  int64_t start;                   // absolute position of token 0
  std::optional<int64_t> window;   // sliding window of this layer
  double scaling;
  std::optional<double> logit_softcap;
  bool want_entropy, want_act, want_sparsity;
  bool keep_output;  // the layer's output is wanted (hidden states); the last one's always is
  // The layer's cache buffers (keys and values of positions [0, start) kept; this pass's
  // written at [start, start + T)), or nullptr without a cache.
  torch::Tensor *cache_k, *cache_v;
};

// Each defined when asked for (the last layer's h always).
struct LayerTeamOutput {
  torch::Tensor h;         // [B, T, D]
  torch::Tensor entropy;   // [B, H, T]
  torch::Tensor act;       // [B, T, I] act(gate) ⊙ up
  torch::Tensor sparsity;  // [B, T], sparsity_f32's
};

// True for float32 h [B, T, D] (contiguous, more than two rows: fewer go through the GEMV),
// contiguous float32 or BF16 matrices and float32 norms and biases of matching shapes, float32
// RoPE rows, H a multiple of KV, float32 cache buffers, outside grad mode. Thread-safe;
// realtime-safe.
bool layer_team_applies(const torch::Tensor& h, const LayerTeamInput& in);

// The layers in order — h the first one's input, each one's output the next one's — for
// layer_team_applies() inputs (all of one h shape), in one team with torch's thread count: one
// thread wake-up per pass. Thread-safe for distinct caches; not realtime-safe (allocates).
std::vector<LayerTeamOutput> layers_team(const torch::Tensor& h,
                                         const std::vector<LayerTeamInput>& layers);

}  // namespace th::model
