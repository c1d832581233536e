#include "model/torch/mlp_kernel.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "model/torch/kernels.h"
#include "model/torch/vector_math.h"

namespace th::model {
namespace {

using torch::Tensor;

// torch's constants for tanh-GELU: inner = β·(x + κ·x³).
constexpr float kBeta = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
constexpr float kKappa = 0.044715f;

// x / (1 + e^(−z)), z = 2·inner (GELU) or x (SiLU).
float gated_scalar(float g, float u, Activation act) {
  const float z = act == Activation::Silu ? g : 2.0f * kBeta * (g + kKappa * g * g * g);
  return g / (1.0f + std::exp(-z)) * u;
}

__attribute__((target("avx2,fma"))) void gated_avx2(const float* g, const float* u, float* out,
                                                    int64_t n, Activation act) {
  const __m256 one = _mm256_set1_ps(1.0f), kappa = _mm256_set1_ps(kKappa),
               two_beta = _mm256_set1_ps(2.0f * kBeta), sign = _mm256_set1_ps(-0.0f);
  const int64_t n8 = n & ~int64_t{7};
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    __m256 z = x;
    if (act != Activation::Silu) {
      const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      z = _mm256_mul_ps(two_beta, _mm256_fmadd_ps(kappa, cube, x));
    }
    const __m256 e = exp8(_mm256_xor_ps(z, sign));
    const __m256 a = _mm256_div_ps(x, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(a, _mm256_loadu_ps(u + i)));
  }
  for (int64_t i = n8; i < n; ++i) out[i] = gated_scalar(g[i], u[i], act);
}

RowMoments moments_scalar(const float* x, int64_t b, int64_t e, double k) {
  RowMoments m{k, 0, 0};
  for (int64_t i = b; i < e; ++i) {
    const double d = x[i] - k;
    m.s1 += d;
    m.s2 += d * d;
  }
  return m;
}

__attribute__((target("avx2,fma"))) RowMoments moments_avx2(const float* x, int64_t n) {
  const double k = x[0];
  const __m256d kv = _mm256_set1_pd(k);
  __m256d s1a = _mm256_setzero_pd(), s1b = s1a, s2a = s1a, s2b = s1a;
  const int64_t n8 = n & ~int64_t{7};
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256d a = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), kv);
    const __m256d b = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), kv);
    s1a = _mm256_add_pd(s1a, a);
    s1b = _mm256_add_pd(s1b, b);
    s2a = _mm256_fmadd_pd(a, a, s2a);
    s2b = _mm256_fmadd_pd(b, b, s2b);
  }
  alignas(32) double l1[4], l2[4];
  _mm256_store_pd(l1, _mm256_add_pd(s1a, s1b));
  _mm256_store_pd(l2, _mm256_add_pd(s2a, s2b));
  const RowMoments tail = moments_scalar(x, n8, n, k);
  return {k, (l1[0] + l1[1]) + (l1[2] + l1[3]) + tail.s1,
          (l2[0] + l2[1]) + (l2[2] + l2[3]) + tail.s2};
}

int64_t count_below_scalar(const float* x, int64_t b, int64_t e, float thr) {
  int64_t c = 0;
  for (int64_t i = b; i < e; ++i) c += std::fabs(x[i]) < thr ? 1 : 0;
  return c;
}

__attribute__((target("avx2,fma"))) int64_t count_below_avx2(const float* x, int64_t n, float thr) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)),
               t = _mm256_set1_ps(thr);
  const int64_t n8 = n & ~int64_t{7};
  int64_t c = 0;
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), abs_mask);
    c += __builtin_popcount(
        static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, t, _CMP_LT_OQ))));
  }
  return c + count_below_scalar(x, n8, n, thr);
}

}  // namespace

void gated_row(const float* gate, const float* up, float* out, int64_t n, Activation act) {
  if (has_avx2_fma()) {
    gated_avx2(gate, up, out, n, act);
    return;
  }
  for (int64_t i = 0; i < n; ++i) out[i] = gated_scalar(gate[i], up[i], act);
}

bool mlp_kernels_apply(const Tensor& gate, const Tensor& up) {
  return f32_even_rows(gate) && f32_even_rows(up) && gate.sizes() == up.sizes() &&
         gate.strides() == up.strides() && !at::GradMode::is_enabled();
}

Tensor gated_activation(const Tensor& gate, const Tensor& up, Activation act) {
  const int64_t I = gate.size(2), ld = gate.stride(1);
  Tensor out = torch::empty(gate.sizes(), gate.options());
  const float *g = gate.data_ptr<float>(), *u = up.data_ptr<float>();
  float* o = out.data_ptr<float>();
  const int64_t grain = row_grain(I);
  at::parallel_for(0, gate.size(0) * gate.size(1), grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) gated_row(g + r * ld, u + r * ld, o + r * I, I, act);
  });
  return out;
}

RowMoments row_moments(const float* x, int64_t n) {
  return has_avx2_fma() ? moments_avx2(x, n) : moments_scalar(x, 0, n, x[0]);
}

float sparsity_threshold(const RowMoments* rows, int64_t count, int64_t n) {
  // The rows' (mean, M2) merged pairwise in order (Chan et al.): the population variance of all
  // count·n values.
  double seen = 0, mean = 0, m2 = 0;
  const double ni = static_cast<double>(n);
  for (int64_t r = 0; r < count; ++r) {
    const RowMoments& m = rows[r];
    const double row_mean = m.shift + m.s1 / ni, row_m2 = m.s2 - m.s1 * m.s1 / ni;
    const double tot = seen + ni, delta = row_mean - mean;
    mean += delta * ni / tot;
    m2 += row_m2 + delta * delta * seen * ni / tot;
    seen = tot;
  }
  // As torch computes 0.1 · std on a float32 tensor: the std in float, times 0.1 in float.
  return static_cast<float>(std::sqrt(m2 / seen)) * 0.1f;
}

float fraction_below(const float* x, int64_t n, float thr) {
  const int64_t c = has_avx2_fma() ? count_below_avx2(x, n, thr) : count_below_scalar(x, 0, n, thr);
  return static_cast<float>(c) / static_cast<float>(n);
}

Tensor sparsity_f32(const Tensor& a) {
  const int64_t B = a.size(0), T = a.size(1), I = a.size(2);
  Tensor out = torch::empty({B, T}, torch::kFloat32);
  const int64_t grain = row_grain(I);
  std::vector<RowMoments> rows(static_cast<std::size_t>(T));
  for (int64_t b = 0; b < B; ++b) {
    const float* base = a.data_ptr<float>() + b * T * I;
    at::parallel_for(0, T, grain, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t)
        rows[static_cast<std::size_t>(t)] = row_moments(base + t * I, I);
    });
    const float thr = sparsity_threshold(rows.data(), T, I);
    float* o = out.data_ptr<float>() + b * T;
    at::parallel_for(0, T, grain, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) o[t] = fraction_below(base + t * I, I, thr);
    });
  }
  return out;
}

}  // namespace th::model
