// Pictures of what a composition plays, for `tensorhaus compose --pictures DIR`: a piano roll
// (instrument = colour, sections as labelled bands, time in bars; pitched instruments on a pitch
// axis, unpitched ones in lanes below) and the features behind it (one heat strip per driving
// feature, rings on the elements the notes read). Contract: a pure function of the composition
// and the feature store (byte-identical files for the same input); music/ stays free of
// drawing code. Thread-safe; not realtime-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/feature_store.h"
#include "music/composer.h"

namespace th::app {

// Writes DIR/<stem>_piano_roll.png and DIR/<stem>_features.png (the latter only when some event
// has a provenance naming a feature of the store). Creates DIR. Returns the files written.
// Throws th::InputError naming the folder or file when it cannot be written.
std::vector<std::filesystem::path> write_composition_pictures(const music::Composition& c,
                                                              const analysis::FeatureStore& store,
                                                              const std::filesystem::path& dir,
                                                              const std::string& stem);

}  // namespace th::app
