// INTERNAL to engine/model/torch (torch types): the pieces of transformer.cpp's forward pass
// that the decoding step (decode_step.cpp) shares with it, so both compute the same RoPE tables
// and the same capture statistics. Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include <cmath>

#include "model/hf_config.h"
#include "model/torch/transformer.h"

namespace th::model::detail {

// cos/sin tables [len, rotary_dim] in dtype.
struct Rope {
  torch::Tensor cos, sin;
};

// The tables of absolute positions [start, start + len) for RoPE base `base` and scaling `s`:
// slices of the cache's tables (`which`: 0 global, 1 local) when it has a cache and the tables
// do not depend on the sequence length (LongRope), computed afresh otherwise. Not thread-safe
// for a shared cache; not realtime-safe (allocates).
Rope rope_for(const ModelConfig& c, double base, const RopeScaling& s, int64_t start, int64_t len,
              torch::ScalarType dtype, KVCache* cache, int which);

// The factor on q·k: query_pre_attn_scalar^(−1/2), head_dim^(−1/2) without one. Thread-safe;
// realtime-safe.
inline double attention_scaling(const ModelConfig& c) {
  return std::pow(c.query_pre_attn_scalar.value_or(static_cast<double>(c.head_dim)), -0.5);
}

// Makes a layer's cache buffer [B, kv, capacity, hd] hold at least `need` positions — capacity
// 64, doubling — keeping positions [0, start). Not thread-safe for a shared cache; not
// realtime-safe (allocates when it grows).
void reserve_cache(torch::Tensor& buf, int64_t B, int64_t kv, int64_t hd, int64_t start,
                   int64_t need, const torch::TensorOptions& options);

// −Σ p·ln p over the last dim (p clamped to [1e-12, 1]), float32. Thread-safe; allocates.
torch::Tensor entropy(const torch::Tensor& probs);

// a [B, T, I] → [B, T] float32: per batch row, the fraction of units with |a| < 0.1·(population
// std of that row's activations). Thread-safe; allocates.
torch::Tensor sparsity(const torch::Tensor& a);

}  // namespace th::model::detail
