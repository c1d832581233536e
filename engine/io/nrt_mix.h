// The mixing desk of an offline render, as the opening of an NRT score. Contract: add_mix
// puts, at time 0 and in this order, the IR buffers (written as WAV files into
// options.work_dir; per side a head and a tail buffer), their PartConv spectra, the group tree and
// the strip, reverb, delay and master synths, and returns the numbers the scheduler needs to place
// instrument synths:
//
//   group 0
//     100 instruments ── 1000+i: track i (instrument synths go here, `out` = track_bus[i])
//     200 strips      ── 2000+i: strip of track i (gain, sends) → master bus
//                        2500+i: stem copy of track i → output channels 2+2i (stems only)
//     300 fx          ── 3000 reverb_conv, 3001 delay → master bus
//     400 master      ── 4000 master: master bus → output channels 0-1
//
// Node ids >= kFirstFreeNode are free for the caller (or use -1: scsynth picks). The
// compiled SynthDefs must be in the score first (add_synthdefs). Worker thread; allocates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "io/nrt_ir.h"
#include "io/nrt_score.h"
#include "io/scsynth_synthdefs.h"

namespace th::io {

struct MixOptions {
  int tracks = 1;
  bool stems = false;  // also write each track's dry stem to its own output pair
  IrKind reverb = IrKind::hall;
  int sample_rate = 48000;         // of the IRs; must match the render
  std::filesystem::path work_dir;  // where the IR WAVs are written
};

struct MixLayout {
  static constexpr std::int32_t kFirstFreeNode = 10000;
  static constexpr std::int32_t kInstrumentsGroup = 100, kStripsGroup = 200, kFxGroup = 300,
                                kMasterGroup = 400;
  int output_channels = 2;
  std::vector<std::int32_t> track_group, track_bus, strip_node, stem_node;
  std::int32_t master_bus = 0, reverb_bus = 0, delay_bus = 0;
  std::int32_t reverb_node = 3000, delay_node = 3001, master_node = 4000;
  std::int32_t ir_buf_l = 0, ir_buf_r = 1, spec_buf_l = 2, spec_buf_r = 3;
  std::int32_t ir_tail_l = 4, ir_tail_r = 5, spec_tail_l = 6, spec_tail_r = 7;
  // reverb_conv's partitions (fixed in the SynthDef): PartConv(fft) delays by fft/2 − 64, so
  // the tail convolution lines up with the head when the tail starts at the difference.
  static constexpr std::int32_t kReverbHeadFft = 2048, kReverbTailFft = 16384;
  static constexpr std::int32_t kReverbHeadFrames = kReverbTailFft / 2 - kReverbHeadFft / 2;
};

// /d_recv of every def at time 0 (the score is then self-contained). Thread-compatible.
void add_synthdefs(NrtScore& score, std::span<const SynthDefFile> defs);

// See the contract above. Throws th::Error if an IR cannot be written.
MixLayout add_mix(NrtScore& score, const MixOptions& options);

}  // namespace th::io
