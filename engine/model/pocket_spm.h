// The pocket model's SentencePiece tokenizer, trained and applied through the sentencepiece
// command-line tools (see pocket_process.h for why not the library). Contract: the special ids
// follow Gemma (pad 0, eos 1, bos 2, unk 3); the same input and vocabulary size give a
// byte-identical tokenizer.model. No torch here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace th::model {

inline constexpr int32_t kPadId = 0;
inline constexpr int32_t kEosId = 1;
inline constexpr int32_t kBosId = 2;
inline constexpr int32_t kUnkId = 3;

// Trains a BPE model with byte fallback from `segments` (one segment per line, in the same folder
// as `prefix`; the model records the file names it was trained from) and writes
// `prefix`.model and `prefix`.vocab. Throws th::Error when spm_train fails. Thread-safe for
// distinct prefixes; not realtime-safe.
void train_tokenizer(const std::filesystem::path& segments, int vocab_size,
                     const std::filesystem::path& prefix);

// Encodes every line of `lines` (no BOS/EOS added). Throws th::Error on failure. `scratch` is a
// folder for the tool's output. Thread-safe for distinct scratch folders.
std::vector<std::vector<int32_t>> encode_lines(const std::filesystem::path& model,
                                               const std::filesystem::path& lines,
                                               const std::filesystem::path& scratch);

// Encodes one string. Same rules as encode_lines.
std::vector<int32_t> encode_text(const std::filesystem::path& model, const std::string& text,
                                 const std::filesystem::path& scratch);

// Decodes ids to text (special ids dropped). Same rules as encode_lines.
std::string decode_ids(const std::filesystem::path& model, const std::vector<int32_t>& ids,
                       const std::filesystem::path& scratch);

}  // namespace th::model
