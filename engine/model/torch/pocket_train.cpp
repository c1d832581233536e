#include "model/torch/entry_points.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <fstream>
#include <numbers>

#include "core/error.h"
#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/pocket_corpus.h"
#include "model/pocket_data.h"
#include "model/pocket_export.h"
#include "model/pocket_spm.h"
#include "model/torch/pocket_torch.h"
#include "model/torch/transformer.h"

namespace th::model {
namespace {

constexpr const char* kKjvName =
    "The King James Version of the Bible (1611), as shipped in the Debian packages "
    "`bible-kjv-text` (text) and `bible-kjv` (its reader, `bible -l0 Gen1:1-Rev22:21`). Each "
    "chapter is one document and each verse one segment; verse numbers are dropped.";
constexpr const char* kKjvLicense =
    "public domain. The Debian copyright file of bible-kjv-text states: \"The copyright for the "
    "King James Version text of the Bible is expired since the translation was done in 1611\"; "
    "the packaged data file is \"provided for unrestricted use\".";

void check_shape(const PocketShape& s, const PocketRecipe& r) {
  auto positive = [](const char* field, int64_t v) {
    if (v <= 0) throw bad_field("train-pocket", field, "a positive integer", std::to_string(v));
  };
  positive("--vocab", s.vocab_size);
  positive("--hidden", s.hidden_size);
  positive("--layers", s.num_layers);
  positive("--heads", s.num_heads);
  positive("--kv-heads", s.num_kv_heads);
  positive("--head-dim", s.head_dim);
  positive("--intermediate", s.intermediate_size);
  positive("--window", s.sliding_window);
  positive("--pattern", s.sliding_window_pattern);
  positive("--context", s.context);
  positive("--steps", r.steps);
  positive("--batch", r.batch_rows);
  if (s.num_heads % s.num_kv_heads != 0)
    throw bad_field("train-pocket", "--kv-heads", "a divisor of --heads",
                    std::to_string(s.num_kv_heads));
  if (s.context < 2) throw bad_field("train-pocket", "--context", "at least 2", "1");
}

torch::Tensor normal(std::vector<int64_t> shape, double std) {
  return (torch::randn(shape, torch::kFloat) * std).requires_grad_(true);
}
torch::Tensor zeros(int64_t n) {
  return torch::zeros({n}, torch::kFloat).requires_grad_(true);
}

// HF Gemma 3 initialisation: every matrix normal(0, std), every norm weight 0 (scale 1 + w).
// Tensors are drawn in pocket_tensor_names() order so the seed fixes every value.
Weights init_weights(const PocketShape& s, double std) {
  Weights w;
  w.embed = normal({s.vocab_size, s.hidden_size}, std);
  const int64_t q_rows = s.num_heads * s.head_dim, kv_rows = s.num_kv_heads * s.head_dim;
  for (int64_t i = 0; i < s.num_layers; ++i) {
    LayerWeights l;
    l.attn_norm = zeros(s.hidden_size);
    l.q = normal({q_rows, s.hidden_size}, std);
    l.k = normal({kv_rows, s.hidden_size}, std);
    l.v = normal({kv_rows, s.hidden_size}, std);
    l.q_norm = zeros(s.head_dim);
    l.k_norm = zeros(s.head_dim);
    l.o = normal({s.hidden_size, q_rows}, std);
    l.post_attn_norm = zeros(s.hidden_size);
    l.pre_ffn_norm = zeros(s.hidden_size);
    l.gate = normal({s.intermediate_size, s.hidden_size}, std);
    l.up = normal({s.intermediate_size, s.hidden_size}, std);
    l.down = normal({s.hidden_size, s.intermediate_size}, std);
    l.post_ffn_norm = zeros(s.hidden_size);
    w.layers.push_back(std::move(l));
  }
  w.final_norm = zeros(s.hidden_size);
  w.lm_head = w.embed;  // tied: one tensor, gradients from both uses add up
  return w;
}

// A copy rounded through BF16, as the shipped file holds it.
Weights bf16_rounded(Weights& w) {
  Weights r = w;
  auto src = pocket_named_tensors(w);
  auto dst = pocket_named_tensors(r);
  for (std::size_t i = 0; i < src.size(); ++i)
    *dst[i].second = src[i].second->detach().to(torch::kBFloat16).to(torch::kFloat);
  r.lm_head = r.embed;
  return r;
}

std::vector<NamedTensor> export_tensors(Weights& w) {
  std::vector<NamedTensor> out;
  for (auto& [name, t] : pocket_named_tensors(w)) {
    auto c = t->detach().contiguous().to(torch::kFloat);
    NamedTensor nt{name, c.sizes().vec(), {}};
    nt.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    out.push_back(std::move(nt));
  }
  return out;
}

double lr_at(const PocketRecipe& r, int64_t step) {
  if (step < r.warmup_steps)
    return r.peak_lr * static_cast<double>(step + 1) / static_cast<double>(r.warmup_steps);
  const double span = static_cast<double>(std::max<int64_t>(1, r.steps - r.warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - r.warmup_steps) / span);
  const double lo = r.peak_lr * r.min_lr_ratio;
  return lo + 0.5 * (r.peak_lr - lo) * (1.0 + std::cos(std::numbers::pi * progress));
}

std::string fmt_double(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

namespace torch_rt {

PocketReport train_pocket(const PocketOptions& opt) {
  const auto& s = opt.shape;
  const auto& r = opt.recipe;
  check_shape(s, r);
  auto log = [&](const std::string& line) {
    if (opt.log) opt.log(line);
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  at::set_num_threads(r.threads);
  torch::manual_seed(r.seed);
  std::filesystem::create_directories(opt.work);

  PocketReport rep;
  rep.command = opt.command;
  std::vector<Document> docs;
  if (opt.corpus.empty()) {
    docs = extract_kjv(opt.work / "corpus");
    rep.corpus_name = kKjvName;
    rep.corpus_license = kKjvLicense;
  } else {
    docs = read_corpus(opt.corpus);
    rep.corpus_name = "`" + opt.corpus.filename().string() + "` (corpus text format).";
    rep.corpus_license = "as stated by the corpus file's provider.";
  }
  CorpusSplit split = split_corpus(docs);
  if (split.validation.empty())
    throw bad_file(opt.corpus.string(),
                   "needs at least " + std::to_string(kValidationEvery) + " documents (one in " +
                       std::to_string(kValidationEvery) + " is held out for validation)");
  log("corpus: " + std::to_string(split.train.size()) + " training and " +
      std::to_string(split.validation.size()) + " validation documents");

  // The tokenizer sees the training segments only.
  const auto spm_input = opt.work / "spm-train-segments.txt";
  {
    std::ofstream out(spm_input, std::ios::binary);
    for (const auto& d : split.train)
      for (const auto& seg : d) out << seg << '\n';
    if (!out.flush()) throw Error(spm_input.string() + ": write failed", 1);
  }
  const auto spm_model = opt.work / "tokenizer.model";
  train_tokenizer(spm_input, static_cast<int>(s.vocab_size), opt.work / "tokenizer");
  TokenStream train = tokenize_documents(split.train, spm_model, opt.work / "encode-train");
  TokenStream val = tokenize_documents(split.validation, spm_model, opt.work / "encode-val");
  rep.train_tokens = static_cast<int64_t>(train.ids.size());
  rep.validation_tokens = static_cast<int64_t>(val.ids.size());
  log("tokens: " + std::to_string(rep.train_tokens) + " training, " +
      std::to_string(rep.validation_tokens) + " validation (" + fmt_double(elapsed(), 1) + " s)");

  // The config goes through the runtime's own loader, so training sees what inference sees.
  const auto config_path = opt.work / "config.json";
  {
    std::ofstream out(config_path, std::ios::binary);
    out << pocket_config_json(s);
  }
  const ModelConfig cfg = load_config(config_path);
  const ArchSpec& arch = find_arch(cfg.model_type);

  Weights w = init_weights(s, r.init_std);
  std::vector<torch::Tensor> decay, no_decay, all;
  for (auto& [name, t] : pocket_named_tensors(w)) {
    (t->dim() >= 2 ? decay : no_decay).push_back(*t);
    all.push_back(*t);
    rep.parameters += t->numel();
  }
  auto adamw = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(r.peak_lr).betas({r.beta1, r.beta2}).eps(1e-8).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(r.weight_decay));
  groups.emplace_back(no_decay, adamw(0.0));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(r.peak_lr));
  log("parameters: " + std::to_string(rep.parameters));

  const std::vector<int64_t> val_starts = validation_starts(val, s.context);
  std::vector<int32_t> prompt = encode_text(spm_model, kPocketPrompt, opt.work / "prompt");
  rep.prompt = kPocketPrompt;
  BatchSampler sampler(train, s.context, r.seed);
  std::deque<double> recent;
  double train_seconds = 0;

  auto write_folder = [&](int64_t steps_done) {
    Weights shipped = bf16_rounded(w);
    rep.steps_done = steps_done;
    rep.validation_loss = pocket_mean_loss(cfg, arch, shipped, val, val_starts, s.context);
    double sum = 0;
    for (double l : recent) sum += l;
    rep.final_train_loss = recent.empty() ? 0.0 : sum / static_cast<double>(recent.size());
    rep.greedy_sample =
        decode_ids(spm_model, pocket_greedy(cfg, arch, shipped, prompt, 64), opt.work / "decode");
    rep.sampled.clear();
    for (uint64_t seed : {1, 2, 3})
      rep.sampled.push_back(decode_ids(spm_model,
                                       pocket_sample(cfg, arch, shipped, prompt, 64, 0.8, 40, seed),
                                       opt.work / "decode"));
    rep.seconds = elapsed();
    rep.cpu_seconds = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
    rep.tokens_per_second =
        train_seconds > 0
            ? static_cast<double>(steps_done * r.batch_rows * s.context) / train_seconds
            : 0.0;
    write_pocket_folder(opt.out, s, r, rep, export_tensors(w), spm_model);
    log("wrote " + opt.out.string() + " at step " + std::to_string(steps_done) +
        ": validation loss (bf16) " + fmt_double(rep.validation_loss, 4) +
        ", sample: " + rep.greedy_sample);
  };

  for (int64_t step = 0; step < r.steps; ++step) {
    const auto ts = std::chrono::steady_clock::now();
    const double lr = lr_at(r, step);
    for (auto& g : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    Batch b = sampler.next(r.batch_rows);
    auto in = torch::from_blob(b.input.data(), {b.rows, b.cols}, torch::kLong);
    auto tgt = torch::from_blob(b.target.data(), {b.rows * b.cols}, torch::kLong);
    auto logits = forward(cfg, arch, w, in);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({b.rows * b.cols, -1}), tgt);
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(all, r.grad_clip);
    optimizer.step();
    const double l = loss.item<double>();
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    recent.push_back(l);
    if (recent.size() > 50) recent.pop_front();
    const int64_t done = step + 1;
    if (done % 10 == 0 || done == 1 || done == r.steps)
      log("step " + std::to_string(done) + "/" + std::to_string(r.steps) + " loss " +
          fmt_double(l, 4) + " lr " + fmt_double(lr, 6) + " tok/s " +
          fmt_double(static_cast<double>(done * r.batch_rows * s.context) / train_seconds, 0) +
          " elapsed " + fmt_double(elapsed(), 0) + " s");
    if (r.eval_every > 0 && done % r.eval_every == 0 && done != r.steps) {
      const double v = pocket_mean_loss(cfg, arch, w, val, val_starts, s.context);
      rep.validation_curve.emplace_back(done, v);
      log("step " + std::to_string(done) + " validation loss " + fmt_double(v, 4));
    }
    if (r.checkpoint_every > 0 && done % r.checkpoint_every == 0 && done != r.steps)
      write_folder(done);
  }
  write_folder(r.steps);
  return rep;
}

}  // namespace torch_rt
}  // namespace th::model
