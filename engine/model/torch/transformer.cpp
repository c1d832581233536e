#include "model/torch/transformer.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <numbers>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "model/torch/attention_kernel.h"
#include "model/torch/decode_step.h"
#include "model/torch/kernels.h"
#include "model/torch/layer_team.h"
#include "model/torch/mlp_kernel.h"
#include "model/torch/rope_kernel.h"
#include "model/torch/transformer_detail.h"

namespace th::model {
namespace {

using torch::Tensor;
namespace F = torch::indexing;

// Which LayerWeights member holds each per-layer role (nullptr for global roles).
Tensor LayerWeights::*layer_member(Role r) {
  static constexpr Tensor LayerWeights::*kMembers[] = {nullptr,
                                                       nullptr,
                                                       nullptr,
                                                       &LayerWeights::attn_norm,
                                                       &LayerWeights::post_attn_norm,
                                                       &LayerWeights::pre_ffn_norm,
                                                       &LayerWeights::post_ffn_norm,
                                                       &LayerWeights::q,
                                                       &LayerWeights::k,
                                                       &LayerWeights::v,
                                                       &LayerWeights::o,
                                                       &LayerWeights::q_norm,
                                                       &LayerWeights::k_norm,
                                                       &LayerWeights::gate,
                                                       &LayerWeights::up,
                                                       &LayerWeights::down,
                                                       &LayerWeights::q_bias,
                                                       &LayerWeights::k_bias,
                                                       &LayerWeights::v_bias};
  static_assert(std::size(kMembers) == static_cast<std::size_t>(Role::Count));
  return kMembers[static_cast<std::size_t>(r)];
}

torch::ScalarType torch_dtype(DType d) {
  switch (d) {
    case DType::F32:
      return torch::kFloat32;
    case DType::F16:
      return torch::kFloat16;
    case DType::BF16:
      return torch::kBFloat16;
    default:
      break;
  }
  throw Error(fmt::format("no torch dtype for {}", dtype_name(d)), 1);
}

// HF LlamaRMSNorm (weight · normed, cast back first) or Gemma3RMSNorm ((1 + w) in float32).
Tensor rms_norm(const Tensor& x, const Tensor& w, double eps, bool offset_one) {
  const auto dtype = x.scalar_type();
  if (!at::GradMode::is_enabled() && dtype == w.scalar_type() &&
      (dtype == torch::kFloat32 || dtype == torch::kBFloat16))
    return rms_norm_rows(x, w, eps, offset_one);
  Tensor xf = x.to(torch::kFloat32);
  Tensor normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  if (offset_one) return (normed * (1.0 + w.to(torch::kFloat32))).to(dtype);
  return w * normed.to(dtype);
}

using detail::Rope;

Tensor inv_frequencies(const ModelConfig& c, double base, const RopeScaling& s, int64_t seq_len,
                       double* attn_factor) {
  const int64_t dim = c.rotary_dim();
  Tensor exponent =
      torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  Tensor inv = 1.0 / torch::pow(base, exponent);
  *attn_factor = 1.0;
  switch (s.type) {
    case RopeScalingType::None:
      break;
    case RopeScalingType::Linear:
      inv = inv / s.factor;
      break;
    case RopeScalingType::Llama3: {
      const double old_ctx = static_cast<double>(s.original_max_position_embeddings);
      const double low_wavelen = old_ctx / s.low_freq_factor,
                   high_wavelen = old_ctx / s.high_freq_factor;
      Tensor wavelen = 2 * std::numbers::pi / inv;
      Tensor scaled = torch::where(wavelen > low_wavelen, inv / s.factor, inv);
      Tensor smooth =
          (old_ctx / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
      Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
      inv = torch::where(medium, smoothed, scaled);
      break;
    }
    case RopeScalingType::LongRope: {
      const auto& f = seq_len > s.original_max_position_embeddings ? s.long_factor : s.short_factor;
      Tensor ext = torch::tensor(std::vector<float>(f.begin(), f.end()), torch::kFloat32);
      inv = 1.0 / (ext * torch::pow(base, exponent));
      if (s.factor > 1.0 && s.original_max_position_embeddings > 1)
        *attn_factor =
            std::sqrt(1 + std::log(s.factor) /
                              std::log(static_cast<double>(s.original_max_position_embeddings)));
      break;
    }
  }
  return inv;
}

Rope make_rope(const ModelConfig& c, double base, const RopeScaling& s, int64_t start, int64_t len,
               torch::ScalarType dtype) {
  double attn_factor = 1.0;
  Tensor inv = inv_frequencies(c, base, s, start + len, &attn_factor);
  Tensor pos = torch::arange(start, start + len, torch::kInt64).to(torch::kFloat32);
  Tensor freqs = torch::outer(pos, inv);
  Tensor emb = torch::cat({freqs, freqs}, -1);
  return {(emb.cos() * attn_factor).to(dtype), (emb.sin() * attn_factor).to(dtype)};
}

// The tables for [start, start + len): from the cache's tables when it has them (every entry
// depends only on its own position, so a slice equals a fresh table), computed otherwise.
Rope rope_for(const ModelConfig& c, double base, const RopeScaling& s, int64_t start, int64_t len,
              torch::ScalarType dtype, KVCache* cache, int which) {
  if (!cache || s.type == RopeScalingType::LongRope)
    return make_rope(c, base, s, start, len, dtype);
  const int64_t need = start + len;
  if (cache->rope_length < need || !cache->rope_cos[which].defined() ||
      cache->rope_cos[which].size(0) < need) {
    int64_t cap = std::max<int64_t>(cache->rope_length, 256);
    while (cap < need) cap *= 2;
    Rope r = make_rope(c, base, s, 0, cap, dtype);
    cache->rope_cos[which] = r.cos;
    cache->rope_sin[which] = r.sin;
    cache->rope_length = cap;
  }
  return {cache->rope_cos[which].narrow(0, start, len),
          cache->rope_sin[which].narrow(0, start, len)};
}

Tensor rotate_half(const Tensor& x) {
  const int64_t h = x.size(-1) / 2;
  return torch::cat(
      {-x.index({F::Ellipsis, F::Slice(h, F::None)}), x.index({F::Ellipsis, F::Slice(F::None, h)})},
      -1);
}

// x: [B, heads, T, head_dim]; the first rotary_dim features rotate, the rest pass (Phi-3 partial).
Tensor apply_rope(const Tensor& x, const Rope& r) {
  const int64_t rd = r.cos.size(-1);
  if (rd == x.size(-1)) return x * r.cos + rotate_half(x) * r.sin;
  Tensor rot = x.index({F::Ellipsis, F::Slice(F::None, rd)});
  Tensor pass = x.index({F::Ellipsis, F::Slice(rd, F::None)});
  return torch::cat({rot * r.cos + rotate_half(rot) * r.sin, pass}, -1);
}

// true where query (absolute position start + i) may not see key j.
Tensor blocked(int64_t start, int64_t len, int64_t keys, std::optional<int64_t> window) {
  Tensor qpos = torch::arange(start, start + len, torch::kInt64).unsqueeze(1);
  Tensor kpos = torch::arange(0, keys, torch::kInt64).unsqueeze(0);
  Tensor m = kpos > qpos;
  if (window) m = m.logical_or(qpos - kpos >= *window);
  return m;
}

Tensor activate(const Tensor& x, Activation a) {
  return a == Activation::Silu ? torch::silu(x) : torch::gelu(x, "tanh");
}

Tensor entropy(const Tensor& probs) {
  Tensor p = probs.to(torch::kFloat32).clamp(1e-12, 1.0);
  return -(p * p.log()).sum(-1);
}

struct LayerContext {
  const ModelConfig& c;
  const ArchSpec& a;
  Activation act;
  int64_t start;
  const Rope* rope;
  const Tensor* mask;             // [T, keys] true where blocked
  std::optional<int64_t> window;  // the mask's sliding window, if any
  bool fused;  // attention, MLP and RoPE kernels where they apply (TH_FUSED_KERNELS≠0)
  Capture* capture;
  KVCache* cache;
  int layer;
};

// Writes x [B, KV, T, hd] at positions [start, start + T) of the layer's buffer and returns
// positions [0, start + T).
Tensor append_to_cache(Tensor& buf, const Tensor& x, int64_t start) {
  const int64_t need = start + x.size(2);
  detail::reserve_cache(buf, x.size(0), x.size(1), x.size(3), start, need, x.options());
  buf.narrow(2, start, x.size(2)).copy_(x);
  return buf.narrow(2, 0, need);
}

Tensor attention(const LayerContext& ctx, const LayerWeights& lw, const Tensor& x) {
  const auto& c = ctx.c;
  const int64_t B = x.size(0), T = x.size(1), H = c.num_attention_heads, KV = c.num_key_value_heads,
                hd = c.head_dim;
  Tensor q = linear(x, lw.q, lw.q_bias), k = linear(x, lw.k, lw.k_bias);
  Tensor v = linear(x, lw.v, lw.v_bias).view({B, T, KV, hd}).transpose(1, 2);
  const Rope& rope = *ctx.rope;
  if (ctx.fused && rope_kernel_applies(q, rope.cos, rope.sin) &&
      rope_kernel_applies(k, rope.cos, rope.sin)) {
    const auto eps = static_cast<float>(c.rms_norm_eps);
    q = rope_heads(q, H, hd, lw.q_norm, eps, ctx.a.norm_offset_one, rope.cos, rope.sin);
    k = rope_heads(k, KV, hd, lw.k_norm, eps, ctx.a.norm_offset_one, rope.cos, rope.sin);
  } else {
    q = q.view({B, T, H, hd}).transpose(1, 2);
    k = k.view({B, T, KV, hd}).transpose(1, 2);
    if (lw.q_norm.defined()) q = rms_norm(q, lw.q_norm, c.rms_norm_eps, ctx.a.norm_offset_one);
    if (lw.k_norm.defined()) k = rms_norm(k, lw.k_norm, c.rms_norm_eps, ctx.a.norm_offset_one);
    q = apply_rope(q, rope);
    k = apply_rope(k, rope);
  }
  if (ctx.cache) {
    k = append_to_cache(ctx.cache->k[ctx.layer], k, ctx.start);
    v = append_to_cache(ctx.cache->v[ctx.layer], v, ctx.start);
  }
  const int64_t S = k.size(2), rep = H / KV;
  const double scaling = detail::attention_scaling(c);
  if (ctx.fused && !(ctx.capture && ctx.capture->want_attn_probs) &&
      fused_attention_applies(q, k, v)) {
    const bool ent = ctx.capture && ctx.capture->want_attn_entropy;
    AttentionOutput r =
        fused_attention({q, k, v, ctx.start, ctx.window, scaling, c.attn_logit_softcapping, ent});
    if (ent) ctx.capture->attn_entropy.push_back(r.entropy);
    return model::linear(r.out, lw.o);
  }
  // Grouped-query attention as one batched product per KV head: the rep = H / KV query heads
  // that share a KV head are stacked along the rows (HF's repeat_kv order), so keys and values
  // are never repeated.
  Tensor scores =
      model::matmul(q.reshape({B, KV, rep * T, hd}), k.transpose(2, 3)).view({B, H, T, S}) *
      scaling;
  if (c.attn_logit_softcapping)
    scores = torch::tanh(scores / *c.attn_logit_softcapping) * *c.attn_logit_softcapping;
  scores = scores.masked_fill(*ctx.mask, -std::numeric_limits<double>::infinity());
  Tensor probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  if (ctx.capture) {
    if (ctx.capture->want_attn_probs) ctx.capture->attn_probs.push_back(probs.to(torch::kFloat32));
    if (ctx.capture->want_attn_entropy) ctx.capture->attn_entropy.push_back(entropy(probs));
  }
  Tensor out = model::matmul(probs.reshape({B, KV, rep * T, S}), v)
                   .view({B, H, T, hd})
                   .transpose(1, 2)
                   .reshape({B, T, H * hd});
  return model::linear(out, lw.o);
}

// Per batch row: |a| < 0.1·(population std of that row's activations), as a fraction per token.
Tensor sparsity(const Tensor& a) {
  std::vector<Tensor> rows;
  for (int64_t b = 0; b < a.size(0); ++b) {
    Tensor f = a[b].to(torch::kFloat32);  // [T, I]
    Tensor thr = 0.1 * f.std(/*unbiased=*/false);
    rows.push_back((f.abs() < thr).to(torch::kFloat32).mean(-1));
  }
  return torch::stack(rows);
}

Tensor mlp(const LayerContext& ctx, const LayerWeights& lw, const Tensor& x) {
  const Tensor gate = model::linear(x, lw.gate), up = model::linear(x, lw.up);
  const bool fused = ctx.fused && mlp_kernels_apply(gate, up);
  const Tensor a = fused ? gated_activation(gate, up, ctx.act) : activate(gate, ctx.act) * up;
  if (ctx.capture && ctx.capture->want_mlp_act) ctx.capture->mlp_act.push_back(a.detach());
  if (ctx.capture && ctx.capture->want_mlp_sparsity)
    ctx.capture->mlp_sparsity.push_back(fused ? sparsity_f32(a) : sparsity(a.detach()));
  return model::linear(a, lw.down);
}

// Every layer in one thread team (layer_team.h) when each of them is one it takes: returns the
// last layer's output, the captures pushed as the layer-by-layer path pushes them.
std::optional<Tensor> layers_as_team(const std::vector<LayerContext>& ctxs, const Weights& w,
                                     const Tensor& h) {
  std::vector<LayerTeamInput> ins;
  for (const LayerContext& ctx : ctxs) {
    Capture* cap = ctx.capture;
    if (!ctx.fused || (cap && cap->want_attn_probs)) return std::nullopt;
    const auto& c = ctx.c;
    const auto l = static_cast<std::size_t>(ctx.layer);
    ins.push_back({.w = w.layers[l],
                   .heads = c.num_attention_heads,
                   .kv_heads = c.num_key_value_heads,
                   .head_dim = c.head_dim,
                   .intermediate = c.intermediate_size,
                   .eps = static_cast<float>(c.rms_norm_eps),
                   .offset_one = ctx.a.norm_offset_one,
                   .act = ctx.act,
                   .cos = ctx.rope->cos,
                   .sin = ctx.rope->sin,
                   .start = ctx.start,
                   .window = ctx.window,
                   .scaling = detail::attention_scaling(c),
                   .logit_softcap = c.attn_logit_softcapping,
                   .want_entropy = cap && cap->want_attn_entropy,
                   .want_act = cap && cap->want_mlp_act,
                   .want_sparsity = cap && cap->want_mlp_sparsity,
                   .keep_output = cap && cap->want_hidden,
                   .cache_k = ctx.cache ? &ctx.cache->k[l] : nullptr,
                   .cache_v = ctx.cache ? &ctx.cache->v[l] : nullptr});
    if (!layer_team_applies(h, ins.back())) return std::nullopt;
  }
  if (ins.empty()) return std::nullopt;
  const std::vector<LayerTeamOutput> outs = layers_team(h, ins);
  Capture* cap = ctxs.front().capture;
  for (std::size_t l = 0; cap && l < outs.size(); ++l) {
    if (cap->want_hidden) cap->hidden.push_back(l == 0 ? h.detach() : outs[l - 1].h);
    if (cap->want_attn_entropy) cap->attn_entropy.push_back(outs[l].entropy);
    if (cap->want_mlp_act) cap->mlp_act.push_back(outs[l].act);
    if (cap->want_mlp_sparsity) cap->mlp_sparsity.push_back(outs[l].sparsity);
  }
  return outs.back().h;
}

Tensor decoder_layer(const LayerContext& ctx, const LayerWeights& lw, Tensor h) {
  const double eps = ctx.c.rms_norm_eps;
  const bool off = ctx.a.norm_offset_one;
  Tensor x = attention(ctx, lw, rms_norm(h, lw.attn_norm, eps, off));
  if (lw.post_attn_norm.defined()) x = rms_norm(x, lw.post_attn_norm, eps, off);
  h = h + x;
  x = mlp(ctx, lw, rms_norm(h, lw.pre_ffn_norm, eps, off));
  if (lw.post_ffn_norm.defined()) x = rms_norm(x, lw.post_ffn_norm, eps, off);
  return h + x;
}

}  // namespace

namespace detail {

Rope rope_for(const ModelConfig& c, double base, const RopeScaling& s, int64_t start, int64_t len,
              torch::ScalarType dtype, KVCache* cache, int which) {
  return model::rope_for(c, base, s, start, len, dtype, cache, which);
}

void reserve_cache(Tensor& buf, int64_t B, int64_t kv, int64_t hd, int64_t start, int64_t need,
                   const torch::TensorOptions& options) {
  if (buf.defined() && buf.size(2) >= need) return;
  int64_t cap = buf.defined() ? buf.size(2) : 64;
  while (cap < need) cap *= 2;
  Tensor grown = torch::empty({B, kv, cap, hd}, options);
  if (buf.defined() && start > 0) grown.narrow(2, 0, start).copy_(buf.narrow(2, 0, start));
  buf = grown;
}

Tensor entropy(const Tensor& probs) {
  return model::entropy(probs);
}

Tensor sparsity(const Tensor& a) {
  return model::sparsity(a);
}

}  // namespace detail

void init_torch_threads() {
  // Torch's intra-op pool defaults to one thread here; two match the machine and OpenBLAS-OpenMP.
  static std::once_flag once;
  std::call_once(once, [] { at::set_num_threads(2); });
}

Weights load_weights(const ModelConfig& c, const ArchSpec& a, const WeightStore& ws,
                     torch::ScalarType compute_dtype, bool share_mapping) {
  init_torch_threads();
  const auto roles = resolve_roles(c, a, ws);
  Weights w;
  w.layers.resize(static_cast<std::size_t>(c.num_hidden_layers));
  for (const auto& r : roles) {
    if (r.tied) {
      w.lm_head = w.embed;
      continue;
    }
    const auto& v = *r.view;
    Tensor t = torch::from_blob(const_cast<std::byte*>(v.bytes.data()), v.shape,
                                torch::TensorOptions().dtype(torch_dtype(v.dtype)));
    if (r.fused) t = t.narrow(0, r.row_offset, r.shape[0]);
    // BF16 matrices stay BF16 under float32 compute too: the products widen them block by
    // block (exactly), so a BF16 checkpoint costs its file size, not twice that.
    const bool bf16_matrix =
        t.scalar_type() == torch::kBFloat16 && t.dim() == 2 && compute_dtype == torch::kFloat32;
    if (!share_mapping || (t.scalar_type() != compute_dtype && !bf16_matrix))
      t = t.to(compute_dtype, /*non_blocking=*/false, /*copy=*/true).contiguous();
    if (r.layer < 0) {
      (r.role == Role::Embed ? w.embed : r.role == Role::FinalNorm ? w.final_norm : w.lm_head) = t;
    } else {
      w.layers[static_cast<std::size_t>(r.layer)].*layer_member(r.role) = t;
    }
  }
  return w;
}

void logits_columns(const ModelConfig& c, const Weights& w, const Tensor& h, int64_t v0, int64_t v1,
                    Tensor& out) {
  const Tensor rows = w.lm_head.narrow(0, v0, v1 - v0);
  const std::optional<double> cap = c.final_logit_softcapping;
  // The float32 product in place (bf16 h widens exactly).
  model::linear_out(out, h.to(torch::kFloat32).contiguous(), rows);
  if (h.scalar_type() == torch::kFloat32) {
    if (cap) out.div_(*cap).tanh_().mul_(*cap);
    return;
  }
  // bfloat16 as HF computes it: the float32 sums rounded once to bf16, soft-capped in bf16 (each
  // operation rounding), widened back — done in place a few MB of rows at a time, so no bf16
  // [T, V] copy and no float32 temporary per block exist beside the output.
  const int64_t n = out.size(0),
                step = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, out.size(1)));
  for (int64_t r0 = 0; r0 < n; r0 += step) {
    Tensor part = out.narrow(0, r0, std::min(step, n - r0));
    Tensor b = part.to(torch::kBFloat16);
    if (cap) b = torch::tanh(b / *cap) * *cap;
    part.copy_(b);
  }
}

Tensor forward(const ModelConfig& c, const ArchSpec& a, const Weights& w, const Tensor& tokens,
               Capture* capture, KVCache* cache) {
  init_torch_threads();
  // A single-token step over a cache (generate() after the prompt) has its own path; the
  // conditions under which it does not apply are a table in decode_step.cpp.
  if (!decode_fallback_reason(c, w, tokens, capture, cache))
    return decode_step(c, a, w, tokens[0][0].item<int64_t>(), capture, *cache);
  // The norms always hold the compute dtype; matrices may stay BF16 (see load_weights).
  const auto dtype = w.final_norm.scalar_type();
  const int64_t T = tokens.size(1);
  const int64_t start = cache ? cache->length : 0;
  if (cache && cache->k.empty()) {
    cache->k.resize(w.layers.size());
    cache->v.resize(w.layers.size());
  }
  Tensor h = torch::embedding(w.embed, tokens).to(dtype);
  if (a.embed_scale_sqrt_hidden)
    h = h * torch::scalar_tensor(std::sqrt(static_cast<double>(c.hidden_size)), torch::kFloat32)
                .to(dtype);

  const Rope global = rope_for(c, c.rope_theta, c.rope_scaling, start, T, dtype, cache, 0);
  const Rope local = a.local_rope_base ? rope_for(c, c.rope_local_base_freq, RopeScaling{}, start,
                                                  T, dtype, cache, 1)
                                       : global;
  Tensor global_mask, local_mask;  // made for the layer-by-layer path only (the team needs none)
  const Activation act = resolve_activation(c, a);
  // TH_FUSED_KERNELS=0 keeps every layer on torch's operations (tests compare the two).
  const char* fused_env = std::getenv("TH_FUSED_KERNELS");
  const bool fused = !(fused_env && std::string_view(fused_env) == "0");
  const bool want_hidden = capture && capture->want_hidden;
  std::vector<LayerContext> ctxs;
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const bool sliding = c.is_sliding[l];
    ctxs.push_back({c, a, act, start, sliding ? &local : &global,
                    sliding ? &local_mask : &global_mask, sliding ? c.sliding_window : std::nullopt,
                    fused, capture, cache, static_cast<int>(l)});
  }
  if (auto out = layers_as_team(ctxs, w, h)) {
    h = *out;
  } else {
    global_mask = blocked(start, T, start + T, std::nullopt);
    local_mask = c.sliding_window ? blocked(start, T, start + T, c.sliding_window) : global_mask;
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
      if (want_hidden) capture->hidden.push_back(h.detach());
      h = decoder_layer(ctxs[l], w.layers[l], h);
    }
  }
  h = rms_norm(h, w.final_norm, c.rms_norm_eps, a.norm_offset_one);
  if (want_hidden) capture->hidden.push_back(h.detach());
  if (cache) cache->length += T;
  if (capture && !capture->want_logits) return {};
  if (capture && capture->last_logits_only) h = h.narrow(1, T - 1, 1);
  const Tensor& into = capture ? capture->logits_into : Tensor();
  if (into.defined() && !at::GradMode::is_enabled()) {
    // Straight into the caller's buffer: the [T, vocab] logits are the largest capture.
    Tensor rows = into.view({-1, into.size(-1)});
    logits_columns(c, w, h.reshape({-1, h.size(-1)}), 0, rows.size(1), rows);
    return into;
  }
  Tensor logits = model::linear(h, w.lm_head);
  if (c.final_logit_softcapping) {
    const double cap = *c.final_logit_softcapping;
    logits = torch::tanh(logits / cap) * cap;
  }
  if (into.defined()) {
    into.copy_(logits);
    return into;
  }
  return logits;
}

}  // namespace th::model
