#include "music/pattern_events.h"

#include <stdexcept>

namespace th::music {

std::vector<Event> collect_events(const Pattern<Event>& p, const TimeSpan& cycles,
                                  Rational beats_per_cycle) {
  std::vector<Event> out;
  for (const auto& h : p.query(cycles)) {
    if (!h.has_onset()) continue;
    Event e = h.value;
    e.onset = h.whole->begin * beats_per_cycle;
    e.duration = h.whole->duration() * beats_per_cycle;
    out.push_back(std::move(e));
  }
  sort_events(out);
  return out;
}

Pattern<Event> set_field(const Pattern<Event>& p, Field f, const Pattern<double>& values) {
  if (f == Field::onset || f == Field::duration)
    throw std::invalid_argument("set_field: onset and duration come from the pattern");
  return app_left(p, values, [f](const Event& e, double v) {
    Event out = e;
    set_value(out, f, v);
    return out;
  });
}

Pattern<Event> set_field(const Pattern<Event>& p, Field f, const Pattern<Sourced>& values) {
  if (f == Field::onset || f == Field::duration)
    throw std::invalid_argument("set_field: onset and duration come from the pattern");
  return app_left(p, values, [f](const Event& e, const Sourced& v) {
    Event out = e;
    set_value(out, f, v.value);
    Provenance why = v.why;
    why.field = f;
    out.explain(std::move(why));
    return out;
  });
}

}  // namespace th::music
