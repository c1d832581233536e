// The refusal direction r̂: the direction in the residual stream along which a model's hidden
// states for harmful requests differ from those for harmless ones (SEED-SPEC §3.3; docs/analysis.md
// "Refusal direction"). Contract: computed from real forward passes over two prompt sets, over a
// range of decoder layers (layer l = hidden[l + 1]), by one of two methods:
//   pca        — pair the sets by index; per pair and layer, the per-token differences harmful −
//                harmless over the first min(T_h, T_l) positions; r̂ = first principal component
//                of all those rows (centred), oriented so that mean(diff·r̂) > 0 (the seed's);
//   diff-means — each prompt pooled (mean over its tokens and the layers); r̂ = mean(harmful) −
//                mean(harmless), normalized (no pairing; the sets may differ in size).
// r̂ is unit-length, deterministic for the same model, prompts and options, and saved with its
// provenance (model, method, layers, prompt files and hashes) in a safetensors file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "analysis/prompt_set.h"
#include "model/runner.h"

namespace th::analysis {

enum class RefusalMethod { Pca, DiffMeans };

// "pca" | "diff-means"; InputError naming `what` otherwise. Thread-safe; not realtime-safe.
RefusalMethod parse_refusal_method(std::string_view name, std::string_view what);
// The inverse. Thread-safe; realtime-safe.
std::string_view refusal_method_name(RefusalMethod m);

struct RefusalOptions {
  RefusalMethod method = RefusalMethod::Pca;
  int layer_lo = -1;  // decoder layers, inclusive; −1: the seed's int(0.5·L) .. L − 1
  int layer_hi = -1;
  int64_t max_tokens = 0;  // truncate prompts to this many tokens (0: no truncation)
};

struct RefusalDirection {
  std::vector<float> direction;  // unit, hidden_size entries
  RefusalMethod method = RefusalMethod::Pca;
  int layer_lo = 0, layer_hi = 0;
  int64_t rows = 0;                     // difference rows (pca) or prompts pooled (diff-means)
  double explained_variance_ratio = 0;  // pca: of component 0; diff-means: 0
  double separation = 0;  // mean over the sets of dot(pooled h, r̂): harmful − harmless
  std::map<std::string, std::string> provenance;
};

// Called after each prompt's forward pass with (done, total). May be empty.
using Progress = std::function<void(std::size_t, std::size_t)>;

// Runs the model on both sets. Throws InputError for an empty set, a layer range outside the
// model, a prompt longer than the model's context, or fewer than two difference rows (pca).
// Not thread-safe with other uses of the runner; not realtime-safe.
RefusalDirection refusal_direction(const model::Runner& runner, const PromptSet& harmful,
                                   const PromptSet& harmless, const RefusalOptions& opt,
                                   const Progress& progress = {});

// The seed's 10 (harmful, harmless) pairs (SEED-SPEC §3.3), read from data/refusal_pairs.json
// under `root` (the project folder). Throws InputError naming the file. Thread-safe; file I/O.
std::pair<PromptSet, PromptSet> seed_refusal_pairs(const std::filesystem::path& root);

// Thread-safe; file I/O. save throws th::Error on I/O failure; load throws InputError naming the
// file and field for anything that is not a direction file (or, when hidden_size > 0, one whose
// length differs from the model's hidden size).
void save_direction(const std::filesystem::path& path, const RefusalDirection& r);
RefusalDirection load_direction(const std::filesystem::path& path, int64_t hidden_size = 0);

// The model's token ids for a prompt, validated against its context (InputError naming the
// prompt's origin). Thread-safe; allocates.
std::vector<int64_t> encode_prompt(const model::Runner& runner, const Prompt& p,
                                   int64_t max_tokens = 0);

}  // namespace th::analysis
