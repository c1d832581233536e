// The committed models/pocket: a valid Hugging Face Gemma 3 folder whose README figures are
// reproduced here from the stored weights, and whose greedy output is English.
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/pocket_corpus.h"
#include "model/pocket_eval.h"
#include "model/pocket_export.h"
#include "model/pocket_spm.h"
#include "model/pocket_train.h"
#include "model/safetensors.h"
#include "model/tokenizer.h"
#include "support.h"

using namespace th::model;

namespace {

std::filesystem::path pocket_dir() {
  return th::test::source_dir() / "models/pocket";
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(ch))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

// The KJV, extracted once per test run.
const std::vector<Document>& kjv() {
  static const std::vector<Document> docs = extract_kjv(th::test::scratch("pocket-kjv"));
  return docs;
}

double readme_number(const std::string& readme, const std::string& row) {
  std::smatch m;
  const std::regex re("\\| " + row + " \\| ([0-9.]+) \\|");
  REQUIRE(std::regex_search(readme, m, re));
  return std::stod(m[1].str());
}

}  // namespace

TEST_CASE("the committed pocket model is a Gemma 3 Hugging Face folder", "[pocket][committed]") {
  const auto dir = pocket_dir();
  auto j = nlohmann::json::parse(slurp(dir / "config.json"));
  CHECK(j["model_type"] == "gemma3_text");
  CHECK(j["architectures"] == nlohmann::json::array({"Gemma3ForCausalLM"}));
  CHECK(j["hidden_activation"] == "gelu_pytorch_tanh");
  CHECK(j["rope_theta"] == 1e6);
  CHECK(j["rope_local_base_freq"] == 1e4);
  CHECK(j["torch_dtype"] == "bfloat16");
  CHECK(j["tie_word_embeddings"] == true);
  CHECK(j.contains("query_pre_attn_scalar"));
  CHECK(j.contains("sliding_window"));
  CHECK(j["layer_types"].size() == j["num_hidden_layers"]);

  auto cfg = load_config(dir / "config.json");
  CHECK(cfg.num_hidden_layers >= 8);
  CHECK(cfg.bos_token_id == kBosId);
  WeightStore ws = WeightStore::open_dir(dir);
  CHECK(ws.file_bytes() <= 10u * 1024 * 1024);
  PocketShape shape{.vocab_size = cfg.vocab_size,
                    .hidden_size = cfg.hidden_size,
                    .num_layers = cfg.num_hidden_layers};
  for (const auto& name : pocket_tensor_names(shape)) {
    INFO(name);
    const TensorView* t = ws.find(name);
    REQUIRE(t != nullptr);
    CHECK(t->dtype == DType::BF16);
  }
  CHECK(ws.all().size() == pocket_tensor_names(shape).size());
  CHECK(resolve_roles(cfg, ws).size() > 0);

  auto tok = nlohmann::json::parse(slurp(dir / "tokenizer_config.json"));
  CHECK(tok["add_bos_token"] == true);
  const auto readme = slurp(dir / "README.md");
  CHECK(readme.find("tensorhaus train-pocket") != std::string::npos);
  CHECK(readme.find("public domain") != std::string::npos);
}

TEST_CASE("the pocket model's validation loss matches its README", "[pocket][committed]") {
  const auto readme = slurp(pocket_dir() / "README.md");
  const double stated =
      readme_number(readme, "validation loss \\(all held-out rows, shipped BF16 weights\\)");
  const double measured =
      pocket_validation_loss(pocket_dir(), kjv(), th::test::scratch("pocket-val"));
  CHECK(measured == Approx(stated).margin(1e-3));
  // A trained model, far below the uniform ln(4096) ≈ 8.3.
  CHECK(measured < 4.5);
}

TEST_CASE("the pocket model continues 'And God said' in KJV English", "[pocket][committed]") {
  const std::string text =
      pocket_continue(pocket_dir(), kPocketPrompt, 64, th::test::scratch("pocket-greedy"));
  INFO(text);
  // The README sample was decoded from the same BF16 weights by the trainer.
  CHECK(slurp(pocket_dir() / "README.md").find(text) != std::string::npos);
  std::set<std::string> vocab;
  for (const auto& d : kjv())
    for (const auto& seg : d)
      for (auto& w : words(seg)) vocab.insert(w);
  auto ws = words(text);
  REQUIRE(ws.size() >= 10);
  std::size_t known = 0;
  for (const auto& w : ws) known += vocab.count(w);
  CHECK(static_cast<double>(known) >= 0.9 * static_cast<double>(ws.size()));
}

TEST_CASE("the engine's tokenizer reads the pocket tokenizer.model as spm_encode does",
          "[pocket][committed]") {
  auto tok = load_tokenizer(pocket_dir());
  REQUIRE(tok);
  CHECK(tok->bos_id() == kBosId);
  CHECK(tok->eos_id() == kEosId);
  const auto scratch = th::test::scratch("pocket-tok");
  const auto& chapter = kjv().at(19);  // a validation chapter: text the tokenizer never saw
  std::ofstream(scratch / "lines.txt") << chapter.front() << "\n" << chapter.back() << "\n";
  auto expected = encode_lines(pocket_dir() / "tokenizer.model", scratch / "lines.txt", scratch);
  REQUIRE(expected.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& line = i == 0 ? chapter.front() : chapter.back();
    INFO(line);
    std::vector<int64_t> want{kBosId};
    want.insert(want.end(), expected[i].begin(), expected[i].end());
    CHECK(tok->encode(line, true) == want);
  }
}
