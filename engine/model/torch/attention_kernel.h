// INTERNAL to engine/model/torch (torch types): causal, optionally sliding-window, grouped-query
// attention in float32 that never forms the whole [T, S] score matrix. Query rows go in blocks;
// a block's scores are computed over only the keys one of its rows may see (one sgemm), then
// masked, softmaxed and measured (entropy) in one pass while they sit in cache, and multiplied
// into the values (a second sgemm). The general path (transformer.cpp) makes ~8 passes over
// [H, T, S] tensors and computes every masked score: at T = 512 with a 64-wide window that is 8×
// the work on a sliding layer.
// Include only from engine/model/torch/*.cpp.
#pragma once

#include <torch/types.h>

#include <memory>
#include <optional>
#include <vector>

namespace th::model {

struct AttentionInput {
  torch::Tensor q;    // [B, H, T, hd] float32
  torch::Tensor k;    // [B, KV, S, hd] float32, S = start + T (positions [0, S) of the cache)
  torch::Tensor v;    // [B, KV, S, hd] float32
  int64_t start = 0;  // absolute position of query row 0
  std::optional<int64_t> window;        // query at p sees keys (p - window, p]; else [0, p]
  double scaling = 1;                   // scores = q·k · scaling
  std::optional<double> logit_softcap;  // scores = tanh(scores / cap) · cap
  bool want_entropy = false;
};

struct AttentionOutput {
  torch::Tensor out;      // [B, T, H·hd] float32, heads side by side (ready for o_proj)
  torch::Tensor entropy;  // [B, H, T] float32 in nats, when asked
};

// Whether fused_attention computes this input: float32 CPU tensors, no autograd, H a multiple
// of KV. Thread-safe; realtime-safe.
bool fused_attention_applies(const torch::Tensor& q, const torch::Tensor& k,
                             const torch::Tensor& v);

// The attention of `in` (see the header comment). Uses torch's OpenMP thread count; the result
// does not depend on it. Thread-safe; not realtime-safe (allocates, runs a thread team).
AttentionOutput fused_attention(const AttentionInput& in);

// fused_attention's work as items (one head's block of query rows each) for a thread team to
// share. in's tensors as fused_attention_applies() takes them, q contiguous and each head's rows
// of k and v contiguous (a KV cache's narrowed view qualifies). out [B, T, H·hd] and entropy
// [B, H, T] (nullptr: not computed) are written at run() time from whatever q, k and v hold
// then, so a team can make the items before it writes its q, k and v; in.want_entropy is
// ignored. Construction allocates; run() is thread-safe for distinct items, not realtime-safe
// (grows `tile`).
class AttentionItems {
 public:
  AttentionItems(const AttentionInput& in, float* out, float* entropy);
  ~AttentionItems();
  AttentionItems(const AttentionItems&) = delete;
  AttentionItems& operator=(const AttentionItems&) = delete;

  int64_t size() const;
  void run(int64_t item, std::vector<float>& tile) const;

 private:
  struct Plan;
  std::unique_ptr<Plan> p_;
};

}  // namespace th::model
