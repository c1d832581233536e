// The checks that must hold on the shipped sessions, rendered in full by the real
// `tensorhaus render SESSION --out master.wav --stems DIR`: aubio hears the session tempo in
// the master, the kicks aubio finds in the drums stem land within 2 ms of the composed schedule,
// and the master sits at −14 LUFS ±1 LU with true peak ≤ −1 dBTP, finite, no DC, no clipping.
// Each session is rendered once; every check reads that render. Without aubio the aubio checks
// are skipped with a warning (a failure under CI=true); the loudness checks still run.
//
// aubio settings (readings in docs/sound.md, "Full-track checks"):
// - tempo: `aubio tempo` and `aubio beat` with their default 1024-sample window and a
//   128-sample hop. The tracker measures the beat period in detection-function frames (one per
//   hop) and its comb filterbank settles about 0.6 frame short of the true period. At the
//   default 512-sample hop (10.7 ms at 48 kHz) the locked beat intervals read +2.1 BPM at 138
//   (an exact click track at 138 BPM reads the same), and what `aubio tempo` prints, the mean
//   of 60 / interval over all beats, reads 139.04 on acid (138) and 129.06 on house (128): just
//   outside ±1 BPM from aubio's own resolution. A hop four times shorter shrinks that bias four
//   times; the ±1 BPM tolerance is unchanged.
// - onsets: `aubio onset -H 64 -B 256`: a hop (1.3 ms) below the 2 ms tolerance, and a window
//   of four hops, for which aubio's built-in delay compensation (4.3 hops) matches the delay
//   of its detector on a kick's attack. With its defaults (hop 256, window 512) every kick
//   reads about 6 ms early.
// The master is latency-compensated by the engine and the stems carry no latency
// (io/offline_render.h), so scheduled times are compared with what aubio hears as they are.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli_support.h"
#include "io/loudness.h"
#include "io/nrt_audio.h"

namespace fs = std::filesystem;
using namespace th;

namespace {

// The session file's `tempo = BPM`.
double session_tempo(const fs::path& toml) {
  std::ifstream f(toml);
  const std::regex tempo(R"(^tempo\s*=\s*([0-9.]+))");
  std::smatch m;
  for (std::string line; std::getline(f, line);)
    if (std::regex_search(line, m, tempo)) return std::stod(m[1]);
  FAIL("no tempo in " << toml);
  return 0;
}

// False when aubio is absent: a warning outside CI, a failure under CI=true.
bool have_aubio() {
  if (std::system("command -v aubio > /dev/null 2>&1") == 0) return true;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("aubio missing under CI");
  WARN("aubio not installed: tempo and kick onsets not checked");
  return false;
}

// Every number `aubio ARGS -i WAV` prints (one per line; `aubio tempo` prints "139.04 bpm").
std::vector<double> aubio(const std::string& args, const fs::path& wav) {
  const std::string cmd = "aubio " + args + " -i '" + wav.string() + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::vector<double> out;
  char word[64];
  while (std::fscanf(p, "%63s", word) == 1) {
    char* end = nullptr;
    const double v = std::strtod(word, &end);
    if (end != word && *end == '\0') out.push_back(v);
  }
  const int status = pclose(p);
  INFO(cmd);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct TempoReading {
  double printed = 0;     // what `aubio tempo` prints
  double median_bpm = 0;  // 60 / the median interval between the beats `aubio beat` prints
  std::size_t beats = 0;
};

TempoReading aubio_tempo(const fs::path& wav, const std::string& hop) {
  TempoReading r;
  const auto t = aubio("tempo " + hop, wav);
  REQUIRE(t.size() == 1);  // "unknown bpm" prints no number
  r.printed = t[0];
  const auto b = aubio("beat " + hop, wav);
  REQUIRE(b.size() >= 10);
  std::vector<double> d(b.size() - 1);
  for (std::size_t i = 1; i < b.size(); ++i) d[i - 1] = b[i] - b[i - 1];
  r.median_bpm = 60.0 / median(d);
  r.beats = b.size();
  return r;
}

struct Track {
  fs::path dir, master, drums;
  double bpm = 0;
  std::vector<nlohmann::json> events;
};

// Composes (for the events and their times) and renders SESSION into a fresh scratch folder.
Track render(const std::string& session) {
  Track t;
  t.dir = th::test::scratch("render_tracks_" + session);
  const auto toml = th::test::source_dir() / "sessions" / (session + ".toml");
  t.bpm = session_tempo(toml);
  const auto c = th::test::run_cli(
      "compose " + toml.string() + " --out " + (t.dir / "composed").string(), t.dir);
  INFO(c.err);
  REQUIRE(c.code == 0);
  t.events = th::test::read_events(t.dir / "composed/events.jsonl");
  REQUIRE(!t.events.empty());
  t.master = t.dir / "master.wav";
  t.drums = t.dir / "stems/drums.wav";
  const auto r = th::test::run_cli("render " + toml.string() + " --out " + t.master.string() +
                                       " --stems " + (t.dir / "stems").string(),
                                   t.dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  // The render plays every composed event, none late or dropped.
  std::size_t notes = 0, events = 0;
  const auto at = r.out.find("Hz, ");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(r.out.c_str() + at, "Hz, %zu notes from %zu events", &notes, &events) == 2);
  CHECK(events == t.events.size());
  CHECK(notes == t.events.size());
  CHECK(r.err.find("warning:") == std::string::npos);
  return t;
}

double last_onset(const Track& t) {
  double s = 0;
  for (const auto& e : t.events) s = std::max(s, e["seconds"].get<double>());
  return s;
}

void check_tempo(const Track& t, const std::string& session) {
  const auto fine = aubio_tempo(t.master, "-B 1024 -H 128");
  const auto coarse = aubio_tempo(t.master, "-B 1024 -H 512");  // aubio's defaults
  std::printf(
      "%s (%.0f BPM): aubio tempo %.2f, beat median %.2f (%zu beats) at hop 128; "
      "%.2f, %.2f (%zu beats) at hop 512\n",
      session.c_str(), t.bpm, fine.printed, fine.median_bpm, fine.beats, coarse.printed,
      coarse.median_bpm, coarse.beats);
  INFO(session << ": aubio tempo reads " << fine.printed << " BPM, beat median " << fine.median_bpm
               << " BPM (hop 128); " << coarse.printed << ", " << coarse.median_bpm
               << " at the default hop 512");
  CHECK(fine.printed == Approx(t.bpm).margin(1.0));
  CHECK(fine.median_bpm == Approx(t.bpm).margin(1.0));
  // Beats over the whole track (aubio needs about 3 s to lock), not half or double time.
  CHECK(double(fine.beats) == Approx(last_onset(t) * t.bpm / 60.0).epsilon(0.05));
}

void check_kicks(const Track& t, const std::string& session) {
  std::vector<double> want;
  for (const auto& e : t.events)
    if (e["instrument"] == "kick") {
      // The session's single tempo converts beats to seconds; events.jsonl agrees.
      const double s = e["beat"].get<double>() * 60.0 / t.bpm;
      CHECK(e["seconds"].get<double>() == Approx(s).margin(1e-9));
      want.push_back(s);
    }
  REQUIRE(want.size() >= 100);
  const auto got = aubio("onset -H 64 -B 256", t.drums);
  REQUIRE(got.size() >= want.size());
  // Fewer than one onset per 10 ms on average, so a match within ±2 ms is no accident.
  const io::Audio drums = io::read_wav(t.drums);
  const double seconds = double(drums.frames()) / drums.sample_rate;
  CHECK(double(got.size()) * 0.010 < seconds);
  double worst = 0, sum = 0;
  std::ostringstream misses;
  std::size_t missed = 0;
  for (double w : want) {
    const auto it = std::lower_bound(got.begin(), got.end(), w);
    double err = 1e9;
    if (it != got.end()) err = *it - w;
    if (it != got.begin() && std::abs(*(it - 1) - w) < std::abs(err)) err = *(it - 1) - w;
    worst = std::max(worst, std::abs(err));
    sum += err;
    if (std::abs(err) >= 0.002 && missed++ < 10)
      misses << "kick at " << w << " s heard " << 1000 * err << " ms off\n";
  }
  std::printf("%s: %zu kicks, aubio onset error mean %+.3f ms, worst %.3f ms (%zu onsets)\n",
              session.c_str(), want.size(), 1000 * sum / double(want.size()), 1000 * worst,
              got.size());
  INFO(session << ": " << missed << " of " << want.size() << " kicks off by ≥ 2 ms\n"
               << misses.str());
  CHECK(missed == 0);
  CHECK(worst < 0.002);
}

void check_master(const Track& t, const std::string& session) {
  const io::Audio a = io::read_wav(t.master);
  REQUIRE(a.channels == 2);
  REQUIRE(a.sample_rate == 48000);
  CHECK(double(a.frames()) / a.sample_rate > last_onset(t));
  const double lufs = io::integrated_lufs(a.samples, 2, a.sample_rate);
  const double tp = io::gain_to_db(io::true_peak(a.samples, 2));
  const double peak = io::gain_to_db(io::sample_peak(a.samples));
  double mean[2] = {0, 0};
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.frames(); ++i)
    for (int c = 0; c < 2; ++c) {
      const float v = a.at(i, c);
      bad += !std::isfinite(v);
      mean[c] += v;
    }
  for (double& m : mean) m /= double(a.frames());
  std::printf("%s: %.2f LUFS, true peak %.2f dBTP, sample peak %.2f dBFS, DC %.1e %.1e\n",
              session.c_str(), lufs, tp, peak, mean[0], mean[1]);
  INFO(session << ": " << lufs << " LUFS, true peak " << tp << " dBTP, sample peak " << peak
               << " dBFS");
  CHECK(bad == 0);
  CHECK(lufs == Approx(-14.0).margin(1.0));
  CHECK(tp <= -1.0);
  CHECK(peak < -1.0);  // no sample near full scale: nothing clipped in the 24-bit file
  CHECK(std::abs(mean[0]) < 1e-3);
  CHECK(std::abs(mean[1]) < 1e-3);
}

void check_track(const std::string& session) {
  const Track t = render(session);
  check_master(t, session);
  if (!have_aubio()) return;
  check_tempo(t, session);
  check_kicks(t, session);
}

}  // namespace

TEST_CASE("render tracks: acid in full, tempo, kicks on schedule, loudness", "[render][tracks]") {
  check_track("acid");
}

TEST_CASE("render tracks: house in full, tempo, kicks on schedule, loudness", "[render][tracks]") {
  check_track("house");
}
