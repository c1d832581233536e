// SentencePiece tokenizer.model (Llama 2) against HF's ids on the llama.cpp texts and against
// spm_encode (sentencepiece's own CLI) on our hard cases; llama2.c tokenizer.bin against the same.
#include <catch2/catch.hpp>

#include <sstream>

#include "core/error.h"
#include "model/tokenizer.h"
#include "support.h"
#include "tokenizer_cases.h"

using th::model::load_tokenizer_file;

namespace {

std::vector<std::string> lines_of(const std::filesystem::path& p) {
  std::istringstream in(th::test::slurp(p));
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<int64_t> ids_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<int64_t> ids;
  for (int64_t id; in >> id;) ids.push_back(id);
  return ids;
}

const std::string kSpaceMark = "\xE2\x96\x81";  // "▁"

// sentencepiece decodes "▁" as a space: a literal "▁" in the input comes back as one.
std::string spm_decoded(std::string s) {
  for (std::size_t p; (p = s.find(kSpaceMark)) != std::string::npos;)
    s.replace(p, kSpaceMark.size(), " ");
  return s;
}

}  // namespace

TEST_CASE("tokenizer.model: Llama 2 matches HF on the llama.cpp texts", "[model][tokenizer][spm]") {
  auto tok = load_tokenizer_file(th::test::shared_data("models/llama2-tokenizer/tokenizer.model"));
  REQUIRE(tok->vocab_size() == 32000);
  CHECK(tok->bos_id() == 1);
  CHECK(tok->eos_id() == 2);
  const auto dir = th::test::shared_data("tokenizers/llamacpp-tests");
  const auto cases = th::test::llamacpp_cases(dir / "tests.inp", dir / "llama-spm.out");
  REQUIRE(cases.size() == 46);
  for (const auto& c : cases) {
    INFO("text: [" << c.text << "]");
    const auto ids = tok->encode(c.text, false);
    CHECK(ids == c.ids);
    CHECK(tok->decode(ids) == c.text);
  }
}

TEST_CASE("tokenizer.model: Llama 2 matches spm_encode on hard cases", "[model][tokenizer][spm]") {
  auto tok = load_tokenizer_file(th::test::shared_data("models/llama2-tokenizer/tokenizer.model"));
  const auto texts = lines_of(th::test::test_data("tokenizers/llama2_cases.txt"));
  const auto expected = lines_of(th::test::test_data("tokenizers/llama2_cases.spm_ids"));
  REQUIRE(texts.size() == expected.size());
  REQUIRE(texts.size() >= 20);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("text: [" << texts[i] << "]");
    const auto ids = tok->encode(texts[i], false);
    CHECK(ids == ids_of(expected[i]));
    CHECK(tok->decode(ids) == spm_decoded(texts[i]));
    auto with = tok->encode(texts[i], true);  // HF's Llama adds BOS only
    REQUIRE(!with.empty());
    CHECK(with.front() == 1);
    CHECK(std::vector<int64_t>(with.begin() + 1, with.end()) == ids);
  }
}

TEST_CASE("tokenizer.model: pieces, bytes and special tokens", "[model][tokenizer][spm]") {
  auto tok = load_tokenizer_file(th::test::shared_data("models/llama2-tokenizer/tokenizer.model"));
  CHECK(tok->encode("", true) == std::vector<int64_t>{1});
  CHECK(tok->encode("", false).empty());
  CHECK(tok->piece(15043) == " Hello");
  CHECK(tok->piece(13) == "\n");  // <0x0A>
  CHECK(tok->piece(1) == "<s>");
  CHECK(tok->piece(-1).empty());
  CHECK(tok->piece(32000).empty());
  // "<s>" written in the text is the BOS token, as HF's Llama tokenizer reads it.
  const auto ids = tok->encode("Hello<s>world", false);
  REQUIRE(ids.size() >= 3);
  CHECK(std::count(ids.begin(), ids.end(), 1) == 1);
}

TEST_CASE("tokenizer.bin: Llama 2 vocabulary in llama2.c form matches spm_encode",
          "[model][tokenizer][llama2c]") {
  auto tok =
      load_tokenizer_file(th::test::shared_data("models/llama2-tokenizer/tokenizer.bin"), 32000);
  REQUIRE(tok->vocab_size() == 32000);
  const auto texts = lines_of(th::test::test_data("tokenizers/llama2_cases.txt"));
  const auto expected = lines_of(th::test::test_data("tokenizers/llama2_cases.spm_ids"));
  REQUIRE(texts.size() == expected.size());
  int compared = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    // sentencepiece reads a literal "▁" as a space; run.c knows no "▁" and falls back to bytes.
    if (texts[i].find(kSpaceMark) != std::string::npos) continue;
    INFO("text: [" << texts[i] << "]");
    const auto ids = tok->encode(texts[i], false);
    CHECK(ids == ids_of(expected[i]));
    CHECK(tok->decode(ids) == texts[i]);
    ++compared;
  }
  CHECK(compared == 21);
}

TEST_CASE("tokenizer.bin: tok512 (stories260K) matches run.c's encode loop",
          "[model][tokenizer][llama2c]") {
  auto tok = load_tokenizer_file(th::test::shared_data("models/stories260K/tok512.bin"), 512);
  REQUIRE(tok->vocab_size() == 512);
  CHECK(tok->bos_id() == 1);
  CHECK(tok->eos_id() == 2);
  const auto texts = lines_of(th::test::test_data("tokenizers/llama2_cases.txt"));
  const auto expected = lines_of(th::test::test_data("tokenizers/tok512_cases.ids"));
  REQUIRE(texts.size() == expected.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("text: [" << texts[i] << "]");
    const auto ids = tok->encode(texts[i], true);
    CHECK(ids == ids_of(expected[i]));
    CHECK(tok->decode(ids) == texts[i]);  // BOS's own text aside, lossless: bytes fall back
  }
  CHECK(tok->piece(3 + 'A') == "A");
}

TEST_CASE("tokenizer.bin: without a vocabulary size it reads to the end of the file",
          "[model][tokenizer][llama2c]") {
  auto tok = load_tokenizer_file(th::test::shared_data("models/stories260K/tok512.bin"));
  CHECK(tok->vocab_size() == 512);
  CHECK_THROWS_AS(load_tokenizer_file(th::test::shared_data("models/stories260K/tok512.bin"), 513),
                  th::InputError);
}
