// Genre pattern files (patterns/<name>.toml): which feature drives which musical parameter.
// Contract: parse_pattern() turns the TOML into a typed PatternSpec or throws th::InputError
// naming the file and the LINE of the offending node (unknown key, wrong type, bad transform).
// The format is genre-neutral — voices (an instrument and its field mappings), drums (a
// euclidean rhythm with rotation and velocity), parts (named shares of a section with a mode
// and the list of what plays) — and each genre states which voices and keys it reads
// (PatternSpec::check_voice), so a typo is an error, never silently ignored. A mapping names a
// feature by a template: `{l}` is the layer being played, `{prev}` its predecessor (layer 1
// for layer 0), `{l-1}` is l − 1 clamped at 0 (the index of the inter-layer change into l in
// a `spectral_change.*` array, which has one value fewer than layers); evaluating it against a
// FeatureSource turns an unknown feature into an error at the mapping's line. docs/patterns.md
// documents the format. Thread-safe; allocates.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "music/feature.h"

namespace th::music {

// { feature = "...", delta = "...", at = "{l}", map = "norm01 | ..." }
struct Mapping {
  std::string feature;           // template
  std::string delta;             // template; when set, values are |feature − delta|
  std::string at;                // index template ("{l}", "3"); empty = keep the array
  std::vector<Transform> chain;  // parsed `map` (Tonal steps still unresolved)
  std::string where;             // "file:line" for errors
};

// A number, or a mapping that computes it from features.
struct Value {
  std::optional<double> constant;
  std::optional<Mapping> mapping;
  std::string where;  // "file:line" of the value
};

// Context a mapping's templates are filled from.
struct LayerContext {
  int layer = 0;
  int num_layers = 1;
};

// The feature name with {l}, {l-1} and {prev} filled in. Thread-safe.
std::string expand_template(const std::string& text, const LayerContext& ctx);

// Evaluates a mapping for one layer: reads the feature (and delta), appends at(index) when `at`
// is set, resolves tonality, applies the chain. Errors name m.where. Thread-safe.
FeatureValues evaluate(const Mapping& m, const FeatureSource& source, const LayerContext& ctx);

// A Value as per-step numbers with provenance: a constant gives one value and no provenance.
struct Evaluated {
  std::optional<FeatureValues> values;  // set for a mapping
  double constant = 0;

  // Value for step i (i modulo the number of values). Thread-safe.
  double at(std::size_t i) const;
  // Provenance of step i for `field`, or nothing for a constant.
  std::optional<Provenance> why(std::size_t i, Field field) const;
};
Evaluated evaluate(const Value& v, const FeatureSource& source, const LayerContext& ctx);

struct Voice {
  std::string name;
  std::string instrument;
  std::string where;
  std::map<std::string, Value> values;  // key → value (field names and genre controls)

  bool has(const std::string& key) const { return values.count(key) > 0; }
  // Throws th::InputError naming the voice's line when the key is absent.
  const Value& get(const std::string& key) const;
};

struct Drum {
  std::string name;
  std::string instrument;
  std::string where;
  int hits = 4, steps = 16;        // euclid = [hits, steps]
  std::optional<Value> hits_from;  // `hits`: overrides the euclid's hit count (rounded)
  std::optional<Value> gate;       // the bar plays only when this is > 0.5
  Value rotate{0.0, {}, {}};
  Value velocity{0.8, {}, {}};
};

struct Part {
  std::string name;
  std::string where;
  double share = 0;            // fraction of the section's bars
  std::string mode;            // scale mode name (theory.h), "" = the model's
  double level = 1.0;          // velocity multiplier
  std::set<std::string> play;  // voices and drums sounding in this part
};

struct PatternSpec {
  std::filesystem::path file;
  std::string name, genre, description;
  int steps = 16;
  std::vector<Voice> voices;
  std::vector<Drum> drums;
  std::vector<Part> parts;

  // The named voice; throws th::InputError naming the file when absent.
  const Voice& voice(const std::string& name) const;
  // Every voice key must be in `allowed` and every `required` key present; unknown voices
  // (not in `voices`) are errors too. Errors name the line. Thread-safe.
  void check_voices(const std::map<std::string, std::set<std::string>>& allowed,
                    const std::map<std::string, std::set<std::string>>& required) const;
  // Parts must exist and name only known voices/drums; shares must add up to 1.
  void check_parts(bool needed) const;
};

// Thread-safe; allocates. Throws th::InputError ("file:line: …").
PatternSpec parse_pattern(const toml::table& root, const std::filesystem::path& file);

}  // namespace th::music
