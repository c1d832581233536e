// `tensorhaus activations --model DIR (--prompt TEXT | --tokens 1,2,3) --out FILE.safetensors
// [--dtype float32|bfloat16] [--last-logits]`: one forward pass with capture, written as
// safetensors (tokens I64 [T], hidden F32 [L+1,T,D], attn_entropy F32 [L,H,T], mlp_sparsity F32
// [L,T], logits F32 [T,V] — or [1,V] of the last token with --last-logits); conventions in
// docs/model.md.
// With `--prompts FILE [--field NAME]` it writes the dataset features of every prompt instead (a
// FeatureStore file, dataset.*).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "analysis/prompt_set.h"
#include "app/commands.h"
#include "app/feature_cache.h"
#include "app/progress_bar.h"
#include "core/error.h"
#include "model/runner.h"
#include "model/safetensors.h"

namespace th::app {
namespace {

struct ActivationsArgs {
  std::string model = default_model_dir();
  std::string prompt;
  std::string tokens;
  std::string prompts, field;
  std::string out;
  std::string dtype = "float32";
  bool last_logits = false;
  bool all_logits = false;  // the default; the flag is kept for scripts that pass it
};

std::span<const std::byte> bytes_of(const std::vector<float>& v) {
  return std::as_bytes(std::span(v));
}

// Dataset mode: the features of every prompt of a file, from the cache when computed before.
void run_dataset(const ActivationsArgs& a) {
  const auto set = analysis::load_prompts(a.prompts, a.field);
  ProgressBar bar("activations");
  const auto store = dataset_features(
      CachedModel::identify(a.model), set, [&](std::size_t done, std::size_t total) {
        bar.show(static_cast<double>(done) / static_cast<double>(total),
                 fmt::format("{}/{}", done, total));
      });
  bar.done();
  store.save(a.out);
  fmt::print(stderr, "{}: {} prompts → {}\n", a.prompts, set.prompts.size(), a.out);
}

// Every token's logits, a slice of the vocabulary at a time (~16 MB each) straight into the
// file: for a large vocabulary the [T, V] array is larger than the model (262144 × 512 tokens:
// 537 MB).
model::TensorFill logits_by_columns(const model::Runner& runner, const model::ForwardCapture& cap) {
  const int64_t L1 = cap.hidden.shape[0], T = cap.hidden.shape[1], D = cap.hidden.shape[2],
                V = runner.config().vocab_size;
  const std::span<const float> final_hidden(cap.hidden.data.data() + (L1 - 1) * T * D,
                                            static_cast<std::size_t>(T * D));
  const int64_t columns = std::clamp<int64_t>((int64_t{1} << 22) / T, 256, V);
  return {"logits",
          model::DType::F32,
          {T, V},
          [&runner, final_hidden, T, V, columns](const model::TensorWriter& write) {
            std::vector<float> block;
            for (int64_t v0 = 0; v0 < V; v0 += columns) {
              const int64_t n = std::min(columns, V - v0);
              block.resize(static_cast<std::size_t>(T * n));
              runner.logits_columns(final_hidden, v0, v0 + n, block);
              for (int64_t t = 0; t < T; ++t)
                write(static_cast<uint64_t>((t * V + v0) * 4),
                      std::as_bytes(std::span(block.data() + t * n, static_cast<std::size_t>(n))));
            }
          }};
}

void run(const ActivationsArgs& a) {
  auto runner = model::Runner::load(a.model, model::parse_compute_dtype(a.dtype, "--dtype"));
  const auto ids =
      a.tokens.empty() ? runner.encode(a.prompt) : model::parse_token_list(a.tokens, "--tokens");
  model::CaptureRequest what;
  what.logits = a.last_logits;  // every token's are computed while the file is written
  const auto cap = runner.forward(ids, what);
  std::vector<model::TensorData> out;
  out.push_back({"tokens",
                 model::DType::I64,
                 {static_cast<int64_t>(ids.size())},
                 std::as_bytes(std::span(ids))});
  const std::pair<const char*, const model::Array*> arrays[] = {
      {"hidden", &cap.hidden},
      {"attn_entropy", &cap.attn_entropy},
      {"mlp_sparsity", &cap.mlp_sparsity}};
  for (const auto& [name, arr] : arrays)
    out.push_back({name, model::DType::F32, arr->shape, bytes_of(arr->data)});
  std::vector<model::TensorFill> filled;
  if (a.last_logits)
    out.push_back({"logits", model::DType::F32, cap.logits.shape, bytes_of(cap.logits.data)});
  else
    filled.push_back(logits_by_columns(runner, cap));
  const auto& c = runner.config();
  model::write_safetensors(
      a.out, out,
      {{"model", runner.dir().string()},
       {"model_type", c.model_type},
       {"dtype", a.dtype},
       {"lm_head", runner.lm_head_tied() ? "tied to embed" : "separate"},
       {"logits", a.last_logits ? "last token" : "every token"},
       {"mlp_sparsity", "fraction of act(gate)*up units with |a| < 0.1*std(layer activations)"}},
      filled);
  fmt::print(stderr, "{}: {} tokens, {} layers → {}\n", runner.dir().string(), ids.size(),
             c.num_hidden_layers, a.out);
}

}  // namespace

void register_activations(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "activations",
      "Run one forward pass and save hidden states, attention entropy, MLP sparsity, logits");
  auto a = std::make_shared<ActivationsArgs>();
  cmd->add_option("--model", a->model, "Hugging Face model folder")->capture_default_str();
  auto* p = cmd->add_option("--prompt", a->prompt, "Prompt text (needs the folder's tokenizer)");
  auto* t = cmd->add_option("--tokens", a->tokens, "Token ids, comma-separated (1,2,3)");
  p->excludes(t);
  auto* ps = cmd->add_option("--prompts", a->prompts,
                             "Prompt dataset (.jsonl, .json, .csv or text): per-prompt features "
                             "(dataset.*), cached by model and prompts");
  ps->excludes(p)->excludes(t);
  cmd->add_option("--field", a->field, "Field or CSV column of --prompts (default: instruction)");
  cmd->add_option("--out", a->out, "Output .safetensors file")->required();
  cmd->add_option("--dtype", a->dtype, "Compute dtype: float32 or bfloat16")->capture_default_str();
  auto* last = cmd->add_flag("--last-logits", a->last_logits,
                             "Logits of the last token only [1,V] (default: every token's [T,V]; "
                             "for a large vocabulary the [T,V] array is the largest output)");
  cmd->add_flag("--all-logits", a->all_logits, "Logits of every token [T,V] (the default)")
      ->excludes(last);
  cmd->callback([a, p, t, ps] {
    if (ps->count() > 0) return run_dataset(*a);
    if (p->count() == 0 && t->count() == 0)
      throw InputError(
          "activations: expected --prompt TEXT, --tokens 1,2,3 or --prompts FILE, found none");
    run(*a);
  });
}

}  // namespace th::app
