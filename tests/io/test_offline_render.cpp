// The whole offline render on real scsynth (NRT): no event lost, kicks on time in the stems and
// in the latency-compensated master, loudness and true peak on target, clean audio, stems that
// sum to the pre-limiter master, byte-identical repeat renders, and the tempo aubio hears.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numeric>

#include "io/nrt_mix.h"
#include "io/offline_render.h"
#include "io/osc_reader.h"
#include "support.h"

using namespace th;
using namespace th::io;

namespace {

constexpr int kSr = 48000;

music::Event ev(Beats onset, Beats dur, const std::string& inst, double pitch, double vel = 0.9) {
  music::Event e;
  e.onset = onset;
  e.duration = dur;
  e.instrument = inst;
  e.pitch = pitch;
  e.velocity = vel;
  return e;
}

// An acid/house loop: kick on every beat, hats off the beat, a sliding 303 line in 16ths,
// a pad chord per bar and a voice.
music::Composition loop(int bars, double bpm, bool kicks_only = false) {
  music::Composition c;
  c.session = "test";
  c.length = Beats(4 * bars);
  c.tempo = {{0, bpm}};
  c.sections = {{"loop", "acid", 0, c.length}};
  const int line[16] = {45, 45, 57, 45, 48, 45, 55, 57, 45, 52, 45, 57, 43, 45, 60, 45};
  for (int b = 0; b < 4 * bars; ++b) {
    auto k = ev(b, Beats(1, 4), "kick", 36);
    k.params.set(music::Field::decay, 0.2);  // short tails: each kick starts after silence
    c.events.push_back(k);
    if (kicks_only) continue;
    c.events.push_back(ev(Beats(2 * b + 1, 2), Beats(1, 8), "hat", 42, 0.7));
    for (int s = 0; s < 4; ++s) {
      auto n = ev(Beats(4 * b + s, 4), Beats(1, 8), "tb303", line[(4 * b + s) % 16]);
      n.params.set(music::Field::cutoff, 300 + 150 * s);
      n.params.set(music::Field::resonance, 0.7);
      if (s == 1) n.params.set(music::Field::slide, 1.0);
      if (s == 2) n.params.set(music::Field::accent, 1.0);
      c.events.push_back(n);
    }
  }
  if (!kicks_only)
    for (int bar = 0; bar < bars; ++bar) {
      for (int p : {57, 60, 64}) c.events.push_back(ev(4 * bar, 4, "pad", p, 0.6));
      c.events.push_back(ev(4 * bar + 1, 1, "bell", 76, 0.5));
      auto v = ev(4 * bar + 2, 2, "alto", 64, 0.7);
      v.params.set(music::Field::reverb, 0.4);
      c.events.push_back(v);
    }
  music::sort_events(c.events);
  return c;
}

OfflineRenderOptions options(const std::string& name, bool stems) {
  OfflineRenderOptions o;
  o.sample_rate = kSr;
  o.stems = stems;
  o.tail_seconds = 1.0;
  o.work_dir = th::test::scratch("offline_render_" + name);
  return o;
}

std::vector<float> mono(const Audio& a) {
  std::vector<float> m(a.frames());
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = 0.5f * (a.at(i, 0) + a.at(i, 1));
  return m;
}

// Where the signal first rises above `thresh` after 20 ms below thresh/10, walked back (at
// most 5 ms) to the first sample above thresh/1000.
std::vector<double> onsets(const std::vector<float>& x, double thresh) {
  std::vector<double> out;
  std::size_t quiet = kSr;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float v = std::abs(x[i]);
    if (v > thresh && quiet >= std::size_t(kSr / 50)) {
      std::size_t j = i;
      while (j > 0 && i - j < kSr / 200 && std::abs(x[j - 1]) > thresh / 1000) --j;
      out.push_back(double(j) / kSr);
    }
    quiet = v < thresh / 10 ? quiet + 1 : (v > thresh ? 0 : quiet);
  }
  return out;
}

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

std::size_t count_notes(const std::filesystem::path& score) {
  const std::string s = bytes_of(score);
  auto msgs = read_nrt_score(std::span(reinterpret_cast<const std::byte*>(s.data()), s.size()));
  std::size_t n = 0;
  for (const auto& m : msgs)
    if (m.message.address == "/s_new" &&
        std::get<std::int32_t>(m.message.args.at(1)) >= MixLayout::kFirstFreeNode)
      ++n;
  return n;
}

}  // namespace

TEST_CASE("offline render: an acid loop, every property of the result", "[render]") {
  const auto comp = loop(2, 128);  // 3.75 s of music
  auto o = options("loop", true);
  const OfflineRender r = render_composition(comp, o);

  SECTION("no event is lost") {
    CHECK(r.events == comp.events.size());
    CHECK(r.voicer.notes == comp.events.size());
    CHECK(count_notes(o.work_dir / "score.osc") == comp.events.size());
    CHECK(r.scheduler.late == 0);
    CHECK(r.scheduler.dropped == 0);
    CHECK(r.voicer.unknown == 0);
    CHECK(r.voicer.untracked == 0);
  }
  SECTION("kicks in the drums stem within 2 ms of their scheduled times") {
    REQUIRE(r.stems.size() == 6);
    CHECK(r.stems[0].name == "drums");
    CHECK(r.stems[5].name == "fx");
    // Kicks peak far above the hats: a threshold between the two finds only kicks.
    const auto drums = mono(r.stems[0].audio);
    const auto got = onsets(drums, 0.4 * sample_peak(drums));
    std::vector<double> want;
    for (const auto& e : comp.events)
      if (e.instrument == "kick") want.push_back(comp.seconds_at(e.onset));
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO("kick " << i << " at " << want[i] << " s, heard at " << got[i] << " s");
      CHECK(std::abs(got[i] - want[i]) < 0.002);
    }
  }
  SECTION("master: -14 LUFS ±1, true peak ≤ -1 dBTP, finite, no DC, no clipping") {
    const auto& s = r.master.samples;
    CHECK(r.master.channels == 2);
    CHECK(r.master.sample_rate == kSr);
    CHECK(integrated_lufs(s, 2, kSr) == Approx(-14.0).margin(1.0));
    CHECK(gain_to_db(true_peak(s, 2)) <= -1.0);
    CHECK(r.loudness.output_lufs == Approx(integrated_lufs(s, 2, kSr)).margin(1e-9));
    for (float v : s) REQUIRE(std::isfinite(v));
    for (int c = 0; c < 2; ++c) {
      double mean = 0;
      for (std::size_t i = 0; i < r.master.frames(); ++i) mean += r.master.at(i, c);
      mean /= double(r.master.frames());
      CHECK(std::abs(mean) < 1e-3);
    }
    CHECK(sample_peak(s) < db_to_gain(-1.0));
  }
  SECTION("stems sum to the pre-limiter master within -60 dB") {
    REQUIRE(r.premaster.frames() == r.stems[0].audio.frames());
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < r.premaster.samples.size(); ++i) {
      double sum = 0;
      for (const auto& st : r.stems) sum += st.audio.samples[i];
      err += (sum - r.premaster.samples[i]) * (sum - r.premaster.samples[i]);
      ref += double(r.premaster.samples[i]) * r.premaster.samples[i];
    }
    REQUIRE(ref > 0);
    INFO("residual " << 10 * std::log10(err / ref + 1e-300) << " dB");
    CHECK(10 * std::log10(err / ref + 1e-300) < -60.0);
    for (const auto& st : r.stems) {
      INFO(st.name);
      CHECK(sample_peak(st.audio.samples) > 1e-3);  // every group plays
    }
  }
  SECTION("a second render writes byte-identical files") {
    auto o2 = options("loop_again", true);
    const OfflineRender r2 = render_composition(comp, o2);
    const auto dir = th::test::scratch("offline_render_files");
    write_audio(dir / "a.wav", r.master, AudioFileFormat::wav);
    write_audio(dir / "b.wav", r2.master, AudioFileFormat::wav);
    write_audio(dir / "a.flac", r.stems[1].audio, AudioFileFormat::flac);
    write_audio(dir / "b.flac", r2.stems[1].audio, AudioFileFormat::flac);
    CHECK(bytes_of(dir / "a.wav").size() > 1000);
    CHECK((bytes_of(dir / "a.wav") == bytes_of(dir / "b.wav")));
    CHECK((bytes_of(dir / "a.flac") == bytes_of(dir / "b.flac")));
    CHECK(bytes_of(o.work_dir / "score.osc").size() > 0);
    auto back = read_wav(dir / "a.wav");
    CHECK(back.frames() == r.master.frames());
  }
}

TEST_CASE("offline render: master onsets land on schedule (latency compensated)", "[render]") {
  const auto comp = loop(1, 120, /*kicks_only=*/true);
  auto o = options("kicks", false);
  o.normalize = false;
  // Dry drums: the reverb tail would hide where each kick starts from the onset detector.
  const auto& def = music::default_instruments();
  auto groups = def.groups();
  for (auto& g : groups) g.reverb = g.delay = 0;
  const music::InstrumentTable dry(def.file(), groups, def.instruments());
  o.instruments = &dry;
  const OfflineRender r = render_composition(comp, o);
  CHECK(r.stems.empty());
  CHECK(r.latency_frames == 480);
  const auto got = onsets(mono(r.master), 0.05);
  REQUIRE(got.size() == 4);
  for (int i = 0; i < 4; ++i) {
    INFO("kick " << i << " heard at " << got[i]);
    CHECK(std::abs(got[i] - 0.5 * i) < 0.002);
  }
}

TEST_CASE("offline render: aubio hears the loop's tempo within 1 BPM", "[render][aubio]") {
  if (std::system("command -v aubio > /dev/null 2>&1") != 0) {
    WARN("aubio not installed: tempo not checked");
    return;
  }
  // `aubio tempo` needs far more than a test-length render to settle (30 s of this loop read
  // 127.1 BPM, 15 s read 125.6), so the tempo comes from `aubio onset` on the drums stem: kicks
  // and off-beat hats, one onset every half beat, timed from first to last.
  const auto comp = loop(4, 128);  // 7.5 s
  auto o = options("tempo", true);
  const OfflineRender r = render_composition(comp, o);
  const auto wav = o.work_dir / "drums.wav";
  write_audio(wav, r.stems[0].audio, AudioFileFormat::wav);
  const auto cmd = "aubio onset -i '" + wav.string() + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::vector<double> t;
  for (double v; std::fscanf(p, "%lf", &v) == 1;) t.push_back(v);
  pclose(p);
  REQUIRE(t.size() == 32);  // 16 kicks + 16 hats
  const double bpm = 60.0 * double(t.size() - 1) / (t.back() - t.front()) / 2.0;
  INFO("aubio onsets give " << bpm << " BPM");
  CHECK(bpm == Approx(128).margin(1.0));
}
