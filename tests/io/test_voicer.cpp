// ScsynthVoicer: the exact OSC commands for events of the committed instrument table, and the
// NRT sink's times.
#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "io/midi_file.h"
#include "io/nrt_sink.h"
#include "io/osc_reader.h"
#include "io/scsynth_voicer.h"
#include "sched/timeline.h"
#include "support.h"

using namespace th;
using namespace th::io;

namespace {

const music::InstrumentTable& table() {
  static const auto t =
      music::load_instruments(th::test::source_dir() / "patterns" / "instruments.toml");
  return t;
}
const std::vector<SynthDefFile>& defs() {
  static const auto d = read_synthdef_dir(default_synthdef_dir());
  return d;
}
VoicerLayout layout() {
  // groups drums bass chords leads voices → groups 1000.., buses 40.., strips 2000..
  return {{1000, 1001, 1002, 1003, 1004}, {40, 42, 44, 46, 48}, {2000, 2001, 2002, 2003, 2004}};
}

music::Event ev(const std::string& inst, double pitch, double vel = 1.0) {
  music::Event e;
  e.onset = 0;
  e.duration = Beats(1, 2);
  e.instrument = inst;
  e.pitch = pitch;
  e.velocity = vel;
  return e;
}

OscMessage s_new(const std::string& def, std::int32_t node, std::int32_t group,
                 std::vector<std::pair<std::string, float>> controls) {
  OscMessage m{"/s_new", {def, node, std::int32_t{1}, group}};
  for (auto& [k, v] : controls) {
    m.args.emplace_back(k);
    m.args.emplace_back(v);
  }
  return m;
}

}  // namespace

TEST_CASE("voicer: a tb303 line with a slide, released by gate 0") {
  ScsynthVoicer v(table(), defs(), layout());
  std::array<ScCommand, 2> out;
  auto a = ev("tb303", 45, 0.5);  // A2 = 110 Hz
  a.params.set(music::Field::cutoff, 800);
  a.params.set(music::Field::slide, 1.0);
  REQUIRE(v.note_on(1000, a, 0.5, out) == 1);
  CHECK(
      to_message(out[0]) ==
      s_new(
          "tb303", 11000, 1001,
          {{"out", 42}, {"freq", 110}, {"amp", 0.15f}, {"pan", 0}, {"wave", 0}, {"cutoff", 800}}));
  auto b = ev("tb303", 57);  // A3, slid into
  b.params.set(music::Field::resonance, 0.7);
  REQUIRE(v.note_on(1001, b, 0.5, out) == 1);
  CHECK(to_message(out[0]) == s_new("tb303", 11001, 1001,
                                    {{"out", 42},
                                     {"freq", 220},
                                     {"amp", 0.3f},
                                     {"pan", 0},
                                     {"wave", 0},
                                     {"res", 0.7f},
                                     {"from_freq", 110},
                                     {"slide", 0.06f}}));
  REQUIRE(v.note_on(1002, ev("tb303", 45), 0.5, out) == 1);  // b did not ask to slide
  CHECK(to_message(out[0]).args.size() == 4 + 2 * 5);
  REQUIRE(v.note_off(1000, out) == 1);
  CHECK(to_message(out[0]) ==
        OscMessage{"/n_set", {std::int32_t{11000}, std::string("gate"), 0.0f}});
  CHECK(v.note_off(1000, out) == 0);  // once only
  CHECK(v.stats().notes == 3);
  CHECK(v.stats().releases == 1);
}

TEST_CASE("voicer: one-shots free themselves; sends go to the group's strip; unknown ids") {
  ScsynthVoicer v(table(), defs(), layout());
  std::array<ScCommand, 2> out;
  auto k = ev("kick", 36, 0.5);
  k.params.set(music::Field::reverb, 0.3);
  k.params.set(music::Field::pan, -2);  // clamped
  REQUIRE(v.note_on(7, k, 0.5, out) == 2);
  CHECK(to_message(out[0]) ==
        s_new("kick909", 10007, 1000, {{"out", 40}, {"amp", 0.4f}, {"pan", -1}}));
  CHECK(to_message(out[1]) == OscMessage{"/n_set", {std::int32_t{2000}, std::string("rev"), 0.3f}});
  CHECK(v.note_off(7, out) == 0);
  auto r = ev("riser", 60);
  r.duration = 4;
  REQUIRE(v.note_on(8, r, 0.25, out) == 1);  // 4 beats at 240 BPM: dur = 1 s
  CHECK(to_message(out[0]) ==
        s_new("riser", 10008, 1000, {{"out", 40}, {"amp", 0.25f}, {"pan", 0}, {"dur", 1}}));
  CHECK(v.note_on(9, ev("theremin", 60), 0.5, out) == 0);
  CHECK(v.stats().unknown == 1);
  auto s = ev("soprano", 72);
  s.params.set(music::Field::formant, 0.5);
  REQUIRE(v.note_on(10, s, 0.5, out) == 1);
  CHECK(to_message(out[0]) == s_new("formant", 10010, 1004,
                                    {{"out", 48},
                                     {"freq", float(music::midi_to_hz(72))},
                                     {"amp", 0.25f},
                                     {"pan", 0},
                                     {"voice", 0},
                                     {"vowel", 2}}));
}

TEST_CASE("voicer: the realtime writer encodes the same message") {
  ScsynthVoicer v(table(), defs(), layout());
  std::array<ScCommand, 2> out;
  auto a = ev("violin", 69);
  a.params.set(music::Field::vibrato, 0.2);
  REQUIRE(v.note_on(1, a, 0.5, out) == 1);
  alignas(8) char buf[1024];
  OscPacketWriter w(buf, sizeof buf);
  w.begin_bundle(kOscImmediate);
  write_command(w, out[0]);
  w.end_bundle();
  auto decoded = decode_packet(w.bytes(), nullptr);
  REQUIRE(decoded);
  REQUIRE(decoded->size() == 1);
  CHECK((*decoded)[0].message == to_message(out[0]));
}

TEST_CASE("voicer: a table naming a control the SynthDef lacks is refused with file:line") {
  auto p = th::test::scratch("voicer_bad") / "inst.toml";
  std::ofstream(p) << "[groups]\norder = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n"
                      "[instrument.k]\nsynthdef = \"kick909\"\ngroup = \"a\"\ngated = false\n"
                      "pitched = false\ngm_drum = 36\nmap = { cutoff = \"colour\" }\n";
  auto t = music::load_instruments(p);
  CHECK_THROWS_WITH(ScsynthVoicer(t, defs(), layout()),
                    Catch::Contains("inst.toml:3") && Catch::Contains("instrument.k.map.cutoff") &&
                        Catch::Contains("colour") && Catch::Contains("kick909"));
}

TEST_CASE("instruments: GM programs agree with the MIDI writer's table") {
  for (const auto& in : table().instruments()) {
    const GmInstrument* gm = gm_instrument(in.id);
    if (!gm) continue;
    INFO(in.id);
    CHECK(gm->drum == bool(in.gm_drum));
    if (in.gm_drum)
      CHECK(gm->drum_note == *in.gm_drum);
    else
      CHECK(gm->program == in.gm_program);
  }
}

TEST_CASE("nrt sink: host microseconds become score seconds") {
  ScsynthVoicer v(table(), defs(), layout());
  sched::TempoTimeline tl(120, 0);
  NrtScore score;
  NrtSink sink(score, v, tl, 1'000'000, 0.25);
  sink.note_on(1, ev("pad", 60), 1'500'000);
  sink.note_off(1, 2'000'000);
  REQUIRE(score.bundles().size() == 2);
  CHECK(score.bundles()[0].seconds == 0.75);
  CHECK(score.bundles()[0].messages[0].address == "/s_new");
  CHECK(score.bundles()[1].seconds == 1.25);
  CHECK(score.bundles()[1].messages[0].address == "/n_set");
}
