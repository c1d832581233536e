#include "app/feature_cache.h"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>

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
constexpr int kFeatureCacheVersion = 2;  // 2: fused slices under their unfused names

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

// The content hash of a model's files, remembered in the cache under their stat fingerprint
// (device, inode, size, mtime in ns): reading 0.5 GB of weights on every compose, render or
// live start costs seconds; a file written again gets a new mtime and is hashed anew.
uint64_t model_hash(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw bad_file(dir.string(), "not a model folder (no such directory)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name == "config.json" || e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Hasher stamp;
  stamp.value(kFeatureCacheVersion);
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) throw bad_file(f.string(), "cannot read");
    stamp.text(f.filename().string())
        .value(static_cast<uint64_t>(st.st_dev))
        .value(static_cast<uint64_t>(st.st_ino))
        .value(static_cast<uint64_t>(st.st_size))
        .value(static_cast<uint64_t>(st.st_mtim.tv_sec))
        .value(static_cast<uint64_t>(st.st_mtim.tv_nsec));
  }
  const auto memo = cache_dir() / fmt::format("hash-{:016x}.txt", stamp.digest());
  uint64_t hash = 0;
  if (std::ifstream in(memo); in >> std::hex >> hash) return hash;
  Hasher h;
  h.value(kFeatureCacheVersion);
  for (const auto& f : files) {
    h.text(f.filename().string());
    hash_file(h, f);
  }
  hash = h.digest();
  std::error_code ec;
  fs::create_directories(memo.parent_path(), ec);
  const auto tmp = fmt::format("{}.{}.tmp", memo.string(), ::getpid());
  if (std::ofstream out(tmp); out << fmt::format("{:016x}\n", hash)) fs::rename(tmp, memo, ec);
  return hash;
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

namespace {

// Runs f on the runner of the last model that ran a prompt or a dataset, loading it when the
// model is another: a live set's prompts reuse the loaded weights instead of reading and
// converting them again for every prompt. Forward passes are serialized (a Runner is not
// thread-safe); the runner stays loaded for the life of the process.
template <class F>
auto with_runner(const CachedModel& model, F&& f) {
  static std::mutex mutex;
  static std::optional<model::Runner> runner;
  static uint64_t loaded = 0;
  std::lock_guard lock(mutex);
  if (!runner || loaded != model.hash) {
    runner.reset();
    runner = model::Runner::load(model.dir);
    loaded = model.hash;
  }
  return f(*runner);
}

}  // namespace

analysis::FeatureStore prompt_features(const CachedModel& model, const std::string& prompt) {
  const uint64_t key = Hasher().value(model.hash).text(prompt).digest();
  return cached(fmt::format("prompt-{:016x}.safetensors", key), [&] {
    return with_runner(model, [&](const model::Runner& runner) {
      const analysis::Prompt p{prompt, "prompt"};
      const auto ids = analysis::encode_prompt(runner, p);
      analysis::FeatureStore::Builder b;
      analysis::ActivationFeatureOptions opt;
      opt.source =
          fmt::format("prompt \"{}\"", prompt.size() > 48 ? prompt.substr(0, 45) + "..." : prompt);
      analysis::add_activation_features(runner.forward(ids), ids, opt, b);
      return std::move(b).build();
    });
  });
}

analysis::FeatureStore dataset_features(
    const CachedModel& model, const analysis::PromptSet& set,
    const std::function<void(std::size_t, std::size_t)>& progress) {
  const uint64_t key = Hasher().value(model.hash).value(set.hash()).digest();
  return cached(fmt::format("dataset-{:016x}.safetensors", key), [&] {
    return with_runner(model, [&](const model::Runner& runner) {
      return analysis::dataset_features(runner, set, progress);
    });
  });
}

std::span<const float> StoreFeatureSource::get(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(name);
  if (it == cache_.end()) it = cache_.emplace(std::string(name), store_.get(name).data).first;
  return it->second;
}

}  // namespace th::app
