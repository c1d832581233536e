#include "music/pattern_file.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"
#include "music/theory.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

namespace fs = std::filesystem;

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

void check_keys(const fs::path& file, const toml::table& t, const std::set<std::string>& allowed,
                std::string_view what) {
  for (const auto& [k, v] : t)
    if (!allowed.count(std::string(k.str())))
      throw bad_field(toml_where(file, v), fmt::format("{} key '{}'", what, k.str()),
                      "one of " + join(allowed), "an unknown key");
}

std::string string_of(const fs::path& file, const toml::node& n, std::string_view key) {
  auto v = n.value<std::string>();
  if (!v) throw bad_field(toml_where(file, n), key, "a string", "something else");
  return *v;
}

double number_of(const fs::path& file, const toml::node& n, std::string_view key) {
  auto v = n.value<double>();
  if (!v) throw bad_field(toml_where(file, n), key, "a number", "something else");
  return *v;
}

Mapping parse_mapping(const fs::path& file, const toml::table& t, std::string_view key) {
  check_keys(file, t, {"feature", "delta", "at", "map"}, fmt::format("mapping '{}'", key));
  Mapping m;
  m.where = toml_where(file, t);
  const toml::node* f = t.get("feature");
  if (!f) throw bad_field(m.where, fmt::format("{}.feature", key), "a feature name", "nothing");
  m.feature = string_of(file, *f, "feature");
  if (const auto* d = t.get("delta")) m.delta = string_of(file, *d, "delta");
  if (const auto* a = t.get("at")) {
    if (a->is_integer())
      m.at = std::to_string(*a->value<int64_t>());
    else
      m.at = string_of(file, *a, "at");
  }
  if (const auto* mp = t.get("map")) {
    const std::string text = string_of(file, *mp, "map");
    try {
      m.chain = parse_transforms(text);
    } catch (const InputError& e) {
      throw bad_file(toml_where(file, *mp), fmt::format("mapping '{}': {}", key, e.what()));
    }
  }
  return m;
}

Value parse_value(const fs::path& file, const toml::node& n, std::string_view key) {
  if (const auto* t = n.as_table())
    return {std::nullopt, parse_mapping(file, *t, key), toml_where(file, n)};
  if (auto d = n.value<double>()) return {*d, std::nullopt, toml_where(file, n)};
  throw bad_field(toml_where(file, n), key, "a number or { feature = …, map = … }",
                  "something else");
}

Voice parse_voice(const fs::path& file, const std::string& name, const toml::table& t) {
  Voice v;
  v.name = name;
  v.instrument = name;
  v.where = toml_where(file, t);
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    if (key == "instrument")
      v.instrument = string_of(file, node, "instrument");
    else
      v.values.emplace(key, parse_value(file, node, key));
  }
  return v;
}

Drum parse_drum(const fs::path& file, const std::string& name, const toml::table& t) {
  check_keys(file, t, {"instrument", "euclid", "hits", "rotate", "velocity", "gate"}, "drum");
  Drum d;
  d.name = name;
  d.instrument = name;
  d.where = toml_where(file, t);
  if (const auto* i = t.get("instrument")) d.instrument = string_of(file, *i, "instrument");
  const toml::node* e = t.get("euclid");
  if (!e) throw bad_field(d.where, name + ".euclid", "[hits, steps]", "nothing");
  const auto* a = e->as_array();
  if (!a || a->size() != 2 || !(*a)[0].is_integer() || !(*a)[1].is_integer())
    throw bad_field(toml_where(file, *e), "euclid", "[hits, steps] (two integers)",
                    "something else");
  d.hits = static_cast<int>(*(*a)[0].value<int64_t>());
  d.steps = static_cast<int>(*(*a)[1].value<int64_t>());
  if (d.steps < 1 || d.steps > 64 || d.hits < 0 || d.hits > d.steps)
    throw bad_field(toml_where(file, *e), "euclid", "0 <= hits <= steps <= 64",
                    fmt::format("[{}, {}]", d.hits, d.steps));
  if (const auto* h = t.get("hits")) d.hits_from = parse_value(file, *h, "hits");
  if (const auto* g = t.get("gate")) d.gate = parse_value(file, *g, "gate");
  if (const auto* r = t.get("rotate")) d.rotate = parse_value(file, *r, "rotate");
  if (const auto* v = t.get("velocity")) d.velocity = parse_value(file, *v, "velocity");
  return d;
}

Part parse_part(const fs::path& file, const toml::table& t) {
  check_keys(file, t, {"name", "share", "mode", "level", "play"}, "part");
  Part p;
  p.where = toml_where(file, t);
  const toml::node* n = t.get("name");
  if (!n) throw bad_field(p.where, "part.name", "a string", "nothing");
  p.name = string_of(file, *n, "name");
  const toml::node* s = t.get("share");
  if (!s) throw bad_field(p.where, "part.share", "a fraction of the section", "nothing");
  p.share = number_of(file, *s, "share");
  if (!(p.share > 0 && p.share <= 1))
    throw bad_field(toml_where(file, *s), "share", "a number in (0, 1]",
                    fmt::format("{}", p.share));
  if (const auto* m = t.get("mode")) {
    p.mode = string_of(file, *m, "mode");
    try {
      mode_intervals(p.mode);
    } catch (const InputError& e) {
      throw bad_file(toml_where(file, *m), e.what());
    }
  }
  if (const auto* l = t.get("level")) p.level = number_of(file, *l, "level");
  if (const auto* pl = t.get("play")) {
    const auto* a = pl->as_array();
    if (!a) throw bad_field(toml_where(file, *pl), "play", "an array of voice/drum names", "other");
    for (const auto& x : *a) p.play.insert(string_of(file, x, "play"));
  }
  return p;
}

}  // namespace

std::string expand_template(const std::string& text, const LayerContext& ctx) {
  const int prev = ctx.layer > 0 ? ctx.layer - 1 : std::min(1, ctx.num_layers - 1);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "{l}") == 0) {
      out += std::to_string(ctx.layer);
      i += 3;
    } else if (text.compare(i, 5, "{l-1}") == 0) {
      out += std::to_string(std::max(ctx.layer - 1, 0));
      i += 5;
    } else if (text.compare(i, 6, "{prev}") == 0) {
      out += std::to_string(prev);
      i += 6;
    } else {
      out += text[i++];
    }
  }
  return out;
}

FeatureValues evaluate(const Mapping& m, const FeatureSource& source, const LayerContext& ctx) {
  try {
    FeatureExpr expr{expand_template(m.feature, ctx), m.chain};
    if (!m.at.empty()) {
      const std::string at = expand_template(m.at, ctx);
      std::int64_t i = 0;
      try {
        i = std::stoll(at);
      } catch (const std::exception&) {
        throw InputError(fmt::format("at = \"{}\" is not an index", m.at));
      }
      expr.chain.push_back(xf::At{i});
    }
    if (m.delta.empty()) return expr.evaluate(source);
    // |a − b| element-wise, then the chain, as if the difference were the feature.
    const std::string other = expand_template(m.delta, ctx);
    const auto a = source.get(expr.feature);
    const auto b = source.get(other);
    if (a.size() != b.size())
      throw InputError(fmt::format("delta: {} has {} values, {} has {}", expr.feature, a.size(),
                                   other, b.size()));
    std::vector<SourcedValue> v;
    for (std::size_t i = 0; i < a.size(); ++i)
      v.push_back({std::fabs(static_cast<double>(a[i]) - b[i]), static_cast<std::int64_t>(i)});
    const auto chain = resolve_tonal(expr.chain, source);
    FeatureValues out;
    out.feature = expr.feature;
    const auto dot = expr.feature.rfind('.');
    out.statistic = fmt::format("|{} - {}|", expr.feature.substr(dot + 1), other);
    out.values = apply_transforms(std::move(v), chain);
    for (const auto& t : chain)
      out.transform += (out.transform.empty() ? "" : " | ") + transform_text(t);
    if (out.values.empty()) throw InputError("the mapping selects no values");
    return out;
  } catch (const InputError& e) {
    throw bad_file(m.where, e.what());
  }
}

double Evaluated::at(std::size_t i) const {
  if (!values) return constant;
  return values->values[i % values->values.size()].value;
}

std::optional<Provenance> Evaluated::why(std::size_t i, Field field) const {
  if (!values) return std::nullopt;
  return values->provenance(i % values->values.size(), field);
}

Evaluated evaluate(const Value& v, const FeatureSource& source, const LayerContext& ctx) {
  Evaluated e;
  if (v.mapping)
    e.values = evaluate(*v.mapping, source, ctx);
  else
    e.constant = v.constant.value_or(0.0);
  return e;
}

const Value& Voice::get(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end())
    throw bad_field(where, fmt::format("voices.{}.{}", name, key), "a number or a mapping",
                    "nothing (the key is required)");
  return it->second;
}

const Voice& PatternSpec::voice(const std::string& n) const {
  for (const auto& v : voices)
    if (v.name == n) return v;
  throw bad_field(file.string(), "voices." + n, "a [voices." + n + "] table", "nothing");
}

void PatternSpec::check_voices(const std::map<std::string, std::set<std::string>>& allowed,
                               const std::map<std::string, std::set<std::string>>& required) const {
  std::set<std::string> names;
  for (const auto& [n, keys] : allowed) names.insert(n);
  for (const auto& v : voices) {
    auto it = allowed.find(v.name);
    if (it == allowed.end())
      throw bad_field(v.where, fmt::format("voice '{}'", v.name),
                      fmt::format("one of {} (genre {})", join(names), genre), "an unknown voice");
    for (const auto& [k, val] : v.values)
      if (!it->second.count(k)) {
        throw bad_field(val.where, fmt::format("voices.{} key '{}'", v.name, k),
                        "one of instrument, " + join(it->second), "an unknown key");
      }
  }
  for (const auto& [n, keys] : required) {
    const Voice& v = voice(n);
    for (const auto& k : keys) v.get(k);
  }
}

void PatternSpec::check_parts(bool needed) const {
  if (!needed) {
    if (!parts.empty())
      throw bad_field(parts.front().where, "part", "no parts in genre " + genre, "a part");
    return;
  }
  if (parts.empty()) throw bad_field(file.string(), "part", "at least one [[part]]", "none");
  std::set<std::string> known;
  for (const auto& v : voices) known.insert(v.name);
  for (const auto& d : drums) known.insert(d.name);
  double total = 0;
  for (const auto& p : parts) {
    total += p.share;
    for (const auto& x : p.play)
      if (!known.count(x))
        throw bad_field(p.where, fmt::format("part '{}' play", p.name),
                        "names of voices or drums (" + join(known) + ")", "'" + x + "'");
  }
  if (std::fabs(total - 1.0) > 1e-9)
    throw bad_field(file.string(), "part.share", "shares that add up to 1",
                    fmt::format("{}", total));
}

PatternSpec parse_pattern(const toml::table& root, const fs::path& file) {
  check_keys(file, root, {"name", "genre", "description", "steps", "voices", "drums", "part"},
             "pattern");
  PatternSpec s;
  s.file = file;
  s.name = file.stem().string();
  if (const auto* n = root.get("name")) s.name = string_of(file, *n, "name");
  if (const auto* g = root.get("genre")) s.genre = string_of(file, *g, "genre");
  if (const auto* d = root.get("description")) s.description = string_of(file, *d, "description");
  if (const auto* st = root.get("steps")) {
    auto v = st->value<int64_t>();
    if (!v || *v < 1 || *v > 64)
      throw bad_field(toml_where(file, *st), "steps", "an integer 1..64", "other");
    s.steps = static_cast<int>(*v);
  }
  if (const auto* vs = root.get("voices")) {
    const auto* t = vs->as_table();
    if (!t) throw bad_field(toml_where(file, *vs), "voices", "a table of voices", "something else");
    for (const auto& [k, node] : *t) {
      const auto* vt = node.as_table();
      if (!vt)
        throw bad_field(toml_where(file, node), "voices." + std::string(k.str()), "a table",
                        "other");
      s.voices.push_back(parse_voice(file, std::string(k.str()), *vt));
    }
  }
  if (const auto* ds = root.get("drums")) {
    const auto* t = ds->as_table();
    if (!t) throw bad_field(toml_where(file, *ds), "drums", "a table of drums", "something else");
    for (const auto& [k, node] : *t) {
      const auto* dt = node.as_table();
      if (!dt)
        throw bad_field(toml_where(file, node), "drums." + std::string(k.str()), "a table",
                        "other");
      s.drums.push_back(parse_drum(file, std::string(k.str()), *dt));
    }
  }
  if (const auto* ps = root.get("part")) {
    const auto* a = ps->as_array();
    if (!a) throw bad_field(toml_where(file, *ps), "part", "[[part]] tables", "something else");
    for (const auto& node : *a) {
      const auto* pt = node.as_table();
      if (!pt) throw bad_field(toml_where(file, node), "part", "a table", "something else");
      s.parts.push_back(parse_part(file, *pt));
    }
  }
  return s;
}

}  // namespace th::music
