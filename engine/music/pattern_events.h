// From patterns to Events. Contract: a Pattern<Event> carries everything but time in its
// values; collect_events turns the haps that start inside a span into Events whose onset and
// duration come from the hap's whole (cycles × beats_per_cycle, exact). set_field combines a
// value pattern into the event pattern with app_left (the events keep their rhythm) and records
// provenance when the values carry it. Thread-safe; allocates; worker thread only.
#pragma once

#include <vector>

#include "music/event.h"
#include "music/feature.h"
#include "music/pattern.h"

namespace th::music {

// Events whose onset lies in `cycles`, sorted. Haps without a whole (signals) are skipped.
std::vector<Event> collect_events(const Pattern<Event>& p, const TimeSpan& cycles,
                                  Rational beats_per_cycle);

// Sets pitch, velocity or a synth parameter from values sampled at each event.
Pattern<Event> set_field(const Pattern<Event>& p, Field f, const Pattern<double>& values);
// Same, and records each value's provenance on the event.
Pattern<Event> set_field(const Pattern<Event>& p, Field f, const Pattern<Sourced>& values);

}  // namespace th::music
