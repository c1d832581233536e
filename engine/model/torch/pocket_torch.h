// INTERNAL to engine/model/torch (torch types): what the pocket trainer and its evaluation share —
// the named trainable tensors of a Gemma 3 Weights, the validation loss and greedy decoding, all
// through the one forward pass in transformer.h. Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/pocket_data.h"
#include "model/torch/transformer.h"

namespace th::model {

// Pointers into `w`, in pocket_tensor_names() order (lm_head is tied to embed and not listed).
// Thread-safe for distinct Weights.
std::vector<std::pair<std::string, torch::Tensor*>> pocket_named_tensors(Weights& w);

// Mean next-token cross-entropy (nats) over the given rows, `chunk` rows per forward pass, no
// gradient. Thread-safe.
double pocket_mean_loss(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                        const TokenStream& s, const std::vector<int64_t>& starts, int64_t cols,
                        int64_t chunk = 16);

// BOS + prompt, then up to n argmax tokens (stops after EOS or at the context length). Returns
// the generated ids only. Thread-safe.
std::vector<int32_t> pocket_greedy(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                                   const std::vector<int32_t>& prompt, int64_t n);

// Like pocket_greedy, but draws each token from the `top_k` most likely ones at `temperature`,
// with its own generator seeded by `seed` (same seed, same text). Thread-safe.
std::vector<int32_t> pocket_sample(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                                   const std::vector<int32_t>& prompt, int64_t n,
                                   double temperature, int64_t top_k, uint64_t seed);

}  // namespace th::model
