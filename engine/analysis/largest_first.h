// Independent jobs over the OpenMP threads, the costliest first (so the biggest one — the
// embedding — never starts last and leaves a thread idle at the end). Contract: run(i) is called
// once for every i in 0..count−1, on any thread; the first exception any job throws is rethrown
// after all jobs finished. Thread-safe if run is; not realtime-safe (allocates, spawns threads).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <numeric>
#include <vector>

namespace th::analysis {

template <class Cost, class Run>
void largest_first(std::size_t count, Cost cost, Run run) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
  std::exception_ptr error;
  std::mutex error_lock;
  const auto n = static_cast<int64_t>(count);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < n; ++i) {
    try {
      run(order[static_cast<std::size_t>(i)]);
    } catch (...) {
      std::lock_guard lock(error_lock);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace th::analysis
