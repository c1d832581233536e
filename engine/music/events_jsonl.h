// events.jsonl: a Composition's events, one JSON object per line, for `explain` and for anyone
// who wants to look at what was played and why. Contract: the writer is a pure function of the
// composition (byte-identical for the same input; keys in a fixed order); each line holds
//   beat, beat_exact ("17/4"), bar (1-based), seconds, section, instrument, pitch, velocity,
//   duration, duration_exact, params {name: value}, provenance [{field, feature, statistic,
//   index, transform}]
// and the reader gives back exactly the events written (exact beats from the *_exact strings).
// Thread-safe; allocates; not realtime-safe.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "music/composer.h"

namespace th::music {

struct EventRecord {
  Event event;
  int bar = 1;  // 1-based
  double seconds = 0;
  std::string section;
};

// One line (no newline) for e, which must belong to c. Thread-safe.
std::string event_json_line(const Composition& c, const Event& e);
// Every event of c, in order, one line each.
void write_events_jsonl(std::ostream& out, const Composition& c);
// Throws th::InputError naming the path when it cannot write.
void write_events_jsonl(const std::filesystem::path& path, const Composition& c);
// Throws th::InputError naming the file and line for anything that is not a written event.
std::vector<EventRecord> read_events_jsonl(const std::filesystem::path& path);

}  // namespace th::music
