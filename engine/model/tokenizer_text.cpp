#include "model/tokenizer_text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <stdexcept>

namespace th::model::text {

std::size_t char_len(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xE  ? 3
                  : (b >> 3) == 0x1E ? 4
                                     : 1;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

char32_t code_point(std::string_view s, std::size_t i) {
  const std::size_t n = char_len(s, i);
  const auto b = static_cast<unsigned char>(s[i]);
  if (n == 1) return b;
  char32_t c = b & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = char_len(s, i);
    const char32_t c = code_point(s, i);
    // char_len accepts overlong forms, surrogates and values past U+10FFFF: reject them here.
    static constexpr char32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    const bool ok =
        n == 1 ? c < 0x80 : (c >= min_for_len[n] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF));
    if (ok)
      out.append(s.substr(i, n));
    else
      out += "\xEF\xBF\xBD";
    i += ok ? n : 1;
  }
  return out;
}

std::vector<std::size_t> char_starts(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); i += char_len(s, i)) out.push_back(i);
  out.push_back(s.size());
  return out;
}

bool is_whitespace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {

// One shared, lazily built matcher for "letter or number", so the Unicode tables come from
// PCRE2 rather than a copy here.
const Regex& word_char_regex() {
  static const Regex re("[\\p{L}\\p{N}\\p{M}_]");
  return re;
}

}  // namespace

bool is_word_char(char32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  std::string s;
  append_utf8(s, c);
  return !word_char_regex().find_all(s).empty();
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  for (std::size_t p; (p = s.find(from, i)) != std::string_view::npos; i = p + from.size()) {
    out.append(s.substr(i, p - i));
    out.append(to);
  }
  out.append(s.substr(i));
  return out;
}

namespace {

// GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 to U+0100 onwards.
struct ByteMap {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 0x200> to_byte{};  // every mapped code point is below U+0200
  ByteMap() {
    to_byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[b] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

}  // namespace

std::string bytes_to_chars(std::string_view bytes) {
  const auto& m = byte_map();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char b : bytes) append_utf8(out, m.to_char[static_cast<unsigned char>(b)]);
  return out;
}

bool chars_to_bytes(std::string_view chars, std::string& out) {
  const auto& m = byte_map();
  for (std::size_t i = 0; i < chars.size(); i += char_len(chars, i)) {
    const char32_t c = code_point(chars, i);
    if (c >= m.to_byte.size() || m.to_byte[c] < 0) return false;
    out += static_cast<char>(m.to_byte[c]);
  }
  return true;
}

int byte_piece_value(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  int v = 0;
  for (char c : p.substr(3, 2)) {
    const int d = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                           : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

std::string byte_piece_name(unsigned char b) {
  static constexpr char hex[] = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

namespace {

// PCRE2's JIT needs a stack of its own for long subjects; one per thread keeps matching
// lock-free.
struct JitStack {
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  JitStack() { pcre2_jit_stack_assign(ctx, nullptr, stack); }
  ~JitStack() {
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
  }
};

}  // namespace

Regex::Regex(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
  if (!code) {
    std::array<PCRE2_UCHAR, 256> msg{};
    pcre2_get_error_message(err, msg.data(), msg.size());
    throw std::invalid_argument("bad regex at offset " + std::to_string(off) + ": " +
                                reinterpret_cast<const char*>(msg.data()));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when absent
  code_ = code;
}

Regex::~Regex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}

std::vector<std::pair<std::size_t, std::size_t>> Regex::find_all(std::string_view s) const {
  thread_local JitStack jit;
  auto* code = static_cast<pcre2_code*>(code_);
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t pos = 0;
  // Callers pass valid UTF-8 (see to_valid_utf8), so PCRE2 need not check it at every call.
  const uint32_t opts = PCRE2_NO_UTF_CHECK;
  while (pos <= s.size()) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), pos, opts,
                               md.get(), jit.ctx);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      std::array<PCRE2_UCHAR, 256> msg{};
      pcre2_get_error_message(rc, msg.data(), msg.size());
      throw std::runtime_error(std::string("regex match failed: ") +
                               reinterpret_cast<const char*>(msg.data()));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const std::size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.emplace_back(b, e);
      pos = e;
    } else {
      if (b >= s.size()) break;
      pos = b + char_len(s, b);
    }
  }
  return out;
}

}  // namespace th::model::text
