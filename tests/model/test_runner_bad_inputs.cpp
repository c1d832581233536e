// Bad model folders (tests/data/model/bad/<case>/, made by make_bad_models.py): the library
// throws th::InputError with the expected message, and `tensorhaus activations` exits 2 and
// prints it.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "model/hf_config.h"
#include "model/runner.h"
#include "model/safetensors.h"
#include "support.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Run {
  int exit_code;
  std::string output;
};

Run run(const std::string& cmd) {
  Run r{-1, ""};
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  const int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const char* const kCases[] = {
    "missing_tensor",        "wrong_shape",          "unknown_dtype",    "integer_weights",
    "truncated_file",        "overlapping_offsets",  "malformed_header", "malformed_config_field",
    "malformed_config_json", "unknown_architecture", "bad_rope_scaling"};

}  // namespace

TEST_CASE("every bad model folder is refused with its message", "[model][runner][bad]") {
  for (const char* name : kCases) {
    const auto dir = th::test::test_data(std::string("model/bad/") + name);
    std::string expected = slurp(dir / "expected.txt");
    REQUIRE(!expected.empty());
    INFO("case " << name << ", expected: " << expected);
    std::string message;
    try {
      th::model::Runner::load(dir);
    } catch (const th::InputError& e) {
      message = e.what();
    }
    CHECK(message.find(expected) != std::string::npos);
    CHECK(message.find(dir.string()) != std::string::npos);  // names the file or folder

    const auto out = th::test::scratch(std::string("bad-") + name) / "acts.safetensors";
    auto r = run(th::test::tensorhaus_bin().string() + " activations --model '" + dir.string() +
                 "' --tokens 1,2 --out '" + out.string() + "'");
    INFO("output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(expected) != std::string::npos);
    CHECK(!std::filesystem::exists(out));
  }
}

TEST_CASE("activations writes the capture of a model and rejects bad arguments",
          "[model][runner][cli]") {
  const auto model = th::test::test_data("model/phi3-tiny");
  const auto out = th::test::scratch("acts-phi3") / "acts.safetensors";
  auto r = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
               "' --tokens 1,9,44,3 --out '" + out.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto f = th::model::SafetensorsFile::open(out);
  const auto check = [&](const char* name, th::model::DType dt, std::vector<int64_t> shape) {
    const auto* t = f->find(name);
    REQUIRE(t != nullptr);
    CHECK(t->dtype == dt);
    CHECK(t->shape == shape);
  };
  check("tokens", th::model::DType::I64, {4});
  check("hidden", th::model::DType::F32, {3, 4, 32});
  check("attn_entropy", th::model::DType::F32, {2, 4, 4});
  check("mlp_sparsity", th::model::DType::F32, {2, 4});
  check("logits", th::model::DType::F32, {4, 64});  // every token's by default
  // The same numbers as the library's forward pass.
  auto runner = th::model::Runner::load(model);
  const std::vector<int64_t> ids{1, 9, 44, 3};
  th::model::CaptureRequest all;
  all.all_logits = true;
  auto cap = runner.forward(ids, all);
  REQUIRE(cap.logits.shape == std::vector<int64_t>{4, 64});
  CHECK(th::model::to_float(*f->find("logits")) == cap.logits.data);
  // --all-logits names the default; --last-logits keeps the last token's row only.
  const auto logits_with = [&](const std::string& flag) {
    const auto path = th::test::scratch("acts-phi3") / ("acts" + flag + ".safetensors");
    auto rr = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
                  "' --tokens 1,9,44,3 " + flag + " --out '" + path.string() + "'");
    INFO(rr.output);
    REQUIRE(rr.exit_code == 0);
    auto file = th::model::SafetensorsFile::open(path);
    REQUIRE(file->find("logits") != nullptr);
    return std::make_pair(file->find("logits")->shape, th::model::to_float(*file->find("logits")));
  };
  CHECK(logits_with("--all-logits").second == cap.logits.data);
  const auto [last_shape, file_last] = logits_with("--last-logits");
  CHECK(last_shape == std::vector<int64_t>{1, 64});
  CHECK(file_last == runner.forward(ids).logits.data);
  // A one-row product may round differently from the T-row one (BLAS picks another kernel).
  for (std::size_t v = 0; v < 64; ++v)
    CHECK(file_last[v] == Approx(cap.logits.data[3 * 64 + v]).epsilon(1e-5).margin(1e-6));
  auto both = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
                  "' --tokens 1,9 --all-logits --last-logits --out '" + out.string() + "'");
  CHECK(both.exit_code != 0);

  auto bad = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
                 "' --tokens 1,x --out '" + out.string() + "'");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("--tokens") != std::string::npos);
  auto oov = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
                 "' --tokens 1,64 --out '" + out.string() + "'");
  CHECK(oov.exit_code == 2);
  CHECK(oov.output.find("expected ids in [0, 64), found 64") != std::string::npos);
  auto text = run(th::test::tensorhaus_bin().string() + " activations --model '" + model.string() +
                  "' --prompt hi --out '" + out.string() + "'");
  CHECK(text.exit_code == 2);
  CHECK(text.output.find("no tokenizer") != std::string::npos);
}

TEST_CASE("logits_columns: any slices of the vocabulary equal forward()'s every-token logits",
          "[model][runner]") {
  // Gemma 3 tiny soft-caps its final logits; both compute dtypes; uneven slices.
  for (const auto dtype : {th::model::ComputeDType::Float32, th::model::ComputeDType::BFloat16}) {
    const auto runner = th::model::Runner::load(th::test::test_data("model/gemma3-tiny"), dtype);
    const std::vector<int64_t> ids{1, 9, 44, 3, 17, 5, 60};
    th::model::CaptureRequest all;
    all.all_logits = true;
    const auto cap = runner.forward(ids, all);
    const int64_t L1 = cap.hidden.shape[0], T = cap.hidden.shape[1], D = cap.hidden.shape[2];
    const int64_t V = runner.config().vocab_size;
    const std::span<const float> final_hidden(cap.hidden.data.data() + (L1 - 1) * T * D,
                                              static_cast<std::size_t>(T * D));
    std::vector<float> got(static_cast<std::size_t>(T * V));
    for (const auto& [v0, v1] : {std::pair<int64_t, int64_t>{0, 10}, {10, 37}, {37, V}}) {
      std::vector<float> block(static_cast<std::size_t>(T * (v1 - v0)));
      runner.logits_columns(final_hidden, v0, v1, block);
      for (int64_t t = 0; t < T; ++t)
        std::copy_n(block.begin() + t * (v1 - v0), v1 - v0, got.begin() + t * V + v0);
    }
    INFO("dtype " << static_cast<int>(dtype));
    CHECK(th::test::max_diff(got, cap.logits.data, true) <= 1e-6);
    std::vector<float> one(static_cast<std::size_t>(T));
    CHECK_THROWS_WITH(runner.logits_columns(final_hidden, 60, 65, one),
                      Catch::Contains("gemma3-tiny: logits_columns: columns: expected a range "
                                      "within [0, 64) (vocab_size), found [60, 65)"));
  }
}

TEST_CASE("generate prints greedy ids that match the library; seeded sampling is reproducible",
          "[model][runner][cli]") {
  const auto model = th::test::test_data("model/gemma3-tiny");
  const std::string base = th::test::tensorhaus_bin().string() + " generate --model '" +
                           model.string() + "' --tokens 2,17,5 --max-new 6 --ids";
  auto greedy = run(base + " --greedy");
  REQUIRE(greedy.exit_code == 0);
  auto runner = th::model::Runner::load(model);
  th::model::GenerateOptions opt;
  opt.max_new = 6;
  const std::vector<int64_t> prompt{2, 17, 5};
  auto ids = runner.generate(prompt, opt);
  std::string want;
  for (auto id : ids) want += (want.empty() ? "" : " ") + std::to_string(id);
  CHECK(greedy.output == want + "\n");

  auto s1 = run(base + " --temperature 1.5 --top-p 0.9 --seed 7");
  auto s2 = run(base + " --temperature 1.5 --top-p 0.9 --seed 7");
  REQUIRE(s1.exit_code == 0);
  CHECK(s1.output == s2.output);
}

TEST_CASE("sampler: greedy takes the first maximum; top-p keeps the nucleus", "[model][runner]") {
  const std::vector<float> logits{1.0f, 3.0f, 3.0f, 0.0f};
  CHECK(th::model::sample_token(logits, {}, 0.99) == 1);
  // Probabilities at T=1: e^1, e^3, e^3, e^0 over their sum ≈ 0.062, 0.458, 0.458, 0.023.
  // top_p 0.9 keeps ids 1, 2 (mass 0.915): u just below 1/2 of the kept mass → id 1, above → id 2.
  th::model::SamplerSettings s{false, 1.0, 0.9};
  CHECK(th::model::sample_token(logits, s, 0.49) == 1);
  CHECK(th::model::sample_token(logits, s, 0.51) == 2);
  CHECK(th::model::sample_token(logits, s, 0.999) == 2);
  th::model::SamplerSettings all{false, 1.0, 1.0};
  CHECK(th::model::sample_token(logits, all, 0.999) == 3);
  CHECK(th::model::sample_token(logits, all, 0.0) == 1);
  // splitmix uniforms: deterministic, in [0, 1), different per step.
  CHECK(th::model::splitmix_uniform(7, 0) == th::model::splitmix_uniform(7, 0));
  CHECK(th::model::splitmix_uniform(7, 0) != th::model::splitmix_uniform(7, 1));
  CHECK(th::model::splitmix_uniform(7, 3) < 1.0);
}

TEST_CASE("config: multimodal Gemma 3 unwraps text_config; layer pattern and defaults",
          "[model][config]") {
  const auto c = th::model::parse_config(R"({"model_type": "gemma3", "tie_word_embeddings": true,
      "text_config": {"model_type": "gemma3_text", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 7,
      "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 10, "sliding_window": 4,
      "sliding_window_pattern": 3, "rope_scaling": {"rope_type": "linear", "factor": 8.0}}})",
                                         "cfg.json");
  CHECK(c.model_type == "gemma3_text");
  CHECK(c.hidden_size == 16);
  CHECK(c.tie_word_embeddings);
  CHECK(c.is_sliding == std::vector<bool>{true, true, false, true, true, false, true});
  CHECK(c.rope_scaling.type == th::model::RopeScalingType::Linear);
  CHECK(c.rope_scaling.factor == 8.0);
  const auto l = th::model::parse_config(
      R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 172,
      "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 512, "eos_token_id": [2, 7]})",
      "l.json");
  CHECK(l.num_key_value_heads == 8);
  CHECK(l.head_dim == 8);
  CHECK(l.eos_token_ids == std::vector<int64_t>{2, 7});
  CHECK(l.is_sliding == std::vector<bool>{false, false});
  CHECK_THROWS_AS(
      th::model::parse_config(R"({"model_type": "llama", "hidden_size": 64})", "x.json"),
      th::InputError);
  CHECK_THROWS_WITH(
      th::model::parse_config(R"({"model_type": "llama", "hidden_size": 64})", "x.json"),
      Catch::Contains("x.json: intermediate_size: expected an integer, found nothing"));
}
