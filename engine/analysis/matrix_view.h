// A read-only view of a row-major float32 matrix. The analysis module's public functions take
// this (or a plain span) so that no Eigen type crosses a public header.
#pragma once

#include <cstdint>
#include <span>

namespace th::analysis {

struct MatrixView {
  std::span<const float> data;  // rows·cols values, row-major
  int64_t rows = 0;
  int64_t cols = 0;

  // Thread-safe; realtime-safe.
  float at(int64_t r, int64_t c) const { return data[static_cast<std::size_t>(r * cols + c)]; }
};

}  // namespace th::analysis
