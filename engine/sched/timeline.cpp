#include "sched/timeline.h"

#include <cmath>
#include <stdexcept>

namespace th::sched {

Beats grid_floor(double beat) {
  return Beats(static_cast<int64_t>(std::floor(beat * kBeatGrid + 1e-9)), kBeatGrid);
}

namespace {
void check_bpm(double bpm) {
  if (!(bpm > 0.0 && bpm <= 1000.0)) throw std::invalid_argument("tempo must be in (0, 1000] BPM");
}
}  // namespace

TempoTimeline::TempoTimeline(double bpm, HostMicros origin) {
  check_bpm(bpm);
  segments_[0] = {Beats(0), origin, bpm};
}

void TempoTimeline::set_tempo(double bpm, Beats at) {
  check_bpm(bpm);
  const Segment& cur = segments_[last_];
  if (at < cur.beat) throw std::invalid_argument("tempo change before the current segment");
  const HostMicros t = time_at_beat(at);
  if (at == cur.beat) {
    segments_[last_] = {at, t, bpm};
    return;
  }
  last_ = (last_ + 1) % kKeep;
  segments_[last_] = {at, t, bpm};
  if (count_ < kKeep) ++count_;
}

// Segments are few (≤ 8): a backwards scan from the newest is the simplest correct search.
const TempoTimeline::Segment& TempoTimeline::segment_for_beat(Beats b) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const Segment& s = segments_[(last_ + kKeep - i) % kKeep];
    if (s.beat <= b) return s;
  }
  return segments_[(last_ + kKeep - (count_ - 1)) % kKeep];
}

const TempoTimeline::Segment& TempoTimeline::segment_for_time(HostMicros t) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const Segment& s = segments_[(last_ + kKeep - i) % kKeep];
    if (s.time <= t) return s;
  }
  return segments_[(last_ + kKeep - (count_ - 1)) % kKeep];
}

HostMicros TempoTimeline::time_at_beat(Beats b) const {
  const Segment& s = segment_for_beat(b);
  return s.time + static_cast<HostMicros>(std::llround((b - s.beat).to_double() * 60e6 / s.bpm));
}

Beats TempoTimeline::beat_at_time(HostMicros t) const {
  const Segment& s = segment_for_time(t);
  return s.beat + grid_floor(static_cast<double>(t - s.time) * s.bpm / 60e6);
}

}  // namespace th::sched
