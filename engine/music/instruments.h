// The instrument table (patterns/instruments.toml): for every instrument id of the event model,
// the SynthDef that plays it, its fixed controls, how the event's parameters map onto controls,
// its stem group, its gain and its General MIDI program or drum key.
// Contract: load_instruments() returns a fully validated table or throws th::InputError naming
// the file, the line and the field; the table is immutable afterwards, so lookups are
// thread-safe and realtime-safe (binary search over ids, no allocation). Which controls a
// SynthDef really has is checked where the defs are known (io/scsynth_voicer.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "music/event.h"

namespace th::music {

// value(control) = value(field)·scale + offset
struct ControlMapping {
  Field field = Field::cutoff;
  std::string control;
  double scale = 1.0;
  double offset = 0.0;
};

struct FixedControl {
  std::string control;
  double value = 0;
};

struct Instrument {
  std::string id;                // "tb303", "kick", …
  std::string synthdef;          // "tb303", "kick909", …
  std::string group;             // stem group name
  int group_index = 0;           // index in InstrumentTable::groups()
  double gain = 0.3;             // `amp` at velocity 1
  bool gated = true;             // released by gate 0; false: frees itself
  bool pitched = true;           // `freq` from the event's pitch
  bool slide = false;            // glides in from the previous note when that one had slide > 0.5
  double slide_time = 0.06;      // seconds
  std::string duration_control;  // receives the note length in seconds; empty: none
  std::vector<FixedControl> fixed;
  std::vector<ControlMapping> map;  // sorted by field
  int gm_program = 0;               // 0-based GM program
  std::optional<int> gm_drum;       // GM drum key (channel 10) for percussion
  int line = 0;                     // where it is defined, for errors
};

struct StemGroup {
  std::string name;
  double reverb = 0;  // default send levels of the group's strip
  double delay = 0;
};

class InstrumentTable {
 public:
  InstrumentTable() = default;
  InstrumentTable(std::filesystem::path file, std::vector<StemGroup> groups,
                  std::vector<Instrument> instruments);

  // nullptr for an unknown id. Thread-safe; realtime-safe.
  const Instrument* find(std::string_view id) const;
  // Index into instruments() or -1. Thread-safe; realtime-safe.
  int index_of(std::string_view id) const;
  // Like find, but throws th::InputError naming `where` and listing the known ids.
  const Instrument& at(std::string_view id, std::string_view where) const;

  const std::vector<Instrument>& instruments() const { return instruments_; }  // sorted by id
  const std::vector<StemGroup>& groups() const { return groups_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::vector<StemGroup> groups_;
  std::vector<Instrument> instruments_;
};

// Parses and validates an instrument table. Thread-safe; allocates. Throws th::InputError.
InstrumentTable load_instruments(const std::filesystem::path& file);

// $TH_INSTRUMENTS if set, else patterns/instruments.toml found by walking up from the running
// binary (build trees sit inside the source tree), else share/tensorhaus/instruments.toml.
// Thread-safe.
std::filesystem::path default_instruments_file();

// The table at default_instruments_file(), loaded once. Thread-safe (static init); throws
// th::InputError on the first call if the file is missing or bad.
const InstrumentTable& default_instruments();

}  // namespace th::music
