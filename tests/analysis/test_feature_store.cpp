#include <catch2/catch.hpp>

#include "analysis/feature_store.h"
#include "core/error.h"
#include "support.h"

using namespace th::analysis;

namespace {
FeatureStore sample() {
  FeatureStore::Builder b;
  for (int l = 0; l < 3; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".self_attn.v_proj.";
    b.add_scalar(p + "kurtosis", 0.5 * l,
                 {"model.layers." + std::to_string(l) + ".self_attn.v_proj.weight", "kurtosis", l});
    b.add_vector(p + "row_norms", {1.0 + l, 2.0 + l}, {"v", "row_norms", l});
  }
  b.add_vector("layers.10.mlp.down_proj.row_norms", {1, 2, 3}, {"d", "row_norms", 10});
  b.add_scalar("tonality.root", 67, {"input_layernorm", "tonality", -1});
  return std::move(b).build();
}
}  // namespace

TEST_CASE("feature store: exact and layer-pattern lookups", "[analysis][features]") {
  auto s = sample();
  CHECK(s.get("tonality.root").scalar() == 67.0f);
  auto k = s.get("layers.*.self_attn.v_proj.kurtosis");
  CHECK(k.shape == std::vector<int64_t>{3});
  CHECK(k.data == std::vector<float>{0.0f, 0.5f, 1.0f});
  auto r = s.get("layers.*.self_attn.v_proj.row_norms");
  CHECK(r.shape == std::vector<int64_t>{3, 2});
  CHECK(r.data == std::vector<float>{1, 2, 2, 3, 3, 4});
  CHECK(s.get("layers.1.self_attn.v_proj.kurtosis").provenance.index == 1);
  // "layers.1." must not match "layers.10.": the single-layer name is exact.
  CHECK(s.get("layers.1.self_attn.v_proj.row_norms").data == std::vector<float>{2, 3});
}

TEST_CASE("feature store: unknown names list close matches; mixed shapes refuse",
          "[analysis][features]") {
  auto s = sample();
  try {
    s.get("layers.1.self_attn.v_proj.kurtosiss");
    FAIL("expected InputError");
  } catch (const th::InputError& e) {
    CHECK(std::string(e.what()).find("layers.1.self_attn.v_proj.kurtosis") != std::string::npos);
  }
  CHECK_THROWS_AS(s.get("nothing.like.this.at.all.zzzzzzzzzzzz"), th::InputError);
  CHECK_THROWS_AS(s.get("layers.*.mlp.up_proj.row_norms"), th::InputError);
  CHECK_THROWS_AS(s.get("layers.*.self_attn.v_proj.row_norms").scalar(), th::InputError);
  // Pattern over layers 0,1,2 (2 values) and 10 (3 values) has mixed shapes.
  FeatureStore::Builder b;
  b.add_vector("layers.0.x", {1, 2}, {});
  b.add_vector("layers.1.x", {1, 2, 3}, {});
  CHECK_THROWS_AS(std::move(b).build().get("layers.*.x"), th::InputError);
}

TEST_CASE("feature store: save and load round-trip values, shapes and provenance",
          "[analysis][features]") {
  auto dir = th::test::scratch("feature_store");
  auto s = sample();
  s.save(dir / "features.safetensors");
  auto t = FeatureStore::load(dir / "features.safetensors");
  CHECK(t.names() == s.names());
  for (const auto& n : s.names()) {
    CHECK(t.get(n).data == s.get(n).data);
    CHECK(t.get(n).shape == s.get(n).shape);
    CHECK(t.get(n).provenance.source == s.get(n).provenance.source);
    CHECK(t.get(n).provenance.statistic == s.get(n).provenance.statistic);
    CHECK(t.get(n).provenance.index == s.get(n).provenance.index);
  }
  CHECK(t.get("tonality.root").shape.empty());
}
