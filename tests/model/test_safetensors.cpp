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

TEST_CASE("safetensors: filled tensors are written in any order, checked, and never half-written",
          "[model][safetensors]") {
  auto dir = th::test::scratch("st_filled");
  const std::vector<int64_t> ids = {7, 8};
  const std::vector<float> m = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};  // [3, 4]
  // Columns [2, 4) first, then [0, 2), one row at a time (as the logits are written); the last
  // tensor's final value is never written: it reads as zero and the file still has its length.
  const auto by_columns = [&](const TensorWriter& write) {
    for (int64_t c0 : {2, 0})
      for (int64_t r = 0; r < 3; ++r)
        write(static_cast<uint64_t>((r * 4 + c0) * 4),
              std::as_bytes(std::span(m.data() + r * 4 + c0, 2)));
  };
  const auto all_but_last = [&](const TensorWriter& write) {
    write(0, std::as_bytes(std::span(m.data(), 5)));
  };
  write_safetensors(
      dir / "f.safetensors", {{"ids", DType::I64, {2}, std::as_bytes(std::span(ids))}}, {},
      {{"m", DType::F32, {3, 4}, by_columns}, {"tail", DType::F32, {6}, all_but_last}});
  auto file = SafetensorsFile::open(dir / "f.safetensors");
  CHECK(to_float(*file->find("ids")) == std::vector<float>{7, 8});
  CHECK(to_float(*file->find("m")) == m);
  CHECK(to_float(*file->find("tail")) == std::vector<float>{0, 1, 2, 3, 4, 0});
  // A piece past the tensor's end: an error naming it, and no file (nor temp file) left behind.
  const auto past_end = [&](const TensorWriter& write) {
    write(44, std::as_bytes(std::span(m.data(), 2)));
  };
  try {
    write_safetensors(dir / "bad.safetensors", {}, {}, {{"m", DType::F32, {3, 4}, past_end}});
    FAIL("no error");
  } catch (const th::Error& e) {
    CHECK(std::string(e.what()).find("tensor m is 48 bytes, a piece was written at [44, 52)") !=
          std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "bad.safetensors"));
  CHECK_FALSE(std::filesystem::exists(dir / "bad.safetensors.tmp"));
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
