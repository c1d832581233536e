// The pocket model's training text. Contract: a corpus is a list of documents (KJV: chapters),
// each a list of segments (KJV: verses) holding no newline. The split into training and
// validation is a pure function of document order (every 20th document, counting from the 20th,
// goes to validation), so it is the same on every machine. No torch here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace th::model {

using Document = std::vector<std::string>;  // segments, in order

struct CorpusSplit {
  std::vector<Document> train;
  std::vector<Document> validation;
};

// One document in `validation_every` goes to validation.
inline constexpr std::size_t kValidationEvery = 20;

// Reads the corpus text format: one segment per line, documents separated by blank lines;
// surrounding whitespace of a line is dropped. Throws th::InputError when the file cannot be read
// or holds no segment. Thread-safe; not realtime-safe.
std::vector<Document> read_corpus(const std::filesystem::path& path);

// Writes the same format (the inverse of read_corpus). Throws th::Error on I/O failure.
void write_corpus(const std::filesystem::path& path, const std::vector<Document>& docs);

// Parses the output of `bible -l0 Gen1:1-Rev22:21` (a "Book N" heading line per chapter, then
// one "  N text" line per verse) into chapters of verses, verse numbers dropped. Throws
// th::InputError naming `source` when the text is not in that layout. Thread-safe.
std::vector<Document> parse_bible_output(const std::string& text, const std::string& source);

// Extracts the King James Version from the Debian bible-kjv(-text) packages by running `bible`;
// `scratch` receives the raw output. Throws th::Error when `bible` is missing. Not thread-safe
// with another call using the same scratch folder.
std::vector<Document> extract_kjv(const std::filesystem::path& scratch);

// Thread-safe; realtime-unsafe (allocates).
CorpusSplit split_corpus(const std::vector<Document>& docs);

}  // namespace th::model
