#include "analysis/dataset_features.h"

#include <fmt/format.h>

#include "analysis/activation_features.h"
#include "analysis/refusal.h"

namespace th::analysis {

FeatureStore dataset_features(const model::Runner& runner, const PromptSet& prompts,
                              const std::function<void(std::size_t, std::size_t)>& progress) {
  const int64_t N = static_cast<int64_t>(prompts.prompts.size());
  const int64_t L = runner.config().num_hidden_layers, D = runner.config().hidden_size;
  std::vector<float> pooled, tokens, norms, entropy, sparsity;
  const model::CaptureRequest what{true, true, true, false, false};
  std::vector<std::vector<int64_t>> all_ids;  // all first: a bad prompt fails before any pass
  for (const auto& p : prompts.prompts) all_ids.push_back(encode_prompt(runner, p));
  for (int64_t i = 0; i < N; ++i) {
    const auto& ids = all_ids[static_cast<std::size_t>(i)];
    const auto cap = runner.forward(ids, what);
    const int64_t T = static_cast<int64_t>(ids.size());
    const int64_t H = cap.attn_entropy.shape[1];
    auto append = [](std::vector<float>& to, const std::vector<float>& v) {
      to.insert(to.end(), v.begin(), v.end());
    };
    // Each hidden state is one row of the pool: [L+1, T, D] with a full mask → [L+1, D].
    const std::vector<float> mask(static_cast<std::size_t>((L + 1) * T), 1.f);
    append(pooled, masked_mean_pool(cap.hidden.data, mask, L + 1, T, D));
    tokens.push_back(static_cast<float>(T));
    append(norms, row_means(hidden_norms(cap.hidden), L + 1, T));
    append(entropy, row_means(cap.attn_entropy.data, L, H * T));
    append(sparsity, row_means(cap.mlp_sparsity.data, L, T));
    if (progress) progress(static_cast<std::size_t>(i + 1), static_cast<std::size_t>(N));
  }
  const std::string src =
      fmt::format("{} ({} prompts, hash {:016x})", prompts.file.string(), N, prompts.hash());
  FeatureStore::Builder b;
  b.add("dataset.pooled", {N, L + 1, D}, std::move(pooled), {src, "mean over tokens of h", -1});
  b.add("dataset.tokens", {N}, std::move(tokens), {src, "token count", -1});
  b.add("dataset.hidden_norm_mean", {N, L + 1}, std::move(norms),
        {src, "mean over tokens of ‖h‖", -1});
  b.add("dataset.attn_entropy", {N, L}, std::move(entropy), {src, "attention entropy", -1});
  b.add("dataset.mlp_sparsity", {N, L}, std::move(sparsity), {src, "MLP sparsity", -1});
  return std::move(b).build();
}

}  // namespace th::analysis
