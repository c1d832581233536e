#include "model/torch/entry_points.h"

#include <torch/types.h>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/pocket_data.h"
#include "model/pocket_spm.h"
#include "model/safetensors.h"
#include "model/torch/pocket_torch.h"
#include "model/torch/transformer.h"

namespace th::model {
namespace {

struct Loaded {
  ModelConfig cfg;
  const ArchSpec* arch;
  Weights w;
};

Loaded load(const std::filesystem::path& dir) {
  Loaded l{load_config(dir / "config.json"), nullptr, {}};
  l.arch = &find_arch(l.cfg.model_type);
  WeightStore ws = WeightStore::open_dir(dir);
  l.w = load_weights(l.cfg, *l.arch, ws, torch::kFloat);
  return l;
}

}  // namespace

namespace torch_rt {

double pocket_validation_loss(const std::filesystem::path& model_dir,
                              const std::vector<Document>& docs,
                              const std::filesystem::path& scratch) {
  Loaded m = load(model_dir);
  CorpusSplit split = split_corpus(docs);
  TokenStream val = tokenize_documents(split.validation, model_dir / "tokenizer.model", scratch);
  const int64_t cols = m.cfg.max_position_embeddings;
  return pocket_mean_loss(m.cfg, *m.arch, m.w, val, validation_starts(val, cols), cols);
}

std::string pocket_continue(const std::filesystem::path& model_dir, const std::string& prompt,
                            int64_t n, const std::filesystem::path& scratch) {
  Loaded m = load(model_dir);
  const auto spm = model_dir / "tokenizer.model";
  auto ids = pocket_greedy(m.cfg, *m.arch, m.w, encode_text(spm, prompt, scratch), n);
  return decode_ids(spm, ids, scratch);
}

std::string pocket_continue_sampled(const std::filesystem::path& model_dir,
                                    const std::string& prompt, int64_t n, double temperature,
                                    int64_t top_k, uint64_t seed,
                                    const std::filesystem::path& scratch) {
  Loaded m = load(model_dir);
  const auto spm = model_dir / "tokenizer.model";
  auto ids = pocket_sample(m.cfg, *m.arch, m.w, encode_text(spm, prompt, scratch), n, temperature,
                           top_k, seed);
  return decode_ids(spm, ids, scratch);
}

}  // namespace torch_rt
}  // namespace th::model
