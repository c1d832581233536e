// `tensorhaus abliterate --model DIR --direction FILE --out DIR2`: writes a copy of the model
// whose residual-stream writers are orthogonalized against r̂ (analysis/abliterate.h).
#include <fmt/format.h>

#include "analysis/abliterate.h"
#include "app/commands.h"

namespace th::app {

void register_abliterate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "abliterate", "Write a copy of a model that can no longer write along a direction");
  struct Args {
    std::string model = default_model_dir(), direction, out;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Hugging Face model folder")->capture_default_str();
  cmd->add_option("--direction", a->direction, "Direction file from `tensorhaus refusal`")
      ->required();
  cmd->add_option("--out", a->out, "New model folder (must not exist, or be empty)")->required();
  cmd->callback([a] {
    const auto r = analysis::abliterate(a->model, a->direction, a->out);
    fmt::print("{}: {} matrices orthogonalized against {}\n", r.out.string(), r.edited.size(),
               a->direction);
  });
}

}  // namespace th::app
