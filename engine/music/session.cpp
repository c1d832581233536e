#include "music/session.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

namespace fs = std::filesystem;

// The files of a pattern folder that are not genre patterns (docs/patterns.md).
constexpr std::array<std::string_view, 2> kSharedFiles{"instruments.toml", "transitions.toml"};

template <typename T>
T required(const fs::path& file, const toml::table& t, std::string_view key,
           std::string_view type_name) {
  const toml::node* n = t.get(key);
  if (!n) throw bad_field(file.string(), key, type_name, "nothing (the field is required)");
  auto v = n->value<T>();
  if (!v) throw bad_field(toml_where(file, *n), key, type_name, toml_type_of(*n));
  return *v;
}

template <typename T>
std::optional<T> optional_field(const fs::path& file, const toml::table& t, std::string_view key,
                                std::string_view type_name) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  auto v = n->value<T>();
  if (!v) throw bad_field(toml_where(file, *n), key, type_name, toml_type_of(*n));
  return v;
}

fs::path resolve(const fs::path& file, const fs::path& project_root, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute()) return path;
  const fs::path beside = file.parent_path() / path;
  if (fs::exists(beside)) return fs::weakly_canonical(beside);
  return fs::weakly_canonical(project_root / path);
}

// `transition = { fill = 1, riser = 4 }`: kinds from kTransitionKinds, each lasting 1..bars
// bars of the section's end.
std::vector<Transition> transitions(const fs::path& file, const toml::node& n, int bars) {
  const toml::table* t = n.as_table();
  std::string kinds;
  for (auto k : kTransitionKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
  if (!t)
    throw bad_field(toml_where(file, n), "transition", "a table { kind = bars } of " + kinds,
                    toml_type_of(n));
  for (const auto& [key, value] : *t)
    if (std::find(kTransitionKinds.begin(), kTransitionKinds.end(), key.str()) ==
        kTransitionKinds.end())
      throw bad_field(toml_where(file, value), "transition", "kinds " + kinds,
                      fmt::format("'{}'", key.str()));
  std::vector<Transition> out;  // in kTransitionKinds order, whatever the file's
  for (const auto kind : kTransitionKinds) {
    const toml::node* value = t->get(kind);
    if (!value) continue;
    const auto b = value->value<int64_t>();
    if (!b || *b < 1 || *b > bars)
      throw bad_field(toml_where(file, *value), "transition." + std::string(kind),
                      fmt::format("bars 1..{} (the section's length)", bars),
                      b ? std::to_string(*b) : toml_type_of(*value));
    out.push_back({std::string(kind), static_cast<int>(*b)});
  }
  return out;
}

double checked_tempo(const fs::path& file, const toml::table& t, double bpm) {
  if (!(bpm >= 20 && bpm <= 400))
    throw bad_field(toml_where(file, *t.get("tempo")), "tempo", "a BPM between 20 and 400",
                    fmt::format("{}", bpm));
  return bpm;
}

}  // namespace

Session load_session(const fs::path& file, const fs::path& project_root) {
  const toml::table root = parse_toml_file(file);
  toml_check_keys(file, root,
                  {"name", "model", "tempo", "beats_per_bar", "patterns", "section", "description"},
                  "session");
  Session s;
  s.file = file;
  s.name =
      optional_field<std::string>(file, root, "name", "a string").value_or(file.stem().string());
  s.model =
      resolve(file, project_root,
              optional_field<std::string>(file, root, "model", "a path").value_or("models/pocket"));
  s.patterns_dir =
      resolve(file, project_root,
              optional_field<std::string>(file, root, "patterns", "a path").value_or("patterns"));
  if (auto t = optional_field<double>(file, root, "tempo", "a number (BPM)"))
    s.tempo = checked_tempo(file, root, *t);
  if (auto b = optional_field<int64_t>(file, root, "beats_per_bar", "an integer")) {
    if (*b < 1 || *b > 16)
      throw bad_field(toml_where(file, *root.get("beats_per_bar")), "beats_per_bar", "1..16",
                      std::to_string(*b));
    s.beats_per_bar = static_cast<int>(*b);
  }
  const toml::array* sections = root["section"].as_array();
  if (!sections || sections->empty())
    throw bad_field(file.string(), "section", "at least one [[section]] table", "none");
  std::set<std::string> names;
  for (const auto& node : *sections) {
    const toml::table* t = node.as_table();
    if (!t)
      throw bad_field(toml_where(file, node), "section", "a table ([[section]])", "something else");
    toml_check_keys(file, *t,
                    {"name", "pattern", "bars", "layers", "tempo", "prompt", "prompts", "dataset",
                     "field", "parts", "transition"},
                    "section");
    SectionPlan p;
    p.line = static_cast<int>(t->source().begin.line);
    p.pattern = required<std::string>(file, *t, "pattern", "a pattern name (patterns/<name>.toml)");
    p.name = optional_field<std::string>(file, *t, "name", "a string").value_or(p.pattern);
    if (!names.insert(p.name).second)
      throw bad_field(toml_where(file, *t), "section name", "a name used once",
                      fmt::format("'{}' twice", p.name));
    if (!std::filesystem::exists(s.patterns_dir / (p.pattern + ".toml")))
      throw bad_field(toml_where(file, *t->get("pattern")), "pattern",
                      fmt::format("a file {}/{}.toml", s.patterns_dir.string(), p.pattern),
                      "no such file");
    if (auto b = optional_field<int64_t>(file, *t, "bars", "an integer")) {
      if (*b < 1 || *b > 4096)
        throw bad_field(toml_where(file, *t->get("bars")), "bars", "1..4096", std::to_string(*b));
      p.bars = static_cast<int>(*b);
    }
    if (const toml::node* l = t->get("layers")) {
      const toml::array* a = l->as_array();
      if (!a || a->size() != 2 || !(*a)[0].is_integer() || !(*a)[1].is_integer())
        throw bad_field(toml_where(file, *l), "layers", "[first, last] (two integers)",
                        "something else");
      p.layer_lo = static_cast<int>(*(*a)[0].value<int64_t>());
      p.layer_hi = static_cast<int>(*(*a)[1].value<int64_t>());
      if (p.layer_lo < 0 || p.layer_hi < p.layer_lo)
        throw bad_field(toml_where(file, *l), "layers", "0 <= first <= last",
                        fmt::format("[{}, {}]", p.layer_lo, p.layer_hi));
    }
    if (auto bpm = optional_field<double>(file, *t, "tempo", "a number (BPM)"))
      p.tempo = checked_tempo(file, *t, *bpm);
    if (auto one = optional_field<std::string>(file, *t, "prompt", "a string"))
      p.prompts.push_back(*one);
    if (const toml::node* ps = t->get("prompts")) {
      const toml::array* a = ps->as_array();
      if (!a)
        throw bad_field(toml_where(file, *ps), "prompts", "an array of strings", "something else");
      for (const auto& e : *a) {
        auto str = e.value<std::string>();
        if (!str) throw bad_field(toml_where(file, e), "prompts", "strings", "something else");
        p.prompts.push_back(*str);
      }
    }
    if (auto ds = optional_field<std::string>(file, *t, "dataset", "a path to a prompt file")) {
      p.dataset = resolve(file, project_root, *ds);
      if (!fs::exists(p.dataset))
        throw bad_field(toml_where(file, *t->get("dataset")), "dataset", "an existing prompt file",
                        fmt::format("'{}' (not found)", *ds));
    }
    p.dataset_field = optional_field<std::string>(file, *t, "field", "a field name").value_or("");
    if (const toml::node* tr = t->get("transition")) p.transitions = transitions(file, *tr, p.bars);
    if (const toml::node* ps = t->get("parts")) {
      const toml::array* a = ps->as_array();
      if (!a || a->empty())
        throw bad_field(toml_where(file, *ps), "parts", "an array of part names", "something else");
      for (const auto& e : *a) {
        auto str = e.value<std::string>();
        if (!str) throw bad_field(toml_where(file, e), "parts", "part names", toml_type_of(e));
        p.parts.push_back(*str);
      }
    }
    s.sections.push_back(std::move(p));
  }
  return s;
}

std::vector<std::string> pattern_names(const std::filesystem::path& patterns_dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(patterns_dir)) {
    const auto file = e.path().filename().string();
    if (e.path().extension() == ".toml" &&
        std::find(kSharedFiles.begin(), kSharedFiles.end(), file) == kSharedFiles.end())
      names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());  // directory order is the filesystem's
  return names;
}

}  // namespace th::music
