#include <cstdlib>
#include <filesystem>

#include "app/commands.h"

namespace th::app {

// The embedded model ships in the source tree; TH_HOME overrides where that tree is.
std::string default_model_dir() {
  if (const char* home = std::getenv("TH_HOME"))
    return (std::filesystem::path(home) / "models/pocket").string();
  return TH_SOURCE_DIR "/models/pocket";
}

}  // namespace th::app
