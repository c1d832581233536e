// Tokenizers: text ↔ token ids for the models we load. Contract: a Tokenizer is immutable after
// loading and gives the ids the model's own reference tokenizer gives (Hugging Face `tokenizers`
// for tokenizer.json, sentencepiece for tokenizer.model, llama2.c's run.c for tokenizer.bin).
// Loading either returns a complete tokenizer or throws th::InputError naming the file and the
// field. No torch types here.
//
// Three formats, tried in this order in a model folder:
//   tokenizer.json   Hugging Face `tokenizers` (BPE model, byte-level or SentencePiece-style)
//   tokenizer.model  SentencePiece ModelProto (BPE or Unigram)
//   tokenizer.bin    llama2.c (vocabulary size comes from the model)
// tokenizer_config.json, when present, overrides add_bos_token/add_eos_token and bos/eos.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace th::model {

class Tokenizer {
 public:
  virtual ~Tokenizer();

  // Text (UTF-8) to ids. Special tokens written in the text (e.g. "<|endoftext|>") are
  // recognised whatever add_special says, as Hugging Face does; add_special adds what the
  // tokenizer's configuration adds around a sequence (BOS, EOS, …). Thread-safe; allocates.
  virtual std::vector<int64_t> encode(std::string_view text, bool add_special) const = 0;

  // Ids to text, as the reference decoder does it (special tokens are kept as their text; the
  // first piece's leading space that the encoder added is stripped). Ids outside the vocabulary
  // are skipped. The result is raw bytes: when ids end inside a multi-byte character the last
  // character is incomplete. Thread-safe; allocates.
  virtual std::string decode(std::span<const int64_t> ids) const = 0;

  // The bytes one token stands for in running text (" hello" for "Ġhello" or "▁hello", "\n" for
  // "<0x0A>", the content of a special token). Concatenating piece() over a sequence gives
  // decode() before the first-piece space strip: the right thing for streaming output. Empty for
  // ids outside the vocabulary. Thread-safe; allocates.
  virtual std::string piece(int64_t id) const;

  // Thread-safe; realtime-safe.
  virtual std::optional<int64_t> bos_id() const;
  // Thread-safe; realtime-safe.
  virtual std::optional<int64_t> eos_id() const;
  // Number of ids (including added/special tokens): every id encode() returns is below it.
  // Thread-safe; realtime-safe.
  virtual int64_t vocab_size() const;
};

// The tokenizer of a model folder: tokenizer.json, else tokenizer.model, else tokenizer.bin
// (whose vocabulary size is read from config.json "vocab_size" when present, else from
// llama2_vocab_size). nullptr when the folder holds none of them. Throws th::InputError on a
// broken file. Thread-safe (no shared state); reads files.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& dir,
                                          std::optional<int64_t> llama2_vocab_size = {});

// One tokenizer file, by type (.json / .model / .bin). A .bin needs its vocabulary size (from
// the model header); without one it reads tokens until the file ends. Settings in a
// tokenizer_config.json next to the file apply. Throws th::InputError. Thread-safe; reads files.
std::unique_ptr<Tokenizer> load_tokenizer_file(const std::filesystem::path& file,
                                               std::optional<int64_t> llama2_vocab_size = {});

}  // namespace th::model
