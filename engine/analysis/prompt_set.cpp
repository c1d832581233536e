#include "analysis/prompt_set.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"

namespace th::analysis {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw bad_file(file.string(), "cannot read the prompt file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string field_names(const json& obj) {
  std::string names;
  for (const auto& [k, v] : obj.items()) names += (names.empty() ? "" : ", ") + k;
  return names.empty() ? "none" : names;
}

// A prompt from one JSON value: a string, or an object's field.
std::string prompt_of(const json& v, const std::string& field, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object())
    throw bad_file(where, fmt::format("expected a string or an object, found {}", v.type_name()));
  const auto it = v.find(field);
  if (it == v.end())
    throw bad_file(where, fmt::format("no field \"{}\" (fields: {}); choose one with --field",
                                      field, field_names(v)));
  if (!it->is_string())
    throw bad_file(where,
                   fmt::format("field \"{}\": expected text, found {}", field, it->type_name()));
  return it->get<std::string>();
}

void add(PromptSet& set, std::string text, std::string origin) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw bad_file(origin, "empty prompt");
  set.prompts.push_back({std::move(text), std::move(origin)});
}

json parse_json(const std::string& text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw bad_file(where, fmt::format("not valid JSON: {}", e.what()));
  }
}

void load_jsonl(PromptSet& set, const std::string& data) {
  std::istringstream in(data);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = fmt::format("{}:{}", set.file.string(), n);
    add(set, prompt_of(parse_json(line, where), set.field, where), where);
  }
}

void load_json(PromptSet& set, const std::string& data) {
  const json doc = parse_json(data, set.file.string());
  if (!doc.is_array())
    throw bad_file(set.file.string(),
                   fmt::format("expected a JSON array of prompts, found {}", doc.type_name()));
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto where = fmt::format("{}[{}]", set.file.string(), i);
    add(set, prompt_of(doc[i], set.field, where), where);
  }
}

struct CsvRow {
  std::vector<std::string> cells;
  int line = 0;  // where the row starts
};

// RFC 4180: quoted cells may hold commas, doubled quotes and newlines; CRLF or LF rows.
std::vector<CsvRow> parse_csv(const std::string& data, const std::string& file) {
  std::vector<CsvRow> rows;
  CsvRow row{{}, 1};
  std::string cell;
  bool quoted = false, any = false;
  int line = 1;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (quoted) {
      if (c == '"' && i + 1 < data.size() && data[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.cells.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        row.cells.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      cell.clear();
      any = false;
      row = CsvRow{{}, ++line};
    } else {
      cell += c;
      any = true;
    }
  }
  if (quoted) throw bad_file(file, fmt::format("line {}: unterminated quoted cell", row.line));
  if (any || !cell.empty()) {
    row.cells.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

void load_csv(PromptSet& set, const std::string& data) {
  const auto rows = parse_csv(data, set.file.string());
  if (rows.empty()) throw bad_file(set.file.string(), "empty CSV (expected a header row)");
  const auto& header = rows[0].cells;
  std::size_t col = header.size();
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == set.field) col = i;
  if (col == header.size()) {
    std::string names;
    for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
    throw bad_file(set.file.string(), fmt::format("no column \"{}\" (columns: {}); choose one "
                                                  "with --field",
                                                  set.field, names));
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto where = fmt::format("{}:{}", set.file.string(), rows[r].line);
    if (col >= rows[r].cells.size())
      throw bad_file(where, fmt::format("row has {} cells, expected column {} (\"{}\")",
                                        rows[r].cells.size(), col + 1, set.field));
    add(set, rows[r].cells[col], where);
  }
}

void load_text(PromptSet& set, const std::string& data) {
  std::istringstream in(data);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    add(set, line, fmt::format("{}:{}", set.file.string(), n));
  }
}

}  // namespace

uint64_t PromptSet::hash() const {
  Hasher h;
  h.value(prompts.size());
  for (const auto& p : prompts) h.text(p.text).value(p.text.size());
  return h.digest();
}

PromptSet load_prompts(const fs::path& file, const std::string& field) {
  PromptSet set;
  set.file = file;
  set.field = field.empty() ? "instruction" : field;
  const std::string data = read_all(file);
  const auto ext = file.extension().string();
  if (ext == ".jsonl") {
    load_jsonl(set, data);
  } else if (ext == ".json") {
    load_json(set, data);
  } else if (ext == ".csv") {
    load_csv(set, data);
  } else {
    set.field.clear();
    load_text(set, data);
  }
  if (set.prompts.empty()) throw bad_file(file.string(), "no prompts in the file");
  return set;
}

PromptSet prompts_from_texts(const std::vector<std::string>& texts, const std::string& origin) {
  PromptSet set;
  set.file = origin;
  for (std::size_t i = 0; i < texts.size(); ++i)
    add(set, texts[i], fmt::format("{}[{}]", origin, i));
  if (set.prompts.empty()) throw bad_file(origin, "no prompts");
  return set;
}

}  // namespace th::analysis
