// train-pocket end to end on a tiny corpus: the written folder is a loadable Gemma 3 model and two
// runs with the same seed write byte-identical weights and tokenizers.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/architecture.h"
#include "model/hf_config.h"
#include "model/pocket_eval.h"
#include "model/pocket_export.h"
#include "model/pocket_train.h"
#include "model/safetensors.h"
#include "support.h"

using namespace th::model;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

PocketOptions tiny(const std::filesystem::path& dir, uint64_t seed) {
  PocketOptions o;
  o.corpus = th::test::test_data("pocket/tiny-corpus.txt");
  o.out = dir / "model";
  o.work = dir / "work";
  o.shape = {.vocab_size = 400,
             .hidden_size = 32,
             .num_layers = 2,
             .num_heads = 2,
             .num_kv_heads = 1,
             .head_dim = 16,
             .intermediate_size = 64,
             .sliding_window = 8,
             .sliding_window_pattern = 2,
             .context = 32};
  o.recipe.steps = 5;
  o.recipe.batch_rows = 4;
  o.recipe.warmup_steps = 2;
  o.recipe.seed = seed;
  o.recipe.eval_every = 2;
  o.recipe.checkpoint_every = 3;
  o.command = "tensorhaus train-pocket (test)";
  return o;
}

}  // namespace

TEST_CASE("train-pocket on a tiny corpus is deterministic and writes a Gemma 3 folder",
          "[pocket]") {
  auto a = th::test::scratch("pocket-train-a");
  auto b = th::test::scratch("pocket-train-b");
  auto c = th::test::scratch("pocket-train-c");
  PocketReport ra = train_pocket(tiny(a, 1));
  PocketReport rb = train_pocket(tiny(b, 1));
  PocketReport rc = train_pocket(tiny(c, 2));

  const auto wa = slurp(a / "model/model.safetensors");
  CHECK(wa.size() > 1000);
  CHECK(wa == slurp(b / "model/model.safetensors"));
  CHECK(wa != slurp(c / "model/model.safetensors"));
  CHECK(slurp(a / "model/tokenizer.model") == slurp(b / "model/tokenizer.model"));
  CHECK(ra.validation_loss == rb.validation_loss);
  CHECK(ra.steps_done == 5);
  // Five steps from a uniform start: the loss is near ln(400) ≈ 5.99, and finite.
  CHECK(ra.validation_loss > 4.0);
  CHECK(ra.validation_loss < 6.5);
  CHECK(ra.validation_curve.size() == 2);
  CHECK(ra.parameters ==
        400 * 32 + 2 * (4 * 32 + 2 * 16 + 2 * 32 * 32 + 2 * 16 * 32 + 3 * 64 * 32) + 32);

  auto cfg = load_config(a / "model/config.json");
  CHECK(cfg.num_hidden_layers == 2);
  WeightStore ws = WeightStore::open_dir(a / "model");
  for (const auto& name : pocket_tensor_names(tiny(a, 1).shape)) {
    INFO(name);
    const TensorView* t = ws.find(name);
    REQUIRE(t != nullptr);
    CHECK(t->dtype == DType::BF16);
  }
  CHECK(ws.all().size() == pocket_tensor_names(tiny(a, 1).shape).size());
  CHECK_NOTHROW(resolve_roles(cfg, ws));
  auto tok = nlohmann::json::parse(slurp(a / "model/tokenizer_config.json"));
  CHECK(tok["add_bos_token"] == true);
  CHECK(slurp(a / "model/README.md").find("tensorhaus train-pocket (test)") != std::string::npos);

  // The folder, reloaded through the inference loaders, gives the loss the trainer reported.
  auto docs = read_corpus(th::test::test_data("pocket/tiny-corpus.txt"));
  CHECK(pocket_validation_loss(a / "model", docs, a / "eval") ==
        Approx(ra.validation_loss).epsilon(1e-5));
}
