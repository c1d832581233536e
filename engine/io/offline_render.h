// Offline render: Composition → NRT score (through the live scheduler, driven by a manual
// clock as fast as possible) → scsynth -N → latency-compensated, loudness-normalised master
// and stems. Contract:
// - The score holds, at time 0, every compiled SynthDef, the mix (nrt_mix: one track per stem
//   group plus an effects-return track that carries the reverb and delay outputs) and the
//   groups' default sends; then, for every event, exactly one /s_new (and /n_set gate 0 at its
//   end for gated voices), placed by sched::Scheduler through NrtSink and ScsynthVoicer.
// - The master chain (master SynthDef) delays the mix by master_latency_frames(); the master
//   returned starts that many frames later, so onsets land on schedule in every output.
// - Stems (one per stem group, then "fx") are the dry group signals and the effects return;
//   they and `premaster` (the master bus before the master chain) are scaled by the master's
//   normalisation gain, so Σ stems = premaster up to float rounding.
// - Deterministic: the same composition and options give the same samples, bit for bit.
// Worker thread; allocates, spawns scsynth, blocks. Throws th::Error (scsynth missing or
// failing: its output quoted) or th::InputError (an instrument the table lacks).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/loudness.h"
#include "io/nrt_audio.h"
#include "io/nrt_ir.h"
#include "io/nrt_score.h"
#include "io/scsynth_voicer.h"
#include "music/composer.h"
#include "music/instruments.h"
#include "sched/scheduler.h"

namespace th::io {

struct OfflineRenderOptions {
  int sample_rate = 48000;
  bool stems = false;
  double tail_seconds = 3.0;  // after the last beat: releases, reverb and delay tails
  IrKind reverb = IrKind::hall;
  std::filesystem::path work_dir;      // score, IRs and the raw multichannel render go here
  std::filesystem::path synthdef_dir;  // empty: default_synthdef_dir()
  const music::InstrumentTable* instruments = nullptr;  // null: music::default_instruments()
  std::string scsynth;                                  // empty: $TH_SCSYNTH or scsynth on PATH
  bool normalize = true;
  NormalizeOptions loudness;
  std::int64_t lookahead_us = 50'000;  // the scheduler's, as live
  std::int64_t tick_us = 50'000;       // manual clock step
};

// stage ("schedule", "scsynth", "master", …) and its completed fraction in [0, 1].
using RenderProgress = std::function<void(std::string_view stage, double fraction)>;

struct ScoreBuild {
  NrtScore score;
  int output_channels = 2;
  int premaster_channel = -1;           // first of the pair; -1 without stems
  std::vector<std::string> stem_names;  // groups then "fx"; stem i on channels 2+2i, 3+2i
  std::size_t events = 0;
  VoicerStats voicer;
  sched::SchedulerStats scheduler;
  double music_seconds = 0;  // length of the composition
};

// The score alone (no scsynth). IR files are written into options.work_dir.
ScoreBuild build_score(const music::Composition& c, const OfflineRenderOptions& options,
                       const RenderProgress& progress = {});

struct Stem {
  std::string name;
  Audio audio;
};

struct OfflineRender {
  Audio master;
  Audio premaster;  // empty without stems
  std::vector<Stem> stems;
  NormalizeReport loudness;
  std::size_t events = 0;
  VoicerStats voicer;
  sched::SchedulerStats scheduler;
  int latency_frames = 0;
  double music_seconds = 0;
  double schedule_seconds = 0, scsynth_seconds = 0, post_seconds = 0;  // wall time
};

// The master chain's fixed delay (Limiter look-ahead 2 × 5 ms) in frames. Thread-safe.
int master_latency_frames(int sample_rate);

OfflineRender render_composition(const music::Composition& c, const OfflineRenderOptions& options,
                                 const RenderProgress& progress = {});

enum class AudioFileFormat { wav, flac };
// 24-bit PCM WAV or FLAC via libsndfile (clipping, no dither: the bytes are a pure function
// of the samples). Throws th::Error naming the file. Thread-safe.
void write_audio(const std::filesystem::path& path, const Audio& audio, AudioFileFormat format);

}  // namespace th::io
