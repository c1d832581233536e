// The pocket model's shape and training recipe: plain data, shared by the trainer, the exporter
// and the README. Defaults are the recipe of the committed models/pocket. No torch here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace th::model {

struct PocketShape {
  int64_t vocab_size = 4096;
  int64_t hidden_size = 128;
  int64_t num_layers = 8;
  int64_t num_heads = 4;
  int64_t num_kv_heads = 1;
  int64_t head_dim = 32;
  int64_t intermediate_size = 256;
  int64_t sliding_window = 64;
  int64_t sliding_window_pattern = 4;  // every 4th layer attends globally
  int64_t context = 128;               // training row length = max_position_embeddings
  double rms_norm_eps = 1e-6;
  double rope_theta = 1e6;
  double rope_local_base_freq = 1e4;

  // Gemma 3: layer i is global when (i + 1) is a multiple of the pattern. Thread-safe.
  bool is_sliding(int64_t layer) const { return (layer + 1) % sliding_window_pattern != 0; }
};

struct PocketRecipe {
  int64_t steps = 600;
  int64_t batch_rows = 8;
  double peak_lr = 3e-3;
  double min_lr_ratio = 0.1;  // cosine decays to peak_lr * min_lr_ratio
  int64_t warmup_steps = 20;
  double weight_decay = 0.1;  // matrices (the tied embedding included); norms are not decayed
  double beta1 = 0.9;
  double beta2 = 0.95;
  double grad_clip = 1.0;
  double init_std = 0.02;
  uint64_t seed = 1234;
  int64_t eval_every = 0;          // steps between validation passes (0: only at the end)
  int64_t checkpoint_every = 200;  // steps between writes of the output folder (0: end only)
  int threads = 2;
};

// What the README reports about a finished (or checkpointed) run.
struct PocketReport {
  std::string corpus_name;
  std::string corpus_license;
  std::string command;
  int64_t steps_done = 0;
  int64_t train_tokens = 0;
  int64_t validation_tokens = 0;
  int64_t parameters = 0;
  double final_train_loss = 0;  // mean of the last steps
  double validation_loss = 0;   // every validation row, the shipped BF16 weights
  double seconds = 0;
  double cpu_seconds = 0;  // process CPU time, all threads: what an idle machine would need
  double tokens_per_second = 0;
  std::string prompt;
  std::string greedy_sample;
  std::vector<std::string> sampled;  // temperature 0.8, top-k 40, seeds 1, 2, 3
  std::vector<std::pair<int64_t, double>> validation_curve;  // step → interim validation loss
};

}  // namespace th::model
