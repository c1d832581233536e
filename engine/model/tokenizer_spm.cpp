// SentencePiece tokenizer.model, read with a small protobuf wire-format reader (libsentencepiece
// cannot be linked next to libtorch: their protobuf copies collide). Encoding follows
// sentencepiece: normalize (dummy prefix, whitespace → "▁"), then BPE by piece score or Unigram
// by Viterbi, with byte fallback. Control and unknown pieces written in the text are recognised
// as Hugging Face's converted tokenizers do; user-defined pieces are atomic, as in sentencepiece.
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
#include "model/tokenizer_formats.h"
#include "model/tokenizer_text.h"

namespace th::model {

namespace {

// ---- protobuf wire format ---------------------------------------------------------------

class Wire {
 public:
  Wire(std::string_view data, std::string file, std::string where)
      : p_(data), file_(std::move(file)), where_(std::move(where)) {}
  bool done() const { return pos_ >= p_.size(); }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= p_.size()) fail("a varint", "end of data");
      const auto b = static_cast<unsigned char>(p_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return v;
    }
    fail("a varint of at most 10 bytes", "a longer one");
  }
  // (field number, wire type)
  std::pair<uint32_t, uint32_t> tag() {
    const uint64_t t = varint();
    return {static_cast<uint32_t>(t >> 3), static_cast<uint32_t>(t & 7)};
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    if (n > p_.size() - pos_)
      fail("a length-delimited field inside the data", std::to_string(n) + " bytes");
    auto s = p_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  float fixed32_float() {
    if (p_.size() - pos_ < 4) fail("4 bytes of float", "end of data");
    float f;
    std::memcpy(&f, p_.data() + pos_,
                4);  // protobuf is little-endian, as is every target we build for
    pos_ += 4;
    return f;
  }
  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0:
        varint();
        break;
      case 1:
        advance(8);
        break;
      case 2:
        bytes();
        break;
      case 5:
        advance(4);
        break;
      default:
        fail("wire type 0, 1, 2 or 5", std::to_string(wire_type));
    }
  }
  [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
    throw th::bad_field(file_, where_ + " (byte " + std::to_string(pos_) + ")", expected, found);
  }
  const std::string& file() const { return file_; }

 private:
  void advance(std::size_t n) {
    if (p_.size() - pos_ < n) fail(std::to_string(n) + " more bytes", "end of data");
    pos_ += n;
  }
  std::string_view p_;
  std::size_t pos_ = 0;
  std::string file_, where_;
};

enum PieceType {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};

struct SpmPiece {
  std::string text;
  float score = 0;
  int type = kNormal;
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  int model_type = 1;  // UNIGRAM=1, BPE=2
  bool byte_fallback = false;
  bool whitespace_suffix = false;
  int64_t unk_id = 0, bos_id = 1, eos_id = 2;
  std::string normalizer_name;
  bool has_charsmap = false;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
};

SpmPiece read_piece(std::string_view data, const std::string& file, std::size_t index) {
  Wire w(data, file, "pieces[" + std::to_string(index) + "]");
  SpmPiece p;
  while (!w.done()) {
    auto [f, t] = w.tag();
    if (f == 1 && t == 2)
      p.text = std::string(w.bytes());
    else if (f == 2 && t == 5)
      p.score = w.fixed32_float();
    else if (f == 3 && t == 0)
      p.type = static_cast<int>(w.varint());
    else
      w.skip(t);
  }
  if (p.type < kNormal || p.type > kByte) w.fail("a piece type 1..6", std::to_string(p.type));
  return p;
}

void read_trainer(std::string_view data, const std::string& file, SpmModel& m) {
  Wire w(data, file, "trainer_spec");
  // Field numbers of sentencepiece_model.proto's TrainerSpec.
  while (!w.done()) {
    auto [f, t] = w.tag();
    if (t != 0) {
      w.skip(t);
      continue;
    }
    const auto v = w.varint();
    switch (f) {
      case 3:
        m.model_type = static_cast<int>(v);
        break;
      case 24:
        m.whitespace_suffix = v != 0;
        break;
      case 35:
        m.byte_fallback = v != 0;
        break;
      case 40:
        m.unk_id = static_cast<int32_t>(v);
        break;
      case 41:
        m.bos_id = static_cast<int32_t>(v);
        break;
      case 42:
        m.eos_id = static_cast<int32_t>(v);
        break;
      default:
        break;
    }
  }
}

void read_normalizer(std::string_view data, const std::string& file, SpmModel& m) {
  Wire w(data, file, "normalizer_spec");
  while (!w.done()) {
    auto [f, t] = w.tag();
    if (f == 1 && t == 2)
      m.normalizer_name = std::string(w.bytes());
    else if (f == 2 && t == 2)
      m.has_charsmap = !w.bytes().empty();
    else if (f == 3 && t == 0)
      m.add_dummy_prefix = w.varint() != 0;
    else if (f == 4 && t == 0)
      m.remove_extra_whitespaces = w.varint() != 0;
    else if (f == 5 && t == 0)
      m.escape_whitespaces = w.varint() != 0;
    else
      w.skip(t);
  }
}

SpmModel read_model(const std::filesystem::path& path) {
  const std::string data = bpe::read_file(path);
  const std::string file = path.string();
  SpmModel m;
  Wire w(data, file, "ModelProto");
  while (!w.done()) {
    auto [f, t] = w.tag();
    if (f == 1 && t == 2)
      m.pieces.push_back(read_piece(w.bytes(), file, m.pieces.size()));
    else if (f == 2 && t == 2)
      read_trainer(w.bytes(), file, m);
    else if (f == 3 && t == 2)
      read_normalizer(w.bytes(), file, m);
    else
      w.skip(t);
  }
  if (m.pieces.empty())
    throw th::bad_field(file, "pieces", "at least one piece (a SentencePiece model)", "none");
  if (m.model_type != 1 && m.model_type != 2)
    throw th::bad_field(file, "trainer_spec.model_type", "UNIGRAM (1) or BPE (2)",
                        std::to_string(m.model_type));
  const auto n = static_cast<int64_t>(m.pieces.size());
  if (m.unk_id < 0 || m.unk_id >= n)
    throw th::bad_field(file, "trainer_spec.unk_id", "an id below " + std::to_string(n),
                        std::to_string(m.unk_id));
  if (m.has_charsmap && m.normalizer_name != "identity")
    th::log::warn(
        "{}: normalizer_spec {}: its character map is not applied (text passes through unchanged)",
        file, m.normalizer_name);
  return m;
}

// ---- the tokenizer ----------------------------------------------------------------------

const std::string kSpace = "\xE2\x96\x81";  // U+2581 "▁", sentencepiece's visible space

class SpmTokenizer : public Tokenizer {
 public:
  SpmTokenizer(SpmModel model, const bpe::ConfigOverrides& cfg);
  std::vector<int64_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  std::string piece(int64_t id) const override;
  std::optional<int64_t> bos_id() const override { return bos_; }
  std::optional<int64_t> eos_id() const override { return eos_; }
  int64_t vocab_size() const override { return static_cast<int64_t>(m_.pieces.size()); }

 private:
  std::string normalize(std::string_view s) const;
  // Initial symbols: characters, user-defined pieces kept whole.
  std::vector<bpe::Symbol> initial_symbols(const std::string& s) const;
  void encode_bpe(const std::string& s, std::vector<int64_t>& out) const;
  void encode_unigram(const std::string& s, std::vector<int64_t>& out) const;
  void emit(std::string_view piece, std::vector<int64_t>& out) const;

  SpmModel m_;
  std::unordered_map<std::string, int32_t> ids_;  // normal, user-defined and unused pieces
  std::array<int32_t, 256> byte_ids_{};
  bpe::AddedMatcher specials_;  // control and unknown pieces, matched in raw text
  bpe::AddedMatcher user_;      // user-defined pieces, matched in normalized text
  std::size_t max_piece_bytes_ = 1;
  float min_score_ = 0, max_score_ = 0;
  std::optional<int64_t> bos_, eos_;
  bool add_bos_ = true, add_eos_ = false;
};

SpmTokenizer::SpmTokenizer(SpmModel model, const bpe::ConfigOverrides& cfg) : m_(std::move(model)) {
  byte_ids_.fill(-1);
  std::vector<bpe::AddedToken> specials, user;
  min_score_ = std::numeric_limits<float>::max();
  max_score_ = std::numeric_limits<float>::lowest();
  for (int32_t i = 0; i < static_cast<int32_t>(m_.pieces.size()); ++i) {
    const auto& p = m_.pieces[i];
    switch (p.type) {
      case kNormal:
      case kUserDefined:
      case kUnused:
        ids_.emplace(p.text, i);
        max_piece_bytes_ = std::max(max_piece_bytes_, p.text.size());
        if (p.type == kNormal)
          min_score_ = std::min(min_score_, p.score), max_score_ = std::max(max_score_, p.score);
        if (p.type == kUserDefined) user.push_back({p.text, i, false, false, false, false, true});
        break;
      case kByte:
        if (int b = text::byte_piece_value(p.text); b >= 0) byte_ids_[b] = i;
        break;
      default:  // control, unknown
        specials.push_back({p.text, i, true, false, false, false, false});
    }
  }
  if (min_score_ > max_score_) min_score_ = max_score_ = 0;
  specials_ = bpe::AddedMatcher(std::move(specials));
  user_ = bpe::AddedMatcher(std::move(user));
  const auto n = static_cast<int64_t>(m_.pieces.size());
  auto valid = [&](int64_t id) {
    return id >= 0 && id < n ? std::optional<int64_t>(id) : std::nullopt;
  };
  bos_ = valid(m_.bos_id);
  eos_ = valid(m_.eos_id);
  auto find = [&](const std::string& s) -> std::optional<int64_t> {
    for (int64_t i = 0; i < n; ++i)
      if (m_.pieces[i].text == s) return i;
    return std::nullopt;
  };
  if (cfg.bos_token)
    if (auto id = find(*cfg.bos_token)) bos_ = id;
  if (cfg.eos_token)
    if (auto id = find(*cfg.eos_token)) eos_ = id;
  add_bos_ = cfg.add_bos.value_or(true);
  add_eos_ = cfg.add_eos.value_or(false);
}

std::string SpmTokenizer::normalize(std::string_view in) const {
  std::string s;
  if (m_.remove_extra_whitespaces) {
    bool space = true;  // drops leading spaces too
    for (char c : in) {
      if (c == ' ' && space) continue;
      space = c == ' ';
      s += c;
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
  } else {
    s = in;
  }
  if (s.empty()) return s;
  if (m_.add_dummy_prefix) {
    if (m_.whitespace_suffix)
      s += ' ';
    else
      s.insert(0, " ");
  }
  return m_.escape_whitespaces ? text::replace_all(s, " ", kSpace) : s;
}

std::vector<bpe::Symbol> SpmTokenizer::initial_symbols(const std::string& s) const {
  std::vector<bpe::Symbol> syms;
  for (const auto& span : user_.split(s)) {
    if (span.id >= 0) {
      syms.push_back({static_cast<int32_t>(span.id), static_cast<uint32_t>(span.begin),
                      static_cast<uint32_t>(span.end - span.begin), 0, 0});
      continue;
    }
    for (std::size_t i = span.begin; i < span.end; i += text::char_len(s, i)) {
      const auto len = static_cast<uint32_t>(text::char_len(s, i));
      auto it = ids_.find(s.substr(i, len));
      syms.push_back({it == ids_.end() ? -1 : it->second, static_cast<uint32_t>(i), len, 0, 0});
    }
  }
  bpe::link(syms);
  return syms;
}

// A piece as output: its id, else its bytes as byte pieces, else unk.
void SpmTokenizer::emit(std::string_view piece, std::vector<int64_t>& out) const {
  if (auto it = ids_.find(std::string(piece)); it != ids_.end()) {
    out.push_back(it->second);
    return;
  }
  if (m_.byte_fallback) {
    bool all = true;
    for (char c : piece) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
    if (all) {
      for (char c : piece) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
      return;
    }
  }
  // A run of unknown pieces becomes one unk, as sentencepiece reports them.
  if (out.empty() || out.back() != m_.unk_id) out.push_back(m_.unk_id);
}

void SpmTokenizer::encode_bpe(const std::string& s, std::vector<int64_t>& out) const {
  auto syms = initial_symbols(s);
  bpe::merge(syms, [&](const bpe::Symbol& l, const bpe::Symbol& r) -> std::optional<bpe::Merge> {
    auto it = ids_.find(s.substr(l.start, l.len + r.len));
    if (it == ids_.end()) return std::nullopt;
    return bpe::Merge{-static_cast<double>(m_.pieces[it->second].score), it->second};
  });
  for (const auto& sym : syms)
    if (sym.len > 0) emit(std::string_view(s).substr(sym.start, sym.len), out);
}

void SpmTokenizer::encode_unigram(const std::string& s, std::vector<int64_t>& out) const {
  // Viterbi over character boundaries: best[i] is the best score of a segmentation of s[0, i).
  constexpr double kUnkPenalty = 10.0;
  const auto starts = text::char_starts(s);
  std::vector<double> best(s.size() + 1, -std::numeric_limits<double>::infinity());
  std::vector<std::size_t> from(s.size() + 1, 0);
  best[0] = 0;
  // User-defined pieces win over anything their characters could form.
  std::vector<std::size_t> user_end(s.size() + 1, 0);
  for (const auto& span : user_.split(s))
    if (span.id >= 0) user_end[span.begin] = span.end;
  for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
    const std::size_t i = starts[k];
    if (best[i] == -std::numeric_limits<double>::infinity()) continue;
    if (user_end[i]) {
      const std::size_t e = user_end[i];
      if (best[i] > best[e] || best[e] == -std::numeric_limits<double>::infinity())
        best[e] = best[i], from[e] = i;
      continue;
    }
    bool single = false;
    for (std::size_t kk = k + 1; kk < starts.size() && starts[kk] - i <= max_piece_bytes_; ++kk) {
      const std::size_t e = starts[kk];
      auto it = ids_.find(s.substr(i, e - i));
      if (it == ids_.end() || m_.pieces[it->second].type == kUnused) continue;
      single = single || kk == k + 1;
      const double sc = best[i] + m_.pieces[it->second].score;
      if (sc > best[e]) best[e] = sc, from[e] = i;
    }
    if (!single) {
      const std::size_t e = starts[k + 1];
      const double sc = best[i] + min_score_ - kUnkPenalty;
      if (sc > best[e]) best[e] = sc, from[e] = i;
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> path;
  for (std::size_t e = s.size(); e > 0; e = from[e]) path.emplace_back(from[e], e);
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    emit(std::string_view(s).substr(it->first, it->second - it->first), out);
}

std::vector<int64_t> SpmTokenizer::encode(std::string_view input, bool add_special) const {
  const std::string text = text::to_valid_utf8(input);
  std::vector<int64_t> ids;
  if (add_special && add_bos_ && bos_) ids.push_back(*bos_);
  for (const auto& span : specials_.split(text)) {
    if (span.id >= 0) {
      ids.push_back(span.id);
      continue;
    }
    const std::string norm =
        normalize(std::string_view(text).substr(span.begin, span.end - span.begin));
    if (norm.empty()) continue;
    if (m_.model_type == 2)
      encode_bpe(norm, ids);
    else
      encode_unigram(norm, ids);
  }
  if (add_special && add_eos_ && eos_) ids.push_back(*eos_);
  return ids;
}

std::string SpmTokenizer::piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  const auto& p = m_.pieces[static_cast<std::size_t>(id)];
  if (p.type == kByte) {
    const int b = text::byte_piece_value(p.text);
    return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
  }
  return text::replace_all(p.text, kSpace, " ");
}

std::string SpmTokenizer::decode(std::span<const int64_t> ids) const {
  std::string out;
  for (int64_t id : ids) out += piece(id);
  // The dummy prefix the encoder added comes back as one leading space.
  if (m_.add_dummy_prefix && !m_.whitespace_suffix && !out.empty() && out[0] == ' ')
    out.erase(0, 1);
  return out;
}

}  // namespace

std::unique_ptr<Tokenizer> load_spm_tokenizer(const std::filesystem::path& file,
                                              const bpe::ConfigOverrides& cfg) {
  return std::make_unique<SpmTokenizer>(read_model(file), cfg);
}

}  // namespace th::model
