// Features of a prompt dataset: one forward pass per prompt, each reduced to per-layer
// summaries and its mean-pooled hidden state (docs/analysis.md "Datasets"). Contract: prompts
// run one at a time, unpadded, so the masked mean pooling of a padded batch reduces to the mean
// over each prompt's own tokens (masked_mean_pool with a full mask); results are in prompt
// order and depend only on the model, the prompts and the dtype.
#pragma once

#include <functional>

#include "analysis/feature_store.h"
#include "analysis/prompt_set.h"
#include "model/runner.h"

namespace th::analysis {

// Adds, for N prompts and L layers:
//   dataset.pooled [N, L+1, D]          mean over tokens of hidden[l]
//   dataset.tokens [N]                  token count
//   dataset.hidden_norm_mean [N, L+1]   mean over tokens of ‖h‖
//   dataset.attn_entropy [N, L]         mean over heads and queries
//   dataset.mlp_sparsity [N, L]         mean over tokens
// progress(done, total) after each prompt. Throws InputError for a prompt longer than the
// context (naming its file and line). Not thread-safe with other uses of the runner; not
// realtime-safe.
FeatureStore dataset_features(const model::Runner& runner, const PromptSet& prompts,
                              const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace th::analysis
