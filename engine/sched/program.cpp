#include "sched/program.h"

#include <stdexcept>

namespace th::sched {

Program::Program(std::vector<music::Event> events, Beats length, bool loop,
                 std::vector<Section> sections, std::vector<TempoPoint> tempo)
    : events_(std::move(events)),
      length_(length),
      loop_(loop),
      sections_(std::move(sections)),
      tempo_(std::move(tempo)) {
  if (length_ <= Beats(0)) throw std::invalid_argument("Program: length must be positive");
  if (!tempo_.empty() && tempo_.front().at != Beats(0))
    throw std::invalid_argument("Program: the tempo map must start at beat 0");
  for (std::size_t i = 0; i < tempo_.size(); ++i) {
    if (i > 0 && tempo_[i].at <= tempo_[i - 1].at)
      throw std::invalid_argument("Program: tempo points out of order");
    // Before point 0 is the end of the previous loop; a program that plays once starts there.
    const bool first = i == 0;
    if (first && !loop_) {
      changes_.push_back(tempo_[i]);
      continue;
    }
    const double before = first ? tempo_.back().bpm : tempo_[i - 1].bpm;
    if (tempo_[i].bpm != before) changes_.push_back(tempo_[i]);
  }
  music::sort_events(events_);
  if (loop_) {
    for (const auto& e : events_)
      if (e.onset < Beats(0) || e.onset >= length_)
        throw std::invalid_argument("Program: looping event onset " + e.onset.str() +
                                    " outside [0, " + length_.str() + ")");
  }
}

double Program::tempo_at(Beats b) const {
  if (tempo_.empty()) return 0;
  if (loop_) b = b - length_ * Beats((b / length_).floor_int());
  double bpm = tempo_.front().bpm;
  for (const auto& p : tempo_) {
    if (p.at > b) break;
    bpm = p.bpm;
  }
  return bpm;
}

const Section* Program::section_at(Beats b) const {
  if (loop_) b = b - length_ * Beats((b / length_).floor_int());
  for (const auto& s : sections_)
    if (s.begin <= b && b < s.end) return &s;
  return nullptr;
}

}  // namespace th::sched
