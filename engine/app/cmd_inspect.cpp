// `tensorhaus inspect --model DIR`: lists the tensors of a model folder, validated.
#include <fmt/format.h>

#include "app/commands.h"
#include "model/safetensors.h"

namespace th::app {

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "List a model folder's tensors (name, dtype, shape)");
  auto model = std::make_shared<std::string>(default_model_dir());
  cmd->add_option("--model", *model, "Hugging Face model folder")->capture_default_str();
  cmd->callback([model] {
    auto ws = model::WeightStore::open_dir(*model);
    for (const auto* t : ws.all())
      fmt::print("{}\t{}\t{}\n", t->name, model::dtype_name(t->dtype), t->shape_str());
    fmt::print("{} tensors, {} bytes\n", ws.all().size(), ws.file_bytes());
  });
}

}  // namespace th::app
