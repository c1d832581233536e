#include "analysis/weight_analysis.h"

#include "analysis/largest_first.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <mutex>
#include <numeric>
#include <span>

#include "analysis/stats.h"
#include "model/hf_config.h"

namespace th::analysis {
namespace {

using model::Role;

// Roles whose spectra form the per-layer curves, with their feature-store suffix.
struct CurveRole {
  Role role;
  const char* name;
};
constexpr std::array kAttnRoles{CurveRole{Role::Q, "q_proj"}, CurveRole{Role::K, "k_proj"},
                                CurveRole{Role::V, "v_proj"}, CurveRole{Role::O, "o_proj"}};
constexpr std::array kMlpRoles{CurveRole{Role::Gate, "gate_proj"}, CurveRole{Role::Up, "up_proj"},
                               CurveRole{Role::Down, "down_proj"}};

// "model.layers.3.mlp.down_proj.weight" → "layers.3.mlp.down_proj"; the embedding is "embed".
// A fused slice takes the unfused name of its role ("layers.3.self_attn.qkv_proj.weight"'s q rows
// → "layers.3.self_attn.q_proj"), so patterns address every architecture alike.
std::string feature_key(const model::TensorRole& r) {
  if (r.role == Role::Embed) return "embed";
  std::string k = r.name;
  if (k.rfind("model.", 0) == 0) k.erase(0, 6);
  if (k.size() > 7 && k.compare(k.size() - 7, 7, ".weight") == 0) k.erase(k.size() - 7);
  if (r.fused) {
    k.erase(k.rfind('.') + 1);
    for (const auto& roles :
         {std::span<const CurveRole>(kAttnRoles), std::span<const CurveRole>(kMlpRoles)})
      for (const auto& c : roles)
        if (c.role == r.role) return k + c.name;
    k += model::role_name(r.role);
  }
  return k;
}

// The role's values as float32: a fused role reads only its own rows.
std::vector<float> role_values(const model::TensorRole& r) {
  model::TensorView v = *r.view;
  if (r.fused) {
    int64_t row_elems = 1;
    for (std::size_t i = 1; i < r.shape.size(); ++i) row_elems *= r.shape[i];
    const auto es = model::dtype_size(v.dtype);
    v.bytes = v.bytes.subspan(static_cast<std::size_t>(r.row_offset * row_elems) * es,
                              static_cast<std::size_t>(r.shape[0] * row_elems) * es);
    v.shape = r.shape;
  }
  return model::to_float(v);
}

const TensorAnalysis* find_role(const std::vector<TensorAnalysis>& ts, std::string_view role,
                                int layer) {
  for (const auto& t : ts)
    if (t.layer == layer && t.role == role) return &t;
  return nullptr;
}

TensorAnalysis analyze_tensor(const model::TensorRole& r, const model::ArchSpec& arch) {
  TensorAnalysis t;
  t.name = r.name;
  t.key = feature_key(r);
  t.role = std::string(model::role_name(r.role));
  t.layer = r.layer;
  t.shape = r.shape;
  auto values = role_values(r);
  if (r.shape.size() == 2) {
    t.matrix = matrix_stats({values, r.shape[0], r.shape[1]});
  } else {
    const bool is_norm = r.role == Role::FinalNorm || r.role == Role::AttnNorm ||
                         r.role == Role::PostAttnNorm || r.role == Role::PreFfnNorm ||
                         r.role == Role::PostFfnNorm || r.role == Role::QNorm ||
                         r.role == Role::KNorm;
    t.scale_offset = is_norm && arch.norm_offset_one ? 1.0 : 0.0;
    t.vector = vector_stats(values, t.scale_offset);
    t.values = std::move(values);
  }
  return t;
}

}  // namespace

WeightAnalysis analyze_weights(const model::ModelConfig& config, const model::WeightStore& weights,
                               const std::vector<model::TensorRole>& roles) {
  const auto& arch = model::find_arch(config.model_type);
  WeightAnalysis a;
  a.model = {std::string(arch.name), config.model_type, config.num_hidden_layers,
             config.hidden_size, ""};
  // Each tensor is independent: spread them over the OpenMP threads, largest first so the
  // embedding does not start last. Inside this loop every BLAS call runs single-threaded.
  std::vector<const model::TensorRole*> todo;
  for (const auto& r : roles)
    if (!r.tied) todo.push_back(&r);  // a tied lm_head is the embedding, already analysed
  for (const auto* r : todo)
    if (r->role == Role::Embed) a.model.dtype = std::string(model::dtype_name(r->view->dtype));
  a.tensors.resize(todo.size());
  largest_first(
      todo.size(),
      [&](std::size_t i) {
        int64_t n = 1;
        for (auto d : todo[i]->shape) n *= d;
        return n;
      },
      [&](std::size_t i) { a.tensors[i] = analyze_tensor(*todo[i], arch); });

  const int layers = static_cast<int>(config.num_hidden_layers);
  auto mean_fro = [&](auto const& set, int l) {
    double sum = 0;
    int n = 0;
    for (const auto& cr : set)
      if (const auto* t = find_role(a.tensors, model::role_name(cr.role), l); t && t->matrix)
        sum += t->matrix->fro, ++n;
    return n ? sum / n : 0.0;
  };
  for (int l = 0; l < layers; ++l) {
    a.tension_raw.push_back(mean_fro(kAttnRoles, l) / (mean_fro(kMlpRoles, l) + 1e-9));
    const auto* q = find_role(a.tensors, "q", l);
    const auto* k = find_role(a.tensors, "k", l);
    a.qk_coherence.push_back(
        q && k && q->matrix && k->matrix
            ? spectral_coherence(q->matrix->singular_values, k->matrix->singular_values)
            : 0.0);
  }
  a.tension = norm01(a.tension_raw);
  for (const auto& set :
       {std::span<const CurveRole>(kAttnRoles), std::span<const CurveRole>(kMlpRoles)})
    for (const auto& cr : set) {
      std::vector<double> change;
      for (int l = 1; l < layers; ++l) {
        const auto* prev = find_role(a.tensors, model::role_name(cr.role), l - 1);
        const auto* cur = find_role(a.tensors, model::role_name(cr.role), l);
        if (!prev || !cur || !prev->matrix || !cur->matrix) break;
        change.push_back(
            spectrum_wasserstein(prev->matrix->singular_values, cur->matrix->singular_values));
      }
      if (!change.empty()) a.spectral_change[cr.name] = std::move(change);
    }

  // Tonality from the per-layer input norms, stacked [layers, hidden].
  std::vector<float> stack;
  int found = 0;
  for (int l = 0; l < layers; ++l)
    if (const auto* t = find_role(a.tensors, "attn_norm", l)) {
      stack.insert(stack.end(), t->values.begin(), t->values.end());
      ++found;
    }
  if (found >= 2 && found == layers)
    a.tonality = tonality_from_norms(
        {stack, found, static_cast<int64_t>(stack.size() / static_cast<std::size_t>(found))});
  return a;
}

WeightAnalysis analyze_model_dir(const std::filesystem::path& dir) {
  const auto config = model::load_config(dir / "config.json");
  const auto weights = model::WeightStore::open_dir(dir);
  return analyze_weights(config, weights, model::resolve_roles(config, weights));
}

FeatureStore to_feature_store(const WeightAnalysis& a) {
  FeatureStore::Builder b;
  for (const auto& t : a.tensors) {
    auto scalar = [&](const char* stat, double v) {
      b.add_scalar(t.key + "." + stat, v, {t.name, stat, t.layer});
    };
    auto vec = [&](const char* stat, const std::vector<double>& v) {
      b.add_vector(t.key + "." + stat, v, {t.name, stat, t.layer});
    };
    if (const auto& m = t.matrix) {
      vec("singular_values", m->singular_values);
      scalar("spectral_norm", m->spectral_norm);
      scalar("fro", m->fro);
      scalar("stable_rank", m->stable_rank);
      scalar("spectral_entropy", m->spectral_entropy);
      scalar("effective_rank", m->effective_rank);
      scalar("mean", m->moments.mean);
      scalar("std", m->moments.std);
      scalar("skewness", m->moments.skewness);
      scalar("kurtosis", m->moments.kurtosis);
      scalar("bimodality", m->bimodality);
      vec("row_norms", m->row_norms);
      vec("col_norms", m->col_norms);
      vec("histogram", m->histogram.density);
      vec("histogram_range", {m->histogram.lo, m->histogram.hi});
      scalar("alpha", m->alpha.alpha);
      scalar("alpha_lambda_min", m->alpha.lambda_min);
      scalar("alpha_ks", m->alpha.ks);
    }
    if (const auto& v = t.vector) {
      std::vector<double> raw(t.values.begin(), t.values.end()), scale(raw);
      for (auto& s : scale) s += t.scale_offset;
      vec("raw", raw);
      vec("scale", scale);
      scalar("mean", v->moments.mean);
      scalar("std", v->moments.std);
      scalar("skewness", v->moments.skewness);
      scalar("kurtosis", v->moments.kurtosis);
      scalar("scale_mean", v->scale_moments.mean);
      scalar("scale_std", v->scale_moments.std);
      vec("histogram", v->histogram.density);
    }
  }
  b.add_vector("tension", a.tension, {"", "tension", -1});
  b.add_vector("tension.raw", a.tension_raw, {"", "tension_raw", -1});
  b.add_vector("qk_coherence", a.qk_coherence, {"", "qk_coherence", -1});
  for (const auto& [role, v] : a.spectral_change)
    b.add_vector("spectral_change." + role, v, {"", "spectral_change", -1});
  if (const auto& t = a.tonality) {
    const Provenance p{"input_layernorm", "tonality", -1};
    b.add_scalar("tonality.root", t->root_midi, p);
    b.add_scalar("tonality.root_pitch_class", t->root_pitch_class, p);
    b.add_scalar("tonality.root_margin", t->root_margin, p);
    b.add_scalar("tonality.pc2_skew", t->pc2_skew, p);
    b.add_scalar("tonality.pc3_kurtosis", t->pc3_kurtosis, p);
    b.add_vector("tonality.explained_variance_ratio", t->explained_variance_ratio, p);
    std::vector<float> comps;
    for (const auto& c : t->components) comps.insert(comps.end(), c.begin(), c.end());
    b.add("tonality.components",
          {static_cast<int64_t>(t->components.size()),
           static_cast<int64_t>(t->components.front().size())},
          std::move(comps), p);
    // The mode as an index into the fixed list major, natural_minor, harmonic_minor, dorian.
    static constexpr std::array<std::string_view, 4> kModes{"major", "natural_minor",
                                                            "harmonic_minor", "dorian"};
    double idx = 0;
    for (std::size_t i = 0; i < kModes.size(); ++i)
      if (kModes[i] == t->mode) idx = static_cast<double>(i);
    b.add_scalar("tonality.mode", idx, p);
  }
  return std::move(b).build();
}

}  // namespace th::analysis
