// Real scsynth in NRT mode: renders short scores and measures the audio (onset times, pitch,
// level, silence, NaN) against what the score asked for. Needs scsynth (supercollider-server).
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "io/nrt_audio.h"
#include "io/nrt_mix.h"
#include "io/nrt_score.h"
#include "io/scsynth_commands.h"
#include "io/scsynth_nrt.h"
#include "io/scsynth_synthdefs.h"
#include "support.h"

using namespace th::io;
using sc::AddAction;
using C = sc::Control;

namespace {

constexpr int kSr = 48000;

Audio render(const std::string& name, NrtScore& score, int channels = 2,
             NrtRenderResult* result = nullptr) {
  auto dir = th::test::scratch("nrt_render_" + name);
  score.write(dir / "score.osc");
  NrtRenderOptions o;
  o.sample_rate = kSr;
  o.channels = channels;
  o.format = SampleFormat::float32;
  auto r = render_nrt(dir / "score.osc", dir / "out.wav", o);
  if (result) *result = r;
  return read_wav(dir / "out.wav");
}

NrtScore score_with_defs() {
  NrtScore s;
  add_synthdefs(s, read_synthdef_dir(default_synthdef_dir()));
  return s;
}

// The two-track mix with stems (the master on channels 0-1, stem k on 2 + 2k), its work files in
// `dir`, and track 1's reverb send at `track1_reverb`.
MixLayout two_track_mix(NrtScore& s, const std::filesystem::path& dir, float track1_reverb) {
  MixOptions o;
  o.tracks = 2;
  o.stems = true;
  o.work_dir = dir;
  o.sample_rate = kSr;
  MixLayout L = add_mix(s, o);
  const C strip[] = {{"rev", track1_reverb}};
  s.add(0.0, sc::n_set(L.strip_node[1], strip));
  return L;
}

// One channel of `a`.
std::vector<float> channel(const Audio& a, int c) {
  std::vector<float> x(a.frames());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = a.at(i, c);
  return x;
}

// Mono mix-down of channel pairs 0-1.
std::vector<float> mono(const Audio& a) {
  std::vector<float> m(a.frames());
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = 0.5f * (a.at(i, 0) + a.at(i, 1));
  return m;
}

double rms(const std::vector<float>& x, double t0, double t1) {
  auto a = std::size_t(t0 * kSr), b = std::min(x.size(), std::size_t(t1 * kSr));
  double e = 0;
  for (std::size_t i = a; i < b; ++i) e += double(x[i]) * x[i];
  return b > a ? std::sqrt(e / double(b - a)) : 0.0;
}

double peak(const std::vector<float>& x, double t0, double t1) {
  auto a = std::size_t(t0 * kSr), b = std::min(x.size(), std::size_t(t1 * kSr));
  double p = 0;
  for (std::size_t i = a; i < b; ++i) p = std::max(p, double(std::abs(x[i])));
  return p;
}

bool all_finite(const Audio& a) {
  return std::all_of(a.samples.begin(), a.samples.end(), [](float v) { return std::isfinite(v); });
}

// Onsets: where the signal first rises above `thresh` after at least 20 ms below thresh/10,
// walked back (at most 5 ms) to the first sample above thresh/1000: the start of the attack.
std::vector<double> onsets(const std::vector<float>& x, double thresh) {
  std::vector<double> out;
  std::size_t quiet = 0;
  const std::size_t need = kSr / 50;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float v = std::abs(x[i]);
    if (v > thresh && quiet >= need) {
      std::size_t j = i;
      while (j > 0 && i - j < kSr / 200 && std::abs(x[j - 1]) > thresh / 1000) --j;
      out.push_back(double(j) / kSr);
    }
    quiet = v < thresh / 10 ? quiet + 1 : (v > thresh ? 0 : quiet);
  }
  return out;
}

// Fundamental by normalised autocorrelation over [t0, t1), searching periods for 40-1000 Hz,
// refined by parabolic interpolation around the best lag.
double pitch_hz(const std::vector<float>& x, double t0, double t1) {
  const auto a = std::size_t(t0 * kSr), n = std::size_t((t1 - t0) * kSr) / 2;
  auto corr = [&](std::size_t lag) {
    double s = 0, e0 = 0, e1 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      s += double(x[a + i]) * x[a + i + lag];
      e0 += double(x[a + i]) * x[a + i];
      e1 += double(x[a + i + lag]) * x[a + i + lag];
    }
    return s / std::sqrt(e0 * e1 + 1e-30);
  };
  const std::size_t lo = kSr / 1000, hi = kSr / 40;
  std::vector<double> c(hi + 2);
  for (std::size_t l = lo - 1; l <= hi + 1; ++l) c[l] = corr(l);
  // First lag whose correlation is within 2% of the best: avoids octave-down errors.
  double best = *std::max_element(c.begin() + lo, c.begin() + hi);
  std::size_t lag = lo;
  for (std::size_t l = lo; l <= hi; ++l)
    if (c[l] >= best - 0.02 && c[l] >= c[l - 1] && c[l] >= c[l + 1]) {
      lag = l;
      break;
    }
  const double y0 = c[lag - 1], y1 = c[lag], y2 = c[lag + 1];
  const double d = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2);
  return kSr / (double(lag) + d);
}

double cents(double f, double ref) {
  return 1200 * std::log2(f / ref);
}

}  // namespace

TEST_CASE("nrt render: four kicks at 120 BPM land on their scheduled samples") {
  NrtScore s = score_with_defs();
  // 0.2031 s = 9748.8 samples: not on a 64-sample block, so OffsetOut must do the work.
  const double t0 = 0.2031;
  std::vector<double> times;
  for (int k = 0; k < 4; ++k) {
    times.push_back(t0 + 0.5 * k);
    const C c[] = {{"amp", 0.7f}};
    s.add(times.back(), sc::s_new("kick909", -1, AddAction::head, 0, c));
  }
  s.set_end(2.8);
  Audio a = render("kicks", s);
  REQUIRE(a.sample_rate == kSr);
  REQUIRE(a.channels == 2);
  // scsynth renders whole 64-sample blocks, one past the end bundle's block.
  CHECK(a.frames() >= std::size_t(2.8 * kSr));
  CHECK(a.frames() <= std::size_t(2.8 * kSr) + 128);
  REQUIRE(all_finite(a));
  auto m = mono(a);
  auto got = onsets(m, 0.05);
  REQUIRE(got.size() == 4);
  for (int k = 0; k < 4; ++k) {
    INFO("kick " << k << " scheduled " << times[k] << " s, heard " << got[k] << " s");
    CHECK(std::abs(got[k] - times[k]) < 0.002);
    CHECK(std::abs(got[k] - times[k]) <= 1.0 / kSr);  // measured: sample-accurate
  }
  CHECK(peak(m, 0, t0 - 0.001) == 0.0);         // silence before the first kick
  CHECK(peak(m, times[3] + 0.47, 2.8) < 1e-4);  // and after the last one has decayed
  const double p = peak(m, 0, 2.8);
  CHECK(p > 0.4);
  CHECK(p < 0.99);  // no clipping
  const double r = rms(m, times[0], times[0] + 0.45);
  CHECK(r > 0.1);
  CHECK(r < 0.5);
}

TEST_CASE("nrt render: tb303 notes sound at their pitch, slide reaches the target") {
  NrtScore s = score_with_defs();
  const C n1[] = {{"freq", 110.0f}, {"sustain", 0.8f}, {"res", 0.3f}, {"cutoff", 800.0f}};
  s.add(0.1, sc::s_new("tb303", -1, AddAction::head, 0, n1));
  const C n2[] = {{"freq", 146.83f}, {"sustain", 0.8f},     {"wave", 1.0f}, {"accent", 1.0f},
                  {"slide", 0.08f},  {"from_freq", 110.0f}, {"res", 0.3f}};
  s.add(1.2, sc::s_new("tb303", -1, AddAction::head, 0, n2));
  s.set_end(2.4);
  Audio a = render("tb303", s);
  REQUIRE(all_finite(a));
  auto m = mono(a);
  const double f1 = pitch_hz(m, 0.4, 0.8), f2 = pitch_hz(m, 1.5, 1.9);
  INFO("measured " << f1 << " Hz and " << f2 << " Hz");
  CHECK(std::abs(cents(f1, 110.0)) < 5);
  CHECK(std::abs(cents(f2, 146.83)) < 5);
  CHECK(peak(m, 0, 0.099) == 0.0);
  CHECK(peak(m, 0.95, 1.19) < 1e-4);  // released and freed between the notes
  CHECK(peak(m, 2.1, 2.4) < 1e-4);
  CHECK(peak(m, 0, 2.4) < 0.99);
  // The accented square is louder than the plain saw.
  CHECK(rms(m, 1.25, 1.9) > 1.2 * rms(m, 0.15, 0.8));
}

TEST_CASE("nrt render: every instrument plays a note and frees itself") {
  auto defs = read_synthdef_dir(default_synthdef_dir());
  NrtScore s;
  add_synthdefs(s, defs);
  const double slot = 4.0;
  std::vector<std::string> names;
  for (const auto& f : defs) {
    const auto& d = f.defs[0];
    if (d.has_control("in")) continue;    // mixing/effects defs run for the whole piece
    if (!d.has_control("out")) continue;  // utilities (rand_seed) make no sound
    const double t = 0.05 + slot * double(names.size());
    const std::int32_t node = 20000 + std::int32_t(names.size());
    names.push_back(d.name);
    const C c[] = {{"freq", 220.0f}, {"sustain", 0.4f}, {"dur", 0.5f}};
    s.add(t, sc::s_new(d.name, node, AddAction::head, 0, c));
    // Reusing the node id near the slot's end fails loudly ("duplicate node ID") if the
    // synth is still alive; strict rendering turns that into an exception.
    const C probe[] = {{"amp", 0.0f}, {"sustain", 0.001f}};
    s.add(t + slot - 0.3, sc::s_new("sine", node, AddAction::head, 0, probe));
  }
  REQUIRE(names.size() == 22);
  s.set_end(slot * double(names.size()));
  NrtRenderResult res;
  Audio a = render("all_defs", s, 2, &res);
  REQUIRE(all_finite(a));
  CHECK(res.failures.empty());
  auto m = mono(a);
  for (std::size_t k = 0; k < names.size(); ++k) {
    const double t = 0.05 + slot * double(k);
    INFO(names[k] << " rms " << rms(m, t, t + 0.5) << " peak " << peak(m, t, t + slot - 0.35)
                  << " tail " << peak(m, t + slot - 0.7, t + slot - 0.3));
    // Audible: short percussion (a closed hat) has little RMS over half a second, and its noise
    // source differs per run here (no rand_seed in this score), so the floor is well below it.
    CHECK(rms(m, t, t + 0.5) > 0.002);
    CHECK(peak(m, t, t + slot) > 0.02);
    CHECK(peak(m, t, t + slot) < 0.99);
    CHECK(peak(m, t + slot - 0.7, t + slot - 0.3) < 1e-4);
  }
}

TEST_CASE("nrt render: duplicate node ids are reported as failures") {
  NrtScore s = score_with_defs();
  const C c[] = {{"sustain", 1.0f}};
  s.add(0.1, sc::s_new("sine", 5000, AddAction::head, 0, c));
  s.add(0.2, sc::s_new("sine", 5000, AddAction::head, 0, c));
  s.set_end(1.5);
  CHECK_THROWS_WITH(render("dup", s), Catch::Contains("duplicate node ID"));
}

TEST_CASE("nrt render: full mix with convolution reverb, delay, master and stems") {
  NrtScore s = score_with_defs();
  MixLayout L = two_track_mix(s, th::test::scratch("nrt_render_mix_ir"), 0.5f);
  const C kick[] = {{"out", float(L.track_bus[0])}};
  s.add(0.5, sc::s_new("kick909", -1, AddAction::tail, L.track_group[0], kick));
  const C bell[] = {{"out", float(L.track_bus[1])}, {"freq", 660.0f}, {"decay", 0.5f}};
  s.add(1.5, sc::s_new("bell", -1, AddAction::tail, L.track_group[1], bell));
  s.set_end(4.5);
  Audio a = render("mix", s, L.output_channels);
  REQUIRE(a.channels == 6);
  REQUIRE(all_finite(a));
  const auto mix = channel(a, 0), stem0 = channel(a, 2), stem1 = channel(a, 4);
  // Stems are dry and exactly timed; the master adds the limiter's 10 ms look-ahead.
  auto on0 = onsets(stem0, 0.05);
  REQUIRE(on0.size() == 1);
  CHECK(std::abs(on0[0] - 0.5) <= 1.0 / kSr);
  CHECK(peak(stem0, 1.0, 4.5) < 1e-4);
  CHECK(peak(stem1, 0, 1.499) == 0.0);
  CHECK(rms(stem1, 1.5, 2.0) > 0.005);
  auto onm = onsets(mix, 0.05);
  REQUIRE(!onm.empty());
  CHECK(std::abs(onm[0] - 0.510) < 0.002);
  CHECK(peak(mix, 0, 4.5) < 0.96);  // limiter ceiling 0.95
  // The bell's reverb tail rings on after the dry bell has ended (stem silent), in the mix.
  CHECK(peak(stem1, 2.9, 3.3) < 1e-4);
  const double tail = rms(mix, 2.9, 3.3);
  INFO("reverb tail rms " << tail);
  CHECK(tail > 1e-4);
}

TEST_CASE("nrt render: the split reverb equals one long convolution with the whole IR") {
  // Two renders of one kick through the reverb (routed to output pair 2-3): the mix's head +
  // tail partitions, and the whole IR in 1024-frame partitions with a silent tail (the layout
  // before the split). The outputs agree to float rounding, so the split changes no sound.
  const auto reverb_of = [](bool whole) {
    auto dir = th::test::scratch(whole ? "nrt_reverb_whole_ir" : "nrt_reverb_split_ir");
    NrtScore s = score_with_defs();
    const C seed[] = {{"seed", 7.0f}};
    s.add(0.0, sc::s_new("rand_seed", 2998, AddAction::head, 0, seed));
    MixLayout L = two_track_mix(s, dir, 1.0f);
    const C rev[] = {{"out", 2.0f}, {"lowcut", 20.0f}};  // track 0's stem pair, silent
    s.add(0.0, sc::n_set(L.reverb_node, rev));
    if (whole) {
      for (int ch = 0; ch < 2; ++ch) {
        const auto path = dir / ("ir-hall-" + std::to_string(ch) + "-48000.wav");
        s.add(0.0, sc::b_alloc_read(20 + ch, path.string()));
        s.add(0.0, sc::b_alloc(22 + ch, sc::partconv_spec_frames(144000, 2048), 1));
        s.add(0.0, sc::b_gen_prepare_partconv(22 + ch, 20 + ch, 2048));
      }
      s.add(0.0, sc::b_alloc(24, 8, 1));  // a silent tail
      s.add(0.0, sc::b_alloc(25, sc::partconv_spec_frames(8, 16384), 1));
      s.add(0.0, sc::b_gen_prepare_partconv(25, 24, 16384));
      const C bufs[] = {{"buf_l", 22.0f}, {"buf_r", 23.0f}, {"tail_l", 25.0f}, {"tail_r", 25.0f}};
      s.add(0.0, sc::n_set(L.reverb_node, bufs));
    }
    const C kick[] = {{"out", float(L.track_bus[1])}};
    s.add(0.25, sc::s_new("kick909", -1, AddAction::tail, L.track_group[1], kick));
    s.set_end(3.6);
    NrtRenderResult res;
    Audio a = render(whole ? "rev_whole" : "rev_split", s, L.output_channels, &res);
    CHECK(res.failures.empty());
    return a;
  };
  const Audio split = reverb_of(false), whole = reverb_of(true);
  REQUIRE(split.frames() == whole.frames());
  REQUIRE(all_finite(split));
  for (int c : {2, 3}) {
    const auto a = channel(split, c), b = channel(whole, c);
    double ea = 0, ed = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      ea += double(b[i]) * b[i];
      ed += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    }
    const double residual_db = 10 * std::log10(ed / ea);
    INFO("channel " << c << " residual " << residual_db << " dB");
    CHECK(residual_db < -100.0);
    // Both ring on well past the head (7168 frames ≈ 0.15 s after the kick): the tail is there.
    CHECK(rms(a, 1.5, 2.5) > 1e-3 * rms(a, 0.25, 0.5));
    CHECK(rms(b, 1.5, 2.5) > 1e-3 * rms(b, 0.25, 0.5));
  }
}

TEST_CASE("nrt render: missing scsynth and bad scores are clear errors") {
  auto dir = th::test::scratch("nrt_render_errors");
  NrtScore s;
  s.add(0.0, sc::s_new("no_such_def", -1, AddAction::head, 0));
  s.set_end(0.1);
  s.write(dir / "score.osc");
  NrtRenderOptions o;
  o.scsynth = "/nonexistent/scsynth";
  CHECK_THROWS_WITH(render_nrt(dir / "score.osc", dir / "out.wav", o),
                    Catch::Contains("cannot run /nonexistent/scsynth"));
  CHECK_THROWS_WITH(render_nrt(dir / "score.osc", dir / "out.wav"),
                    Catch::Contains("SynthDef not found"));
  CHECK_THROWS_WITH(render_nrt(dir / "missing.osc", dir / "out.wav"), Catch::Contains("no score"));
}
