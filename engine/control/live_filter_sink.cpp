#include "control/live_filter_sink.h"

#include <algorithm>
#include <stdexcept>

namespace th::control {

LiveFilterSink::LiveFilterSink(const music::InstrumentTable& table, sched::Sink& out)
    : table_(table), out_(out) {
  if (table.instruments().size() > kMaxInstruments)
    throw std::invalid_argument("live filter: too many instruments");
}

bool LiveFilterSink::audible(int instrument) const {
  // Unknown instruments pass: the voicer counts and skips them itself.
  if (instrument < 0) return soloed_.none();
  const auto i = static_cast<std::size_t>(instrument);
  if (muted_[i]) return false;
  return soloed_.none() || soloed_[i];
}

void LiveFilterSink::schedule(const Mask& muted, const Mask& soloed, sched::HostMicros at) {
  next_muted_ = muted;
  next_soloed_ = soloed;
  pending_at_ = at;
  pending_ = true;
}

void LiveFilterSink::note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) {
  if (pending_ && at >= pending_at_) {
    muted_ = next_muted_;
    soloed_ = next_soloed_;
    pending_ = false;
  }
  Slot& s = slots_[voice % kSlots];
  s.voice = voice;
  s.start = at;
  if (!audible(table_.index_of(e.instrument))) {
    s.state = Slot::State::silenced;
    ++silenced_;
    return;
  }
  s.state = Slot::State::sounding;
  ++open_;
  out_.note_on(voice, e, at);
}

void LiveFilterSink::note_off(sched::VoiceId voice, sched::HostMicros at) {
  Slot& s = slots_[voice % kSlots];
  if (s.voice != voice || s.state == Slot::State::free) return;  // released by panic
  const bool sounding = s.state == Slot::State::sounding;
  s.state = Slot::State::free;
  if (!sounding) return;
  --open_;
  out_.note_off(voice, at);
}

void LiveFilterSink::panic(sched::HostMicros now) {
  for (auto& s : slots_) {
    if (s.state == Slot::State::sounding) {
      out_.note_off(s.voice, std::max(now, s.start) + 1);
      --open_;
    }
    s.state = Slot::State::free;
  }
  out_.flush();
}

}  // namespace th::control
