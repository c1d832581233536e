#include "control/live_event_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace th::control {
namespace {

// An onset further than this from where the current tempo puts it starts a new tempo segment
// (host times are whole microseconds, so a steady tempo stays far below it).
constexpr double kTempoSlackSeconds = 1e-3;

int infer_beats_per_bar(const std::vector<music::EventRecord>& records) {
  const auto fits = [&](int bpb) {
    for (const auto& r : records)
      if ((r.event.onset / Beats(bpb)).floor_int() + 1 != r.bar) return false;
    return true;
  };
  if (fits(4)) return 4;
  for (int bpb = 1; bpb <= 64; ++bpb)
    if (fits(bpb)) return bpb;
  return 4;
}

}  // namespace

LiveEventLog::LiveEventLog(const music::InstrumentTable& table, const sched::Timeline& timeline,
                           int beats_per_bar)
    : table_(table),
      timeline_(timeline),
      beats_per_bar_(std::max(1, beats_per_bar)),
      queue_(std::make_unique<SpscQueue<Record, kQueue>>()) {}

void LiveEventLog::set_origin(Beats start, sched::HostMicros start_time) {
  start_ = start;
  start_time_ = start_time;
}

void LiveEventLog::note_on(sched::VoiceId, const music::Event& e, sched::HostMicros at) {
  Record r;
  // `at` is time_at_beat(b) rounded to the microsecond; one µs later is still below the next
  // grid step, so the grid beat comes back exactly.
  r.onset = timeline_.beat_at_time(at + 1) - start_;
  r.duration = e.duration;
  r.instrument = table_.index_of(e.instrument);
  r.pitch = e.pitch;
  r.velocity = e.velocity;
  r.params = e.params;
  r.at = at;
  if (section_of_) {
    const std::string_view s = section_of_(timeline_.beat_at_time(at + 1));
    std::memcpy(r.section.data(), s.data(), std::min(s.size(), r.section.size() - 1));
  }
  if (r.instrument < 0 || !queue_->try_push(r)) dropped_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t LiveEventLog::write_pending(std::ostream& out) {
  std::size_t n = 0;
  music::Composition c;
  c.beats_per_bar = beats_per_bar_;
  c.tempo = {{Beats(0), 120}};
  while (auto r = queue_->try_pop()) {
    music::Event e;
    e.onset = r->onset;
    e.duration = r->duration;
    e.instrument = table_.instruments()[static_cast<std::size_t>(r->instrument)].id;
    e.pitch = r->pitch;
    e.velocity = r->velocity;
    e.params = r->params;
    c.sections = {{std::string(r->section.data()), "", e.onset, e.onset + Beats(1)}};
    // The line's own format, with the seconds the set really played them at.
    auto j = nlohmann::ordered_json::parse(music::event_json_line(c, e));
    j["seconds"] = static_cast<double>(r->at - start_time_) / 1e6;
    out << j.dump() << '\n';
    ++n;
  }
  return n;
}

music::Composition composition_from_log(const std::vector<music::EventRecord>& records,
                                        const std::string& file) {
  if (records.empty()) throw bad_file(file, "no events in the log");
  music::Composition c;
  c.session = file;
  for (const auto& r : records) c.events.push_back(r.event);
  music::sort_events(c.events);
  c.beats_per_bar = infer_beats_per_bar(records);

  std::vector<const music::EventRecord*> by_beat;
  for (const auto& r : records) by_beat.push_back(&r);
  std::stable_sort(by_beat.begin(), by_beat.end(),
                   [](const auto* a, const auto* b) { return a->event.onset < b->event.onset; });

  // Sections: runs of one name in time order; the first starts at 0.
  for (const auto* r : by_beat) {
    if (!c.sections.empty() && c.sections.back().name == r->section) continue;
    if (!c.sections.empty()) c.sections.back().end = r->event.onset;
    c.sections.push_back({r->section, "", c.sections.empty() ? Beats(0) : r->event.onset, {}});
  }
  Beats end(0);
  for (const auto& e : c.events) end = std::max(end, e.end());
  const Beats bar(c.beats_per_bar);
  c.length = bar * Beats(std::max<std::int64_t>(1, (end / bar).ceil_int()));
  c.sections.back().end = c.length;

  // Tempo: anchored at (beat 0, 0 s); each distinct onset either fits the current segment or
  // starts a new one at the previous onset.
  struct Point {
    Beats beat;
    double seconds;
  };
  Point anchor{Beats(0), 0.0}, prev = anchor;
  double bpm = 0;
  const auto slope = [&](const Point& a, const Point& b) {
    return 60.0 * (b.beat - a.beat).to_double() / (b.seconds - a.seconds);
  };
  for (const auto* r : by_beat) {
    const Point p{r->event.onset, r->seconds};
    if (p.beat <= prev.beat) continue;
    if (p.seconds <= prev.seconds)
      throw bad_file(file, fmt::format("seconds go backwards at beat {}", p.beat.str()));
    if (bpm == 0) {
      bpm = slope(anchor, p);
      c.tempo.push_back({anchor.beat, bpm});
    } else {
      const double predicted = anchor.seconds + (p.beat - anchor.beat).to_double() * 60.0 / bpm;
      if (std::fabs(p.seconds - predicted) > kTempoSlackSeconds) {
        anchor = prev;
        bpm = slope(anchor, p);
        if (c.tempo.back().at == anchor.beat)
          c.tempo.back().bpm = bpm;
        else
          c.tempo.push_back({anchor.beat, bpm});
      }
    }
    prev = p;
  }
  if (c.tempo.empty()) c.tempo.push_back({Beats(0), 120});
  for (const auto& t : c.tempo)
    if (!(t.bpm > 0 && t.bpm <= 1000))
      throw bad_file(file, fmt::format("tempo {:.3f} BPM at beat {} (from the seconds) is out of "
                                       "range",
                                       t.bpm, t.at.str()));
  return c;
}

}  // namespace th::control
