#include "model/hf_config.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace th::model {
namespace {

using json = nlohmann::json;

// Values the Hugging Face config classes use when config.json leaves a field out. Only what
// differs from the generic defaults in ModelConfig is listed.
struct TypeDefaults {
  std::string_view model_type;
  bool tie_word_embeddings;
  int64_t sliding_window_pattern;  // 0: none
};
constexpr TypeDefaults kTypeDefaults[] = {
    {"gemma3_text", true, 6}, {"gemma3", true, 6}, {"llama", false, 0}, {"mistral", false, 0},
    {"qwen2", false, 0},      {"qwen3", false, 0}, {"phi3", false, 0},
};

const TypeDefaults* type_defaults(std::string_view t) {
  for (const auto& d : kTypeDefaults)
    if (d.model_type == t) return &d;
  return nullptr;
}

std::string found(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return fmt::format("{} {}", v.type_name(), s);
}

class Reader {
 public:
  Reader(const json& j, const json* outer, std::string file)
      : j_(j), outer_(outer), file_(std::move(file)) {}

  const json* get(const char* field) const {
    auto it = j_.find(field);
    if (it != j_.end() && !it->is_null()) return &*it;
    if (outer_) {
      auto o = outer_->find(field);
      if (o != outer_->end() && !o->is_null()) return &*o;
    }
    return nullptr;
  }

  int64_t integer(const char* field) const {
    const json* v = get(field);
    if (!v) throw bad_field(file_, field, "an integer", "nothing (field missing)");
    return as_int(*v, field);
  }
  std::optional<int64_t> opt_integer(const char* field) const {
    const json* v = get(field);
    if (!v) return std::nullopt;
    return as_int(*v, field);
  }
  int64_t positive(const char* field) const {
    int64_t v = integer(field);
    if (v <= 0) throw bad_field(file_, field, "a positive integer", std::to_string(v));
    return v;
  }
  std::optional<double> opt_number(const char* field) const {
    const json* v = get(field);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw bad_field(file_, field, "a number", found(*v));
    return v->get<double>();
  }
  double number(const char* field, double def) const { return opt_number(field).value_or(def); }
  std::optional<bool> opt_bool(const char* field) const {
    const json* v = get(field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw bad_field(file_, field, "true or false", found(*v));
    return v->get<bool>();
  }
  std::string string(const char* field) const {
    const json* v = get(field);
    if (!v) return "";
    if (!v->is_string()) throw bad_field(file_, field, "a string", found(*v));
    return v->get<std::string>();
  }
  int64_t as_int(const json& v, const std::string& field) const {
    if (!v.is_number_integer()) throw bad_field(file_, field, "an integer", found(v));
    return v.get<int64_t>();
  }
  const std::string& file() const { return file_; }

 private:
  const json& j_;
  const json* outer_;
  std::string file_;
};

struct RopeTypeName {
  std::string_view name;
  RopeScalingType type;
};
constexpr RopeTypeName kRopeTypes[] = {
    {"default", RopeScalingType::None},  {"linear", RopeScalingType::Linear},
    {"llama3", RopeScalingType::Llama3}, {"longrope", RopeScalingType::LongRope},
    {"su", RopeScalingType::LongRope},  // the name early Phi-3 configs used
};

std::vector<double> number_list(const Reader& r, const json& v, const std::string& field) {
  if (!v.is_array()) throw bad_field(r.file(), field, "an array of numbers", found(v));
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number()) throw bad_field(r.file(), field, "an array of numbers", found(v));
    out.push_back(x.get<double>());
  }
  return out;
}

RopeScaling parse_rope_scaling(const Reader& r, const ModelConfig& c) {
  RopeScaling s;
  const json* v = r.get("rope_scaling");
  if (!v) return s;
  if (!v->is_object()) throw bad_field(r.file(), "rope_scaling", "an object or null", found(*v));
  std::string type;
  for (const char* key : {"rope_type", "type"}) {
    auto it = v->find(key);
    if (it != v->end() && it->is_string()) type = it->get<std::string>();
  }
  const RopeTypeName* known = nullptr;
  for (const auto& t : kRopeTypes)
    if (t.name == type) known = &t;
  if (!known)
    throw bad_field(r.file(), "rope_scaling.rope_type", "default|linear|llama3|longrope",
                    type.empty() ? "nothing" : type);
  s.type = known->type;
  Reader sub(*v, nullptr, r.file());
  auto field = [&](const char* name) { return std::string("rope_scaling.") + name; };
  auto num = [&](const char* name, std::optional<double> def) {
    auto it = v->find(name);
    if (it == v->end() || it->is_null()) {
      if (def) return *def;
      throw bad_field(r.file(), field(name), "a number", "nothing (field missing)");
    }
    if (!it->is_number()) throw bad_field(r.file(), field(name), "a number", found(*it));
    return it->get<double>();
  };
  switch (s.type) {
    case RopeScalingType::None:
      break;
    case RopeScalingType::Linear:
      s.factor = num("factor", std::nullopt);
      break;
    case RopeScalingType::Llama3:
      s.factor = num("factor", std::nullopt);
      s.low_freq_factor = num("low_freq_factor", std::nullopt);
      s.high_freq_factor = num("high_freq_factor", std::nullopt);
      s.original_max_position_embeddings =
          static_cast<int64_t>(num("original_max_position_embeddings", std::nullopt));
      break;
    case RopeScalingType::LongRope: {
      const int64_t half = c.rotary_dim() / 2;
      for (auto [name, dst] :
           {std::pair{"short_factor", &s.short_factor}, std::pair{"long_factor", &s.long_factor}}) {
        auto it = v->find(name);
        if (it == v->end())
          throw bad_field(r.file(), field(name), fmt::format("{} numbers", half),
                          "nothing (field missing)");
        *dst = number_list(r, *it, field(name));
        if (static_cast<int64_t>(dst->size()) != half)
          throw bad_field(r.file(), field(name), fmt::format("{} numbers (rotary dim / 2)", half),
                          fmt::format("{}", dst->size()));
      }
      auto omp = v->find("original_max_position_embeddings");
      s.original_max_position_embeddings = omp != v->end() && omp->is_number_integer()
                                               ? omp->get<int64_t>()
                                               : r.opt_integer("original_max_position_embeddings")
                                                     .value_or(c.max_position_embeddings);
      s.factor = num("factor", s.original_max_position_embeddings > 0
                                   ? static_cast<double>(c.max_position_embeddings) /
                                         static_cast<double>(s.original_max_position_embeddings)
                                   : 1.0);
      break;
    }
  }
  return s;
}

void parse_layer_types(const Reader& r, ModelConfig& c) {
  c.is_sliding.assign(static_cast<std::size_t>(c.num_hidden_layers), false);
  const bool windowed = c.sliding_window.has_value();
  if (const json* lt = r.get("layer_types")) {
    if (!lt->is_array() || static_cast<int64_t>(lt->size()) != c.num_hidden_layers)
      throw bad_field(r.file(), "layer_types",
                      fmt::format("an array of {} strings", c.num_hidden_layers), found(*lt));
    for (std::size_t i = 0; i < lt->size(); ++i) {
      const auto& t = (*lt)[i];
      if (!t.is_string() || (t != "sliding_attention" && t != "full_attention"))
        throw bad_field(r.file(), fmt::format("layer_types[{}]", i),
                        "\"sliding_attention\" or \"full_attention\"", found(t));
      c.is_sliding[i] = windowed && t == "sliding_attention";
    }
    return;
  }
  const auto* d = type_defaults(c.model_type);
  auto pattern = r.opt_integer("sliding_window_pattern");
  if (!pattern && d && d->sliding_window_pattern > 0) pattern = d->sliding_window_pattern;
  if (pattern) {
    if (*pattern <= 0)
      throw bad_field(r.file(), "sliding_window_pattern", "a positive integer",
                      std::to_string(*pattern));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
      c.is_sliding[i] = windowed && (i + 1) % *pattern != 0;
    return;
  }
  // Mistral and Phi-3 window every layer; Qwen turns it off with use_sliding_window = false.
  const bool on = windowed && r.opt_bool("use_sliding_window").value_or(true);
  c.is_sliding.assign(c.is_sliding.size(), on);
}

ModelConfig parse(const json& root, const std::string& file) {
  if (!root.is_object()) throw bad_field(file, "document", "a JSON object", root.type_name());
  const json* inner = &root;
  const json* outer = nullptr;
  auto tc = root.find("text_config");
  if (tc != root.end() && !tc->is_null()) {
    if (!tc->is_object()) throw bad_field(file, "text_config", "an object", found(*tc));
    inner = &*tc;
    outer = &root;
  }
  Reader r(*inner, outer, file);
  ModelConfig c;
  c.file = file;
  {
    auto it = inner->find("model_type");
    if (it != inner->end() && !it->is_null()) {
      if (!it->is_string()) throw bad_field(file, "model_type", "a string", found(*it));
      c.model_type = it->get<std::string>();
    } else if (outer) {
      c.model_type = Reader(root, nullptr, file).string("model_type") + "_text";
    }
    if (c.model_type.empty())
      throw bad_field(file, "model_type", "a string", "nothing (field missing)");
  }
  c.hidden_size = r.positive("hidden_size");
  c.intermediate_size = r.positive("intermediate_size");
  c.num_hidden_layers = r.positive("num_hidden_layers");
  c.num_attention_heads = r.positive("num_attention_heads");
  c.num_key_value_heads = r.opt_integer("num_key_value_heads").value_or(c.num_attention_heads);
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    throw bad_field(
        file, "num_key_value_heads",
        fmt::format("a positive divisor of num_attention_heads ({})", c.num_attention_heads),
        std::to_string(c.num_key_value_heads));
  c.head_dim = r.opt_integer("head_dim").value_or(c.hidden_size / c.num_attention_heads);
  if (c.head_dim <= 0)
    throw bad_field(file, "head_dim", "a positive integer", std::to_string(c.head_dim));
  c.vocab_size = r.positive("vocab_size");
  c.max_position_embeddings = r.opt_integer("max_position_embeddings").value_or(0);
  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6);
  c.rope_theta = r.number("rope_theta", 10000.0);
  c.rope_local_base_freq = r.number("rope_local_base_freq", 10000.0);
  c.partial_rotary_factor = r.number("partial_rotary_factor", 1.0);
  if (c.partial_rotary_factor <= 0 || c.partial_rotary_factor > 1 || c.rotary_dim() % 2 != 0)
    throw bad_field(file, "partial_rotary_factor",
                    "a number in (0, 1] giving an even rotary dimension",
                    fmt::format("{}", c.partial_rotary_factor));
  c.rope_scaling = parse_rope_scaling(r, c);
  c.sliding_window = r.opt_integer("sliding_window");
  if (c.sliding_window && *c.sliding_window <= 0)
    throw bad_field(file, "sliding_window", "a positive integer or null",
                    std::to_string(*c.sliding_window));
  parse_layer_types(r, c);
  c.query_pre_attn_scalar = r.opt_number("query_pre_attn_scalar");
  c.final_logit_softcapping = r.opt_number("final_logit_softcapping");
  c.attn_logit_softcapping = r.opt_number("attn_logit_softcapping");
  const auto* d = type_defaults(c.model_type);
  c.tie_word_embeddings =
      r.opt_bool("tie_word_embeddings").value_or(d ? d->tie_word_embeddings : true);
  c.hidden_act = r.string("hidden_activation");
  if (c.hidden_act.empty()) c.hidden_act = r.string("hidden_act");
  c.attention_bias = r.opt_bool("attention_bias").value_or(false);
  c.bos_token_id = r.opt_integer("bos_token_id");
  if (const json* e = r.get("eos_token_id")) {
    if (e->is_array()) {
      for (const auto& x : *e) c.eos_token_ids.push_back(r.as_int(x, "eos_token_id"));
    } else {
      c.eos_token_ids.push_back(r.as_int(*e, "eos_token_id"));
    }
  }
  c.torch_dtype = r.string("torch_dtype");
  if (c.torch_dtype.empty()) c.torch_dtype = r.string("dtype");
  return c;
}

}  // namespace

ModelConfig parse_config(std::string_view json_text, const std::string& file) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw bad_field(file, "document", "JSON", fmt::format("malformed JSON ({})", e.what()));
  }
  return parse(root, file);
}

ModelConfig load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_file(path.string(), "cannot open config (a model folder needs config.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path.string());
}

}  // namespace th::model
