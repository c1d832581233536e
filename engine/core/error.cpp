#include "core/error.h"

#include <fmt/format.h>

namespace th {

InputError bad_field(std::string_view file, std::string_view field, std::string_view expected,
                     std::string_view found) {
  return InputError(fmt::format("{}: {}: expected {}, found {}", file, field, expected, found));
}

InputError bad_file(std::string_view file, std::string_view message) {
  return InputError(fmt::format("{}: {}", file, message));
}

}  // namespace th
