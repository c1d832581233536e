#include "model/architecture.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "core/error.h"

namespace th::model {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Role::Count)> kRoleNames = {
    "embed",
    "final_norm",
    "lm_head",
    "attn_norm",
    "post_attn_norm",
    "pre_ffn_norm",
    "post_ffn_norm",
    "q",
    "k",
    "v",
    "o",
    "q_norm",
    "k_norm",
    "gate",
    "up",
    "down",
    "q_bias",
    "k_bias",
    "v_bias"};

struct ActivationName {
  std::string_view hf;
  Activation act;
};
// HF ACT2FN names we implement. "gelu_pytorch_tanh" and "gelu_new" are the same tanh formula.
constexpr ActivationName kActivations[] = {
    {"silu", Activation::Silu},
    {"swish", Activation::Silu},
    {"gelu_pytorch_tanh", Activation::GeluTanh},
    {"gelu_new", Activation::GeluTanh},
};

using R = Role;
using P = Presence;

// Names every architecture shares with Llama.
const std::vector<TensorSlot> kLlamaGlobal = {{R::Embed, "embed_tokens.weight"},
                                              {R::FinalNorm, "norm.weight"},
                                              {R::LmHead, "lm_head.weight"}};

const std::vector<TensorSlot> kLlamaAttn = {
    {R::Q, "layers.{}.self_attn.q_proj.weight"},
    {R::K, "layers.{}.self_attn.k_proj.weight"},
    {R::V, "layers.{}.self_attn.v_proj.weight"},
    {R::O, "layers.{}.self_attn.o_proj.weight"},
};
const std::vector<TensorSlot> kLlamaMlp = {
    {R::Gate, "layers.{}.mlp.gate_proj.weight"},
    {R::Up, "layers.{}.mlp.up_proj.weight"},
    {R::Down, "layers.{}.mlp.down_proj.weight"},
};
// In Llama-family checkpoints `post_attention_layernorm` is the norm BEFORE the MLP.
const std::vector<TensorSlot> kLlamaNorms = {
    {R::AttnNorm, "layers.{}.input_layernorm.weight"},
    {R::PreFfnNorm, "layers.{}.post_attention_layernorm.weight"},
};

std::vector<TensorSlot> concat(std::initializer_list<std::vector<TensorSlot>> parts) {
  std::vector<TensorSlot> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<TensorSlot> biases(Presence p) {
  return {{R::QBias, "layers.{}.self_attn.q_proj.bias", p},
          {R::KBias, "layers.{}.self_attn.k_proj.bias", p},
          {R::VBias, "layers.{}.self_attn.v_proj.bias", p}};
}

const std::vector<TensorSlot> kQkNorm = {
    {R::QNorm, "layers.{}.self_attn.q_norm.weight"},
    {R::KNorm, "layers.{}.self_attn.k_norm.weight"},
};

const std::vector<ArchSpec>& table() {
  static const std::vector<ArchSpec> archs = [] {
    std::vector<ArchSpec> v;
    v.push_back(
        {.name = "llama",
         .model_types = {"llama"},
         .global = kLlamaGlobal,
         .per_layer = concat({kLlamaNorms, kLlamaAttn, kLlamaMlp, biases(P::IfAttentionBias)}),
         .fused = {}});
    v.push_back({.name = "mistral",
                 .model_types = {"mistral"},
                 .global = kLlamaGlobal,
                 .per_layer = concat({kLlamaNorms, kLlamaAttn, kLlamaMlp}),
                 .fused = {}});
    v.push_back({.name = "qwen2",
                 .model_types = {"qwen2"},
                 .global = kLlamaGlobal,
                 .per_layer = concat({kLlamaNorms, kLlamaAttn, kLlamaMlp, biases(P::Required)}),
                 .fused = {}});
    v.push_back({.name = "qwen3",
                 .model_types = {"qwen3"},
                 .global = kLlamaGlobal,
                 .per_layer = concat(
                     {kLlamaNorms, kLlamaAttn, kLlamaMlp, kQkNorm, biases(P::IfAttentionBias)}),
                 .fused = {},
                 .qk_norm = true});
    v.push_back({.name = "phi3",
                 .model_types = {"phi3"},
                 .global = kLlamaGlobal,
                 .per_layer = concat({kLlamaNorms,
                                      {{R::O, "layers.{}.self_attn.o_proj.weight"},
                                       {R::Down, "layers.{}.mlp.down_proj.weight"}}}),
                 .fused = {{"layers.{}.self_attn.qkv_proj.weight", {R::Q, R::K, R::V}},
                           {"layers.{}.mlp.gate_up_proj.weight", {R::Gate, R::Up}}}});
    // Gemma 3: `post_attention_layernorm` is a POST-attention norm (sandwich), unlike Llama.
    v.push_back(
        {.name = "gemma3",
         .model_types = {"gemma3_text", "gemma3"},
         .global = kLlamaGlobal,
         .per_layer = concat({{{R::AttnNorm, "layers.{}.input_layernorm.weight"},
                               {R::PostAttnNorm, "layers.{}.post_attention_layernorm.weight"},
                               {R::PreFfnNorm, "layers.{}.pre_feedforward_layernorm.weight"},
                               {R::PostFfnNorm, "layers.{}.post_feedforward_layernorm.weight"}},
                              kLlamaAttn,
                              kLlamaMlp,
                              kQkNorm,
                              biases(P::IfAttentionBias)}),
         .fused = {},
         .norm_offset_one = true,
         .embed_scale_sqrt_hidden = true,
         .qk_norm = true,
         .sandwich_norms = true,
         .local_rope_base = true,
         .activation = Activation::GeluTanh});
    return v;
  }();
  return archs;
}

// Where the decoder's tensors live: {model prefix, lm_head prefix}. Plain causal-LM checkpoints
// use "model."; Gemma 3 multimodal checkpoints nest the text model.
struct Prefix {
  std::string_view model;
  std::string_view head;
};
constexpr Prefix kPrefixes[] = {
    {"model.", ""}, {"language_model.model.", "language_model."}, {"model.language_model.", ""}};

std::string shape_str(const std::vector<int64_t>& s) {
  return fmt::format("[{}]", fmt::join(s, ", "));
}

std::string layer_name(std::string_view tmpl, int layer) {
  return layer < 0 ? std::string(tmpl) : fmt::format(fmt::runtime(tmpl), layer);
}

void check_dtype(const TensorView& t) {
  if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
    throw bad_field(t.file, "tensor " + t.name + " dtype", "F32|F16|BF16", dtype_name(t.dtype));
}

const TensorView& require(const WeightStore& ws, const std::string& name,
                          const std::string& expected) {
  const TensorView* t = ws.find(name);
  if (!t)
    throw bad_field(ws.dir().string(), "tensor " + name, expected, "nothing (missing tensor)");
  check_dtype(*t);
  return *t;
}

void check_shape(const TensorView& t, const std::vector<int64_t>& want) {
  if (t.shape != want)
    throw bad_field(t.file, "tensor " + t.name, "shape " + shape_str(want), t.shape_str());
}

}  // namespace

std::string_view role_name(Role r) {
  return kRoleNames[static_cast<std::size_t>(r)];
}

std::string_view activation_name(Activation a) {
  return a == Activation::Silu ? "silu" : "gelu_tanh";
}

std::span<const ArchSpec> all_archs() {
  return table();
}

const ArchSpec& find_arch(std::string_view model_type) {
  std::vector<std::string_view> names;
  for (const auto& a : table())
    for (auto t : a.model_types) {
      if (t == model_type) return a;
      names.push_back(t);
    }
  throw InputError(fmt::format("model_type \"{}\" is not supported (supported: {})", model_type,
                               fmt::join(names, ", ")));
}

const ArchSpec& find_arch(const ModelConfig& c) {
  try {
    return find_arch(c.model_type);
  } catch (const InputError& e) {
    throw bad_file(c.file, e.what());
  }
}

Activation resolve_activation(const ModelConfig& c, const ArchSpec& a) {
  if (c.hidden_act.empty()) return a.activation;
  std::vector<std::string_view> names;
  for (const auto& n : kActivations) {
    if (n.hf == c.hidden_act) return n.act;
    names.push_back(n.hf);
  }
  throw bad_field(c.file, "hidden_act", fmt::format("one of {}", fmt::join(names, "|")),
                  c.hidden_act);
}

std::vector<int64_t> role_shape(const ModelConfig& c, Role r) {
  const int64_t d = c.hidden_size, hd = c.head_dim, qd = c.num_attention_heads * hd,
                kvd = c.num_key_value_heads * hd;
  switch (r) {
    case Role::Embed:
    case Role::LmHead:
      return {c.vocab_size, d};
    case Role::FinalNorm:
    case Role::AttnNorm:
    case Role::PostAttnNorm:
    case Role::PreFfnNorm:
    case Role::PostFfnNorm:
      return {d};
    case Role::Q:
      return {qd, d};
    case Role::K:
    case Role::V:
      return {kvd, d};
    case Role::O:
      return {d, qd};
    case Role::QNorm:
    case Role::KNorm:
      return {hd};
    case Role::Gate:
    case Role::Up:
      return {c.intermediate_size, d};
    case Role::Down:
      return {d, c.intermediate_size};
    case Role::QBias:
      return {qd};
    case Role::KBias:
    case Role::VBias:
      return {kvd};
    case Role::Count:
      break;
  }
  return {};
}

std::vector<TensorRole> resolve_roles(const ModelConfig& c, const WeightStore& ws) {
  return resolve_roles(c, find_arch(c), ws);
}

std::vector<TensorRole> resolve_roles(const ModelConfig& c, const ArchSpec& a,
                                      const WeightStore& ws) {
  resolve_activation(c, a);  // refuse an unknown activation before any tensor work
  const Prefix* prefix = nullptr;
  for (const auto& p : kPrefixes)
    if (ws.find(std::string(p.model) + "embed_tokens.weight")) prefix = &p;
  if (!prefix) prefix = &kPrefixes[0];  // the missing-tensor error below names the usual place
  auto full = [&](Role r, const std::string& rel) {
    return std::string(r == Role::LmHead ? prefix->head : prefix->model) + rel;
  };

  std::vector<TensorRole> out;
  auto add_slot = [&](const TensorSlot& s, int layer) {
    const bool needed = s.presence == Presence::Required ||
                        (s.presence == Presence::IfAttentionBias && c.attention_bias);
    std::string name = full(s.role, layer_name(s.name, layer));
    const auto want = role_shape(c, s.role);
    if (s.role == Role::LmHead && c.tie_word_embeddings) {
      TensorRole tr = out.front();  // the embedding, resolved first
      tr.role = Role::LmHead;
      tr.tied = true;
      out.push_back(std::move(tr));
      return;
    }
    const TensorView* t = ws.find(name);
    if (!t && !needed) return;
    if (!t && s.presence == Presence::Optional) return;
    const TensorView& v = require(ws, name, "shape " + shape_str(want));
    check_shape(v, want);
    out.push_back({.name = name, .role = s.role, .layer = layer, .view = &v, .shape = want});
  };

  for (const auto& s : a.global) add_slot(s, -1);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    for (const auto& s : a.per_layer) add_slot(s, l);
    for (const auto& f : a.fused) {
      const std::string name = full(Role::Q, layer_name(f.name, l));
      int64_t rows = 0;
      std::vector<std::vector<int64_t>> shapes;
      for (Role r : f.parts) {
        shapes.push_back(role_shape(c, r));
        rows += shapes.back()[0];
      }
      std::vector<int64_t> want = shapes.front();
      want[0] = rows;
      const TensorView& v = require(ws, name, "shape " + shape_str(want));
      check_shape(v, want);
      int64_t offset = 0;
      for (std::size_t i = 0; i < f.parts.size(); ++i) {
        out.push_back({.name = name,
                       .role = f.parts[i],
                       .layer = l,
                       .view = &v,
                       .shape = shapes[i],
                       .row_offset = offset,
                       .fused = true});
        offset += shapes[i][0];
      }
    }
  }
  return out;
}

}  // namespace th::model
