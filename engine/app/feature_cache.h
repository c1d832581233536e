// The features a composition reads, computed once per model and cached on disk.
// Contract: features_for_model(dir) returns the model's weight FeatureStore, loading it from
// the cache when the model's bytes (config.json + every *.safetensors) hash to a stored entry
// and computing + storing it otherwise; a live set therefore never recomputes. The cache lives
// in $TH_CACHE_DIR, else $XDG_CACHE_HOME/tensorhaus, else ~/.cache/tensorhaus; a cache that
// cannot be written only costs time (a warning), never the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/feature_store.h"
#include "analysis/prompt_set.h"
#include "music/feature.h"

namespace th::app {

// Thread-safe; not realtime-safe: hashes the weights, analyses them on a cache miss.
analysis::FeatureStore features_for_model(const std::filesystem::path& model_dir);

// A model folder and the content hash of its config and weights: the cache key of everything
// computed on it. Hash once, then look up any number of prompts and datasets.
struct CachedModel {
  std::filesystem::path dir;
  uint64_t hash = 0;
  // Hashes config.json and every *.safetensors (InputError when dir is not a folder).
  // Thread-safe; slow (reads every weight byte).
  static CachedModel identify(const std::filesystem::path& dir);
};

// The activation features of one prompt (analysis/activation_features.h, names `prompt.*`),
// cached by model hash + prompt text. Throws InputError (no tokenizer, prompt too long).
// Thread-safe; not realtime-safe: on a cache miss loads the model and runs one forward pass.
analysis::FeatureStore prompt_features(const CachedModel& model, const std::string& prompt);

// The features of a prompt dataset (analysis/dataset_features.h, names `dataset.*`), cached by
// model hash + prompts hash; progress(done, total) on a cache miss. Thread-safe; not
// realtime-safe (a forward pass per prompt on a miss).
analysis::FeatureStore dataset_features(
    const CachedModel& model, const analysis::PromptSet& set,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

// The composer's view of a FeatureStore. get() copies a feature once and keeps it, so the span
// it returns stays valid as long as this object lives. Thread-safe.
class StoreFeatureSource final : public music::FeatureSource {
 public:
  explicit StoreFeatureSource(analysis::FeatureStore store) : store_(std::move(store)) {}
  std::span<const float> get(std::string_view name) const override;
  const analysis::FeatureStore& store() const { return store_; }

 private:
  analysis::FeatureStore store_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::vector<float>, std::less<>> cache_;
};

}  // namespace th::app
