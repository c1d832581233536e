// `tensorhaus live SESSION.toml [--scsynth HOST:PORT | --boot-scsynth] [--link] [--quantum 4]
//  [--lookahead-ms 50] [--output-latency-ms 0] [--control-port 57150] [--control-bind ADDR]
//  [--midi-out NAME] [--record FILE.wav] [--model DIR] [--duration SECONDS]`: plays a session
//  live on scsynth.
// Wiring only (docs/live.md): the composition from compose_pipeline, the mix and the server
// connection from io/, the engine from control/, commands from the OSC port and the terminal.
// Threads: main (housekeeping, signals), scheduler (LiveEngine::run), OSC server, REPL, the
// server supervisor, Link's own. SIGINT/SIGTERM end the set with every voice released.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "app/commands.h"
#include "app/compose_pipeline.h"
#include "control/command_log.h"
#include "control/file_watch.h"
#include "control/live_engine.h"
#include "control/live_event_log.h"
#include "control/osc_server.h"
#include "control/tee_sink.h"
#include "control/terminal_repl.h"
#include "core/error.h"
#include "io/link_timeline.h"
#include "io/live_mix.h"
#include "io/midi_out.h"
#include "io/scsynth_process.h"
#include "io/scsynth_supervisor.h"
#include "io/scsynth_synthdefs.h"
#include "io/udp_sink.h"
#include "model/hf_config.h"
#include "music/events_jsonl.h"
#include "music/session.h"
#include "sched/clocks.h"
#include "sched/program_builder.h"

namespace th::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop.store(true);
}

struct LiveOpts {
  std::string session, scsynth, control_bind = "127.0.0.1", midi_out, record, model;
  bool boot = false, link = false;
  int quantum = 4, lookahead_ms = 50, control_port = 57150, output_latency_ms = 0;
  double duration = 0;
};

// What the set is made of now; heavy commands change a copy and keep it only when it composes.
struct SetState {
  fs::path session_file;
  std::optional<fs::path> model;
  std::optional<std::pair<int, int>> layers;
  std::optional<std::string> pattern, prompt;
};

// `patterns_dir` (optional) receives the session's pattern folder, for the file watch.
control::Recomposed compose_state(const SetState& s, const music::InstrumentTable& table,
                                  fs::path* patterns_dir = nullptr) {
  music::Session session = music::load_session(s.session_file, project_root());
  if (patterns_dir) *patterns_dir = session.patterns_dir;
  if (s.model) session.model = *s.model;
  for (auto& sec : session.sections) {
    if (s.layers) std::tie(sec.layer_lo, sec.layer_hi) = *s.layers;
    if (s.pattern) sec.pattern = *s.pattern;
    if (s.prompt) sec.prompts = {*s.prompt};
  }
  if (!fs::exists(session.model / "config.json"))
    throw bad_file(session.model.string(), "not a model folder (no config.json)");
  const auto config = model::load_config(session.model / "config.json");
  const int layers = static_cast<int>(config.num_hidden_layers);
  const StoreFeatureSource features(features_for_model(session.model));
  // A prompt's activations run here, on the engine's composer thread (the scheduler keeps
  // playing the old set meanwhile; other commands are answered meanwhile).
  const ModelActivations activations(session.model);
  auto c =
      std::make_shared<music::Composition>(music::compose(session, features, layers, &activations));
  control::Recomposed r;
  r.context.num_layers = layers;
  for (const auto& sec : session.sections) r.context.sections.push_back(sec.name);
  r.context.patterns = music::pattern_names(session.patterns_dir);
  for (const auto& i : table.instruments()) r.context.instruments.push_back(i.id);
  for (const auto& g : table.groups()) r.context.instruments.push_back(g.name);
  r.composition = std::move(c);
  return r;
}

void run_live(const LiveOpts& o) {
  // Sound sent earlier than the lookahead allows would arrive late.
  if (o.output_latency_ms <= -o.lookahead_ms)
    throw bad_field("live", "--output-latency-ms",
                    fmt::format("a value above -{} (minus the lookahead)", o.lookahead_ms),
                    std::to_string(o.output_latency_ms));
  const auto& table = music::default_instruments();
  SetState state;
  state.session_file = o.session;
  if (!o.model.empty()) state.model = fs::path(o.model);
  std::mutex state_mu;  // heavy commands are serialized by the engine; this guards `state` reads
  std::fprintf(stderr, "live: composing %s\n", o.session.c_str());
  fs::path patterns_dir;
  control::Recomposed first = compose_state(state, table, &patterns_dir);
  const double bpm = sched::initial_tempo(*first.composition);

  // The server: our own (dummy JACK) or one that runs already.
  std::unique_ptr<io::ScsynthProcess> process;
  io::UdpEndpoint server{0x7f000001, 57110};
  if (!o.scsynth.empty()) {
    const auto ep = io::parse_endpoint(o.scsynth);
    if (!ep) throw bad_field("live", "--scsynth", "HOST:PORT", o.scsynth);
    server = *ep;
  }
  const fs::path work = fs::temp_directory_path() / fmt::format("tensorhaus-live-{}", ::getpid());
  fs::create_directories(work);
  if (o.boot) {
    io::ScsynthProcessOptions po;
    po.port = server.port;
    po.log_dir = work;
    process = std::make_unique<io::ScsynthProcess>(po);
    std::fprintf(stderr, "live: starting jackd (dummy) and scsynth on port %u\n", po.port);
    process->start();
  }
  // MIDI before the supervisor starts: probing JACK silences stderr for a moment. A private
  // server is the one MIDI goes to.
  io::MidiPortOpened midi_port;
  if (!o.midi_out.empty()) {
    if (process) ::setenv("JACK_DEFAULT_SERVER", process->options().jack_name.c_str(), 1);
    midi_port = io::open_midi_port(o.midi_out);
    if (midi_port.port)
      std::fprintf(stderr, "live: MIDI out on %s\n", midi_port.description.c_str());
    else
      std::fprintf(stderr, "live: warning: --midi-out %s: %s; the set plays on without MIDI\n",
                   o.midi_out.c_str(), midi_port.warning.c_str());
  }
  auto defs = io::read_synthdef_dir(io::default_synthdef_dir());
  if (!o.record.empty()) defs.push_back(io::read_synthdef_file(io::recorder_synthdef_file()));
  io::LiveMixOptions mo;
  mo.work_dir = work;
  mo.tempo = bpm;
  const io::LiveMix mix = io::build_live_mix(table, mo);
  const fs::path record = o.record.empty() ? fs::path() : fs::absolute(o.record);
  if (!record.empty() && record.has_parent_path()) fs::create_directories(record.parent_path());

  io::SupervisorOptions so;
  so.server = server;
  so.process = process.get();
  so.on_connect = [&](io::ScsynthClient& c) {
    c.setup(defs, mix.setup, io::free_mix());
    // After a server restart the recording starts again (the file is rewritten).
    if (!record.empty()) c.run(io::record_start(record));
  };
  io::ScsynthSupervisor supervisor(so);
  supervisor.start();

  // Time: Link's session or the machine's steady clock.
  std::unique_ptr<io::LinkTimeline> link;
  std::unique_ptr<sched::TempoTimeline> tempo_timeline;
  sched::SteadyClock steady;
  std::unique_ptr<control::LiveClock> clock;
  sched::Timeline* timeline = nullptr;
  std::optional<io::LinkClock> link_clock;
  if (o.link) {
    link = std::make_unique<io::LinkTimeline>(bpm, o.quantum);
    link_clock.emplace(io::LinkClock{*link});
    clock = std::make_unique<control::LiveClockOf<io::LinkClock>>(*link_clock);
    timeline = link.get();
  } else {
    tempo_timeline = std::make_unique<sched::TempoTimeline>(bpm, steady.now());
    clock = std::make_unique<control::LiveClockOf<sched::SteadyClock>>(steady);
    timeline = tempo_timeline.get();
  }
  sched::ClockMap clock_map(link ? link->clock_sources() : sched::ClockMap::system_sources());
  clock_map.reestimate();

  io::UdpSocket socket;
  io::ScsynthVoicer voicer(table, defs, mix.voicer);
  const auto output_latency_us = static_cast<sched::HostMicros>(o.output_latency_ms) * 1000;
  io::UdpSink sink(socket, server, voicer, clock_map, *timeline, output_latency_us);
  control::TeeSink outputs;
  outputs.add(sink);
  const auto lookahead_us = static_cast<sched::HostMicros>(o.lookahead_ms) * 1000;
  const auto host_now = [&clock] { return clock->now(); };
  std::unique_ptr<io::MidiOut> midi;
  std::unique_ptr<io::MidiSink> midi_sink;
  if (midi_port.port) {
    midi = std::make_unique<io::MidiOut>(std::move(midi_port.port), host_now, output_latency_us);
    midi_sink = std::make_unique<io::MidiSink>(*midi, table, *timeline, host_now, lookahead_us);
    midi_sink->assign(first.composition->events);
    outputs.add(*midi_sink);
  }
  // The log of what was sent, beside the recording (FILE.events.jsonl): `render --events`;
  // and of the commands received (FILE.commands.jsonl).
  std::unique_ptr<control::LiveEventLog> event_log;
  std::unique_ptr<control::CommandLog> command_log;
  std::ofstream event_file;
  fs::path event_path;
  if (!record.empty()) {
    event_path = record.parent_path() / (record.stem().string() + ".events.jsonl");
    event_file.open(event_path, std::ios::binary | std::ios::trunc);
    if (!event_file) throw bad_file(event_path.string(), "cannot open for writing");
    event_log =
        std::make_unique<control::LiveEventLog>(table, *timeline, first.composition->beats_per_bar);
    outputs.add(*event_log);
    command_log = std::make_unique<control::CommandLog>(
        record.parent_path() / (record.stem().string() + ".commands.jsonl"), host_now, *timeline);
  }

  control::LiveEngineOptions eo;
  eo.quantum = o.quantum;
  eo.lookahead_us = lookahead_us;
  control::LiveEngine engine(
      *clock, *timeline, outputs, table,
      [&](const control::Command& c) {
        std::lock_guard lock(state_mu);
        SetState next = state;
        using control::CommandKind;
        switch (c.kind) {
          case CommandKind::layer:
            next.layers = {c.a, c.a};
            break;
          case CommandKind::layers:
            next.layers = {c.a, c.b};
            break;
          case CommandKind::prompt:
            next.prompt = c.text;
            break;
          case CommandKind::pattern:
            next.pattern = c.text;
            break;
          case CommandKind::model:
            next.model = fs::path(c.text);
            break;
          default:
            break;  // reload: the same state, the session file read again
        }
        auto r = compose_state(next, table);
        state = next;
        return r;
      },
      eo);
  // Link's start/stop sync: the set starts the session (or joins it on its next boundary) and
  // pauses while a peer has stopped it.
  std::optional<control::LiveTransportOf<io::LinkTimeline>> transport;
  if (link) {
    transport.emplace(*link);
    engine.set_transport(&*transport);
    // The MIDI clock stops and starts with the session.
    if (midi_sink)
      engine.set_transport_listener([&midi_sink](bool playing, Beats beat, sched::HostMicros at) {
        if (playing)
          midi_sink->start(beat);
        else
          midi_sink->stop(at);
      });
  }
  const Beats start_beat = engine.start(std::move(first));
  if (event_log) {
    event_log->set_origin(start_beat, timeline->time_at_beat(start_beat));
    event_log->set_section_of([&engine](Beats b) { return engine.section_at(b); });
    command_log->set_origin(start_beat, timeline->time_at_beat(start_beat));
  }
  // Every command, from the port or the terminal, through the command log when recording.
  const auto submit = [&engine, &command_log](const control::Command& c, std::string_view source,
                                              control::Reply reply) {
    if (command_log) reply = command_log->wrap(c, source, std::move(reply));
    engine.submit(c, std::move(reply));
  };
  if (midi_sink) midi_sink->start(start_beat);

  const auto bind = io::parse_ipv4(o.control_bind);
  if (!bind) throw bad_field("live", "--control-bind", "an IPv4 address", o.control_bind);
  control::OscCommandServer osc(
      static_cast<std::uint16_t>(o.control_port), *bind,
      [&](const control::Command& c, control::Reply reply) { submit(c, "osc", std::move(reply)); });
  osc.start();

  g_stop = false;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::atomic<bool> stop_sched{false}, stop_repl{false};
  std::thread scheduler([&] { engine.run(stop_sched); });
  control::TerminalRepl repl(engine);
  repl.set_submit([&submit](const control::Command& c, control::Reply r) {
    submit(c, "terminal", std::move(r));
  });
  std::thread repl_thread([&] { repl.run(stop_repl); });
  std::fprintf(stderr, "live: playing at %.1f BPM%s; commands on udp %s:%u and here\n", bpm,
               link ? " (Link)" : "", o.control_bind.c_str(), osc.port());
  const auto t0 = std::chrono::steady_clock::now();
  // Edits to the session or its patterns reload the set (the music plays on meanwhile).
  control::FileWatch watch({o.session}, {patterns_dir}, ".toml");
  control::Command reload;
  reload.kind = control::CommandKind::reload;
  for (int tick = 1; !g_stop.load(); ++tick) {
    std::this_thread::sleep_for(100ms);
    engine.collect();
    clock_map.reestimate();
    if (event_log && event_log->write_pending(event_file) > 0) event_file.flush();
    if (tick % 5 == 0) {
      if (const auto changed = watch.poll(); !changed.empty()) {
        repl.print(fmt::format("live: {} changed: reloading", changed.front().filename().string()));
        // The edit may name another pattern folder; while the file does not parse, the reload
        // reports why and the old folder stays watched.
        try {
          const auto dir = music::load_session(o.session, project_root()).patterns_dir;
          if (dir != watch.folders().front()) watch.set_folders({dir});
        } catch (const std::exception&) {
        }
        submit(reload, "watch", [&repl](const control::Answer& a) {
          repl.print(a.error.empty() ? "live: reloaded" : "live: reload refused: " + a.error);
        });
      }
    }
    if (o.duration > 0 &&
        std::chrono::steady_clock::now() - t0 >= std::chrono::duration<double>(o.duration))
      break;
  }
  std::fprintf(stderr, "live: stopping\n");
  // The composer's replies go out through the OSC port and the terminal: stop it first.
  engine.stop_composer();
  osc.stop();
  stop_repl = true;
  repl_thread.join();
  stop_sched = true;
  scheduler.join();
  engine.collect();
  // After the releases finish() queued (each at most a lookahead ahead): MIDI stop.
  if (midi_sink) midi_sink->stop(clock->now() + lookahead_us + 1000);
  if (event_log) {
    event_log->write_pending(event_file);
    event_file.close();
    std::fprintf(stderr, "live: events written to %s%s\n", event_path.c_str(),
                 event_log->dropped() ? " (some dropped: queue full)" : "");
  }
  // The releases are stamped just ahead of now: give them time to reach the server and play.
  std::this_thread::sleep_for(std::chrono::milliseconds(o.lookahead_ms + 250));
  if (!record.empty())
    supervisor.call([](io::ScsynthClient& c) { c.run(io::record_stop()); }, 3000);
  supervisor.stop();
  std::printf("%s\n", engine.status_line().c_str());
  std::printf("packets %llu, send failures %llu, server deaths %llu\n",
              static_cast<unsigned long long>(sink.stats().packets),
              static_cast<unsigned long long>(sink.stats().send_failures),
              static_cast<unsigned long long>(supervisor.deaths()));
  if (midi) {
    midi_sink.reset();
    midi->drain(3000);
    const auto ms = midi->stats();
    midi.reset();  // sends what is still due (the stop), then closes the port
    std::printf("midi: %llu messages sent, %llu late (> 2 ms), %llu dropped\n",
                static_cast<unsigned long long>(ms.sent), static_cast<unsigned long long>(ms.late),
                static_cast<unsigned long long>(ms.dropped));
  }
  const auto& st = sink.stats();
  std::string lead =
      fmt::format("bundle lead (ms): min {:.2f};", st.packets ? st.min_lead_ms : 0.0);
  for (std::size_t i = 0; i < st.lead_bins.size(); ++i) {
    const auto& e = io::UdpSinkStats::kLeadEdgesMs;
    lead += i == 0          ? fmt::format(" <{:g}: {}", e[0], st.lead_bins[i])
            : i == e.size() ? fmt::format(", >={:g}: {}", e[i - 1], st.lead_bins[i])
                            : fmt::format(", {:g}-{:g}: {}", e[i - 1], e[i], st.lead_bins[i]);
  }
  std::printf("%s\n", lead.c_str());
  if (process) {
    process->stop();
    // scsynth reports every bundle that arrived after its time as "late …".
    std::ifstream log(work / "scsynth.log");
    std::size_t late = 0;
    for (std::string line; std::getline(log, line);) late += line.starts_with("late ");
    std::printf("scsynth late reports %zu\n", late);
  }
  fs::remove_all(work);
}

}  // namespace

void register_live(CLI::App& app) {
  auto* cmd = app.add_subcommand("live",
                                 "Play a session live on scsynth, controlled over OSC "
                                 "and from the terminal");
  auto o = std::make_shared<LiveOpts>();
  cmd->add_option("session", o->session, "session file (sessions/*.toml)")->required();
  cmd->add_option("--scsynth", o->scsynth,
                  "scsynth's HOST:PORT (default 127.0.0.1:57110; with --boot-scsynth: the port "
                  "the private server gets)");
  cmd->add_flag("--boot-scsynth", o->boot, "start a private jackd (dummy) + scsynth");
  cmd->add_flag("--link", o->link, "share tempo and phase with Ableton Link peers");
  cmd->add_option("--quantum", o->quantum, "beats per phase cycle; changes land on it")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--output-latency-ms", o->output_latency_ms,
                  "shift every note by this much: positive delays the sound (a faster path than "
                  "the others'), negative sends it earlier (a slow audio interface)")
      ->check(CLI::Range(-1000, 1000))
      ->capture_default_str();
  cmd->add_option("--lookahead-ms", o->lookahead_ms, "how far ahead notes are sent")
      ->check(CLI::Range(5, 1000))
      ->capture_default_str();
  cmd->add_option("--control-port", o->control_port, "UDP port for /th/... commands")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--control-bind", o->control_bind, "address the command port binds to")
      ->capture_default_str();
  cmd->add_option("--midi-out", o->midi_out, "also send MIDI to this port name");
  cmd->add_option("--record", o->record,
                  "record the master to this WAV (+ events.jsonl beside it)");
  cmd->add_option("--model", o->model, "model folder (default: the session's)");
  cmd->add_option("--duration", o->duration, "stop after this many seconds (0: until Ctrl-C)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->callback([o] { run_live(*o); });
}

}  // namespace th::app
