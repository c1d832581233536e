#include "model/torch/pocket_torch.h"

#include <torch/torch.h>

#include <random>

#include "model/pocket_spm.h"

namespace th::model {

std::vector<std::pair<std::string, torch::Tensor*>> pocket_named_tensors(Weights& w) {
  std::vector<std::pair<std::string, torch::Tensor*>> out{{"model.embed_tokens.weight", &w.embed}};
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    // Same order as pocket_tensor_names(): the HF module order inside a Gemma 3 layer.
    for (auto [name, t] : std::initializer_list<std::pair<const char*, torch::Tensor*>>{
             {"input_layernorm", &l.attn_norm},
             {"self_attn.q_proj", &l.q},
             {"self_attn.k_proj", &l.k},
             {"self_attn.v_proj", &l.v},
             {"self_attn.q_norm", &l.q_norm},
             {"self_attn.k_norm", &l.k_norm},
             {"self_attn.o_proj", &l.o},
             {"post_attention_layernorm", &l.post_attn_norm},
             {"pre_feedforward_layernorm", &l.pre_ffn_norm},
             {"mlp.gate_proj", &l.gate},
             {"mlp.up_proj", &l.up},
             {"mlp.down_proj", &l.down},
             {"post_feedforward_layernorm", &l.post_ffn_norm}})
      out.emplace_back(p + name + ".weight", t);
  }
  out.emplace_back("model.norm.weight", &w.final_norm);
  return out;
}

double pocket_mean_loss(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                        const TokenStream& s, const std::vector<int64_t>& starts, int64_t cols,
                        int64_t chunk) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  int64_t count = 0;
  for (std::size_t i = 0; i < starts.size(); i += static_cast<std::size_t>(chunk)) {
    auto n = std::min<std::size_t>(static_cast<std::size_t>(chunk), starts.size() - i);
    Batch b = rows_at(s, std::span<const int64_t>(starts.data() + i, n), cols);
    auto in = torch::from_blob(b.input.data(), {b.rows, b.cols}, torch::kLong);
    auto tgt = torch::from_blob(b.target.data(), {b.rows * b.cols}, torch::kLong);
    auto logits = forward(c, a, w, in).to(torch::kFloat).reshape({b.rows * b.cols, -1});
    sum += torch::nn::functional::cross_entropy(
               logits, tgt, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
               .item<double>();
    count += b.rows * b.cols;
  }
  return count ? sum / static_cast<double>(count) : 0.0;
}

std::vector<int32_t> pocket_greedy(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                                   const std::vector<int32_t>& prompt, int64_t n) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> ids{kBosId};
  ids.insert(ids.end(), prompt.begin(), prompt.end());
  std::vector<int32_t> out;
  for (int64_t k = 0; k < n && static_cast<int64_t>(ids.size()) < c.max_position_embeddings; ++k) {
    auto in = torch::from_blob(ids.data(), {1, static_cast<int64_t>(ids.size())}, torch::kLong);
    auto logits = forward(c, a, w, in);
    auto next = static_cast<int32_t>(logits[0][-1].argmax().item<int64_t>());
    out.push_back(next);
    ids.push_back(next);
    if (next == kEosId) break;
  }
  return out;
}

std::vector<int32_t> pocket_sample(const ModelConfig& c, const ArchSpec& a, const Weights& w,
                                   const std::vector<int32_t>& prompt, int64_t n,
                                   double temperature, int64_t top_k, uint64_t seed) {
  torch::NoGradGuard no_grad;
  std::mt19937_64 rng(seed);
  std::vector<int64_t> ids{kBosId};
  ids.insert(ids.end(), prompt.begin(), prompt.end());
  std::vector<int32_t> out;
  for (int64_t k = 0; k < n && static_cast<int64_t>(ids.size()) < c.max_position_embeddings; ++k) {
    auto in = torch::from_blob(ids.data(), {1, static_cast<int64_t>(ids.size())}, torch::kLong);
    auto logits = forward(c, a, w, in)[0][-1].to(torch::kDouble) / temperature;
    auto [top, index] = logits.topk(std::min<int64_t>(top_k, logits.size(0)));
    auto p = torch::softmax(top, 0).contiguous();
    // Inverse-CDF draw from the top-k with our own generator: the same on every machine.
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    double acc = 0;
    int64_t pick = p.size(0) - 1;
    for (int64_t i = 0; i < p.size(0); ++i) {
      acc += p[i].item<double>();
      if (u < acc) {
        pick = i;
        break;
      }
    }
    auto next = static_cast<int32_t>(index[pick].item<int64_t>());
    out.push_back(next);
    ids.push_back(next);
    if (next == kEosId) break;
  }
  return out;
}

}  // namespace th::model
