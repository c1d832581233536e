// Writes the pocket model as a Hugging Face Gemma 3 folder: config.json, generation_config.json,
// model.safetensors (BF16, HF tensor names), tokenizer.model, tokenizer_config.json,
// special_tokens_map.json and a README.md that states the corpus, its license, the command, the
// recipe and the measured losses. Contract: the folder is loadable by transformers'
// Gemma3ForCausalLM and by this engine; every file is rewritten on each call. No torch here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/pocket_spec.h"

namespace th::model {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // float32, row-major
};

// The config.json text for this shape. Thread-safe.
std::string pocket_config_json(const PocketShape& shape);

// Writes the whole folder (created if needed). Throws th::Error on I/O failure. Thread-safe for
// distinct folders; not realtime-safe.
void write_pocket_folder(const std::filesystem::path& dir, const PocketShape& shape,
                         const PocketRecipe& recipe, const PocketReport& report,
                         const std::vector<NamedTensor>& tensors,
                         const std::filesystem::path& tokenizer_model);

// The HF name of each trained tensor, in file order. Thread-safe.
std::vector<std::string> pocket_tensor_names(const PocketShape& shape);

}  // namespace th::model
