// TeeSink: one scheduler output fanned out to several sinks (scsynth, MIDI, the event log), in
// the order they were added. Contract: every call goes to every sink; at most kMax sinks.
// Realtime-safe (a fixed array of pointers); one thread (the scheduler's).
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>

#include "sched/sink.h"

namespace th::control {

class TeeSink final : public sched::Sink {
 public:
  static constexpr std::size_t kMax = 8;

  // `s` must outlive the tee. Before the scheduler starts; throws std::length_error when full.
  void add(sched::Sink& s) {
    if (count_ == kMax) throw std::length_error("tee sink: too many outputs");
    sinks_[count_++] = &s;
  }
  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override {
    for (std::size_t i = 0; i < count_; ++i) sinks_[i]->note_on(voice, e, at);
  }
  void note_off(sched::VoiceId voice, sched::HostMicros at) override {
    for (std::size_t i = 0; i < count_; ++i) sinks_[i]->note_off(voice, at);
  }
  void flush() override {
    for (std::size_t i = 0; i < count_; ++i) sinks_[i]->flush();
  }

 private:
  std::array<sched::Sink*, kMax> sinks_{};
  std::size_t count_ = 0;
};

}  // namespace th::control
