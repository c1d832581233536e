#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "model/safetensors.h"
#include "support.h"

using namespace th::model;

TEST_CASE("safetensors: reads the real stories260K-hf file", "[model][safetensors]") {
  auto ws = WeightStore::open_dir(th::test::shared_data("models/stories260K-hf"));
  REQUIRE(ws.all().size() == 47);
  const auto& emb = ws.get("model.embed_tokens.weight");
  CHECK(emb.dtype == DType::F32);
  CHECK(emb.shape == std::vector<int64_t>{512, 64});
  const auto& wq = ws.get("model.layers.0.self_attn.q_proj.weight");
  CHECK(wq.shape == std::vector<int64_t>{64, 64});
  CHECK(ws.get("model.layers.4.mlp.down_proj.weight").shape == std::vector<int64_t>{64, 172});
  CHECK(ws.find("lm_head.weight") == nullptr);
  CHECK_THROWS_AS(ws.get("nope"), th::InputError);
}

TEST_CASE("safetensors: write then read round-trips every dtype", "[model][safetensors]") {
  auto dir = th::test::scratch("st_roundtrip");
  std::vector<float> f = {1.f, -2.5f, 3.25f, 0.f, 0.125f, -7.f};
  std::vector<uint16_t> b(f.size());
  for (size_t i = 0; i < f.size(); ++i) b[i] = float_to_bf16(f[i]);
  std::vector<int64_t> ids = {1, 2, 3};
  write_safetensors(dir / "model.safetensors",
                    {{"a", DType::F32, {2, 3}, std::as_bytes(std::span(f))},
                     {"b", DType::BF16, {3, 2}, std::as_bytes(std::span(b))},
                     {"ids", DType::I64, {3}, std::as_bytes(std::span(ids))}},
                    {{"format", "pt"}});
  auto file = SafetensorsFile::open(dir / "model.safetensors");
  REQUIRE(file->tensors().size() == 3);
  CHECK(file->metadata().at("format") == "pt");
  CHECK(to_float(*file->find("a")) == f);
  CHECK(to_float(*file->find("b")) == f);  // all values exactly representable in bf16
  CHECK(to_float(*file->find("ids")) == std::vector<float>{1, 2, 3});
}

TEST_CASE("safetensors: f16 and bf16 conversions", "[model][safetensors]") {
  CHECK(f16_to_float(0x3c00) == 1.0f);
  CHECK(f16_to_float(0xc000) == -2.0f);
  CHECK(f16_to_float(0x0001) == Approx(5.960464477539063e-08f));
  CHECK(f16_to_float(0x7bff) == 65504.0f);
  CHECK(std::isinf(f16_to_float(0x7c00)));
  CHECK(bf16_to_float(float_to_bf16(1.00390625f)) == 1.0f);  // ties to even
  CHECK(bf16_to_float(float_to_bf16(3.0f)) == 3.0f);
}
