// `tensorhaus generate --model DIR (--prompt TEXT | --tokens 1,2,3) --max-new N
// [--greedy | --temperature X --top-p P --seed S] [--ids] [--dtype float32|bfloat16]`:
// streams the continuation as text (through the folder's tokenizer) or, with --ids or without
// a tokenizer, as token ids separated by spaces. Sampling is reproducible: step k draws its
// uniform number from splitmix64(seed, k).
#include <fmt/format.h>

#include <cstdio>

#include "app/commands.h"
#include "core/error.h"
#include "model/runner.h"

namespace th::app {
namespace {

struct GenerateArgs {
  std::string model = default_model_dir();
  std::string prompt;
  std::string tokens;
  int64_t max_new = 64;
  bool greedy = false;
  double temperature = 1.0;
  double top_p = 1.0;
  uint64_t seed = 0;
  bool ids = false;
  std::string dtype = "float32";
};

void run(const GenerateArgs& a, bool sample) {
  if (a.max_new < 0)
    throw bad_field("generate", "--max-new", "a non-negative integer", std::to_string(a.max_new));
  if (sample && (a.temperature <= 0 || a.top_p <= 0 || a.top_p > 1))
    throw bad_field("generate", "--temperature/--top-p", "temperature > 0 and top-p in (0, 1]",
                    fmt::format("{} / {}", a.temperature, a.top_p));
  auto runner = model::Runner::load(a.model, model::parse_compute_dtype(a.dtype, "--dtype"));
  const auto prompt =
      a.tokens.empty() ? runner.encode(a.prompt) : model::parse_token_list(a.tokens, "--tokens");
  model::GenerateOptions opt;
  opt.max_new = a.max_new;
  opt.sampler = {!sample, a.temperature, a.top_p};
  const uint64_t seed = a.seed;
  opt.uniform = [seed](uint64_t step) { return model::splitmix_uniform(seed, step); };
  const auto* tok = a.ids ? nullptr : runner.tokenizer();
  if (!a.ids && !tok)
    fmt::print(stderr, "{}: no tokenizer; printing token ids\n", runner.dir().string());
  // Text streams as the growth of decode(prompt + generated): decoders treat the first piece
  // specially, so decoding the new ids alone would be wrong.
  std::vector<int64_t> all = prompt;
  std::size_t shown = tok ? tok->decode(all).size() : 0;
  bool first = true;
  runner.generate(prompt, opt, [&](const model::GeneratedToken& g) {
    if (tok) {
      all.push_back(g.token);
      const std::string text = tok->decode(all);
      if (text.size() > shown) std::fputs(text.substr(shown).c_str(), stdout);
      shown = std::max(shown, text.size());
    } else {
      fmt::print("{}{}", first ? "" : " ", g.token);
    }
    first = false;
    std::fflush(stdout);
    return true;
  });
  std::fputs("\n", stdout);
}

}  // namespace

void register_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "generate", "Continue a prompt token by token (greedy or temperature/top-p sampling)");
  auto a = std::make_shared<GenerateArgs>();
  cmd->add_option("--model", a->model, "Hugging Face model folder")->capture_default_str();
  auto* p = cmd->add_option("--prompt", a->prompt, "Prompt text (needs the folder's tokenizer)");
  auto* t = cmd->add_option("--tokens", a->tokens, "Prompt token ids, comma-separated (1,2,3)");
  p->excludes(t);
  cmd->add_option("--max-new", a->max_new, "Number of tokens to generate")->required();
  auto* g = cmd->add_flag("--greedy", a->greedy, "Always take the most likely token (default)");
  auto* temp = cmd->add_option("--temperature", a->temperature, "Sampling temperature");
  auto* topp = cmd->add_option("--top-p", a->top_p, "Nucleus sampling mass");
  auto* seed = cmd->add_option("--seed", a->seed, "Seed of the counter-based uniform source");
  g->excludes(temp)->excludes(topp)->excludes(seed);
  cmd->add_flag("--ids", a->ids, "Print token ids instead of text");
  cmd->add_option("--dtype", a->dtype, "Compute dtype: float32 or bfloat16")->capture_default_str();
  cmd->callback([a, p, t, temp, topp, seed] {
    if (p->count() == 0 && t->count() == 0)
      throw InputError("generate: expected --prompt TEXT or --tokens 1,2,3, found neither");
    const bool sample = temp->count() + topp->count() + seed->count() > 0;
    run(*a, sample);
  });
}

}  // namespace th::app
