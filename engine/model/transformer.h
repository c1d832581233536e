// INTERNAL to engine/model (torch types): the decoder-only transformer forward pass that every
// architecture in architecture.h shares, written after the Hugging Face transformers modelling
// code (eager attention, so attention probabilities exist). Include only from engine/model/*.cpp.
// Contract: forward() computes what HF computes for the same weights, dtype and tokens; when
// called under grad mode it is differentiable with respect to every tensor in Weights.
#pragma once

#include <torch/types.h>

#include <vector>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/safetensors.h"

namespace th::model {

// Undefined tensors are absent (an architecture without q_norm, a model without biases, …).
struct LayerWeights {
  torch::Tensor attn_norm, post_attn_norm, pre_ffn_norm, post_ffn_norm, q, k, v, o, q_norm, k_norm,
      q_bias, k_bias, v_bias, gate, up, down;
};

struct Weights {
  torch::Tensor embed, final_norm, lm_head;  // lm_head may share storage with embed (tied)
  std::vector<LayerWeights> layers;
};

// Copies every role out of the mmap into compute_dtype tensors (row slices of fused tensors
// become their own tensors). Throws InputError like resolve_roles. Thread-safe.
Weights load_weights(const ModelConfig& c, const ArchSpec& a, const WeightStore& ws,
                     torch::ScalarType compute_dtype);

// Optional outputs of one forward pass, requested by flag. Each vector gets one entry per
// layer (hidden: num_layers + 1, HF output_hidden_states convention: [0] is the (scaled)
// embedding output, [L] is after the final norm).
struct Capture {
  bool want_hidden = false;
  bool want_attn_probs = false;    // [B, H, T, S] probabilities (S = keys incl. cache), float32
  bool want_attn_entropy = false;  // [B, H, T] −Σ p·ln p in nats, float32
  bool want_mlp_act = false;       // [B, T, I] act(gate)·up in compute dtype
  std::vector<torch::Tensor> hidden, attn_probs, attn_entropy, mlp_act;
};

// Keys (after RoPE and k_norm) and values of every position seen so far, per layer, in
// [B, kv_heads, S, head_dim]. forward() appends to it and advances `length`.
struct KVCache {
  std::vector<torch::Tensor> k, v;
  int64_t length = 0;
};

// tokens: int64 [B, T]. Returns logits [B, T, vocab] in the compute dtype (softcapped when the
// config says so). Positions start at cache->length (0 without a cache). Not thread-safe for a
// shared cache; otherwise thread-safe.
torch::Tensor forward(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                      const torch::Tensor& tokens, Capture* capture = nullptr,
                      KVCache* cache = nullptr);

}  // namespace th::model
