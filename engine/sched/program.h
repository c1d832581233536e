// Program: an immutable, sorted list of events the scheduler plays, optionally looping, with
// its sections and its tempo map.
// Contract: built on a worker thread (allocates), then handed to the scheduler, which only
// reads it (no allocation, no locks). Event onsets lie in [0, length) when looping. The tempo
// map's changes are the points where the tempo differs from the one in force just before
// (cyclically when looping, so a one-tempo loop has none and leaves a performer's tempo alone).
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

struct TempoPoint {
  Beats at;  // program time
  double bpm;
};

class Program {
 public:
  // Sorts the events. `tempo`: the tempo map, sorted, its first point at beat 0 (empty: none,
  // the timeline's tempo rules). Throws std::invalid_argument if looping with an onset outside
  // [0, length), a non-positive length, or a tempo map that is unsorted or does not start at 0.
  // Not realtime-safe.
  Program(std::vector<music::Event> events, Beats length, bool loop,
          std::vector<Section> sections = {}, std::vector<TempoPoint> tempo = {});

  const std::vector<music::Event>& events() const { return events_; }
  const std::vector<Section>& sections() const { return sections_; }
  Beats length() const { return length_; }
  bool loop() const { return loop_; }
  // The section containing beat b (program time), or nullptr. Thread-safe; realtime-safe.
  const Section* section_at(Beats b) const;

  // Whether the tempo map changes the tempo anywhere (see the contract). Thread-safe;
  // realtime-safe.
  bool has_tempo_changes() const { return !changes_.empty(); }
  // The tempo in force at beat b (program time; loops folded); 0 without a tempo map.
  // Thread-safe; realtime-safe.
  double tempo_at(Beats b) const;

  // Calls f(event, onset) for every occurrence with onset (program time, loops unrolled) in
  // [a, b), in time order. Thread-safe; realtime-safe (no allocation).
  template <typename F>
  void for_each_onset(Beats a, Beats b, F&& f) const {
    for_each_in(events_, &music::Event::onset, a, b, f);
  }

  // Calls f(at, bpm) for every tempo change (see the contract) at `at` (program time, loops
  // unrolled) in [a, b), in time order. Thread-safe; realtime-safe.
  template <typename F>
  void for_each_tempo_change(Beats a, Beats b, F&& f) const {
    auto g = [&](const TempoPoint& p, Beats at) { f(at, p.bpm); };
    for_each_in(changes_, &TempoPoint::at, a, b, g);
  }

 private:
  template <typename T, typename F>
  void for_each_in(const std::vector<T>& items, Beats T::*at, Beats a, Beats b, F& f) const {
    if (b <= a || items.empty()) return;
    const auto visit = [&](Beats offset) {
      auto it = std::lower_bound(items.begin(), items.end(), a - offset,
                                 [&](const T& x, Beats t) { return x.*at < t; });
      for (; it != items.end() && (*it).*at + offset < b; ++it) f(*it, (*it).*at + offset);
    };
    if (!loop_) {
      visit(Beats(0));
      return;
    }
    const int64_t k_lo = std::max<int64_t>(0, (a / length_).floor_int());
    const int64_t k_hi = (b / length_).ceil_int() - 1;  // k·length < b
    for (int64_t k = k_lo; k <= k_hi; ++k) visit(length_ * Beats(k));
  }

  std::vector<music::Event> events_;
  Beats length_;
  bool loop_;
  std::vector<Section> sections_;
  std::vector<TempoPoint> tempo_, changes_;
};

}  // namespace th::sched
