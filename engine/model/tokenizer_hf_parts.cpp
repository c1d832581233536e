#include "model/tokenizer_hf_parts.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <stdexcept>

#include "core/error.h"
#include "model/tokenizer_text.h"

namespace th::model::hf {

using nlohmann::json;
using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

namespace {

// ---- reading fields ---------------------------------------------------------------------

const json& field(const json& j, const char* name, const Where& w) {
  if (!j.is_object() || !j.contains(name))
    throw th::bad_field(w.file, w.path + "." + name, "a value", "nothing");
  return j[name];
}

std::string str_field(const json& j, const char* name, const Where& w) {
  const auto& v = field(j, name, w);
  if (!v.is_string()) throw th::bad_field(w.file, w.path + "." + name, "a string", v.dump());
  return v.get<std::string>();
}

bool bool_field(const json& j, const char* name, bool fallback, const Where& w) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  if (!j[name].is_boolean())
    throw th::bad_field(w.file, w.path + "." + name, "true or false", j[name].dump());
  return j[name].get<bool>();
}

// A split pattern: {"String": "x"} (literal) or {"Regex": "..."}.
class Pattern {
 public:
  Pattern(const json& j, const Where& w) {
    if (j.is_object() && j.contains("String") && j["String"].is_string()) {
      literal_ = j["String"].get<std::string>();
    } else if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
      try {
        regex_ = std::make_shared<text::Regex>(j["Regex"].get<std::string>());
      } catch (const std::invalid_argument& e) {
        throw th::bad_field(w.file, w.path + ".Regex", "a regular expression", e.what());
      }
    } else {
      throw th::bad_field(w.file, w.path, "{\"String\": ...} or {\"Regex\": ...}", j.dump());
    }
  }
  explicit Pattern(std::string literal) : literal_(std::move(literal)) {}

  Ranges find_all(std::string_view s) const {
    if (regex_) return regex_->find_all(s);
    Ranges out;
    if (literal_.empty()) return out;
    for (std::size_t p = 0; (p = s.find(literal_, p)) != std::string_view::npos;
         p += literal_.size())
      out.emplace_back(p, p + literal_.size());
    return out;
  }

  std::string replace(std::string_view s, std::string_view with) const {
    std::string out;
    std::size_t done = 0;
    for (auto [b, e] : find_all(s)) {
      out.append(s.substr(done, b - done));
      out.append(with);
      done = e;
    }
    out.append(s.substr(done));
    return out;
  }

 private:
  std::string literal_;
  std::shared_ptr<text::Regex> regex_;
};

// ---- splitting with HF's SplitDelimiterBehavior ------------------------------------------

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

const std::map<std::string, Behavior>& behaviors() {
  static const std::map<std::string, Behavior> m = {
      {"Removed", Behavior::Removed},
      {"Isolated", Behavior::Isolated},
      {"MergedWithPrevious", Behavior::MergedWithPrevious},
      {"MergedWithNext", Behavior::MergedWithNext},
      {"Contiguous", Behavior::Contiguous}};
  return m;
}

Behavior behavior_field(const json& j, const Where& w) {
  const std::string name = str_field(j, "behavior", w);
  auto it = behaviors().find(name);
  if (it == behaviors().end())
    throw th::bad_field(w.file, w.path + ".behavior",
                        "Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous",
                        name);
  return it->second;
}

struct Part {
  std::size_t b, e;
  bool match;
};

// Splits one piece at the given matches, following tokenizers' NormalizedString::split.
void split_piece(const Piece& p, const Ranges& matches, Behavior how, bool invert,
                 std::vector<Piece>& out) {
  std::vector<Part> parts;
  std::size_t done = 0;
  for (auto [b, e] : matches) {
    if (b > done) parts.push_back({done, b, invert});
    parts.push_back({b, e, !invert});
    done = e;
  }
  if (done < p.text.size()) parts.push_back({done, p.text.size(), invert});

  std::vector<Part> kept;
  bool prev_match = false;
  switch (how) {
    case Behavior::Removed:
      for (const auto& x : parts)
        if (!x.match) kept.push_back(x);
      break;
    case Behavior::Isolated:
      kept = parts;
      break;
    case Behavior::MergedWithPrevious:
      for (const auto& x : parts) {
        if (x.match && !prev_match && !kept.empty())
          kept.back().e = x.e;
        else
          kept.push_back(x);
        prev_match = x.match;
      }
      break;
    case Behavior::MergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->match && !prev_match && !kept.empty())
          kept.back().b = it->b;
        else
          kept.push_back(*it);
        prev_match = it->match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    case Behavior::Contiguous:
      for (const auto& x : parts) {
        if (x.match == prev_match && !kept.empty())
          kept.back().e = x.e;
        else
          kept.push_back(x);
        prev_match = x.match;
      }
      break;
  }
  for (const auto& x : kept)
    if (x.e > x.b) out.push_back({p.text.substr(x.b, x.e - x.b), p.at_start && x.b == 0});
}

template <typename F>
void each_piece(std::vector<Piece>& pieces, F&& split_one) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (const auto& p : pieces) split_one(p, out);
  pieces = std::move(out);
}

// ---- normalizers ------------------------------------------------------------------------

class NormSequence : public Normalizer {
 public:
  std::vector<std::unique_ptr<Normalizer>> parts;
  void apply(std::string& s) const override {
    for (const auto& p : parts) p->apply(s);
  }
};

class NormPrepend : public Normalizer {
 public:
  std::string text;
  void apply(std::string& s) const override {
    if (!s.empty()) s.insert(0, text);
  }
};

class NormAppend : public Normalizer {
 public:
  std::string text;
  void apply(std::string& s) const override {
    if (!s.empty()) s += text;
  }
};

class NormReplace : public Normalizer {
 public:
  NormReplace(Pattern p, std::string c) : pattern(std::move(p)), content(std::move(c)) {}
  Pattern pattern;
  std::string content;
  void apply(std::string& s) const override { s = pattern.replace(s, content); }
};

class NormStrip : public Normalizer {
 public:
  bool left = true, right = true;
  void apply(std::string& s) const override {
    std::size_t b = 0, e = s.size();
    while (left && b < e && text::is_whitespace(text::code_point(s, b))) b += text::char_len(s, b);
    while (right && e > b) {
      std::size_t c = e - 1;
      while (c > b && (static_cast<unsigned char>(s[c]) & 0xC0) == 0x80) --c;
      if (!text::is_whitespace(text::code_point(s, c))) break;
      e = c;
    }
    s = s.substr(b, e - b);
  }
};

// Unicode normal forms (NFC, NFD, NFKC, NFKD) through ICU's Normalizer2, whose tables are
// Unicode's own: the same forms Hugging Face's normalizers compute.
class NormUnicodeForm : public Normalizer {
 public:
  NormUnicodeForm(const icu::Normalizer2* (*instance)(UErrorCode&), const Where& w) {
    UErrorCode status = U_ZERO_ERROR;
    form_ = instance(status);
    if (U_FAILURE(status) || !form_)
      throw th::bad_field(w.file, w.path + ".type", "a Unicode normal form ICU provides",
                          u_errorName(status));
  }
  void apply(std::string& s) const override {
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString in = icu::UnicodeString::fromUTF8(s);
    if (form_->isNormalized(in, status) && U_SUCCESS(status)) return;
    status = U_ZERO_ERROR;
    const icu::UnicodeString out = form_->normalize(in, status);
    if (U_FAILURE(status)) return;  // ill-formed text stays as given
    s.clear();
    out.toUTF8String(s);
  }

 private:
  const icu::Normalizer2* form_ = nullptr;
};

using NormBuilder = std::function<std::unique_ptr<Normalizer>(const json&, const Where&)>;

const std::map<std::string, NormBuilder>& normalizer_builders() {
  static const std::map<std::string, NormBuilder> m = {
      {"Sequence",
       [](const json& j, const Where& w) -> std::unique_ptr<Normalizer> {
         auto seq = std::make_unique<NormSequence>();
         const auto& list = field(j, "normalizers", w);
         if (!list.is_array())
           throw th::bad_field(w.file, w.path + ".normalizers", "an array", list.dump());
         for (std::size_t i = 0; i < list.size(); ++i)
           if (auto n = make_normalizer(list[i], w.at(".normalizers[" + std::to_string(i) + "]")))
             seq->parts.push_back(std::move(n));
         return seq;
       }},
      {"Prepend",
       [](const json& j, const Where& w) -> std::unique_ptr<Normalizer> {
         auto n = std::make_unique<NormPrepend>();
         n->text = str_field(j, "prepend", w);
         return n;
       }},
      {"Append",
       [](const json& j, const Where& w) -> std::unique_ptr<Normalizer> {
         auto n = std::make_unique<NormAppend>();
         n->text = str_field(j, "append", w);
         return n;
       }},
      {"Replace",
       [](const json& j, const Where& w) -> std::unique_ptr<Normalizer> {
         return std::make_unique<NormReplace>(Pattern(field(j, "pattern", w), w.at(".pattern")),
                                              str_field(j, "content", w));
       }},
      {"Strip",
       [](const json& j, const Where& w) -> std::unique_ptr<Normalizer> {
         auto n = std::make_unique<NormStrip>();
         n->left = bool_field(j, "strip_left", true, w);
         n->right = bool_field(j, "strip_right", true, w);
         return n;
       }},
      {"NFC",
       [](const json&, const Where& w) -> std::unique_ptr<Normalizer> {
         return std::make_unique<NormUnicodeForm>(&icu::Normalizer2::getNFCInstance, w);
       }},
      {"NFD",
       [](const json&, const Where& w) -> std::unique_ptr<Normalizer> {
         return std::make_unique<NormUnicodeForm>(&icu::Normalizer2::getNFDInstance, w);
       }},
      {"NFKC",
       [](const json&, const Where& w) -> std::unique_ptr<Normalizer> {
         return std::make_unique<NormUnicodeForm>(&icu::Normalizer2::getNFKCInstance, w);
       }},
      {"NFKD",
       [](const json&, const Where& w) -> std::unique_ptr<Normalizer> {
         return std::make_unique<NormUnicodeForm>(&icu::Normalizer2::getNFKDInstance, w);
       }},
  };
  return m;
}

// ---- pre-tokenizers ---------------------------------------------------------------------

class PreSequence : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> parts;
  void apply(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts) p->apply(pieces);
  }
};

// GPT-2's split: contractions, letters, numbers, other symbols, each with one optional leading
// space; whitespace runs leave their last space to the next word.
const char* const kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreByteLevel : public PreTokenizer {
 public:
  bool add_prefix_space = false;
  bool use_regex = true;
  void apply(std::vector<Piece>& pieces) const override {
    static const text::Regex re(kGpt2Regex);
    each_piece(pieces, [&](const Piece& p0, std::vector<Piece>& out) {
      Piece p = p0;
      if (add_prefix_space && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
      std::vector<Piece> parts;
      if (use_regex)
        split_piece(p, re.find_all(p.text), Behavior::Isolated, false, parts);
      else if (!p.text.empty())
        parts.push_back(p);
      for (auto& q : parts) out.push_back({text::bytes_to_chars(q.text), q.at_start});
    });
  }
};

class PreSplit : public PreTokenizer {
 public:
  PreSplit(Pattern p, Behavior b, bool inv) : pattern(std::move(p)), how(b), invert(inv) {}
  Pattern pattern;
  Behavior how;
  bool invert;
  void apply(std::vector<Piece>& pieces) const override {
    each_piece(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, pattern.find_all(p.text), how, invert, out);
    });
  }
};

enum class Prepend { Always, First, Never };

Prepend prepend_scheme(const json& j, const Where& w) {
  if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
    static const std::map<std::string, Prepend> m = {
        {"always", Prepend::Always}, {"first", Prepend::First}, {"never", Prepend::Never}};
    auto it = m.find(j["prepend_scheme"].get<std::string>());
    if (it == m.end())
      throw th::bad_field(w.file, w.path + ".prepend_scheme", "always, first or never",
                          j["prepend_scheme"].dump());
    return it->second;
  }
  return bool_field(j, "add_prefix_space", true, w) ? Prepend::Always : Prepend::Never;
}

class PreMetaspace : public PreTokenizer {
 public:
  std::string replacement;
  Prepend scheme = Prepend::Always;
  bool split = true;
  void apply(std::vector<Piece>& pieces) const override {
    const Pattern rep(replacement);
    each_piece(pieces, [&](const Piece& p0, std::vector<Piece>& out) {
      Piece p{text::replace_all(p0.text, " ", replacement), p0.at_start};
      const bool starts = p.text.compare(0, replacement.size(), replacement) == 0;
      if (!starts && (scheme == Prepend::Always || (scheme == Prepend::First && p.at_start)))
        p.text.insert(0, replacement);
      if (split)
        split_piece(p, rep.find_all(p.text), Behavior::MergedWithNext, false, out);
      else if (!p.text.empty())
        out.push_back(p);
    });
  }
};

class PreRegexSplit : public PreTokenizer {
 public:
  PreRegexSplit(const char* re, Behavior b, bool inv) : regex(re), how(b), invert(inv) {}
  text::Regex regex;
  Behavior how;
  bool invert;
  void apply(std::vector<Piece>& pieces) const override {
    each_piece(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, regex.find_all(p.text), how, invert, out);
    });
  }
};

using PreBuilder = std::function<std::unique_ptr<PreTokenizer>(const json&, const Where&)>;

const std::map<std::string, PreBuilder>& pre_tokenizer_builders() {
  static const std::map<std::string, PreBuilder> m = {
      {"Sequence",
       [](const json& j, const Where& w) -> std::unique_ptr<PreTokenizer> {
         auto seq = std::make_unique<PreSequence>();
         const auto& list = field(j, "pretokenizers", w);
         if (!list.is_array())
           throw th::bad_field(w.file, w.path + ".pretokenizers", "an array", list.dump());
         for (std::size_t i = 0; i < list.size(); ++i)
           if (auto p =
                   make_pre_tokenizer(list[i], w.at(".pretokenizers[" + std::to_string(i) + "]")))
             seq->parts.push_back(std::move(p));
         return seq;
       }},
      {"ByteLevel",
       [](const json& j, const Where& w) -> std::unique_ptr<PreTokenizer> {
         auto p = std::make_unique<PreByteLevel>();
         p->add_prefix_space = bool_field(j, "add_prefix_space", false, w);
         p->use_regex = bool_field(j, "use_regex", true, w);
         return p;
       }},
      {"Split",
       [](const json& j, const Where& w) -> std::unique_ptr<PreTokenizer> {
         return std::make_unique<PreSplit>(Pattern(field(j, "pattern", w), w.at(".pattern")),
                                           behavior_field(j, w), bool_field(j, "invert", false, w));
       }},
      {"Metaspace",
       [](const json& j, const Where& w) -> std::unique_ptr<PreTokenizer> {
         auto p = std::make_unique<PreMetaspace>();
         p->replacement = str_field(j, "replacement", w);
         p->scheme = prepend_scheme(j, w);
         p->split = bool_field(j, "split", true, w);
         return p;
       }},
      {"Digits",
       [](const json& j, const Where& w) -> std::unique_ptr<PreTokenizer> {
         const bool each = bool_field(j, "individual_digits", false, w);
         return std::make_unique<PreRegexSplit>(
             "\\p{N}", each ? Behavior::Isolated : Behavior::Contiguous, false);
       }},
      {"Whitespace",
       [](const json&, const Where&) -> std::unique_ptr<PreTokenizer> {
         return std::make_unique<PreRegexSplit>("\\w+|[^\\w\\s]+", Behavior::Removed, true);
       }},
      {"WhitespaceSplit",
       [](const json&, const Where&) -> std::unique_ptr<PreTokenizer> {
         return std::make_unique<PreRegexSplit>("\\s+", Behavior::Removed, false);
       }},
  };
  return m;
}

// ---- decoders ---------------------------------------------------------------------------

class DecSequence : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> parts;
  void apply(std::vector<std::string>& t, bool whole) const override {
    for (const auto& p : parts) p->apply(t, whole);
  }
};

class DecByteLevel : public Decoder {
 public:
  void apply(std::vector<std::string>& t, bool) const override {
    std::string out;
    for (const auto& tok : t) {
      std::string bytes;
      out += text::chars_to_bytes(tok, bytes) ? bytes : tok;  // outside the alphabet: as written
    }
    t.assign(1, std::move(out));
  }
};

class DecMetaspace : public Decoder {
 public:
  std::string replacement;
  Prepend scheme = Prepend::Always;
  void apply(std::vector<std::string>& t, bool whole) const override {
    for (std::size_t i = 0; i < t.size(); ++i)
      t[i] = text::replace_all(t[i], replacement,
                               (whole && i == 0 && scheme != Prepend::Never) ? "" : " ");
  }
};

class DecReplace : public Decoder {
 public:
  DecReplace(Pattern p, std::string c) : pattern(std::move(p)), content(std::move(c)) {}
  Pattern pattern;
  std::string content;
  void apply(std::vector<std::string>& t, bool) const override {
    for (auto& s : t) s = pattern.replace(s, content);
  }
};

class DecByteFallback : public Decoder {
 public:
  void apply(std::vector<std::string>& t, bool) const override {
    std::vector<std::string> out;
    std::string bytes;  // a run of <0xXX> tokens becomes one string
    for (auto& s : t) {
      const int b = text::byte_piece_value(s);
      if (b >= 0) {
        bytes += static_cast<char>(b);
        continue;
      }
      if (!bytes.empty()) out.push_back(std::move(bytes)), bytes.clear();
      out.push_back(std::move(s));
    }
    if (!bytes.empty()) out.push_back(std::move(bytes));
    t = std::move(out);
  }
};

class DecFuse : public Decoder {
 public:
  void apply(std::vector<std::string>& t, bool) const override {
    std::string all;
    for (const auto& s : t) all += s;
    t.assign(1, std::move(all));
  }
};

class DecStrip : public Decoder {
 public:
  std::string content;
  std::size_t start = 0, stop = 0;
  void apply(std::vector<std::string>& t, bool whole) const override {
    if (!whole || content.empty()) return;
    for (auto& s : t) {
      std::size_t b = 0, e = s.size();
      for (std::size_t k = 0; k < start && s.compare(b, content.size(), content) == 0; ++k)
        b += content.size();
      for (std::size_t k = 0; k < stop && e >= b + content.size() &&
                              s.compare(e - content.size(), content.size(), content) == 0;
           ++k)
        e -= content.size();
      s = s.substr(b, e - b);
    }
  }
};

using DecBuilder = std::function<std::unique_ptr<Decoder>(const json&, const Where&)>;

const std::map<std::string, DecBuilder>& decoder_builders() {
  static const std::map<std::string, DecBuilder> m = {
      {"Sequence",
       [](const json& j, const Where& w) -> std::unique_ptr<Decoder> {
         auto seq = std::make_unique<DecSequence>();
         const auto& list = field(j, "decoders", w);
         if (!list.is_array())
           throw th::bad_field(w.file, w.path + ".decoders", "an array", list.dump());
         for (std::size_t i = 0; i < list.size(); ++i)
           if (auto d = make_decoder(list[i], w.at(".decoders[" + std::to_string(i) + "]")))
             seq->parts.push_back(std::move(d));
         return seq;
       }},
      {"ByteLevel",
       [](const json&, const Where&) -> std::unique_ptr<Decoder> {
         return std::make_unique<DecByteLevel>();
       }},
      {"Metaspace",
       [](const json& j, const Where& w) -> std::unique_ptr<Decoder> {
         auto d = std::make_unique<DecMetaspace>();
         d->replacement = str_field(j, "replacement", w);
         d->scheme = prepend_scheme(j, w);
         return d;
       }},
      {"Replace",
       [](const json& j, const Where& w) -> std::unique_ptr<Decoder> {
         return std::make_unique<DecReplace>(Pattern(field(j, "pattern", w), w.at(".pattern")),
                                             str_field(j, "content", w));
       }},
      {"ByteFallback",
       [](const json&, const Where&) -> std::unique_ptr<Decoder> {
         return std::make_unique<DecByteFallback>();
       }},
      {"Fuse",
       [](const json&, const Where&) -> std::unique_ptr<Decoder> {
         return std::make_unique<DecFuse>();
       }},
      {"Strip",
       [](const json& j, const Where& w) -> std::unique_ptr<Decoder> {
         auto d = std::make_unique<DecStrip>();
         d->content = str_field(j, "content", w);
         const auto& a = field(j, "start", w);
         const auto& b = field(j, "stop", w);
         if (!a.is_number_unsigned() || !b.is_number_unsigned())
           throw th::bad_field(w.file, w.path + ".start/.stop", "non-negative integers",
                               a.dump() + ", " + b.dump());
         d->start = a.get<std::size_t>();
         d->stop = b.get<std::size_t>();
         return d;
       }},
  };
  return m;
}

template <typename T, typename Builders>
std::unique_ptr<T> build(const json& j, const Where& w, const Builders& builders,
                         const char* what) {
  if (j.is_null()) return nullptr;
  const std::string type = str_field(j, "type", w);
  auto it = builders.find(type);
  if (it == builders.end()) {
    std::string known;
    for (const auto& [name, _] : builders) known += (known.empty() ? "" : ", ") + name;
    throw th::bad_field(w.file, w.path + ".type",
                        std::string("a supported ") + what + " (" + known + ")", type);
  }
  return it->second(j, w);
}

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const json& j, const Where& w) {
  return build<Normalizer>(j, w, normalizer_builders(), "normalizer");
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const Where& w) {
  return build<PreTokenizer>(j, w, pre_tokenizer_builders(), "pre_tokenizer");
}

std::unique_ptr<Decoder> make_decoder(const json& j, const Where& w) {
  return build<Decoder>(j, w, decoder_builders(), "decoder");
}

}  // namespace th::model::hf
