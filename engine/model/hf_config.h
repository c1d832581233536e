// A Hugging Face config.json, reduced to what the runtime needs. Contract: load_config() either
// returns a config whose required fields are present with the right JSON types and sane values,
// or throws th::InputError naming the file and the field ("FILE: FIELD: expected …, found …").
// Multimodal Gemma 3 configs are unwrapped: the fields come from `text_config`. No torch here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace th::model {

enum class RopeScalingType { None, Linear, Llama3, LongRope };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::None;
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
  // longrope: one factor per rotary frequency (rotary_dim / 2 entries)
  std::vector<double> short_factor;
  std::vector<double> long_factor;
};

struct ModelConfig {
  std::string file;        // the config.json it came from, for error messages
  std::string model_type;  // of the text model ("gemma3_text" for a multimodal "gemma3")
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads
  int64_t head_dim = 0;             // defaults to hidden_size / num_attention_heads
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  double rope_local_base_freq = 10000.0;  // Gemma 3 sliding-window layers
  RopeScaling rope_scaling;
  double partial_rotary_factor = 1.0;
  std::optional<int64_t> sliding_window;
  std::vector<bool> is_sliding;  // one per layer
  std::optional<double> query_pre_attn_scalar;
  std::optional<double> final_logit_softcapping;
  std::optional<double> attn_logit_softcapping;
  bool tie_word_embeddings = false;
  std::string hidden_act;  // hidden_activation (Gemma) wins over hidden_act; "" when absent
  bool attention_bias = false;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::string torch_dtype;  // "" when absent

  int64_t rotary_dim() const {
    return static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor);
  }
};

// Reads and validates config.json. Throws InputError. Thread-safe.
ModelConfig load_config(const std::filesystem::path& path);

// Same from JSON text; `file` names the source in errors. Throws InputError. Thread-safe.
ModelConfig parse_config(std::string_view json_text, const std::string& file);

}  // namespace th::model
