// Hugging Face tokenizer.json with a BPE model: added tokens → normalizer → pre-tokenizer →
// BPE (merge ranks) → post-processor, and the decoder chain back. Follows the `tokenizers`
// library step for step so that ids match it exactly.
#include <nlohmann/json.hpp>

#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "model/tokenizer_formats.h"
#include "model/tokenizer_hf_parts.h"
#include "model/tokenizer_text.h"

namespace th::model {

using nlohmann::json;

namespace {

// The post-processor's single-sequence template: fixed ids around the sequence.
struct Template {
  std::vector<int64_t> before, after;
};

class HfTokenizer : public Tokenizer {
 public:
  HfTokenizer(const std::filesystem::path& file, const bpe::ConfigOverrides& cfg);

  std::vector<int64_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  std::string piece(int64_t id) const override;
  std::optional<int64_t> bos_id() const override { return bos_; }
  std::optional<int64_t> eos_id() const override { return eos_; }
  int64_t vocab_size() const override { return static_cast<int64_t>(id_to_token_.size()); }

 private:
  void load_model(const json& m, const hf::Where& w);
  void load_added(const json& a, const hf::Where& w);
  void load_post_processor(const json& p, const hf::Where& w);
  std::optional<int64_t> token_id(const std::string& s) const;
  void encode_word(const std::string& word, std::vector<int64_t>& out) const;
  std::vector<int32_t> bpe_word(const std::string& word) const;
  std::string token_string(int64_t id) const;

  std::string file_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;  // model vocabulary and added tokens
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>>
      merges_;                   // (left,right) → (rank, merged)
  std::string prefix_, suffix_;  // continuing_subword_prefix, end_of_word_suffix
  std::optional<int32_t> unk_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::array<int32_t, 256> byte_ids_{};

  bpe::AddedMatcher raw_added_, normalized_added_;
  std::unique_ptr<hf::Normalizer> normalizer_;
  std::unique_ptr<hf::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<hf::Decoder> decoder_;
  Template template_;
  std::optional<int64_t> bos_, eos_;

  // Words repeat a lot in running text; their BPE result is cached (bounded).
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

json parse_json(const std::filesystem::path& file) {
  try {
    return json::parse(bpe::read_file(file));
  } catch (const json::exception& e) {
    throw th::bad_file(file.string(), std::string("not valid JSON: ") + e.what());
  }
}

HfTokenizer::HfTokenizer(const std::filesystem::path& file, const bpe::ConfigOverrides& cfg)
    : file_(file.string()) {
  const json j = parse_json(file);
  const hf::Where w{file_, ""};
  if (!j.is_object() || !j.contains("model"))
    throw th::bad_field(file_, "model", "a tokenizer model object", "nothing");
  load_model(j["model"], w.at("model"));
  load_added(j.value("added_tokens", json::array()), w.at("added_tokens"));
  normalizer_ = hf::make_normalizer(j.value("normalizer", json()), w.at("normalizer"));
  pre_tokenizer_ = hf::make_pre_tokenizer(j.value("pre_tokenizer", json()), w.at("pre_tokenizer"));
  decoder_ = hf::make_decoder(j.value("decoder", json()), w.at("decoder"));
  load_post_processor(j.value("post_processor", json()), w.at("post_processor"));

  // Normalized added tokens are matched after normalization, so their text is normalized too.
  std::vector<bpe::AddedToken> raw, normalized;
  for (const auto& a : j.value("added_tokens", json::array())) {
    bpe::AddedToken t;
    t.content = a["content"].get<std::string>();
    t.id = a["id"].get<int64_t>();
    t.special = a.value("special", false);
    t.single_word = a.value("single_word", false);
    t.lstrip = a.value("lstrip", false);
    t.rstrip = a.value("rstrip", false);
    t.normalized = a.value("normalized", !t.special);
    if (t.normalized && normalizer_) normalizer_->apply(t.content);
    (t.normalized ? normalized : raw).push_back(std::move(t));
  }
  raw_added_ = bpe::AddedMatcher(std::move(raw));
  normalized_added_ = bpe::AddedMatcher(std::move(normalized));

  if (cfg.bos_token) bos_ = token_id(*cfg.bos_token);
  if (cfg.eos_token) eos_ = token_id(*cfg.eos_token);
  if (!bos_ && !template_.before.empty()) bos_ = template_.before.front();
  // Without a config, fall back on the names these vocabularies use for their markers.
  for (const char* name : {"<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>"})
    if (!bos_) bos_ = token_id(name);
  for (const char* name : {"<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>"})
    if (!eos_) eos_ = token_id(name);
  // tokenizer_config.json's add_bos_token/add_eos_token rebuild the template, as transformers'
  // Llama/Gemma tokenizers do.
  if (cfg.add_bos || cfg.add_eos) {
    template_ = {};
    if (cfg.add_bos.value_or(false) && bos_) template_.before.push_back(*bos_);
    if (cfg.add_eos.value_or(false) && eos_) template_.after.push_back(*eos_);
  }
}

void HfTokenizer::load_model(const json& m, const hf::Where& w) {
  const std::string type = m.value("type", m.contains("merges") ? "BPE" : "");
  if (type != "BPE")
    throw th::bad_field(w.file, w.path + ".type", "BPE (the only model type supported)",
                        type.empty() ? "nothing" : type);
  if (!m.contains("vocab") || !m["vocab"].is_object())
    throw th::bad_field(w.file, w.path + ".vocab", "an object token → id", "something else");
  for (const auto& [tok, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > (1 << 24))
      throw th::bad_field(w.file, w.path + ".vocab[\"" + tok + "\"]", "an id in 0..16777216",
                          id.dump());
    const auto i = id.get<int32_t>();
    vocab_[tok] = i;
    if (static_cast<std::size_t>(i) >= id_to_token_.size()) id_to_token_.resize(i + 1);
    id_to_token_[i] = tok;
  }
  auto opt_str = [&](const char* k) {
    return m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : std::string();
  };
  prefix_ = opt_str("continuing_subword_prefix");
  suffix_ = opt_str("end_of_word_suffix");
  fuse_unk_ = m.value("fuse_unk", false);
  byte_fallback_ = m.value("byte_fallback", false);
  ignore_merges_ = m.value("ignore_merges", false);
  if (const std::string unk = opt_str("unk_token"); !unk.empty()) {
    auto it = vocab_.find(unk);
    if (it == vocab_.end())
      throw th::bad_field(w.file, w.path + ".unk_token", "a token of the vocabulary", unk);
    unk_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = vocab_.find(text::byte_piece_name(static_cast<unsigned char>(b)));
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  if (!m.contains("merges") || !m["merges"].is_array())
    throw th::bad_field(w.file, w.path + ".merges", "an array", "something else");
  const auto& merges = m["merges"];
  merges_.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const auto& e = merges[r];
    std::string a, b;
    if (e.is_string()) {
      const auto s = e.get<std::string>();
      const auto sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw th::bad_field(w.file, w.path + ".merges[" + std::to_string(r) + "]", "\"left right\"",
                            s);
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      throw th::bad_field(w.file, w.path + ".merges[" + std::to_string(r) + "]",
                          "\"left right\" or [left, right]", e.dump());
    }
    const std::string merged =
        a + (b.compare(0, prefix_.size(), prefix_) == 0 ? b.substr(prefix_.size()) : b);
    auto ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(merged);
    if (ia == vocab_.end() || ib == vocab_.end() || im == vocab_.end())
      throw th::bad_field(w.file, w.path + ".merges[" + std::to_string(r) + "]",
                          "a merge whose parts and result are in the vocabulary", a + " " + b);
    merges_.emplace(pair_key(ia->second, ib->second),
                    std::make_pair(static_cast<int32_t>(r), im->second));
  }
}

void HfTokenizer::load_added(const json& a, const hf::Where& w) {
  if (!a.is_array()) throw th::bad_field(w.file, w.path, "an array", a.dump());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& t = a[i];
    const std::string where = w.path + "[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
      throw th::bad_field(w.file, where + ".content", "a string", t.dump());
    if (!t.contains("id") || !t["id"].is_number_integer() || t["id"].get<int64_t>() < 0 ||
        t["id"].get<int64_t>() > (1 << 24))
      throw th::bad_field(w.file, where + ".id", "an id in 0..16777216",
                          t.value("id", json()).dump());
    const auto id = t["id"].get<std::size_t>();
    if (id >= id_to_token_.size()) id_to_token_.resize(id + 1);
    id_to_token_[id] = t["content"].get<std::string>();
  }
}

void HfTokenizer::load_post_processor(const json& p, const hf::Where& w) {
  if (p.is_null()) return;
  const std::string type = p.value("type", "");
  if (type == "Sequence") {
    const auto& list = p.value("processors", json::array());
    for (std::size_t i = 0; i < list.size(); ++i)
      load_post_processor(list[i], w.at(".processors[" + std::to_string(i) + "]"));
  } else if (type == "ByteLevel") {
    // Only trims offsets: nothing to do for ids.
  } else if (type == "TemplateProcessing") {
    template_ = {};
    bool seen_sequence = false;
    const auto& single = p.value("single", json::array());
    const auto& specials = p.value("special_tokens", json::object());
    for (const auto& item : single) {
      if (item.contains("Sequence")) {
        seen_sequence = true;
      } else if (item.contains("SpecialToken")) {
        const std::string name = item["SpecialToken"].value("id", "");
        if (!specials.contains(name) || !specials[name].contains("ids"))
          throw th::bad_field(w.file, w.path + ".special_tokens", "an entry for " + name,
                              "nothing");
        auto& dst = seen_sequence ? template_.after : template_.before;
        for (const auto& id : specials[name]["ids"]) dst.push_back(id.get<int64_t>());
      } else {
        throw th::bad_field(w.file, w.path + ".single", "Sequence or SpecialToken items",
                            item.dump());
      }
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    auto id_of = [&](const char* k) {
      if (!p.contains(k) || !p[k].is_array() || p[k].size() != 2 || !p[k][1].is_number_integer())
        throw th::bad_field(w.file, w.path + "." + k, "[token, id]", p.value(k, json()).dump());
      return p[k][1].get<int64_t>();
    };
    template_ = {{id_of("cls")}, {id_of("sep")}};
  } else {
    throw th::bad_field(
        w.file, w.path + ".type",
        "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing or Sequence", type);
  }
}

std::optional<int64_t> HfTokenizer::token_id(const std::string& s) const {
  if (auto it = vocab_.find(s); it != vocab_.end()) return it->second;
  for (std::size_t i = 0; i < id_to_token_.size(); ++i)  // added tokens: few, and only at load
    if (id_to_token_[i] == s) return static_cast<int64_t>(i);
  return std::nullopt;
}

std::vector<int32_t> HfTokenizer::bpe_word(const std::string& word) const {
  if (ignore_merges_)
    if (auto it = vocab_.find(word); it != vocab_.end()) return {it->second};

  std::vector<bpe::Symbol> syms;
  const auto starts = text::char_starts(word);
  for (std::size_t c = 0; c + 1 < starts.size(); ++c) {
    const auto b = static_cast<uint32_t>(starts[c]);
    const auto len = static_cast<uint32_t>(starts[c + 1] - starts[c]);
    std::string s = word.substr(b, len);
    if (c > 0 && !prefix_.empty()) s.insert(0, prefix_);
    if (c + 2 == starts.size()) s += suffix_;
    if (auto it = vocab_.find(s); it != vocab_.end()) {
      syms.push_back({it->second, b, len, 0, 0});
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (uint32_t k = 0; k < len; ++k)
        all = all && byte_ids_[static_cast<unsigned char>(word[b + k])] >= 0;
      if (all) {
        for (uint32_t k = 0; k < len; ++k)
          syms.push_back({byte_ids_[static_cast<unsigned char>(word[b + k])], b + k, 1, 0, 0});
        continue;
      }
    }
    if (!unk_) continue;  // HF drops characters it cannot represent when there is no unk token
    if (fuse_unk_ && !syms.empty() && syms.back().id == *unk_)
      syms.back().len += len;
    else
      syms.push_back({*unk_, b, len, 0, 0});
  }
  bpe::link(syms);
  bpe::merge(syms, [&](const bpe::Symbol& l, const bpe::Symbol& r) -> std::optional<bpe::Merge> {
    auto it = merges_.find(pair_key(l.id, r.id));
    if (it == merges_.end()) return std::nullopt;
    return bpe::Merge{static_cast<double>(it->second.first), it->second.second};
  });
  std::vector<int32_t> ids;
  for (const auto& s : syms)
    if (s.len > 0) ids.push_back(s.id);
  return ids;
}

void HfTokenizer::encode_word(const std::string& word, std::vector<int64_t>& out) const {
  constexpr std::size_t kMaxCachedWord = 256, kMaxCacheEntries = 1 << 16;
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(word); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  auto ids = bpe_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(word, std::move(ids));
  }
}

std::vector<int64_t> HfTokenizer::encode(std::string_view input, bool add_special) const {
  const std::string text = text::to_valid_utf8(input);
  std::vector<int64_t> ids;
  if (add_special) ids = template_.before;
  for (const auto& raw : raw_added_.split(text)) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    std::string norm = text.substr(raw.begin, raw.end - raw.begin);
    if (normalizer_) normalizer_->apply(norm);
    for (const auto& span : normalized_added_.split(norm)) {
      if (span.id >= 0) {
        ids.push_back(span.id);
        continue;
      }
      std::vector<hf::Piece> pieces{
          {norm.substr(span.begin, span.end - span.begin), raw.begin == 0 && span.begin == 0}};
      if (pre_tokenizer_) pre_tokenizer_->apply(pieces);
      for (const auto& p : pieces) encode_word(p.text, ids);
    }
  }
  if (add_special) ids.insert(ids.end(), template_.after.begin(), template_.after.end());
  return ids;
}

std::string HfTokenizer::token_string(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return id_to_token_[static_cast<std::size_t>(id)];
}

std::string HfTokenizer::decode(std::span<const int64_t> ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids)
    if (id >= 0 && id < vocab_size()) tokens.push_back(token_string(id));
  std::string out;
  if (!decoder_) {
    for (std::size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  decoder_->apply(tokens, true);
  for (const auto& t : tokens) out += t;
  return out;
}

std::string HfTokenizer::piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  std::vector<std::string> tokens{token_string(id)};
  if (decoder_) decoder_->apply(tokens, false);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_json_tokenizer(const std::filesystem::path& file,
                                                  const bpe::ConfigOverrides& cfg) {
  return std::make_unique<HfTokenizer>(file, cfg);
}

}  // namespace th::model
