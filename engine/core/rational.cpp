#include "core/rational.h"

#include <fmt/format.h>

#include <charconv>

#include "core/error.h"

namespace th {
namespace {

std::int64_t parse_int(std::string_view s, std::string_view whole) {
  std::int64_t v = 0;
  const char* b = s.data();
  if (!s.empty() && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw InputError(fmt::format("not a rational number: \"{}\"", whole));
  return v;
}

}  // namespace

Rational Rational::parse(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  try {
    if (auto slash = t.find('/'); slash != std::string_view::npos) {
      const std::int64_t d = parse_int(t.substr(slash + 1), text);
      if (d == 0) throw InputError(fmt::format("not a rational number: \"{}\"", text));
      return Rational(parse_int(t.substr(0, slash), text), d);
    }
    if (auto dot = t.find('.'); dot != std::string_view::npos) {
      const std::string_view ip = t.substr(0, dot), fp = t.substr(dot + 1);
      if (fp.empty() || fp.size() > 18 || fp.find_first_not_of("0123456789") != fp.npos)
        throw InputError(fmt::format("not a rational number: \"{}\"", text));
      const bool neg = !ip.empty() && ip.front() == '-';
      const std::string_view digits = neg || (!ip.empty() && ip.front() == '+') ? ip.substr(1) : ip;
      const Rational whole_part(digits.empty() ? 0 : parse_int(digits, text));
      std::int64_t scale = 1;
      for (std::size_t i = 0; i < fp.size(); ++i) scale *= 10;
      const Rational r = whole_part + Rational(parse_int(fp, text), scale);
      return neg ? -r : r;
    }
    return Rational(parse_int(t, text));
  } catch (const std::overflow_error&) {
    throw InputError(fmt::format("rational number out of range: \"{}\"", text));
  }
}

std::string Rational::str() const {
  return den_ == 1 ? fmt::format("{}", num_) : fmt::format("{}/{}", num_, den_);
}

}  // namespace th
