#include "app/commands.h"
#include "app/compose_pipeline.h"

namespace th::app {

// The embedded model ships in the source tree (TH_HOME overrides where that tree is).
std::string default_model_dir() {
  return (project_root() / "models/pocket").string();
}

}  // namespace th::app
