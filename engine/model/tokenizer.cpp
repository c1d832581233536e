// The Tokenizer base class and the factory that picks a format by file name.
#include "model/tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/tokenizer_formats.h"

namespace th::model {

Tokenizer::~Tokenizer() = default;
std::string Tokenizer::piece(int64_t) const {
  return {};
}
std::optional<int64_t> Tokenizer::bos_id() const {
  return std::nullopt;
}
std::optional<int64_t> Tokenizer::eos_id() const {
  return std::nullopt;
}
int64_t Tokenizer::vocab_size() const {
  return 0;
}

namespace {

// llama2.c's tokenizer.bin does not store its size; config.json next to it may.
std::optional<int64_t> config_vocab_size(const std::filesystem::path& dir) {
  const auto path = dir / "config.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(bpe::read_file(path));
    if (j.contains("vocab_size") && j["vocab_size"].is_number_integer())
      return j["vocab_size"].get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw th::bad_file(path.string(), std::string("not valid JSON: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer_file(const std::filesystem::path& file,
                                               std::optional<int64_t> llama2_vocab_size) {
  if (!std::filesystem::is_regular_file(file))
    throw th::bad_file(file.string(), "no such tokenizer file");
  const auto cfg = bpe::read_tokenizer_config(file.parent_path());
  const auto ext = file.extension().string();
  if (ext == ".json") return load_hf_json_tokenizer(file, cfg);
  if (ext == ".model") return load_spm_tokenizer(file, cfg);
  if (ext == ".bin") return load_llama2c_tokenizer(file, llama2_vocab_size, cfg);
  throw th::bad_field(file.string(), "file type",
                      ".json (Hugging Face), .model (SentencePiece) or .bin (llama2.c)", ext);
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& dir,
                                          std::optional<int64_t> llama2_vocab_size) {
  for (const char* name : {"tokenizer.json", "tokenizer.model"})
    if (std::filesystem::exists(dir / name)) return load_tokenizer_file(dir / name);
  if (std::filesystem::exists(dir / "tokenizer.bin")) {
    auto n = config_vocab_size(dir);
    return load_tokenizer_file(dir / "tokenizer.bin", n ? n : llama2_vocab_size);
  }
  return nullptr;
}

}  // namespace th::model
