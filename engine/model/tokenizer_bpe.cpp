#include "model/tokenizer_bpe.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/tokenizer_text.h"

namespace th::model::bpe {

void link(std::vector<Symbol>& syms) {
  const auto n = static_cast<int32_t>(syms.size());
  for (int32_t i = 0; i < n; ++i) {
    syms[i].prev = i - 1;
    syms[i].next = i + 1 < n ? i + 1 : -1;
  }
}

namespace {

struct Candidate {
  double priority;
  int32_t left, right;
  uint32_t left_len, right_len;
  int32_t id;
};

struct Later {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.left > b.left;
  }
};

}  // namespace

void merge(std::vector<Symbol>& syms,
           const std::function<std::optional<Merge>(const Symbol&, const Symbol&)>& pair) {
  std::priority_queue<Candidate, std::vector<Candidate>, Later> queue;
  auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    if (auto m = pair(syms[l], syms[r]))
      queue.push({m->priority, l, r, syms[l].len, syms[r].len, m->id});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) consider(i, i + 1);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = syms[c.left];
    Symbol& r = syms[c.right];
    if (l.len != c.left_len || r.len != c.right_len || l.next != c.right || r.len == 0) continue;
    l.len += r.len;
    l.id = c.id;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
}

AddedMatcher::AddedMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  trie_.emplace_back();
  for (int32_t t = 0; t < static_cast<int32_t>(tokens_.size()); ++t) {
    int32_t node = 0;
    for (char ch : tokens_[t].content) {
      const auto b = static_cast<unsigned char>(ch);
      auto it = trie_[node].next.find(b);
      if (it == trie_[node].next.end()) {
        trie_.emplace_back();
        it = trie_[node].next.emplace(b, static_cast<int32_t>(trie_.size() - 1)).first;
      }
      node = it->second;
    }
    if (node != 0) trie_[node].token = t;  // an empty content never matches
  }
}

std::vector<Span> AddedMatcher::split(std::string_view text) const {
  std::vector<Span> out;
  std::size_t done = 0;  // text before this is covered
  auto word_before = [&](std::size_t at) {
    if (at == 0) return false;
    std::size_t b = at - 1;
    while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
    return text::is_word_char(text::code_point(text, b));
  };
  auto word_after = [&](std::size_t at) {
    return at < text.size() && text::is_word_char(text::code_point(text, at));
  };
  for (std::size_t pos = done; pos < text.size();) {
    // Longest token starting at pos.
    int32_t node = 0, best = -1;
    std::size_t best_end = 0;
    for (std::size_t i = pos; i < text.size(); ++i) {
      auto it = trie_[node].next.find(static_cast<unsigned char>(text[i]));
      if (it == trie_[node].next.end()) break;
      node = it->second;
      if (trie_[node].token >= 0) {
        best = trie_[node].token;
        best_end = i + 1;
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    const AddedToken& tok = tokens_[best];
    // HF drops a single_word match inside a word and searches on after it.
    if (tok.single_word && (word_before(pos) || word_after(best_end))) {
      pos = best_end;
      continue;
    }
    std::size_t begin = pos, end = best_end;
    if (tok.lstrip) {
      while (begin > done) {
        std::size_t b = begin - 1;
        while (b > done && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        if (!text::is_whitespace(text::code_point(text, b))) break;
        begin = b;
      }
    }
    if (tok.rstrip) {
      while (end < text.size() && text::is_whitespace(text::code_point(text, end)))
        end += text::char_len(text, end);
    }
    if (begin > done) out.push_back({done, begin, -1});
    out.push_back({begin, end, tok.id});
    done = pos = end;
  }
  if (done < text.size()) out.push_back({done, text.size(), -1});
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw th::bad_file(path.string(), "cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// bos_token is a string, or an AddedToken object {"content": ...}, or null.
std::optional<std::string> token_text(const nlohmann::json& j, const std::string& file,
                                      const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::nullopt;
  const auto& v = j[field];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  throw th::bad_field(file, field, "a string or {\"content\": string}", v.dump());
}

std::optional<bool> flag(const nlohmann::json& j, const std::string& file, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::nullopt;
  if (!j[field].is_boolean()) throw th::bad_field(file, field, "true or false", j[field].dump());
  return j[field].get<bool>();
}

}  // namespace

ConfigOverrides read_tokenizer_config(const std::filesystem::path& dir) {
  const auto path = dir / "tokenizer_config.json";
  ConfigOverrides c;
  if (!std::filesystem::exists(path)) return c;
  const std::string file = path.string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw th::bad_file(file, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw th::bad_field(file, "(top level)", "an object", j.type_name());
  c.add_bos = flag(j, file, "add_bos_token");
  c.add_eos = flag(j, file, "add_eos_token");
  c.bos_token = token_text(j, file, "bos_token");
  c.eos_token = token_text(j, file, "eos_token");
  return c;
}

}  // namespace th::model::bpe
