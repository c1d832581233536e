// The model runtime behind a torch-free interface: load a Hugging Face model folder, run a
// forward pass with capture (hidden states, attention entropy, MLP activations and sparsity,
// logits) as plain float arrays, and generate token by token with a KV cache.
// Contract: every array is float32, row-major, with its shape alongside; capture conventions
// are those of docs/model.md (HF output_hidden_states for hidden). Sampling draws its uniform
// numbers only from the caller's source, so the same source gives the same tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/tokenizer.h"

namespace th::model {

enum class ComputeDType { Float32, BFloat16 };

// "float32" | "bfloat16" → ComputeDType; throws InputError naming `what` otherwise. Thread-safe.
ComputeDType parse_compute_dtype(std::string_view name, std::string_view what);

struct Array {
  std::vector<float> data;
  std::vector<int64_t> shape;
  // Thread-safe; realtime-safe.
  float at(std::initializer_list<int64_t> idx) const;
};

struct CaptureRequest {
  bool hidden = true;
  bool attn_entropy = true;
  bool mlp_sparsity = true;
  bool mlp_act = false;  // large: [L, T, intermediate]
  bool logits = true;
  // Logits of every position ([T, V]) instead of the last one only ([1, V], the row generation
  // reads). The full array costs T·V floats and, for a large vocabulary, most of the pass's
  // FLOPs (Gemma 3's 262144-row lm_head), so it is computed only when asked for.
  bool all_logits = false;
};

// One forward pass over T tokens (empty arrays for what was not requested).
struct ForwardCapture {
  Array hidden;  // [L+1, T, D]: [0] embedding output (×sqrt(D) for Gemma), [L] after final norm
  Array attn_entropy;  // [L, H, T] nats, per head and query token, over the keys it can see
  Array mlp_act;       // [L, T, I] act(gate)·up
  Array mlp_sparsity;  // [L, T] fraction of units with |a| < 0.1·std(layer's activations)
  Array logits;        // [1, V] of the last position; [T, V] with CaptureRequest::all_logits
};

struct SamplerSettings {
  bool greedy = true;
  double temperature = 1.0;
  double top_p = 1.0;
};

// "1,2,3" → {1, 2, 3}; throws InputError naming `what` for anything else. Thread-safe.
std::vector<int64_t> parse_token_list(std::string_view list, std::string_view what);

// Returns a uniform number in [0, 1) for generation step `step` (0 for the first new token).
using UniformSource = std::function<double(uint64_t step)>;

// A counter-based source: splitmix64(seed, step) → [0, 1). Thread-safe; realtime-safe.
double splitmix_uniform(uint64_t seed, uint64_t step);

// Picks the next token from one row of logits. Greedy: the first maximum. Otherwise softmax of
// logits / temperature, keep the smallest set of most likely tokens whose mass reaches top_p,
// and invert the cumulative distribution at u·(kept mass). Thread-safe; allocates.
int64_t sample_token(std::span<const float> logits, const SamplerSettings& s, double u);

struct GeneratedToken {
  int64_t token;
  uint64_t step;
  // The forward pass that produced this token, restricted to its last position (T = 1).
  ForwardCapture capture;
};

struct GenerateOptions {
  int64_t max_new = 32;
  SamplerSettings sampler;
  UniformSource uniform;    // required unless sampler.greedy
  bool stop_at_eos = true;  // stop after emitting an eos_token_id of the config
  CaptureRequest capture{false, false, false, false, false};
};

class Runner {
 public:
  Runner();
  ~Runner();
  Runner(Runner&&) noexcept;
  Runner& operator=(Runner&&) noexcept;

  // Reads config.json and the weights, validates them (InputError), converts to dtype.
  // Not thread-safe with other calls on the same Runner.
  static Runner load(const std::filesystem::path& dir, ComputeDType dtype = ComputeDType::Float32);

  const ModelConfig& config() const;
  const ArchSpec& arch() const;
  const std::filesystem::path& dir() const;
  bool lm_head_tied() const;
  // The folder's tokenizer, or nullptr when it has none. Thread-safe.
  const Tokenizer* tokenizer() const;
  // Text → ids with the tokenizer (BOS etc. as its configuration adds them). Throws InputError
  // when the folder has no tokenizer. Thread-safe.
  std::vector<int64_t> encode(std::string_view text) const;

  // One forward pass over the tokens (no cache). Throws InputError for ids outside the vocab.
  // Const, but not thread-safe (torch's thread pool is shared). Allocates.
  ForwardCapture forward(std::span<const int64_t> tokens, const CaptureRequest& what = {}) const;

  // The logits of vocabulary columns [v0, v1) for every row of `final_hidden` ([T, hidden], the
  // last entry of a forward capture's hidden states: after the final norm) into out
  // [T, v1 − v0]: the same numbers as forward() with all_logits, a slice of the vocabulary at a
  // time, so a caller can keep [T, V] off the heap. Throws InputError for a bad range or sizes.
  // Const, not thread-safe (torch's pool); not realtime-safe (allocates).
  void logits_columns(std::span<const float> final_hidden, int64_t v0, int64_t v1,
                      std::span<float> out) const;

  // Generates up to max_new tokens after the prompt with a KV cache; calls on_token for each
  // one as soon as it exists (return false to stop). Returns the new tokens. Allocates.
  std::vector<int64_t> generate(
      std::span<const int64_t> prompt, const GenerateOptions& opt,
      const std::function<bool(const GeneratedToken&)>& on_token = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace th::model
