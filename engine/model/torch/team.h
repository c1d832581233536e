// INTERNAL to engine/model/torch: what a thread team of one OpenMP region shares between its
// phases — the barrier, the even split of n items, its threads' scratch buffers. Torch-free.
// SpinBarrier::wait is thread-safe, not realtime-safe (past its spin it sleeps in a futex); share()
// is both.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace th::model {

// The threads meet here between phases. With the work split evenly the threads arrive within
// microseconds of each other, so a short spin usually ends the wait; past it the waiter sleeps.
// The spin is kept short because on a shared machine both threads may end up on one core,
// where a spinning waiter takes the time the other needs to arrive. (OpenMP's own barrier under
// OMP_WAIT_POLICY=passive, which `live` sets, always sleeps: a futex wake-up per phase.)
class SpinBarrier {
 public:
  void wait(int n) {
    const unsigned gen = gen_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
      arrived_.store(0, std::memory_order_relaxed);
      gen_.store(gen + 1, std::memory_order_release);
      gen_.notify_all();
      return;
    }
    for (int i = 0; i < kSpins; ++i) {
      if (gen_.load(std::memory_order_acquire) != gen) return;
      _mm_pause();
    }
    while (gen_.load(std::memory_order_acquire) == gen) gen_.wait(gen, std::memory_order_acquire);
  }

 private:
  static constexpr int kSpins = 256;  // a few microseconds
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> gen_{0};
};

// buf holding at least n values (grown, never shrunk: a thread's scratch reused by every later
// call). Thread-safe for a thread's own buffer; realtime-safe once grown.
inline float* grown(std::vector<float>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<std::size_t>(n));
  return buf.data();
}

// [b, e) of n items for thread `tid` of `nt`, the boundaries multiples of `align` (but n).
inline std::pair<int64_t, int64_t> share(int64_t n, int tid, int nt, int64_t align = 1) {
  const auto edge = [&](int i) { return i == nt ? n : std::min(n, n * i / nt / align * align); };
  return {edge(tid), edge(tid + 1)};
}

}  // namespace th::model
