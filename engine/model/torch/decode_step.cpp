#include "model/torch/decode_step.h"

#include <c10/util/BFloat16.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "model/torch/kernels.h"
#include "model/torch/team.h"
#include "model/torch/transformer_detail.h"

namespace th::model {
namespace {

using torch::Tensor;

// A matrix as the row kernels read it: bf16 bits or float32, row-major, contiguous.
struct Mat {
  const void* data = nullptr;
  bool bf16 = false;
  int64_t rows = 0, cols = 0;

  // y[n] for rows [n0, n1).
  void product(const float* x, int64_t n0, int64_t n1, float* y) const {
    if (bf16)
      gemv_rows(x, static_cast<const uint16_t*>(data), cols, n0, n1, y);
    else
      gemv_rows(x, static_cast<const float*>(data), cols, n0, n1, y);
  }

  // Asks for the first lines of the matrix: a thread about to wait at a barrier calls it for
  // the next phase's matrices, so their streams start warm.
  void warm() const {
    const int64_t bytes = std::min<int64_t>(8192, rows * cols * (bf16 ? 2 : 4));
    for (int64_t b = 0; b < bytes; b += 64)
      _mm_prefetch(static_cast<const char*>(data) + b, _MM_HINT_T0);
  }
};

// Absent (an optional role), or readable as it is.
bool matrix_ok(const Tensor& t) {
  return !t.defined() || raw_matrix(t);
}

Mat mat(const Tensor& t) {
  if (!t.defined()) return {};
  return {t.data_ptr(), t.scalar_type() == torch::kBFloat16, t.size(0), t.size(1)};
}

std::vector<float> floats(const Tensor& t) {
  if (!t.defined()) return {};
  Tensor f = t.to(torch::kFloat32).contiguous();
  return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

}  // namespace

// The raw view of the Weights a step reads, made once per cache (its first fast step).
struct DecodePlan {
  struct Layer {
    Mat q, k, v, o, gate, up, down;
    std::vector<float> attn_norm, post_attn_norm, pre_ffn_norm, post_ffn_norm, q_norm, k_norm,
        q_bias, k_bias, v_bias;
  };
  const Weights* weights = nullptr;
  std::vector<Layer> layers;
  Mat embed, lm_head;
  std::vector<float> final_norm;
};

namespace {

std::shared_ptr<const DecodePlan> make_plan(const Weights& w) {
  auto p = std::make_shared<DecodePlan>();
  p->weights = &w;
  p->embed = mat(w.embed);
  p->lm_head = mat(w.lm_head);
  p->final_norm = floats(w.final_norm);
  for (const auto& lw : w.layers)
    p->layers.push_back({mat(lw.q), mat(lw.k), mat(lw.v), mat(lw.o), mat(lw.gate), mat(lw.up),
                         mat(lw.down), floats(lw.attn_norm), floats(lw.post_attn_norm),
                         floats(lw.pre_ffn_norm), floats(lw.post_ffn_norm), floats(lw.q_norm),
                         floats(lw.k_norm), floats(lw.q_bias), floats(lw.k_bias),
                         floats(lw.v_bias)});
  return p;
}

// ---- When the general path runs instead: one row per condition, first match wins. ----------

struct StepQuery {
  const ModelConfig& c;
  const Weights& w;
  const Tensor& tokens;
  const Capture* capture;
  const KVCache* cache;
};

bool switched_off(const StepQuery&) {
  const char* e = std::getenv("TH_DECODE_FAST_PATH");
  return e && std::string_view(e) == "0";
}
bool no_cache(const StepQuery& q) {
  return q.cache == nullptr;
}
bool not_one_token(const StepQuery& q) {
  return q.tokens.dim() != 2 || q.tokens.size(0) != 1 || q.tokens.size(1) != 1 ||
         q.tokens.scalar_type() != torch::kInt64;
}
bool grad_mode(const StepQuery&) {
  return at::GradMode::is_enabled();
}
bool wants_attn_probs(const StepQuery& q) {
  return q.capture && q.capture->want_attn_probs;
}
bool attn_softcap(const StepQuery& q) {
  return q.c.attn_logit_softcapping.has_value();
}
bool odd_compute_dtype(const StepQuery& q) {
  const auto d = q.w.final_norm.scalar_type();
  return d != torch::kFloat32 && d != torch::kBFloat16;
}
bool odd_matrix(const StepQuery& q) {
  if (!matrix_ok(q.w.embed) || !matrix_ok(q.w.lm_head) || !q.w.lm_head.defined()) return true;
  for (const auto& l : q.w.layers)
    for (const Tensor* t : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
      if (!t->defined() || !matrix_ok(*t)) return true;
  return false;
}
bool odd_cache(const StepQuery& q) {
  if (!q.cache) return false;  // no_cache's row
  for (const auto* bufs : {&q.cache->k, &q.cache->v})
    for (const Tensor& b : *bufs)
      if (b.defined() &&
          (!b.is_contiguous() || b.size(0) != 1 || b.scalar_type() != q.w.final_norm.scalar_type()))
        return true;
  return false;
}

struct Fallback {
  const char* reason;
  bool (*applies)(const StepQuery&);
};

// Everything else the general path supports, the step supports too: GQA, sliding windows,
// q/k norms, q/k/v biases, partial rotary, every RoPE scaling (LongRope's tables come from the
// same rope_for), sandwich norms, final logit softcapping, tied heads, BF16 matrices under
// float32 compute, and the hidden / attn_entropy / mlp_act / mlp_sparsity captures.
constexpr Fallback kFallbacks[] = {
    {"switched off (TH_DECODE_FAST_PATH=0)", switched_off},
    {"no KV cache", no_cache},
    {"not one int64 token of one sequence (B = T = 1)", not_one_token},
    {"grad mode (training needs the differentiable ops)", grad_mode},
    {"attention probabilities requested (want_attn_probs)", wants_attn_probs},
    {"attention logit softcapping", attn_softcap},
    {"compute dtype neither float32 nor bfloat16", odd_compute_dtype},
    {"a matrix that is not a contiguous float32 or bfloat16 CPU tensor", odd_matrix},
    {"cache buffers not [1, kv_heads, capacity, head_dim] in the compute dtype", odd_cache},
};

// ---- The step. ------------------------------------------------------------------------------

// A product's rows handed out from a shared counter in shrinking chunks (a share of what is
// left, between ~32 KB and ~256 KB of weights): the two threads' memory throughput varies from
// moment to moment, and with fixed halves the faster one waited at every barrier (8 % of the
// samples); the cap keeps a thread that loses its core (a shared machine) from holding a large
// chunk the other must wait for.
struct Chunking {
  int64_t min_rows, max_rows;
};

Chunking chunking(const Mat& m) {
  const int64_t row_bytes = std::max<int64_t>(1, m.cols * (m.bf16 ? 2 : 4));
  const int64_t lo = std::max<int64_t>(2, (int64_t{1} << 15) / row_bytes);
  return {lo, std::max(lo, (int64_t{1} << 18) / row_bytes)};
}

template <typename F>
void guided(std::atomic<int64_t>& next, int64_t n, int nt, Chunking ch, F&& rows) {
  int64_t b = next.load(std::memory_order_relaxed);
  for (;;) {
    if (b >= n) return;
    const int64_t size = std::clamp((n - b) / (2 * nt), ch.min_rows, ch.max_rows) / 2 * 2;
    const int64_t e = std::min(n, b + std::max<int64_t>(size, 2));
    if (next.compare_exchange_weak(b, e, std::memory_order_relaxed)) {
      rows(b, e);
      b = next.load(std::memory_order_relaxed);
    }
  }
}

// A cache buffer's rows as the kernels read them.
struct CacheRows {
  void* data;
  bool bf16;
  int64_t cap, hd;
  const void* row(int64_t g, int64_t j) const {
    const int64_t off = (g * cap + j) * hd;
    return bf16 ? static_cast<const void*>(static_cast<const uint16_t*>(data) + off)
                : static_cast<const void*>(static_cast<const float*>(data) + off);
  }
  float at(int64_t g, int64_t j, int64_t i) const {
    const int64_t off = (g * cap + j) * hd + i;
    if (!bf16) return static_cast<const float*>(data)[off];
    const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(data)[off]) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  void put(int64_t g, int64_t j, const float* v) const {
    const int64_t off = (g * cap + j) * hd;
    for (int64_t i = 0; i < hd; ++i) {
      if (bf16)
        static_cast<uint16_t*>(data)[off + i] = c10::BFloat16(v[i]).x;
      else
        static_cast<float*>(data)[off + i] = v[i];
    }
  }
};

// torch's silu and tanh-GELU as they run on a tensor of the compute dtype: for bfloat16 every
// elementary operation rounds to bfloat16 (Vectorized<BFloat16> arithmetic), constants included.
template <typename Round>
float activate(float x, Activation a, Round rd) {
  if (a == Activation::Silu) return rd(x / rd(1.0f + rd(std::exp(-x))));
  const float beta = rd(
                  static_cast<float>(std::numbers::sqrt2 * 2 / std::sqrt(std::numbers::pi) * 0.5)),
              kappa = rd(0.044715f);
  const float cube = rd(rd(x * x) * x);
  const float inner = rd(beta * rd(x + rd(kappa * cube)));
  return rd(rd(0.5f * x) * rd(1.0f + rd(std::tanh(inner))));
}

struct Step {
  Step(const ModelConfig& config, const ArchSpec& arch, const DecodePlan& plan)
      : c(config), a(arch), p(plan) {}

  const ModelConfig& c;
  const ArchSpec& a;
  const DecodePlan& p;
  bool bf = false;  // compute dtype bfloat16: round where the general path's bf16 tensors round
  Activation act = Activation::Silu;
  int64_t token = 0, start = 0, D = 0, H = 0, KV = 0, hd = 0, rd = 0, I = 0, V = 0, Nq = 0, Nk = 0,
          Nv = 0;
  float scaling = 1, eps = 0;
  std::optional<double> final_softcap;
  const float* rope_cos[2] = {nullptr, nullptr};  // [global, local] rows of this position
  const float* rope_sin[2] = {nullptr, nullptr};
  std::vector<CacheRows> kc, vc;
  std::vector<int64_t> first_key;  // per layer: the first key the query may see (window)
  std::vector<char> local;         // per layer: uses the local RoPE table
  // Shared buffers: each written by disjoint rows between two barriers.
  float *qkv = nullptr, *attn = nullptr, *o_out = nullptr, *act_out = nullptr, *d_out = nullptr,
        *logits = nullptr;
  // Capture buffers (null when not asked): hidden [L+1, D], probs [L, H, S], act [L, I].
  float *cap_hidden = nullptr, *cap_probs = nullptr, *cap_act = nullptr;
  // One row counter per product: [4·layer + {qkv, o, gate|up, down}], then the lm_head.
  std::atomic<int64_t>* next = nullptr;
  SpinBarrier barrier;

  float rnd(float v) const { return bf ? round_bf16(v) : v; }

  void norm(const float* x, const std::vector<float>& w, float* out, int64_t n) const {
    rms_norm_row(x, w.data(), out, n, eps, a.norm_offset_one, bf);
  }

  // x·cos + rotate_half(x)·sin on the first rd features, the rest passed (Phi-3's partial).
  void rope(const float* x, int which, float* out) const {
    const float *cs = rope_cos[which], *sn = rope_sin[which];
    const int64_t half = rd / 2;
    for (int64_t i = 0; i < rd; ++i) {
      const float rh = i < half ? -x[i + half] : x[i - half];
      out[i] = rnd(rnd(x[i] * cs[i]) + rnd(rh * sn[i]));
    }
    for (int64_t i = rd; i < hd; ++i) out[i] = x[i];
  }

  // out = m·in rounded to the compute dtype, the rows handed out from `counter`.
  void rounded_product(std::atomic<int64_t>& counter, int nt, const Mat& m, const float* in,
                       float* out) const {
    guided(counter, m.rows, nt, chunking(m), [&](int64_t b, int64_t e) {
      m.product(in, b, e, out);
      for (int64_t r = b; r < e; ++r) out[r] = rnd(out[r]);
    });
  }

  // h += y (through the sublayer's post-norm when it has one, normed into `scratch`), rounded.
  void add_residual(std::vector<float>& h, const float* y, const std::vector<float>& post_norm,
                    std::vector<float>& scratch) const {
    if (!post_norm.empty()) {
      norm(y, post_norm, scratch.data(), D);
      y = scratch.data();
    }
    for (int64_t i = 0; i < D; ++i) h[i] = rnd(h[i] + y[i]);
  }

  void run(int tid, int nt);
  void attention(int l, int tid, int nt, std::vector<float>& kp, std::vector<float>& tmp,
                 std::vector<float>& scores, std::vector<float>& acc);
};

void Step::attention(int l, int tid, int nt, std::vector<float>& kp, std::vector<float>& tmp,
                     std::vector<float>& scores, std::vector<float>& acc) {
  const auto& lp = p.layers[static_cast<std::size_t>(l)];
  const int which = local[static_cast<std::size_t>(l)] ? 1 : 0;
  const CacheRows& K = kc[static_cast<std::size_t>(l)];
  const CacheRows& Vr = vc[static_cast<std::size_t>(l)];
  const float* v_new = qkv + Nq + Nk;
  // Every thread prepares this position's keys itself (a few hundred values) instead of waiting
  // for one thread to; only thread 0 stores them (and the values) into the cache.
  for (int64_t g = 0; g < KV; ++g) {
    const float* raw = qkv + Nq + g * hd;
    if (!lp.k_norm.empty()) {
      norm(raw, lp.k_norm, tmp.data(), hd);
      raw = tmp.data();
    }
    rope(raw, which, kp.data() + g * hd);
    if (tid == 0) {
      K.put(g, start, kp.data() + g * hd);
      Vr.put(g, start, v_new + g * hd);
    }
  }
  const int64_t lo = first_key[static_cast<std::size_t>(l)], S = start + 1, rep = H / KV;
  const auto [h0, h1] = share(H, tid, nt);
  std::vector<float> q(static_cast<std::size_t>(hd));
  for (int64_t h = h0; h < h1; ++h) {
    const int64_t g = h / rep;
    const float* raw = qkv + h * hd;
    if (!lp.q_norm.empty()) {
      norm(raw, lp.q_norm, tmp.data(), hd);
      raw = tmp.data();
    }
    rope(raw, which, q.data());
    // Scores of the cached keys [lo, start), then of this position's key.
    if (K.bf16)
      gemv_rows(q.data(), static_cast<const uint16_t*>(K.row(g, 0)), hd, lo, start, scores.data());
    else
      gemv_rows(q.data(), static_cast<const float*>(K.row(g, 0)), hd, lo, start, scores.data());
    gemv_rows(q.data(), kp.data() + g * hd, hd, 0, 1, scores.data() + start);
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = lo; j < S; ++j) {
      scores[j] = rnd(rnd(scores[j]) * scaling);
      mx = std::max(mx, scores[j]);
    }
    float sum = 0;
    for (int64_t j = lo; j < S; ++j) {
      scores[j] = std::exp(scores[j] - mx);
      sum += scores[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = lo; j < S; ++j) scores[j] = rnd(scores[j] * inv);
    if (cap_probs) {
      float* pr = cap_probs + (l * H + h) * S;
      std::fill(pr, pr + lo, 0.0f);
      std::copy(scores.begin() + lo, scores.begin() + S, pr + lo);
    }
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t j = lo; j < start; ++j) {
      const float pj = scores[j];
      for (int64_t i = 0; i < hd; ++i) acc[i] += pj * Vr.at(g, j, i);
    }
    const float* vn = v_new + g * hd;
    for (int64_t i = 0; i < hd; ++i) attn[h * hd + i] = rnd(acc[i] + scores[start] * vn[i]);
  }
}

void Step::run(int tid, int nt) {
  const auto z = [](int64_t n) { return std::vector<float>(static_cast<std::size_t>(n)); };
  std::vector<float> h = z(D), x = z(D), xn = z(D), kp = z(KV * hd), tmp = z(hd),
                     scores = z(start + 1), acc = z(hd), gate = z(I), up = z(I);
  // The embedding row (every thread keeps its own copy of the residual stream: identical
  // arithmetic on identical inputs, so the copies never differ).
  {
    const Mat& e = p.embed;
    if (e.bf16)
      for (int64_t i = 0; i < D; ++i) {
        const uint32_t bits =
            static_cast<uint32_t>(static_cast<const uint16_t*>(e.data)[token * D + i]) << 16;
        std::memcpy(&h[i], &bits, sizeof(float));
      }
    else
      std::memcpy(h.data(), static_cast<const float*>(e.data) + token * D, D * sizeof(float));
    if (a.embed_scale_sqrt_hidden) {
      const float s = rnd(static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size))));
      for (auto& v : h) v = rnd(v * s);
    }
  }
  const int64_t L = static_cast<int64_t>(p.layers.size());
  for (int64_t l = 0; l < L; ++l) {
    const auto& lp = p.layers[static_cast<std::size_t>(l)];
    if (cap_hidden && tid == 0) std::copy(h.begin(), h.end(), cap_hidden + l * D);
    // q|k|v as one product over Nq + Nk + Nv rows.
    norm(h.data(), lp.attn_norm, xn.data(), D);
    guided(next[4 * l], Nq + Nk + Nv, nt, chunking(lp.q), [&](int64_t b, int64_t e) {
      const struct {
        const Mat& m;
        const std::vector<float>& bias;
        int64_t off, n;
      } parts[] = {
          {lp.q, lp.q_bias, 0, Nq}, {lp.k, lp.k_bias, Nq, Nk}, {lp.v, lp.v_bias, Nq + Nk, Nv}};
      for (const auto& part : parts) {
        const int64_t r0 = std::max(b, part.off), r1 = std::min(e, part.off + part.n);
        if (r0 >= r1) continue;
        float* y = qkv + part.off;
        part.m.product(xn.data(), r0 - part.off, r1 - part.off, y);
        for (int64_t r = r0 - part.off; r < r1 - part.off; ++r)
          y[r] = rnd(part.bias.empty() ? y[r] : y[r] + part.bias[static_cast<std::size_t>(r)]);
      }
    });
    lp.o.warm();
    barrier.wait(nt);
    attention(static_cast<int>(l), tid, nt, kp, tmp, scores, acc);
    barrier.wait(nt);
    rounded_product(next[4 * l + 1], nt, lp.o, attn, o_out);
    lp.gate.warm();
    lp.up.warm();
    barrier.wait(nt);
    add_residual(h, o_out, lp.post_attn_norm, x);
    norm(h.data(), lp.pre_ffn_norm, xn.data(), D);
    // gate and up over the same units, so each thread activates its own.
    guided(next[4 * l + 2], I, nt, chunking(lp.gate), [&](int64_t b, int64_t e) {
      lp.gate.product(xn.data(), b, e, gate.data());
      lp.up.product(xn.data(), b, e, up.data());
      for (int64_t r = b; r < e; ++r)
        act_out[r] =
            rnd(activate(rnd(gate[r]), act, [this](float v) { return rnd(v); }) * rnd(up[r]));
      if (cap_act) std::copy(act_out + b, act_out + e, cap_act + l * I + b);
    });
    lp.down.warm();
    barrier.wait(nt);
    rounded_product(next[4 * l + 3], nt, lp.down, act_out, d_out);
    (l + 1 < L ? p.layers[static_cast<std::size_t>(l + 1)].q : p.lm_head).warm();
    barrier.wait(nt);
    add_residual(h, d_out, lp.post_ffn_norm, x);
  }
  norm(h.data(), p.final_norm, xn.data(), D);
  if (cap_hidden && tid == 0) std::copy(xn.begin(), xn.end(), cap_hidden + L * D);
  guided(next[4 * L], V, nt, chunking(p.lm_head), [&](int64_t b, int64_t e) {
    p.lm_head.product(xn.data(), b, e, logits);
    if (final_softcap) {
      const double cap = *final_softcap;
      const float fcap = static_cast<float>(cap);
      for (int64_t r = b; r < e; ++r)
        logits[r] = rnd(rnd(std::tanh(rnd(static_cast<float>(rnd(logits[r]) / cap)))) * fcap);
    } else {
      for (int64_t r = b; r < e; ++r) logits[r] = rnd(logits[r]);
    }
  });
}

Tensor to_dtype(const float* data, std::vector<int64_t> shape, torch::ScalarType dtype) {
  return torch::from_blob(const_cast<float*>(data), shape, torch::kFloat32)
      .to(dtype, /*non_blocking=*/false, /*copy=*/true);
}

}  // namespace

const char* decode_fallback_reason(const ModelConfig& c, const Weights& w, const Tensor& tokens,
                                   const Capture* capture, const KVCache* cache) {
  const StepQuery q{c, w, tokens, capture, cache};
  for (const auto& f : kFallbacks)
    if (f.applies(q)) return f.reason;
  return nullptr;
}

Tensor decode_step(const ModelConfig& c, const ArchSpec& a, const Weights& w, int64_t token,
                   Capture* capture, KVCache& cache) {
  const auto dtype = w.final_norm.scalar_type();
  const std::size_t L = w.layers.size();
  if (cache.k.empty()) {
    cache.k.resize(L);
    cache.v.resize(L);
  }
  if (!cache.decode_plan || cache.decode_plan->weights != &w) cache.decode_plan = make_plan(w);
  const DecodePlan& p = *cache.decode_plan;
  TORCH_CHECK(token >= 0 && token < p.embed.rows, "decode_step: token ", token,
              " outside the vocabulary [0, ", p.embed.rows, ")");
  const int64_t start = cache.length;
  const int64_t D = c.hidden_size, H = c.num_attention_heads, KV = c.num_key_value_heads,
                hd = c.head_dim, I = c.intermediate_size, V = p.lm_head.rows;

  // This position's RoPE rows, from the same tables the general path uses.
  const detail::Rope global =
      detail::rope_for(c, c.rope_theta, c.rope_scaling, start, 1, dtype, &cache, 0);
  const detail::Rope localr =
      a.local_rope_base
          ? detail::rope_for(c, c.rope_local_base_freq, RopeScaling{}, start, 1, dtype, &cache, 1)
          : global;
  const Tensor cos_g = global.cos.to(torch::kFloat32).contiguous(),
               sin_g = global.sin.to(torch::kFloat32).contiguous(),
               cos_l = localr.cos.to(torch::kFloat32).contiguous(),
               sin_l = localr.sin.to(torch::kFloat32).contiguous();

  Step s(c, a, p);
  s.bf = dtype == torch::kBFloat16;
  s.act = resolve_activation(c, a);
  s.token = token;
  s.start = start;
  s.D = D;
  s.H = H;
  s.KV = KV;
  s.hd = hd;
  s.rd = c.rotary_dim();
  s.I = I;
  s.V = V;
  s.Nq = H * hd;
  s.Nk = s.Nv = KV * hd;
  s.scaling = static_cast<float>(detail::attention_scaling(c));
  if (s.bf) s.scaling = round_bf16(s.scaling);  // torch rounds a scalar factor to bf16 first
  s.eps = static_cast<float>(c.rms_norm_eps);
  s.final_softcap = c.final_logit_softcapping;
  s.rope_cos[0] = cos_g.data_ptr<float>();
  s.rope_cos[1] = cos_l.data_ptr<float>();
  s.rope_sin[0] = sin_g.data_ptr<float>();
  s.rope_sin[1] = sin_l.data_ptr<float>();
  const auto cache_options = torch::TensorOptions().dtype(dtype);
  for (std::size_t l = 0; l < L; ++l) {
    detail::reserve_cache(cache.k[l], 1, KV, hd, start, start + 1, cache_options);
    detail::reserve_cache(cache.v[l], 1, KV, hd, start, start + 1, cache_options);
    const bool bf_cache = dtype == torch::kBFloat16;
    const int64_t cap = cache.k[l].size(2);
    s.kc.push_back({cache.k[l].data_ptr(), bf_cache, cap, hd});
    s.vc.push_back({cache.v[l].data_ptr(), bf_cache, cache.v[l].size(2), hd});
    const bool sliding = c.is_sliding[l];
    // The general path's mask blocks key j when start − j ≥ window.
    s.first_key.push_back(
        sliding && c.sliding_window ? std::max<int64_t>(0, start - *c.sliding_window + 1) : 0);
    s.local.push_back(sliding && a.local_rope_base);
  }

  std::vector<float> qkv(static_cast<std::size_t>(s.Nq + s.Nk + s.Nv)),
      attn(static_cast<std::size_t>(H * hd)), o_out(static_cast<std::size_t>(D)),
      act_out(static_cast<std::size_t>(I)), d_out(static_cast<std::size_t>(D));
  const Tensor& into = capture ? capture->logits_into : Tensor();
  const bool direct = into.defined() && into.scalar_type() == torch::kFloat32 &&
                      into.is_contiguous() && into.numel() == V;
  std::vector<float> logits_buf(direct ? 0 : static_cast<std::size_t>(V));
  s.qkv = qkv.data();
  s.attn = attn.data();
  s.o_out = o_out.data();
  s.act_out = act_out.data();
  s.d_out = d_out.data();
  s.logits = direct ? into.data_ptr<float>() : logits_buf.data();

  const int64_t S = start + 1, Ls = static_cast<int64_t>(L);
  const bool want_hidden = capture && capture->want_hidden,
             want_entropy = capture && capture->want_attn_entropy,
             want_act = capture && (capture->want_mlp_act || capture->want_mlp_sparsity);
  std::vector<float> cap_hidden(want_hidden ? static_cast<std::size_t>((Ls + 1) * D) : 0),
      cap_probs(want_entropy ? static_cast<std::size_t>(Ls * H * S) : 0),
      cap_act(want_act ? static_cast<std::size_t>(Ls * I) : 0);
  s.cap_hidden = want_hidden ? cap_hidden.data() : nullptr;
  s.cap_probs = want_entropy ? cap_probs.data() : nullptr;
  s.cap_act = want_act ? cap_act.data() : nullptr;

  std::vector<std::atomic<int64_t>> counters(4 * L + 1);
  s.next = counters.data();

  // One region for the whole token: the team is torch's (at::set_num_threads); Step::run never
  // calls into torch, and its only allocations are a few small per-thread buffers.
#pragma omp parallel
  s.run(omp_get_thread_num(), omp_get_num_threads());

  cache.length += 1;
  if (capture) {
    for (int64_t l = 0; want_hidden && l <= Ls; ++l)
      capture->hidden.push_back(to_dtype(cap_hidden.data() + l * D, {1, 1, D}, dtype));
    for (int64_t l = 0; want_entropy && l < Ls; ++l)
      capture->attn_entropy.push_back(detail::entropy(
          torch::from_blob(cap_probs.data() + l * H * S, {1, H, 1, S}, torch::kFloat32)));
    for (int64_t l = 0; want_act && l < Ls; ++l) {
      Tensor act = to_dtype(cap_act.data() + l * I, {1, 1, I}, dtype);
      if (capture->want_mlp_act) capture->mlp_act.push_back(act);
      if (capture->want_mlp_sparsity) capture->mlp_sparsity.push_back(detail::sparsity(act));
    }
  }
  if (direct) return into;
  Tensor logits = to_dtype(logits_buf.data(), {1, 1, V}, dtype);
  if (into.defined()) {
    into.copy_(logits);
    return into;
  }
  return logits;
}

}  // namespace th::model
