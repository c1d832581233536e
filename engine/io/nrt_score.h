// Non-realtime (NRT) score for `scsynth -N`: timed OSC bundles written as
// [int32 big-endian size][bundle] ... with timetags seconds·2^32 counted from the start.
// Contract: events are kept in time order (ties keep insertion order); the file ends with an
// empty bundle at end(), which sets the rendered file's length; every event must lie in
// [0, end]. Building and writing allocate: worker thread only.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "io/osc_types.h"

namespace th::io {

class NrtScore {
 public:
  struct Bundle {
    double seconds = 0;
    std::vector<OscMessage> messages;
  };

  // Adds a message at `seconds` (>= 0, finite). Messages at the same time join one bundle,
  // in the order they were added. Throws th::Error on a bad time. Not thread-safe.
  void add(double seconds, OscMessage message);
  void add(double seconds, std::span<const OscMessage> messages);
  // Sets the length of the render (seconds). Defaults to the last event's time.
  void set_end(double seconds);
  // Thread-safe for concurrent readers.
  double end() const;
  const std::vector<Bundle>& bundles() const { return bundles_; }

  // The binary score. Throws th::Error if an event lies after end(). Thread-safe (const).
  std::vector<std::byte> serialize() const;
  // serialize() to a file; throws th::Error when it cannot be written.
  void write(const std::filesystem::path& path) const;

 private:
  std::vector<Bundle> bundles_;  // sorted by seconds, unique times
  double end_ = -1;
};

// Splits a binary score back into its bundles (validating sizes and each bundle with the OSC
// decoder). For tests and `inspect`-style tools. Thread-safe; allocates. Throws th::Error.
std::vector<OscTimedMessage> read_nrt_score(std::span<const std::byte> score);

}  // namespace th::io
