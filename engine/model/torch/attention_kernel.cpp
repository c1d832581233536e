#include "model/torch/attention_kernel.h"

#include <ATen/Parallel.h>
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/torch/vector_math.h"

namespace th::model {
namespace {

using torch::Tensor;

// Query rows per block: a block's score tile (kBlock × its keys) stays in L2 between the two
// products even for 512 keys, and 64 rows keep sgemm efficient.
constexpr int64_t kBlock = 64;

// One (batch, head, block of query rows) work item.
struct Item {
  int64_t b, h, i0, i1;
};

struct Shape {
  int64_t B, H, KV, T, S, hd;
};

// The keys query row i may see: [lo, hi).
struct Keys {
  int64_t lo, hi;
};

Keys keys_of(const AttentionInput& in, int64_t i) {
  const int64_t p = in.start + i;
  return {in.window ? std::max<int64_t>(0, p - *in.window + 1) : 0, p + 1};
}

// Softmax of row[0, n) in place, returning its entropy. With gap_j = m − s_j ≥ 0 (m the row's
// largest score), e_j = exp(−gap_j) and Z = Σ e_j: −Σ p_j ln p_j = ln Z + Σ e_j·gap_j / Z, a sum
// of non-negative terms (no cancellation), one exp per key and one log per row.
float softmax_span_scalar(float* row, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, row[j]);
  float z = 0, weighted_gap = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float gap = m - row[j], e = std::exp(-gap);
    z += e;
    weighted_gap += e * gap;
    row[j] = e;
  }
  const float inv = 1.0f / z;
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
  return std::log(z) + weighted_gap * inv;
}

// e = exp(−gap), gap = m − x, for the lanes in `keep` of p[0, 8): e stored over x, added to z,
// e·gap added to wg.
__attribute__((target("avx2,fma"))) inline void exp_gaps(float* p, __m256 m, __m256 keep, __m256& z,
                                                         __m256& wg) {
  const __m256i k = _mm256_castps_si256(keep);
  const __m256 gap = _mm256_and_ps(_mm256_sub_ps(m, _mm256_maskload_ps(p, k)), keep);
  const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_setzero_ps(), gap)), keep);
  z = _mm256_add_ps(z, e);
  wg = _mm256_fmadd_ps(e, gap, wg);
  _mm256_maskstore_ps(p, k, e);
}

// The same over 8 lanes (exp8), the last partial block masked.
__attribute__((target("avx2,fma"))) float softmax_span_avx2(float* row, int64_t n) {
  const int64_t n8 = n & ~int64_t{7};
  const __m256i tail = _mm256_castps_si256(first_lanes(n - n8));
  const __m256 neg_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 mv = neg_inf;
  for (int64_t j = 0; j < n8; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(row + j));
  mv = _mm256_max_ps(
      mv, _mm256_blendv_ps(neg_inf, _mm256_maskload_ps(row + n8, tail), _mm256_castsi256_ps(tail)));
  const __m256 m = _mm256_set1_ps(hmax8(mv));
  __m256 z = _mm256_setzero_ps(), wg = z;
  const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  for (int64_t j = 0; j < n8; j += 8) exp_gaps(row + j, m, all, z, wg);
  exp_gaps(row + n8, m, _mm256_castsi256_ps(tail), z, wg);
  const float zs = hsum8(z), inv = 1.0f / zs;
  const __m256 iv = _mm256_set1_ps(inv);
  for (int64_t j = 0; j < n8; j += 8)
    _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), iv));
  _mm256_maskstore_ps(row + n8, tail, _mm256_mul_ps(_mm256_maskload_ps(row + n8, tail), iv));
  return std::log(zs) + hsum8(wg) * inv;
}

// Masks, softcaps and softmaxes one row of the tile in place (masked lanes become 0) and returns
// its entropy.
float softmax_row(float* row, int64_t n, int64_t lo, int64_t hi, std::optional<double> softcap) {
  std::fill(row, row + lo, 0.0f);
  std::fill(row + hi, row + n, 0.0f);
  if (softcap) {
    const float cap = static_cast<float>(*softcap);
    for (int64_t j = lo; j < hi; ++j) row[j] = std::tanh(row[j] / cap) * cap;
  }
  return has_avx2_fma() ? softmax_span_avx2(row + lo, hi - lo)
                        : softmax_span_scalar(row + lo, hi - lo);
}

// The inputs as raw rows: q [B, H, T, hd] contiguous; k and v with contiguous rows, their
// [batch, head] strides alongside (a size-1 dim's stride is whatever torch left there).
struct Operands {
  const float *q, *k, *v;
  int64_t k_batch, k_head, v_batch, v_head;
};

void run_item(const AttentionInput& in, const Shape& s, const Item& it, const Operands& x,
              float* out, float* entropy, std::vector<float>& tile) {
  const int64_t g = it.h / (s.H / s.KV), rows = it.i1 - it.i0;
  const int64_t klo = keys_of(in, it.i0).lo, khi = keys_of(in, it.i1 - 1).hi, n = khi - klo;
  tile.assign(static_cast<std::size_t>(rows * n), 0.0f);
  const float* qb = x.q + ((it.b * s.H + it.h) * s.T + it.i0) * s.hd;
  const float* kb = x.k + it.b * x.k_batch + g * x.k_head + klo * s.hd;
  const float* vb = x.v + it.b * x.v_batch + g * x.v_head + klo * s.hd;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(n),
              static_cast<int>(s.hd), static_cast<float>(in.scaling), qb, static_cast<int>(s.hd),
              kb, static_cast<int>(s.hd), 1.0f, tile.data(), static_cast<int>(n));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = it.i0 + r;
    const Keys ks = keys_of(in, i);
    float* row = tile.data() + r * n;
    const float e = softmax_row(row, n, ks.lo - klo, ks.hi - klo, in.logit_softcap);
    if (entropy) entropy[(it.b * s.H + it.h) * s.T + i] = e;
  }
  float* ob = out + (it.b * s.T + it.i0) * s.H * s.hd + it.h * s.hd;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows),
              static_cast<int>(s.hd), static_cast<int>(n), 1.0f, tile.data(), static_cast<int>(n),
              vb, static_cast<int>(s.hd), 0.0f, ob, static_cast<int>(s.H * s.hd));
}

}  // namespace

bool fused_attention_applies(const Tensor& q, const Tensor& k, const Tensor& v) {
  const auto f32_cpu = [](const Tensor& t) {
    return t.dim() == 4 && t.scalar_type() == torch::kFloat32 && t.device().is_cpu();
  };
  return f32_cpu(q) && f32_cpu(k) && f32_cpu(v) && !at::GradMode::is_enabled() && k.size(1) > 0 &&
         q.size(1) % k.size(1) == 0 && k.sizes() == v.sizes();
}

namespace {

// Cache views are [B, KV, capacity, hd] narrowed to S rows: each head's rows are contiguous.
bool rows_contiguous(const Tensor& t) {
  return t.stride(3) == 1 && (t.size(2) == 1 || t.stride(2) == t.size(3));
}

}  // namespace

struct AttentionItems::Plan {
  AttentionInput in;
  Shape s;
  Operands ops;
  float *out, *entropy;
  std::vector<Item> items;
};

AttentionItems::AttentionItems(const AttentionInput& in, float* out, float* entropy)
    : p_(std::make_unique<Plan>()) {
  const Tensor &q = in.q, &k = in.k, &v = in.v;
  p_->in = in;
  p_->s = {q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3)};
  p_->ops = {q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), k.stride(0),
             k.stride(1),         v.stride(0),         v.stride(1)};
  p_->out = out;
  p_->entropy = entropy;
  // Later blocks see more keys: handed out largest first, one at a time, so the threads end
  // together (a static split would give one thread the whole lower triangle's heavy half).
  const Shape& sh = p_->s;
  for (int64_t i0 = ((sh.T - 1) / kBlock) * kBlock; i0 >= 0; i0 -= kBlock)
    for (int64_t b = 0; b < sh.B; ++b)
      for (int64_t h = 0; h < sh.H; ++h)
        p_->items.push_back({b, h, i0, std::min(sh.T, i0 + kBlock)});
}

AttentionItems::~AttentionItems() = default;

int64_t AttentionItems::size() const {
  return static_cast<int64_t>(p_->items.size());
}

void AttentionItems::run(int64_t i, std::vector<float>& tile) const {
  run_item(p_->in, p_->s, p_->items[static_cast<std::size_t>(i)], p_->ops, p_->out, p_->entropy,
           tile);
}

AttentionOutput fused_attention(const AttentionInput& in) {
  AttentionInput ready = in;
  ready.q = in.q.contiguous();
  ready.k = rows_contiguous(in.k) ? in.k : in.k.contiguous();  // anything else is made so
  ready.v = rows_contiguous(in.v) ? in.v : in.v.contiguous();
  const int64_t B = ready.q.size(0), H = ready.q.size(1), T = ready.q.size(2), hd = ready.q.size(3);
  AttentionOutput o;
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  o.out = torch::empty({B, T, H * hd}, f32);
  if (in.want_entropy) o.entropy = torch::empty({B, H, T}, f32);
  const AttentionItems items(ready, o.out.data_ptr<float>(),
                             in.want_entropy ? o.entropy.data_ptr<float>() : nullptr);
  const int64_t n_items = items.size();
#pragma omp parallel num_threads(std::max(1, at::get_num_threads()))
  {
    std::vector<float> tile;
#pragma omp for schedule(dynamic, 1)
    for (int64_t x = 0; x < n_items; ++x) items.run(x, tile);
  }
  return o;
}

}  // namespace th::model
