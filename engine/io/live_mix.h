// The live server's mixing desk: the same group tree, buses, strips, reverb, delay and master
// as an offline render (nrt_mix.h, offline_render.cpp), as a list of time-0 messages for
// ScsynthClient::setup, plus the voicer layout that places instrument synths in it.
// Contract: tracks = one per stem group of the instrument table + an effects return; the
// reverb and delay write to the effects-return strip, which runs after them; each group strip
// gets its default sends. Optionally a recorder (DiskOut of the master output pair into a WAV
// file) at the tail of the master group. Worker thread; allocates; writes the IR WAVs into
// work_dir (scsynth reads them, so the folder must be local to the server).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "io/nrt_mix.h"
#include "io/nrt_score.h"
#include "io/osc_types.h"
#include "io/scsynth_voicer.h"
#include "music/instruments.h"

namespace th::io {

struct LiveMix {
  NrtScore setup;  // every message at time 0, in the order to send
  MixLayout layout;
  VoicerLayout voicer;
  static constexpr std::int32_t kRecordBuffer = 90, kRecordNode = 4090;
};

struct LiveMixOptions {
  std::filesystem::path work_dir;
  int sample_rate = 48000;
  double tempo = 120;  // sets the delay time (dotted eighth)
  IrKind reverb = IrKind::hall;
};

// Throws th::Error if an IR cannot be written.
LiveMix build_live_mix(const music::InstrumentTable& table, const LiveMixOptions& options);

// Messages that start recording the master output (channels 0-1) into `wav` (int16) and stop
// it. The `diskout` SynthDef (recorder_synthdef_file()) must
// be loaded. Thread-safe; allocate.
std::vector<OscMessage> record_start(const std::filesystem::path& wav);
std::vector<OscMessage> record_stop();

// sclang/record/compiled/diskout.scsyndef, found like default_synthdef_dir() (next to it).
// Thread-safe.
std::filesystem::path recorder_synthdef_file();

// Messages that free everything this desk created (before a new setup on a server that may
// still hold an old one). Thread-safe; allocates.
std::vector<OscMessage> free_mix();

}  // namespace th::io
