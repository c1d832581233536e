#include "music/feature.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "music/theory.h"

namespace th::music {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto p = s.find(sep);
    out.push_back(trim(s.substr(0, p)));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

InputError bad_step(std::string_view step, std::string_view why) {
  return InputError(fmt::format("transform \"{}\": {}", step, why));
}

double number(std::string_view s, std::string_view step) {
  s = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw bad_step(step, fmt::format("\"{}\" is not a number", s));
  return v;
}

std::int64_t integer(std::string_view s, std::string_view step) {
  s = trim(s);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw bad_step(step, fmt::format("\"{}\" is not an integer", s));
  return v;
}

// "tonality", "tonality@2", "tonality@2 phrygian", "tonality dorian" → a Tonal step.
bool is_tonal(std::string_view s) {
  return trim(s).starts_with("tonality");
}
xf::Tonal parse_tonal(std::string_view s, std::string_view step) {
  auto parts = split(trim(s), ' ');
  std::erase_if(parts, [](std::string_view p) { return p.empty(); });
  if (parts.empty() || parts.size() > 2) throw bad_step(step, "expected tonality[@OCTAVE] [MODE]");
  xf::Tonal t;
  std::string_view head = parts[0];
  head.remove_prefix(std::string_view("tonality").size());
  if (!head.empty()) {
    if (head.front() != '@') throw bad_step(step, "expected tonality@OCTAVE, e.g. tonality@2");
    const auto o = integer(head.substr(1), step);
    if (o < 0 || o > 8) throw bad_step(step, "the octave must be 0..8");
    t.octave = static_cast<int>(o);
  }
  if (parts.size() == 2) {
    mode_intervals(parts[1]);  // validates the name
    t.mode = std::string(parts[1]);
  }
  return t;
}

std::string tonal_text(const xf::Tonal& t) {
  std::string s = "tonality";
  if (t.octave >= 0) s += fmt::format("@{}", t.octave);
  if (!t.mode.empty()) s += " " + t.mode;
  return s;
}

std::string note_text(int midi) {
  static constexpr const char* kNames[] = {"C",  "C#", "D",  "D#", "E",  "F",
                                           "F#", "G",  "G#", "A",  "A#", "B"};
  return fmt::format("{}{}", kNames[((midi % 12) + 12) % 12], midi / 12 - 1);
}

// "C3 dorian" → root MIDI note and mode intervals.
std::pair<int, std::span<const int>> root_and_mode(std::string_view s, std::string_view step) {
  const auto parts = split(trim(s), ' ');
  if (parts.size() != 2) throw bad_step(step, "expected ROOT MODE, e.g. \"C3 dorian\"");
  return {note_from_name(parts[0]), mode_intervals(parts[1])};
}

std::string fmt_num(double v) {
  return fmt::format("{}", v);
}

Transform parse_step(std::string_view step) {
  if (step == "norm01") return xf::Norm01{};
  if (step == "log1p") return xf::Log1p{};
  if (step == "abs") return xf::Abs{};
  if (step == "rank") return xf::Rank{};
  if (step.starts_with(">")) return xf::Threshold{number(step.substr(1), step), true};
  if (step.starts_with("<")) return xf::Threshold{number(step.substr(1), step), false};
  const auto open = step.find('(');
  if (open == std::string_view::npos || step.back() != ')')
    throw bad_step(step,
                   "unknown step (known: norm01, log1p, abs, rank, percentile(q), > x, "
                   "< x, scale(ROOT MODE, N oct), snap(ROOT MODE), range(lo, hi[, exp]), "
                   "pick(N evenly), at(i))");
  const std::string_view name = trim(step.substr(0, open));
  const auto args = split(step.substr(open + 1, step.size() - open - 2), ',');
  if (name == "percentile" && args.size() == 1) return xf::Percentile{number(args[0], step)};
  if (name == "range" && (args.size() == 2 || args.size() == 3)) {
    if (args.size() == 3 && args[2] != "exp") throw bad_step(step, "third argument must be exp");
    return xf::Range{number(args[0], step), number(args[1], step), args.size() == 3};
  }
  if (name == "pick" && args.size() == 1) {
    const auto words = split(args[0], ' ');
    if (words.size() != 2 || words[1] != "evenly") throw bad_step(step, "expected pick(N evenly)");
    return xf::PickEvenly{integer(words[0], step)};
  }
  if (name == "at" && args.size() == 1) return xf::At{integer(args[0], step)};
  if (name == "scale" && args.size() == 2) {
    const auto words = split(args[1], ' ');
    if (words.size() != 2 || (words[1] != "oct" && words[1] != "octaves"))
      throw bad_step(step, "expected scale(ROOT MODE, N oct)");
    const auto oct = integer(words[0], step);
    if (oct < 1 || oct > 8) throw bad_step(step, "octaves must be 1..8");
    if (is_tonal(args[0])) {
      auto t = parse_tonal(args[0], step);
      t.octaves = oct;
      return t;
    }
    const auto [root, mode] = root_and_mode(args[0], step);
    return xf::ScaleDegree{build_scale(root, mode, root, root + 12 * static_cast<int>(oct)),
                           fmt::format("scale({}, {} oct)", args[0], oct)};
  }
  if (name == "snap" && args.size() == 1) {
    if (is_tonal(args[0])) return parse_tonal(args[0], step);
    const auto [root, mode] = root_and_mode(args[0], step);
    return xf::Snap{build_scale_span(root, mode, 0, 127), fmt::format("snap({})", args[0])};
  }
  throw bad_step(step, "unknown step or wrong number of arguments");
}

// NumPy's linear percentile, including its two-sided lerp.
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  const double t = pos - static_cast<double>(lo), d = v[hi] - v[lo];
  return t >= 0.5 ? v[hi] - d * (1.0 - t) : v[lo] + d * t;
}

struct Apply {
  std::vector<SourcedValue>& v;

  void each(auto f) {
    for (auto& x : v) x.value = f(x.value);
  }
  void operator()(const xf::Norm01&) {
    if (v.empty()) return;
    auto [mn, mx] =
        std::minmax_element(v.begin(), v.end(), [](auto& a, auto& b) { return a.value < b.value; });
    const double lo = mn->value, den = mx->value - mn->value + 1e-9;
    each([&](double x) { return (x - lo) / den; });
  }
  void operator()(const xf::Log1p&) {
    each([](double x) { return std::log1p(x); });
  }
  void operator()(const xf::Abs&) {
    each([](double x) { return std::fabs(x); });
  }
  void operator()(const xf::Rank&) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return v[a].value < v[b].value; });
    const double den = v.size() > 1 ? static_cast<double>(v.size() - 1) : 1.0;
    for (std::size_t r = 0; r < order.size(); ++r) v[order[r]].value = static_cast<double>(r) / den;
  }
  void operator()(const xf::Percentile& p) {
    if (v.empty()) return;
    std::vector<double> raw;
    for (auto& x : v) raw.push_back(x.value);
    v = {{percentile(std::move(raw), p.q), -1}};
  }
  void operator()(const xf::Threshold& t) {
    each([&](double x) { return (t.above ? x > t.value : x < t.value) ? 1.0 : 0.0; });
  }
  void operator()(const xf::ScaleDegree& s) {
    const double last = static_cast<double>(s.notes.size() - 1);
    each([&](double x) {
      const auto i = static_cast<std::int64_t>(std::clamp(x, 0.0, 1.0) * last);  // truncates
      return static_cast<double>(s.notes[static_cast<std::size_t>(i)]);
    });
  }
  void operator()(const xf::Snap& s) {
    each([&](double x) { return static_cast<double>(snap(x, std::span<const int>(s.notes))); });
  }
  void operator()(const xf::Range& r) {
    if (r.exp)
      each([&](double x) { return r.lo * std::pow(r.hi / r.lo, x); });
    else
      each([&](double x) { return r.lo + x * (r.hi - r.lo); });
  }
  void operator()(const xf::PickEvenly& p) {
    std::vector<SourcedValue> out;
    for (auto i : pick_evenly(static_cast<std::int64_t>(v.size()), p.n))
      out.push_back(v[static_cast<std::size_t>(i)]);
    v = std::move(out);
  }
  void operator()(const xf::At& a) {
    if (a.index < 0 || a.index >= static_cast<std::int64_t>(v.size()))
      throw InputError(
          fmt::format("at({}): index out of range (the array has {} values)", a.index, v.size()));
    v = {v[static_cast<std::size_t>(a.index)]};
  }
  void operator()(const xf::Tonal& t) {
    throw InputError(fmt::format("transform \"{}\" needs the model's tonality (resolve_tonal)",
                                 transform_text(t)));
  }
};

}  // namespace

std::string transform_text(const Transform& t) {
  struct Text {
    std::string operator()(const xf::Norm01&) const { return "norm01"; }
    std::string operator()(const xf::Log1p&) const { return "log1p"; }
    std::string operator()(const xf::Abs&) const { return "abs"; }
    std::string operator()(const xf::Rank&) const { return "rank"; }
    std::string operator()(const xf::Percentile& p) const {
      return "percentile(" + fmt_num(p.q) + ")";
    }
    std::string operator()(const xf::Threshold& t) const {
      return (t.above ? "> " : "< ") + fmt_num(t.value);
    }
    std::string operator()(const xf::ScaleDegree& s) const { return s.text; }
    std::string operator()(const xf::Snap& s) const { return s.text; }
    std::string operator()(const xf::Range& r) const {
      return fmt::format("range({}, {}{})", r.lo, r.hi, r.exp ? ", exp" : "");
    }
    std::string operator()(const xf::PickEvenly& p) const {
      return fmt::format("pick({} evenly)", p.n);
    }
    std::string operator()(const xf::At& a) const { return fmt::format("at({})", a.index); }
    std::string operator()(const xf::Tonal& t) const {
      return t.octaves > 0 ? fmt::format("scale({}, {} oct)", tonal_text(t), t.octaves)
                           : fmt::format("snap({})", tonal_text(t));
    }
  };
  return std::visit(Text{}, t);
}

std::vector<Transform> parse_transforms(std::string_view text) {
  std::vector<Transform> out;
  if (trim(text).empty()) return out;
  for (auto step : split(text, '|')) {
    if (step.empty()) throw bad_step(text, "empty step");
    // "rank > 0.7": a comparison may follow a word without a bar.
    const auto cmp = step.find_first_of("<>");
    if (cmp != std::string_view::npos && cmp > 0 && step.find('(') == std::string_view::npos) {
      out.push_back(parse_step(trim(step.substr(0, cmp))));
      out.push_back(parse_step(trim(step.substr(cmp))));
    } else {
      out.push_back(parse_step(step));
    }
  }
  return out;
}

std::vector<std::int64_t> pick_evenly(std::int64_t len, std::int64_t n) {
  std::vector<std::int64_t> out;
  if (len <= 0 || n <= 0) return out;
  const double stop = static_cast<double>(len - 1);
  if (n == 1) return {0};
  const double step = stop / static_cast<double>(n - 1);
  for (std::int64_t i = 0; i < n; ++i) {
    const double y = i == n - 1 ? stop : static_cast<double>(i) * step;
    out.push_back(static_cast<std::int64_t>(y));
  }
  return out;
}

std::vector<SourcedValue> apply_transforms(std::vector<SourcedValue> values,
                                           const std::vector<Transform>& chain) {
  for (const auto& t : chain) std::visit(Apply{values}, t);
  return values;
}

std::string FeatureExpr::chain_text() const {
  std::string s;
  for (const auto& t : chain) s += (s.empty() ? "" : " | ") + transform_text(t);
  return s;
}

ModelKey model_key(const FeatureSource& source) {
  // The analysis stores the mode as an index into this fixed list (weight_analysis.cpp).
  static constexpr std::array<std::string_view, 4> kModes{"major", "natural_minor",
                                                          "harmonic_minor", "dorian"};
  const auto root = source.get("tonality.root");
  const auto mode = source.get("tonality.mode");
  if (root.empty() || mode.empty()) throw InputError("tonality.root / tonality.mode are empty");
  const auto m = static_cast<std::size_t>(std::clamp(static_cast<int>(mode[0]), 0, 3));
  return {static_cast<int>(std::lround(root[0])), std::string(kModes[m])};
}

ModelKey tonal_key(const xf::Tonal& t, const ModelKey& model) {
  ModelKey k = model;
  if (t.octave >= 0) k.root = 12 * (t.octave + 1) + ((model.root % 12) + 12) % 12;
  if (!t.mode.empty()) k.mode = t.mode;
  return k;
}

std::vector<Transform> resolve_tonal(const std::vector<Transform>& chain,
                                     const FeatureSource& source) {
  std::vector<Transform> out;
  std::optional<ModelKey> model;
  for (const auto& step : chain) {
    const auto* t = std::get_if<xf::Tonal>(&step);
    if (!t) {
      out.push_back(step);
      continue;
    }
    if (!model) model = model_key(source);
    const ModelKey k = tonal_key(*t, *model);
    const auto iv = mode_intervals(k.mode);
    const std::string key = fmt::format("{} = {} {}", tonal_text(*t), note_text(k.root), k.mode);
    if (t->octaves > 0)
      out.push_back(xf::ScaleDegree{
          build_scale(k.root, iv, k.root, k.root + 12 * static_cast<int>(t->octaves)),
          fmt::format("scale({}, {} oct)", key, t->octaves)});
    else
      out.push_back(xf::Snap{build_scale_span(k.root, iv, 0, 127), fmt::format("snap({})", key)});
  }
  return out;
}

FeatureValues FeatureExpr::evaluate(const FeatureSource& source) const {
  const auto raw = source.get(feature);
  const bool tonal = std::any_of(chain.begin(), chain.end(), [](const Transform& t) {
    return std::holds_alternative<xf::Tonal>(t);
  });
  const std::vector<Transform> resolved = tonal ? resolve_tonal(chain, source) : chain;
  std::vector<SourcedValue> v;
  v.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    v.push_back({static_cast<double>(raw[i]), static_cast<std::int64_t>(i)});
  v = apply_transforms(std::move(v), resolved);
  if (v.empty())
    throw InputError(
        fmt::format("feature \"{}\" with \"{}\" selects no values", feature, chain_text()));
  FeatureValues out;
  out.feature = feature;
  const auto dot = feature.rfind('.');
  out.statistic = dot == std::string::npos ? feature : feature.substr(dot + 1);
  for (const auto& t : chain)
    if (const auto* p = std::get_if<xf::Percentile>(&t)) out.statistic += " " + transform_text(*p);
  std::string text;
  for (const auto& t : resolved) text += (text.empty() ? "" : " | ") + transform_text(t);
  out.transform = std::move(text);
  out.values = std::move(v);
  return out;
}

Provenance FeatureValues::provenance(std::size_t i, Field field) const {
  return {field, feature, statistic, values.at(i).index, transform};
}

Pattern<Sourced> feature_sequence(const FeatureValues& fv, Field field) {
  std::vector<Sourced> steps;
  for (std::size_t i = 0; i < fv.values.size(); ++i)
    steps.push_back({fv.values[i].value, fv.provenance(i, field)});
  return sequence(steps);
}

}  // namespace th::music
