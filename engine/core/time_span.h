// A half-open span of exact time [begin, end), as in Tidal's Arc / Strudel's TimeSpan.
// Contract: value type; begin <= end is the caller's promise (zero-width spans are legal and
// mean "what starts exactly here"). Every function is thread-safe; those returning vectors
// allocate, the rest are realtime-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/rational.h"

namespace th {

struct TimeSpan {
  Rational begin;
  Rational end;

  friend constexpr bool operator==(const TimeSpan&, const TimeSpan&) = default;
  friend constexpr auto operator<=>(const TimeSpan&, const TimeSpan&) = default;

  constexpr Rational duration() const { return end - begin; }
  // The whole cycle that contains begin.
  constexpr TimeSpan whole_cycle() const { return {begin.sam(), begin.sam() + 1}; }
  template <typename F>
  constexpr TimeSpan with_time(F f) const {
    return {f(begin), f(end)};
  }

  // Intersection, or nothing. A zero-width result that sits at the end of a non-empty span
  // does not count: [0,1) and [1,2) do not meet (Strudel's rule).
  constexpr std::optional<TimeSpan> intersection(const TimeSpan& o) const {
    const Rational b = max(begin, o.begin), e = min(end, o.end);
    if (b > e) return std::nullopt;
    if (b == e) {
      if (b == end && begin < end) return std::nullopt;
      if (b == o.end && o.begin < o.end) return std::nullopt;
    }
    return TimeSpan{b, e};
  }

  // Splits at cycle boundaries; a zero-width span comes back as itself. Allocates.
  std::vector<TimeSpan> cycles() const {
    if (begin == end) return {*this};
    std::vector<TimeSpan> out;
    for (Rational b = begin; b < end;) {
      const Rational e = min(b.sam() + 1, end);
      out.push_back({b, e});
      b = e;
    }
    return out;
  }

  std::string str() const { return "(" + begin.str() + " " + end.str() + ")"; }
};

}  // namespace th
