// The pipeline stages of a Hugging Face tokenizer.json (internal to engine/model): normalizers,
// pre-tokenizers and decoders, each built from its JSON object by a table keyed on "type".
// Contract: a builder either returns a stage that behaves as the `tokenizers` library's stage of
// that type, or throws th::InputError naming the file and the JSON path of the bad field
// (unsupported types included). Stages are immutable after construction: thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace th::model::hf {

// A stretch of text on its way to the model. at_start: it begins at offset 0 of the input
// (Metaspace's prepend_scheme "first" only prefixes that one).
struct Piece {
  std::string text;
  bool at_start = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void apply(std::string& s) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each piece by the pieces it splits into (empty pieces dropped).
  virtual void apply(std::vector<Piece>& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings in place, as HF's decode_chain. whole=false decodes one token
  // taken out of running text: stages that only trim the start of a text do nothing then.
  virtual void apply(std::vector<std::string>& tokens, bool whole) const = 0;
};

// Where a stage sits, for error messages: the file and the JSON path ("decoder.decoders[2]").
struct Where {
  std::string file;
  std::string path;
  Where at(const std::string& sub) const { return {file, path + sub}; }
};

// null JSON gives nullptr (no stage). Throw th::InputError on bad or unsupported stages.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const Where& w);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const Where& w);
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const Where& w);

}  // namespace th::model::hf
