#include "io/nrt_mix.h"

#include <string>

#include "core/error.h"
#include "io/scsynth_commands.h"

namespace th::io {

void add_synthdefs(NrtScore& score, std::span<const SynthDefFile> defs) {
  for (const auto& d : defs) score.add(0.0, sc::d_recv(d.bytes));
}

MixLayout add_mix(NrtScore& score, const MixOptions& o) {
  if (o.tracks < 1 || o.tracks > 400)
    throw Error("mix: track count must be 1..400, got " + std::to_string(o.tracks), 1);
  using sc::AddAction;
  using C = sc::Control;
  MixLayout L;
  L.output_channels = o.stems ? 2 + 2 * o.tracks : 2;
  // Private buses start above the outputs and scsynth's default 8 inputs.
  const std::int32_t first = L.output_channels + 8;
  L.master_bus = first;
  L.reverb_bus = first + 2;
  L.delay_bus = first + 4;

  // Per side: the IR file, read twice (head and tail frames) into two buffers, each turned
  // into the partitioned spectrum its PartConv needs.
  const std::int32_t bufs[2][4] = {{L.ir_buf_l, L.spec_buf_l, L.ir_tail_l, L.spec_tail_l},
                                   {L.ir_buf_r, L.spec_buf_r, L.ir_tail_r, L.spec_tail_r}};
  constexpr std::int32_t head = MixLayout::kReverbHeadFrames;
  for (int ch = 0; ch < 2; ++ch) {
    auto ir = make_ir(o.reverb, ch, o.sample_rate);
    if (ir.size() <= static_cast<std::size_t>(head)) ir.resize(head + 1, 0.0f);  // a tail of ≥ 1
    const auto tail = static_cast<std::int32_t>(ir.size()) - head;
    auto path = o.work_dir / ("ir-" + std::string(ir_kind_name(o.reverb)) + "-" +
                              std::to_string(ch) + "-" + std::to_string(o.sample_rate) + ".wav");
    write_wav_mono(path, ir, o.sample_rate);
    const auto* b = bufs[ch];
    score.add(0.0, OscMessage{"/b_allocRead", {b[0], path.string(), std::int32_t{0}, head}});
    score.add(0.0, sc::b_alloc(b[1], sc::partconv_spec_frames(head, L.kReverbHeadFft), 1));
    score.add(0.0, sc::b_gen_prepare_partconv(b[1], b[0], L.kReverbHeadFft));
    score.add(0.0, OscMessage{"/b_allocRead", {b[2], path.string(), head, tail}});
    score.add(0.0, sc::b_alloc(b[3], sc::partconv_spec_frames(tail, L.kReverbTailFft), 1));
    score.add(0.0, sc::b_gen_prepare_partconv(b[3], b[2], L.kReverbTailFft));
  }

  score.add(0.0, sc::g_new(L.kInstrumentsGroup, AddAction::head, 0));
  score.add(0.0, sc::g_new(L.kStripsGroup, AddAction::after, L.kInstrumentsGroup));
  score.add(0.0, sc::g_new(L.kFxGroup, AddAction::after, L.kStripsGroup));
  score.add(0.0, sc::g_new(L.kMasterGroup, AddAction::after, L.kFxGroup));
  for (int i = 0; i < o.tracks; ++i) {
    const std::int32_t group = 1000 + i, bus = first + 6 + 2 * i;
    L.track_group.push_back(group);
    L.track_bus.push_back(bus);
    L.strip_node.push_back(2000 + i);
    score.add(0.0, sc::g_new(group, AddAction::tail, L.kInstrumentsGroup));
    const C strip[] = {{"in", float(bus)},
                       {"out", float(L.master_bus)},
                       {"rev_bus", float(L.reverb_bus)},
                       {"dly_bus", float(L.delay_bus)}};
    score.add(0.0, sc::s_new("strip", 2000 + i, AddAction::tail, L.kStripsGroup, strip));
    if (o.stems) {
      L.stem_node.push_back(2500 + i);
      const C stem[] = {{"in", float(bus)}, {"out", float(2 + 2 * i)}};
      score.add(0.0, sc::s_new("strip", 2500 + i, AddAction::tail, L.kStripsGroup, stem));
    }
  }
  const C rev[] = {{"in", float(L.reverb_bus)},      {"out", float(L.master_bus)},
                   {"buf_l", float(L.spec_buf_l)},   {"buf_r", float(L.spec_buf_r)},
                   {"tail_l", float(L.spec_tail_l)}, {"tail_r", float(L.spec_tail_r)}};
  score.add(0.0, sc::s_new("reverb_conv", L.reverb_node, AddAction::tail, L.kFxGroup, rev));
  const C dly[] = {{"in", float(L.delay_bus)}, {"out", float(L.master_bus)}};
  score.add(0.0, sc::s_new("delay", L.delay_node, AddAction::tail, L.kFxGroup, dly));
  const C master[] = {{"in", float(L.master_bus)}, {"out", 0.0f}};
  score.add(0.0, sc::s_new("master", L.master_node, AddAction::tail, L.kMasterGroup, master));
  return L;
}

}  // namespace th::io
