#include "app/analysis_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "core/error.h"
#include "plot/figure.h"

namespace th::app {
namespace {

namespace fs = std::filesystem;
using analysis::TensorAnalysis;
using analysis::WeightAnalysis;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Per-layer matrix roles in the order they first appear in the analysis (model order).
std::vector<std::string> layer_roles(const WeightAnalysis& a) {
  std::vector<std::string> roles;
  for (const auto& t : a.tensors)
    if (t.layer >= 0 && t.matrix && std::find(roles.begin(), roles.end(), t.role) == roles.end())
      roles.push_back(t.role);
  return roles;
}

std::string model_caption(const WeightAnalysis& a) {
  return fmt::format("{} · {} layers · hidden {}", a.model.architecture, a.model.layers,
                     a.model.hidden_size);
}

plot::Series spectrum(const TensorAnalysis& t, std::string label, plot::Rgb c) {
  plot::Series s;
  s.label = std::move(label);
  s.color = c;
  s.width = 1.6;
  const auto& sv = t.matrix->singular_values;
  for (std::size_t i = 0; i < sv.size(); ++i) {
    s.x.push_back(static_cast<double>(i + 1));
    s.y.push_back(sv[i]);
  }
  return s;
}

double layer_t(int layer, int64_t layers) {
  return layers > 1 ? static_cast<double>(layer) / static_cast<double>(layers - 1) : 0.0;
}

plot::ColorBar layer_bar(const WeightAnalysis& a) {
  plot::ColorBar cb{"layer", 0, static_cast<double>(std::max<int64_t>(1, a.model.layers - 1)), {}};
  return cb;
}

plot::Panel spectra_panel(const WeightAnalysis& a, const std::string& role) {
  plot::Panel p;
  p.title = role;
  p.x = {"rank", plot::Scale::log, {}, {}, {}, true};
  p.y = {"singular value", plot::Scale::log, {}, {}, {}, true};
  for (const auto& t : a.tensors)
    if (t.role == role && t.layer >= 0 && t.matrix)
      p.series.push_back(spectrum(t, "", plot::viridis(layer_t(t.layer, a.model.layers))));
  p.colorbar = layer_bar(a);
  return p;
}

// Model-level matrices (embedding, untied lm_head): one labelled line each.
std::optional<plot::Panel> model_spectra_panel(const WeightAnalysis& a) {
  plot::Panel p;
  p.title = "model-level matrices";
  p.x = {"rank", plot::Scale::log, {}, {}, {}, true};
  p.y = {"singular value", plot::Scale::log, {}, {}, {}, true};
  for (const auto& t : a.tensors)
    if (t.layer < 0 && t.matrix)
      p.series.push_back(spectrum(t, t.role, plot::categorical(p.series.size())));
  if (p.series.empty()) return std::nullopt;
  return p;
}

// One line per role across depth from a per-tensor number (NaN where it does not apply).
template <class F>
plot::Panel per_role_curve(const WeightAnalysis& a, const std::vector<std::string>& roles,
                           F value) {
  plot::Panel p;
  p.x = {"layer", plot::Scale::linear, {}, {}, {}, true};
  for (std::size_t r = 0; r < roles.size(); ++r) {
    plot::Series s{roles[r], {}, {}, plot::categorical(r), plot::Mark::line_points, 2};
    for (int l = 0; l < a.model.layers; ++l) {
      double v = kNaN;
      for (const auto& t : a.tensors)
        if (t.role == roles[r] && t.layer == l && t.matrix) v = value(t);
      s.x.push_back(l);
      s.y.push_back(v);
    }
    p.series.push_back(std::move(s));
  }
  p.legend = plot::LegendAt::outside_right;
  return p;
}

plot::Series depth_series(std::string label, const std::vector<double>& v, plot::Rgb c,
                          int first_layer = 0) {
  plot::Series s{std::move(label), {}, v, c, plot::Mark::line_points, 2.2};
  for (std::size_t i = 0; i < v.size(); ++i) s.x.push_back(first_layer + static_cast<double>(i));
  return s;
}

// Integer layer ticks (every layer when few, else automatic).
std::vector<plot::Tick> layer_ticks(int64_t layers) {
  if (layers > 16) return {};
  std::vector<plot::Tick> t;
  for (int64_t l = 0; l < layers; ++l) t.push_back({static_cast<double>(l), std::to_string(l)});
  return t;
}

std::vector<const TensorAnalysis*> input_norms(const WeightAnalysis& a) {
  std::vector<const TensorAnalysis*> out;
  for (int l = 0; l < a.model.layers; ++l)
    for (const auto& t : a.tensors)
      if (t.role == "attn_norm" && t.layer == l && !t.values.empty()) out.push_back(&t);
  if (out.size() != static_cast<std::size_t>(a.model.layers)) return {};
  return out;
}

class Writer {
 public:
  explicit Writer(fs::path dir) : dir_(std::move(dir)) {}
  void operator()(const std::string& name, const plot::Figure& f) {
    plot::write_png(f, dir_ / name);
    written_.push_back(dir_ / name);
  }
  std::vector<fs::path> written() && { return std::move(written_); }

 private:
  fs::path dir_;
  std::vector<fs::path> written_;
};

void spectra_pictures(const WeightAnalysis& a, const std::vector<std::string>& roles, Writer& w) {
  for (const auto& role : roles) {
    plot::Figure f;
    f.title = fmt::format("Singular values of every {} matrix, one line per layer — {}", role,
                          model_caption(a));
    f.panels.push_back(spectra_panel(a, role));
    f.panels.back().title.clear();  // the figure title names the role
    w("spectra_" + role + ".png", f);
  }
  plot::Figure grid;
  grid.width = 1600;
  grid.height = 900;
  grid.columns = 4;
  for (const auto& role : roles) grid.panels.push_back(spectra_panel(a, role));
  if (auto m = model_spectra_panel(a)) grid.panels.push_back(*m);
  // One colour key for the whole grid (in the title) instead of a colour bar per panel.
  grid.title = fmt::format(
      "Singular-value spectra per role (log-log); colour = layer, 0 purple → {} yellow — {}",
      a.model.layers - 1, model_caption(a));
  for (auto& p : grid.panels) {
    p.x.label = "";
    p.y.label = "";
    p.colorbar.reset();
  }
  grid.margins = plot::Margins{64, 16, 36, 40};
  if (!grid.panels.empty()) w("spectra.png", grid);
}

void alpha_picture(const WeightAnalysis& a, const std::vector<std::string>& roles, Writer& w) {
  plot::Figure f;
  f.title = "Heavy-tail exponent α of each matrix across depth — " + model_caption(a);
  auto p = per_role_curve(a, roles, [](const TensorAnalysis& t) {
    return t.matrix->alpha.alpha > 0 ? t.matrix->alpha.alpha : kNaN;
  });
  p.title = "α of the power-law fit to the eigenvalue tail of WᵀW (lower = heavier tail)";
  p.y.label = "α";
  p.x.ticks = layer_ticks(a.model.layers);
  f.panels.push_back(std::move(p));
  w("alpha.png", f);
}

void tension_picture(const WeightAnalysis& a, Writer& w) {
  if (a.tension_raw.empty()) return;
  plot::Figure f;
  f.height = 900;
  f.title = "Attention against MLP across depth — " + model_caption(a);
  const auto ticks = layer_ticks(a.model.layers);
  plot::Panel t;
  t.title = "tension: mean ‖W‖F of q, k, v, o ÷ mean ‖W‖F of gate, up, down";
  t.y.label = "ratio";
  t.series.push_back(depth_series("", a.tension_raw, plot::categorical(3)));
  t.x.ticks = ticks;
  plot::Panel q;
  q.title = "QK spectral coherence (how alike the q and k spectra are)";
  q.y.label = "coherence";
  q.series.push_back(depth_series("", a.qk_coherence, plot::categorical(0)));
  q.x.ticks = ticks;
  plot::Panel c;
  c.title = "spectral change: 1-D Wasserstein distance of each role's spectrum to the layer before";
  c.x.label = "layer";
  c.y.label = "W₁";
  std::size_t k = 0;
  for (const auto& [role, v] : a.spectral_change)
    c.series.push_back(depth_series(role, v, plot::categorical(k++), 1));
  c.legend = plot::LegendAt::outside_right;
  c.x.ticks = ticks;
  c.x.lo = t.x.lo = q.x.lo = -0.2;
  c.x.hi = t.x.hi = q.x.hi = static_cast<double>(a.model.layers) - 0.8;
  // The same data-area width in all three panels, so the layers line up.
  t.legend = q.legend = plot::LegendAt::outside_right;
  if (c.series.empty()) c.legend = plot::LegendAt::top_right;
  f.panels = {t, q, c};
  w("tension.png", f);
}

void norm_pictures(const WeightAnalysis& a, Writer& w) {
  const auto norms = input_norms(a);
  if (norms.empty()) return;
  const std::size_t hidden = norms.front()->values.size();
  const auto layers = static_cast<int64_t>(norms.size());
  // Heat map of the effective scale (1 + w for Gemma-style norms), layer 0 at the bottom.
  {
    plot::Heatmap h;
    h.rows = norms.size();
    h.cols = hidden;
    for (const auto* t : norms)
      for (float v : t->values) h.values.push_back(static_cast<double>(v) + t->scale_offset);
    h.x0 = -0.5;
    h.x1 = static_cast<double>(hidden) - 0.5;
    h.y0 = -0.5;
    h.y1 = static_cast<double>(layers) - 0.5;
    plot::Figure f;
    f.title = "Input-norm scales, layer by channel — " + model_caption(a);
    plot::Panel p;
    p.title = norms.front()->scale_offset != 0 ? "effective scale 1 + w of input_layernorm"
                                               : "scale w of input_layernorm";
    p.x.label = "channel";
    p.y.label = "layer";
    p.y.ticks = layer_ticks(layers);
    p.heatmap = h;
    p.colorbar = plot::ColorBar{"scale", 0, 1, {}};
    f.panels.push_back(p);
    w("norms_heatmap.png", f);
  }
  if (!a.tonality || a.tonality->components.size() < 3) return;
  const auto& ton = *a.tonality;
  // Scores of each layer on PC1..PC3: centred by channel means, as the PCA was.
  std::vector<double> mean(hidden, 0.0);
  for (const auto* t : norms)
    for (std::size_t j = 0; j < hidden; ++j) mean[j] += t->values[j] / static_cast<double>(layers);
  std::vector<std::array<double, 3>> score;
  for (const auto* t : norms) {
    std::array<double, 3> s{};
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t j = 0; j < hidden; ++j)
        s[k] += (t->values[j] - mean[j]) * ton.components[k][j];
    score.push_back(s);
  }
  plot::Figure f;
  f.width = 1500;
  f.height = 620;
  f.columns = 3;
  f.title =
      fmt::format("Input-norm PCA behind the tonality: {} {} — {}",
                  analysis::pitch_class_name(ton.root_pitch_class), ton.mode, model_caption(a));
  plot::Panel scatter;
  scatter.title = "each layer's input norm on PC1 and PC2";
  scatter.x.label = "PC1";
  scatter.y.label = "PC2";
  scatter.x.pad = scatter.y.pad = 0.1;
  plot::Series path{"", {}, {}, plot::hex(0xbbbbbb), plot::Mark::line, 1.2};
  for (const auto& s : score) {
    path.x.push_back(s[0]);
    path.y.push_back(s[1]);
  }
  scatter.series.push_back(path);
  for (int64_t l = 0; l < layers; ++l) {
    const auto& s = score[static_cast<std::size_t>(l)];
    const auto c = plot::viridis(layer_t(static_cast<int>(l), layers));
    scatter.series.push_back({"", {s[0]}, {s[1]}, c, plot::Mark::points, 3.2});
    scatter.labels.push_back({s[0], s[1], "L" + std::to_string(l), plot::hex(0x333333)});
  }
  plot::Panel scores;
  scores.title = fmt::format("scores by layer (PC2 skew {:.2f}, PC3 kurtosis {:.2f})", ton.pc2_skew,
                             ton.pc3_kurtosis);
  scores.x.label = "layer";
  scores.y.label = "score";
  scores.x.ticks = layer_ticks(layers);
  scores.y.pad = 0.25;  // head room for the legend: three zig-zag lines reach every corner
  for (std::size_t k = 0; k < 3; ++k) {
    plot::Series s{fmt::format("PC{}", k + 1), {}, {}, plot::categorical(k),
                   plot::Mark::line_points,    2};
    for (int64_t l = 0; l < layers; ++l) {
      s.x.push_back(static_cast<double>(l));
      s.y.push_back(score[static_cast<std::size_t>(l)][k]);
    }
    scores.series.push_back(std::move(s));
  }
  plot::Panel evr;
  evr.title = fmt::format("explained variance (root = ⌊12·EVR₁⌋ = {})",
                          analysis::pitch_class_name(ton.root_pitch_class));
  evr.y.label = "ratio";
  evr.y.lo = 0;
  evr.x.lo = 0.4;
  evr.x.hi = 3.6;
  evr.x.grid = false;
  for (std::size_t k = 0; k < ton.explained_variance_ratio.size() && k < 3; ++k) {
    const double v = ton.explained_variance_ratio[k];
    const double x = static_cast<double>(k + 1);
    evr.boxes.push_back({x - 0.3, x + 0.3, 0, v, plot::categorical(k), 0.9, false});
    evr.labels.push_back({x - 0.22, v, fmt::format("{:.3f}", v), plot::hex(0x333333)});
    evr.x.ticks.push_back({x, fmt::format("PC{}", k + 1)});
  }
  double top = 0;
  for (double v : ton.explained_variance_ratio) top = std::max(top, v);
  evr.y.hi = top * 1.2;
  f.panels = {scatter, scores, evr};
  w("norm_pca.png", f);
}

}  // namespace

std::vector<fs::path> write_analysis_plots(const WeightAnalysis& a, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw bad_file(dir.string(), "cannot create the folder: " + ec.message());
  Writer w(dir);
  const auto roles = layer_roles(a);
  spectra_pictures(a, roles, w);
  if (!roles.empty()) alpha_picture(a, roles, w);
  tension_picture(a, w);
  norm_pictures(a, w);
  return std::move(w).written();
}

}  // namespace th::app
