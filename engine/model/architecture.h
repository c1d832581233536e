// Architectures as data. Each supported Hugging Face architecture is one ArchSpec row: the
// model_type names it answers to, the tensor name of every Role, how fused tensors split into
// roles, and the handful of flags in which the forward passes differ. Contract: resolve_roles()
// either returns one TensorRole for every tensor role the forward pass reads, each naming an
// existing tensor (or a row slice of a fused one) whose shape and dtype were checked against the
// config, or throws th::InputError ("FILE: tensor NAME: expected shape [..], found [..]").
// No torch types: analysis/ uses resolve_roles() to know what each tensor is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/hf_config.h"
#include "model/safetensors.h"

namespace th::model {

// What a tensor does. Per-layer roles carry the layer index in TensorRole::layer.
enum class Role : uint8_t {
  Embed,         // [vocab, hidden]
  FinalNorm,     // [hidden]
  LmHead,        // [vocab, hidden]; may be the embedding (tied)
  AttnNorm,      // [hidden], before attention
  PostAttnNorm,  // [hidden], on the attention output before the residual add (Gemma sandwich)
  PreFfnNorm,    // [hidden], before the MLP
  PostFfnNorm,   // [hidden], on the MLP output before the residual add (Gemma sandwich)
  Q,
  K,
  V,
  O,  // [heads·head_dim, hidden], [kv_heads·head_dim, hidden] ×2, [hidden, heads·head_dim]
  QNorm,
  KNorm,  // [head_dim], per-head RMSNorm of queries and keys
  Gate,
  Up,    // [intermediate, hidden]
  Down,  // [hidden, intermediate]
  QBias,
  KBias,
  VBias,
  Count
};

// Thread-safe; realtime-safe. "q", "post_attn_norm", …
std::string_view role_name(Role r);

enum class Activation : uint8_t { Silu, GeluTanh };
// Thread-safe; realtime-safe. "silu", "gelu_tanh"
std::string_view activation_name(Activation a);

enum class Presence : uint8_t {
  Required,
  IfAttentionBias,  // required when config.attention_bias, absent otherwise
  Optional,         // used when present
};

// One named tensor of the checkpoint. `name` is relative to the model prefix ("model.") for
// everything but lm_head, and "{}" stands for the layer index.
struct TensorSlot {
  Role role;
  std::string_view name;
  Presence presence = Presence::Required;
};

// A tensor that holds several roles stacked along dim 0, in this order; the row count of each
// part follows from its role's shape.
struct FusedSlot {
  std::string_view name;
  std::vector<Role> parts;
};

struct ArchSpec {
  std::string_view name;
  std::vector<std::string_view> model_types;
  std::vector<TensorSlot> global;        // embed, final_norm, lm_head
  std::vector<TensorSlot> per_layer;     // names contain "{}"
  std::vector<FusedSlot> fused;          // per layer, names contain "{}"
  bool norm_offset_one = false;          // RMSNorm scale is (1 + w), computed in float32 (Gemma)
  bool embed_scale_sqrt_hidden = false;  // embedding output × sqrt(hidden) (Gemma)
  bool qk_norm = false;                  // per-head RMSNorm on q and k before RoPE
  bool sandwich_norms = false;           // post-attn and post-ffn norms around each block (Gemma)
  bool local_rope_base = false;  // sliding layers use rope_local_base_freq, unscaled (Gemma 3)
  Activation activation = Activation::Silu;  // when config.json names none
};

// Every supported architecture, in table order. Thread-safe; realtime-safe.
std::span<const ArchSpec> all_archs();

// Throws InputError naming the model_type and listing the supported ones. Thread-safe.
const ArchSpec& find_arch(std::string_view model_type);
// Same, with the config file named in the error ("FILE: model_type …"). Thread-safe.
const ArchSpec& find_arch(const ModelConfig& c);

// The MLP activation this model uses: config hidden_act / hidden_activation when given, else the
// arch default. Throws InputError for an activation we do not implement. Thread-safe.
Activation resolve_activation(const ModelConfig& c, const ArchSpec& a);

struct TensorRole {
  std::string name;  // full tensor name in the checkpoint
  Role role;
  int layer = -1;                    // -1 for global roles
  const TensorView* view = nullptr;  // the stored tensor (the whole fused tensor when fused)
  std::vector<int64_t> shape;        // the shape of this role (a slice when fused)
  int64_t row_offset = 0;            // first row of the slice along dim 0 when fused
  bool fused = false;
  bool tied = false;  // lm_head that is the embedding matrix
};

// The expected shape of a role under this config. Thread-safe.
std::vector<int64_t> role_shape(const ModelConfig& c, Role r);

// Resolves, validates and lists every tensor role. Throws InputError. Thread-safe.
// Global roles come first (embed, final_norm, lm_head), then layer by layer.
std::vector<TensorRole> resolve_roles(const ModelConfig& c, const WeightStore& ws);
std::vector<TensorRole> resolve_roles(const ModelConfig& c, const ArchSpec& a,
                                      const WeightStore& ws);

}  // namespace th::model
