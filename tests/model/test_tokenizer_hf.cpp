// tokenizer.json against the ids Hugging Face gave on llama.cpp's 46 tokenizer test texts.
#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "model/tokenizer.h"
#include "support.h"
#include "tokenizer_cases.h"

using th::model::load_tokenizer;

namespace {

void check_all_cases(const std::string& folder, const std::string& out_name, bool lossless) {
  auto tok = load_tokenizer(th::test::shared_data("tokenizers/" + folder));
  REQUIRE(tok);
  const auto dir = th::test::shared_data("tokenizers/llamacpp-tests");
  const auto cases = th::test::llamacpp_cases(dir / "tests.inp", dir / out_name);
  REQUIRE(cases.size() == 46);
  int matched = 0;
  for (const auto& c : cases) {
    INFO(folder << " text: [" << c.text << "]");
    const auto ids = tok->encode(c.text, false);
    CHECK(ids == c.ids);
    matched += ids == c.ids;
    for (int64_t id : ids) CHECK((id >= 0 && id < tok->vocab_size()));
    if (lossless) CHECK(tok->decode(ids) == c.text);
  }
  CHECK(matched == 46);
}

}  // namespace

TEST_CASE("tokenizer.json: GPT-2 matches HF on the llama.cpp texts", "[model][tokenizer]") {
  check_all_cases("gpt2", "gpt-2.out", true);
}

TEST_CASE("tokenizer.json: Phi-2 (added whitespace tokens) matches HF", "[model][tokenizer]") {
  check_all_cases("phi-2", "phi-2.out", true);
}

TEST_CASE("tokenizer.json: Phi-3 (SentencePiece-style, byte fallback) matches HF",
          "[model][tokenizer]") {
  check_all_cases("phi-3-mini", "phi-3.out", true);
}

TEST_CASE("tokenizer.json: SmolLM (Digits + ByteLevel) matches HF", "[model][tokenizer]") {
  check_all_cases("smollm-135m", "smollm.out", true);
}

TEST_CASE("tokenizer.json: Llama 3 (Split regex, ignore_merges) matches HF", "[model][tokenizer]") {
  check_all_cases("llama3.2-derived", "llama-bpe.out", true);
}

TEST_CASE("tokenizer.json: special tokens in text, add_special, pieces", "[model][tokenizer]") {
  auto gpt2 = load_tokenizer(th::test::shared_data("tokenizers/gpt2"));
  CHECK(gpt2->encode("Hello world", false) == std::vector<int64_t>{15496, 995});
  CHECK(gpt2->encode("Hello world", true) ==
        std::vector<int64_t>{15496, 995});  // ByteLevel post-processor adds nothing
  CHECK(gpt2->encode("a<|endoftext|>b", false) == std::vector<int64_t>{64, 50256, 65});
  CHECK(gpt2->vocab_size() == 50257);
  CHECK(gpt2->piece(995) == " world");
  CHECK(gpt2->decode(std::vector<int64_t>{15496, 50256, 995}) == "Hello<|endoftext|> world");
  CHECK(gpt2->eos_id() == 50256);

  auto llama3 = load_tokenizer(th::test::shared_data("tokenizers/llama3.2-derived"));
  CHECK(llama3->encode("hello world", true) == std::vector<int64_t>{128000, 15339, 1917});
  CHECK(llama3->bos_id() == 128000);
  CHECK(llama3->eos_id() == 128001);
  CHECK(llama3->vocab_size() == 128256);

  auto smol = load_tokenizer(th::test::shared_data("tokenizers/smollm-135m"));
  CHECK(smol->encode("Hello world", true) ==
        std::vector<int64_t>{19556, 905});  // no post-processor
  CHECK(smol->encode("<|im_start|>user", false).front() == 1);

  // Phi-3: "</s>" has rstrip (the spaces after it vanish); the config says add_bos_token false.
  auto phi3 = load_tokenizer(th::test::shared_data("tokenizers/phi-3-mini"));
  auto a = phi3->encode("Hi", false), b = phi3->encode("there", false);
  auto joined = a;
  joined.push_back(2);
  joined.insert(joined.end(), b.begin(), b.end());
  CHECK(phi3->encode("Hi</s>   there", false) == joined);
  CHECK(phi3->encode("Hi", true) == a);
  CHECK(phi3->bos_id() == 1);
  CHECK(phi3->eos_id() == 32000);  // tokenizer_config.json: <|endoftext|>
  CHECK(phi3->piece(13) == "\n");
  CHECK(phi3->decode(phi3->encode("\xF0\x9F\xA6\x99 byte fallback", false)) ==
        "\xF0\x9F\xA6\x99 byte fallback");
}

TEST_CASE("tokenizer.json: added-token lstrip, rstrip and single_word as HF applies them",
          "[model][tokenizer]") {
  const auto dir = th::test::scratch("tok_added");
  {
    std::ofstream f(dir / "tokenizer.json");
    f << R"({"added_tokens": [
      {"id": 5, "content": "<x>", "lstrip": true, "rstrip": false, "single_word": false, "normalized": false, "special": true},
      {"id": 6, "content": "cab", "lstrip": false, "rstrip": false, "single_word": true, "normalized": false, "special": false},
      {"id": 7, "content": "<y>", "lstrip": false, "rstrip": true, "single_word": false, "normalized": false, "special": true}],
     "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
     "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, " ": 3, "c": 4}, "merges": [["a", "b"]]}})";
  }
  auto tok = th::model::load_tokenizer_file(dir / "tokenizer.json");
  CHECK(tok->encode("a <x>b", false) == std::vector<int64_t>{0, 5, 1});
  CHECK(tok->encode("ab <y>  ab", false) == std::vector<int64_t>{2, 3, 7, 2});
  CHECK(tok->encode("cab", false) == std::vector<int64_t>{6});
  CHECK(tok->encode("a cab", false) == std::vector<int64_t>{0, 3, 6});
  CHECK(tok->encode("acab", false) ==
        std::vector<int64_t>{0, 4, 2});                         // inside a word: not the token
  CHECK(tok->encode("zab", false) == std::vector<int64_t>{2});  // no unk token: dropped, as HF
  CHECK(tok->vocab_size() == 8);
}

TEST_CASE("tokenizer.json: broken files name the file and field", "[model][tokenizer]") {
  const auto dir = th::test::scratch("tok_broken");
  auto write = [&](const std::string& body) {
    std::ofstream f(dir / "tokenizer.json");
    f << body;
  };
  auto message = [&]() -> std::string {
    try {
      th::model::load_tokenizer(dir);
    } catch (const th::InputError& e) {
      return e.what();
    }
    return "no error";
  };
  write(R"({"model": {"type": "WordPiece", "vocab": {}}})");
  CHECK_THAT(message(), Catch::Contains("tokenizer.json") && Catch::Contains("model.type") &&
                            Catch::Contains("WordPiece"));
  write(
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Bogus"}})");
  CHECK_THAT(message(), Catch::Contains("pre_tokenizer.type") && Catch::Contains("Bogus"));
  write(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
            "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}})");
  CHECK_THAT(message(), Catch::Contains("pre_tokenizer.pattern.Regex"));
  write(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
            "decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": -1, "stop": 0}]}})");
  CHECK_THAT(message(), Catch::Contains("decoder.decoders[1]"));
  write(R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})");
  CHECK_THAT(message(), Catch::Contains("model.vocab"));
  std::filesystem::remove(dir / "tokenizer.json");
  CHECK(th::model::load_tokenizer(dir) == nullptr);
}
