// Runner's computations on libtorch: the forward pass with capture and KV-cached generation,
// behind ForwardBackend (torch_runtime.h).
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/torch/entry_points.h"
#include "model/torch/transformer.h"

namespace th::model::torch_rt {
namespace {

using torch::Tensor;

// Capacity for n floats in an empty v (an array handed to the caller), its pages not yet
// touched. Past 64 MB (every token's logits of a large vocabulary: 537 MB for 512 tokens ×
// 262144) they are first advised to be transparent huge pages, so filling them faults 2 MB pages
// in (256 faults) rather than 4 KB ones (131072 faults and their TLB misses: ~0.5 s of a 2.8 s
// 270M pass at T = 512). Thread-safe; not realtime-safe (allocates).
void reserve_array(std::vector<float>& v, std::size_t n) {
  v.reserve(n);
  const auto bytes = n * sizeof(float);
  if (bytes < (std::size_t{64} << 20)) return;
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1), hi = (begin + bytes) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // a hint only
}

Array to_array(const Tensor& t) {
  Tensor f = t.detach().to(torch::kFloat32).contiguous();
  Array a;
  a.shape.assign(f.sizes().begin(), f.sizes().end());
  reserve_array(a.data, static_cast<std::size_t>(f.numel()));
  a.data.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
  return a;
}

// The captures but the logits, which forward() and generation write straight into their array.
ForwardCapture collect(const Capture& cap, const CaptureRequest& what, bool last_only) {
  auto last = [&](const Tensor& t, int64_t dim) {
    return last_only ? t.narrow(dim, t.size(dim) - 1, 1) : t;
  };
  ForwardCapture out;
  if (what.hidden) out.hidden = to_array(last(torch::stack(cap.hidden).select(1, 0), 1));
  if (what.attn_entropy)
    out.attn_entropy = to_array(last(torch::stack(cap.attn_entropy).select(1, 0), 2));
  if (what.mlp_act) out.mlp_act = to_array(last(torch::stack(cap.mlp_act).select(1, 0), 1));
  // Per layer: a unit is "quiet" when |a| < 0.1·std over all of that layer's activations in
  // the pass (population std, every token and unit); sparsity[t] is the quiet fraction at t.
  if (what.mlp_sparsity)
    out.mlp_sparsity = to_array(last(torch::stack(cap.mlp_sparsity).select(1, 0), 1));
  return out;
}

Capture request(const CaptureRequest& what) {
  Capture c;
  c.want_hidden = what.hidden;
  c.want_attn_entropy = what.attn_entropy;
  c.want_mlp_act = what.mlp_act;
  c.want_mlp_sparsity = what.mlp_sparsity;
  c.last_logits_only = !what.all_logits;
  c.want_logits = what.logits;
  return c;
}

Tensor token_tensor(std::span<const int64_t> tokens) {
  return torch::tensor(std::vector<int64_t>(tokens.begin(), tokens.end()), torch::kInt64)
      .unsqueeze(0);
}

class TorchBackend final : public ForwardBackend {
 public:
  TorchBackend(const ModelConfig& c, const ArchSpec& a, const WeightStore& ws, ComputeDType dtype)
      : config_(c),
        arch_(a),
        weights_(load_weights(c, a, ws,
                              dtype == ComputeDType::BFloat16 ? torch::kBFloat16 : torch::kFloat32,
                              /*share_mapping=*/true)) {}

  ForwardCapture forward(std::span<const int64_t> tokens,
                         const CaptureRequest& what) const override {
    c10::InferenceMode inference;
    Tensor ids = token_tensor(tokens);
    Capture cap = request(what);
    Array logits_out;
    if (what.logits) {
      // The logits are written once, straight into the returned array.
      const int64_t rows = what.all_logits ? ids.size(1) : 1, V = config_.vocab_size;
      logits_out.shape = {rows, V};
      reserve_array(logits_out.data, static_cast<std::size_t>(rows * V));
      logits_out.data.resize(static_cast<std::size_t>(rows * V));
      cap.logits_into = torch::from_blob(logits_out.data.data(), {1, rows, V}, torch::kFloat32);
    }
    model::forward(config_, arch_, weights_, ids, &cap);
    ForwardCapture out = collect(cap, what, false);
    if (what.logits) out.logits = std::move(logits_out);
    return out;
  }

  void logits_columns(std::span<const float> final_hidden, int64_t v0, int64_t v1,
                      std::span<float> out) const override {
    c10::InferenceMode inference;
    const int64_t D = config_.hidden_size, T = static_cast<int64_t>(final_hidden.size()) / D;
    // The capture's rows hold the compute dtype's values: converting back is exact.
    const Tensor h =
        torch::from_blob(const_cast<float*>(final_hidden.data()), {T, D}, torch::kFloat32)
            .to(weights_.final_norm.scalar_type());
    Tensor dst = torch::from_blob(out.data(), {T, v1 - v0}, torch::kFloat32);
    model::logits_columns(config_, weights_, h, v0, v1, dst);
  }

  std::vector<int64_t> generate(
      std::span<const int64_t> prompt, const GenerateOptions& opt,
      const std::function<bool(const GeneratedToken&)>& on_token) const override {
    c10::InferenceMode inference;
    const auto& eos = config_.eos_token_ids;
    KVCache cache;
    std::vector<int64_t> out;
    Tensor ids = token_tensor(prompt);
    CaptureRequest what = opt.capture;
    what.logits = true;
    what.all_logits = false;  // sampling reads the last position only
    // The step writes the [1, V] logits straight into the array sampling reads; it is reused
    // from step to step unless the caller asked to keep the logits.
    Array logits_out;
    for (uint64_t step = 0; static_cast<int64_t>(step) < opt.max_new; ++step) {
      if (config_.max_position_embeddings > 0 &&
          cache.length + ids.size(1) > config_.max_position_embeddings)
        break;
      Capture cap = request(what);
      if (logits_out.data.empty())
        logits_out = {std::vector<float>(static_cast<std::size_t>(config_.vocab_size)),
                      {1, config_.vocab_size}};
      cap.logits_into =
          torch::from_blob(logits_out.data.data(), {1, 1, config_.vocab_size}, torch::kFloat32);
      model::forward(config_, arch_, weights_, ids, &cap, &cache);
      GeneratedToken g{0, step, collect(cap, what, true)};
      g.token =
          sample_token(logits_out.data, opt.sampler, opt.sampler.greedy ? 0.0 : opt.uniform(step));
      if (opt.capture.logits) g.capture.logits = std::move(logits_out);
      out.push_back(g.token);
      const bool go_on = on_token ? on_token(g) : true;
      if (!go_on || (opt.stop_at_eos && std::find(eos.begin(), eos.end(), g.token) != eos.end()))
        break;
      ids = torch::tensor(std::vector<int64_t>{g.token}, torch::kInt64).unsqueeze(0);
    }
    return out;
  }

 private:
  const ModelConfig& config_;
  const ArchSpec& arch_;
  Weights weights_;
};

}  // namespace

std::unique_ptr<ForwardBackend> open_model(const ModelConfig& c, const ArchSpec& a,
                                           const WeightStore& ws, ComputeDType dtype) {
  return std::make_unique<TorchBackend>(c, a, ws, dtype);
}

}  // namespace th::model::torch_rt
