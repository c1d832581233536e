// Activation features: what a model computes on one prompt, reduced to the named arrays the music
// reads (docs/analysis.md, "Activation features"). Contract: inputs are the runtime's capture
// arrays (model/runner.h conventions: hidden [L+1,T,D] in HF output_hidden_states order,
// attn_entropy [L,H,T] nats, mlp_sparsity [L,T]); every feature is a pure function of them (and
// of r̂ for the tension), so the same capture always gives the same features. Names are
// `<prefix><feature>` with the layer as the first axis, e.g. `prompt.hidden_norms` [L+1,T].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analysis/feature_store.h"
#include "analysis/matrix_view.h"
#include "model/runner.h"

namespace th::analysis {

// Dimension blocks per layer for block_norms (the seed splits D into one block per scale degree;
// a fixed count keeps the feature's shape independent of any scale).
inline constexpr int64_t kActivationBlocks = 32;
// Singular values kept per layer (padded with zeros when T or D is smaller).
inline constexpr int64_t kActivationSingularValues = 16;

// Mean of each row of a row-major [rows, cols] array (accumulated in double) → [rows]; a
// [L, H, T] array with cols = H·T gives per-layer means. Thread-safe; not realtime-safe.
std::vector<float> row_means(std::span<const float> x, int64_t rows, int64_t cols);

// ‖h[l,t]‖₂ → [L+1, T]. Thread-safe; not realtime-safe (every function here allocates).
std::vector<float> hidden_norms(const model::Array& hidden);

// Frobenius norm of each contiguous block of bs = max(1, D / blocks) hidden dimensions over all
// tokens, per layer → [L+1, blocks] (blocks past D are 0; the D mod blocks tail is dropped, as
// the seed does). Thread-safe.
std::vector<float> block_norms(const model::Array& hidden, int64_t blocks);

// Fraction of entries of h[l,t] with |a| < 0.1·std(all entries of layer l) → [L+1, T]. Thread-safe.
std::vector<float> hidden_sparsity(const model::Array& hidden);

// Per layer: PCA(2) of the token rows (centred), angle atan2(pc2, pc1) per token in radians
// → [L+1, T]; components signed as sklearn ≥ 1.5 (analysis/pca.h). Layers with fewer than two
// tokens or a rank below 2 give 0 for the missing coordinate. Thread-safe.
std::vector<float> pca_angles(const model::Array& hidden);

// Singular values of each layer's [T, D] activation matrix (not centred), descending, the first
// k (zero-padded) → [L+1, k]. Thread-safe.
std::vector<float> layer_singular_values(const model::Array& hidden, int64_t k);

// dot(h[l,t], r̂) → [L+1, T]; r̂ must have D entries. Thread-safe.
std::vector<float> direction_projection(const model::Array& hidden, std::span<const float> r_hat);

// Mean over tokens where mask != 0 of hidden rows: x [N, T, D], mask [N, T] → [N, D]; a row with
// an empty mask gives zeros (sum / max(Σmask, 1e-9), the seed's masked pooling). Thread-safe.
std::vector<float> masked_mean_pool(std::span<const float> x, std::span<const float> mask,
                                    int64_t n, int64_t t, int64_t d);

struct ActivationFeatureOptions {
  std::string prefix = "prompt.";
  std::string source;            // provenance source, e.g. `prompt "Once upon a time"`
  std::span<const float> r_hat;  // empty: no refusal_tension
};

// Adds every activation feature of one capture (docs/analysis.md lists names and shapes):
// tokens, hidden_norms, hidden_norm_mean, hidden_sparsity, block_norms, pca_angle,
// singular_values, attn_entropy (+ _heads, _tokens), mlp_sparsity (+ _tokens), refusal_tension
// (+ _mean) when r̂ is given. Thread-safe (the builder is the caller's).
void add_activation_features(const model::ForwardCapture& cap, std::span<const int64_t> tokens,
                             const ActivationFeatureOptions& opt, FeatureStore::Builder& out);

}  // namespace th::analysis
