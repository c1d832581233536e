// Trains the pocket model (models/pocket) from scratch: corpus → SentencePiece tokenizer →
// token streams → AdamW on the shared transformer forward pass → BF16 Hugging Face folder.
// Contract: with the same options (seed included), corpus and thread count, two runs write
// byte-identical model.safetensors and tokenizer.model. The output folder is complete after
// every checkpoint, so an interrupted run still leaves a usable model. No torch in this header.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "model/pocket_spec.h"

namespace th::model {

struct PocketOptions {
  std::filesystem::path corpus;  // corpus text format (pocket_corpus.h); empty: the KJV
  std::filesystem::path out;     // the model folder to write
  std::filesystem::path work;    // scratch: corpus dump, tokenizer training, token files
  PocketShape shape;
  PocketRecipe recipe;
  std::string command;                          // as the README should print it
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// Runs the whole pipeline. Throws th::InputError for a bad corpus or shape, th::Error when a
// tool fails. Not thread-safe (sets libtorch's global thread count and seed).
PocketReport train_pocket(const PocketOptions& opt);

// The prompt of the README sample and the tests.
inline constexpr const char* kPocketPrompt = "And God said";

}  // namespace th::model
