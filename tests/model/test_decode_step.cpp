// The decoding step (engine/model/torch/decode_step.h, what generate() runs after the prompt)
// against the general forward path, on real and golden models of every architecture:
//  - greedy generation with the step (the default) and with the general path
//    (TH_DECODE_FAST_PATH=0) gives the same tokens, and per step the same logits, hidden states,
//    attention entropy, MLP activations and sparsity within float rounding;
//  - every step's logits, hidden states and attention entropy match an uncached forward pass over
//    the whole sequence at that position (an independent computation: one pass, no cache), and
//    the generated token is a maximum of that pass's row.
// Generations run past every sliding window, so windowed layers drop keys during decoding.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/runner.h"
#include "support.h"

namespace {

using th::model::Array;
using th::model::ComputeDType;
using th::model::ForwardCapture;
using th::model::Runner;

struct Run {
  std::vector<int64_t> tokens;
  std::vector<ForwardCapture> steps;
};

Run generate(const Runner& r, const std::vector<int64_t>& prompt, int64_t n) {
  th::model::GenerateOptions opt;
  opt.max_new = n;
  opt.stop_at_eos = false;
  opt.capture = {true, true, true, true, true};  // hidden, entropy, sparsity, mlp_act, logits
  Run out;
  out.tokens = r.generate(prompt, opt, [&](const th::model::GeneratedToken& g) {
    out.steps.push_back(g.capture);
    return true;
  });
  return out;
}

using th::test::max_diff;

struct Tolerance {
  double logits_rel, hidden_rel, entropy_abs, act_rel, sparsity_abs;
};

// Position `pos` of a capture taken over the whole sequence: logits [T, V], hidden [L+1, T, D],
// attn_entropy [L, H, T].
std::vector<float> logits_at(const Array& logits, int64_t pos) {
  const int64_t V = logits.shape[1];
  return {logits.data.begin() + pos * V, logits.data.begin() + (pos + 1) * V};
}

std::vector<float> hidden_at(const Array& hidden, int64_t pos) {
  const int64_t L1 = hidden.shape[0], T = hidden.shape[1], D = hidden.shape[2];
  std::vector<float> out;
  for (int64_t l = 0; l < L1; ++l)
    out.insert(out.end(), hidden.data.begin() + (l * T + pos) * D,
               hidden.data.begin() + (l * T + pos + 1) * D);
  return out;
}

std::vector<float> entropy_at(const Array& ent, int64_t pos) {
  const int64_t L = ent.shape[0], H = ent.shape[1], T = ent.shape[2];
  std::vector<float> out;
  for (int64_t l = 0; l < L; ++l)
    for (int64_t h = 0; h < H; ++h) out.push_back(ent.data[(l * H + h) * T + pos]);
  return out;
}

// Fast path vs general path, then fast path vs one uncached pass over the sequence.
void check(const std::string& name, const std::filesystem::path& dir, ComputeDType dtype,
           const std::vector<int64_t>& prompt, int64_t n, const Tolerance& step_tol,
           const Tolerance& pass_tol, bool compare_with_pass = true) {
  const auto r = Runner::load(dir, dtype);
  const Run fast = generate(r, prompt, n);
  Run general;
  {
    th::test::ScopedEnv off("TH_DECODE_FAST_PATH", "0");
    general = generate(r, prompt, n);
  }
  INFO(name << (dtype == ComputeDType::BFloat16 ? " bfloat16" : " float32"));
  REQUIRE(fast.tokens.size() == static_cast<std::size_t>(n));
  REQUIRE(general.tokens.size() == static_cast<std::size_t>(n));
  // The steps agree up to float rounding, so the tokens are the same unless a step's two
  // largest logits tie within that rounding (in bfloat16 the logits are bf16 numbers and such
  // ties happen); after a tie the two generations go different ways and are compared no further.
  std::size_t same = 0;
  while (same < fast.tokens.size() && fast.tokens[same] == general.tokens[same]) ++same;
  const std::size_t compared = std::min(same + 1, fast.tokens.size());
  double el = 0, eh = 0, ee = 0, ea = 0, es = 0;
  for (std::size_t k = 0; k < compared; ++k) {
    const auto &f = fast.steps[k], &g = general.steps[k];
    REQUIRE(f.logits.shape == g.logits.shape);
    REQUIRE(f.hidden.shape == g.hidden.shape);
    REQUIRE(f.attn_entropy.shape == g.attn_entropy.shape);
    REQUIRE(f.mlp_act.shape == g.mlp_act.shape);
    REQUIRE(f.mlp_sparsity.shape == g.mlp_sparsity.shape);
    el = std::max(el, max_diff(f.logits.data, g.logits.data, true));
    eh = std::max(eh, max_diff(f.hidden.data, g.hidden.data, true));
    ee = std::max(ee, max_diff(f.attn_entropy.data, g.attn_entropy.data, false));
    ea = std::max(ea, max_diff(f.mlp_act.data, g.mlp_act.data, true));
    es = std::max(es, max_diff(f.mlp_sparsity.data, g.mlp_sparsity.data, false));
  }
  INFO("same tokens for " << same << " of " << n << " steps; step vs general: logits rel " << el
                          << ", hidden rel " << eh << ", entropy abs " << ee << ", act rel " << ea
                          << ", sparsity abs " << es);
  if (dtype == ComputeDType::Float32) CHECK(same == fast.tokens.size());
  if (same < fast.tokens.size()) {
    // A tie: in the general path's row the step's token is a maximum up to the tolerance.
    const auto& row = general.steps[same].logits.data;
    const float mx = *std::max_element(row.begin(), row.end());
    float scale = 0;
    for (float v : row) scale = std::max(scale, std::abs(v));
    CHECK(row[static_cast<std::size_t>(fast.tokens[same])] >= mx - step_tol.logits_rel * scale);
    CHECK(same >= 8);  // and not before a few steps were compared
  }
  CHECK(el <= step_tol.logits_rel);
  CHECK(eh <= step_tol.hidden_rel);
  CHECK(ee <= step_tol.entropy_abs);
  CHECK(ea <= step_tol.act_rel);
  CHECK(es <= step_tol.sparsity_abs);
  if (!compare_with_pass) return;

  std::vector<int64_t> seq = prompt;
  seq.insert(seq.end(), fast.tokens.begin(), fast.tokens.end() - 1);
  th::model::CaptureRequest all;
  all.all_logits = true;
  all.mlp_sparsity = false;  // the pass's sparsity is over all its tokens, not per step
  const auto pass = r.forward(seq, all);
  double pl = 0, ph = 0, pe = 0;
  int not_max = 0;
  for (std::size_t k = 0; k < fast.steps.size(); ++k) {
    const int64_t pos = static_cast<int64_t>(prompt.size() + k) - 1;
    const auto row = logits_at(pass.logits, pos);
    pl = std::max(pl, max_diff(fast.steps[k].logits.data, row, true));
    ph = std::max(ph, max_diff(fast.steps[k].hidden.data, hidden_at(pass.hidden, pos), true));
    pe = std::max(
        pe, max_diff(fast.steps[k].attn_entropy.data, entropy_at(pass.attn_entropy, pos), false));
    // Greedy picked a maximum of the step's row; in the pass's row it must be one too, up to
    // the logits tolerance (a near-tie may order differently).
    const float mx = *std::max_element(row.begin(), row.end());
    float scale = 0;
    for (float v : row) scale = std::max(scale, std::abs(v));
    if (row[static_cast<std::size_t>(fast.tokens[k])] < mx - pass_tol.logits_rel * scale) ++not_max;
  }
  INFO("step vs uncached pass: logits rel " << pl << ", hidden rel " << ph << ", entropy abs " << pe
                                            << ", tokens not a maximum " << not_max);
  CHECK(pl <= pass_tol.logits_rel);
  CHECK(ph <= pass_tol.hidden_rel);
  CHECK(pe <= pass_tol.entropy_abs);
  CHECK(not_max == 0);
}

std::vector<int64_t> prompt_ids(int64_t n, int64_t vocab) {
  return th::test::spread_ids(n, vocab, 1);
}

// float32: the step and the general path differ only in summation order (1e-6 relative);
// sparsity counts units under a threshold, so one unit may flip at the boundary.
Tolerance f32_tol(double units) {
  return {1e-5, 1e-5, 1e-5, 1e-5, 1.0 / units + 1e-6};
}
// bfloat16: both round to bf16 at the same points, so most steps agree bit for bit; where the
// float computations before a rounding differ in their last bit (the order of a sum, an exp
// ulp) a value moves by one bf16 step (2^-8 relative) and that propagates through the layers
// (measured: logits ≤ 0.015, hidden ≤ 0.017 relative, entropy ≤ 0.075 nats, sparsity ≤ 1 unit
// on these models; the bf16 golden test allows 0.02).
Tolerance bf16_tol(double units) {
  return {0.02, 0.03, 0.1, 0.03, 3.0 / units + 1e-6};
}

void golden(const std::string& name, int64_t n_prompt, int64_t n_new) {
  const auto dir = th::test::test_data("model/" + name);
  const auto r = Runner::load(dir);
  const int64_t V = r.config().vocab_size, I = r.config().intermediate_size;
  const auto prompt = prompt_ids(n_prompt, V);
  check(name, dir, ComputeDType::Float32, prompt, n_new, f32_tol(I), f32_tol(I));
  check(name, dir, ComputeDType::BFloat16, prompt, n_new, bf16_tol(I), bf16_tol(I));
}

}  // namespace

TEST_CASE("decode step: Gemma 3 tiny (window 4, final softcap, linear RoPE) as the general path",
          "[model][decode]") {
  golden("gemma3-tiny", 6, 40);
}

TEST_CASE("decode step: Phi-3 tiny (fused qkv/gate_up, partial RoPE, window 6)",
          "[model][decode]") {
  golden("phi3-tiny", 5, 40);
}

TEST_CASE("decode step: Qwen2 tiny (q/k/v biases, tied head)", "[model][decode]") {
  golden("qwen2-tiny", 5, 40);
}

TEST_CASE("decode step: Qwen3 tiny (q/k norms, head_dim 12)", "[model][decode]") {
  golden("qwen3-tiny", 5, 40);
}

TEST_CASE("decode step: LongRope switching factors mid-generation", "[model][decode]") {
  // Phi-3 tiny with LongRope whose original context (16) ends during the generation, so the
  // tables change from the short to the long factors between steps. An uncached pass uses the
  // long factors everywhere (HF does too), so only the two cached paths are compared.
  const auto dir = th::test::model_variant(
      th::test::test_data("model/phi3-tiny"), "decode-longrope", "\"rope_scaling\": null",
      "\"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0, 1.5], "
      "\"long_factor\": [3.0, 7.0], \"original_max_position_embeddings\": 16}");
  const auto r = Runner::load(dir);
  const auto prompt = prompt_ids(6, r.config().vocab_size);
  const double I = static_cast<double>(r.config().intermediate_size);
  check("phi3-longrope", dir, ComputeDType::Float32, prompt, 30, f32_tol(I), f32_tol(I), false);
  check("phi3-longrope", dir, ComputeDType::BFloat16, prompt, 30, bf16_tol(I), bf16_tol(I), false);
}

TEST_CASE("decode step: pocket (Gemma 3, BF16, window 64) past its window", "[model][decode]") {
  const auto dir = th::test::source_dir() / "models/pocket";
  const auto r = Runner::load(dir);
  const auto prompt = r.encode("And God said, Let there be light");
  const double I = static_cast<double>(r.config().intermediate_size);
  check("pocket", dir, ComputeDType::Float32, prompt, 90, f32_tol(I), f32_tol(I));
  check("pocket", dir, ComputeDType::BFloat16, prompt, 90, bf16_tol(I), bf16_tol(I));
}

TEST_CASE("decode step: stories260K (Llama, GQA)", "[model][decode]") {
  const auto dir = th::test::shared_data("models/stories260K-hf");
  const auto r = Runner::load(dir);
  const std::vector<int64_t> prompt = {1, 403, 407, 261, 378};
  const double I = static_cast<double>(r.config().intermediate_size);
  check("stories260K", dir, ComputeDType::Float32, prompt, 60, f32_tol(I), f32_tol(I));
  check("stories260K", dir, ComputeDType::BFloat16, prompt, 60, bf16_tol(I), bf16_tol(I));
}

TEST_CASE("decode step: models of different depths one after another in one process",
          "[model][decode]") {
  // Nothing of one model's step may outlive it: a 2-layer model, then the 8-layer pocket, then a
  // 2-layer one again, each against its own general path.
  golden("gemma3-tiny", 6, 8);
  const auto dir = th::test::source_dir() / "models/pocket";
  const auto r = Runner::load(dir);
  const double I = static_cast<double>(r.config().intermediate_size);
  check("pocket", dir, ComputeDType::Float32, r.encode("In the beginning"), 8, f32_tol(I),
        f32_tol(I));
  golden("qwen3-tiny", 5, 8);
}
