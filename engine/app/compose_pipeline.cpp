#include "app/compose_pipeline.h"

#include <cstdlib>

#include "app/commands.h"
#include "core/error.h"
#include "model/hf_config.h"

namespace th::app {

std::filesystem::path project_root() {
  if (const char* home = std::getenv("TH_HOME")) return home;
  return TH_SOURCE_DIR;
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
  r.features = std::make_shared<const StoreFeatureSource>(features_for_model(r.session.model));
  r.composition = music::compose(r.session, *r.features, r.num_layers);
  return r;
}

}  // namespace th::app
