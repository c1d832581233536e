#include "music/theory.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

#include "core/error.h"

namespace th::music {
namespace {

struct Named {
  std::string_view name;
  std::vector<int> intervals;
};

const std::vector<Named>& modes() {
  static const std::vector<Named> table = {
      {"major", {0, 2, 4, 5, 7, 9, 11}},
      {"ionian", {0, 2, 4, 5, 7, 9, 11}},
      {"natural_minor", {0, 2, 3, 5, 7, 8, 10}},
      {"minor", {0, 2, 3, 5, 7, 8, 10}},
      {"aeolian", {0, 2, 3, 5, 7, 8, 10}},
      {"dorian", {0, 2, 3, 5, 7, 9, 10}},
      {"phrygian", {0, 1, 3, 5, 7, 8, 10}},
      {"harmonic_minor", {0, 2, 3, 5, 7, 8, 11}},
      {"lydian", {0, 2, 4, 6, 7, 9, 11}},
      {"mixolydian", {0, 2, 4, 5, 7, 9, 10}},
      {"locrian", {0, 1, 3, 5, 6, 8, 10}},
      {"pentatonic_minor", {0, 3, 5, 7, 10}},
      {"pentatonic_major", {0, 2, 4, 7, 9}},
      {"whole_tone", {0, 2, 4, 6, 8, 10}},
      {"chromatic", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
  };
  return table;
}

const std::vector<Named>& chords() {
  static const std::vector<Named> table = {
      {"major", {0, 4, 7}},    {"minor", {0, 3, 7}},    {"dim", {0, 3, 6}},
      {"aug", {0, 4, 8}},      {"maj7", {0, 4, 7, 11}}, {"min7", {0, 3, 7, 10}},
      {"dom7", {0, 4, 7, 10}}, {"sus2", {0, 2, 7}},     {"sus4", {0, 5, 7}},
  };
  return table;
}

std::span<const int> lookup(const std::vector<Named>& table, std::string_view name,
                            std::string_view what) {
  for (const auto& m : table)
    if (m.name == name) return m.intervals;
  std::string valid;
  for (const auto& m : table) valid += (valid.empty() ? "" : ", ") + std::string(m.name);
  throw InputError(fmt::format("unknown {} \"{}\" (known: {})", what, name, valid));
}

template <typename T>
std::size_t nearest_lower_wins(double x, std::span<const T> scale) {
  if (scale.empty()) throw std::invalid_argument("snap: empty scale");
  // First index with scale[i] >= x; compare with its lower neighbour, lower wins a tie.
  const auto it = std::lower_bound(scale.begin(), scale.end(), x,
                                   [](T v, double t) { return static_cast<double>(v) < t; });
  const auto i = static_cast<std::size_t>(it - scale.begin());
  if (i == 0) return 0;
  if (i == scale.size()) return i - 1;
  const double below = x - static_cast<double>(scale[i - 1]);
  const double above = static_cast<double>(scale[i]) - x;
  return above < below ? i : i - 1;
}

}  // namespace

std::span<const int> mode_intervals(std::string_view name) {
  return lookup(modes(), name, "mode");
}

std::vector<std::string> mode_names() {
  std::vector<std::string> out;
  for (const auto& m : modes()) out.emplace_back(m.name);
  return out;
}

std::span<const int> chord_intervals(std::string_view quality) {
  return lookup(chords(), quality, "chord quality");
}

std::vector<int> build_scale(int root, std::span<const int> intervals, int lo, int hi) {
  std::set<int> notes;
  for (int o = 0; o <= 8; ++o)
    for (int s : intervals) {
      const int n = root + 12 * o + s;
      if (n >= lo && n <= hi) notes.insert(n);
    }
  return {notes.begin(), notes.end()};
}

std::vector<int> build_scale_span(int root, std::span<const int> intervals, int lo, int hi) {
  std::set<int> notes;
  for (int n = lo; n <= hi; ++n) {
    const int pc = ((n - root) % 12 + 12) % 12;
    if (std::find(intervals.begin(), intervals.end(), pc) != intervals.end()) notes.insert(n);
  }
  return {notes.begin(), notes.end()};
}

std::vector<double> build_scale_hz(double root_hz, std::span<const int> intervals, int n_octaves) {
  std::set<double> notes;
  for (int o = 0; o < n_octaves; ++o)
    for (int s : intervals) notes.insert(root_hz * std::pow(2.0, (12.0 * o + s) / 12.0));
  return {notes.begin(), notes.end()};
}

double snap(double x, std::span<const double> scale) {
  return scale[nearest_lower_wins(x, scale)];
}
int snap(double x, std::span<const int> scale) {
  return scale[nearest_lower_wins(x, scale)];
}

int scale_degree(int root, std::span<const int> intervals, int degree) {
  const int n = static_cast<int>(intervals.size());
  if (n == 0) throw std::invalid_argument("scale_degree: empty mode");
  const int oct = degree >= 0 ? degree / n : -((-degree + n - 1) / n);
  const int idx = degree - oct * n;
  return root + 12 * oct + intervals[static_cast<std::size_t>(idx)];
}

std::vector<int> diatonic_chord(int root, std::span<const int> intervals, int degree,
                                ChordShape shape) {
  static const std::array<std::vector<int>, 5> kSteps = {{
      {0, 2, 4},        // triad
      {0, 2, 4, 6},     // seventh
      {0, 2, 4, 6, 8},  // ninth
      {0, 1, 4},        // sus2
      {0, 3, 4},        // sus4
  }};
  std::vector<int> out;
  for (int s : kSteps[static_cast<std::size_t>(shape)])
    out.push_back(scale_degree(root, intervals, degree + s));
  return out;
}

int note_from_name(std::string_view name) {
  auto fail = [&] { return InputError(fmt::format("not a note name: \"{}\"", name)); };
  if (name.empty()) throw fail();
  int value = 0;
  if (auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
      ec == std::errc() && p == name.data() + name.size())
    return value;
  static constexpr std::array<int, 7> kPc = {9, 11, 0, 2, 4, 5, 7};  // a b c d e f g
  const char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  if (letter < 'a' || letter > 'g') throw fail();
  int pc = kPc[static_cast<std::size_t>(letter - 'a')];
  std::size_t i = 1;
  for (; i < name.size() && (name[i] == '#' || name[i] == 'b' || name[i] == 's'); ++i)
    pc += name[i] == 'b' ? -1 : 1;
  int octave = 4;
  if (i < name.size()) {
    auto [p, ec] = std::from_chars(name.data() + i, name.data() + name.size(), octave);
    if (ec != std::errc() || p != name.data() + name.size()) throw fail();
  }
  return (octave + 1) * 12 + pc;
}

}  // namespace th::music
