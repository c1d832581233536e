// Bundle timestamps of `tensorhaus live --link` against the Ableton Link beat grid (issue 6,
// "Measured"; target: error <= 0.1 ms).
//
// The bench is three things at once, inside a network namespace with only loopback up (Link
// multicasts on every interface that is up: docs/PLATFORM-NOTES): a stand-in scsynth on
// 127.0.0.1 that answers the connection handshake (/status, /notify, /sync, asynchronous
// commands) and records every bundle that starts a note (/s_new) with its arrival time; a Link
// peer (ableton::Link, quantum 4) that owns the session's tempo and changes it mid-run (fault
// list: 120 -> 140 BPM); and the parent of the real `tensorhaus live SESSION --link` process.
//
// Each /s_new timetag (NTP, the wall clock) is converted to Link host time with an independent
// estimate of wall - host (a least-squares line through many narrow clock-read sandwiches), and
// the peer's beat at that time is taken from the session state in force then. Onsets of the acid
// session sit on 16ths, so the error is beat*4 minus the 16th the note was meant for (the nearest
// one on the map the engine used), in ms at that tempo.
// Reported per phase: the engine joining the session, before the tempo change, the second after
// it (bundles computed on the old tempo), after it. The constant offset (median signed error of
// the steady phases) is reported apart from the spread around it. Controls in the same run: a
// second Link peer in this process, one in another process (this program with --witness), and
// sched::ClockMap on the same clocks — how much of an offset Link or the conversion explains.
//
// Usage: bench_link_grid [--tensorhaus BIN] [--session FILE] [--seconds 20] [--bpm 120]
//        [--to-bpm 140] [--change-after 10] [--csv FILE]
// Needs root and unshare (it re-executes itself under `unshare -n`). docs/benchmarks.md,
// "Link beat grid", has the figures.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <ableton/Link.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "io/udp_socket.h"
#include "sched/clock_map.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Micros = std::chrono::microseconds;

struct Options {
  std::string tensorhaus, session = "sessions/acid.toml", csv;
  double seconds = 20, bpm = 120, to_bpm = 140, change_after = 10, quantum = 4;
  double settle = 2;      // s after the engine joined before bundles count as steady
  double transition = 1;  // s after the tempo change reported apart
  double witness = 0;     // > 0: run as the witness peer for this many seconds
};

std::string self_exe() {
  char buf[4096];
  const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Link's host clock on Linux (ableton/platforms/Config.hpp), read in ns.
int64_t raw_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t wall_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// NTP 32.32 -> Unix ns, written here rather than taken from the engine it measures.
int64_t ntp_to_unix_ns(uint64_t tt) {
  const auto secs = static_cast<int64_t>(tt >> 32) - 2208988800LL;
  return secs * 1'000'000'000 + std::llround(double(tt & 0xffffffffu) * (1e9 / 4294967296.0));
}

// Wall times are kept relative to the wall clock at the start: absolute ns since 1970 do not fit
// a double's mantissa to better than 256 ns.
int64_t wall_base = 0;

// (wall - wall_base) - host from (host, wall, host) reads: the narrowest of n, its midpoint.
struct OffsetSample {
  double host_ns, offset_ns, gap_ns;
};
OffsetSample sample_offset(int n = 16) {
  OffsetSample best{0, 0, 1e18};
  for (int i = 0; i < n; ++i) {
    const int64_t h0 = raw_ns(), w = wall_ns(), h1 = raw_ns();
    if (double(h1 - h0) < best.gap_ns)
      best = {0.5 * double(h0 + h1), double(w - wall_base) - 0.5 * double(h0 + h1),
              double(h1 - h0)};
  }
  return best;
}

// offset(t) = a + b (t - t0), least squares over the sandwiches no wider than max_gap.
struct OffsetFit {
  double t0 = 0, a = 0, b = 0, max_residual_ns = 0;
  std::size_t used = 0;
  double at(double host_ns) const { return a + b * (host_ns - t0); }
};
OffsetFit fit_offset(const std::vector<OffsetSample>& s, double max_gap_ns) {
  OffsetFit f;
  std::vector<OffsetSample> keep;
  for (const auto& x : s)
    if (x.gap_ns <= max_gap_ns) keep.push_back(x);
  if (keep.empty()) return f;
  f.t0 = keep.front().host_ns;
  double st = 0, so = 0, stt = 0, sto = 0;
  for (const auto& x : keep) {
    const double t = x.host_ns - f.t0, o = x.offset_ns;
    st += t, so += o, stt += t * t, sto += t * o;
  }
  const double n = double(keep.size()), den = n * stt - st * st;
  f.b = den > 0 ? (n * sto - st * so) / den : 0;
  f.a = (so - f.b * st) / n;
  for (const auto& x : keep)
    f.max_residual_ns = std::max(f.max_residual_ns, std::fabs(x.offset_ns - f.at(x.host_ns)));
  f.used = keep.size();
  return f;
}

// One datagram that started notes.
struct Arrival {
  uint64_t timetag;
  int64_t arrival_ns;  // Link host clock
  int notes;
};

// Stands in for scsynth: answers what `tensorhaus live` asks on connect and while it plays.
class FakeScsynth {
 public:
  FakeScsynth() : thread_([this] { run(); }) {}
  ~FakeScsynth() { stop(); }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return socket_.local().port; }
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }
  std::size_t first_arrivals() const { return count_.load(); }
  std::map<std::string, std::size_t> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  void reply(const th::io::UdpEndpoint& to, th::io::OscMessage m) {
    socket_.send_to(to, th::io::encode_message(m));
  }
  void answer(const th::io::UdpEndpoint& to, const th::io::OscMessage& m) {
    static const std::array<std::string_view, 8> kAsync = {"/d_recv",  "/d_load",      "/d_loadDir",
                                                           "/b_alloc", "/b_allocRead", "/b_gen",
                                                           "/b_write", "/b_read"};
    if (m.address == "/status") {
      reply(to, {"/status.reply", {1, 0, 0, 1, 0, 0.f, 0.f, 48000.0, 48000.0}});
    } else if (m.address == "/sync" && !m.args.empty()) {
      reply(to, {"/synced", {m.args[0]}});
    } else if (m.address == "/notify" ||
               std::find(kAsync.begin(), kAsync.end(), m.address) != kAsync.end()) {
      reply(to, {"/done", {m.address}});
    }
  }
  void run() {
    std::vector<std::byte> buf(65536);
    while (running_) {
      th::io::UdpEndpoint from;
      const auto n = socket_.receive(buf, 50, &from);
      if (!n) continue;
      const int64_t at = raw_ns();  // first thing after the datagram is in
      auto packet = th::io::decode_packet(std::span<const std::byte>(buf.data(), *n), nullptr);
      if (!packet) continue;
      int notes = 0;
      uint64_t tt = 0;
      std::lock_guard lock(mu_);
      for (const auto& m : *packet) {
        ++received_[m.message.address];
        if (m.message.address == "/s_new" && m.timetag != th::io::kOscImmediate)
          ++notes, tt = m.timetag;
        answer(from, m.message);
      }
      if (notes > 0) {
        arrivals_.push_back({tt, at, notes});
        count_ = arrivals_.size();
      }
    }
  }

  th::io::UdpSocket socket_;
  std::atomic<bool> running_{true};
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
  std::map<std::string, std::size_t> received_;
  std::atomic<std::size_t> count_{0};
  std::thread thread_;
};

// The session timeline in force from a host time on (our change, or one seen by polling).
struct StateFrom {
  int64_t from_us;
  ableton::Link::SessionState state;
};

bool same_timeline(const ableton::Link::SessionState& a, const ableton::Link::SessionState& b,
                   Micros at, double q) {
  return std::fabs(a.tempo() - b.tempo()) < 1e-9 &&
         std::fabs(a.beatAtTime(at, q) - b.beatAtTime(at, q)) < 1e-6;
}

// a - b in µs at bpm. Peers agree on the phase; their beat counts may differ by whole quanta.
double phase_diff_us(double a, double b, double q, double bpm) {
  double d = std::fmod(a - b, q);
  if (d > q / 2) d -= q;
  if (d < -q / 2) d += q;
  return d * 60e6 / bpm;
}

// The entry in force at host time t (the last that starts at or before it).
std::size_t state_index(const std::vector<StateFrom>& states, int64_t t) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < states.size(); ++i)
    if (states[i].from_us <= t) k = i;
  return k;
}

struct Measured {
  double sound_us;  // Link host time of the timetag
  double error_ms;  // signed: + = after the 16th
  double bpm;
  bool late;
  int notes;
  double lead_ms;  // timetag - arrival
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p * double(v.size())));
  return v[std::min(i > 0 ? i - 1 : 0, v.size() - 1)];
}

struct Phase {
  std::string name;
  std::vector<Measured> m;
};

void report(const Phase& p, double offset_ms) {
  if (p.m.empty()) {
    fmt::print("link grid {}: no bundles\n", p.name);
    return;
  }
  std::vector<double> raw, centred, signed_err;
  std::size_t late = 0, above = 0, notes = 0;
  for (const auto& x : p.m) {
    raw.push_back(std::fabs(x.error_ms));
    centred.push_back(std::fabs(x.error_ms - offset_ms));
    signed_err.push_back(x.error_ms);
    late += x.late;
    above += std::fabs(x.error_ms - offset_ms) > 0.1;
    notes += std::size_t(x.notes);
  }
  fmt::print(
      "link grid {}: {} bundles ({} notes) at {:g} BPM; median signed error {:+.4f} ms; after "
      "removing {:+.4f} ms: max {:.4f} ms, p99 {:.4f} ms, {} above 0.1 ms; raw max {:.4f} ms; "
      "late {}\n",
      p.name, p.m.size(), notes, p.m.back().bpm, percentile(signed_err, 0.5), offset_ms,
      percentile(centred, 1.0), percentile(centred, 0.99), above, percentile(raw, 1.0), late);
}

// `--witness SECONDS`: a bare Link peer in its own process that prints "host_us beat bpm" every
// 20 ms once it has peers, for comparing two processes' view of the session.
int run_witness(double seconds, double bpm, double q) {
  ableton::Link link(bpm);
  link.enable(true);
  const auto end = link.clock().micros() + Micros(static_cast<int64_t>(seconds * 1e6));
  for (Micros now = link.clock().micros(); now < end; now = link.clock().micros()) {
    std::this_thread::sleep_for(20ms);
    if (link.numPeers() == 0) continue;
    const auto st = link.captureAppSessionState();
    std::printf("%lld %.9f %.9f\n", static_cast<long long>(now.count()), st.beatAtTime(now, q),
                st.tempo());
    std::fflush(stdout);
  }
  link.enable(false);
  return 0;
}

// Starts `self --witness SECONDS` with its stdout on a pipe; returns the pid and the read end.
std::pair<pid_t, int> spawn_witness(double seconds, double bpm) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {self_exe(), "--witness", fmt::format("{}", seconds), "--bpm",
                                   fmt::format("{}", bpm)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return {pid, fds[0]};
}

pid_t spawn_live(const Options& o, uint16_t port, const fs::path& log) {
  std::vector<std::string> args = {o.tensorhaus,     "live",
                                   o.session,        "--link",
                                   "--scsynth",      fmt::format("127.0.0.1:{}", port),
                                   "--duration",     fmt::format("{}", o.seconds),
                                   "--control-port", "0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  // Between fork and exec only async-signal-safe calls: Link's threads run in this process.
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::chdir(TH_SOURCE_DIR) != 0) ::_exit(127);
  const int null = ::open("/dev/null", O_RDONLY);
  const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(null, 0), ::dup2(out, 1), ::dup2(out, 2);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Everything one set leaves behind, for the analysis.
struct Recording {
  std::vector<Arrival> arrivals;
  std::map<std::string, std::size_t> received;  // messages the stand-in server got, by address
  std::vector<StateFrom> states;
  std::vector<OffsetSample> offsets;
  std::vector<std::pair<double, double>> clock_map_offsets;  // (host ns, offset ns - wall_base)
  std::vector<double> witness_us;                            // in-process second peer
  std::string witness_text;                                  // the witness process's lines
  std::optional<int64_t> join_us, change_us, first_us;
  std::vector<std::string> live_lines;  // what `live` printed that matters here
  int status = 0;
};

// Plays one set: the peer, the controls, the stand-in server and `live`, until `live` exits.
Recording play(const Options& o) {
  const double q = o.quantum;
  Recording r;
  wall_base = wall_ns();
  ableton::Link link(o.bpm);
  link.enable(true);
  // Link's clock is CLOCK_MONOTONIC_RAW, not steady_clock (CLOCK_MONOTONIC): say by how much.
  const int64_t link_us = link.clock().micros().count(), raw_us = raw_ns() / 1000;
  const int64_t steady_us =
      std::chrono::duration_cast<Micros>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  fmt::print(
      "link grid: Link host clock - CLOCK_MONOTONIC_RAW = {} us; steady_clock - Link host clock "
      "= {:.3f} ms\n",
      link_us - raw_us, double(steady_us - link_us) / 1e3);

  // A second peer in this process: how well Link's own peers agree on this machine, the floor
  // for any constant offset seen in the engine's bundles.
  ableton::Link witness(o.bpm);
  witness.enable(true);
  // The session is ours (older) when the engine joins: give Link a moment alone first.
  std::this_thread::sleep_for(200ms);
  const auto [witness_pid, witness_fd] = spawn_witness(o.seconds + 15, o.bpm);
  // The engine's ClockMap code run here on the same sources, re-estimated as often as `live`
  // does it (every 100 ms): how far its offset strays from the fitted line.
  th::sched::ClockMap clock_map({[&link] { return link.clock().micros().count(); },
                                 [] {
                                   return std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                       .count();
                                 }});
  FakeScsynth server;
  const fs::path log =
      fs::temp_directory_path() / fmt::format("bench_link_grid_{}.log", ::getpid());
  const pid_t child = spawn_live(o, server.port(), log);
  if (child < 0) throw std::runtime_error("fork failed");

  r.states = {{link.clock().micros().count(), link.captureAppSessionState()}};
  bool exited = false;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds + 90);
  for (int tick = 0; !exited; ++tick) {
    std::this_thread::sleep_for(2ms);
    const Micros now = link.clock().micros();
    if (tick % 50 == 0) {
      clock_map.reestimate();
      r.clock_map_offsets.push_back(
          {double(now.count()) * 1e3, double(clock_map.offset_ns() - wall_base)});
    }
    for (char buf[4096];;) {
      const auto n = ::read(witness_fd, buf, sizeof buf);
      if (n <= 0) break;
      r.witness_text.append(buf, static_cast<std::size_t>(n));
    }
    if (tick % 10 == 0) {
      r.offsets.push_back(sample_offset());
      if (witness.numPeers() > 0) {
        const auto a = link.captureAppSessionState(), w = witness.captureAppSessionState();
        if (std::fabs(a.tempo() - w.tempo()) < 1e-9)
          r.witness_us.push_back(
              phase_diff_us(w.beatAtTime(now, q), a.beatAtTime(now, q), q, a.tempo()));
      }
    }
    // The engine is the third peer (after the two witnesses).
    if (!r.join_us && link.numPeers() >= 3) r.join_us = now.count();
    if (!r.first_us && server.first_arrivals() > 0) r.first_us = now.count();
    auto st = link.captureAppSessionState();
    if (!same_timeline(st, r.states.back().state, now, q)) r.states.push_back({now.count(), st});
    if (r.first_us && !r.change_us && now.count() - *r.first_us >= int64_t(o.change_after * 1e6)) {
      st.setTempo(o.to_bpm, now);
      link.commitAppSessionState(st);
      r.change_us = now.count();
      r.states.push_back({now.count(), st});
    }
    exited = ::waitpid(child, &r.status, WNOHANG) == child;
    if (!exited && std::chrono::steady_clock::now() > give_up) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &r.status, 0);
      fmt::print("link grid: tensorhaus live did not finish; killed\n");
      exited = true;
    }
  }
  server.stop();
  ::kill(witness_pid, SIGTERM);
  ::waitpid(witness_pid, nullptr, 0);
  ::close(witness_fd);
  witness.enable(false);
  link.enable(false);

  // What `live` printed at the end (packets, bundle lead), and any error.
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("live: playing", 0) == 0 || line.find("packets ") != std::string::npos ||
        line.rfind("bundle lead", 0) == 0 || line.find("error") != std::string::npos)
      r.live_lines.push_back(line);
  fs::remove(log);
  r.arrivals = server.arrivals();
  r.received = server.received();
  return r;
}

// Bundles by phase, each error against the 16th it was meant for.
struct Phases {
  Phase join, before, transition, after;
};

// The phases, and the median signed error before + after the change (the constant offset).
std::pair<Phases, double> classify(const Options& o, const Recording& r, const OffsetFit& fit) {
  const double q = o.quantum;
  const auto& states = r.states;
  const int64_t steady_from = *r.join_us + int64_t(o.settle * 1e6);
  const int64_t change = r.change_us.value_or(INT64_MAX);
  Phases ph{{fmt::format("joining (first {:g} s after the engine joined)", o.settle), {}},
            {"before the tempo change", {}},
            {fmt::format("first {:g} s after the change", o.transition), {}},
            {"after the tempo change", {}}};
  std::ofstream csv;
  if (!o.csv.empty()) {
    csv.open(o.csv);
    csv << "sound_s,arrival_s,bpm,beat,error_ms,notes\n";
  }
  for (const auto& a : r.arrivals) {
    const double unix_ns = double(ntp_to_unix_ns(a.timetag) - wall_base);
    // The offset is a line in host time: evaluate it near the arrival, then at the result.
    double host_ns = unix_ns - fit.at(double(a.arrival_ns));
    host_ns = unix_ns - fit.at(host_ns);
    const double sound_us = host_ns / 1e3;
    const auto whole = static_cast<int64_t>(std::floor(sound_us));
    const std::size_t k = state_index(states, whole);
    const auto beat_in = [&](std::size_t i) {
      const auto& st = states[i].state;
      return st.beatAtTime(Micros(whole), q) + (sound_us - double(whole)) * st.tempo() / 60e6;
    };
    const double bpm = states[k].state.tempo();
    const double beat = beat_in(k);
    // The 16th the note was meant for: on the grid of the map the engine computed it with,
    // which right after a change may still be the previous one (Link keeps the beat count
    // continuous across setTempo, so both number the 16ths alike).
    double meant = std::round(beat * 4);
    if (k > 0) {
      const double old = beat_in(k - 1) * 4;
      if (std::fabs(old - std::round(old)) < 0.01 &&
          std::fabs(old - std::round(old)) < std::fabs(beat * 4 - meant))
        meant = std::round(old);
    }
    const double err_ms = (beat * 4 - meant) * 15000.0 / bpm;
    const Measured m{sound_us, err_ms,
                     bpm,      host_ns < double(a.arrival_ns),
                     a.notes,  (host_ns - double(a.arrival_ns)) / 1e6};
    const int64_t t = whole;
    (t < steady_from                            ? ph.join
     : t < change                               ? ph.before
     : t < change + int64_t(o.transition * 1e6) ? ph.transition
                                                : ph.after)
        .m.push_back(m);
    if (csv)
      csv << fmt::format(
          "{:.6f},{:.6f},{:.4f},{:.6f},{:.5f},{}\n", (sound_us - double(*r.first_us)) / 1e6,
          (double(a.arrival_ns) / 1e3 - double(*r.first_us)) / 1e6, bpm, beat, err_ms, a.notes);
  }
  std::vector<double> steady_err;
  for (const auto* p : {&ph.before, &ph.after})
    for (const auto& x : p->m) steady_err.push_back(x.error_ms);
  return {ph, percentile(steady_err, 0.5)};
}

// The controls: Link peers against each other, and the engine's ClockMap code on these clocks.
// steady_from, change: host µs bounding the phases where the witnesses are compared.
void report_controls(const Options& o, const Recording& r, const OffsetFit& fit,
                     int64_t steady_from, int64_t change) {
  const double q = o.quantum;
  const auto& states = r.states;
  if (!r.witness_us.empty()) {
    std::vector<double> abs_us;
    for (double w : r.witness_us) abs_us.push_back(std::fabs(w));
    fmt::print(
        "link grid: a second Link peer in the bench vs the bench's peer ({} samples): median "
        "{:+.1f} us, max |difference| {:.1f} us (Link's own agreement between peers here)\n",
        r.witness_us.size(), percentile(r.witness_us, 0.5), percentile(abs_us, 1.0));
  }
  {  // The witness process against the bench's peer, away from the join and the tempo change.
    std::vector<double> diff_us, abs_us;
    std::istringstream in(r.witness_text);
    long long t = 0;
    double beat = 0, bpm = 0;
    while (in >> t >> beat >> bpm) {
      const StateFrom* s = &states[state_index(states, t)];
      if (std::fabs(s->state.tempo() - bpm) > 1e-9 || t < steady_from ||
          (t >= change && t < change + int64_t(o.transition * 1e6)))
        continue;
      diff_us.push_back(phase_diff_us(beat, s->state.beatAtTime(Micros(t), q), q, bpm));
      abs_us.push_back(std::fabs(diff_us.back()));
    }
    fmt::print(
        "link grid: a Link peer in another process vs the bench's peer ({} samples): median "
        "{:+.1f} us, max |difference| {:.1f} us\n",
        diff_us.size(), percentile(diff_us, 0.5), percentile(abs_us, 1.0));
  }
  {
    std::vector<double> d_us;
    for (const auto& [t, off] : r.clock_map_offsets)
      d_us.push_back(std::fabs(off - fit.at(t)) / 1e3);
    fmt::print(
        "link grid: sched::ClockMap on the same clocks, re-estimated every 100 ms ({} times): "
        "max |offset - fitted line| {:.2f} us\n",
        d_us.size(), percentile(d_us, 1.0));
  }
}

int analyse(const Options& o, const Recording& r) {
  const auto& states = r.states;
  const auto& arrivals = r.arrivals;
  for (const auto& line : r.live_lines) fmt::print("link grid: live said: {}\n", line);
  std::string counts;  // the supervisor's /status rate shows here
  for (const auto& [address, n] : r.received)
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", address, n);
  fmt::print("link grid: the stand-in scsynth received {}\n", counts);
  fmt::print("link grid: tensorhaus live exit status {}; {} bundles with /s_new received\n",
             WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1, arrivals.size());
  if (arrivals.empty() || !r.join_us || !r.first_us) {
    fmt::print("link grid: nothing to measure (engine never joined or sent no notes)\n");
    return 1;
  }
  const OffsetFit fit = fit_offset(r.offsets, 5000);
  fmt::print(
      "link grid: wall - host fit over {} of {} sandwiches (<= 5 us wide): drift {:.3f} ppm, "
      "max residual {:.2f} us\n",
      fit.used, r.offsets.size(), fit.b * 1e6, fit.max_residual_ns / 1e3);
  fmt::print("link grid: session changes seen: {}\n", states.size() - 1);
  for (const auto& st : states)
    fmt::print("link grid:   from {:+.3f} s: {:.4f} BPM\n", double(st.from_us - *r.first_us) / 1e6,
               st.state.tempo());

  const int64_t steady_from = *r.join_us + int64_t(o.settle * 1e6);
  const int64_t change = r.change_us.value_or(INT64_MAX);
  const auto [ph, offset_ms] = classify(o, r, fit);
  const auto& [join, before, transition, after] = ph;
  fmt::print(
      "link grid: engine joined {:.2f} s before the first note arrived; tempo change at "
      "{:+.2f} s\n",
      double(*r.first_us - *r.join_us) / 1e6,
      r.change_us ? double(*r.change_us - *r.first_us) / 1e6 : -1.0);
  for (const auto* p : {&join, &before, &transition, &after}) report(*p, offset_ms);
  report_controls(o, r, fit, steady_from, change);
  {
    std::vector<double> lead_ms;
    for (const auto* p : {&join, &before, &transition, &after})
      for (const auto& x : p->m) lead_ms.push_back(x.lead_ms);
    fmt::print(
        "link grid: lead (timetag - arrival at the server): min {:.2f} ms, median {:.2f} ms, "
        "max {:.2f} ms\n",
        percentile(lead_ms, 0.0), percentile(lead_ms, 0.5), percentile(lead_ms, 1.0));
  }
  if (!transition.m.empty()) {
    double last = -1;
    for (const auto& x : transition.m)
      if (std::fabs(x.error_ms - offset_ms) > 0.1) last = (x.sound_us - double(change)) / 1e6;
    fmt::print("link grid: after the change, the last bundle off by > 0.1 ms sounds at +{:.3f} s\n",
               last);
  }
  double worst = 0;
  std::size_t late = 0;
  for (const auto* p : {&before, &after})
    for (const auto& x : p->m) worst = std::max(worst, std::fabs(x.error_ms - offset_ms));
  for (const auto* p : {&join, &before, &transition, &after})
    for (const auto& x : p->m) late += x.late;
  fmt::print(
      "link grid: steady state (before + after): constant offset {:+.4f} ms, max |error| "
      "{:.4f} ms -> target <= 0.1 ms {}; late bundles (timetag before arrival) {} of {}\n",
      offset_ms, worst, worst <= 0.1 ? "met" : "NOT met", late, arrivals.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.tensorhaus =
      (fs::path(self_exe()).parent_path().parent_path() / "engine/app/tensorhaus").string();
  const std::map<std::string, std::string*> text{
      {"--tensorhaus", &o.tensorhaus}, {"--session", &o.session}, {"--csv", &o.csv}};
  const std::map<std::string, double*> number{{"--seconds", &o.seconds},
                                              {"--bpm", &o.bpm},
                                              {"--to-bpm", &o.to_bpm},
                                              {"--change-after", &o.change_after},
                                              {"--witness", &o.witness}};
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    const auto t = text.find(k);
    const auto n = number.find(k);
    if (i + 1 >= argc || (t == text.end() && n == number.end())) {
      std::fprintf(stderr, "bench_link_grid: unknown option or missing value: %s\n", k.c_str());
      return 2;
    }
    if (t != text.end()) *t->second = argv[i + 1];
    if (n != number.end()) *n->second = std::stod(argv[i + 1]);
  }
  if (o.witness > 0) return run_witness(o.witness, o.bpm, o.quantum);
  // `live` runs in the source folder (sessions name their model relative to it).
  o.tensorhaus = fs::absolute(o.tensorhaus).string();
  if (fs::exists(o.session)) o.session = fs::absolute(o.session).string();
  if (!std::getenv("TH_LINK_NETNS")) {
    if (::geteuid() != 0 || std::system("command -v unshare >/dev/null 2>&1") != 0) {
      std::printf("link grid: not run (needs root and unshare for a loopback-only namespace)\n");
      return 1;
    }
    ::setenv("TH_LINK_NETNS", "1", 1);
    std::vector<std::string> args = {
        "unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", self_exe()};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    av.push_back(nullptr);
    std::fflush(stdout);
    ::execvp("unshare", av.data());
    std::perror("bench_link_grid: unshare");
    return 1;
  }
  try {
    return analyse(o, play(o));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_link_grid: %s\n", e.what());
    return 1;
  }
}
