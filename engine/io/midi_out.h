// Live MIDI output: the scheduler's notes as note-on/off per instrument channel, and MIDI clock
// (0xF8 at 24 ppqn following the live tempo, 0xFA start, 0xFC stop), sent through RtMidi.
// Contract:
// - MidiSink (a sched::Sink, scheduler thread) turns note starts and ends into timestamped
//   MidiMessages and pushes them into MidiOut's lock-free queue: it never blocks, allocates or
//   talks to the MIDI system. Clock ticks are computed from the timeline (time_at_beat of every
//   1/24 beat up to now + lookahead), so they follow tempo changes and never drift.
// - MidiOut owns the port and a sender thread that sends every message at its due host time
//   (in time order; at one time: start, program changes, clock, note-offs, note-ons, stop).
// - Channels and programs come from the instrument table (patterns/instruments.toml, the same
//   gm_program / gm_drum the MIDI file writer uses): drums on channel 10 (index 9) playing
//   their GM key; melodic instruments take channels 0..8, 10..15 in order of first appearance
//   (assign() with the composition's sorted events gives the file writer's order), each with a
//   program change. Velocity is the file writer's rule: v + (1 − v)·accent/2 → 1..127.
// - open_midi_port never throws for a missing MIDI system (no JACK server here means no MIDI):
//   it returns no port and one warning line; the caller plays on.
// RtMidi appears only in midi_out.cpp.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/spsc_queue.h"
#include "music/event.h"
#include "music/instruments.h"
#include "sched/sink.h"
#include "sched/timeline.h"

namespace th::io {

// Messages at one host time go out in this order.
enum class MidiOrder : std::uint8_t { start, program, clock, note_off, note_on, stop };

struct MidiMessage {
  sched::HostMicros at = 0;
  std::array<std::uint8_t, 3> bytes{};
  std::uint8_t size = 0;
  MidiOrder order = MidiOrder::note_on;
};

// Where the bytes go. send(): the sender thread only.
class MidiPort {
 public:
  virtual ~MidiPort() = default;
  virtual void send(std::span<const std::uint8_t> message) = 0;
};

struct MidiPortOpened {
  std::unique_ptr<MidiPort> port;  // null: no MIDI
  std::string description;         // e.g. "virtual JACK port tensorhaus:NAME"
  std::string warning;             // why there is no port
};

// A JACK MIDI output (RtMidi UNIX_JACK, client `client`): connected to the first destination
// whose name contains `name`, else a new virtual port called `name`. Libjack's own complaints
// while probing are kept off stderr. Not thread-safe (call at start-up, before other threads
// write to stderr); blocks briefly.
MidiPortOpened open_midi_port(const std::string& name, const std::string& client = "tensorhaus");

struct MidiOutStats {
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;  // the queue was full
  std::uint64_t late = 0;     // sent more than 2 ms after its due time
};

// The sender: a thread that sends queued messages at their due time on `now`'s clock.
class MidiOut {
 public:
  static constexpr std::size_t kQueue = 8192;

  // now: the host clock the messages' times are on (thread-safe). latency_us is added to every
  // due time. Starts the thread. Allocates.
  MidiOut(std::unique_ptr<MidiPort> port, std::function<sched::HostMicros()> now,
          sched::HostMicros latency_us = 0);
  // Sends what is due within the next 2 s, then stops the thread.
  ~MidiOut();
  MidiOut(const MidiOut&) = delete;
  MidiOut& operator=(const MidiOut&) = delete;

  // One producer thread at a time (the scheduler's; the owner's before it starts and after it
  // stops). Realtime-safe; false (and counted as dropped) when the queue is full.
  bool push(const MidiMessage& m);
  // Blocks until every pushed message has been sent or `timeout_ms` passed; true when all were
  // sent. Any thread but the sender.
  bool drain(int timeout_ms);
  // Snapshot; thread-safe.
  MidiOutStats stats() const;

 private:
  void run();

  std::unique_ptr<MidiPort> port_;
  std::function<sched::HostMicros()> now_;
  sched::HostMicros latency_us_;
  std::unique_ptr<SpscQueue<MidiMessage, kQueue>> queue_;
  std::atomic<std::uint64_t> pushed_{0}, sent_{0}, dropped_{0}, late_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class MidiSink final : public sched::Sink {
 public:
  static constexpr std::size_t kSlots = 8192;  // voice ids tracked modulo this
  static constexpr int kDrumChannel = 9;

  // Every reference must outlive the sink. now + lookahead_us is how far ahead clock ticks are
  // queued. Allocates.
  MidiSink(MidiOut& out, const music::InstrumentTable& table, const sched::Timeline& timeline,
           std::function<sched::HostMicros()> now, sched::HostMicros lookahead_us);

  // Gives channels to the instruments of `events` in order of first appearance (sorted events:
  // the MIDI file's order). Before start(); not realtime-safe.
  void assign(const std::vector<music::Event>& events);
  // MIDI start (0xFA) and the program changes at beat `at`; clock ticks from there on.
  // The producer thread (the owner's before the scheduler runs, or the scheduler's: a Link
  // start); realtime-safe.
  void start(Beats at);
  // Note-offs for whatever still sounds, All Notes Off (CC 123) on every used channel and MIDI
  // stop (0xFC), at host time `at`. No clock after it. Same threads as start; realtime-safe.
  void stop(sched::HostMicros at);

  // sched::Sink: scheduler thread; realtime-safe.
  void note_on(sched::VoiceId voice, const music::Event& e, sched::HostMicros at) override;
  void note_off(sched::VoiceId voice, sched::HostMicros at) override;
  // Queues the clock ticks due up to now + lookahead.
  void flush() override;

  // The channel (0..15) of an instrument, -1 while it has none. Scheduler thread.
  int channel_of(std::string_view instrument) const;

 private:
  struct Voice {
    sched::VoiceId voice = 0;
    std::uint8_t channel = 0, key = 0;
    bool open = false;
  };
  int channel_for(int instrument, sched::HostMicros at);
  void push(sched::HostMicros at, MidiOrder order, std::uint8_t b0, std::uint8_t b1 = 0,
            std::uint8_t b2 = 0, std::uint8_t size = 3);

  MidiOut& out_;
  const music::InstrumentTable& table_;
  const sched::Timeline& timeline_;
  std::function<sched::HostMicros()> now_;
  sched::HostMicros lookahead_us_;
  std::vector<int> channel_;  // by table index; -1: none yet
  int melodic_ = 0;           // melodic channels handed out
  std::array<Voice, kSlots> voices_{};
  std::array<std::array<std::uint16_t, 128>, 16> sounding_{};  // open notes per channel and key
  std::array<bool, 16> used_{};
  bool running_ = false;
  Beats next_clock_;
};

// The MIDI velocity of an event (the MIDI file writer's rule). Thread-safe; realtime-safe.
int midi_velocity(const music::Event& e);

}  // namespace th::io
