// Bounded single-producer / single-consumer queue. Contract: exactly one thread pushes and exactly
// one thread pops; neither ever blocks or allocates after construction, so the scheduler thread
// can drain commands without locks (DESIGN.md §4).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace th {

template <typename T, std::size_t Capacity>
class SpscQueue {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0,
                "Capacity must be a power of two");

 public:
  // Producer side. Returns false when full (the caller decides: drop and log). Realtime-safe.
  bool try_push(T value) {
    const auto head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == Capacity) return false;
    slots_[head & (Capacity - 1)] = std::move(value);
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer side. Realtime-safe (T's move must be too).
  std::optional<T> try_pop() {
    const auto tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return std::nullopt;
    T value = std::move(slots_[tail & (Capacity - 1)]);
    tail_.store(tail + 1, std::memory_order_release);
    return value;
  }

  // Either side; a snapshot. Realtime-safe.
  std::size_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  std::array<T, Capacity> slots_{};
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace th
