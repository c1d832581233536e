// Test helper: haps as compact text, so an exact hap list is one readable string.
// Format per hap: "whole_begin-whole_end@part_begin-part_end:value" ("~" for no whole), and
// the whole/part pair collapses to one span when they are equal.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "music/pattern.h"

namespace th::test {

template <typename T>
std::string show(const std::vector<music::Hap<T>>& haps) {
  std::ostringstream os;
  for (std::size_t i = 0; i < haps.size(); ++i) {
    const auto& h = haps[i];
    if (i) os << ' ';
    const std::string part = h.part.begin.str() + "-" + h.part.end.str();
    if (!h.whole)
      os << "~@" << part;
    else if (*h.whole == h.part)
      os << part;
    else
      os << h.whole->begin.str() << "-" << h.whole->end.str() << "@" << part;
    os << ':' << h.value;
  }
  return os.str();
}

inline std::string steps(const std::vector<bool>& b) {
  std::string s;
  for (bool x : b) s += x ? 'x' : '.';
  return s;
}

}  // namespace th::test
