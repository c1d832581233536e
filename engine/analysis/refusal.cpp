#include "analysis/refusal.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/pca.h"
#include "core/error.h"
#include "model/safetensors.h"

namespace th::analysis {
namespace {

namespace fs = std::filesystem;

struct PromptHidden {
  int64_t tokens = 0;
  std::vector<float> rows;  // [layers in range, T, D]
};

// Hidden states of decoder layers lo..hi (hidden[l + 1]) for one prompt.
PromptHidden run_prompt(const model::Runner& runner, const std::vector<int64_t>& ids, int lo,
                        int hi) {
  model::CaptureRequest what{true, false, false, false, false};
  const auto cap = runner.forward(ids, what);
  const int64_t T = cap.hidden.shape[1], D = cap.hidden.shape[2];
  PromptHidden out{T, {}};
  out.rows.assign(cap.hidden.data.begin() + (lo + 1) * T * D,
                  cap.hidden.data.begin() + (hi + 2) * T * D);
  return out;
}

// Every prompt's ids first, so a bad prompt fails before any forward pass.
std::vector<std::vector<int64_t>> encode_all(const model::Runner& runner, const PromptSet& set,
                                             int64_t max_tokens) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& p : set.prompts) out.push_back(encode_prompt(runner, p, max_tokens));
  return out;
}

std::vector<PromptHidden> run_set(const model::Runner& runner,
                                  const std::vector<std::vector<int64_t>>& set, int lo, int hi,
                                  std::size_t& done, std::size_t total, const Progress& progress) {
  std::vector<PromptHidden> out;
  for (const auto& ids : set) {
    out.push_back(run_prompt(runner, ids, lo, hi));
    if (progress) progress(++done, total);
  }
  return out;
}

// Mean over tokens and layers of one prompt's rows.
Eigen::VectorXd pooled(const PromptHidden& h, int64_t D) {
  const int64_t rows = static_cast<int64_t>(h.rows.size()) / D;
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> m(
      h.rows.data(), rows, D);
  return m.cast<double>().colwise().mean().transpose();
}

std::string provenance_set(const PromptSet& s) {
  return fmt::format("{} ({} prompts, field \"{}\", hash {:016x})", s.file.string(),
                     s.prompts.size(), s.field, s.hash());
}

}  // namespace

RefusalMethod parse_refusal_method(std::string_view name, std::string_view what) {
  if (name == "pca") return RefusalMethod::Pca;
  if (name == "diff-means") return RefusalMethod::DiffMeans;
  throw InputError(fmt::format("{}: expected pca or diff-means, found \"{}\"", what, name));
}

std::string_view refusal_method_name(RefusalMethod m) {
  return m == RefusalMethod::Pca ? "pca" : "diff-means";
}

std::vector<int64_t> encode_prompt(const model::Runner& runner, const Prompt& p,
                                   int64_t max_tokens) {
  auto ids = runner.encode(p.text);
  if (max_tokens > 0 && static_cast<int64_t>(ids.size()) > max_tokens)
    ids.resize(static_cast<std::size_t>(max_tokens));
  const int64_t ctx = runner.config().max_position_embeddings;
  if (ctx > 0 && static_cast<int64_t>(ids.size()) > ctx)
    throw bad_file(
        p.origin,
        fmt::format("prompt is {} tokens, longer than the model's context "
                    "(max_position_embeddings = {}); shorten it or truncate with --max-tokens",
                    ids.size(), ctx));
  if (ids.empty()) throw bad_file(p.origin, "prompt encodes to no tokens");
  return ids;
}

RefusalDirection refusal_direction(const model::Runner& runner, const PromptSet& harmful,
                                   const PromptSet& harmless, const RefusalOptions& opt,
                                   const Progress& progress) {
  const int L = static_cast<int>(runner.config().num_hidden_layers);
  const int64_t D = runner.config().hidden_size;
  const int lo = opt.layer_lo >= 0 ? opt.layer_lo : L / 2;
  const int hi = opt.layer_hi >= 0 ? opt.layer_hi : L - 1;
  if (lo > hi || hi >= L)
    throw InputError(
        fmt::format("--layers: expected a range within 0..{} (decoder layers), found "
                    "{}..{}",
                    L - 1, lo, hi));
  if (harmful.prompts.empty() || harmless.prompts.empty())
    throw InputError("refusal direction: both prompt sets need at least one prompt");

  const bool paired = opt.method == RefusalMethod::Pca;
  const std::size_t n_h =
      paired ? std::min(harmful.prompts.size(), harmless.prompts.size()) : harmful.prompts.size();
  const std::size_t n_l = paired ? n_h : harmless.prompts.size();
  PromptSet hs = harmful, ls = harmless;
  hs.prompts.resize(n_h);
  ls.prompts.resize(n_l);
  const auto ids_h = encode_all(runner, hs, opt.max_tokens);
  const auto ids_l = encode_all(runner, ls, opt.max_tokens);
  std::size_t done = 0;
  const auto H = run_set(runner, ids_h, lo, hi, done, n_h + n_l, progress);
  const auto Lh = run_set(runner, ids_l, lo, hi, done, n_h + n_l, progress);

  RefusalDirection r;
  r.method = opt.method;
  r.layer_lo = lo;
  r.layer_hi = hi;
  const int64_t layers = hi - lo + 1;
  Eigen::VectorXd dir(D);
  if (paired) {
    std::vector<float> diffs;
    for (std::size_t i = 0; i < n_h; ++i) {
      const int64_t T = std::min(H[i].tokens, Lh[i].tokens);
      for (int64_t l = 0; l < layers; ++l)
        for (int64_t t = 0; t < T; ++t)
          for (int64_t d = 0; d < D; ++d)
            diffs.push_back(H[i].rows[static_cast<std::size_t>((l * H[i].tokens + t) * D + d)] -
                            Lh[i].rows[static_cast<std::size_t>((l * Lh[i].tokens + t) * D + d)]);
    }
    r.rows = static_cast<int64_t>(diffs.size()) / D;
    if (r.rows < 2)
      throw InputError(
          "refusal direction (pca): needs at least two difference rows; give more "
          "or longer prompt pairs");
    const Pca p = pca(MatrixView{diffs, r.rows, D}, 1);
    for (int64_t d = 0; d < D; ++d) dir[d] = p.components[0][static_cast<std::size_t>(d)];
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> m(
        diffs.data(), r.rows, D);
    if ((m.cast<double>() * dir).mean() < 0) dir = -dir;
    r.explained_variance_ratio = p.explained_variance_ratio[0];
  } else {
    Eigen::VectorXd mh = Eigen::VectorXd::Zero(D), ml = Eigen::VectorXd::Zero(D);
    for (const auto& h : H) mh += pooled(h, D);
    for (const auto& h : Lh) ml += pooled(h, D);
    dir = mh / static_cast<double>(n_h) - ml / static_cast<double>(n_l);
    if (dir.norm() == 0)
      throw InputError("refusal direction (diff-means): the sets pool to the same mean");
    dir.normalize();
    r.rows = static_cast<int64_t>(n_h + n_l);
    r.explained_variance_ratio = 0;
  }
  double sep = 0;
  for (const auto& h : H) sep += pooled(h, D).dot(dir) / static_cast<double>(H.size());
  for (const auto& h : Lh) sep -= pooled(h, D).dot(dir) / static_cast<double>(Lh.size());
  r.separation = sep;
  r.direction.assign(dir.data(), dir.data() + D);
  r.provenance = {{"model", runner.dir().string()},
                  {"model_type", runner.config().model_type},
                  {"harmful", provenance_set(hs)},
                  {"harmless", provenance_set(ls)},
                  {"max_tokens", std::to_string(opt.max_tokens)}};
  return r;
}

std::pair<PromptSet, PromptSet> seed_refusal_pairs(const fs::path& root) {
  const auto file = root / "prompts/refusal_pairs.json";
  std::ifstream in(file);
  if (!in) throw bad_file(file.string(), "cannot read the shipped refusal pairs");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw bad_file(file.string(), fmt::format("not valid JSON: {}", e.what()));
  }
  std::vector<std::string> harmful, harmless;
  for (std::size_t i = 0; doc.is_array() && i < doc.size(); ++i) {
    const auto& p = doc[i];
    if (!p.is_object() || !p.contains("harmful") || !p.contains("harmless") ||
        !p["harmful"].is_string() || !p["harmless"].is_string())
      throw bad_field(file.string(), fmt::format("[{}]", i),
                      "an object with text fields harmful and harmless", p.dump());
    harmful.push_back(p["harmful"]);
    harmless.push_back(p["harmless"]);
  }
  auto h = prompts_from_texts(harmful, file.string() + " harmful");
  auto l = prompts_from_texts(harmless, file.string() + " harmless");
  h.field = "harmful";
  l.field = "harmless";
  return {std::move(h), std::move(l)};
}

void save_direction(const fs::path& path, const RefusalDirection& r) {
  auto meta = r.provenance;
  meta["kind"] = "tensorhaus refusal direction";
  meta["method"] = std::string(refusal_method_name(r.method));
  meta["layers"] = fmt::format("{}..{}", r.layer_lo, r.layer_hi);
  meta["rows"] = std::to_string(r.rows);
  meta["explained_variance_ratio"] = fmt::format("{:.9g}", r.explained_variance_ratio);
  meta["separation"] = fmt::format("{:.9g}", r.separation);
  model::write_safetensors(path,
                           {{"direction",
                             model::DType::F32,
                             {static_cast<int64_t>(r.direction.size())},
                             std::as_bytes(std::span(r.direction))}},
                           meta);
}

RefusalDirection load_direction(const fs::path& path, int64_t hidden_size) {
  const auto file = model::SafetensorsFile::open(path);
  const auto* t = file->find("direction");
  if (!t) throw bad_field(path.string(), "direction", "a tensor named direction", "none");
  if (t->shape.size() != 1)
    throw bad_field(path.string(), "direction", "a vector [hidden_size]", t->shape_str());
  if (hidden_size > 0 && t->shape[0] != hidden_size)
    throw bad_field(path.string(), "direction",
                    fmt::format("[{}] (the model's hidden_size)", hidden_size), t->shape_str());
  RefusalDirection r;
  r.direction = model::to_float(*t);
  const auto& meta = file->metadata();
  auto get = [&](const char* k) {
    const auto it = meta.find(k);
    return it == meta.end() ? std::string() : it->second;
  };
  if (get("method") == "diff-means") r.method = RefusalMethod::DiffMeans;
  if (std::sscanf(get("layers").c_str(), "%d..%d", &r.layer_lo, &r.layer_hi) != 2)
    r.layer_lo = r.layer_hi = -1;
  r.explained_variance_ratio = std::atof(get("explained_variance_ratio").c_str());
  r.separation = std::atof(get("separation").c_str());
  r.rows = std::atoll(get("rows").c_str());
  for (const auto& [k, v] : meta) r.provenance[k] = v;
  double n = 0;
  for (float v : r.direction) n += static_cast<double>(v) * v;
  if (!(std::abs(std::sqrt(n) - 1.0) < 1e-3))
    throw bad_field(path.string(), "direction", "a unit vector",
                    fmt::format("norm {}", std::sqrt(n)));
  return r;
}

}  // namespace th::analysis
