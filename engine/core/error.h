// Errors that reach the user. Contract: every error raised on bad input names the file (or
// command), the field, what was expected and what was found, and maps to exit code 2; internal
// failures map to exit code 1. The app layer prints what() and exits with exit_code().
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace th {

class Error : public std::runtime_error {
 public:
  Error(std::string message, int exit_code)
      : std::runtime_error(std::move(message)), code_(exit_code) {}
  // Thread-safe; realtime-safe.
  int exit_code() const noexcept { return code_; }

 private:
  int code_;
};

// Bad input from a user: a file, a field, a command argument. Exit code 2.
class InputError : public Error {
 public:
  explicit InputError(std::string message) : Error(std::move(message), 2) {}
};

// "FILE: FIELD: expected EXPECTED, found FOUND". Thread-safe; allocates.
InputError bad_field(std::string_view file, std::string_view field, std::string_view expected,
                     std::string_view found);

// "FILE: MESSAGE". Thread-safe; allocates.
InputError bad_file(std::string_view file, std::string_view message);

}  // namespace th
