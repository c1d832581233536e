// Transitions: what a section plays over its last bars to hand over to the next, as its
// session asks (`transition = { fill = 1, riser = 4, ramp = 4 }`, docs/patterns.md).
// - fill: a snare roll, denser towards the end; whether each 16th sounds is drawn from the
//   tensor named by the fill voice's velocity (tensor_uniform), its velocity from the same.
// - riser: one riser note on the model's root, its cutoff from the riser voice's mapping.
// - ramp: the tempo glides, one step a beat, from the section's tempo to the next section's.
// The fill and riser voices live in <patterns>/transitions.toml, mapped like any pattern voice
// and read at the section's last layer. Contract: pure functions of their inputs (no clock, no
// random number generator); thread-safe; allocate.
#pragma once

#include <vector>

#include "music/composer.h"
#include "music/pattern_file.h"

namespace th::music {

// Parses <patterns_dir>/transitions.toml and checks its voices (th::InputError naming the file
// and line; `where` names the section that asked for a transition when the file is missing).
// Thread-safe.
PatternSpec load_transition_voices(const std::filesystem::path& patterns_dir,
                                   std::string_view where);

// The fill and riser events of a section's transitions, in section time (onsets in
// [0, section.bars·beats_per_bar)). section.layer_hi must be resolved. Thread-safe.
std::vector<Event> transition_events(const SectionPlan& section, const PatternSpec& voices,
                                     const FeatureSource& features, int num_layers,
                                     int beats_per_bar);

// The tempo steps of a ramp over the last `bars` of a section that ends at `end`: one a beat,
// each a linear step from `from` towards `to` (which the next section starts at); empty when
// the tempi are equal. Thread-safe.
std::vector<TempoChange> ramp_steps(Beats end, int bars, int beats_per_bar, double from, double to);

}  // namespace th::music
