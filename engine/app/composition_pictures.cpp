#include "app/composition_pictures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "core/error.h"
#include "music/instruments.h"
#include "plot/figure.h"

namespace th::app {
namespace {

namespace fs = std::filesystem;
using music::Composition;
using music::Event;

constexpr std::size_t kMaxFeatureStrips = 8;
constexpr std::array<const char*, 12> kNoteNames{"C",  "C#", "D",  "D#", "E",  "F",
                                                 "F#", "G",  "G#", "A",  "A#", "B"};

double bar_of(const Composition& c, Beats b) {
  return 1.0 + b.to_double() / c.beats_per_bar;
}

// Pitched unless the instrument table says otherwise; an instrument the table does not know is
// pitched when it plays more than one pitch.
bool is_pitched(const std::string& id, const std::vector<const Event*>& events) {
  try {
    if (const auto* inst = music::default_instruments().find(id)) return inst->pitched;
  } catch (const InputError&) {
    // No instrument table next to this binary: fall back to what the events show.
  }
  std::set<double> pitches;
  for (const auto* e : events) pitches.insert(e->pitch);
  return pitches.size() > 1;
}

double tempo_at(const Composition& c, Beats b) {
  double bpm = c.tempo.empty() ? 120 : c.tempo.front().bpm;
  for (const auto& t : c.tempo)
    if (!(b < t.at)) bpm = t.bpm;
  return bpm;
}

std::vector<plot::Band> section_bands(const Composition& c) {
  std::vector<plot::Band> bands;
  for (std::size_t i = 0; i < c.sections.size(); ++i) {
    const auto& s = c.sections[i];
    bands.push_back({bar_of(c, s.begin), bar_of(c, s.end),
                     fmt::format("{} · {:g} BPM", s.name, tempo_at(c, s.begin)),
                     plot::categorical(i + 4), 0.08, s.name});
  }
  return bands;
}

std::vector<plot::Tick> bar_ticks(double last_bar) {
  const int every = last_bar > 129 ? 16 : last_bar > 33 ? 8 : last_bar > 9 ? 4 : 1;
  std::vector<plot::Tick> t;
  for (int b = 1; b <= static_cast<int>(last_bar); b += every)
    t.push_back({static_cast<double>(b), std::to_string(b)});
  return t;
}

// C of every octave in [lo, hi] (MIDI 60 = C4).
std::vector<plot::Tick> pitch_ticks(double lo, double hi) {
  std::vector<plot::Tick> t;
  const int step = hi - lo > 72 ? 24 : 12;
  for (int p = 0; p <= 127; p += step)
    if (p >= lo && p <= hi) t.push_back({static_cast<double>(p), fmt::format("C{}", p / 12 - 1)});
  if (t.size() < 2)  // a narrow range: every E and A too
    for (int p = static_cast<int>(std::ceil(lo)); p <= hi; ++p)
      if (p % 12 == 4 || p % 12 == 9)
        t.push_back({static_cast<double>(p), fmt::format("{}{}", kNoteNames[p % 12], p / 12 - 1)});
  std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
  return t;
}

plot::Figure piano_roll(const Composition& c) {
  // Instruments in order of first appearance, so colours follow the piece.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Event*>> by_inst;
  for (const auto& e : c.events) {
    if (!by_inst.count(e.instrument)) order.push_back(e.instrument);
    by_inst[e.instrument].push_back(&e);
  }
  std::map<std::string, plot::Rgb> colour;
  std::vector<std::string> pitched, lanes;
  for (const auto& id : order) {
    colour[id] = plot::categorical(colour.size());
    (is_pitched(id, by_inst[id]) ? pitched : lanes).push_back(id);
  }
  const double last_bar = bar_of(c, c.length);
  const auto bands = section_bands(c);
  const auto xticks = bar_ticks(last_bar);
  auto base_panel = [&] {
    plot::Panel p;
    p.bands = bands;
    p.x.lo = 1;
    p.x.hi = last_bar;
    p.x.ticks = xticks;
    p.legend = plot::LegendAt::outside_right;
    return p;
  };
  auto note_alpha = [](const Event& e) { return 0.35 + 0.65 * std::clamp(e.velocity, 0.0, 1.0); };
  plot::Figure f;
  f.width = 1600;
  f.height = 900;
  f.title = fmt::format("{} — what played: {} notes, {} bars, {:.0f} s", c.session, c.events.size(),
                        static_cast<int>(std::ceil(last_bar - 1)), c.seconds_at(c.length));
  if (!pitched.empty()) {
    plot::Panel p = base_panel();
    double lo = 127, hi = 0;
    for (const auto& id : pitched)
      for (const auto* e : by_inst[id]) {
        p.boxes.push_back({bar_of(c, e->onset), bar_of(c, e->end()), e->pitch - 0.45,
                           e->pitch + 0.45, colour[id], note_alpha(*e), true});
        lo = std::min(lo, e->pitch);
        hi = std::max(hi, e->pitch);
      }
    p.y.lo = lo - 2;
    p.y.hi = hi + 2;
    p.y.ticks = pitch_ticks(lo - 2, hi + 2);
    p.y.label = "pitch";
    if (lanes.empty()) p.x.label = "bar";
    for (const auto& id : pitched)
      p.swatches.push_back({fmt::format("{} ({})", id, by_inst[id].size()), colour[id]});
    f.panels.push_back(std::move(p));
  }
  if (!lanes.empty()) {
    plot::Panel p = base_panel();
    p.x.label = "bar";
    p.y.lo = -0.6;
    p.y.hi = static_cast<double>(lanes.size()) - 0.4;
    p.y.grid = false;
    p.bands.clear();  // sections are labelled once, above
    for (const auto& b : bands) p.bands.push_back({b.x0, b.x1, "", b.color, b.alpha});
    // Hits are short: at least a 32nd of a bar wide, so each one shows.
    const double min_width = 1.0 / 32;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      const auto y = static_cast<double>(lanes.size() - 1 - i);  // first lane on top
      p.y.ticks.push_back({y, lanes[i]});
      for (const auto* e : by_inst[lanes[i]]) {
        const double x0 = bar_of(c, e->onset);
        const double x1 = std::max(bar_of(c, e->end()), x0 + min_width);
        p.boxes.push_back({x0, x1, y - 0.35, y + 0.35, colour[lanes[i]], note_alpha(*e), false});
      }
      p.swatches.push_back(
          {fmt::format("{} ({})", lanes[i], by_inst[lanes[i]].size()), colour[lanes[i]]});
    }
    f.panels.push_back(std::move(p));
  }
  if (f.panels.size() == 2)
    f.row_heights = {3.0, std::clamp(static_cast<double>(lanes.size()) * 0.3, 0.8, 1.6)};
  return f;
}

// A feature name with its layer replaced by `*` ("layers.*.mlp.down_proj.row_norms"), and the
// layer (−1 when the name has none).
std::pair<std::string, int> family_of(const std::string& feature) {
  static const std::regex kLayer(R"(^layers\.(\d+)\.(.*)$)");
  std::smatch m;
  if (std::regex_match(feature, m, kLayer)) return {"layers.*." + m[2].str(), std::stoi(m[1])};
  return {feature, -1};
}

struct FamilyUse {
  std::string name;
  std::size_t decisions = 0;
  std::set<std::string> fields;
  std::set<std::pair<int, std::int64_t>> marks;  // (layer or −1, element)
};

// layers: the model's layer count when known (0 otherwise), to name a per-layer axis.
std::optional<plot::Panel> feature_strip(const FamilyUse& u, const analysis::Feature& feat,
                                         std::size_t layers) {
  std::size_t rows = 1, cols = feat.data.size();
  const bool stacked = feat.shape.size() == 2;
  if (stacked) {
    rows = static_cast<std::size_t>(feat.shape[0]);
    cols = static_cast<std::size_t>(feat.shape[1]);
  }
  if (cols == 0 || rows * cols != feat.data.size()) return std::nullopt;
  const bool per_layer_scalar = !stacked && u.name.rfind("layers.*.", 0) == 0;
  plot::Panel p;
  std::string fields;
  for (const auto& f : u.fields) fields += (fields.empty() ? "" : ", ") + f;
  p.title = fmt::format("{}  →  {}  ({} decisions)", u.name, fields, u.decisions);
  plot::Heatmap h;
  h.rows = rows;
  h.cols = cols;
  h.values.assign(feat.data.begin(), feat.data.end());
  h.x0 = -0.5;
  h.x1 = static_cast<double>(cols) - 0.5;
  h.y0 = -0.5;
  h.y1 = static_cast<double>(rows) - 0.5;
  p.heatmap = h;
  p.x.lo = h.x0;
  p.x.hi = h.x1;
  p.y.lo = h.y0;
  p.y.hi = h.y1;
  p.colorbar = plot::ColorBar{"value", 0, 1, {}};
  p.x.label = per_layer_scalar || (!stacked && cols == layers) ? "layer" : "element";
  p.y.label = stacked ? "layer" : "";
  if (stacked && rows <= 16)
    for (std::size_t r = 0; r<rows; r += rows> 8 ? 2 : 1)
      p.y.ticks.push_back({static_cast<double>(r), std::to_string(r)});
  if (!stacked) p.y.ticks = {{0, ""}};
  if (cols <= 32)
    for (std::size_t k = 0; k<cols; k += cols> 16 ? 2 : 1)
      p.x.ticks.push_back({static_cast<double>(k), std::to_string(k)});
  // Rings on the elements the notes read: a dark disc under a white one.
  plot::Series outer{"", {}, {}, plot::hex(0x111111), plot::Mark::points, 2.6};
  plot::Series inner{"", {}, {}, plot::hex(0xffffff), plot::Mark::points, 1.5};
  for (const auto& [layer, index] : u.marks) {
    if (index < 0 || static_cast<std::size_t>(index) >= cols) continue;
    const double y = stacked ? std::max(0, layer) : 0;
    outer.x.push_back(static_cast<double>(index));
    outer.y.push_back(y);
  }
  inner.x = outer.x;
  inner.y = outer.y;
  p.series = {outer, inner};
  return p;
}

std::optional<plot::Figure> features_picture(const Composition& c,
                                             const analysis::FeatureStore& store) {
  std::map<std::string, FamilyUse> uses;
  for (const auto& e : c.events)
    for (const auto& pr : e.provenance) {
      if (pr.feature.empty()) continue;
      const auto [family, layer] = family_of(pr.feature);
      auto& u = uses[family];
      u.name = family;
      ++u.decisions;
      u.fields.insert(std::string(music::field_name(pr.field)));
      if (pr.index >= 0) u.marks.insert({layer, pr.index});
    }
  std::vector<const FamilyUse*> ranked;
  for (const auto& [name, u] : uses) ranked.push_back(&u);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* a, const auto* b) { return a->decisions > b->decisions; });
  std::size_t layers = 0;
  if (store.contains("tension")) layers = store.get("tension").data.size();
  plot::Figure f;
  f.width = 1400;
  std::size_t shown = 0;
  for (const auto* u : ranked) {
    if (shown == kMaxFeatureStrips) break;
    std::optional<analysis::Feature> feat;
    try {
      feat = store.get(u->name);
    } catch (const InputError&) {
      continue;  // a name the store does not hold as one array (a derived value)
    }
    if (auto p = feature_strip(*u, *feat, layers)) {
      // A single-row strip needs less height than a layer-by-element one.
      f.row_heights.push_back(p->heatmap->rows > 1 ? 1.0 : 0.7);
      f.panels.push_back(std::move(*p));
      ++shown;
    }
  }
  if (f.panels.empty()) return std::nullopt;
  f.title = fmt::format(
      "{} — the features behind the notes ({} of {} by decisions); rings: elements read", c.session,
      shown, ranked.size());
  f.margins = plot::Margins{84, 28, 40, 48};
  double total = 0;
  for (double h : f.row_heights) total += h;
  f.height = 60 + static_cast<int>(200 * total);
  return f;
}

}  // namespace

std::vector<fs::path> write_composition_pictures(const Composition& c,
                                                 const analysis::FeatureStore& store,
                                                 const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw bad_file(dir.string(), "cannot create the folder: " + ec.message());
  std::vector<fs::path> written;
  written.push_back(dir / (stem + "_piano_roll.png"));
  plot::write_png(piano_roll(c), written.back());
  if (const auto f = features_picture(c, store)) {
    written.push_back(dir / (stem + "_features.png"));
    plot::write_png(*f, written.back());
  }
  return written;
}

}  // namespace th::app
