// Abliteration: a copy of a model folder whose matrices that write into the residual stream no
// longer write along a direction r̂ (docs/analysis.md "Abliteration"). Contract: the embedding,
// every o_proj and every down_proj are replaced by W − u(uᵀW) (the embedding row-wise:
// E − (Er)rᵀ), where u = r̂ for plain residual writes and u = normalize((1 + w)⊙r̂) where a
// Gemma sandwich norm (post-attention / post-feed-forward RMSNorm with scale 1 + w) sits between
// the matrix and the residual, so the block's contribution is orthogonal to r̂ either way.
// Everything else is copied unchanged, tensors keep their dtype, the output is written to a
// temporary folder and renamed, and the input folder is never modified.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace th::analysis {

struct AbliterationReport {
  std::vector<std::string> edited;  // HF tensor names
  std::filesystem::path out;
};

// Throws InputError (bad model, direction of the wrong size, out == model or an existing
// non-empty out folder) and th::Error on I/O failure. Thread-safe; not realtime-safe (file I/O).
AbliterationReport abliterate(const std::filesystem::path& model_dir,
                              const std::filesystem::path& direction_file,
                              const std::filesystem::path& out_dir);

}  // namespace th::analysis
