// Whole-model weight analysis: every tensor role's statistics, the per-layer curves (tension,
// QK coherence, spectral change) and the tonality. Contract: roles come from
// model::resolve_roles, so a fused tensor is analysed per role slice and a tied lm_head is not
// analysed twice. The result is a plain value; to_feature_store() turns it into named arrays.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/feature_store.h"
#include "analysis/tensor_stats.h"
#include "analysis/tonality.h"
#include "model/architecture.h"

namespace th::analysis {

struct TensorAnalysis {
  std::string name;  // HF tensor name
  std::string key;   // feature-store prefix: "layers.3.mlp.down_proj", "embed", "norm"
  std::string role;  // model::role_name
  int layer = -1;
  std::vector<int64_t> shape;
  std::optional<MatrixStats> matrix;  // 2-D tensors
  std::optional<VectorStats> vector;  // 1-D tensors
  std::vector<float> values;          // 1-D tensors: the stored w
  double scale_offset = 0;            // 1 for Gemma-style norms (scale = 1 + w)
};

struct ModelInfo {
  std::string architecture;  // ArchSpec name
  std::string model_type;
  int64_t layers = 0, hidden_size = 0;
  std::string dtype;  // of the embedding
};

struct WeightAnalysis {
  ModelInfo model;
  std::vector<TensorAnalysis> tensors;
  std::vector<double>
      tension_raw;              // per layer: mean fro(q,k,v,o) / (mean fro(gate,up,down) + 1e-9)
  std::vector<double> tension;  // norm01(tension_raw)
  std::vector<double> qk_coherence;  // per layer, spectral_coherence(σ_q, σ_k)
  std::map<std::string, std::vector<double>> spectral_change;  // role → W1(layer l−1, layer l)
  std::optional<Tonality> tonality;  // from the attn_norm (input_layernorm) vectors
};

// Thread-safe (reads only); not realtime-safe: seconds to minutes for a large model. Runs the
// tensors on the OpenMP threads (OMP_NUM_THREADS, default all cores).
WeightAnalysis analyze_weights(const model::ModelConfig& config, const model::WeightStore& weights,
                               const std::vector<model::TensorRole>& roles);
// config.json + resolve_roles + the above. Throws th::InputError. Thread-safe.
WeightAnalysis analyze_model_dir(const std::filesystem::path& dir);

// Thread-safe.
FeatureStore to_feature_store(const WeightAnalysis& a);

}  // namespace th::analysis
