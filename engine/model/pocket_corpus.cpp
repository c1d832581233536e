#include "model/pocket_corpus.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/pocket_process.h"

namespace th::model {
namespace {

std::string trimmed(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// "  12 And God said ..." → "And God said ..."; empty when the line is not a verse.
std::string verse_text(const std::string& line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i == 0) return {};
  std::size_t digits = i;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits == i || digits >= line.size() || line[digits] != ' ') return {};
  return trimmed(line.substr(digits + 1));
}

}  // namespace

std::vector<Document> read_corpus(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw bad_file(path.string(), "cannot open corpus");
  std::vector<Document> docs;
  Document cur;
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trimmed(line);
    if (t.empty()) {
      if (!cur.empty()) docs.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(std::move(t));
    }
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
  if (docs.empty()) throw bad_file(path.string(), "corpus holds no text");
  return docs;
}

void write_corpus(const std::filesystem::path& path, const std::vector<Document>& docs) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t d = 0; d < docs.size(); ++d) {
    if (d) out << '\n';
    for (const auto& s : docs[d]) out << s << '\n';
  }
  if (!out.flush()) throw Error(path.string() + ": write failed", 1);
}

std::vector<Document> parse_bible_output(const std::string& text, const std::string& source) {
  std::vector<Document> chapters;
  std::istringstream in(text);
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (trimmed(line).empty()) continue;
    if (!std::isspace(static_cast<unsigned char>(line[0]))) {
      chapters.emplace_back();  // "Genesis 1": a new chapter
      continue;
    }
    std::string v = verse_text(line);
    if (v.empty() || chapters.empty())
      throw bad_field(source, "line " + std::to_string(lineno), "a chapter heading or a verse",
                      line.substr(0, 60));
    chapters.back().push_back(std::move(v));
  }
  if (chapters.empty()) throw bad_file(source, "no chapter found");
  return chapters;
}

std::vector<Document> extract_kjv(const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  auto raw = scratch / "kjv-bible-output.txt";
  // -l0 turns line wrapping off: one verse per line.
  run_process({"bible", "-l0", "Gen1:1-Rev22:21"}, "/dev/null", raw);
  std::ifstream in(raw, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_bible_output(ss.str(), raw.string());
}

CorpusSplit split_corpus(const std::vector<Document>& docs) {
  CorpusSplit split;
  for (std::size_t i = 0; i < docs.size(); ++i)
    (i % kValidationEvery == kValidationEvery - 1 ? split.validation : split.train)
        .push_back(docs[i]);
  return split;
}

}  // namespace th::model
