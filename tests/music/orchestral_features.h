// Test helper: the synthetic model of fake_features.h plus what the orchestral genres read —
// spectra (descending), spectral norms, Frobenius norms, norm-vector statistics, the embedding.
#pragma once

#include <algorithm>
#include <string>

#include "fake_features.h"

namespace th::test {

inline FakeFeatures orchestral_model(int layers) {
  FakeFeatures f = synthetic_model(layers);
  const char* mats[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                        "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                        "mlp.down_proj"};
  for (int l = 0; l < layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    int k = 0;
    for (const char* m : mats) {
      std::vector<float> sv;
      for (int i = 0; i < 16; ++i)
        sv.push_back(static_cast<float>(10.0 / (1 + i * (0.3 + 0.05 * k + 0.07 * l))));
      f.arrays[p + m + ".singular_values"] = sv;
      f.arrays[p + m + ".spectral_norm"] = {static_cast<float>(3 + std::sin(0.9 * l + k))};
      f.arrays[p + m + ".fro"] = {static_cast<float>(5 + 2 * std::sin(1.3 * l + 0.7 * k))};
      f.arrays[p + m + ".stable_rank"] = {static_cast<float>(4 + std::cos(0.6 * l + 1.1 * k))};
      f.arrays[p + m + ".std"] = {static_cast<float>(0.1 + 0.05 * std::cos(l + k))};
      ++k;
    }
    f.arrays[p + "mlp.up_proj.kurtosis"] = {static_cast<float>(std::sin(2.1 * l))};
    f.arrays[p + "mlp.up_proj.skewness"] = {static_cast<float>(std::cos(1.4 * l))};
    for (const char* n : {"input_layernorm", "post_attention_layernorm"}) {
      f.arrays[p + n + ".mean"] = {static_cast<float>(1 + 0.1 * std::sin(l * 1.9 + n[0]))};
      f.arrays[p + n + ".std"] = {static_cast<float>(0.2 + 0.1 * std::cos(l * 0.8 + n[0]))};
    }
  }
  std::vector<float> emb;
  for (int i = 0; i < 24; ++i) emb.push_back(static_cast<float>(40.0 / (1 + 0.4 * i)));
  f.arrays["embed.singular_values"] = emb;
  f.arrays["embed.fro"] = {30.0f};
  f.arrays["norm.raw"] = {0.5f, 1.2f, -0.8f, 0.3f, 1.0f};
  return f;
}

}  // namespace th::test
