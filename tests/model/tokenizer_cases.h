// Reads llama.cpp's tokenizer test vectors: tests.inp holds texts, each followed by
// "\n__ggml_vocab_test__\n"; a .out file holds one line of " id id …" per text.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace th::test {

struct TokenizerCase {
  std::string text;
  std::vector<int64_t> ids;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<TokenizerCase> llamacpp_cases(const std::filesystem::path& inp,
                                                 const std::filesystem::path& out) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  const std::string all = slurp(inp);
  std::vector<TokenizerCase> cases;
  for (std::size_t pos = 0, next; (next = all.find(sep, pos)) != std::string::npos;
       pos = next + sep.size())
    cases.push_back({all.substr(pos, next - pos), {}});
  std::istringstream lines(slurp(out));
  std::string line;
  for (auto& c : cases) {
    if (!std::getline(lines, line)) break;
    std::istringstream ids(line);
    for (int64_t id; ids >> id;) c.ids.push_back(id);
  }
  return cases;
}

}  // namespace th::test
