// Activation features, the refusal direction and abliteration on the real stories260K Llama,
// against tests/analysis/make_golden_activations.py (a float64 torch forward pass and numpy
// formulas, independent of the engine; → tests/data/analysis/activations_stories260k.json).
// Tolerances: the engine runs in float32, the reference in float64; hidden values are O(1), so
// 1e-4 absolute (norms: 1e-4 relative) leaves room for round-off and none for a wrong formula.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/abliterate.h"
#include "analysis/activation_features.h"
#include "analysis/dataset_features.h"
#include "analysis/prompt_set.h"
#include "analysis/refusal.h"
#include "core/error.h"
#include "support.h"

using namespace th::analysis;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const json& golden() {
  static const json g = [] {
    std::ifstream in(th::test::test_data("analysis/activations_stories260k.json"));
    return json::parse(in);
  }();
  return g;
}

// stories260K-hf with its llama2.c tokenizer beside it, so prompts are text.
fs::path stories_with_tokenizer() {
  static const fs::path dir = [] {
    const auto src = th::test::shared_data("models/stories260K-hf");
    const auto tok = th::test::shared_data("models/stories260K/tok512.bin");
    const auto d = th::test::scratch("stories260k-tok");
    fs::create_symlink(src / "config.json", d / "config.json");
    fs::create_symlink(src / "model.safetensors", d / "model.safetensors");
    fs::create_symlink(tok, d / "tokenizer.bin");
    return d;
  }();
  return dir;
}

const th::model::Runner& runner() {
  static const auto r = th::model::Runner::load(stories_with_tokenizer());
  return r;
}

std::vector<double> flat(const json& j) {
  std::vector<double> out;
  if (j.is_array())
    for (const auto& v : j) {
      auto sub = flat(v);
      out.insert(out.end(), sub.begin(), sub.end());
    }
  else
    out.push_back(j.get<double>());
  return out;
}

void check_close(const std::string& what, const std::vector<float>& got, const json& want,
                 double abs_tol, double rel_tol = 0) {
  INFO(what);
  const auto w = flat(want);
  REQUIRE(got.size() == w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    INFO("index " << i);
    CHECK(got[i] == Approx(w[i]).margin(abs_tol).epsilon(rel_tol));
  }
}

// Squared share of r̂ left, after/before. F32 weights keep it at round-off (seen: < 1e-13); BF16
// weights are rounded after the edit (seen: < 1e-6). Ignoring the sandwich norms' 1 + w leaves
// about 1e-3 on the pocket model, so the bound tells the two apart.
double tolerance_for(const th::model::Runner& r) {
  return r.config().torch_dtype == "bfloat16" ? 1e-5 : 1e-10;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("activation features of a real prompt match the float64 reference",
          "[analysis][activations][golden]") {
  const auto& g = golden();
  const auto pairs = seed_refusal_pairs(th::test::source_dir());
  const auto ids = encode_prompt(runner(), pairs.first.prompts[0]);
  REQUIRE(ids == g["tokens"][0].get<std::vector<int64_t>>());
  const auto cap = runner().forward(ids);
  FeatureStore::Builder b;
  add_activation_features(cap, ids, {}, b);
  const auto store = std::move(b).build();
  const auto& want = g["prompt0"];
  check_close("hidden_norms", store.get("prompt.hidden_norms").data, want["hidden_norms"], 1e-4,
              1e-5);
  check_close("hidden_sparsity", store.get("prompt.hidden_sparsity").data, want["hidden_sparsity"],
              1e-9);
  check_close("block_norms", store.get("prompt.block_norms").data, want["block_norms"], 1e-4, 1e-5);
  check_close("singular_values", store.get("prompt.singular_values").data, want["singular_values"],
              1e-4, 1e-5);
  check_close("pca_angle", store.get("prompt.pca_angle").data, want["pca_angle"], 1e-3);
  check_close("attn_entropy", store.get("prompt.attn_entropy").data, want["attn_entropy"], 1e-4);
  check_close("attn_entropy_heads", store.get("prompt.attn_entropy_heads").data,
              want["attn_entropy_heads"], 1e-4);
  const auto norms = store.get("prompt.hidden_norms");
  CHECK(norms.shape == std::vector<int64_t>{6, static_cast<int64_t>(ids.size())});
  CHECK(store.get("prompt.tokens").data.size() == ids.size());
}

TEST_CASE("masked mean pooling matches numpy, empty masks give zeros", "[analysis][activations]") {
  const auto& g = golden();
  const auto x = flat(g["pool_x"]), m = flat(g["pool_mask"]);
  const std::vector<float> xf(x.begin(), x.end()), mf(m.begin(), m.end());
  check_close("pool", masked_mean_pool(xf, mf, 3, 4, 5), g["pool_out"], 1e-6);
  CHECK_THROWS_AS(masked_mean_pool(xf, mf, 3, 4, 4), std::invalid_argument);
}

TEST_CASE("refusal direction on the seed's pairs matches the reference and is stable",
          "[analysis][refusal][golden]") {
  const auto& g = golden();
  const auto [harmful, harmless] = seed_refusal_pairs(th::test::source_dir());
  REQUIRE(harmful.prompts.size() == 10);
  RefusalOptions opt;
  const auto a = refusal_direction(runner(), harmful, harmless, opt);
  CHECK(a.layer_lo == g["layers"][0].get<int>());
  CHECK(a.layer_hi == g["layers"][1].get<int>());
  CHECK(a.rows == g["refusal_pca_rows"].get<int64_t>());
  CHECK(a.explained_variance_ratio ==
        Approx(g["refusal_pca_explained_variance_ratio"].get<double>()).epsilon(1e-4));
  check_close("r_hat pca", a.direction, g["refusal_pca"], 1e-4);
  CHECK(a.separation > 0);

  // Same model, prompts and options → the same r̂ to 1e-5, also through a file round trip.
  const auto b = refusal_direction(runner(), harmful, harmless, opt);
  const auto path = th::test::scratch("refusal") / "r.safetensors";
  save_direction(path, b);
  const auto c = load_direction(path, 64);
  for (std::size_t i = 0; i < a.direction.size(); ++i) {
    CHECK(std::abs(a.direction[i] - b.direction[i]) <= 1e-5);
    CHECK(c.direction[i] == b.direction[i]);
  }
  CHECK(c.layer_lo == a.layer_lo);
  CHECK(c.provenance.at("method") == "pca");
  CHECK(c.provenance.at("harmful").find("refusal_pairs.json") != std::string::npos);

  opt.method = RefusalMethod::DiffMeans;
  const auto d = refusal_direction(runner(), harmful, harmless, opt);
  check_close("r_hat diff-means", d.direction, g["refusal_diff_means"], 1e-4);
  CHECK(d.rows == 20);
}

// Direction from the first 7 seed pairs; the last 3 harmful prompts are held out. hidden[0..L−1]
// are sums of edited writes only, so their component along r̂ must vanish. hidden[L] passes the
// final RMSNorm's per-channel scale, which re-mixes directions, so it is not checked.
static void check_abliteration(const fs::path& model_dir, const std::string& name) {
  const auto [harmful, harmless] = seed_refusal_pairs(th::test::source_dir());
  PromptSet train_h = harmful, train_l = harmless;
  train_h.prompts.resize(7);
  train_l.prompts.resize(7);
  const auto original = th::model::Runner::load(model_dir);
  const int L = static_cast<int>(original.config().num_hidden_layers);
  RefusalOptions opt;
  opt.layer_lo = 1;
  const auto r = refusal_direction(original, train_h, train_l, opt);
  const auto dir = th::test::scratch("abliterate-" + name);
  save_direction(dir / "r.safetensors", r);
  const auto report = abliterate(model_dir, dir / "r.safetensors", dir / "model");
  CHECK(report.edited.size() == static_cast<std::size_t>(1 + 2 * L));  // embed, o ×L, down ×L
  const auto edited = th::model::Runner::load(dir / "model");
  REQUIRE(edited.tokenizer() != nullptr);

  for (std::size_t i = 7; i < 10; ++i) {
    const auto ids = encode_prompt(original, harmful.prompts[i]);
    const auto pb = direction_projection(original.forward(ids).hidden, r.direction);
    const auto pa = direction_projection(edited.forward(ids).hidden, r.direction);
    const int64_t T = static_cast<int64_t>(ids.size());
    for (int64_t l = 0; l < L; ++l) {
      double b2 = 0, a2 = 0;
      for (int64_t t = 0; t < T; ++t) {
        b2 += pb[static_cast<std::size_t>(l * T + t)] * pb[static_cast<std::size_t>(l * T + t)];
        a2 += pa[static_cast<std::size_t>(l * T + t)] * pa[static_cast<std::size_t>(l * T + t)];
      }
      INFO(name << " prompt " << i << " layer " << l << " before " << b2 << " after " << a2);
      CHECK(b2 > 1e-6);
      CHECK(a2 < tolerance_for(original) * b2);
    }
  }
  // The original folder is untouched and a second abliteration into the same folder is refused.
  CHECK_THROWS_AS(abliterate(model_dir, dir / "r.safetensors", dir / "model"), th::InputError);
  CHECK(dot(r.direction, r.direction) == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("abliteration removes r̂ from every layer's residual on held-out prompts",
          "[analysis][abliterate]") {
  // stories260K: Llama, F32, plain residual writes.
  check_abliteration(stories_with_tokenizer(), "stories260k");
  // pocket: Gemma 3, BF16, writes through sandwich norms (1 + w) — the u = (1 + w)⊙r̂ path.
  check_abliteration(th::test::source_dir() / "models/pocket", "pocket");
}

TEST_CASE("prompt files: every format, and clear errors", "[analysis][prompts]") {
  const auto d = th::test::scratch("prompt-files");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(d / name) << text;
    return d / name;
  };
  CHECK(load_prompts(write("a.jsonl", "{\"instruction\": \"one\"}\n\n\"two\"\n")).prompts.size() ==
        2);
  const auto csv = load_prompts(
      write("b.csv", "goal,target\n\"Say \"\"hi\"\", then, go\",x\r\nsecond,\"multi\nline\"\n"),
      "goal");
  REQUIRE(csv.prompts.size() == 2);
  CHECK(csv.prompts[0].text == "Say \"hi\", then, go");
  CHECK(csv.prompts[1].origin == (d / "b.csv").string() + ":3");
  const auto js = load_prompts(write("c.json", "[{\"text\": \"x\", \"instruction\": \"y\"}]"));
  CHECK(js.prompts[0].text == "y");
  CHECK(load_prompts(write("d.txt", "first\n\n  \nsecond\r\n")).prompts.size() == 2);

  auto message = [](auto&& f) {
    try {
      f();
    } catch (const th::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message([&] { load_prompts(write("e.txt", "\n \n")); }),
             Catch::Contains("e.txt") && Catch::Contains("no prompts"));
  CHECK_THAT(message([&] { load_prompts(write("f.json", "[{\"prompt\": \"x\"}]")); }),
             Catch::Contains("f.json[0]") && Catch::Contains("no field \"instruction\"") &&
                 Catch::Contains("prompt"));
  CHECK_THAT(message([&] { load_prompts(write("g.csv", "a,b\n1,2\n"), "goal"); }),
             Catch::Contains("no column \"goal\"") && Catch::Contains("a, b"));
  CHECK_THAT(message([&] { load_prompts(write("h.jsonl", "{\"instruction\": 3}\n")); }),
             Catch::Contains("h.jsonl:1") && Catch::Contains("expected text"));
  CHECK_THAT(message([&] { load_prompts(d / "missing.txt"); }), Catch::Contains("missing.txt"));

  // A prompt longer than the model's context (512 tokens) names its file and line.
  std::string lng;
  for (int i = 0; i < 700; ++i) lng += "the cat sat. ";
  const auto long_set = load_prompts(write("long.txt", "short one\n" + lng + "\n"));
  CHECK_THAT(message([&] { dataset_features(runner(), long_set); }),
             Catch::Contains("long.txt:2") && Catch::Contains("context"));
}

TEST_CASE("dataset features: one row per prompt, pooled equals the prompt's own mean",
          "[analysis][activations]") {
  const auto set =
      load_prompts(th::test::shared_data("prompts/refusal_direction/raw/malicious_instruct.txt"));
  PromptSet few = set;
  few.prompts.resize(4);
  std::size_t calls = 0;
  const auto store = dataset_features(runner(), few, [&](std::size_t done, std::size_t total) {
    CHECK(done == ++calls);
    CHECK(total == 4);
  });
  CHECK(calls == 4);
  const auto pooled = store.get("dataset.pooled");
  REQUIRE(pooled.shape == std::vector<int64_t>{4, 6, 64});
  const auto ids = encode_prompt(runner(), few.prompts[2]);
  const auto cap = runner().forward(ids);
  const int64_t T = static_cast<int64_t>(ids.size());
  for (int64_t l = 0; l < 6; ++l)
    for (int64_t k = 0; k < 64; ++k) {
      double s = 0;
      for (int64_t t = 0; t < T; ++t)
        s += cap.hidden.data[static_cast<std::size_t>((l * T + t) * 64 + k)];
      CHECK(pooled.data[static_cast<std::size_t>((2 * 6 + l) * 64 + k)] ==
            Approx(s / T).margin(1e-6));
    }
  CHECK(store.get("dataset.tokens").data[2] == static_cast<float>(T));
}
