// Checks on a written pocket folder, through the same loaders inference uses (load_config,
// WeightStore, load_weights): its validation loss on a corpus and its greedy continuation of a
// prompt. Tokenisation goes through the folder's tokenizer.model and the sentencepiece tools.
// No torch in this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/pocket_corpus.h"

namespace th::model {

// Mean next-token loss (nats) over every validation row of split_corpus(docs), float32 compute
// on the stored weights. Throws th::InputError for a bad folder. Not thread-safe (libtorch
// thread count); `scratch` receives tool files.
double pocket_validation_loss(const std::filesystem::path& model_dir,
                              const std::vector<Document>& docs,
                              const std::filesystem::path& scratch);

// Greedy continuation of `prompt` (BOS added), at most n tokens, decoded to text. Same rules.
std::string pocket_continue(const std::filesystem::path& model_dir, const std::string& prompt,
                            int64_t n, const std::filesystem::path& scratch);

// Sampled continuation (temperature, top-k, seeded; see pocket_sample). Same rules.
std::string pocket_continue_sampled(const std::filesystem::path& model_dir,
                                    const std::string& prompt, int64_t n, double temperature,
                                    int64_t top_k, uint64_t seed,
                                    const std::filesystem::path& scratch);

}  // namespace th::model
