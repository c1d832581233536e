// The fused float32 kernels (engine/model/torch/attention_kernel.h: attention over only the keys
// each block of query rows may see; mlp_kernel.h: the gated activation and the sparsity capture
// as single loops) against torch's operations (TH_FUSED_KERNELS=0: dense scores and a mask,
// gelu/silu then a product, the sparsity as a chain of reductions): hidden states, attention
// entropy, MLP activations and sparsity and every position's logits, on tiny models of every
// architecture with prompts past their sliding windows, a Gemma 3 with attention-logit
// soft-capping, the pocket model past its window, and cached generation steps through the
// general forward. The two differ in summation order and in how GELU's tanh is evaluated.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/runner.h"
#include "support.h"

namespace {

using th::model::ComputeDType;
using th::model::ForwardCapture;
using th::model::Runner;

using th::test::max_diff;
using th::test::ScopedEnv;

std::vector<int64_t> prompt_ids(int64_t n, int64_t vocab) {
  return th::test::spread_ids(n, vocab, 3);
}

ForwardCapture forward(const Runner& r, const std::vector<int64_t>& tokens) {
  th::model::CaptureRequest all;
  all.all_logits = true;
  all.mlp_act = true;
  return r.forward(tokens, all);
}

// Fused and general passes over `tokens` agree; returns the fused capture.
ForwardCapture check_same(const std::string& name, const Runner& r,
                          const std::vector<int64_t>& tokens) {
  const ForwardCapture fused = forward(r, tokens);
  ForwardCapture general;
  {
    ScopedEnv off("TH_FUSED_KERNELS", "0");
    general = forward(r, tokens);
  }
  const double eh = max_diff(fused.hidden.data, general.hidden.data, true),
               el = max_diff(fused.logits.data, general.logits.data, true),
               ee = max_diff(fused.attn_entropy.data, general.attn_entropy.data, false),
               ea = max_diff(fused.mlp_act.data, general.mlp_act.data, true),
               es = max_diff(fused.mlp_sparsity.data, general.mlp_sparsity.data, false);
  INFO(name << " T=" << tokens.size() << ": hidden rel " << eh << ", logits rel " << el
            << ", entropy abs " << ee << ", mlp act rel " << ea << ", sparsity abs " << es);
  CHECK(fused.attn_entropy.shape == general.attn_entropy.shape);
  CHECK(fused.mlp_sparsity.shape == general.mlp_sparsity.shape);
  CHECK(eh <= 1e-5);
  CHECK(el <= 1e-5);
  // Entropies reach ln S ≈ 5 nats, each a float sum over up to S keys of terms whose exps come
  // from two implementations (std::exp, the kernel's 8-lane polynomial): measured ≤ 1.2e-5.
  CHECK(ee <= 2e-5);
  CHECK(ea <= 1e-5);
  // A unit within rounding of the threshold may fall on either side: at most one per token.
  CHECK(es <= 1.0 / static_cast<double>(r.config().intermediate_size) + 1e-7);
  // Not degenerate: past a few tokens attention spreads over several keys somewhere.
  if (tokens.size() > 4)
    CHECK(*std::max_element(general.attn_entropy.data.begin(), general.attn_entropy.data.end()) >
          0.5f);
  return fused;
}

}  // namespace

TEST_CASE("fused kernels: tiny models of every architecture, prompts past their windows",
          "[model][fused]") {
  for (const std::string name : {"gemma3-tiny", "phi3-tiny", "qwen2-tiny", "qwen3-tiny"}) {
    const auto r = Runner::load(th::test::test_data("model/" + name), ComputeDType::Float32);
    for (int64_t T : {1, 2, 7, 24, 90})  // 90: more than one block of query rows
      check_same(name, r, prompt_ids(T, r.config().vocab_size));
  }
}

TEST_CASE("fused kernels: attention-logit soft-capping", "[model][fused]") {
  // Gemma 3 tiny with attn_logit_softcapping small enough to change every row's weights.
  const auto src = th::test::test_data("model/gemma3-tiny");
  const auto dir =
      th::test::model_variant(src, "fused-attention-softcap", "\"attn_logit_softcapping\": null",
                              "\"attn_logit_softcapping\": 0.5");
  const auto capped = Runner::load(dir, ComputeDType::Float32);
  const auto plain = Runner::load(src, ComputeDType::Float32);
  const auto tokens = prompt_ids(70, capped.config().vocab_size);
  const ForwardCapture c = check_same("gemma3-softcap", capped, tokens);
  // The cap is applied (by both paths): the entropies move away from the uncapped model's.
  CHECK(max_diff(c.attn_entropy.data, forward(plain, tokens).attn_entropy.data, false) > 0.01);
}

TEST_CASE("fused kernels: pocket past its window", "[model][fused]") {
  const auto r = Runner::load(th::test::source_dir() / "models/pocket", ComputeDType::Float32);
  check_same("pocket", r, prompt_ids(200, r.config().vocab_size));
}

TEST_CASE("fused kernels: stories260K (Llama, GQA, no window)", "[model][fused]") {
  const auto r =
      Runner::load(th::test::shared_data("models/stories260K-hf"), ComputeDType::Float32);
  check_same("stories260K", r, prompt_ids(130, r.config().vocab_size));
}

TEST_CASE("fused kernels: cached single-token steps of the general forward", "[model][fused]") {
  // With the decoding step off, every generated token is a T = 1 pass over the cache: the
  // fused kernel reads the cache's [capacity]-strided rows and the window's lower edge moves.
  ScopedEnv general_steps("TH_DECODE_FAST_PATH", "0");
  const auto r = Runner::load(th::test::test_data("model/gemma3-tiny"), ComputeDType::Float32);
  th::model::GenerateOptions opt;
  opt.max_new = 40;
  opt.stop_at_eos = false;
  opt.capture = {true, true, true, false, true};
  const auto run = [&] {
    std::vector<ForwardCapture> steps;
    const auto tokens = r.generate(prompt_ids(5, r.config().vocab_size), opt,
                                   [&](const th::model::GeneratedToken& g) {
                                     steps.push_back(g.capture);
                                     return true;
                                   });
    return std::make_pair(tokens, steps);
  };
  const auto fused = run();
  decltype(run()) general;
  {
    ScopedEnv off("TH_FUSED_KERNELS", "0");
    general = run();
  }
  REQUIRE(fused.first == general.first);
  REQUIRE(fused.second.size() == general.second.size());
  for (std::size_t i = 0; i < fused.second.size(); ++i) {
    INFO("step " << i);
    CHECK(max_diff(fused.second[i].logits.data, general.second[i].logits.data, true) <= 1e-5);
    CHECK(max_diff(fused.second[i].attn_entropy.data, general.second[i].attn_entropy.data, false) <=
          1e-5);
  }
}
