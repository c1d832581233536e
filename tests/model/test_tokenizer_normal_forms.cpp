// tokenizer.json's Unicode normalizers (NFC, NFD, NFKC, NFKD) against Python's unicodedata
// (tests/model/make_golden_normal_forms.py → tests/data/tokenizers/normal_forms.json), and a
// whole tokenizer with an NFC normalizer: decomposed text encodes as its precomposed form.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "model/tokenizer.h"
#include "model/tokenizer_hf_parts.h"
#include "support.h"

namespace th::model {

TEST_CASE("tokenizer.json normalizers: NFC, NFD, NFKC, NFKD as unicodedata gives them",
          "[model][tokenizer]") {
  std::ifstream in(test::test_data("tokenizers/normal_forms.json"));
  const auto cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 10);
  for (const std::string form : {"NFC", "NFD", "NFKC", "NFKD"}) {
    const auto n = hf::make_normalizer({{"type", form}}, {"test.json", "normalizer"});
    REQUIRE(n);
    for (const auto& c : cases) {
      std::string s = c["text"].get<std::string>();
      n->apply(s);
      INFO(form << " of [" << c["text"].get<std::string>() << "]");
      CHECK(s == c[form].get<std::string>());
    }
  }
}

TEST_CASE("tokenizer.json with an NFC normalizer: decomposed text encodes precomposed",
          "[model][tokenizer]") {
  const auto gpt2 = test::shared_data("tokenizers/gpt2");
  std::ifstream in(gpt2 / "tokenizer.json");
  auto j = nlohmann::json::parse(in);
  REQUIRE(j["normalizer"].is_null());
  j["normalizer"] = {{"type", "NFC"}};
  const auto dir = test::scratch("tokenizer_nfc");
  std::ofstream(dir / "tokenizer.json") << j.dump();
  const auto plain = load_tokenizer(gpt2);
  const auto nfc = load_tokenizer(dir);
  REQUIRE(plain);
  REQUIRE(nfc);
  const std::string composed = "caf\u00e9 r\u00e9sum\u00e9 \u212b";
  const std::string decomposed = "cafe\u0301 re\u0301sume\u0301 \u212b";
  CHECK(plain->encode(decomposed, false) != plain->encode(composed, false));
  // Å (U+212B, the Angstrom sign) is a singleton whose NFC is U+00C5.
  CHECK(nfc->encode(decomposed, false) ==
        plain->encode("caf\u00e9 r\u00e9sum\u00e9 \u00c5", false));
  CHECK(nfc->encode(composed, false) == plain->encode("caf\u00e9 r\u00e9sum\u00e9 \u00c5", false));
}

}  // namespace th::model
