#include "sched/program_builder.h"

#include <algorithm>
#include <stdexcept>

namespace th::sched {

std::unique_ptr<Program> make_program(const music::Composition& c, bool loop, Beats start) {
  std::vector<Section> sections;
  std::vector<music::Event> events;
  std::vector<TempoPoint> tempo;
  if (start == Beats(0)) {
    for (const auto& s : c.sections) sections.push_back({s.name, s.begin, s.end});
    for (const auto& t : c.tempo) tempo.push_back({t.at, t.bpm});
    return std::make_unique<Program>(c.events, c.length, loop, std::move(sections),
                                     std::move(tempo));
  }
  if (!loop || start < Beats(0) || start >= c.length)
    throw std::invalid_argument("program start must lie in [0, length) of a looping program");
  const auto rotate = [&](Beats b) { return b >= start ? b - start : b - start + c.length; };
  events.reserve(c.events.size());
  for (auto e : c.events) {
    e.onset = rotate(e.onset);
    events.push_back(std::move(e));
  }
  for (const auto& s : c.sections) {
    const Beats b = rotate(s.begin);
    sections.push_back({s.name, b, b + (s.end - s.begin)});
  }
  if (!c.tempo.empty()) {
    // Rotated too: beat 0 holds the tempo in force at `start`, the set's own beat 0 comes back
    // one loop later.
    double at_start = c.tempo.front().bpm;
    for (const auto& t : c.tempo)
      if (t.at <= start) at_start = t.bpm;
    tempo.push_back({Beats(0), at_start});
    for (const auto& t : c.tempo)
      if (t.at != start) tempo.push_back({rotate(t.at), t.bpm});
    std::sort(tempo.begin(), tempo.end(),
              [](const TempoPoint& a, const TempoPoint& b) { return a.at < b.at; });
  }
  return std::make_unique<Program>(std::move(events), c.length, loop, std::move(sections),
                                   std::move(tempo));
}

double initial_tempo(const music::Composition& c) {
  return c.tempo.empty() ? 120.0 : c.tempo.front().bpm;
}

}  // namespace th::sched
