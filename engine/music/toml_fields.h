// Shared TOML reading for sessions, pattern files and the instrument table. Contract: every
// error names the file and the line of the offending node (th::InputError), so a user editing
// a TOML file is pointed at the exact place.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>

namespace th::music {

// "FILE:LINE" of a node. Thread-safe.
std::string toml_where(const std::filesystem::path& file, const toml::node& n);
// "a string", "an integer", … for error messages. Thread-safe.
std::string toml_type_of(const toml::node& n);
// Throws for the first key of t not in allowed, listing the allowed ones. Thread-safe.
void toml_check_keys(const std::filesystem::path& file, const toml::table& t,
                     const std::set<std::string>& allowed, std::string_view what);
// The number at `key` (fallback when absent) within [lo, hi]; otherwise an InputError at the
// node's line naming the key, the range and what was found. Thread-safe.
double toml_number(const std::filesystem::path& file, const toml::table& t, const char* key,
                   double fallback, double lo, double hi);
// The string at `key` (fallback when absent); an InputError at its line for another type.
// Thread-safe.
std::string toml_string(const std::filesystem::path& file, const toml::table& t, const char* key,
                        std::string fallback);
// Parses a TOML file; a missing file or a syntax error is an InputError with file:line.
// Thread-safe.
toml::table parse_toml_file(const std::filesystem::path& file);

}  // namespace th::music
