#include "analysis/weight_report.h"

#include <nlohmann/json.hpp>

#include "analysis/tonality.h"

namespace th::analysis {
namespace {

using json = nlohmann::json;

json moments_json(const Moments& m) {
  return {{"mean", m.mean}, {"std", m.std}, {"skewness", m.skewness}, {"kurtosis", m.kurtosis}};
}

json tensor_json(const TensorAnalysis& t) {
  json j = {
      {"name", t.name}, {"key", t.key}, {"role", t.role}, {"layer", t.layer}, {"shape", t.shape}};
  if (const auto& m = t.matrix) {
    j["singular_values"] = m->singular_values;
    j["svd_method"] = m->svd_method;
    j["spectral_norm"] = m->spectral_norm;
    j["fro"] = m->fro;
    j["stable_rank"] = m->stable_rank;
    j["spectral_entropy"] = m->spectral_entropy;
    j["effective_rank"] = m->effective_rank;
    j.update(moments_json(m->moments));
    j["bimodality"] = m->bimodality;
    j["row_norms"] = m->row_norms;
    j["col_norms"] = m->col_norms;
    j["histogram"] = m->histogram.density;
    j["histogram_range"] = {m->histogram.lo, m->histogram.hi};
    j["alpha"] = m->alpha.alpha;
    j["alpha_lambda_min"] = m->alpha.lambda_min;
    j["alpha_ks"] = m->alpha.ks;
    j["alpha_tail"] = m->alpha.tail;
  }
  if (const auto& v = t.vector) {
    j.update(moments_json(v->moments));
    j["values"] = t.values;
    j["scale_offset"] = t.scale_offset;
    j["scale_mean"] = v->scale_moments.mean;
    j["scale_std"] = v->scale_moments.std;
    j["bimodality"] = v->bimodality;
    j["histogram"] = v->histogram.density;
    j["histogram_range"] = {v->histogram.lo, v->histogram.hi};
  }
  return j;
}

}  // namespace

std::string weight_report_json(const WeightAnalysis& a, int indent) {
  json j;
  j["model"] = {{"architecture", a.model.architecture},
                {"model_type", a.model.model_type},
                {"layers", a.model.layers},
                {"hidden_size", a.model.hidden_size},
                {"dtype", a.model.dtype}};
  j["tensors"] = json::array();
  for (const auto& t : a.tensors) j["tensors"].push_back(tensor_json(t));
  j["layers"] = {{"tension", a.tension},
                 {"tension_raw", a.tension_raw},
                 {"qk_coherence", a.qk_coherence},
                 {"spectral_change", a.spectral_change}};
  if (const auto& t = a.tonality) {
    j["tonality"] = {{"root", t->root_midi},
                     {"root_pitch_class", t->root_pitch_class},
                     {"root_name", pitch_class_name(t->root_pitch_class)},
                     {"mode", t->mode},
                     {"evidence",
                      {{"explained_variance_ratio", t->explained_variance_ratio},
                       {"root_margin", t->root_margin},
                       {"pc2_skew", t->pc2_skew},
                       {"pc3_kurtosis", t->pc3_kurtosis},
                       {"components", t->components}}}};
  }
  return j.dump(indent);
}

}  // namespace th::analysis
