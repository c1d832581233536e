// Reading rendered audio back (libsndfile), for checks on renders: tests, `render --check`.
// Contract: read_wav returns interleaved float samples in [-1, 1] scale as libsndfile
// converts them; throws th::Error naming the file when it cannot be read. Allocates.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

namespace th::io {

struct Audio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // interleaved
  std::size_t frames() const { return channels ? samples.size() / channels : 0; }
  // Sample of channel c at frame i. Thread-safe; realtime-safe.
  float at(std::size_t i, int c) const { return samples[i * channels + c]; }
};

// Thread-safe; allocates.
Audio read_wav(const std::filesystem::path& path);

}  // namespace th::io
