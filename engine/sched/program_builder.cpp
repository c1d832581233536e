#include "sched/program_builder.h"

#include <stdexcept>

namespace th::sched {

std::unique_ptr<Program> make_program(const music::Composition& c, bool loop, Beats start) {
  std::vector<Section> sections;
  std::vector<music::Event> events;
  if (start == Beats(0)) {
    for (const auto& s : c.sections) sections.push_back({s.name, s.begin, s.end});
    return std::make_unique<Program>(c.events, c.length, loop, std::move(sections));
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
  return std::make_unique<Program>(std::move(events), c.length, loop, std::move(sections));
}

double initial_tempo(const music::Composition& c) {
  return c.tempo.empty() ? 120.0 : c.tempo.front().bpm;
}

}  // namespace th::sched
