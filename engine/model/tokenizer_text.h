// Text helpers shared by the tokenizers (internal to engine/model): UTF-8 stepping, the
// GPT-2 byte↔character map, Unicode whitespace as Rust's char::is_whitespace defines it, and a
// PCRE2 regex (UTF + UCP + JIT) that lists match ranges. Contract: nothing here throws on
// invalid UTF-8 input; a broken byte counts as one character of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace th::model::text {

// Byte length of the UTF-8 character starting at s[i] (1 for a broken lead byte or a
// truncated sequence). Thread-safe; realtime-safe.
std::size_t char_len(std::string_view s, std::size_t i);

// Code point at s[i] (the raw byte for a broken sequence). Thread-safe; realtime-safe.
char32_t code_point(std::string_view s, std::size_t i);

// Appends the UTF-8 form of c. Thread-safe; allocates.
void append_utf8(std::string& out, char32_t c);

// s with every byte that is not part of a well-formed UTF-8 character replaced by U+FFFD (one
// per byte). Thread-safe; allocates.
std::string to_valid_utf8(std::string_view s);

// The byte offsets at which each character starts, plus s.size(). Thread-safe; allocates.
std::vector<std::size_t> char_starts(std::string_view s);

// Unicode White_Space (Rust char::is_whitespace). Thread-safe; realtime-safe.
bool is_whitespace(char32_t c);

// Letters or numbers or '_' — HF's "word character" for single_word added tokens.
// Thread-safe; realtime-safe.
bool is_word_char(char32_t c);

// Replaces every occurrence of `from` by `to`. Thread-safe; allocates.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);

// GPT-2's byte-level alphabet: each byte ↔ one printable character ("Ġ" for ' ').
// Thread-safe; allocates.
std::string bytes_to_chars(std::string_view bytes);
// Inverse of bytes_to_chars; false (out untouched past what was written) when a character is
// outside the alphabet. Thread-safe; allocates.
bool chars_to_bytes(std::string_view chars, std::string& out);

// "<0x0A>" → 0x0A; -1 when the piece is not of that form. Thread-safe; realtime-safe.
int byte_piece_value(std::string_view piece);
// 0x0A → "<0x0A>". Thread-safe; allocates.
std::string byte_piece_name(unsigned char b);

// A compiled PCRE2 pattern (UTF, UCP, JIT when available). Immutable; matching is thread-safe.
class Regex {
 public:
  // Throws std::invalid_argument with PCRE2's message on a bad pattern.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-overlapping, non-empty matches left to right, as [begin, end) byte ranges.
  // Thread-safe; allocates.
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view s) const;

 private:
  void* code_;  // pcre2_code_8*
};

}  // namespace th::model::text
