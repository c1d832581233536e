// Terminal columns of UTF-8 text, for placing the REPL's cursor: East Asian wide and fullwidth
// characters and emoji take two cells, combining marks, zero-width spaces/joiners and variation
// selectors none, everything else one. A compact range table after Unicode's
// EastAsianWidth.txt (W and F) and general category Mn; not locale-dependent, unlike wcwidth(3),
// which answers -1 for every non-ASCII character under the "C" locale a set may run in.
#pragma once

#include <cstddef>
#include <string_view>

namespace th::control {

// Cells of one code point (0, 1 or 2). Thread-safe; realtime-safe.
int code_point_width(char32_t c);

// Cells of UTF-8 text; a malformed sequence counts one cell. Thread-safe; realtime-safe.
std::size_t display_width(std::string_view utf8);

}  // namespace th::control
