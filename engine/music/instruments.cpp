#include "music/instruments.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/error.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

namespace fs = std::filesystem;

class Reader {
 public:
  explicit Reader(const fs::path& file) : file_(file) {}

  std::string where(const toml::node& n) const {
    return fmt::format("{}:{}", file_.string(), n.source().begin.line);
  }

  void check_keys(const toml::table& t, const std::set<std::string>& allowed,
                  std::string_view what) const {
    for (const auto& [k, v] : t) {
      if (allowed.count(std::string(k.str()))) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw bad_field(where(v), fmt::format("{} key '{}'", what, k.str()), "one of " + list,
                      "an unknown key");
    }
  }

  template <typename T>
  std::optional<T> get(const toml::table& t, std::string_view key, std::string_view field,
                       std::string_view type_name) const {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    auto v = n->value<T>();
    // value<double>() accepts integers too; value<bool>() only booleans.
    if (!v || (std::is_same_v<T, std::int64_t> && !n->is_integer()))
      throw bad_field(where(*n), field, type_name, toml_type_of(*n));
    return v;
  }

  template <typename T>
  T need(const toml::table& t, std::string_view key, std::string_view field,
         std::string_view type_name, const toml::node& owner) const {
    auto v = get<T>(t, key, field, type_name);
    if (!v) throw bad_field(where(owner), field, type_name, "nothing (the field is required)");
    return *v;
  }

  double number_in(const toml::table& t, std::string_view key, std::string_view field, double lo,
                   double hi, double fallback) const {
    auto v = get<double>(t, key, field, "a number");
    if (!v) return fallback;
    if (!(*v >= lo && *v <= hi))
      throw bad_field(where(*t.get(key)), field, fmt::format("a number in [{}, {}]", lo, hi),
                      fmt::format("{}", *v));
    return *v;
  }

 private:
  const fs::path& file_;
};

const std::set<std::string> kInstrumentKeys = {"synthdef", "group", "gain",       "gated",
                                               "pitched",  "slide", "slide_time", "duration",
                                               "fixed",    "map",   "gm_program", "gm_drum"};

bool valid_control_name(std::string_view s) {
  if (s.empty() || s.size() > 31) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

ControlMapping parse_mapping(const Reader& r, std::string_view id, std::string_view key,
                             const toml::node& node) {
  const std::string field = fmt::format("instrument.{}.map.{}", id, key);
  auto f = field_from_name(key);
  if (!f || !is_param(*f)) {
    std::string list;
    for (std::size_t i = kFirstParam; i < kFieldCount; ++i)
      list += (list.empty() ? "" : ", ") + std::string(field_name(static_cast<Field>(i)));
    throw bad_field(r.where(node), field, "an event parameter (" + list + ")",
                    "'" + std::string(key) + "'");
  }
  ControlMapping m;
  m.field = *f;
  if (auto s = node.value<std::string>()) {
    m.control = *s;
  } else if (const toml::table* t = node.as_table()) {
    r.check_keys(*t, {"control", "scale", "offset"}, field);
    m.control = r.need<std::string>(*t, "control", field + ".control", "a string", node);
    m.scale = r.get<double>(*t, "scale", field + ".scale", "a number").value_or(1.0);
    m.offset = r.get<double>(*t, "offset", field + ".offset", "a number").value_or(0.0);
  } else {
    throw bad_field(r.where(node), field, "a control name or { control, scale, offset }",
                    toml_type_of(node));
  }
  if (!valid_control_name(m.control))
    throw bad_field(r.where(node), field, "a SynthDef control name", "'" + m.control + "'");
  return m;
}

Instrument parse_instrument(const Reader& r, std::string_view id, const toml::node& node,
                            const std::vector<StemGroup>& groups) {
  const std::string base = fmt::format("instrument.{}", id);
  const toml::table* t = node.as_table();
  if (!t) throw bad_field(r.where(node), base, "a table", toml_type_of(node));
  r.check_keys(*t, kInstrumentKeys, base);
  Instrument in;
  in.id = std::string(id);
  in.line = static_cast<int>(node.source().begin.line);
  in.synthdef = r.need<std::string>(*t, "synthdef", base + ".synthdef", "a string", node);
  if (!valid_control_name(in.synthdef))
    throw bad_field(r.where(*t->get("synthdef")), base + ".synthdef", "a SynthDef name",
                    "'" + in.synthdef + "'");
  in.group = r.need<std::string>(*t, "group", base + ".group", "a string", node);
  auto g = std::find_if(groups.begin(), groups.end(),
                        [&](const StemGroup& s) { return s.name == in.group; });
  if (g == groups.end()) {
    std::string list;
    for (const auto& s : groups) list += (list.empty() ? "" : ", ") + s.name;
    throw bad_field(r.where(*t->get("group")), base + ".group", "one of " + list,
                    "'" + in.group + "'");
  }
  in.group_index = static_cast<int>(g - groups.begin());
  in.gain = r.number_in(*t, "gain", base + ".gain", 0.0, 4.0, in.gain);
  in.gated = r.need<bool>(*t, "gated", base + ".gated", "a boolean", node);
  in.pitched = r.need<bool>(*t, "pitched", base + ".pitched", "a boolean", node);
  in.slide = r.get<bool>(*t, "slide", base + ".slide", "a boolean").value_or(false);
  in.slide_time = r.number_in(*t, "slide_time", base + ".slide_time", 0.0, 2.0, in.slide_time);
  if (in.slide && !in.pitched)
    throw bad_field(r.where(*t->get("slide")), base + ".slide", "false for an unpitched voice",
                    "true");
  in.duration_control =
      r.get<std::string>(*t, "duration", base + ".duration", "a string").value_or("");
  if (!in.duration_control.empty() && !valid_control_name(in.duration_control))
    throw bad_field(r.where(*t->get("duration")), base + ".duration", "a SynthDef control name",
                    "'" + in.duration_control + "'");

  if (const toml::node* f = t->get("fixed")) {
    const toml::table* ft = f->as_table();
    if (!ft) throw bad_field(r.where(*f), base + ".fixed", "a table of numbers", toml_type_of(*f));
    for (const auto& [k, v] : *ft) {
      auto x = v.value<double>();
      const std::string field = base + ".fixed." + std::string(k.str());
      if (!x || !v.is_number()) throw bad_field(r.where(v), field, "a number", toml_type_of(v));
      if (!valid_control_name(k.str()))
        throw bad_field(r.where(v), field, "a SynthDef control name", std::string(k.str()));
      in.fixed.push_back({std::string(k.str()), *x});
    }
  }
  if (const toml::node* m = t->get("map")) {
    const toml::table* mt = m->as_table();
    if (!mt) throw bad_field(r.where(*m), base + ".map", "a table", toml_type_of(*m));
    for (const auto& [k, v] : *mt) in.map.push_back(parse_mapping(r, id, k.str(), v));
    std::sort(in.map.begin(), in.map.end(),
              [](const ControlMapping& a, const ControlMapping& b) { return a.field < b.field; });
  }

  const bool has_prog = t->get("gm_program"), has_drum = t->get("gm_drum");
  if (has_prog == has_drum)
    throw bad_field(r.where(node), base, "exactly one of gm_program, gm_drum",
                    has_prog ? "both" : "neither");
  if (has_prog) {
    auto p = r.need<std::int64_t>(*t, "gm_program", base + ".gm_program", "an integer", node);
    if (p < 0 || p > 127)
      throw bad_field(r.where(*t->get("gm_program")), base + ".gm_program",
                      "an integer in [0, 127]", std::to_string(p));
    in.gm_program = static_cast<int>(p);
  } else {
    auto d = r.need<std::int64_t>(*t, "gm_drum", base + ".gm_drum", "an integer", node);
    if (d < 0 || d > 127)
      throw bad_field(r.where(*t->get("gm_drum")), base + ".gm_drum", "an integer in [0, 127]",
                      std::to_string(d));
    in.gm_drum = static_cast<int>(d);
  }
  return in;
}

std::vector<StemGroup> parse_groups(const Reader& r, const toml::table& root,
                                    const fs::path& file) {
  const toml::node* gn = root.get("groups");
  if (!gn) throw bad_field(file.string(), "groups", "a table", "nothing (the table is required)");
  const toml::table* gt = gn->as_table();
  if (!gt) throw bad_field(r.where(*gn), "groups", "a table", toml_type_of(*gn));
  const toml::node* on = gt->get("order");
  const toml::array* order = on ? on->as_array() : nullptr;
  if (!order || order->empty())
    throw bad_field(on ? r.where(*on) : r.where(*gn), "groups.order",
                    "a non-empty array of group names", on ? toml_type_of(*on) : "nothing");
  std::vector<StemGroup> groups;
  for (const auto& e : *order) {
    auto s = e.value<std::string>();
    if (!s) throw bad_field(r.where(e), "groups.order", "group names (strings)", toml_type_of(e));
    for (const auto& g : groups)
      if (g.name == *s)
        throw bad_field(r.where(e), "groups.order", "unique names", "'" + *s + "' twice");
    StemGroup g;
    g.name = *s;
    if (const toml::node* d = gt->get(*s)) {
      const toml::table* dt = d->as_table();
      if (!dt) throw bad_field(r.where(*d), "groups." + *s, "a table", toml_type_of(*d));
      r.check_keys(*dt, {"reverb", "delay"}, "groups." + *s);
      g.reverb = r.number_in(*dt, "reverb", "groups." + *s + ".reverb", 0, 1, 0);
      g.delay = r.number_in(*dt, "delay", "groups." + *s + ".delay", 0, 1, 0);
    }
    groups.push_back(std::move(g));
  }
  for (const auto& [k, v] : *gt) {
    if (k.str() == "order") continue;
    if (std::none_of(groups.begin(), groups.end(),
                     [&](const StemGroup& g) { return g.name == k.str(); }))
      throw bad_field(r.where(v), "groups." + std::string(k.str()),
                      "a group listed in groups.order", "an unlisted group");
  }
  return groups;
}

}  // namespace

InstrumentTable::InstrumentTable(fs::path file, std::vector<StemGroup> groups,
                                 std::vector<Instrument> instruments)
    : file_(std::move(file)), groups_(std::move(groups)), instruments_(std::move(instruments)) {
  std::sort(instruments_.begin(), instruments_.end(),
            [](const Instrument& a, const Instrument& b) { return a.id < b.id; });
}

int InstrumentTable::index_of(std::string_view id) const {
  auto it = std::lower_bound(instruments_.begin(), instruments_.end(), id,
                             [](const Instrument& a, std::string_view k) { return a.id < k; });
  return it != instruments_.end() && it->id == id ? static_cast<int>(it - instruments_.begin())
                                                  : -1;
}

const Instrument* InstrumentTable::find(std::string_view id) const {
  const int i = index_of(id);
  return i < 0 ? nullptr : &instruments_[static_cast<std::size_t>(i)];
}

const Instrument& InstrumentTable::at(std::string_view id, std::string_view where) const {
  if (const Instrument* in = find(id)) return *in;
  std::string list;
  for (const auto& in : instruments_) list += (list.empty() ? "" : ", ") + in.id;
  throw bad_field(where, "instrument", "an id from " + file_.string() + " (" + list + ")",
                  "'" + std::string(id) + "'");
}

InstrumentTable load_instruments(const fs::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    if (!fs::exists(file)) throw bad_file(file.string(), "cannot open the instrument table");
    throw bad_file(fmt::format("{}:{}", file.string(), e.source().begin.line),
                   std::string(e.description()));
  }
  Reader r(file);
  r.check_keys(root, {"groups", "instrument"}, "top-level");
  auto groups = parse_groups(r, root, file);
  const toml::node* in = root.get("instrument");
  const toml::table* it = in ? in->as_table() : nullptr;
  if (!it || it->empty())
    throw bad_field(file.string(), "instrument", "[instrument.<id>] tables", "none");
  std::vector<Instrument> instruments;
  for (const auto& [k, v] : *it) instruments.push_back(parse_instrument(r, k.str(), v, groups));
  return InstrumentTable(file, std::move(groups), std::move(instruments));
}

fs::path default_instruments_file() {
  if (const char* env = std::getenv("TH_INSTRUMENTS")) return env;
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  for (; !ec && !p.empty() && p != p.root_path(); p = p.parent_path()) {
    fs::path cand = p / "patterns" / "instruments.toml";
    if (fs::is_regular_file(cand)) return cand;
    fs::path installed = p / "share" / "tensorhaus" / "instruments.toml";
    if (fs::is_regular_file(installed)) return installed;
  }
  return fs::path("patterns") / "instruments.toml";
}

const InstrumentTable& default_instruments() {
  static const InstrumentTable table = load_instruments(default_instruments_file());
  return table;
}

}  // namespace th::music
