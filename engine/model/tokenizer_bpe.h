// Shared machinery of the tokenizers (internal to engine/model): the BPE merge loop, the
// matcher for added/special tokens in raw text, and the tokenizer_config.json overrides.
//
// The merge loop keeps the word's symbols in a linked list and the candidate pairs in a priority
// queue keyed (priority, left position): the lowest priority merges first and ties go to the
// leftmost pair. That is the order of Hugging Face's BPE (merge rank), sentencepiece's BPE
// (highest piece score, as a negated priority) and llama2.c (highest score, first found), in
// O(n log n) rather than their O(n²) rescans. A stale queue entry is recognised because the
// lengths of its two symbols changed.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace th::model::bpe {

struct Symbol {
  int32_t id;          // vocabulary id, or -1 while unknown
  uint32_t start;      // byte range in the word
  uint32_t len;        // 0 once merged into its left neighbour
  int32_t prev, next;  // -1 at the ends
};

// A possible merge of two adjacent symbols: its priority (lower merges first) and the id of the
// merged symbol.
struct Merge {
  double priority;
  int32_t id;
};

// Merges `syms` (in word order, prev/next set by make_symbols) until no pair merges.
// pair(left, right) says whether and how two adjacent symbols merge. Thread-safe; allocates.
void merge(std::vector<Symbol>& syms,
           const std::function<std::optional<Merge>(const Symbol&, const Symbol&)>& pair);

// Links syms as a list in vector order. Thread-safe; realtime-safe.
void link(std::vector<Symbol>& syms);

// One token matched in raw text, or a stretch of ordinary text (id < 0).
struct Span {
  std::size_t begin, end;
  int64_t id;
};

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = false;
  bool single_word = false, lstrip = false, rstrip = false, normalized = false;
};

// Finds added tokens in text, leftmost-longest, with HF's single_word/lstrip/rstrip rules.
// Immutable after construction; thread-safe.
class AddedMatcher {
 public:
  AddedMatcher() = default;
  explicit AddedMatcher(std::vector<AddedToken> tokens);
  bool empty() const { return tokens_.empty(); }
  // Covers the whole text with spans in order; empty text gives no span. Allocates.
  std::vector<Span> split(std::string_view text) const;

 private:
  struct Node {
    std::unordered_map<unsigned char, int32_t> next;
    int32_t token = -1;  // index into tokens_
  };
  std::vector<AddedToken> tokens_;
  std::vector<Node> trie_;
};

// What tokenizer_config.json next to a tokenizer file says (absent fields stay nullopt).
struct ConfigOverrides {
  std::optional<bool> add_bos, add_eos;
  std::optional<std::string> bos_token, eos_token;
};

// Reads dir/tokenizer_config.json when it exists. Throws th::InputError on a broken file.
// Thread-safe; reads a file.
ConfigOverrides read_tokenizer_config(const std::filesystem::path& dir);

// Reads a whole file; throws th::InputError naming it when unreadable. Thread-safe.
std::string read_file(const std::filesystem::path& path);

}  // namespace th::model::bpe
