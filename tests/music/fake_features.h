// Test helper: a FeatureSource from plain arrays, with the FeatureStore's `*` rule (a `*` in
// the layer position stacks that feature over layers 0, 1, … in order), and a synthetic model
// whose every feature the genre pattern files read is a smooth, layer-dependent curve.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "music/feature.h"

namespace th::test {

class FakeFeatures : public music::FeatureSource {
 public:
  std::map<std::string, std::vector<float>, std::less<>> arrays;

  std::span<const float> get(std::string_view name) const override {
    if (auto it = arrays.find(name); it != arrays.end()) return it->second;
    const auto star = name.find('*');
    if (star != std::string_view::npos) {
      auto& out = stacked_[std::string(name)];
      out.clear();
      for (int l = 0;; ++l) {
        const std::string n = std::string(name.substr(0, star)) + std::to_string(l) +
                              std::string(name.substr(star + 1));
        auto it = arrays.find(n);
        if (it == arrays.end()) break;
        out.insert(out.end(), it->second.begin(), it->second.end());
      }
      if (!out.empty()) return out;
    }
    throw InputError("unknown feature " + std::string(name));
  }

 private:
  mutable std::map<std::string, std::vector<float>> stacked_;
};

// A deterministic synthetic model with `layers` layers: every statistic the shipped pattern
// files use, each a different curve so that layers differ.
inline FakeFeatures synthetic_model(int layers) {
  FakeFeatures f;
  auto curve = [](int n, double a, double b) {
    std::vector<float> v;
    for (int i = 0; i < n; ++i)
      v.push_back(static_cast<float>(1.0 + 0.5 * std::sin(a * i + b) + 0.01 * i));
    return v;
  };
  const char* vectors[] = {"mlp.down_proj.row_norms",    "mlp.down_proj.col_norms",
                           "mlp.up_proj.row_norms",      "mlp.up_proj.col_norms",
                           "mlp.gate_proj.row_norms",    "self_attn.k_proj.row_norms",
                           "self_attn.o_proj.row_norms", "self_attn.o_proj.col_norms",
                           "self_attn.q_proj.row_norms", "input_layernorm.raw"};
  const char* scalars[] = {"mlp.gate_proj.std",
                           "self_attn.v_proj.kurtosis",
                           "mlp.up_proj.spectral_entropy",
                           "self_attn.o_proj.stable_rank",
                           "self_attn.q_proj.effective_rank",
                           "self_attn.q_proj.spectral_entropy",
                           "self_attn.k_proj.stable_rank",
                           "self_attn.q_proj.stable_rank",
                           "mlp.gate_proj.kurtosis",
                           "mlp.gate_proj.effective_rank",
                           "mlp.gate_proj.skewness"};
  for (int l = 0; l < layers; ++l) {
    int k = 0;
    for (const char* v : vectors)
      f.arrays["layers." + std::to_string(l) + "." + v] = curve(40, 0.7 + 0.13 * k++, 1.3 * l);
    k = 0;
    for (const char* s : scalars)
      f.arrays["layers." + std::to_string(l) + "." + s] = {
          static_cast<float>(2.0 + std::sin(1.7 * l + 0.9 * k++))};
  }
  f.arrays["tension"] = curve(layers, 1.1, 0.2);
  for (auto& x : f.arrays["tension"]) x -= 0.5f;
  f.arrays["qk_coherence"] = curve(layers, 0.8, 0.5);
  // One value fewer than layers: the change into layers 1.. (as the analysis stores it).
  f.arrays["spectral_change.down_proj"] = curve(layers - 1, 2.1, 0.1);
  f.arrays["tonality.root"] = {62.0f};  // D
  f.arrays["tonality.mode"] = {3.0f};   // dorian
  return f;
}

}  // namespace th::test
