#include "io/offline_render.h"

#include <fmt/format.h>
#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "io/nrt_mix.h"
#include "io/nrt_sink.h"
#include "io/scsynth_commands.h"
#include "io/scsynth_nrt.h"
#include "io/scsynth_synthdefs.h"
#include "sched/clocks.h"
#include "sched/program.h"
#include "sched/program_builder.h"
#include "sched/timeline.h"

namespace th::io {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double beats_to_double(Beats b) {
  return static_cast<double>(b.num()) / static_cast<double>(b.den());
}

constexpr std::int32_t kPremasterNode = 2999;
constexpr std::int32_t kSeedNode = 2998;
constexpr int kRandSeed = 1770;
// rand_seed seeds the generator when the first block is computed, after the constructors of
// synths started in the same bundle have drawn from it: the music starts two blocks later and
// the outputs are trimmed by as much.
constexpr int kPrerollFrames = 128;

// Every instrument the composition uses must be in the table: fail before scsynth runs.
void check_instruments(const music::Composition& c, const music::InstrumentTable& t) {
  for (const auto& e : c.events)
    if (!t.find(e.instrument)) (void)t.at(e.instrument, "composition '" + c.session + "'");
}

Audio channels_of(const Audio& raw, int first, int count, std::size_t skip = 0) {
  Audio a;
  a.sample_rate = raw.sample_rate;
  a.channels = count;
  const std::size_t n = raw.frames();
  a.samples.assign(n * static_cast<std::size_t>(count), 0.0f);
  for (std::size_t i = skip; i < n; ++i)
    for (int c = 0; c < count; ++c) a.samples[(i - skip) * count + c] = raw.at(i, first + c);
  return a;
}

// One-pole DC blocker at 5 Hz (-3 dB), per channel, from rest: square waves and asymmetric
// saturation leave a small offset that the meters and speakers should not see.
void remove_dc(Audio& a) {
  const double r = 1.0 - 2.0 * 3.141592653589793 * 5.0 / a.sample_rate;
  for (int c = 0; c < a.channels; ++c) {
    double x1 = 0, y1 = 0;
    for (std::size_t i = 0; i < a.frames(); ++i) {
      float& v = a.samples[i * a.channels + c];
      const double y = v - x1 + r * y1;
      x1 = v;
      y1 = y;
      v = static_cast<float>(y);
    }
  }
}

}  // namespace

int master_latency_frames(int sample_rate) {
  return static_cast<int>(std::lround(0.010 * sample_rate));
}

ScoreBuild build_score(const music::Composition& comp, const OfflineRenderOptions& o,
                       const RenderProgress& progress) {
  const music::InstrumentTable& table =
      o.instruments ? *o.instruments : music::default_instruments();
  check_instruments(comp, table);
  if (comp.length <= Beats(0)) throw Error("render: the composition is empty (length 0)", 1);
  const auto defs =
      read_synthdef_dir(o.synthdef_dir.empty() ? default_synthdef_dir() : o.synthdef_dir);

  ScoreBuild b;
  add_synthdefs(b.score, defs);
  // Seeds the random generator every noise UGen draws from (scsynth seeds it from the clock):
  // the first synth of the score, so two renders are identical.
  const sc::Control seed[] = {{"seed", float(kRandSeed)}};
  b.score.add(0.0, sc::s_new("rand_seed", kSeedNode, sc::AddAction::head, 0, seed));
  const int groups = static_cast<int>(table.groups().size());
  const int fx = groups;  // the effects-return track
  MixOptions mo;
  mo.tracks = groups + 1;
  mo.stems = o.stems;
  mo.reverb = o.reverb;
  mo.sample_rate = o.sample_rate;
  mo.work_dir = o.work_dir;
  const MixLayout L = add_mix(b.score, mo);
  b.output_channels = L.output_channels;
  for (const auto& g : table.groups()) b.stem_names.push_back(g.name);
  b.stem_names.push_back("fx");

  // Reverb and delay feed the fx track, whose strip (moved after them) returns them to the
  // master bus, so the effects return is a stem like the others.
  const double bpm0 = sched::initial_tempo(comp);
  const sc::Control to_fx[] = {{"out", float(L.track_bus[fx])}};
  b.score.add(0.0, sc::n_set(L.reverb_node, to_fx));
  const sc::Control dly[] = {{"out", float(L.track_bus[fx])},
                             {"time", float(0.75 * 60.0 / bpm0)}};  // dotted eighth
  b.score.add(0.0, sc::n_set(L.delay_node, dly));
  b.score.add(0.0, OscMessage{"/n_after", {L.strip_node[fx], L.delay_node}});
  if (o.stems) {
    b.score.add(0.0, OscMessage{"/n_after", {L.stem_node[fx], L.strip_node[fx]}});
    b.premaster_channel = L.output_channels;
    b.output_channels = L.output_channels + 2;
    const sc::Control pre[] = {{"in", float(L.master_bus)}, {"out", float(b.premaster_channel)}};
    b.score.add(0.0, sc::s_new("strip", kPremasterNode, sc::AddAction::tail, L.kFxGroup, pre));
  }
  for (int g = 0; g < groups; ++g) {
    const auto& sg = table.groups()[static_cast<std::size_t>(g)];
    const sc::Control sends[] = {{"rev", float(sg.reverb)}, {"dly", float(sg.delay)}};
    b.score.add(0.0, sc::n_set(L.strip_node[static_cast<std::size_t>(g)], sends));
  }

  VoicerLayout vl;
  for (int g = 0; g < groups; ++g) {
    vl.group_node.push_back(L.track_group[static_cast<std::size_t>(g)]);
    vl.group_bus.push_back(L.track_bus[static_cast<std::size_t>(g)]);
    vl.strip_node.push_back(L.strip_node[static_cast<std::size_t>(g)]);
  }
  vl.first_node = MixLayout::kFirstFreeNode;
  ScsynthVoicer voicer(table, defs, vl);

  const auto program = sched::make_program(comp);
  sched::ManualClock clock(0);
  sched::TempoTimeline timeline(bpm0, 0);
  NrtSink sink(b.score, voicer, timeline, 0, static_cast<double>(kPrerollFrames) / o.sample_rate);
  sched::Scheduler scheduler(clock, timeline, sink, {o.lookahead_us});
  scheduler.start(program.get());  // its tempo map: the scheduler follows it, as live
  const double total = beats_to_double(comp.length);
  double shown = -1;
  for (sched::HostMicros t = 0;; t += o.tick_us) {
    clock.set(t);
    scheduler.tick();
    if (progress) {
      const double f = std::min(1.0, beats_to_double(scheduler.cursor()) / total);
      if (f - shown >= 0.01) progress("schedule", shown = f);
    }
    if (scheduler.cursor() > comp.length) break;
  }
  scheduler.stop();
  while (scheduler.take_retired()) {
  }
  b.events = comp.events.size();
  b.voicer = voicer.stats();
  b.scheduler = scheduler.stats();
  b.music_seconds = sink.seconds(timeline.time_at_beat(comp.length));
  b.score.set_end(std::max(b.music_seconds + o.tail_seconds, sink.last_seconds() + 0.5));
  return b;
}

OfflineRender render_composition(const music::Composition& comp, const OfflineRenderOptions& o,
                                 const RenderProgress& progress) {
  if (o.work_dir.empty()) throw Error("render: a work folder is required", 1);
  fs::create_directories(o.work_dir);
  OfflineRender r;
  auto t0 = Clock::now();
  ScoreBuild b = build_score(comp, o, progress);
  const fs::path score = o.work_dir / "score.osc", raw_path = o.work_dir / "raw.wav";
  b.score.write(score);
  r.schedule_seconds = since(t0);
  r.events = b.events;
  r.voicer = b.voicer;
  r.scheduler = b.scheduler;
  r.music_seconds = b.music_seconds;

  if (progress) progress("scsynth", 0.0);
  t0 = Clock::now();
  NrtRenderOptions ro;
  ro.sample_rate = o.sample_rate;
  ro.channels = b.output_channels;
  ro.format = SampleFormat::float32;
  ro.scsynth = o.scsynth;
  render_nrt(score, raw_path, ro);
  r.scsynth_seconds = since(t0);
  if (progress) progress("scsynth", 1.0);

  t0 = Clock::now();
  Audio raw = read_wav(raw_path);
  if (raw.channels != b.output_channels)
    throw Error(fmt::format("render: scsynth wrote {} channels, expected {}", raw.channels,
                            b.output_channels),
                1);
  r.latency_frames = master_latency_frames(o.sample_rate);
  const auto skip = static_cast<std::size_t>(kPrerollFrames);
  const std::size_t master_skip = skip + static_cast<std::size_t>(r.latency_frames);
  if (raw.channels == 2) {  // the master alone: shift in place (as channels_of, zeros at the end)
    const std::size_t size = raw.samples.size();
    const auto first = static_cast<std::ptrdiff_t>(std::min(size, 2 * master_skip));
    raw.samples.erase(raw.samples.begin(), raw.samples.begin() + first);
    raw.samples.resize(size, 0.0f);
    r.master = std::move(raw);
  } else {
    r.master = channels_of(raw, 0, 2, master_skip);
  }
  if (progress) progress("master", 0.0);
  remove_dc(r.master);
  if (o.normalize) {
    r.loudness = normalize_master(r.master.samples, 2, o.sample_rate, o.loudness);
  } else {
    r.loudness.input_lufs = r.loudness.output_lufs =
        integrated_lufs(r.master.samples, 2, o.sample_rate);
    r.loudness.input_true_peak_dbtp = r.loudness.output_true_peak_dbtp =
        gain_to_db(true_peak(r.master.samples, 2));
  }
  if (progress) progress("master", 1.0);
  const float gain = r.loudness.silent ? 1.0f : static_cast<float>(db_to_gain(r.loudness.gain_db));
  if (o.stems) {
    for (std::size_t i = 0; i < b.stem_names.size(); ++i) {
      Stem s{b.stem_names[i], channels_of(raw, 2 + 2 * static_cast<int>(i), 2, skip)};
      for (float& v : s.audio.samples) v *= gain;
      r.stems.push_back(std::move(s));
    }
    r.premaster = channels_of(raw, b.premaster_channel, 2, skip);
    for (float& v : r.premaster.samples) v *= gain;
  }
  r.post_seconds = since(t0);
  return r;
}

void write_audio(const fs::path& path, const Audio& a, AudioFileFormat format) {
  SF_INFO info{};
  info.samplerate = a.sample_rate;
  info.channels = a.channels;
  info.format =
      (format == AudioFileFormat::flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_24;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw Error("cannot write audio " + path.string() + ": " + sf_strerror(nullptr), 1);
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const auto frames = static_cast<sf_count_t>(a.frames());
  const sf_count_t got = sf_writef_float(f, a.samples.data(), frames);
  const int rc = sf_close(f);
  if (got != frames || rc != 0) throw Error("short write to " + path.string(), 1);
}

}  // namespace th::io
