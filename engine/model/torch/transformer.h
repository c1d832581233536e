// INTERNAL to engine/model/torch (torch types): the decoder-only transformer forward pass that
// every architecture in architecture.h shares, written after the Hugging Face transformers
// modelling code (eager attention, so attention probabilities exist). Include only from
// engine/model/torch/*.cpp. Contract: forward() computes what HF computes for the same weights,
// dtype and tokens; when called under grad mode it is differentiable with respect to every tensor
// in Weights.
#pragma once

#include <torch/types.h>

#include <memory>
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
// become their own tensors). With share_mapping, roles already stored in compute_dtype stay
// read-only views of the mapping instead (no copy; `ws` must outlive the Weights and nothing
// may write into them), and so do BF16 matrices under float32 compute (kernels.h's products
// widen them exactly, block by block); norms, biases and 1-D roles always hold compute_dtype.
// Throws InputError like resolve_roles. Thread-safe.
Weights load_weights(const ModelConfig& c, const ArchSpec& a, const WeightStore& ws,
                     torch::ScalarType compute_dtype, bool share_mapping = false);

// Sets torch's intra-op pool to the runtime's thread count (2) once per process. Thread-safe.
void init_torch_threads();

// Optional outputs of one forward pass, requested by flag. Each vector gets one entry per
// layer (hidden: num_layers + 1, HF output_hidden_states convention: [0] is the (scaled)
// embedding output, [L] is after the final norm).
struct Capture {
  bool want_hidden = false;
  bool want_attn_probs = false;    // [B, H, T, S] probabilities (S = keys incl. cache), float32
  bool want_attn_entropy = false;  // [B, H, T] −Σ p·ln p in nats, float32
  bool want_mlp_act = false;       // [B, T, I] act(gate)·up in compute dtype
  // [B, T] float32: per batch row, the fraction of units with |a| < 0.1·std(a over that row's
  // tokens and units) — docs/model.md's sparsity, computed without keeping the activations.
  bool want_mlp_sparsity = false;
  // Computes the logits of the last position only: forward() returns [B, 1, vocab]. The
  // lm_head over every position is the largest product of a pass for a large vocabulary.
  bool last_logits_only = false;
  // false: no lm_head at all, forward() returns an undefined tensor — for a caller that takes
  // the logits itself from the last hidden state (logits_columns). A decoding step (B = T = 1
  // over a cache) computes them regardless.
  bool want_logits = true;
  std::vector<torch::Tensor> hidden, attn_probs, attn_entropy, mlp_act, mlp_sparsity;
  // When defined (float32 [B, T or 1, vocab], contiguous; e.g. a view of the caller's buffer),
  // forward() writes the final logits into it as float32 and returns it.
  torch::Tensor logits_into;
};

// Keys (after RoPE and k_norm) and values of every position seen so far, per layer: positions
// [0, length) of buffers [B, kv_heads, capacity, head_dim] that grow by doubling, so decoding
// writes one row per token instead of reallocating. forward() appends and advances `length`.
// The RoPE tables of positions [0, rope_length) are kept too (except for LongRope, whose
// tables depend on the sequence length).
struct DecodePlan;  // decode_step.cpp's raw view of the Weights, made at its first step
struct KVCache {
  std::vector<torch::Tensor> k, v;
  int64_t length = 0;
  torch::Tensor rope_cos[2], rope_sin[2];  // [global, local] × [rope_length, rotary_dim]
  int64_t rope_length = 0;
  std::shared_ptr<const DecodePlan> decode_plan;
};

// The logits of vocabulary rows [v0, v1) for final-normed hidden rows h [T, D] (compute dtype)
// written into out [T, v1 − v0] (float32, contiguous), soft-capped when the config says so:
// forward()'s arithmetic for those columns, so a caller can take every token's logits a slice
// of the vocabulary at a time. No grad. Thread-safe; not realtime-safe (allocates).
void logits_columns(const ModelConfig& c, const Weights& w, const torch::Tensor& h, int64_t v0,
                    int64_t v1, torch::Tensor& out);

// tokens: int64 [B, T]. A single-token step over a cache (B = T = 1, no grad) goes to
// decode_step() unless decode_step.cpp's table sends it down the general path; both compute the
// same numbers up to float rounding. Returns logits [B, T, vocab] ([B, 1, vocab] when the capture
// asks for the last position only) in the compute dtype (softcapped when the config says so).
// Positions start at cache->length (0 without a cache). Not thread-safe for a shared cache;
// otherwise thread-safe.
torch::Tensor forward(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                      const torch::Tensor& tokens, Capture* capture = nullptr,
                      KVCache* cache = nullptr);

}  // namespace th::model
