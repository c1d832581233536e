// A generated Gemma-3-shaped model: norm vectors are stored as offsets, the effective scale is
// 1 + w, while every notebook statistic keeps the raw w.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "analysis/weight_analysis.h"
#include "model/architecture.h"
#include "support.h"

using namespace th::analysis;

namespace {

std::filesystem::path make_gemma_like() {
  auto dir = th::test::scratch("gemma_like");
  {
    std::ofstream(dir / "config.json") << R"({"model_type": "gemma3_text", "hidden_size": 16,
      "intermediate_size": 32, "num_hidden_layers": 3, "num_attention_heads": 2,
      "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 40, "max_position_embeddings": 64,
      "tie_word_embeddings": true, "hidden_activation": "gelu_pytorch_tanh", "torch_dtype": "bfloat16"})";
  }
  const auto config = th::model::load_config(dir / "config.json");
  const auto& arch = th::model::find_arch(config.model_type);
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.0f, 0.2f);
  std::vector<std::vector<float>> storage;
  std::vector<th::model::TensorData> tensors;
  auto add = [&](const th::model::TensorSlot& s, int layer) {
    if (s.presence != th::model::Presence::Required) return;
    std::string name(s.name);
    if (layer >= 0) name = fmt::format(fmt::runtime(name), layer);
    if (s.role == th::model::Role::LmHead) return;  // tied
    name = "model." + name;
    auto shape = th::model::role_shape(config, s.role);
    int64_t n = 1;
    for (auto d : shape) n *= d;
    storage.emplace_back(static_cast<std::size_t>(n));
    for (auto& v : storage.back()) v = g(rng);
    tensors.push_back(
        {name, th::model::DType::F32, shape, std::as_bytes(std::span(storage.back()))});
  };
  storage.reserve(128);
  for (const auto& s : arch.global) add(s, -1);
  for (int l = 0; l < config.num_hidden_layers; ++l)
    for (const auto& s : arch.per_layer) add(s, l);
  th::model::write_safetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
  return dir;
}

}  // namespace

TEST_CASE("gemma-like: norms carry the 1 + w scale beside the raw statistics",
          "[analysis][gemma]") {
  const auto dir = make_gemma_like();
  const auto a = analyze_model_dir(dir);
  CHECK(a.model.architecture == "gemma3");
  int norms = 0;
  for (const auto& t : a.tensors) {
    if (!t.vector) continue;
    ++norms;
    INFO(t.name);
    CHECK(t.scale_offset == 1.0);
    double sum = 0;
    for (float v : t.values) sum += v;
    const double mean = sum / static_cast<double>(t.values.size());
    CHECK(t.vector->moments.mean == Approx(mean).margin(1e-7));
    CHECK(t.vector->scale_moments.mean == Approx(1.0 + mean).margin(1e-7));
    CHECK(t.vector->scale_moments.std == Approx(t.vector->moments.std));
  }
  CHECK(norms == 1 + 3 * 6);  // final norm + 6 per layer (4 sandwich norms, q_norm, k_norm)
  const auto fs = to_feature_store(a);
  auto raw = fs.get("layers.1.input_layernorm.raw");
  auto scale = fs.get("layers.1.input_layernorm.scale");
  REQUIRE(raw.data.size() == 16);
  for (std::size_t i = 0; i < 16; ++i) CHECK(scale.data[i] == Approx(1.0f + raw.data[i]));
  CHECK(fs.get("layers.*.self_attn.q_norm.scale_mean").shape == std::vector<int64_t>{3});
  // Tonality uses the raw stack; centring makes it identical for 1 + w.
  REQUIRE(a.tonality);
  CHECK(a.tonality->explained_variance_ratio.size() == 3);
}
