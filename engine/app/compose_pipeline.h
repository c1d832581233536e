// Session file → Composition: the steps compose, render and live share. Contract: loads and
// validates the session (th::InputError on any bad field), reads the model's features from the
// cache (app/feature_cache.h), and composes; the model folder is the session's unless
// model_override is given. Thread-safe; slow on a cache miss (weight analysis).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/feature_cache.h"
#include "music/composer.h"
#include "music/session.h"

namespace th::app {

// Activation features for the composer, from the model runtime through the feature cache
// (prompt_features, dataset_features); the model is hashed once, on the first request, and each
// prompt or dataset is looked up once per object. Thread-safe; not realtime-safe.
class ModelActivations final : public music::ActivationProvider {
 public:
  explicit ModelActivations(std::filesystem::path model_dir) : model_dir_(std::move(model_dir)) {}
  const music::FeatureSource& prompt(const std::string& text) const override;
  const music::FeatureSource& dataset(const std::filesystem::path& file,
                                      const std::string& field) const override;

 private:
  // Under mutex_. The model's identity, hashed on first use (a set without activation sections
  // never pays for it).
  const CachedModel& model() const;
  std::filesystem::path model_dir_;
  mutable std::optional<CachedModel> model_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<StoreFeatureSource>> sources_;
};

struct ComposeResult {
  music::Session session;
  music::Composition composition;
  std::shared_ptr<const StoreFeatureSource> features;
  int num_layers = 0;
  // Wall seconds: the model's features from the cache (or the analysis on a miss), and the
  // composition itself (cached prompt/dataset features included).
  double features_seconds = 0, compose_seconds = 0;
};

// The folder that relative session paths fall back to (the project root). Thread-safe.
std::filesystem::path project_root();

ComposeResult compose_session(const std::filesystem::path& session_file,
                              const std::optional<std::filesystem::path>& model_override);

}  // namespace th::app
