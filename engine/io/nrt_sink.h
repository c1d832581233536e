// NrtSink: a sched::Sink that writes what the scheduler plays into an NRT score, through the
// same ScsynthVoicer the live engine uses. Contract: host time `at` (µs) becomes score time
// (at − origin)/10⁶ + offset seconds; every command the voicer returns is added at that time,
// in call order. Allocates (the score grows): offline renders only, never the live thread.
#pragma once

#include <array>

#include "io/nrt_score.h"
#include "io/scsynth_voicer.h"
#include "sched/sink.h"
#include "sched/timeline.h"

namespace th::io {

class NrtSink final : public sched::Sink {
 public:
  // score, voicer and timeline must outlive the sink. Not thread-safe (the scheduler's thread).
  NrtSink(NrtScore& score, ScsynthVoicer& voicer, const sched::Timeline& timeline,
          sched::HostMicros origin = 0, double offset_seconds = 0);

  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override;
  void note_off(sched::VoiceId voice, sched::HostMicros at) override;

  // Score time of a host time. Thread-safe; realtime-safe.
  double seconds(sched::HostMicros at) const;
  // The latest score time written so far.
  double last_seconds() const { return last_; }

 private:
  NrtScore& score_;
  ScsynthVoicer& voicer_;
  const sched::Timeline& timeline_;
  sched::HostMicros origin_;
  double offset_;
  double last_ = 0;
  std::array<ScCommand, ScsynthVoicer::kMaxCommandsPerEvent> buf_{};
};

}  // namespace th::io
