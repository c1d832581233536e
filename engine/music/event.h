// The one event model shared by MIDI files, NRT scores and the live scheduler.
// Contract: an Event is a plain value — onset and duration in exact beats, an instrument id,
// a (possibly fractional) MIDI pitch, a velocity in 0..1, a fixed set of synth parameters
// stored in an array indexed by Field (reading one is a load, no lookup, no allocation), and
// a provenance record for every field a feature decided. Events sort deterministically by
// every field, so the same inputs always give the same ordered list.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rational.h"

namespace th::music {

// Everything a provenance record can explain. Core fields first, then the synth parameters
// (those from `cutoff` on live in Params). Append new parameters before kCount only.
enum class Field : std::uint8_t {
  onset,
  duration,
  pitch,
  velocity,
  cutoff,     // Hz
  resonance,  // 0..1
  env_mod,    // 0..1
  decay,      // seconds
  accent,     // 0..1
  slide,      // 0..1 (> 0.5: glide into the next note)
  pan,        // -1..1
  vibrato,    // depth in semitones
  formant,    // vowel position 0..1
  reverb,     // send level 0..1
  delay,      // send level 0..1
  amp,        // linear gain
  drive,      // 0..1
  harm1,      // harmonic weights of additive voices
  harm2,
  harm3,
  harm4,
  phase,    // oscillator start phase, radians
  attack,   // seconds of the envelope's rise
  release,  // seconds of the envelope's fall after the gate closes
  kCount
};

inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::kCount);
inline constexpr std::size_t kFirstParam = static_cast<std::size_t>(Field::cutoff);
inline constexpr std::size_t kParamCount = kFieldCount - kFirstParam;

// Thread-safe; realtime-safe.
constexpr bool is_param(Field f) {
  return static_cast<std::size_t>(f) >= kFirstParam;
}
// "cutoff", "pitch", … Thread-safe; realtime-safe.
std::string_view field_name(Field f);
// Inverse of field_name; nothing for an unknown name. Thread-safe; realtime-safe.
std::optional<Field> field_from_name(std::string_view name);

// Synth parameters: a fixed array plus a bit mask of which ones are set.
class Params {
 public:
  // Thread-safe for const use; realtime-safe. Throws std::invalid_argument for a core field.
  void set(Field f, double v) {
    const std::size_t i = index(f);
    values_[i] = v;
    mask_ |= 1u << i;
  }
  bool has(Field f) const { return (mask_ >> index(f)) & 1u; }
  std::optional<double> get(Field f) const {
    return has(f) ? std::optional<double>(values_[index(f)]) : std::nullopt;
  }
  double get_or(Field f, double fallback) const { return has(f) ? values_[index(f)] : fallback; }
  std::uint32_t mask() const { return mask_; }
  friend bool operator==(const Params& a, const Params& b);
  friend bool operator<(const Params& a, const Params& b);

 private:
  static std::size_t index(Field f);
  std::array<double, kParamCount> values_{};
  std::uint32_t mask_ = 0;
  static_assert(kParamCount <= 32);
};

// Which feature decided a field, and how.
struct Provenance {
  Field field = Field::pitch;
  std::string feature;      // e.g. "layers.3.mlp.down_proj.row_norms"
  std::string statistic;    // e.g. "row_norms", "percentile(90)"
  std::int64_t index = -1;  // element of the feature array, -1 when the value is a reduction
  std::string transform;    // e.g. "norm01 | scale(C3 dorian, 2 oct)"
  friend bool operator==(const Provenance&, const Provenance&) = default;
  friend auto operator<=>(const Provenance&, const Provenance&) = default;
};

struct Event {
  Beats onset;
  Beats duration;
  std::string instrument;  // "tb303", "kick", "violin", …
  double pitch = 60.0;     // MIDI note number; fractional = microtonal
  double velocity = 0.8;   // 0..1
  Params params;
  std::vector<Provenance> provenance;  // at most one per field, sorted by field

  // Records (or replaces) the provenance of p.field. Allocates; not realtime-safe.
  void explain(Provenance p);
  // The record for a field, or nullptr. Thread-safe for const use; realtime-safe.
  const Provenance* why(Field f) const;

  Beats end() const { return onset + duration; }
  friend bool operator==(const Event&, const Event&);
};

// Sets the value a field holds: pitch, velocity (as given) or a synth parameter. Onset and
// duration are times, not values: std::invalid_argument. Thread-compatible; realtime-safe.
void set_value(Event& e, Field f, double v);

// Total order: onset, instrument, pitch, duration, velocity, params, provenance.
// Thread-safe; realtime-safe.
bool operator<(const Event& a, const Event& b);
// Sorts by that order. Not realtime-safe (std::sort may allocate nothing, but events are big).
void sort_events(std::vector<Event>& events);

// 440 Hz at MIDI 69, twelve-tone equal temperament. Thread-safe; realtime-safe.
double midi_to_hz(double midi);
double hz_to_midi(double hz);

}  // namespace th::music
