#include "model/pocket_data.h"

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "model/pocket_spm.h"

namespace th::model {

TokenStream tokenize_documents(const std::vector<Document>& docs,
                               const std::filesystem::path& spm_model,
                               const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  auto lines = scratch / "segments.txt";
  {
    std::ofstream out(lines, std::ios::binary);
    for (const auto& d : docs)
      for (const auto& s : d) out << s << '\n';
    if (!out.flush()) throw Error(lines.string() + ": write failed", 1);
  }
  auto encoded = encode_lines(spm_model, lines, scratch);
  TokenStream stream;
  std::size_t line = 0;
  for (const auto& d : docs) {
    for (std::size_t i = 0; i < d.size(); ++i, ++line) {
      if (line >= encoded.size())
        throw Error(spm_model.string() + ": spm_encode returned fewer lines than given", 1);
      stream.segment_starts.push_back(static_cast<int64_t>(stream.ids.size()));
      stream.ids.insert(stream.ids.end(), encoded[line].begin(), encoded[line].end());
    }
    stream.ids.push_back(kEosId);
  }
  return stream;
}

Batch rows_at(const TokenStream& s, std::span<const int64_t> starts, int64_t cols) {
  Batch b;
  b.rows = static_cast<int64_t>(starts.size());
  b.cols = cols;
  b.input.reserve(static_cast<std::size_t>(b.rows * cols));
  b.target.reserve(static_cast<std::size_t>(b.rows * cols));
  for (int64_t start : starts) {
    if (start < 0 || start + cols > static_cast<int64_t>(s.ids.size()))
      throw Error("pocket: row start " + std::to_string(start) + " past the stream", 1);
    b.input.push_back(kBosId);
    for (int64_t t = 0; t < cols; ++t) {
      int64_t id = s.ids[static_cast<std::size_t>(start + t)];
      if (t + 1 < cols) b.input.push_back(id);
      b.target.push_back(id);
    }
  }
  return b;
}

std::vector<int64_t> validation_starts(const TokenStream& s, int64_t cols) {
  std::vector<int64_t> starts;
  const auto size = static_cast<int64_t>(s.ids.size());
  auto it = s.segment_starts.begin();
  while (it != s.segment_starts.end() && *it + cols <= size) {
    starts.push_back(*it);
    // A row covers cols-1 stream tokens of input plus one more as target.
    it = std::lower_bound(it, s.segment_starts.end(), *it + cols);
  }
  return starts;
}

BatchSampler::BatchSampler(const TokenStream& s, int64_t cols, uint64_t seed)
    : stream_(&s), cols_(cols), rng_(seed) {
  for (int64_t st : s.segment_starts)
    if (st + cols <= static_cast<int64_t>(s.ids.size())) usable_.push_back(st);
  if (usable_.empty())
    throw InputError("pocket: the training text is shorter than one row of " +
                     std::to_string(cols) + " tokens");
}

Batch BatchSampler::next(int64_t rows) {
  std::vector<int64_t> starts;
  for (int64_t r = 0; r < rows; ++r)
    // Plain modulo rather than a distribution object: its output is specified by the standard,
    // so batches match across standard libraries.
    starts.push_back(usable_[static_cast<std::size_t>(rng_() % usable_.size())]);
  return rows_at(*stream_, starts, cols_);
}

}  // namespace th::model
