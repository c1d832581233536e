// Session: a set list in TOML (sessions/*.toml) — the model, the tempo, and the sections that
// play one after another, each naming its genre pattern (patterns/<pattern>.toml), its length in
// bars, the model layers it walks through and the prompts it sings. Contract: load_session()
// either returns a fully validated Session or throws th::InputError naming the file, the line
// and the field; relative paths are resolved against the session file's folder first, then the
// project root.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace th::music {

// What a section plays over its last `bars` to hand over to the next (docs/patterns.md
// "Session files"): "fill" (a snare roll), "riser", "ramp" (the tempo glides to the next
// section's). Read from `transition = { fill = 1, riser = 4, ramp = 4 }`.
struct Transition {
  std::string kind;
  int bars = 1;
};

// The transition kinds a session may name, in the order they are composed.
inline constexpr std::array<std::string_view, 3> kTransitionKinds{"fill", "riser", "ramp"};

struct SectionPlan {
  std::string name;
  std::string pattern;  // genre pattern name: patterns/<pattern>.toml
  int bars = 16;
  int layer_lo = 0;             // first model layer this section walks (inclusive)
  int layer_hi = -1;            // last layer (inclusive); -1 = the model's last layer
  std::optional<double> tempo;  // BPM from this section on; nothing = keep the current tempo
  std::vector<std::string> prompts;
  std::filesystem::path dataset;  // prompt file for dataset.* features (resolved), or empty
  std::string dataset_field;      // its field / CSV column ("" = the loader's default)
  // The pattern's [[part]]s this section plays (house parts, opera acts, suite movements), by
  // name; their shares are rescaled to the section's bars. Empty: every part.
  std::vector<std::string> parts;
  std::vector<Transition> transitions;  // in kTransitionKinds order
  int line = 0;                         // where the section starts in the file, for errors
};

struct Session {
  std::filesystem::path file;
  std::string name;
  std::filesystem::path model;  // resolved model folder
  double tempo = 120;           // BPM at the start
  int beats_per_bar = 4;
  std::filesystem::path patterns_dir;  // resolved; default <project>/patterns
  std::vector<SectionPlan> sections;
};

// Parses and validates a session file. project_root resolves `model` and `patterns` paths that
// are not found next to the session file. Thread-safe; allocates. Throws th::InputError.
Session load_session(const std::filesystem::path& file, const std::filesystem::path& project_root);

// The genre patterns a pattern folder offers (what a section's `pattern` may name): the stems of
// its *.toml files, less the folder's shared files instruments.toml and transitions.toml, sorted.
// Thread-safe; not realtime-safe (reads the folder; throws std::filesystem::filesystem_error).
std::vector<std::string> pattern_names(const std::filesystem::path& patterns_dir);

}  // namespace th::music
