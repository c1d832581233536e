// INTERNAL to engine/model/torch (torch types): the decoding step, i.e. forward() for one new
// token of one sequence (B = T = 1) over a KV cache without grad — what generate() runs after
// the prompt. A step reads every weight once, so it is bound by memory bandwidth; the general
// path spends much of a step between its products (dozens of small torch ops per layer and a
// thread hand-off per product). This step is one OpenMP region per token: each product's rows are
// split over the threads (q|k|v as one product, gate|up as one with the activation applied to
// each thread's own units), and the small per-token work (norms, RoPE, attention of one query over
// the cache) is plain loops on float buffers, done redundantly by every thread where that saves a
// hand-off; five barriers per layer separate what needs another thread's rows.
// Contract: the numbers of the general path up to float rounding. Activations hold values of the
// compute dtype and are rounded to bfloat16 exactly where the general path's bf16 tensors round;
// the products use kernels.h's row kernels, so bf16 products are bitwise those of the general
// path. Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/torch/transformer.h"

namespace th::model {

// nullptr when decode_step() computes this forward() call; otherwise why the general path must
// (the first matching row of decode_step.cpp's kFallbacks table). Setting the environment
// variable TH_DECODE_FAST_PATH=0 sends every call down the general path (tests compare the two).
// Thread-safe; realtime-safe.
const char* decode_fallback_reason(const ModelConfig& c, const Weights& w,
                                   const torch::Tensor& tokens, const Capture* capture,
                                   const KVCache* cache);

// forward() for `token` at position cache.length, when decode_fallback_reason() is nullptr:
// appends to the cache, fills the capture's hidden / attn_entropy / mlp_act / mlp_sparsity when
// asked (same shapes and dtypes as the general path), returns the logits [1, 1, vocab] (written
// into capture->logits_into when defined). Throws c10::Error for a token outside the vocabulary.
// Not thread-safe for a shared cache; not realtime-safe (allocates).
torch::Tensor decode_step(const ModelConfig& c, const ArchSpec& a, const Weights& w, int64_t token,
                          Capture* capture, KVCache& cache);

}  // namespace th::model
