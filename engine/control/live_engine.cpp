#include "control/live_engine.h"

#include <fmt/format.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "core/error.h"
#include "sched/program_builder.h"

namespace th::control {
namespace {

// Instruments named by a mute/solo word: one instrument, or every instrument of a stem group.
LiveFilterSink::Mask selection(const music::InstrumentTable& table, const std::string& name) {
  LiveFilterSink::Mask m;
  const auto& instruments = table.instruments();
  for (std::size_t i = 0; i < instruments.size(); ++i)
    if (instruments[i].id == name || instruments[i].group == name) m.set(i);
  return m;
}

std::string mask_names(const music::InstrumentTable& table, const LiveFilterSink::Mask& m) {
  std::string out;
  for (std::size_t i = 0; i < table.instruments().size(); ++i)
    if (m[i]) out += (out.empty() ? "" : ",") + table.instruments()[i].id;
  return out.empty() ? "-" : out;
}

}  // namespace

LiveEngine::LiveEngine(LiveClock& clock, sched::Timeline& timeline, sched::Sink& out,
                       const music::InstrumentTable& table, Recompose recompose,
                       LiveEngineOptions options)
    : clock_(clock),
      timeline_(timeline),
      table_(table),
      recompose_(std::move(recompose)),
      options_(options),
      filter_(table, out),
      scheduler_(clock, timeline, filter_, {options.lookahead_us}),
      quantum_(options.quantum) {
  quantum_pub_ = options.quantum;
}

LiveEngine::~LiveEngine() = default;

int LiveEngine::quantum_beats(int q) const {
  return q < 0 ? beats_per_bar_.load() : q;
}

Beats LiveEngine::next_boundary(int q) const {
  const Beats c = scheduler_.cursor();
  if (q <= 0) return c;
  const Beats qb(q);
  return qb * Beats((c / qb).ceil_int());
}

Beats LiveEngine::start(Recomposed set) {
  std::lock_guard lock(mutex_);
  current_ = set.composition;
  context_ = std::move(set.context);
  beats_per_bar_ = current_->beats_per_bar;
  auto program = sched::make_program(*current_, /*loop=*/true);
  const sched::Program* p = program.get();
  programs_.push_back({std::move(program), current_, Beats(0)});
  // The set starts on a quantum boundary (with Link, where the peers' bar starts) that its
  // first notes can still reach in time: none before now + lookahead.
  const int q = std::max(1, quantum_beats(quantum_));
  const Beats now = timeline_.beat_at_time(clock_.now() + options_.lookahead_us);
  const Beats qb(q);
  const Beats at = qb * Beats((now / qb).ceil_int());
  scheduler_.start(p, at);
  // Our start propagates: the peers start with us on this boundary.
  if (transport_ && !transport_->playing())
    transport_->set_playing(true, timeline_.time_at_beat(at));
  running_ = true;
  return at;
}

std::string_view LiveEngine::section_at(Beats b) const {
  const sched::Program* p = scheduler_.playing();
  if (!p) return {};
  const auto* s = p->section_at(b - scheduler_.anchor());
  return s ? std::string_view(s->name) : std::string_view();
}

std::string LiveEngine::switch_to(std::shared_ptr<const music::Composition> c, Beats start,
                                  bool keep_phase) {
  std::unique_ptr<sched::Program> program;
  try {
    program = sched::make_program(*c, /*loop=*/true, start);
  } catch (const std::exception& e) {
    return e.what();
  }
  const int q = quantum_beats(quantum_pub_.load());
  if (!scheduler_.request_switch(program.get(), Beats(std::max(0, q)), keep_phase))
    return "the engine is busy (too many pending switches)";
  programs_.push_back({std::move(program), std::move(c), start});
  return "";
}

std::string LiveEngine::light(const Command& c) {
  Light l;
  l.kind = c.kind;
  l.a = c.a;
  l.bpm = c.bpm;
  if (c.kind == CommandKind::mute || c.kind == CommandKind::solo) {
    const auto sel = selection(table_, c.text);
    if (sel.none())
      return fmt::format("{}: no instrument or stem group named '{}'", command_name(c.kind),
                         c.text);
    auto& mask = c.kind == CommandKind::mute ? muted_ : soloed_;
    // A second mute (solo) of the same selection lifts it.
    if ((mask & sel) == sel)
      mask &= ~sel;
    else
      mask |= sel;
  }
  l.muted = muted_;
  l.soloed = soloed_;
  if (c.kind == CommandKind::quant) quantum_pub_ = c.a;
  if (!lights_.try_push(l)) return "the engine is busy (command queue full)";
  return "";
}

void LiveEngine::submit(const Command& c, Reply reply) {
  std::string answer;
  bool recomposes = false;
  {
    std::lock_guard lock(mutex_);
    collect_locked();
    answer = validate(c, context_);
    if (answer.empty()) {
      switch (c.kind) {
        case CommandKind::status:
          break;
        case CommandKind::tempo:
        case CommandKind::mute:
        case CommandKind::solo:
        case CommandKind::quant:
        case CommandKind::panic:
          answer = light(c);
          break;
        case CommandKind::section: {
          answer = fmt::format("section: no section named '{}'", c.text);
          for (const auto& s : current_->sections)
            if (s.name == c.text) answer = switch_to(current_, s.begin, /*keep_phase=*/false);
          break;
        }
        default:
          recomposes = true;
          break;
      }
    }
  }
  if (recomposes)
    composer_.post(
        static_cast<int>(c.kind), std::string(command_name(c.kind)),
        [this, c] { return recompose(c); }, std::move(reply));
  else if (answer.empty() && c.kind == CommandKind::status)
    reply({"", status_line()});
  else
    reply(answer);
}

std::string LiveEngine::submit(const Command& c) {
  std::promise<std::string> answer;
  auto f = answer.get_future();
  submit(c, [&answer](const Answer& a) { answer.set_value(a.error); });
  return f.get();
}

std::string LiveEngine::recompose(const Command& c) {
  // Outside the lock: light commands and section jumps go on while this composes.
  Recomposed r = recompose_(c);
  if (!r.composition || r.composition->events.empty() || r.composition->length <= Beats(0))
    return fmt::format("{}: the new composition is empty", command_name(c.kind));
  std::lock_guard lock(mutex_);
  // Keep our place in the set: the same composition beat continues in the new one.
  Beats start(0);
  if (const auto* p = playing_.load()) {
    for (const auto& o : programs_)
      if (o.program.get() == p && o.composition->length == r.composition->length) start = o.start;
  }
  // A new session tempo (an edited session file, another set) comes with the new program at the
  // switch; the scheduler keeps the performer's tempo otherwise (sched/scheduler.h).
  current_ = r.composition;
  context_ = std::move(r.context);
  return switch_to(current_, start, /*keep_phase=*/true);
}

void LiveEngine::collect_locked() {
  while (const sched::Program* p = scheduler_.take_retired()) {
    std::erase_if(programs_, [p](const Owned& o) { return o.program.get() == p; });
  }
}

CommandContext LiveEngine::context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

void LiveEngine::collect() {
  std::lock_guard lock(mutex_);
  collect_locked();
}

void LiveEngine::apply(const Light& l) {
  switch (l.kind) {
    case CommandKind::quant:
      quantum_ = l.a;
      return;
    case CommandKind::panic:
      filter_.panic(clock_.now());
      return;
    default:
      break;
  }
  const Beats at = next_boundary(quantum_beats(quantum_));
  if (due_count_ == due_.size()) {  // oldest first: the newest wins anyway
    for (std::size_t i = 1; i < due_count_; ++i) due_[i - 1] = due_[i];
    --due_count_;
  }
  due_[due_count_++] = {l, at};
}

void LiveEngine::apply_due(sched::HostMicros now) {
  const Beats horizon = timeline_.beat_at_time(now + options_.lookahead_us);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < due_count_; ++i) {
    const Due& d = due_[i];
    if (d.at > horizon) {
      due_[kept++] = d;
      continue;
    }
    if (d.cmd.kind == CommandKind::tempo) {
      try {
        timeline_.set_tempo(d.cmd.bpm, d.at);
      } catch (const std::invalid_argument&) {
        // A beat before the timeline's current segment cannot happen (at >= cursor); a bad bpm
        // was refused by the grammar. Nothing to undo.
      }
    } else {
      filter_.schedule(d.cmd.muted, d.cmd.soloed, timeline_.time_at_beat(d.at));
    }
  }
  due_count_ = kept;
}

bool LiveEngine::follow_transport(sched::HostMicros now) {
  // Before start() (and after finish()) there is no set to pause.
  if (!transport_ || !scheduler_.playing()) return true;
  const bool shared = transport_->playing();
  if (running_ && !shared) {
    // A peer stopped: silence now; the scheduler keeps its program for the next start.
    filter_.panic(now);
    running_ = false;
    if (transport_listener_) {
      const sched::HostMicros at = now + options_.lookahead_us + 1;
      transport_listener_(false, timeline_.beat_at_time(at), at);
    }
  } else if (!running_ && shared) {
    if (scheduler_.playing()) {
      const int q = std::max(1, quantum_beats(quantum_));
      const Beats qb(q);
      const Beats horizon = timeline_.beat_at_time(now + options_.lookahead_us);
      const Beats at = qb * Beats((horizon / qb).floor_int() + 1);
      scheduler_.restart(at);
      running_ = true;
      if (transport_listener_) transport_listener_(true, at, timeline_.time_at_beat(at));
      transport_starts_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  running_pub_.store(running_, std::memory_order_relaxed);
  return running_;
}

void LiveEngine::tick() {
  while (auto l = lights_.try_pop()) apply(*l);
  const sched::HostMicros now = clock_.now();
  timeline_.follow(now + options_.lookahead_us);
  if (!follow_transport(now)) {
    open_.store(filter_.open_voices(), std::memory_order_relaxed);
    return;
  }
  apply_due(now);
  scheduler_.tick();
  const auto& st = scheduler_.stats();
  beat_.store(scheduler_.cursor().to_double(), std::memory_order_relaxed);
  program_beat_.store((scheduler_.cursor() - scheduler_.anchor()).to_double(),
                      std::memory_order_relaxed);
  playing_.store(scheduler_.playing(), std::memory_order_release);
  tempo_.store(timeline_.tempo(), std::memory_order_relaxed);
  notes_.store(st.notes_on - filter_.silenced(), std::memory_order_relaxed);
  late_.store(st.late, std::memory_order_relaxed);
  silenced_.store(filter_.silenced(), std::memory_order_relaxed);
  switches_.store(st.switches, std::memory_order_relaxed);
  open_.store(filter_.open_voices(), std::memory_order_relaxed);
}

void LiveEngine::run(const std::atomic<bool>& stop) {
  auto next = std::chrono::steady_clock::now();
  while (!stop.load(std::memory_order_acquire)) {
    tick();
    next += std::chrono::microseconds(options_.tick_us);
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // after a stall, carry on from now (the windows catch up)
    std::this_thread::sleep_until(next);
  }
  finish();
}

void LiveEngine::finish() {
  scheduler_.stop();
  filter_.panic(clock_.now());
  // Our stop propagates.
  if (transport_ && running_ && transport_->playing()) transport_->set_playing(false, clock_.now());
  running_ = false;
  open_.store(filter_.open_voices());
}

LiveStatus LiveEngine::status() const {
  std::lock_guard lock(mutex_);
  LiveStatus s;
  s.beat = beat_.load();
  s.tempo = tempo_.load();
  s.quantum = quantum_pub_.load();
  s.notes = notes_.load();
  s.late = late_.load();
  s.silenced = silenced_.load();
  s.switches = switches_.load();
  s.open_notes = open_.load();
  s.running = running_pub_.load();
  s.transport_starts = transport_starts_.load();
  s.muted = mask_names(table_, muted_);
  s.soloed = mask_names(table_, soloed_);
  const auto* p = playing_.load(std::memory_order_acquire);
  for (const auto& o : programs_) {
    if (o.program.get() != p) continue;
    if (const auto* sec = p->section_at(Beats(0) + sched::grid_floor(program_beat_.load())))
      s.section = sec->name;
  }
  return s;
}

std::string LiveEngine::status_line() const {
  const LiveStatus s = status();
  const std::string q = s.quantum < 0 ? "bar" : s.quantum == 0 ? "now" : std::to_string(s.quantum);
  return fmt::format(
      "beat {:.2f} | tempo {:.1f} | quant {} | section {} | notes {} (late {}, silenced {}) | "
      "open {} | switches {} | muted {} | solo {}{}",
      s.beat, s.tempo, q, s.section.empty() ? "-" : s.section, s.notes, s.late, s.silenced,
      s.open_notes, s.switches, s.muted, s.soloed, s.running ? "" : " | stopped by a peer");
}

}  // namespace th::control
