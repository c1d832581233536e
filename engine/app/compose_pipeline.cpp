#include "app/compose_pipeline.h"

#include <chrono>

#include <cstdlib>

#include "analysis/prompt_set.h"
#include "app/commands.h"
#include "app/progress_bar.h"
#include "core/error.h"
#include "model/hf_config.h"

namespace th::app {

std::filesystem::path project_root() {
  if (const char* home = std::getenv("TH_HOME")) return home;
  return TH_SOURCE_DIR;
}

const CachedModel& ModelActivations::model() const {
  if (!model_) model_ = CachedModel::identify(model_dir_);
  return *model_;
}

const music::FeatureSource& ModelActivations::prompt(const std::string& text) const {
  std::lock_guard lock(mutex_);
  auto& slot = sources_["prompt:" + text];
  if (!slot) slot = std::make_unique<StoreFeatureSource>(prompt_features(model(), text));
  return *slot;
}

const music::FeatureSource& ModelActivations::dataset(const std::filesystem::path& file,
                                                      const std::string& field) const {
  std::lock_guard lock(mutex_);
  auto& slot = sources_["dataset:" + file.string() + "#" + field];
  if (!slot) {
    const auto set = analysis::load_prompts(file, field);
    ProgressBar bar("activations");
    slot = std::make_unique<StoreFeatureSource>(
        dataset_features(model(), set, [&](std::size_t done, std::size_t total) {
          bar.show(static_cast<double>(done) / static_cast<double>(total),
                   std::to_string(done) + "/" + std::to_string(total));
        }));
  }
  return *slot;
}

ComposeResult compose_session(const std::filesystem::path& session_file,
                              const std::optional<std::filesystem::path>& model_override) {
  if (!std::filesystem::exists(session_file))
    throw bad_file(session_file.string(), "no such session file");
  ComposeResult r;
  r.session = music::load_session(session_file, project_root());
  if (model_override) r.session.model = *model_override;
  const auto config = model::load_config(r.session.model / "config.json");
  r.num_layers = static_cast<int>(config.num_hidden_layers);
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a) {
    return std::chrono::duration<double>(Clock::now() - a).count();
  };
  auto t = Clock::now();
  r.features = std::make_shared<const StoreFeatureSource>(features_for_model(r.session.model));
  r.features_seconds = seconds(t);
  t = Clock::now();
  const ModelActivations activations(r.session.model);
  r.composition = music::compose(r.session, *r.features, r.num_layers, &activations);
  r.compose_seconds = seconds(t);
  return r;
}

}  // namespace th::app
