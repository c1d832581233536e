// Prompt datasets: a file of prompts in one of the formats people keep them in. Contract:
// load_prompts() returns every prompt in file order with where it came from, or throws
// th::InputError naming the file (and line/row) and what was expected: an unreadable file, a
// record without the field, a field that is not text, an empty prompt, no prompts at all.
// Formats by extension: .jsonl (one JSON string or object per line), .json (an array of strings
// or objects), .csv (RFC 4180 with a header row), anything else plain text (one prompt per
// non-empty line).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace th::analysis {

struct Prompt {
  std::string text;
  std::string origin;  // "FILE:LINE" (jsonl, text, csv row) or "FILE[INDEX]" (json)
};

struct PromptSet {
  std::filesystem::path file;
  std::string field;  // the field read (empty for plain strings)
  std::vector<Prompt> prompts;
  uint64_t hash() const;  // content hash of the texts, in order. Thread-safe; realtime-safe.
};

// The field is used for objects and CSV rows; "" means "instruction". Thread-safe; not
// realtime-safe (file I/O).
PromptSet load_prompts(const std::filesystem::path& file, const std::string& field = "");

// A set from literal texts (e.g. the shipped refusal pairs). Thread-safe; allocates.
PromptSet prompts_from_texts(const std::vector<std::string>& texts, const std::string& origin);

}  // namespace th::analysis
