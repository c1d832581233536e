#include "model/torch/rope_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "model/torch/kernels.h"

namespace th::model {

using torch::Tensor;

bool rope_kernel_applies(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  const auto f32 = [](const Tensor& t) {
    return t.scalar_type() == torch::kFloat32 && t.device().is_cpu() && t.is_contiguous();
  };
  return f32_even_rows(x) && f32(cos) && f32(sin) && cos.dim() == 2 && cos.sizes() == sin.sizes() &&
         cos.size(0) == x.size(1) && cos.size(1) % 2 == 0 && !at::GradMode::is_enabled();
}

void rope_rows(const RopeRows& r, int64_t i0, int64_t i1) {
  const int64_t half = r.rd / 2;
  std::vector<float> normed(static_cast<std::size_t>(r.hd));
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t b = i / r.T, t = i % r.T;
    const float *c = r.cos + t * r.rd, *s = r.sin + t * r.rd;
    for (int64_t h = 0; h < r.n; ++h) {
      const float* src = r.x + i * r.ld + h * r.hd;
      if (r.norm) {
        rms_norm_row(src, r.norm, normed.data(), r.hd, r.eps, r.offset_one, false);
        src = normed.data();
      }
      float* dst = r.out + ((b * r.n + h) * r.cap + r.off + t) * r.hd;
      for (int64_t j = 0; j < half; ++j) dst[j] = src[j] * c[j] - src[j + half] * s[j];
      for (int64_t j = half; j < r.rd; ++j) dst[j] = src[j] * c[j] + src[j - half] * s[j];
      std::copy(src + r.rd, src + r.hd, dst + r.rd);
    }
  }
}

Tensor rope_heads(const Tensor& x, int64_t n, int64_t hd, const Tensor& norm, float eps,
                  bool offset_one, const Tensor& cos, const Tensor& sin) {
  const int64_t B = x.size(0), T = x.size(1);
  Tensor out = torch::empty({B, n, T, hd}, x.options());
  const RopeRows r{.x = x.data_ptr<float>(),
                   .ld = x.stride(1),
                   .T = T,
                   .n = n,
                   .hd = hd,
                   .norm = norm.defined() ? norm.data_ptr<float>() : nullptr,
                   .eps = eps,
                   .offset_one = offset_one,
                   .cos = cos.data_ptr<float>(),
                   .sin = sin.data_ptr<float>(),
                   .rd = cos.size(1),
                   .out = out.data_ptr<float>(),
                   .cap = T,
                   .off = 0};
  // One item per (batch, token); small passes stay on the calling thread.
  at::parallel_for(0, B * T, row_grain(n * hd),
                   [&](int64_t i0, int64_t i1) { rope_rows(r, i0, i1); });
  return out;
}

}  // namespace th::model
