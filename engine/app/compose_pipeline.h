// Session file → Composition: the steps compose, render and live share. Contract: loads and
// validates the session (th::InputError on any bad field), reads the model's features from the
// cache (app/feature_cache.h), and composes; the model folder is the session's unless
// model_override is given. Thread-safe; slow on a cache miss (weight analysis).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "app/feature_cache.h"
#include "music/composer.h"
#include "music/session.h"

namespace th::app {

struct ComposeResult {
  music::Session session;
  music::Composition composition;
  std::shared_ptr<const StoreFeatureSource> features;
  int num_layers = 0;
};

// The folder that relative session paths fall back to (the project root). Thread-safe.
std::filesystem::path project_root();

ComposeResult compose_session(const std::filesystem::path& session_file,
                              const std::optional<std::filesystem::path>& model_override);

}  // namespace th::app
