#include "model/torch/kernels.h"

#include <ATen/Parallel.h>
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "model/torch/team.h"
#include "model/torch/vector_math.h"

namespace th::model {
namespace {

using torch::Tensor;

// Under bfloat16 activations BF16 weights are widened in blocks of up to 4M values (16 MB of
// float32), each block one torch::mm: fewer and larger blocks pack x fewer times.
constexpr int64_t kBlockElements = int64_t{1} << 22;

// The widening buffer, reused by every product on this thread: a fresh multi-MB allocation per
// product is a fresh mapping, page-faulted in each time.
float* widen_scratch(int64_t n) {
  thread_local std::vector<float> buf;
  return grown(buf, n);
}

// BF16 weights with bf16 activations (HF's bf16 products) or float32 activations (a BF16
// checkpoint under float32 compute: the weights widen exactly, nothing is rounded).
bool bf16_fast_path(const Tensor& x, const Tensor& w) {
  return (x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kFloat32) &&
         w.scalar_type() == torch::kBFloat16 && !at::GradMode::is_enabled() && x.device().is_cpu();
}

float bf16_to_float(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// A row's sum is computed by the row alone, in one fixed order (the AVX2 loop: four accumulators
// over 8-wide blocks in turn, then the scalar tail), so it never depends on how the rows were
// split up among threads or chunks.
template <typename W>
float widen_scalar(W v) {
  if constexpr (std::is_same_v<W, float>)
    return v;
  else
    return bf16_to_float(v);
}

template <typename W>
void gemv_rows_scalar(const float* x, const W* w, int64_t k, int64_t n0, int64_t n1, float* y) {
  for (int64_t n = n0; n < n1; ++n) {
    const W* row = w + n * k;
    float acc = 0;
    for (int64_t i = 0; i < k; ++i) acc += x[i] * widen_scalar(row[i]);
    y[n] = acc;
  }
}

__attribute__((target("avx2,fma"))) inline __m256 widen8(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

__attribute__((target("avx2,fma"))) inline __m256 widen8(const float* p) {
  return _mm256_loadu_ps(p);
}

// The hardware prefetcher alone leaves a streaming GEMV at ~60 % of the read bandwidth here;
// asking for the line 4 KB ahead of the stream brings it to ~95 % (measured on the 262144 × 640
// lm_head, docs/benchmarks.md).
constexpr int kPrefetchBytes = 4096;

template <typename W>
__attribute__((target("avx2,fma"))) float row_tail(const float* x, const W* r, int64_t k8,
                                                   int64_t k, float s) {
  for (int64_t i = k8; i < k; ++i) s += x[i] * widen_scalar(r[i]);
  return s;
}

// One row at a time, 32 values per pass with one prefetch per 64-byte line: the rows lie end to
// end, so each thread reads one linear stream. Two rows per pass (sharing the loads of x) read
// at ~80 % of a plain read here, one row at ~95 %: x stays in L1 either way, and the longer loop
// body left fewer lines in flight. Four accumulators hide the FMA latency.
template <typename W>
__attribute__((target("avx2,fma"))) void gemv_rows_avx2(const float* x, const W* w, int64_t k,
                                                        int64_t n0, int64_t n1, float* y) {
  constexpr int kLine = 64;
  const int64_t k32 = k & ~int64_t{31}, k8 = k & ~int64_t{7};
  // The loop below asks for lines 4 KB ahead; the first 4 KB of the rows are asked for here.
  const char* first = reinterpret_cast<const char*>(w + n0 * k);
  const int64_t lead = std::min<int64_t>(kPrefetchBytes, (n1 - n0) * k * int64_t{sizeof(W)});
  for (int64_t b = 0; b < lead; b += kLine) _mm_prefetch(first + b, _MM_HINT_T0);
  for (int64_t n = n0; n < n1; ++n) {
    const W* r = w + n * k;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t i = 0; i < k32; i += 32) {
      const char* ahead = reinterpret_cast<const char*>(r + i) + kPrefetchBytes;
      for (int line = 0; line < static_cast<int>(32 * sizeof(W)); line += kLine)
        _mm_prefetch(ahead + line, _MM_HINT_T0);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), widen8(r + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), widen8(r + i + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), widen8(r + i + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), widen8(r + i + 24), a3);
    }
    // Up to three 8-wide blocks are left; they continue the accumulators' turn.
    if (k32 < k8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k32), widen8(r + k32), a0);
    if (k32 + 8 < k8) a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k32 + 8), widen8(r + k32 + 8), a1);
    if (k32 + 16 < k8)
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k32 + 16), widen8(r + k32 + 16), a2);
    y[n] =
        row_tail(x, r, k8, k, hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))));
  }
}

// y[N] = W[N, K] · x[K], W bf16 row-major, x and y float32.
void gemv_bf16(const float* x, const uint16_t* w, int64_t k, int64_t n, float* y) {
  const int64_t grain = std::max<int64_t>(16, (int64_t{1} << 15) / std::max<int64_t>(k, 1));
  at::parallel_for(0, n, grain, [&](int64_t b, int64_t e) { gemv_rows(x, w, k, b, e, y); });
}

__attribute__((target("avx2,fma"))) void widen_avx2(const uint16_t* src, float* dst, int64_t n) {
  const int64_t n8 = n & ~int64_t{7};
  for (int64_t i = 0; i < n8; i += 8) _mm256_storeu_ps(dst + i, widen8(src + i));
  for (int64_t i = n8; i < n; ++i) dst[i] = bf16_to_float(src[i]);
}

// dst[i] = src[i] widened (exact). An AVX2 loop: torch's copy_ paid a dispatch and, past 32K
// values, a thread wake-up per product. Split among torch's threads only past 1M values (inside
// a team's region it runs on the calling thread).
void widen(const uint16_t* src, float* dst, int64_t n) {
  const bool avx2 = has_avx2_fma();
  at::parallel_for(0, n, int64_t{1} << 20, [&](int64_t b, int64_t e) {
    if (avx2) {
      widen_avx2(src + b, dst + b, e - b);
      return;
    }
    for (int64_t i = b; i < e; ++i) dst[i] = bf16_to_float(src[i]);
  });
}

// fn(r0, wide) for each block of BF16 w's rows [r0, r0 + wide.size(0)), widened to float32 in
// `wide` (this thread's scratch, reused by the next block).
template <typename F>
void for_each_widened_block(const Tensor& w, F&& fn) {
  const int64_t K = w.size(1), N = w.size(0);
  const int64_t rows = std::clamp<int64_t>(kBlockElements / K, 1, N);
  Tensor wbuf = torch::from_blob(widen_scratch(rows * K), {rows, K}, torch::kFloat32);
  const auto* src = reinterpret_cast<const uint16_t*>(w.data_ptr<at::BFloat16>());
  for (int64_t r0 = 0; r0 < N; r0 += rows) {
    Tensor wide = wbuf.narrow(0, 0, std::min(rows, N - r0));
    widen(src + r0 * K, wide.data_ptr<float>(), wide.numel());
    fn(r0, wide);
  }
}

// out[M, n] (row stride ldo) += x[M, K] · w[n, K]ᵀ, all float32 row-major.
void add_product(int64_t M, int64_t n, int64_t K, const float* x, const float* w, float* out,
                 int64_t ldo) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M), static_cast<int>(n),
              static_cast<int>(K), 1.0f, x, static_cast<int>(K), w, static_cast<int>(K), 1.0f, out,
              static_cast<int>(ldo));
}

// out [M, N] (row-major, float32) = xf [M, K] · wᵀ for BF16 w [N, K]: torch's threads as one
// team, each through product_rows over its own columns — widened ~1 MB at a time into its
// scratch and multiplied by a single-threaded sgemm while the widened values are still in its
// cache, where 16 MB blocks went to memory and back before OpenBLAS's two threads split each.
void widened_products(const Tensor& xf, const Tensor& w, float* out) {
  const int64_t K = w.size(1), N = w.size(0), M = xf.size(0);
  const float* x = xf.data_ptr<float>();
#pragma omp parallel num_threads(std::max(1, at::get_num_threads()))
  {
    const auto [n0, n1] = share(N, omp_get_thread_num(), omp_get_num_threads(), 16);
    product_rows(x, M, K, w, n0, n1, out + n0, N);
  }
}

// out [M, N] (row-major, float32) = xf [M, K] · wᵀ for BF16 w [N, K] (contiguous): one GEMV per
// row for up to two rows (the weights read once, at memory speed), widened blocks through sgemm
// above that.
void bf16_product(const Tensor& xf, const Tensor& w, float* out) {
  const int64_t K = w.size(1), N = w.size(0), M = xf.size(0);
  if (M > 2) {
    widened_products(xf, w, out);
    return;
  }
  const auto* wp = reinterpret_cast<const uint16_t*>(w.data_ptr<at::BFloat16>());
  for (int64_t m = 0; m < M; ++m) gemv_bf16(xf.data_ptr<float>() + m * K, wp, K, N, out + m * N);
}

Tensor linear_bf16(const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t K = w.size(1), N = w.size(0);
  Tensor xf = x.reshape({-1, K}).to(torch::kFloat32).contiguous();
  const int64_t M = xf.size(0);
  Tensor wc = w.contiguous();
  Tensor bf = b.defined() ? b.to(torch::kFloat32) : Tensor();
  auto out_sizes = x.sizes().vec();
  out_sizes.back() = N;
  if (M <= 2 || x.scalar_type() == torch::kFloat32) {
    Tensor yf = torch::empty({M, N}, xf.options());
    bf16_product(xf, wc, yf.data_ptr<float>());
    if (bf.defined()) yf.add_(bf);
    return yf.to(x.scalar_type()).view(out_sizes);
  }
  Tensor out = torch::empty({M, N}, x.options());
  // bfloat16 activations: each block's float32 product (+ bias) rounds once into the output.
  for_each_widened_block(wc, [&](int64_t r0, const Tensor& wide) {
    Tensor part = torch::mm(xf, wide.t());
    if (bf.defined()) part.add_(bf.narrow(0, r0, wide.size(0)));
    out.narrow(1, r0, wide.size(0)).copy_(part);
  });
  return out.view(out_sizes);
}

// Σ x² of a row in double (a norm's only reduction: double keeps it independent of the order).
double sum_of_squares(const float* x, int64_t b, int64_t e) {
  double ss = 0;
  for (int64_t i = b; i < e; ++i) ss += static_cast<double>(x[i]) * x[i];
  return ss;
}

__attribute__((target("avx2,fma"))) double sum_of_squares_avx2(const float* x, int64_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  const int64_t n16 = n & ~int64_t{15};
  for (int64_t i = 0; i < n16; i += 16) {
    const __m256d v0 = _mm256_cvtps_pd(_mm_loadu_ps(x + i)),
                  v1 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)),
                  v2 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)),
                  v3 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
    a0 = _mm256_fmadd_pd(v0, v0, a0);
    a1 = _mm256_fmadd_pd(v1, v1, a1);
    a2 = _mm256_fmadd_pd(v2, v2, a2);
    a3 = _mm256_fmadd_pd(v3, v3, a3);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + sum_of_squares(x, n16, n);
}

template <typename T>
void rms_rows(const T* x, const float* w, T* out, int64_t n, int64_t r0, int64_t r1, float eps,
              bool offset_one) {
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t r = r0; r < r1; ++r)
      rms_norm_row(x + r * n, w, out + r * n, n, eps, offset_one, false);
    return;
  }
  std::vector<float> row(static_cast<std::size_t>(n)), normed(row.size());
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * n;
    for (int64_t i = 0; i < n; ++i) row[i] = static_cast<float>(xr[i]);
    rms_norm_row(row.data(), w, normed.data(), n, eps, offset_one, true);
    T* o = out + r * n;
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(normed[i]);  // exact: already rounded
  }
}

}  // namespace

void gemv_rows(const float* x, const uint16_t* w, int64_t k, int64_t n0, int64_t n1, float* y) {
  if (has_avx2_fma())
    gemv_rows_avx2(x, w, k, n0, n1, y);
  else
    gemv_rows_scalar(x, w, k, n0, n1, y);
}

void gemv_rows(const float* x, const float* w, int64_t k, int64_t n0, int64_t n1, float* y) {
  if (has_avx2_fma())
    gemv_rows_avx2(x, w, k, n0, n1, y);
  else
    gemv_rows_scalar(x, w, k, n0, n1, y);
}

void rms_norm_row(const float* x, const float* w, float* out, int64_t n, float eps, bool offset_one,
                  bool round_to_bf16) {
  const double ss = has_avx2_fma() ? sum_of_squares_avx2(x, n) : sum_of_squares(x, 0, n);
  const float mean = static_cast<float>(ss / static_cast<double>(n));
  const float inv = 1.0f / std::sqrt(mean + eps);
  if (!round_to_bf16) {  // the common case as plain loops the compiler vectorizes
    if (offset_one)
      for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * inv) * (1.0f + w[i]);
    else
      for (int64_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * inv);
    return;
  }
  auto rnd = [](float v) { return round_bf16(v); };
  for (int64_t i = 0; i < n; ++i) {
    const float normed = x[i] * inv;
    out[i] = offset_one ? rnd(normed * (1.0f + w[i])) : rnd(w[i] * rnd(normed));
  }
}

Tensor rms_norm_rows(const Tensor& x, const Tensor& w, double eps, bool offset_one) {
  Tensor xc = x.contiguous();
  Tensor out = torch::empty(xc.sizes(), xc.options());
  Tensor wf = w.to(torch::kFloat32).contiguous();
  const int64_t n = xc.size(-1), rows = xc.numel() / std::max<int64_t>(n, 1);
  const float* wp = wf.data_ptr<float>();
  const float e = static_cast<float>(eps);
  const int64_t grain = row_grain(n);
  at::parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    if (xc.scalar_type() == torch::kBFloat16)
      rms_rows(xc.data_ptr<at::BFloat16>(), wp, out.data_ptr<at::BFloat16>(), n, r0, r1, e,
               offset_one);
    else
      rms_rows(xc.data_ptr<float>(), wp, out.data_ptr<float>(), n, r0, r1, e, offset_one);
  });
  return out;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  if (bf16_fast_path(x, w)) return linear_bf16(x, w, b);
  return b.defined() ? torch::linear(x, w, b) : torch::linear(x, w);
}

void linear_out(Tensor& out, const Tensor& x, const Tensor& w) {
  if (w.scalar_type() != torch::kBFloat16) {
    torch::mm_out(out, x, w.t());
    return;
  }
  bf16_product(x, w.contiguous(), out.data_ptr<float>());
}

int64_t product_chunk_rows(int64_t K) {
  return std::max<int64_t>(16, (int64_t{1} << 18) / std::max<int64_t>(K, 1) / 16 * 16);
}

void product_rows(const float* x, int64_t M, int64_t K, const Tensor& w, int64_t n0, int64_t n1,
                  float* out, int64_t ldo) {
  if (n1 <= n0 || M <= 0) return;
  // Zeroed with memset for sgemms that add (beta = 1): OpenBLAS's beta = 0 clears C with a scalar
  // store per value (8 % of a pocket pass at T = 512).
  for (int64_t m = 0; m < M; ++m)
    std::memset(out + m * ldo, 0, static_cast<std::size_t>(n1 - n0) * sizeof(float));
  if (w.scalar_type() != torch::kBFloat16) {
    add_product(M, n1 - n0, K, x, w.data_ptr<float>() + n0 * K, out, ldo);
    return;
  }
  const auto* src = reinterpret_cast<const uint16_t*>(w.data_ptr<at::BFloat16>());
  const int64_t chunk = product_chunk_rows(K);
  float* wide = widen_scratch(std::min(chunk, n1 - n0) * K);
  for (int64_t c0 = n0; c0 < n1; c0 += chunk) {
    const int64_t n = std::min(chunk, n1 - c0);
    widen(src + c0 * K, wide, n * K);
    add_product(M, n, K, x, wide, out + (c0 - n0), ldo);
  }
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (bf16_fast_path(a, b))
    return torch::matmul(a.to(torch::kFloat32), b.to(torch::kFloat32)).to(a.scalar_type());
  return torch::matmul(a, b);
}

}  // namespace th::model
