#include "model/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "model/safetensors.h"
#include "model/torch_runtime.h"

namespace th::model {
namespace {

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
  std::unique_ptr<WeightStore> store;  // outlives backend: its tensors may view it
  std::unique_ptr<ForwardBackend> backend;
  bool tied = false;
  std::unique_ptr<Tokenizer> tokenizer;

  void check_tokens(std::span<const int64_t> tokens) const {
    if (tokens.empty()) throw InputError("tokens: expected at least one token id, found none");
    for (auto t : tokens)
      if (t < 0 || t >= config.vocab_size)
        throw InputError(
            fmt::format("tokens: expected ids in [0, {}), found {}", config.vocab_size, t));
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
  m.backend = torch_runtime().open_model(m.config, *m.arch, *m.store, dtype);
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
  impl_->check_tokens(tokens);
  return impl_->backend->forward(tokens, what);
}

void Runner::logits_columns(std::span<const float> final_hidden, int64_t v0, int64_t v1,
                            std::span<float> out) const {
  const auto& c = config();
  const auto D = static_cast<std::size_t>(c.hidden_size);
  const std::string model = dir().string();
  if (v0 < 0 || v1 <= v0 || v1 > c.vocab_size)
    throw InputError(fmt::format(
        "{}: logits_columns: columns: expected a range within [0, {}) (vocab_size), found [{}, {})",
        model, c.vocab_size, v0, v1));
  if (final_hidden.empty() || final_hidden.size() % D != 0)
    throw InputError(fmt::format(
        "{}: logits_columns: final_hidden: expected rows of {} values (hidden_size), found {} "
        "values",
        model, D, final_hidden.size()));
  const std::size_t want = final_hidden.size() / D * static_cast<std::size_t>(v1 - v0);
  if (out.size() != want)
    throw InputError(fmt::format("{}: logits_columns: out: expected {} values, found {}", model,
                                 want, out.size()));
  impl_->backend->logits_columns(final_hidden, v0, v1, out);
}

std::vector<int64_t> Runner::generate(
    std::span<const int64_t> prompt, const GenerateOptions& opt,
    const std::function<bool(const GeneratedToken&)>& on_token) const {
  if (!opt.sampler.greedy && !opt.uniform)
    throw Error("generate: sampling needs a uniform source", 1);
  impl_->check_tokens(prompt);
  return impl_->backend->generate(prompt, opt, on_token);
}

}  // namespace th::model
