#include "model/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "model/safetensors.h"
#include "model/transformer.h"

namespace th::model {
namespace {

using torch::Tensor;

Array to_array(const Tensor& t) {
  Tensor f = t.detach().to(torch::kFloat32).contiguous();
  Array a;
  a.shape.assign(f.sizes().begin(), f.sizes().end());
  a.data.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
  return a;
}

ForwardCapture collect(const Capture& cap, const Tensor& logits, const CaptureRequest& what,
                       bool last_only) {
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
  if (what.logits && !logits.is_same(cap.logits_into)) out.logits = to_array(last(logits[0], 0));
  return out;
}

Capture request(const CaptureRequest& what) {
  Capture c;
  c.want_hidden = what.hidden;
  c.want_attn_entropy = what.attn_entropy;
  c.want_mlp_act = what.mlp_act;
  c.want_mlp_sparsity = what.mlp_sparsity;
  c.last_logits_only = !what.all_logits;
  return c;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

struct Runner::Impl {
  std::filesystem::path dir;
  ModelConfig config;
  const ArchSpec* arch = nullptr;
  std::unique_ptr<WeightStore> store;
  Weights weights;
  bool tied = false;
  std::unique_ptr<Tokenizer> tokenizer;

  Tensor token_tensor(std::span<const int64_t> tokens) const {
    if (tokens.empty()) throw InputError("tokens: expected at least one token id, found none");
    for (auto t : tokens)
      if (t < 0 || t >= config.vocab_size)
        throw InputError(
            fmt::format("tokens: expected ids in [0, {}), found {}", config.vocab_size, t));
    return torch::tensor(std::vector<int64_t>(tokens.begin(), tokens.end()), torch::kInt64)
        .unsqueeze(0);
  }
};

ComputeDType parse_compute_dtype(std::string_view name, std::string_view what) {
  if (name == "float32") return ComputeDType::Float32;
  if (name == "bfloat16") return ComputeDType::BFloat16;
  throw bad_field(what, "dtype", "float32|bfloat16", name);
}

float Array::at(std::initializer_list<int64_t> idx) const {
  int64_t off = 0;
  std::size_t i = 0;
  for (auto v : idx) off = off * shape[i++] + v;
  return data[static_cast<std::size_t>(off)];
}

double splitmix_uniform(uint64_t seed, uint64_t step) {
  return static_cast<double>(splitmix64(splitmix64(seed) ^ step) >> 11) * 0x1.0p-53;
}

int64_t sample_token(std::span<const float> logits, const SamplerSettings& s, double u) {
  if (logits.empty()) throw Error("sample_token: empty logits", 1);
  if (s.greedy || s.temperature <= 0)
    return std::max_element(logits.begin(), logits.end()) - logits.begin();
  const float mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    sum += p[i] = std::exp((logits[i] - mx) / s.temperature);
  std::vector<int64_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
  double kept = 0;
  std::size_t n = 0;
  while (n < order.size() && (n == 0 || kept < s.top_p * sum)) kept += p[order[n++]];
  double target = u * kept, acc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc += p[order[i]];
    if (target < acc) return order[i];
  }
  return order[n - 1];
}

Runner::Runner() : impl_(std::make_unique<Impl>()) {}
Runner::~Runner() = default;
Runner::Runner(Runner&&) noexcept = default;
Runner& Runner::operator=(Runner&&) noexcept = default;

Runner Runner::load(const std::filesystem::path& dir, ComputeDType dtype) {
  Runner r;
  auto& m = *r.impl_;
  m.dir = dir;
  m.config = load_config(dir / "config.json");
  m.arch = &find_arch(m.config);
  m.store = std::make_unique<WeightStore>(WeightStore::open_dir(dir));
  m.weights = load_weights(m.config, *m.arch, *m.store,
                           dtype == ComputeDType::BFloat16 ? torch::kBFloat16 : torch::kFloat32,
                           /*share_mapping=*/true);
  m.tied = m.config.tie_word_embeddings;
  m.tokenizer = load_tokenizer(dir, m.config.vocab_size);
  return r;
}

const ModelConfig& Runner::config() const {
  return impl_->config;
}
const ArchSpec& Runner::arch() const {
  return *impl_->arch;
}
const std::filesystem::path& Runner::dir() const {
  return impl_->dir;
}
bool Runner::lm_head_tied() const {
  return impl_->tied;
}
const Tokenizer* Runner::tokenizer() const {
  return impl_->tokenizer.get();
}

std::vector<int64_t> Runner::encode(std::string_view text) const {
  if (!impl_->tokenizer)
    throw bad_file(impl_->dir.string(),
                   "no tokenizer (tokenizer.json, tokenizer.model or tokenizer.bin) for a text "
                   "prompt; give token ids instead (--tokens)");
  return impl_->tokenizer->encode(text, true);
}

std::vector<int64_t> parse_token_list(std::string_view list, std::string_view what) {
  std::vector<int64_t> out;
  std::size_t i = 0;
  while (i <= list.size()) {
    const std::size_t j = std::min(list.find(',', i), list.size());
    std::string item(list.substr(i, j - i));
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 0)
      throw bad_field(what, "token list", "comma-separated non-negative integers (1,2,3)",
                      std::string(list));
    out.push_back(v);
    i = j + 1;
  }
  return out;
}

ForwardCapture Runner::forward(std::span<const int64_t> tokens, const CaptureRequest& what) const {
  c10::InferenceMode inference;
  Tensor ids = impl_->token_tensor(tokens);
  Capture cap = request(what);
  Array logits_out;
  if (what.logits) {
    // The logits are written once, straight into the returned array.
    const int64_t rows = what.all_logits ? ids.size(1) : 1, V = impl_->config.vocab_size;
    logits_out.shape = {rows, V};
    logits_out.data.resize(static_cast<std::size_t>(rows * V));
    cap.logits_into = torch::from_blob(logits_out.data.data(), {1, rows, V}, torch::kFloat32);
  }
  Tensor logits = model::forward(impl_->config, *impl_->arch, impl_->weights, ids, &cap);
  ForwardCapture out = collect(cap, logits, what, false);
  if (what.logits) out.logits = std::move(logits_out);
  return out;
}

std::vector<int64_t> Runner::generate(
    std::span<const int64_t> prompt, const GenerateOptions& opt,
    const std::function<bool(const GeneratedToken&)>& on_token) const {
  c10::InferenceMode inference;
  if (!opt.sampler.greedy && !opt.uniform)
    throw Error("generate: sampling needs a uniform source", 1);
  const auto& eos = impl_->config.eos_token_ids;
  KVCache cache;
  std::vector<int64_t> out;
  Tensor ids = impl_->token_tensor(prompt);
  CaptureRequest what = opt.capture;
  what.logits = true;
  what.all_logits = false;  // sampling reads the last position only
  for (uint64_t step = 0; static_cast<int64_t>(step) < opt.max_new; ++step) {
    if (impl_->config.max_position_embeddings > 0 &&
        cache.length + ids.size(1) > impl_->config.max_position_embeddings)
      break;
    Capture cap = request(what);
    Tensor logits = model::forward(impl_->config, *impl_->arch, impl_->weights, ids, &cap, &cache);
    GeneratedToken g{0, step, collect(cap, logits, what, true)};
    g.token = sample_token(g.capture.logits.data, opt.sampler,
                           opt.sampler.greedy ? 0.0 : opt.uniform(step));
    if (!opt.capture.logits) g.capture.logits = {};
    out.push_back(g.token);
    const bool go_on = on_token ? on_token(g) : true;
    if (!go_on || (opt.stop_at_eos && std::find(eos.begin(), eos.end(), g.token) != eos.end()))
      break;
    ids = torch::tensor(std::vector<int64_t>{g.token}, torch::kInt64).unsqueeze(0);
  }
  return out;
}

}  // namespace th::model
