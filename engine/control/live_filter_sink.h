// LiveFilterSink: the live engine's last stop before the output sinks — mute and solo by
// instrument, changes that take effect at an exact host time (the quantum), and `panic`.
// Contract:
// - A note of a silenced instrument is never started, and its note_off is swallowed, so the
//   output never sees a release for a voice it did not start.
// - Mute/solo changes are scheduled for a host time; a note starting at or after that time sees
//   the new state (the scheduler calls in time order, so this is exact at the quantum).
// - panic() releases every voice the output has started and not yet released, each at
//   max(now, its start) + 1 µs so the release always follows its start; the scheduler's later
//   note_off for those voices is swallowed.
// Preallocated tables; every call realtime-safe; one thread (the scheduler's). Voice ids are
// tracked modulo kSlots (the scheduler keeps at most 2048 notes open).
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>

#include "music/instruments.h"
#include "sched/sink.h"

namespace th::control {

class LiveFilterSink final : public sched::Sink {
 public:
  static constexpr std::size_t kMaxInstruments = 256;
  static constexpr std::size_t kSlots = 8192;
  using Mask = std::bitset<kMaxInstruments>;

  // table and out must outlive the sink. Throws std::invalid_argument for a table with more
  // than kMaxInstruments instruments.
  LiveFilterSink(const music::InstrumentTable& table, sched::Sink& out);

  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override;
  void note_off(sched::VoiceId voice, sched::HostMicros at) override;
  void flush() override { out_.flush(); }

  // From host time `at` on, the muted and soloed instruments are these masks (indices into the
  // table). A newer change replaces an unapplied one. Realtime-safe.
  void schedule(const Mask& muted, const Mask& soloed, sched::HostMicros at);
  // The state notes starting at or after every scheduled time will see.
  const Mask& muted() const { return pending_ ? next_muted_ : muted_; }
  const Mask& soloed() const { return pending_ ? next_soloed_ : soloed_; }
  // Releases every open voice (see the contract). Realtime-safe.
  void panic(sched::HostMicros now);

  std::uint64_t silenced() const { return silenced_; }
  std::uint64_t open_voices() const { return open_; }

 private:
  struct Slot {
    sched::VoiceId voice = 0;
    sched::HostMicros start = 0;
    enum class State : std::uint8_t { free, sounding, silenced } state = State::free;
  };
  bool audible(int instrument) const;

  const music::InstrumentTable& table_;
  sched::Sink& out_;
  std::array<Slot, kSlots> slots_{};
  Mask muted_, soloed_, next_muted_, next_soloed_;
  bool pending_ = false;
  sched::HostMicros pending_at_ = 0;
  std::uint64_t silenced_ = 0;
  std::uint64_t open_ = 0;
};

}  // namespace th::control
