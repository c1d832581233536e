// Program: an immutable, sorted list of events the scheduler plays, optionally looping.
// Contract: built on a worker thread (allocates), then handed to the scheduler, which only
// reads it (no allocation, no locks). Event onsets lie in [0, length) when looping.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/rational.h"
#include "music/event.h"

namespace th::sched {

struct Section {
  std::string name;
  Beats begin;
  Beats end;
};

class Program {
 public:
  // Sorts the events. Throws std::invalid_argument if looping with an onset outside [0, length)
  // or a non-positive length. Not realtime-safe.
  Program(std::vector<music::Event> events, Beats length, bool loop,
          std::vector<Section> sections = {});

  const std::vector<music::Event>& events() const { return events_; }
  const std::vector<Section>& sections() const { return sections_; }
  Beats length() const { return length_; }
  bool loop() const { return loop_; }
  // The section containing beat b (program time), or nullptr. Thread-safe; realtime-safe.
  const Section* section_at(Beats b) const;

  // Calls f(event, onset) for every occurrence with onset (program time, loops unrolled) in
  // [a, b), in time order. Thread-safe; realtime-safe (no allocation).
  template <typename F>
  void for_each_onset(Beats a, Beats b, F&& f) const {
    if (b <= a || events_.empty()) return;
    if (!loop_) {
      visit_range(a, b, Beats(0), f);
      return;
    }
    const int64_t k_lo = std::max<int64_t>(0, (a / length_).floor_int());
    const int64_t k_hi = (b / length_).ceil_int() - 1;  // k·length < b
    for (int64_t k = k_lo; k <= k_hi; ++k) visit_range(a, b, length_ * Beats(k), f);
  }

 private:
  template <typename F>
  void visit_range(Beats a, Beats b, Beats offset, F& f) const {
    auto it = std::lower_bound(events_.begin(), events_.end(), a - offset,
                               [](const music::Event& e, Beats t) { return e.onset < t; });
    for (; it != events_.end() && it->onset + offset < b; ++it) f(*it, it->onset + offset);
  }

  std::vector<music::Event> events_;
  Beats length_;
  bool loop_;
  std::vector<Section> sections_;
};

}  // namespace th::sched
