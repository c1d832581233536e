// Sink: where the scheduler's note starts and ends go — scsynth over UDP, an NRT score, a MIDI
// port, an event log. Contract: the scheduler calls note_on/note_off with host times that are
// never earlier than the lookahead allows and, for one voice, note_off strictly after note_on;
// flush() ends one tick. Implementations used live must be realtime-safe (write into
// preallocated buffers, one non-blocking send per flush).
#pragma once

#include <cstdint>

#include "music/event.h"
#include "sched/clock_map.h"

namespace th::sched {

using VoiceId = uint32_t;

class Sink {
 public:
  virtual ~Sink() = default;
  // The event starts sounding at host time `at`; `voice` identifies it until note_off.
  virtual void note_on(VoiceId voice, const music::Event& e, HostMicros at) = 0;
  // The voice is released (gate off) at host time `at`.
  virtual void note_off(VoiceId voice, HostMicros at) = 0;
  // One scheduler tick is complete: send or store what was queued.
  virtual void flush() {}
};

}  // namespace th::sched
