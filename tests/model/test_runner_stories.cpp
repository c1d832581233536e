// The real pretrained stories260K Llama, converted to HF names, must reproduce the greedy text
// that llama2.c publishes for it (doc/stories260K.md, `run -t 0.0`), token for token.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "model/runner.h"
#include "support.h"

namespace {

// The text printed in llama2.c's doc/stories260K.md for `./run stories260K.bin -z tok512.bin -t
// 0.0`.
const char* const kPublished =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
    "One day, she "
    "saw a big, red ball. She wanted to play with it, but it was too high.\n"
    "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She "
    "said, \"I want "
    "to play with your ball, but I can't find it.\"\n"
    "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to "
    "do.\"\n"
    "Lily didn't want to help her mom, so she said, \"I'm sorry, mom. I didn't know what to do.\" "
    "Her mom said, "
    "\"Don't worry, Lily. We can help you.\n";

// llama2.c tokenizer .bin: int32 max_len, then per token: float32 score, int32 len, bytes.
std::vector<std::string> read_llama2c_vocab(const std::filesystem::path& p, int n) {
  std::ifstream in(p, std::ios::binary);
  int32_t max_len = 0;
  in.read(reinterpret_cast<char*>(&max_len), 4);
  std::vector<std::string> vocab;
  for (int i = 0; i < n; ++i) {
    float score;
    int32_t len;
    in.read(reinterpret_cast<char*>(&score), 4);
    in.read(reinterpret_cast<char*>(&len), 4);
    std::string s(static_cast<std::size_t>(len), '\0');
    in.read(s.data(), len);
    vocab.push_back(s);
  }
  REQUIRE(in.good());
  return vocab;
}

// run.c's decode: drop the leading space of the piece after BOS, "<0xAB>" pieces are raw bytes.
std::string decode(const std::vector<std::string>& vocab, const std::vector<int64_t>& ids,
                   int64_t prev) {
  std::string out;
  for (auto id : ids) {
    std::string piece = vocab[static_cast<std::size_t>(id)];
    if (prev == 1 && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    unsigned byte = 0;
    if (piece.size() == 6 && std::sscanf(piece.c_str(), "<0x%02X>", &byte) == 1)
      piece = std::string(1, static_cast<char>(byte));
    out += piece;
    prev = id;
  }
  return out;
}

}  // namespace

TEST_CASE("stories260K greedy generation reproduces the published llama2.c text",
          "[model][runner]") {
  const auto dir = th::test::shared_data("models/stories260K-hf");
  const auto tok = th::test::shared_data("models/stories260K/tok512.bin");
  auto runner = th::model::Runner::load(dir);
  CHECK(runner.lm_head_tied());
  CHECK(runner.arch().name == "llama");

  th::model::GenerateOptions opt;
  opt.max_new = 256;  // the published text is 256 tokens after BOS
  opt.stop_at_eos = false;
  const std::vector<int64_t> bos{1};
  auto ids = runner.generate(bos, opt);
  // run.c stops when the model emits BOS again; so does the comparison.
  std::vector<int64_t> shown;
  for (auto id : ids) {
    if (id == 1) break;
    shown.push_back(id);
  }
  const auto vocab = read_llama2c_vocab(tok, 512);
  const std::string text = decode(vocab, shown, 1) + "\n";  // run.c ends its output with a newline
  CHECK(text == kPublished);
  CHECK(shown.size() >= 200);
}

TEST_CASE("stories260K streamed generation equals one-shot forward argmax", "[model][runner]") {
  const auto dir = th::test::shared_data("models/stories260K-hf");
  auto runner = th::model::Runner::load(dir);
  th::model::GenerateOptions opt;
  opt.max_new = 12;
  opt.stop_at_eos = false;
  opt.capture = {true, true, true, false, true};
  std::vector<int64_t> seq{1};
  std::vector<th::model::GeneratedToken> steps;
  auto ids = runner.generate(seq, opt, [&](const th::model::GeneratedToken& g) {
    steps.push_back(g);
    return true;
  });
  REQUIRE(ids.size() == 12);
  seq.insert(seq.end(), ids.begin(), ids.end() - 1);
  // The cached, token-by-token pass and a full pass over the same sequence agree.
  th::model::CaptureRequest all;
  all.all_logits = true;
  auto full = runner.forward(seq, all);
  const auto& L = runner.config().num_hidden_layers;
  const int64_t T = static_cast<int64_t>(seq.size());
  REQUIRE(full.logits.shape == std::vector<int64_t>{T, 512});
  REQUIRE(full.hidden.shape == std::vector<int64_t>{L + 1, T, 64});
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto& g = steps[s];
    const int64_t t = static_cast<int64_t>(s);  // step s was produced at position s
    REQUIRE(g.capture.logits.shape == std::vector<int64_t>{1, 512});
    for (int64_t v = 0; v < 512; v += 37)
      CHECK(g.capture.logits.at({0, v}) == Approx(full.logits.at({t, v})).margin(1e-4));
    for (int64_t l = 0; l <= L; ++l)
      CHECK(g.capture.hidden.at({l, 0, 5}) == Approx(full.hidden.at({l, t, 5})).margin(1e-4));
    for (int64_t l = 0; l < L; ++l)
      for (int64_t h = 0; h < 8; ++h)
        CHECK(g.capture.attn_entropy.at({l, h, 0}) ==
              Approx(full.attn_entropy.at({l, h, t})).margin(1e-4));
  }
  // The first token attends only to itself: zero entropy.
  CHECK(full.attn_entropy.at({0, 0, 0}) == Approx(0.0).margin(1e-6));
}
