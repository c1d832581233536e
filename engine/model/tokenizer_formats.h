// Loaders of the three tokenizer file formats (internal to engine/model; the public entry points
// are load_tokenizer / load_tokenizer_file in tokenizer.h). Each throws th::InputError naming
// the file and field. Thread-safe (no shared state); each reads its file.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "model/tokenizer.h"
#include "model/tokenizer_bpe.h"

namespace th::model {

std::unique_ptr<Tokenizer> load_hf_json_tokenizer(const std::filesystem::path& file,
                                                  const bpe::ConfigOverrides& cfg);
std::unique_ptr<Tokenizer> load_spm_tokenizer(const std::filesystem::path& file,
                                              const bpe::ConfigOverrides& cfg);
std::unique_ptr<Tokenizer> load_llama2c_tokenizer(const std::filesystem::path& file,
                                                  std::optional<int64_t> vocab_size,
                                                  const bpe::ConfigOverrides& cfg);

}  // namespace th::model
