// Pieces the orchestral genres (opera, suite) share (part_ranges is in genre_common.h):
// one voice's evaluated mappings, a scale that spans every octave of a range (so low parts never
// collapse onto the root, the seed's §8 degeneracy), a 0..1 value → a note of that scale with
// the pitch provenance spelled out, and note emission. Contract: pure functions of their inputs
// (no clock, no random numbers); thread-safe; allocate.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "music/composer.h"
#include "music/feature.h"
#include "music/pattern_file.h"

namespace th::music {

// Every mapping of one voice evaluated for one layer.
struct VoiceEval {
  const Voice* voice = nullptr;
  std::map<std::string, Evaluated> ev;
  bool has(const std::string& k) const { return ev.count(k) > 0; }
  const Evaluated& at(const std::string& k) const { return ev.at(k); }
  // A constant key's value, or `fallback` when absent.
  double number(const std::string& k, double fallback) const;
  // Copies every parameter key (cutoff, pan, reverb, harm1..harm4, …) onto e for step i.
  void params(Event& e, std::size_t i) const;
};
// Thread-safe; throws th::InputError for an unknown voice or feature.
VoiceEval voice_eval(const PatternSpec& spec, const std::string& voice, const GenreInput& in,
                     int layer);

// The scale notes between MIDI 24 and 108 in the part's mode (model's when empty) on the model's
// root, every octave (build_scale_span).
struct SpanScale {
  std::vector<int> notes;
  int root = 60;     // the model's root (MIDI)
  std::string text;  // "D dorian span 24..108"
};
SpanScale span_scale(const FeatureSource& features, const std::string& mode);

// The note at fraction lo + x·(hi − lo) of the scale's length (x clamped to [0, 1], index
// floor(f·(n − 1))) shifted by `steps` scale steps; the returned index is into s.notes.
int scale_index(const SpanScale& s, double x, double lo, double hi, int steps = 0);

// Sets e.pitch = s.notes[index] and records the pitch provenance: the value's record (from
// `ev` at step i) with the scale choice appended; no record for a constant. Thread-safe.
void pitch_from(Event& e, const SpanScale& s, int index, const Evaluated& ev, std::size_t i,
                const std::string& how);

// The Frobenius norms of the embedding and of every attention and MLP matrix of layers lo..hi,
// largest first (stable: ties keep that order), with x = norm01(log1p(fro)) over the list.
struct FroNorm {
  std::string feature;  // "layers.3.mlp.up_proj.fro"
  double value = 0, x = 0;
};
std::vector<FroNorm> frobenius_sorted(const FeatureSource& features, int lo, int hi);
// "a > b > c …": the whole order, for the provenance of what the order decided (which tensor
// a slot plays depends on every norm in the list).
std::string frobenius_order(const std::vector<FroNorm>& fro);

// Indices of `count` values spread evenly (NumPy linspace, truncated) over the chunk of a
// stacked per-layer array that belongs to layer `layer` (of `num_layers`). Thread-safe.
std::vector<std::size_t> layer_chunk(std::size_t size, int layer, int num_layers, int count);

// Appends "; what" to the provenance of field f (when it has one).
void annotate(Event& e, Field f, const std::string& what);

}  // namespace th::music
