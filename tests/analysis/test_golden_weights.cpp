// Every statistic of every tensor against the independent numpy reference, on two models: the
// real stories260K (Llama, F32; tests/analysis/make_golden_weights.py →
// tests/data/analysis/stories260k_golden.json) and a generated Gemma 3 in BF16 with 1 + w norms
// (tests/analysis/make_golden_gemma.py → tests/data/analysis/gemma3_tiny{,_golden.json}).
// Tolerances: 1e-6 relative for values computed by one formula in double; spectra 1e-9 of σ₁
// (the Gram path's absolute error scale); α and histograms exact up to 1e-6 because they only
// differ if a bin edge or a λ_min choice flips, which would be a real disagreement.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/weight_analysis.h"
#include "support.h"

using namespace th::analysis;
using nlohmann::json;

namespace {

void check_vec(const std::string& what, const std::vector<double>& got, const json& want,
               double abs_tol) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i);
    CHECK(got[i] == Approx(want[i].get<double>()).margin(abs_tol).epsilon(1e-6));
  }
}

void check_scalar(const std::string& what, double got, const json& want, double rel = 1e-6) {
  INFO(what);
  CHECK(got == Approx(want.get<double>()).epsilon(rel).margin(1e-12));
}

const WeightAnalysis& analysis() {
  static const WeightAnalysis a = analyze_model_dir(th::test::shared_data("models/stories260K-hf"));
  return a;
}

json load_golden(const std::string& rel) {
  std::ifstream f(th::test::test_data(rel));
  REQUIRE(f);
  return json::parse(f);
}

json golden() {
  return load_golden("analysis/stories260k_golden.json");
}

// Every tensor's statistics; norm_offset is the expected scale offset of every 1-D tensor.
void check_tensors(const WeightAnalysis& a, const json& g, double norm_offset) {
  REQUIRE(a.tensors.size() == g["tensors"].size());
  for (const auto& t : a.tensors) {
    INFO(t.name);
    REQUIRE(g["tensors"].contains(t.name));
    const json& w = g["tensors"][t.name];
    if (const auto& m = t.matrix) {
      const double s1 = w["spectral_norm"].get<double>();
      check_vec("singular_values", m->singular_values, w["singular_values"], 1e-9 * s1);
      check_scalar("spectral_norm", m->spectral_norm, w["spectral_norm"]);
      check_scalar("fro", m->fro, w["fro"]);
      check_scalar("stable_rank", m->stable_rank, w["stable_rank"]);
      check_scalar("spectral_entropy", m->spectral_entropy, w["spectral_entropy"]);
      check_scalar("effective_rank", m->effective_rank, w["effective_rank"]);
      check_scalar("mean", m->moments.mean, w["mean"]);
      check_scalar("std", m->moments.std, w["std"]);
      check_scalar("skewness", m->moments.skewness, w["skewness"], 1e-5);
      check_scalar("kurtosis", m->moments.kurtosis, w["kurtosis"], 1e-5);
      check_scalar("bimodality", m->bimodality, w["bimodality"], 1e-5);
      check_vec("row_norms", m->row_norms, w["row_norms"], 0);
      check_vec("col_norms", m->col_norms, w["col_norms"], 0);
      check_vec("histogram", m->histogram.density, w["histogram"], 1e-12);
      check_vec("histogram_range", {m->histogram.lo, m->histogram.hi}, w["histogram_range"], 0);
      check_scalar("alpha", m->alpha.alpha, w["alpha"], 1e-6);
      check_scalar("alpha_lambda_min", m->alpha.lambda_min, w["alpha_lambda_min"], 1e-6);
      check_scalar("alpha_ks", m->alpha.ks, w["alpha_ks"], 1e-5);
    } else {
      REQUIRE(t.vector);
      check_scalar("mean", t.vector->moments.mean, w["mean"]);
      check_scalar("std", t.vector->moments.std, w["std"]);
      check_scalar("skewness", t.vector->moments.skewness, w["skewness"], 1e-5);
      check_scalar("kurtosis", t.vector->moments.kurtosis, w["kurtosis"], 1e-5);
      check_scalar("bimodality", t.vector->bimodality, w["bimodality"], 1e-5);
      check_vec("histogram", t.vector->histogram.density, w["histogram"], 1e-12);
      CHECK(t.scale_offset == norm_offset);
      if (w.contains("scale_mean")) {
        CHECK(w["scale_offset"].get<double>() == norm_offset);
        check_scalar("scale_mean", t.vector->scale_moments.mean, w["scale_mean"]);
        check_scalar("scale_std", t.vector->scale_moments.std, w["scale_std"]);
      }
    }
  }
}

// Tension, QK coherence, spectral change and the tonality with its evidence.
void check_curves(const WeightAnalysis& a, const json& g) {
  check_vec("tension_raw", a.tension_raw, g["tension_raw"], 0);
  check_vec("tension", a.tension, g["tension"], 1e-9);
  check_vec("qk_coherence", a.qk_coherence, g["qk_coherence"], 1e-9);
  for (const auto& [role, v] : g["spectral_change"].items()) {
    REQUIRE(a.spectral_change.count(role));
    check_vec("spectral_change." + role, a.spectral_change.at(role), v, 1e-9);
  }
  REQUIRE(a.tonality);
  const auto& t = *a.tonality;
  const json& w = g["tonality"];
  CHECK(t.mode == w["mode"].get<std::string>());
  CHECK(t.root_midi == w["root"].get<int>());
  CHECK(t.root_pitch_class == w["root_pitch_class"].get<int>());
  check_scalar("pc2_skew", t.pc2_skew, w["pc2_skew"], 1e-6);
  check_scalar("pc3_kurtosis", t.pc3_kurtosis, w["pc3_kurtosis"], 1e-6);
  check_vec("explained_variance_ratio", t.explained_variance_ratio, w["explained_variance_ratio"],
            1e-12);
  for (std::size_t c = 0; c < 3; ++c)
    check_vec("component", t.components[c], w["components"][c], 1e-9);
}

}  // namespace

TEST_CASE("golden: every tensor statistic of stories260K matches numpy", "[analysis][golden]") {
  const auto& a = analysis();
  CHECK(a.model.architecture == "llama");
  CHECK(a.model.layers == 5);
  CHECK(a.model.hidden_size == 64);
  CHECK(a.model.dtype == "F32");
  CHECK(a.tensors.size() == 47);    // the tied lm_head is not repeated
  check_tensors(a, golden(), 0.0);  // Llama norms are stored as the scale itself
}

TEST_CASE("golden: per-layer curves and tonality of stories260K match numpy",
          "[analysis][golden]") {
  check_curves(analysis(), golden());
}

TEST_CASE("golden: every statistic of a generated BF16 Gemma 3 matches numpy",
          "[analysis][golden][gemma]") {
  const auto a = analyze_model_dir(th::test::test_data("analysis/gemma3_tiny"));
  const json g = load_golden("analysis/gemma3_tiny_golden.json");
  CHECK(a.model.architecture == "gemma3");
  CHECK(a.model.layers == 5);
  CHECK(a.model.hidden_size == 32);
  CHECK(a.model.dtype == "BF16");
  // embed + final norm + 13 per layer (7 matrices, 4 sandwich norms, q_norm, k_norm); tied head.
  CHECK(a.tensors.size() == 2 + 5 * 13);
  check_tensors(a, g, 1.0);  // Gemma norms: stored w, effective scale 1 + w
  check_curves(a, g);
  // The tonality evidence as the feature store publishes it.
  const auto fs = to_feature_store(a);
  CHECK(fs.get("tonality.root").scalar() == static_cast<float>(g["tonality"]["root"].get<int>()));
  CHECK(fs.get("tonality.pc2_skew").scalar() ==
        Approx(g["tonality"]["pc2_skew"].get<double>()).epsilon(1e-6));
  const auto scale = fs.get("layers.2.post_feedforward_layernorm.scale");
  const auto raw = fs.get("layers.2.post_feedforward_layernorm.raw");
  REQUIRE(scale.data.size() == 32);
  for (std::size_t i = 0; i < 32; ++i) CHECK(scale.data[i] == Approx(1.0f + raw.data[i]));
}

TEST_CASE("golden: the feature store names and stacks the analysis",
          "[analysis][golden][features]") {
  const auto& a = analysis();
  const auto fs = to_feature_store(a);
  const json g = golden();
  auto k = fs.get("layers.*.self_attn.v_proj.kurtosis");
  REQUIRE(k.shape == std::vector<int64_t>{5});
  for (int l = 0; l < 5; ++l)
    CHECK(k.data[static_cast<std::size_t>(l)] ==
          Approx(g["tensors"]["model.layers." + std::to_string(l) + ".self_attn.v_proj.weight"]
                  ["kurtosis"]
                      .get<double>())
              .epsilon(1e-5));
  CHECK(fs.get("embed.singular_values").shape == std::vector<int64_t>{64});
  CHECK(fs.get("layers.3.mlp.down_proj.row_norms").shape == std::vector<int64_t>{64});
  CHECK(fs.get("layers.3.mlp.down_proj.row_norms").provenance.source ==
        "model.layers.3.mlp.down_proj.weight");
  CHECK(fs.get("tonality.root").scalar() == static_cast<float>(g["tonality"]["root"].get<int>()));
  CHECK(fs.get("tension").shape == std::vector<int64_t>{5});
  auto dir = th::test::scratch("golden_features");
  fs.save(dir / "f.safetensors");
  CHECK(
      FeatureStore::load(dir / "f.safetensors").get("layers.*.mlp.up_proj.singular_values").shape ==
      std::vector<int64_t>{5, 64});
}
