#include "music/toml_fields.h"

#include <fmt/format.h>

#include "core/error.h"

namespace th::music {

std::string toml_where(const std::filesystem::path& file, const toml::node& n) {
  return fmt::format("{}:{}", file.string(), n.source().begin.line);
}

std::string toml_type_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

void toml_check_keys(const std::filesystem::path& file, const toml::table& t,
                     const std::set<std::string>& allowed, std::string_view what) {
  for (const auto& [k, v] : t) {
    if (allowed.count(std::string(k.str()))) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw bad_field(toml_where(file, v), fmt::format("{} key '{}'", what, k.str()),
                    "one of " + list, "an unknown key");
  }
}

double toml_number(const std::filesystem::path& file, const toml::table& t, const char* key,
                   double fallback, double lo, double hi) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  const auto v = n->value<double>();
  if (!v || !(*v >= lo && *v <= hi))
    throw bad_field(toml_where(file, *n), key, fmt::format("a number in [{}, {}]", lo, hi),
                    v ? fmt::format("{}", *v) : toml_type_of(*n));
  return *v;
}

std::string toml_string(const std::filesystem::path& file, const toml::table& t, const char* key,
                        std::string fallback) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  const auto v = n->value<std::string>();
  if (!v) throw bad_field(toml_where(file, *n), key, "a string", toml_type_of(*n));
  return *v;
}

toml::table parse_toml_file(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw bad_file(file.string(), "no such file");
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw bad_file(fmt::format("{}:{}", file.string(), e.source().begin.line),
                   fmt::format("not valid TOML: {}", e.description()));
  }
}

}  // namespace th::music
