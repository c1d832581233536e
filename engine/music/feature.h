// Feature-driven values: a named feature array, a chain of transforms, and the provenance of
// every resulting value. Contract: evaluation is a pure function of the FeatureSource's arrays
// (no random numbers, no clock); every output value remembers which element of the feature it
// came from and the chain's canonical text, so `explain` can print it. Parsing and evaluation
// allocate and run on the worker thread; both are thread-safe given a thread-safe source.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "music/event.h"
#include "music/pattern.h"

namespace th::music {

// Where feature arrays come from (the analysis FeatureStore implements it).
class FeatureSource {
 public:
  virtual ~FeatureSource() = default;
  // The named array; throws th::InputError for an unknown name. Must be thread-safe.
  virtual std::span<const float> get(std::string_view name) const = 0;
};

namespace xf {
struct Norm01 {};    // (x − min) / (max − min + 1e-9) over the whole array
struct Log1p {};     // log(1 + x)
struct Abs {};       // |x|
struct Rank {};      // ordinal rank / (n − 1) in 0..1, ties in index order
struct Percentile {  // reduction: NumPy percentile (linear) → one value, index −1
  double q;
};
struct Threshold {  // 1 where x > value (or < for below), else 0
  double value;
  bool above = true;
};
struct ScaleDegree {  // v in 0..1 → notes[int(v·(len − 1))] (nb01 acid)
  std::vector<int> notes;
  std::string text;  // how it was written, for provenance
};
struct Snap {  // x → nearest note, lower wins a tie
  std::vector<int> notes;
  std::string text;
};
struct Range {  // lo + v·(hi − lo), or lo·(hi/lo)^v with exp
  double lo, hi;
  bool exp = false;
};
struct PickEvenly {  // keep indices int(np.linspace(0, len − 1, n))
  std::int64_t n;
};
struct At {  // keep one index
  std::int64_t index;
};
// scale(tonality[@O][ MODE], N oct) / snap(tonality[@O][ MODE]): ScaleDegree or Snap on the
// model's own key (the features tonality.root and tonality.mode), resolved when a FeatureExpr
// is evaluated, because parsing happens before the model is known.
struct Tonal {
  int octave = -1;   // put the root's pitch class in this octave (C2 = 36); −1 = as analysed
  std::string mode;  // "" = the model's mode
  std::int64_t octaves = 0;  // 0 = snap
};
}  // namespace xf

using Transform =
    std::variant<xf::Norm01, xf::Log1p, xf::Abs, xf::Rank, xf::Percentile, xf::Threshold,
                 xf::ScaleDegree, xf::Snap, xf::Range, xf::PickEvenly, xf::At, xf::Tonal>;

// Canonical text of one transform ("range(300, 3000, exp)"). Thread-safe; allocates.
std::string transform_text(const Transform& t);

// Parses a chain like "norm01 | scale(C3 dorian, 2 oct) | pick(16 evenly)". Steps:
// norm01, log1p, abs, rank, percentile(q), > x, < x, scale(ROOT MODE, N oct),
// snap(ROOT MODE), range(lo, hi[, exp]), pick(N evenly), at(i). ROOT may be `tonality`,
// optionally `tonality@O` (octave O) and followed by a mode that overrides the model's:
// "scale(tonality@2 phrygian, 2 oct)". A comparison may follow another step without a bar
// ("rank > 0.7"). Throws th::InputError naming the bad step.
std::vector<Transform> parse_transforms(std::string_view text);

// The model's key as the analysis found it.
struct ModelKey {
  int root = 60;     // MIDI, C4..B4 (tonality.root)
  std::string mode;  // a theory.h mode name (from the index tonality.mode)
};
// Reads tonality.root and tonality.mode. Throws th::InputError when absent. Thread-safe.
ModelKey model_key(const FeatureSource& source);
// The key a Tonal step names: the model's root moved to octave t.octave, t.mode or the model's.
ModelKey tonal_key(const xf::Tonal& t, const ModelKey& model);
// Replaces every Tonal step by the ScaleDegree / Snap it means for this source (the text
// records the resolved key, e.g. "scale(tonality@2 = D#2 dorian, 2 oct)"). Thread-safe.
std::vector<Transform> resolve_tonal(const std::vector<Transform>& chain,
                                     const FeatureSource& source);

// A value and the element it came from.
struct SourcedValue {
  double value = 0;
  std::int64_t index = -1;
  friend bool operator==(const SourcedValue&, const SourcedValue&) = default;
};

// The result of evaluating a FeatureExpr: values plus what the provenance needs.
struct FeatureValues {
  std::string feature;
  std::string statistic;
  std::string transform;
  std::vector<SourcedValue> values;

  // Provenance of values[i] for a field. Allocates.
  Provenance provenance(std::size_t i, Field field) const;
};

struct FeatureExpr {
  std::string feature;
  std::vector<Transform> chain;

  // Canonical chain text ("norm01 | range(0.2, 0.9)"). Allocates.
  std::string chain_text() const;
  // Reads the feature, resolves Tonal steps (resolve_tonal), applies the chain in order.
  // Throws th::InputError for an unknown feature (from the source) or an empty selection.
  // Allocates.
  FeatureValues evaluate(const FeatureSource& source) const;
};

// Applies a chain to plain values (index i = position). Exposed for tests and generators.
std::vector<SourcedValue> apply_transforms(std::vector<SourcedValue> values,
                                           const std::vector<Transform>& chain);

// The indices np.linspace(0, len − 1, n).astype(int) picks, computed the way NumPy does (in
// double, last element = len − 1) so that truncation matches bit for bit.
std::vector<std::int64_t> pick_evenly(std::int64_t len, std::int64_t n);

// A value with the provenance of the feature element that decided it.
struct Sourced {
  double value = 0;
  Provenance why;
  friend bool operator==(const Sourced&, const Sourced&) = default;
};

// One step per value per cycle, each carrying its provenance for `field`.
Pattern<Sourced> feature_sequence(const FeatureValues& fv, Field field);

}  // namespace th::music
