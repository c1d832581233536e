#include "model/torch/layer_team.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "model/torch/attention_kernel.h"
#include "model/torch/kernels.h"
#include "model/torch/mlp_kernel.h"
#include "model/torch/rope_kernel.h"
#include "model/torch/team.h"
#include "model/torch/transformer_detail.h"

namespace th::model {
namespace {

using torch::Tensor;

bool cpu_f32(const Tensor& t) {
  return t.scalar_type() == torch::kFloat32 && t.device().is_cpu() && t.is_contiguous();
}

bool matrix(const Tensor& w, int64_t rows, int64_t cols) {
  return raw_matrix(w) && w.size(0) == rows && w.size(1) == cols;
}

// A norm or bias of n values, or none (when `optional`).
bool vec(const Tensor& t, int64_t n, bool optional) {
  if (!t.defined()) return optional;
  return t.dim() == 1 && t.size(0) == n && cpu_f32(t);
}

bool cache_ok(const Tensor* buf, int64_t B, int64_t kv, int64_t hd) {
  return !buf || !buf->defined() ||
         (cpu_f32(*buf) && buf->dim() == 4 && buf->size(0) == B && buf->size(1) == kv &&
          buf->size(3) == hd);
}

const float* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<float>() : nullptr;
}

// Output columns split among the team in multiples of 16 (whole cache lines of the outputs).
std::pair<int64_t, int64_t> columns(int64_t n, int tid, int nt) {
  return share(n, tid, nt, 16);
}

}  // namespace

bool layer_team_applies(const Tensor& h, const LayerTeamInput& in) {
  if (!cpu_f32(h) || h.dim() != 3 || at::GradMode::is_enabled() || h.size(0) * h.size(1) <= 2)
    return false;
  const LayerWeights& w = in.w;
  const int64_t B = h.size(0), T = h.size(1), D = h.size(2), H = in.heads, KV = in.kv_heads,
                hd = in.head_dim, I = in.intermediate;
  const bool rope = cpu_f32(in.cos) && cpu_f32(in.sin) && in.cos.dim() == 2 &&
                    in.cos.sizes() == in.sin.sizes() && in.cos.size(0) == T &&
                    in.cos.size(1) % 2 == 0 && in.cos.size(1) <= hd;
  return KV > 0 && H % KV == 0 && rope && matrix(w.q, H * hd, D) && matrix(w.k, KV * hd, D) &&
         matrix(w.v, KV * hd, D) && matrix(w.o, D, H * hd) && matrix(w.gate, I, D) &&
         matrix(w.up, I, D) && matrix(w.down, D, I) && vec(w.attn_norm, D, false) &&
         vec(w.pre_ffn_norm, D, false) && vec(w.post_attn_norm, D, true) &&
         vec(w.post_ffn_norm, D, true) && vec(w.q_norm, hd, true) && vec(w.k_norm, hd, true) &&
         vec(w.q_bias, H * hd, true) && vec(w.k_bias, KV * hd, true) &&
         vec(w.v_bias, KV * hd, true) && (in.cache_k == nullptr) == (in.cache_v == nullptr) &&
         cache_ok(in.cache_k, B, KV, hd) && cache_ok(in.cache_v, B, KV, hd);
}

namespace {

// One layer's tensors and raw views, made before the team starts.
struct Prepared {
  const LayerTeamInput* in;
  LayerTeamOutput out;
  Tensor k_buf, v_buf;  // the cache's buffers, or this pass's own
  int64_t off;          // position of token 0 in them
  std::unique_ptr<AttentionItems> items;
  RopeRows q_rope, k_rope;
  std::atomic<int64_t> next_item{0};
};

}  // namespace

std::vector<LayerTeamOutput> layers_team(const Tensor& h, const std::vector<LayerTeamInput>& ins) {
  if (ins.empty()) return {};
  const LayerTeamInput& first = ins.front();
  const int64_t B = h.size(0), T = h.size(1), D = h.size(2), M = B * T, H = first.heads,
                KV = first.kv_heads, hd = first.head_dim, I = first.intermediate, Nq = H * hd,
                Nk = KV * hd, ld = Nq + 2 * Nk;
  const auto f32 = h.options();
  // Shared by the layers in turn (each is done with them before the next writes them).
  Tensor q = torch::empty({B, H, T, hd}, f32);
  std::vector<float> xn(static_cast<std::size_t>(M * D)), qkv(static_cast<std::size_t>(M * ld)),
      attn(static_cast<std::size_t>(M * Nq)), y(xn.size()), h1(xn.size());
  std::vector<RowMoments> moments(static_cast<std::size_t>(M));
  // What neither a capture nor the cache keeps is shared: one activation buffer, one pair of
  // key and value buffers, two outputs in turn (each made at its first use).
  Tensor act_shared, kv_shared[2], h_turn[2];
  const auto shared = [](Tensor& t, auto make) -> const Tensor& {
    if (!t.defined()) t = make();
    return t;
  };
  std::vector<Prepared> layers(ins.size());
  for (std::size_t l = 0; l < ins.size(); ++l) {
    const LayerTeamInput& in = ins[l];
    Prepared& p = layers[l];
    p.in = &in;
    if (in.cache_k) {
      detail::reserve_cache(*in.cache_k, B, KV, hd, in.start, in.start + T, f32);
      detail::reserve_cache(*in.cache_v, B, KV, hd, in.start, in.start + T, f32);
      p.k_buf = *in.cache_k;
      p.v_buf = *in.cache_v;
      p.off = in.start;
    } else {
      const auto own_kv = [&] { return torch::empty({B, KV, T, hd}, f32); };
      p.k_buf = shared(kv_shared[0], own_kv);
      p.v_buf = shared(kv_shared[1], own_kv);
      p.off = 0;
    }
    const auto own_h = [&] { return torch::empty_like(h); };
    const auto own_act = [&] { return torch::empty({B, T, I}, f32); };
    p.out.h = in.keep_output ? own_h() : shared(h_turn[l % 2], own_h);
    p.out.act = in.want_act ? own_act() : shared(act_shared, own_act);
    if (in.want_entropy) p.out.entropy = torch::empty({B, H, T}, f32);
    if (in.want_sparsity) p.out.sparsity = torch::empty({B, T}, f32);
    p.items = std::make_unique<AttentionItems>(
        AttentionInput{q, p.k_buf.narrow(2, 0, p.off + T), p.v_buf.narrow(2, 0, p.off + T),
                       in.start, in.window, in.scaling, in.logit_softcap, false},
        attn.data(), in.want_entropy ? p.out.entropy.data_ptr<float>() : nullptr);
    const RopeRows rope{.x = qkv.data(),
                        .ld = ld,
                        .T = T,
                        .n = H,
                        .hd = hd,
                        .norm = ptr(in.w.q_norm),
                        .eps = in.eps,
                        .offset_one = in.offset_one,
                        .cos = ptr(in.cos),
                        .sin = ptr(in.sin),
                        .rd = in.cos.size(1),
                        .out = q.data_ptr<float>(),
                        .cap = T,
                        .off = 0};
    p.q_rope = rope;
    p.k_rope = rope;  // the k heads: after q's columns, into the key buffer from `off`
    p.k_rope.x = qkv.data() + Nq;
    p.k_rope.n = KV;
    p.k_rope.norm = ptr(in.w.k_norm);
    p.k_rope.out = p.k_buf.data_ptr<float>();
    p.k_rope.cap = p.k_buf.size(2);
    p.k_rope.off = p.off;
  }
  SpinBarrier barrier;
#pragma omp parallel num_threads(std::max(1, at::get_num_threads()))
  {
    const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    thread_local std::vector<float> up_buf, row_buf, tile;
    // Every phase over rows takes the same rows on a thread, so a layer's last phase and the
    // next layer's first meet no barrier: each thread reads only the rows it wrote.
    const auto [r0, r1] = share(M, tid, nt);
    const auto [d0, d1] = columns(D, tid, nt);
    const auto [u0, u1] = columns(I, tid, nt);
    const int64_t unit_chunk = product_chunk_rows(D);
    float* row = grown(row_buf, D);
    const float* hp = h.data_ptr<float>();
    for (Prepared& p : layers) {
      const LayerTeamInput& in = *p.in;
      const LayerWeights& w = in.w;
      // xn = norm(src) over this thread's rows.
      const auto norm_rows = [&](const float* src, const Tensor& norm) {
        for (int64_t r = r0; r < r1; ++r)
          rms_norm_row(src + r * D, ptr(norm), xn.data() + r * D, D, in.eps, in.offset_one, false);
      };
      // dst = base + post_norm(y) over this thread's rows (y itself without a post-norm).
      const auto residual_rows = [&](const float* base, const Tensor& post, float* dst) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* yr = y.data() + r * D;
          if (post.defined()) {
            rms_norm_row(yr, ptr(post), row, D, in.eps, in.offset_one, false);
            yr = row;
          }
          for (int64_t i = 0; i < D; ++i) dst[r * D + i] = base[r * D + i] + yr[i];
        }
      };
      // 1.
      norm_rows(hp, w.attn_norm);
      barrier.wait(nt);
      // 2.
      const struct {
        const Tensor &m, &bias;
        int64_t col, n;
      } projections[] = {
          {w.q, w.q_bias, 0, Nq}, {w.k, w.k_bias, Nq, Nk}, {w.v, w.v_bias, Nq + Nk, Nk}};
      for (const auto& pr : projections) {
        const auto [n0, n1] = columns(pr.n, tid, nt);
        float* dst = qkv.data() + pr.col;
        product_rows(xn.data(), M, D, pr.m, n0, n1, dst + n0, ld);
        if (const float* bias = ptr(pr.bias))
          for (int64_t r = 0; r < M; ++r)
            for (int64_t n = n0; n < n1; ++n) dst[r * ld + n] += bias[n];
      }
      barrier.wait(nt);
      // 3.
      rope_rows(p.q_rope, r0, r1);
      rope_rows(p.k_rope, r0, r1);
      float* vp = p.v_buf.data_ptr<float>();
      const int64_t v_cap = p.v_buf.size(2);
      for (int64_t i = r0; i < r1; ++i) {
        const int64_t b = i / T, t = i % T;
        for (int64_t g = 0; g < KV; ++g)
          std::memcpy(vp + ((b * KV + g) * v_cap + p.off + t) * hd,
                      qkv.data() + i * ld + Nq + Nk + g * hd, static_cast<std::size_t>(hd) * 4);
      }
      barrier.wait(nt);
      // 4.
      const int64_t n_items = p.items->size();
      for (int64_t x = p.next_item.fetch_add(1); x < n_items; x = p.next_item.fetch_add(1))
        p.items->run(x, tile);
      barrier.wait(nt);
      // 5.
      product_rows(attn.data(), M, Nq, w.o, d0, d1, y.data() + d0, D);
      barrier.wait(nt);
      // 6.
      residual_rows(hp, w.post_attn_norm, h1.data());
      norm_rows(h1.data(), w.pre_ffn_norm);
      barrier.wait(nt);
      // 7.
      // The gate product goes straight into a's columns and is activated there in place.
      float* ap = p.out.act.data_ptr<float>();
      // Units in product_rows' chunks, so `up` stays as small as its widened weights.
      for (int64_t c0 = u0; c0 < u1; c0 += unit_chunk) {
        const int64_t c1 = std::min(u1, c0 + unit_chunk), nc = c1 - c0;
        float* u = grown(up_buf, M * nc);
        product_rows(xn.data(), M, D, w.gate, c0, c1, ap + c0, I);
        product_rows(xn.data(), M, D, w.up, c0, c1, u, nc);
        for (int64_t r = 0; r < M; ++r)
          gated_row(ap + r * I + c0, u + r * nc, ap + r * I + c0, nc, in.act);
      }
      barrier.wait(nt);
      // 8.
      product_rows(ap, M, I, w.down, d0, d1, y.data() + d0, D);
      if (in.want_sparsity)
        for (int64_t r = r0; r < r1; ++r) moments[r] = row_moments(ap + r * I, I);
      barrier.wait(nt);
      // 9.
      float* op = p.out.h.data_ptr<float>();
      residual_rows(h1.data(), w.post_ffn_norm, op);
      hp = op;
      if (in.want_sparsity) {
        // Every thread merges each batch row's moments in the same order: the same threshold.
        float* sp = p.out.sparsity.data_ptr<float>();
        for (int64_t b = 0; b < B; ++b) {
          const int64_t lo = std::max(r0, b * T), hi = std::min(r1, (b + 1) * T);
          if (lo >= hi) continue;
          const float thr = sparsity_threshold(moments.data() + b * T, T, I);
          for (int64_t r = lo; r < hi; ++r) sp[r] = fraction_below(ap + r * I, I, thr);
        }
      }
    }
  }
  std::vector<LayerTeamOutput> outs;
  for (Prepared& p : layers) outs.push_back(std::move(p.out));
  return outs;
}

}  // namespace th::model
