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

Tensor rope_heads(const Tensor& x, int64_t n, int64_t hd, const Tensor& norm, float eps,
                  bool offset_one, const Tensor& cos, const Tensor& sin) {
  const int64_t B = x.size(0), T = x.size(1), rd = cos.size(1), half = rd / 2;
  Tensor out = torch::empty({B, n, T, hd}, x.options());
  const float* in = x.data_ptr<float>();
  const int64_t ld = x.stride(1);
  float* o = out.data_ptr<float>();
  const float *cs = cos.data_ptr<float>(), *sn = sin.data_ptr<float>();
  const float* w = norm.defined() ? norm.data_ptr<float>() : nullptr;
  // One item per (batch, token); small passes stay on the calling thread.
  const int64_t grain = row_grain(n * hd);
  at::parallel_for(0, B * T, grain, [&](int64_t i0, int64_t i1) {
    std::vector<float> normed(static_cast<std::size_t>(hd));
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / T, t = i % T;
      const float *c = cs + t * rd, *s = sn + t * rd;
      for (int64_t h = 0; h < n; ++h) {
        const float* src = in + i * ld + h * hd;
        if (w) {
          rms_norm_row(src, w, normed.data(), hd, eps, offset_one, false);
          src = normed.data();
        }
        float* dst = o + ((b * n + h) * T + t) * hd;
        for (int64_t j = 0; j < half; ++j) dst[j] = src[j] * c[j] - src[j + half] * s[j];
        for (int64_t j = half; j < rd; ++j) dst[j] = src[j] * c[j] + src[j - half] * s[j];
        std::copy(src + rd, src + hd, dst + rd);
      }
    }
  });
  return out;
}

}  // namespace th::model
