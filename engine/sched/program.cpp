#include "sched/program.h"

#include <stdexcept>

namespace th::sched {

Program::Program(std::vector<music::Event> events, Beats length, bool loop,
                 std::vector<Section> sections)
    : events_(std::move(events)), length_(length), loop_(loop), sections_(std::move(sections)) {
  if (length_ <= Beats(0)) throw std::invalid_argument("Program: length must be positive");
  music::sort_events(events_);
  if (loop_) {
    for (const auto& e : events_)
      if (e.onset < Beats(0) || e.onset >= length_)
        throw std::invalid_argument("Program: looping event onset " + e.onset.str() +
                                    " outside [0, " + length_.str() + ")");
  }
}

const Section* Program::section_at(Beats b) const {
  if (loop_) b = b - length_ * Beats((b / length_).floor_int());
  for (const auto& s : sections_)
    if (s.begin <= b && b < s.end) return &s;
  return nullptr;
}

}  // namespace th::sched
