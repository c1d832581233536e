#include "app/feature_cache.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <functional>

#include "analysis/activation_features.h"
#include "analysis/dataset_features.h"
#include "analysis/refusal.h"
#include "analysis/weight_analysis.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "model/runner.h"
#include "model/safetensors.h"

namespace th::app {
namespace {

namespace fs = std::filesystem;

// Bump when the analysis changes what it stores, so stale caches are not read.
constexpr int kFeatureCacheVersion = 1;

fs::path cache_dir() {
  if (const char* d = std::getenv("TH_CACHE_DIR")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return fs::path(x) / "tensorhaus";
  if (const char* h = std::getenv("HOME")) return fs::path(h) / ".cache/tensorhaus";
  return fs::temp_directory_path() / "tensorhaus-cache";
}

void hash_file(Hasher& h, const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw bad_file(p.string(), "cannot read");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.bytes(std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(in.gcount()))));
  }
}

uint64_t model_hash(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw bad_file(dir.string(), "not a model folder (no such directory)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name == "config.json" || e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Hasher h;
  h.value(kFeatureCacheVersion);
  for (const auto& f : files) {
    h.text(f.filename().string());
    hash_file(h, f);
  }
  return h.digest();
}

// The store under `key` in the cache, or compute() stored there.
analysis::FeatureStore cached(const std::string& key,
                              const std::function<analysis::FeatureStore()>& compute) {
  const auto path = cache_dir() / key;
  if (fs::exists(path)) {
    try {
      return analysis::FeatureStore::load(path);
    } catch (const Error& e) {
      log::warn("ignoring unreadable feature cache {}: {}", path.string(), e.what());
    }
  }
  auto store = compute();
  try {
    fs::create_directories(path.parent_path());
    store.save(path);
  } catch (const std::exception& e) {
    log::warn("could not cache features at {}: {}", path.string(), e.what());
  }
  return store;
}

}  // namespace

analysis::FeatureStore features_for_model(const fs::path& model_dir) {
  return cached(fmt::format("features-{:016x}.safetensors", model_hash(model_dir)),
                [&] { return analysis::to_feature_store(analysis::analyze_model_dir(model_dir)); });
}

CachedModel CachedModel::identify(const fs::path& dir) {
  return {dir, model_hash(dir)};
}

analysis::FeatureStore prompt_features(const CachedModel& model, const std::string& prompt) {
  const uint64_t key = Hasher().value(model.hash).text(prompt).digest();
  return cached(fmt::format("prompt-{:016x}.safetensors", key), [&] {
    const auto runner = model::Runner::load(model.dir);
    const analysis::Prompt p{prompt, "prompt"};
    const auto ids = analysis::encode_prompt(runner, p);
    analysis::FeatureStore::Builder b;
    analysis::ActivationFeatureOptions opt;
    opt.source =
        fmt::format("prompt \"{}\"", prompt.size() > 48 ? prompt.substr(0, 45) + "..." : prompt);
    analysis::add_activation_features(runner.forward(ids), ids, opt, b);
    return std::move(b).build();
  });
}

analysis::FeatureStore dataset_features(
    const CachedModel& model, const analysis::PromptSet& set,
    const std::function<void(std::size_t, std::size_t)>& progress) {
  const uint64_t key = Hasher().value(model.hash).value(set.hash()).digest();
  return cached(fmt::format("dataset-{:016x}.safetensors", key), [&] {
    return analysis::dataset_features(model::Runner::load(model.dir), set, progress);
  });
}

std::span<const float> StoreFeatureSource::get(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(name);
  if (it == cache_.end()) it = cache_.emplace(std::string(name), store_.get(name).data).first;
  return it->second;
}

}  // namespace th::app
