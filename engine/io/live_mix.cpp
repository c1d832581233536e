#include "io/live_mix.h"

#include "io/scsynth_commands.h"

namespace th::io {

LiveMix build_live_mix(const music::InstrumentTable& table, const LiveMixOptions& o) {
  LiveMix m;
  const int groups = static_cast<int>(table.groups().size());
  const int fx = groups;
  MixOptions mo;
  mo.tracks = groups + 1;
  mo.reverb = o.reverb;
  mo.sample_rate = o.sample_rate;
  mo.work_dir = o.work_dir;
  m.layout = add_mix(m.setup, mo);
  const MixLayout& L = m.layout;
  const auto fxi = static_cast<std::size_t>(fx);
  const sc::Control to_fx[] = {{"out", float(L.track_bus[fxi])}};
  m.setup.add(0.0, sc::n_set(L.reverb_node, to_fx));
  const sc::Control dly[] = {{"out", float(L.track_bus[fxi])},
                             {"time", float(0.75 * 60.0 / o.tempo)}};
  m.setup.add(0.0, sc::n_set(L.delay_node, dly));
  m.setup.add(0.0, OscMessage{"/n_after", {L.strip_node[fxi], L.delay_node}});
  for (int g = 0; g < groups; ++g) {
    const auto gi = static_cast<std::size_t>(g);
    const auto& sg = table.groups()[gi];
    const sc::Control sends[] = {{"rev", float(sg.reverb)}, {"dly", float(sg.delay)}};
    m.setup.add(0.0, sc::n_set(L.strip_node[gi], sends));
    m.voicer.group_node.push_back(L.track_group[gi]);
    m.voicer.group_bus.push_back(L.track_bus[gi]);
    m.voicer.strip_node.push_back(L.strip_node[gi]);
  }
  m.voicer.first_node = MixLayout::kFirstFreeNode;
  return m;
}

std::vector<OscMessage> record_start(const std::filesystem::path& wav) {
  const sc::Control ctl[] = {{"buf", float(LiveMix::kRecordBuffer)}, {"in", 0.0f}};
  return {sc::b_alloc(LiveMix::kRecordBuffer, 65536, 2),
          OscMessage{"/b_write",
                     {LiveMix::kRecordBuffer, wav.string(), std::string("wav"),
                      std::string("int16"), 0, 0, 1}},
          sc::s_new("diskout", LiveMix::kRecordNode, sc::AddAction::tail, MixLayout::kMasterGroup,
                    ctl)};
}

std::vector<OscMessage> record_stop() {
  return {sc::n_free(LiveMix::kRecordNode), OscMessage{"/b_close", {LiveMix::kRecordBuffer}},
          sc::b_free(LiveMix::kRecordBuffer)};
}

std::filesystem::path recorder_synthdef_file() {
  // default_synthdef_dir() is <root>/sclang/synthdefs/compiled (or $TH_SYNTHDEF_DIR).
  const auto defs = default_synthdef_dir();
  const auto root = defs.parent_path().parent_path();
  return root / "record" / "compiled" / "diskout.scsyndef";
}

std::vector<OscMessage> free_mix() {
  return {OscMessage{"/n_free",
                     {MixLayout::kInstrumentsGroup, MixLayout::kStripsGroup, MixLayout::kFxGroup,
                      MixLayout::kMasterGroup}}};
}

}  // namespace th::io
