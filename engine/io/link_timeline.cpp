#include "io/link_timeline.h"

#include <ableton/Link.hpp>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace th::io {
namespace {

using std::chrono::microseconds;

// Below this, a difference between our map and Link's is jitter, not a phase change (two peers
// on one machine agree to about 1 µs).
constexpr sched::HostMicros kPhaseTolerance = 500;

// Link stores a tempo as whole microseconds per beat, so 140 BPM comes back as 140.0000047:
// differences below this are its rounding, not a change.
constexpr double kTempoTolerance = 1e-3;

void check_bpm(double bpm) {
  if (!(bpm > 0.0 && bpm <= 1000.0)) throw std::invalid_argument("tempo must be in (0, 1000] BPM");
}

}  // namespace

struct LinkTimeline::Impl {
  explicit Impl(double bpm) : link(bpm) {
    link.enableStartStopSync(true);
    link.enable(true);
  }
  ~Impl() { link.enable(false); }
  ableton::Link link;
};

LinkTimeline::LinkTimeline(double bpm, int quantum) : quantum_(quantum) {
  check_bpm(bpm);
  if (quantum < 1) throw std::invalid_argument("Link quantum must be at least 1 beat");
  impl_ = std::make_unique<Impl>(bpm);
  const auto state = impl_->link.captureAppSessionState();
  const auto t = impl_->link.clock().micros();
  const double q = quantum_;
  const double phase = state.phaseAtTime(t, q);
  const Beats b0 = sched::grid_floor(phase);
  const double link_beat = state.beatAtTime(t, q) - phase + b0.to_double();
  segments_[0] = {b0, state.timeAtBeat(link_beat, q).count(), state.tempo()};
  playing_ = state.isPlaying();
}

LinkTimeline::~LinkTimeline() = default;

sched::HostMicros LinkTimeline::now() const {
  return impl_->link.clock().micros().count();
}

std::size_t LinkTimeline::peers() const {
  return impl_->link.numPeers();
}

sched::ClockMap::Sources LinkTimeline::clock_sources() const {
  auto s = sched::ClockMap::system_sources();
  s.host = [this] { return now(); };
  return s;
}

void LinkTimeline::add_segment(Beats beat, sched::HostMicros time, double bpm) {
  const Segment& cur = segments_[last_];
  // Host times of segments increase, so the newest segment starting before t is the one for t.
  if (time <= cur.time && beat > cur.beat) time = cur.time + 1;
  if (beat == cur.beat) {
    segments_[last_] = {beat, time, bpm};
    return;
  }
  last_ = (last_ + 1) % kKeep;
  segments_[last_] = {beat, time, bpm};
  if (count_ < kKeep) ++count_;
}

sched::HostMicros LinkTimeline::time_at_beat(Beats b) const {
  const Segment* s = &segments_[index_back(count_ - 1)];
  for (std::size_t i = 0; i < count_; ++i) {
    const Segment& c = segments_[index_back(i)];
    if (c.beat <= b) {
      s = &c;
      break;
    }
  }
  return s->time +
         static_cast<sched::HostMicros>(std::llround((b - s->beat).to_double() * 60e6 / s->bpm));
}

Beats LinkTimeline::beat_at_time(sched::HostMicros t) const {
  std::size_t k = count_ - 1;
  for (std::size_t i = 0; i < count_; ++i) {
    if (segments_[index_back(i)].time <= t) {
      k = i;
      break;
    }
  }
  const Segment& s = segments_[index_back(k)];
  Beats b = s.beat + sched::grid_floor(static_cast<double>(t - s.time) * s.bpm / 60e6);
  // A correction that moved the next segment later leaves a gap in host time: the beat waits
  // there instead of running past the next segment's start.
  if (k > 0) b = std::min(b, segments_[index_back(k - 1)].beat);
  return b;
}

void LinkTimeline::set_tempo(double bpm, Beats at) {
  check_bpm(bpm);
  if (at < segments_[last_].beat)
    throw std::invalid_argument("tempo change before the current segment");
  const sched::HostMicros t = time_at_beat(at);
  add_segment(at, t, bpm);
  auto state = impl_->link.captureAudioSessionState();
  state.setTempo(bpm, microseconds(t));
  impl_->link.commitAudioSessionState(state);
}

void LinkTimeline::set_playing(bool playing, sched::HostMicros at) {
  auto state = impl_->link.captureAudioSessionState();
  state.setIsPlaying(playing, microseconds(at));
  impl_->link.commitAudioSessionState(state);
  playing_ = playing;
}

void LinkTimeline::follow(sched::HostMicros horizon) {
  const auto state = impl_->link.captureAudioSessionState();
  playing_ = state.isPlaying();
  const Segment& cur = segments_[last_];
  // From the first grid step not yet sent: Link's timeline is one line, so a peer's change
  // holds from the moment it was made; waiting for our next whole beat would play up to a beat
  // of notes on the old grid (60 ms off at 120 → 140 BPM).
  Beats b = beat_at_time(horizon) + Beats(1, sched::kBeatGrid);
  if (b < cur.beat) b = cur.beat;
  const sched::HostMicros ours = time_at_beat(b);
  // Link's beat with the same phase as our beat b, nearest to where we expect b.
  const double q = quantum_;
  const double want = (b - Beats(quantum_) * Beats((b / Beats(quantum_)).floor_int())).to_double();
  double d = want - state.phaseAtTime(microseconds(ours), q);
  if (d >= q / 2) d -= q;
  if (d < -q / 2) d += q;
  const double link_beat = state.beatAtTime(microseconds(ours), q) + d;
  const sched::HostMicros theirs = state.timeAtBeat(link_beat, q).count();
  const double bpm = state.tempo();
  if (std::fabs(bpm - cur.bpm) > kTempoTolerance || std::llabs(theirs - ours) > kPhaseTolerance) {
    add_segment(b, theirs, bpm);
    ++followed_;
  }
}

}  // namespace th::io
