// Test helper: run a genre generator on a pattern (a TOML string or a shipped patterns/ file)
// and a FeatureSource, the way the composer does.
#pragma once

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include <toml++/toml.h>

#include "music/composer.h"
#include "support.h"

namespace th::test {

struct GenreRun {
  std::filesystem::path file;
  toml::table table;
  music::SectionPlan section;
  int num_layers = 4;
  double tempo = 138;
  int start_bar = 0;
  std::string where = "session.toml:1 (section test)";

  std::vector<music::Event> run(const music::FeatureSource& f) const {
    const auto genre = table["genre"].value<std::string>().value_or("");
    const music::GenreInput in{f, table, file, section, 4, tempo, num_layers, start_bar, where};
    return music::find_genre(genre, file.string()).generate(in);
  }
};

inline GenreRun shipped(const std::string& pattern, int bars, int lo, int hi, int num_layers) {
  GenreRun r;
  r.file = source_dir() / "patterns" / (pattern + ".toml");
  r.table = toml::parse_file(r.file.string());
  r.section.name = pattern;
  r.section.pattern = pattern;
  r.section.bars = bars;
  r.section.layer_lo = lo;
  r.section.layer_hi = hi;
  r.num_layers = num_layers;
  return r;
}

inline GenreRun inline_pattern(const std::string& text, int bars, int lo, int hi, int num_layers) {
  GenreRun r;
  r.file = "inline.toml";
  r.table = toml::parse(text, std::string_view("inline.toml"));
  r.section.bars = bars;
  r.section.layer_lo = lo;
  r.section.layer_hi = hi;
  r.num_layers = num_layers;
  return r;
}

// Events that differ between two runs (in either), by value.
inline std::vector<music::Event> changed(std::vector<music::Event> a, std::vector<music::Event> b) {
  std::vector<music::Event> out;
  music::sort_events(a);
  music::sort_events(b);
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Does any provenance record of e name `feature` (the concrete tensor name, also matched when
// the record says layers.*.X at index l), in its feature or in its transform text?
inline bool names(const music::Event& e, const std::string& feature) {
  for (const auto& p : e.provenance) {
    if (p.feature == feature || p.transform.find(feature) != std::string::npos ||
        p.statistic.find(feature) != std::string::npos)
      return true;
    // A `layers.*.X` record read the whole stacked array (norm01 and rank span every layer).
    const auto star = p.feature.find('*');
    if (star != std::string::npos && feature.size() > star &&
        feature.rfind(p.feature.substr(0, star), 0) == 0) {
      const auto rest = feature.find('.', star);
      if (rest != std::string::npos && feature.substr(rest) == p.feature.substr(star + 1))
        return true;
    }
    // "layers.*.X[3]" in an annotation: the stacked array was read (ranked across layers).
    if (feature.rfind("layers.", 0) == 0) {
      const auto dot = feature.find('.', 7);
      const std::string generic = "layers.*" + feature.substr(dot);
      if (p.transform.find(generic + "[") != std::string::npos) return true;
    }
  }
  return false;
}

// A perturbation probe: (feature, element, added value), big enough to move a rank or a scale
// step one way or the other.
using Probe = std::tuple<std::string, std::size_t, float>;

// For each probe, nudges the feature up and down and checks that every event that changed
// names the feature in its provenance, and that at least one event changed.
template <typename Features>
void check_sensitivity(const GenreRun& r, const Features& f,
                       const std::vector<music::Event>& baseline,
                       const std::vector<Probe>& probes) {
  for (const auto& [name, index, delta] : probes) {
    std::size_t moved = 0;
    for (const float sign : {1.0f, -1.0f}) {
      Features g = f;
      g.arrays.at(name).at(index) += sign * delta;
      const auto diff = changed(baseline, r.run(g));
      moved += diff.size();
      for (const auto& e : diff) {
        INFO(name << ": " << e.instrument << " at " << e.onset.str() << " pitch " << e.pitch);
        CHECK(names(e, name));
      }
    }
    INFO(name);
    CHECK(moved > 0);
  }
}

}  // namespace th::test
