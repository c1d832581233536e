// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length and
// the raw bytes; the token count comes from the model header. Encoding is run.c's: a dummy-prefix
// " " token, one symbol per UTF-8 character (bytes as <0xXX> ids 3.. when the character is not a
// token), then merges by highest score. Decoding drops the space that opens the first piece
// (after BOS or at the start), turns "<0xXX>" into its byte and BOS/EOS into nothing.
#include <cstring>
#include <unordered_map>

#include "core/error.h"
#include "model/tokenizer_formats.h"
#include "model/tokenizer_text.h"

namespace th::model {

namespace {

constexpr int64_t kBos = 1, kEos = 2, kFirstByte = 3;  // llama2.c's fixed layout

class Llama2cTokenizer : public Tokenizer {
 public:
  Llama2cTokenizer(const std::filesystem::path& file, std::optional<int64_t> vocab_size,
                   const bpe::ConfigOverrides& cfg);
  std::vector<int64_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  std::string piece(int64_t id) const override;
  std::optional<int64_t> bos_id() const override { return kBos; }
  std::optional<int64_t> eos_id() const override { return kEos; }
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int32_t> ids_;
  bool add_bos_ = true, add_eos_ = false;
};

Llama2cTokenizer::Llama2cTokenizer(const std::filesystem::path& path,
                                   std::optional<int64_t> vocab_size,
                                   const bpe::ConfigOverrides& cfg) {
  const std::string data = bpe::read_file(path);
  const std::string file = path.string();
  std::size_t pos = 0;
  auto read = [&](void* dst, std::size_t n, const std::string& what) {
    if (data.size() - pos < n)
      throw th::bad_field(file, what, std::to_string(n) + " more bytes",
                          "end of file at byte " + std::to_string(pos));
    std::memcpy(dst, data.data() + pos, n);  // little-endian, as llama2.c writes it
    pos += n;
  };
  int32_t max_len = 0;
  read(&max_len, 4, "max_token_length");
  if (max_len <= 0 || max_len > 1024)
    throw th::bad_field(file, "max_token_length", "1..1024", std::to_string(max_len));
  if (vocab_size && (*vocab_size < kFirstByte + 256 || *vocab_size > (1 << 24)))
    throw th::bad_field(file, "vocab_size (from the model)", "259..16777216",
                        std::to_string(*vocab_size));
  for (int64_t i = 0; vocab_size ? i < *vocab_size : pos < data.size(); ++i) {
    const std::string where = "token " + std::to_string(i);
    float score;
    int32_t len;
    read(&score, 4, where + " score");
    read(&len, 4, where + " length");
    if (len < 0 || len > max_len)
      throw th::bad_field(file, where + " length", "0.." + std::to_string(max_len),
                          std::to_string(len));
    std::string s(static_cast<std::size_t>(len), '\0');
    read(s.data(), s.size(), where + " bytes");
    ids_.emplace(
        s, static_cast<int32_t>(i));  // the first of duplicates wins, as run.c's sorted lookup
    pieces_.push_back(std::move(s));
    scores_.push_back(score);
  }
  if (pieces_.size() < kFirstByte + 256)
    throw th::bad_field(file, "tokens", "at least 259 (unk, BOS, EOS, 256 bytes)",
                        std::to_string(pieces_.size()));
  add_bos_ = cfg.add_bos.value_or(true);
  add_eos_ = cfg.add_eos.value_or(false);
}

std::vector<int64_t> Llama2cTokenizer::encode(std::string_view input, bool add_special) const {
  const std::string text = text::to_valid_utf8(input);
  std::vector<int64_t> out;
  if (add_special && add_bos_) out.push_back(kBos);
  if (!text.empty()) {
    // run.c prepends the " " token when the text is not empty (sentencepiece's dummy prefix).
    const std::string s = " " + text;
    std::vector<bpe::Symbol> syms;
    if (auto it = ids_.find(" "); it != ids_.end()) syms.push_back({it->second, 0, 1, 0, 0});
    for (std::size_t i = 1; i < s.size(); i += text::char_len(s, i)) {
      const auto len = static_cast<uint32_t>(text::char_len(s, i));
      if (auto it = ids_.find(s.substr(i, len)); it != ids_.end()) {
        syms.push_back({it->second, static_cast<uint32_t>(i), len, 0, 0});
      } else {
        for (uint32_t k = 0; k < len; ++k)
          syms.push_back({static_cast<int32_t>(static_cast<unsigned char>(s[i + k]) + kFirstByte),
                          static_cast<uint32_t>(i + k), 1, 0, 0});
      }
    }
    bpe::link(syms);
    // Merges look at the pieces' text, not at the bytes they came from: a byte symbol's text is
    // "<0xXX>", which never concatenates into a vocabulary entry, as in run.c.
    bpe::merge(syms, [&](const bpe::Symbol& l, const bpe::Symbol& r) -> std::optional<bpe::Merge> {
      auto it = ids_.find(pieces_[l.id] + pieces_[r.id]);
      if (it == ids_.end()) return std::nullopt;
      return bpe::Merge{-static_cast<double>(scores_[it->second]), it->second};
    });
    for (const auto& sym : syms)
      if (sym.len > 0) out.push_back(sym.id);
  }
  if (add_special && add_eos_) out.push_back(kEos);
  return out;
}

std::string Llama2cTokenizer::piece(int64_t id) const {
  // BOS and EOS read "\n<s>\n" and "\n</s>\n" in the file; run.c never prints them.
  if (id < 0 || id >= vocab_size() || id == kBos || id == kEos) return {};
  const std::string& p = pieces_[static_cast<std::size_t>(id)];
  const int b = text::byte_piece_value(p);
  return b >= 0 ? std::string(1, static_cast<char>(b)) : p;
}

std::string Llama2cTokenizer::decode(std::span<const int64_t> ids) const {
  std::string out;
  int64_t prev = kBos;  // the start of a sequence is treated as following BOS
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    std::string p = piece(id);
    if (prev == kBos && !p.empty() && p[0] == ' ' && id != kBos) p.erase(0, 1);
    out += p;
    prev = id;
  }
  return out;
}

}  // namespace

std::unique_ptr<Tokenizer> load_llama2c_tokenizer(const std::filesystem::path& file,
                                                  std::optional<int64_t> vocab_size,
                                                  const bpe::ConfigOverrides& cfg) {
  return std::make_unique<Llama2cTokenizer>(file, vocab_size, cfg);
}

}  // namespace th::model
