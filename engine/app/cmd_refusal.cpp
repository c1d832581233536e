// `tensorhaus refusal --model DIR [--harmful FILE --harmless FILE [--field NAME]]
//  [--method pca|diff-means] [--layers A:B] [--max-tokens N] --out FILE.safetensors`:
// computes the refusal direction r̂ (analysis/refusal.h) from the shipped seed pairs
// (prompts/refusal_pairs.json) or from two prompt files, and saves it with its provenance.
#include <fmt/format.h>

#include "analysis/refusal.h"
#include "app/commands.h"
#include "app/compose_pipeline.h"
#include "app/progress_bar.h"
#include "core/error.h"
#include "model/runner.h"

namespace th::app {
namespace {

struct RefusalArgs {
  std::string model = default_model_dir();
  std::string harmful, harmless, field, method = "pca", layers, out;
  int64_t max_tokens = 0;
};

// "A:B" → decoder layers A..B inclusive.
std::pair<int, int> parse_layers(const std::string& s) {
  int lo = 0, hi = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%d:%d%c", &lo, &hi, &tail) != 2 || lo < 0 || hi < lo)
    throw bad_field("refusal", "--layers", "A:B with 0 <= A <= B (decoder layers)", s);
  return {lo, hi};
}

void run(const RefusalArgs& a) {
  auto runner = model::Runner::load(a.model);
  analysis::RefusalOptions opt;
  opt.method = analysis::parse_refusal_method(a.method, "--method");
  opt.max_tokens = a.max_tokens;
  if (!a.layers.empty()) std::tie(opt.layer_lo, opt.layer_hi) = parse_layers(a.layers);
  auto [harmful, harmless] = a.harmful.empty()
                                 ? analysis::seed_refusal_pairs(project_root())
                                 : std::pair{analysis::load_prompts(a.harmful, a.field),
                                             analysis::load_prompts(a.harmless, a.field)};
  ProgressBar bar("refusal");
  const auto r = analysis::refusal_direction(
      runner, harmful, harmless, opt, [&](std::size_t done, std::size_t total) {
        bar.show(static_cast<double>(done) / static_cast<double>(total),
                 fmt::format("{}/{}", done, total));
      });
  bar.done();
  analysis::save_direction(a.out, r);
  fmt::print(
      "{}: r̂ over layers {}..{} by {} from {} rows; explained variance {:.4f}; "
      "separation {:.4f}\n",
      a.out, r.layer_lo, r.layer_hi, analysis::refusal_method_name(r.method), r.rows,
      r.explained_variance_ratio, r.separation);
}

}  // namespace

void register_refusal(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "refusal", "Compute the refusal direction from harmful/harmless prompts and save it");
  auto a = std::make_shared<RefusalArgs>();
  cmd->add_option("--model", a->model, "Hugging Face model folder")->capture_default_str();
  auto* h = cmd->add_option("--harmful", a->harmful,
                            "Harmful prompts (.jsonl, .json, .csv or text; default: the shipped "
                            "seed pairs)");
  auto* l = cmd->add_option("--harmless", a->harmless, "Harmless prompts (same formats)");
  h->needs(l);
  l->needs(h);
  cmd->add_option("--field", a->field,
                  "Field or CSV column holding the prompt (default: instruction)");
  cmd->add_option("--method", a->method, "pca (of paired differences) or diff-means")
      ->capture_default_str();
  cmd->add_option("--layers", a->layers,
                  "Decoder layers A:B (default: half the depth to the last)");
  cmd->add_option("--max-tokens", a->max_tokens, "Truncate prompts to N tokens (0: no limit)");
  cmd->add_option("--out", a->out, "Output .safetensors file")->required();
  cmd->callback([a] { run(*a); });
}

}  // namespace th::app
