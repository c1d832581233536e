// CommandLog: the commands a recorded live set received, written as FILE.commands.jsonl beside
// the recording and its FILE.events.jsonl, so a set can be annotated, replayed with its changes,
// and its command-to-sound latency measured against the recording (bench/bench_latency.sh).
// Contract:
// - wrap(command, source, reply) notes when and at which set beat the command arrived and
//   returns a reply that, when the engine answers, writes one line and then passes the answer
//   on: {"seconds": arrival in seconds since the set's first beat (the events log's clock),
//   "beat": the set beat then, "source": "osc" | "terminal", "command": the REPL line
//   (command_line), "answer": "ok" or the error, "answered_seconds": when the answer came}.
// - Lines are written in answer order and flushed each (a crash keeps what was said).
// Thread-safe (control threads, the composer thread); not realtime-safe (I/O).
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string_view>

#include "control/command.h"
#include "sched/timeline.h"

namespace th::control {

class CommandLog {
 public:
  // Opens (truncates) `file`; throws th::InputError naming it when it cannot. `now` is the
  // engine's clock, `timeline` the set's (beats at arrival).
  CommandLog(const std::filesystem::path& file, std::function<sched::HostMicros()> now,
             const sched::Timeline& timeline);
  // Sets the set's first beat (the events log's origin). Before any wrap().
  void set_origin(Beats beat, sched::HostMicros at);

  // `reply` wrapped so that answering it also logs the command (its source, arrival and
  // answer). Thread-safe; allocates (control threads, never the scheduler).
  Reply wrap(const Command& c, std::string_view source, Reply reply);

 private:
  std::function<sched::HostMicros()> now_;
  const sched::Timeline& timeline_;
  Beats origin_beat_{0};
  sched::HostMicros origin_at_ = 0;
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace th::control
