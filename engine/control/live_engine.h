// LiveEngine: a live set — the scheduler over a clock and a timeline, the commands of the
// shared grammar applied at the quantum, recomposition off the scheduler thread.
// Contract:
// - tick() (scheduler thread; realtime-safe): drains light commands (plain values through an
//   SPSC queue), applies each at the next multiple of the quantum after what has been sent —
//   tempo through Timeline::set_tempo, mute/solo through LiveFilterSink at that beat's exact
//   time, quant and panic at once — lets the timeline follow its peers, ticks the scheduler and
//   publishes a status snapshot (atomics).
// - submit() (any control thread: OSC server, REPL; serialized by a mutex on the producer side
//   only): validates against the running set and either queues a light command, jumps to a
//   section, or hands a recompose (prompt, model, reload, pattern, layer, layers) to the
//   engine's composer thread (WorkQueue), which runs the injected Recompose function while the
//   control thread goes on taking commands. Each new composition becomes a Program (looping over
//   the whole set) that the scheduler switches to at the next quantum. The answer is done (a
//   status with status_line() as its info) or the reason the command was refused; a failure
//   leaves the music playing as it was.
// - Programs are owned here; the scheduler gives them back (take_retired) and collect() frees
//   them on the calling (non-realtime) thread.
// - run(stop) ticks every tick_us on the calling thread until `stop` turns true; finish() then
//   releases every open voice (scheduler.stop + flush).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "control/command.h"
#include "control/live_filter_sink.h"
#include "control/work_queue.h"
#include "core/spsc_queue.h"
#include "music/composer.h"
#include "music/instruments.h"
#include "sched/program.h"
#include "sched/scheduler.h"
#include "sched/timeline.h"

namespace th::control {

// The scheduler's clock, type-erased so one engine runs on the steady clock, Link's clock or a
// manual clock in tests. now(): thread-safe; realtime-safe.
class LiveClock {
 public:
  virtual ~LiveClock() = default;
  virtual sched::HostMicros now() const = 0;
};

template <class C>
class LiveClockOf final : public LiveClock {
 public:
  explicit LiveClockOf(C& c) : c_(c) {}
  sched::HostMicros now() const override { return c_.now(); }

 private:
  C& c_;
};

// A start/stop shared with others (Ableton Link's start/stop sync). playing(): the shared
// transport as last seen (the timeline's follow() refreshes it); set_playing: ours, from host
// time `at`. Scheduler thread; realtime-safe.
class LiveTransport {
 public:
  virtual ~LiveTransport() = default;
  virtual bool playing() const = 0;
  virtual void set_playing(bool playing, sched::HostMicros at) = 0;
};

template <class T>
class LiveTransportOf final : public LiveTransport {
 public:
  explicit LiveTransportOf(T& t) : t_(t) {}
  bool playing() const override { return t_.playing(); }
  void set_playing(bool playing, sched::HostMicros at) override { t_.set_playing(playing, at); }

 private:
  T& t_;
};

// A new composition for a heavy command (prompt, model, reload, pattern, layer, layers), with
// the grammar context of the set it belongs to. Runs on the engine's composer thread, one at a
// time; may take seconds; throws th::Error (bad model, bad pattern, …) to refuse the command.
struct Recomposed {
  std::shared_ptr<const music::Composition> composition;
  CommandContext context;
};
using Recompose = std::function<Recomposed(const Command&)>;

struct LiveEngineOptions {
  int quantum = 4;  // beats; `quant` changes it
  sched::HostMicros lookahead_us = 50'000;
  sched::HostMicros tick_us = 5'000;
};

struct LiveStatus {
  double beat = 0;
  double tempo = 0;
  int quantum = 0;
  std::string section;
  std::uint64_t notes = 0, late = 0, silenced = 0, switches = 0;
  std::size_t open_notes = 0;
  bool running = true;                 // false while a shared transport is stopped
  std::uint64_t transport_starts = 0;  // restarts after a shared stop
  std::string muted, soloed;           // comma-separated instrument ids
};

class LiveEngine {
 public:
  // Every reference must outlive the engine. Allocates.
  LiveEngine(LiveClock& clock, sched::Timeline& timeline, sched::Sink& out,
             const music::InstrumentTable& table, Recompose recompose,
             LiveEngineOptions options = {});
  ~LiveEngine();

  // Follow (and lead) a shared start/stop. With a transport: start() starts it when it is
  // stopped; a stop from a peer releases every voice and pauses the set; a start from a peer
  // plays the set again from its top at the next quantum boundary after the lookahead (the
  // newest program asked for, if a switch came due during the pause); finish() stops the
  // transport. Call before start(); `t` must outlive the engine.
  void set_transport(LiveTransport* t) { transport_ = t; }
  // Called on the scheduler thread when a peer's stop pauses the set (playing false, `at` =
  // the time the last release may sound) or its start resumes it (true, from beat `beat` at
  // host time `at`): e.g. MIDI stop and start. Must be realtime-safe. Call before start().
  using TransportListener = std::function<void(bool playing, Beats beat, sched::HostMicros at)>;
  void set_transport_listener(TransportListener f) { transport_listener_ = std::move(f); }

  // The first composition; playing starts at the first quantum boundary from now, which is
  // returned. Call before the first tick, on the scheduler thread (or before it starts).
  Beats start(Recomposed set);

  // See the contract. Thread-safe (control threads); never waits for a recompose: `reply` is
  // called before submit returns, except for a recompose, which the composer thread answers
  // when its program is queued (a newer command of the same kind queued behind a running one
  // replaces it; the replaced one is answered so).
  // A status is answered with status_line() as the answer's info.
  void submit(const Command& c, Reply reply);
  // The same, waiting for the answer (tests, scripts). Thread-safe.
  std::string submit(const Command& c);
  // Recomposes waiting or running. Thread-safe.
  std::size_t recomposing() const { return composer_.pending(); }
  // Answers queued recomposes with "the set is ending" and waits for the running one; later
  // recomposes are refused. Call before whatever the replies reach goes away. Thread-safe.
  void stop_composer() { composer_.stop(); }

  // Scheduler thread; realtime-safe.
  void tick();
  // Ticks until stop is true, sleeping tick_us between ticks; then finish(). Scheduler thread.
  void run(const std::atomic<bool>& stop);
  // Releases every open voice and stops. Scheduler thread; realtime-safe.
  void finish();
  // Frees programs the scheduler has retired. Thread-safe; not realtime.
  void collect();

  // Thread-safe snapshot (allocates).
  LiveStatus status() const;
  // What the running set offers (layers, sections, patterns, instruments). Thread-safe copy.
  CommandContext context() const;
  std::string status_line() const;
  // Scheduler thread only (tests).
  const sched::SchedulerStats& scheduler_stats() const { return scheduler_.stats(); }
  Beats cursor() const { return scheduler_.cursor(); }
  // The section of the playing program at global beat b ("" for none). Scheduler thread;
  // realtime-safe.
  std::string_view section_at(Beats b) const;
  const LiveFilterSink& filter() const { return filter_; }

 private:
  // A light command as a plain value: the control side resolves names and computes the whole
  // mute/solo state, so the scheduler only copies it.
  struct Light {
    CommandKind kind = CommandKind::status;
    int a = 0;  // quant: beats (0 now, -1 bar)
    double bpm = 0;
    LiveFilterSink::Mask muted, soloed;
  };
  struct Due {
    Light cmd;
    Beats at;
  };
  struct Owned {
    std::unique_ptr<sched::Program> program;
    std::shared_ptr<const music::Composition> composition;
    Beats start;  // composition beat at program beat 0
  };

  void apply(const Light& l);
  // Pauses or restarts on a change of the shared transport; false while paused.
  bool follow_transport(sched::HostMicros now);
  void apply_due(sched::HostMicros now);
  Beats next_boundary(int quantum_beats) const;
  int quantum_beats(int q) const;
  // Control side, under mutex_.
  std::string switch_to(std::shared_ptr<const music::Composition> c, Beats start, bool keep_phase);
  std::string light(const Command& c);
  // Composer thread: runs the recompose and switches to its program.
  std::string recompose(const Command& c);
  void collect_locked();

  LiveClock& clock_;
  sched::Timeline& timeline_;
  const music::InstrumentTable& table_;
  Recompose recompose_;
  LiveEngineOptions options_;
  LiveFilterSink filter_;
  sched::Scheduler<LiveClock> scheduler_;

  // Scheduler-thread state.
  SpscQueue<Light, 64> lights_;
  std::array<Due, 64> due_{};
  std::size_t due_count_ = 0;
  int quantum_;  // beats; -1: a bar
  std::atomic<int> beats_per_bar_{4};
  LiveTransport* transport_ = nullptr;
  TransportListener transport_listener_;
  bool running_ = true;

  // Control-side state (mutex_).
  mutable std::mutex mutex_;
  std::vector<Owned> programs_;
  std::shared_ptr<const music::Composition> current_;
  CommandContext context_;
  LiveFilterSink::Mask muted_, soloed_;  // after every queued command

  // Published by tick().
  std::atomic<double> beat_{0}, tempo_{0}, program_beat_{0};
  std::atomic<const sched::Program*> playing_{nullptr};
  std::atomic<int> quantum_pub_{0};
  std::atomic<std::uint64_t> notes_{0}, late_{0}, silenced_{0}, switches_{0}, open_{0};
  std::atomic<bool> running_pub_{true};
  std::atomic<std::uint64_t> transport_starts_{0};

  // Last member: its worker stops (and joins) before anything it uses is destroyed.
  WorkQueue composer_;
};

}  // namespace th::control
