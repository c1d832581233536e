// Token streams and batches for the pocket trainer. Contract: a stream is the concatenation of
// its documents' segment ids, each document followed by EOS; every training or validation row
// starts with BOS and then copies the stream from a segment start, so a row looks exactly like
// a prompt at inference time. Batches are a pure function of (stream, seed, call count). No
// torch here: rows are plain int64 vectors the trainer wraps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <vector>

#include "model/pocket_corpus.h"

namespace th::model {

struct TokenStream {
  std::vector<int32_t> ids;
  std::vector<int64_t> segment_starts;  // offsets into ids, ascending
};

// Row-major [rows, cols] token ids: input[r][0] = BOS, input[r][t] = target[r][t-1].
struct Batch {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> input;
  std::vector<int64_t> target;
};

// Tokenises the documents with the tokenizer at `spm_model` (scratch: a folder for the tool's
// files). Throws th::Error when the tool fails. Thread-safe for distinct scratch folders.
TokenStream tokenize_documents(const std::vector<Document>& docs,
                               const std::filesystem::path& spm_model,
                               const std::filesystem::path& scratch);

// The rows starting at the given stream offsets, each `cols` long. Thread-safe.
Batch rows_at(const TokenStream& s, std::span<const int64_t> starts, int64_t cols);

// Non-overlapping validation rows: the first segment start, then each time the first segment
// start at least cols-1 tokens further on. Thread-safe.
std::vector<int64_t> validation_starts(const TokenStream& s, int64_t cols);

// Random training rows from segment starts. The generator is seeded explicitly so the same seed
// gives the same batches on every machine. Not thread-safe (owns its generator).
class BatchSampler {
 public:
  BatchSampler(const TokenStream& s, int64_t cols, uint64_t seed);
  Batch next(int64_t rows);

 private:
  const TokenStream* stream_;
  int64_t cols_;
  std::vector<int64_t> usable_;  // segment starts with a full row after them
  std::mt19937_64 rng_;
};

}  // namespace th::model
