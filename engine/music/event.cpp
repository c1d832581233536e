#include "music/event.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

namespace th::music {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "onset",  "duration", "pitch", "velocity", "cutoff",  "resonance", "env_mod", "decay",
    "accent", "slide",    "pan",   "vibrato",  "formant", "reverb",    "delay",   "amp",
    "drive",  "harm1",    "harm2", "harm3",    "harm4",   "phase",     "attack",  "release"};

}  // namespace

std::string_view field_name(Field f) {
  return kFieldNames.at(static_cast<std::size_t>(f));
}

std::optional<Field> field_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kFieldCount; ++i)
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  return std::nullopt;
}

std::size_t Params::index(Field f) {
  if (!is_param(f)) throw std::invalid_argument("Params: not a synth parameter");
  return static_cast<std::size_t>(f) - kFirstParam;
}

bool operator==(const Params& a, const Params& b) {
  if (a.mask_ != b.mask_) return false;
  for (std::size_t i = 0; i < kParamCount; ++i)
    if ((a.mask_ >> i & 1u) && a.values_[i] != b.values_[i]) return false;
  return true;
}

bool operator<(const Params& a, const Params& b) {
  if (a.mask_ != b.mask_) return a.mask_ < b.mask_;
  for (std::size_t i = 0; i < kParamCount; ++i) {
    if (!(a.mask_ >> i & 1u) || a.values_[i] == b.values_[i]) continue;
    return a.values_[i] < b.values_[i];
  }
  return false;
}

void Event::explain(Provenance p) {
  auto it = std::lower_bound(provenance.begin(), provenance.end(), p.field,
                             [](const Provenance& q, Field f) { return q.field < f; });
  if (it != provenance.end() && it->field == p.field)
    *it = std::move(p);
  else
    provenance.insert(it, std::move(p));
}

const Provenance* Event::why(Field f) const {
  for (const auto& p : provenance)
    if (p.field == f) return &p;
  return nullptr;
}

bool operator==(const Event& a, const Event& b) {
  return a.onset == b.onset && a.duration == b.duration && a.instrument == b.instrument &&
         a.pitch == b.pitch && a.velocity == b.velocity && a.params == b.params &&
         a.provenance == b.provenance;
}

bool operator<(const Event& a, const Event& b) {
  if (a.onset != b.onset) return a.onset < b.onset;
  if (a.instrument != b.instrument) return a.instrument < b.instrument;
  if (a.pitch != b.pitch) return a.pitch < b.pitch;
  if (a.duration != b.duration) return a.duration < b.duration;
  if (a.velocity != b.velocity) return a.velocity < b.velocity;
  if (!(a.params == b.params)) return a.params < b.params;
  return a.provenance < b.provenance;
}

void sort_events(std::vector<Event>& events) {
  std::sort(events.begin(), events.end());
}

double midi_to_hz(double midi) {
  return 440.0 * std::exp2((midi - 69.0) / 12.0);
}
double hz_to_midi(double hz) {
  return 69.0 + 12.0 * std::log2(hz / 440.0);
}

void set_value(Event& e, Field f, double v) {
  switch (f) {
    case Field::pitch:
      e.pitch = v;
      return;
    case Field::velocity:
      e.velocity = v;
      return;
    case Field::onset:
    case Field::duration:
      throw std::invalid_argument("set_value: onset and duration are times, not values");
    default:
      e.params.set(f, v);
  }
}

}  // namespace th::music
