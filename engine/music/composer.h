// Composer: a Session + a FeatureSource → a Composition (every event of the set, in exact
// beats, with its provenance). Contract: pure and deterministic — the same session and features
// give the same events, bit for bit; no clock, no random numbers (DESIGN.md §6). Each section's
// pattern file (patterns/<name>.toml) names its genre (`genre = "acid"`); the genre generator
// turns the file's mappings and the features into events in section time, and the composer
// places them on the set's timeline. Genres are a table (genres()), not a chain of ifs.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "music/event.h"
#include "music/feature.h"
#include "music/session.h"

namespace th::music {

// Runtime activations the sections ask for (app/ implements it with the model runtime and the
// feature cache): a section with prompts reads `prompt.*` from its first prompt's features, a
// section with a dataset reads `dataset.*` from that file's. Implementations are thread-safe
// and throw th::InputError for a prompt or a file they cannot use; not realtime-safe (the first
// call for a prompt runs the model).
class ActivationProvider {
 public:
  virtual ~ActivationProvider() = default;
  virtual const FeatureSource& prompt(const std::string& text) const = 0;
  virtual const FeatureSource& dataset(const std::filesystem::path& file,
                                       const std::string& field) const = 0;
};

struct GenreInput {
  const FeatureSource& features;
  const toml::table& pattern;                 // the parsed patterns/<name>.toml
  const std::filesystem::path& pattern_file;  // for error messages
  const SectionPlan& section;                 // layer_hi already resolved
  int beats_per_bar = 4;
  double tempo = 120;  // BPM in force in this section
  int num_layers = 0;  // of the model
  // Bar of the session at which this section starts: material that walks the model across a
  // whole track (house's chord progression) continues from there when a track is split into
  // sections.
  int start_bar = 0;
  std::string_view where;  // "session.toml:LINE (section NAME)", for errors about the section
};

// Events in section time: onsets in [0, bars·beats_per_bar). Throws th::InputError for a bad
// pattern field or an unknown feature.
using GenreFn = std::function<std::vector<Event>(const GenreInput&)>;

struct Genre {
  std::string_view name;
  std::string_view description;
  GenreFn generate;
};

// The genre table. Thread-safe (immutable after first use).
const std::vector<Genre>& genres();
// Thread-safe. Throws th::InputError listing the known genres.
const Genre& find_genre(std::string_view name, std::string_view where);

struct TempoChange {
  Beats at;
  double bpm = 120;
};

struct SectionMark {
  std::string name;
  std::string pattern;
  Beats begin;
  Beats end;
};

struct Composition {
  std::string session;
  int beats_per_bar = 4;
  Beats length;
  std::vector<Event> events;       // sorted (sort_events)
  std::vector<TempoChange> tempo;  // first at beat 0
  std::vector<SectionMark> sections;

  // Seconds at beat b, from the tempo map's anchors. Thread-safe.
  double seconds_at(Beats b) const;
};

// Composes every section in order. num_layers is the model's layer count (layer_hi = -1
// resolves to num_layers − 1). Thread-safe given a thread-safe source; allocates. Throws
// th::InputError for pattern or feature errors (file and line named).
// `activations` may be null when no section reads prompt.* or dataset.* features.
Composition compose(const Session& session, const FeatureSource& features, int num_layers,
                    const ActivationProvider* activations = nullptr);

}  // namespace th::music
