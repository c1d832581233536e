// Pieces every genre generator shares: reading its pattern file, walking layers across bars,
// euclidean drums with feature-driven hits, rotation, gate and velocity, tensor-derived
// uniforms, and setting an event field together with its provenance. Contract: pure functions
// of their inputs (no clock, no random number generator); thread-safe; allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "music/composer.h"
#include "music/pattern_file.h"

namespace th::music {

// Parses in.pattern (errors name in.pattern_file and the line). Thread-safe.
PatternSpec pattern_spec(const GenreInput& in);

// The layer that bar `bar` of `bars` plays when the section's bars are spread evenly over
// layers lo..hi (each layer gets a contiguous run of bars). Thread-safe; realtime-safe.
int layer_for_bar(int bar, int bars, int lo, int hi);

// A uniform number in [0, 1) derived from the bytes of a feature array and a counter
// (SplitMix64 over an FNV-1a digest): the "random" choices of the music path come from the
// tensors, so the same model gives the same choices and a different model different ones.
// Thread-safe; realtime-safe.
double tensor_uniform(std::span<const float> values, std::uint64_t counter);

// Sets field f of e to the evaluated value at step i and records its provenance (when the
// value came from a feature). Returns the value. Thread-safe.
double apply(Event& e, Field f, const Evaluated& v, std::size_t i);
// set_value (no provenance) with velocity clamped to 0..1. Thread-safe; realtime-safe.
void assign(Event& e, Field f, double v);

// One bar of a drum: euclid(hits, steps) rotated, gated and with velocities, starting at
// `bar_start` (beats), velocity scaled by `level`. Onset provenance names the rotation or hit
// count mapping (and the gate). Thread-safe.
std::vector<Event> drum_bar(const Drum& d, const FeatureSource& source, const LayerContext& ctx,
                            Beats bar_start, int beats_per_bar, double level);

// The generators genres.cpp lists (one file each: genre_<name>.cpp).
std::vector<Event> generate_acid(const GenreInput& in);
std::vector<Event> generate_house(const GenreInput& in);
std::vector<Event> generate_opera(const GenreInput& in);
std::vector<Event> generate_suite(const GenreInput& in);
std::vector<Event> generate_thinking(const GenreInput& in);
std::vector<Event> generate_dataset(const GenreInput& in);

struct PartRange {
  const Part* part;
  int begin, end;  // bars, end exclusive
};
// Bars of each part the section plays (all, or those its `parts` names, in the pattern's order):
// cumulative shares (rescaled to the chosen parts) rounded, the last part ends at the section's
// bars. A name the pattern lacks is a th::InputError at in.where. Thread-safe.
std::vector<PartRange> part_ranges(const PatternSpec& spec, const GenreInput& in);

// A part handler by name: "overture", "fugue", … (opera); "prologue", … (suite).
using PartHandlers = std::vector<std::pair<std::string, std::function<void(const PartRange&)>>>;
// Calls, for each part with bars, the handler its name selects. A name with no handler is a
// th::InputError at the part's file:line listing the `what`s there are ("act", "movement").
// Thread-safe given thread-safe handlers.
void play_parts(const PatternSpec& spec, const GenreInput& in, const PartHandlers& handlers,
                std::string_view what);

}  // namespace th::music
