// Offline rendering: runs `scsynth -N` on a score file as a child process.
// Contract: render_nrt blocks until scsynth exits; it captures scsynth's stdout and stderr
// and throws th::Error (exit code 1) when scsynth cannot be started, exits non-zero, leaves
// no output file, or (strict) reports a server failure — the message quotes scsynth's
// output. Worker thread only (spawns a process, blocks, allocates).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace th::io {

enum class SampleFormat { int16, int24, float32 };

struct NrtRenderOptions {
  int sample_rate = 48000;
  int channels = 2;  // output channels (2, or 2 + 2·tracks for stems)
  SampleFormat format = SampleFormat::int16;
  // Path or name of scsynth; empty = $TH_SCSYNTH, else "scsynth" on PATH.
  std::string scsynth;
  // Throw on "FAILURE IN SERVER" lines (unknown def, missing buffer …), not only on a
  // non-zero exit: scsynth keeps rendering after such failures and exits 0.
  bool strict = true;
};

struct NrtRenderResult {
  std::string output;                 // stdout and stderr, interleaved as read
  std::vector<std::string> failures;  // lines scsynth flagged as failures or errors
};

// Thread-safe (no shared state); not realtime-safe.
NrtRenderResult render_nrt(const std::filesystem::path& score, const std::filesystem::path& wav,
                           const NrtRenderOptions& options = {});

// The argument list render_nrt runs (argv[0] included), for logs and docs. Thread-safe.
std::vector<std::string> nrt_command(const std::filesystem::path& score,
                                     const std::filesystem::path& wav,
                                     const NrtRenderOptions& options);

}  // namespace th::io
