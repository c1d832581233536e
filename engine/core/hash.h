// Content hashing for cache keys (model folders, prompts). Not cryptographic: a 64-bit mix that
// changes with every byte, fast enough to hash a model's weights in well under a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace th {

// Thread-safe; realtime-safe.
constexpr uint64_t mix64(uint64_t x) {
  // splitmix64's finalizer: every input bit affects every output bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

class Hasher {
 public:
  // Thread-compatible (one owner); realtime-safe.
  Hasher& bytes(std::span<const std::byte> data) {
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, data.data() + i, 8);
      step(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, data.data() + i, data.size() - i);
    step(tail ^ (static_cast<uint64_t>(data.size() - i) << 56));
    return *this;
  }
  Hasher& text(std::string_view s) { return bytes(std::as_bytes(std::span(s.data(), s.size()))); }
  Hasher& value(uint64_t v) {
    step(v);
    return *this;
  }
  uint64_t digest() const { return mix64(state_ ^ count_); }

 private:
  void step(uint64_t w) { state_ = mix64(state_ ^ mix64(w + 0x9e3779b97f4a7c15ULL * ++count_)); }
  uint64_t state_ = 0x243f6a8885a308d3ULL;
  uint64_t count_ = 0;
};

}  // namespace th
