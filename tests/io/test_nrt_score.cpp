// NRT score layout, generated impulse responses, compiled SynthDef files and the mix layout.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "core/error.h"
#include "io/nrt_audio.h"
#include "io/nrt_ir.h"
#include "io/nrt_mix.h"
#include "io/nrt_score.h"
#include "io/osc_writer.h"
#include "io/scsynth_commands.h"
#include "io/scsynth_synthdefs.h"
#include "support.h"

using namespace th::io;

namespace {

void be32(std::vector<std::byte>& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(std::byte((x >> s) & 0xff));
}

double rms(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double e = 0;
  for (std::size_t i = from; i < to; ++i) e += double(x[i]) * x[i];
  return std::sqrt(e / double(to - from));
}

}  // namespace

TEST_CASE("nrt score: [int32 size][bundle] per time, then the end marker") {
  NrtScore s;
  s.add(0.5, sc::n_free(1));
  s.set_end(1.0);
  std::vector<std::byte> expected;
  auto b1 = encode_bundle(0x0000000080000000ull, std::vector{sc::n_free(1)});
  auto b2 = encode_bundle(0x0000000100000000ull, std::vector{OscMessage{"/c_set", {0, 0.0f}}});
  be32(expected, b1.size());
  expected.insert(expected.end(), b1.begin(), b1.end());
  be32(expected, b2.size());
  expected.insert(expected.end(), b2.begin(), b2.end());
  CHECK(s.serialize() == expected);
  CHECK(b1.size() == 16 + 4 + 16);  // "#bundle" + timetag, element size, "/n_free" ",i" 1
}

TEST_CASE("nrt score: events sorted by time, equal times share a bundle in insertion order") {
  NrtScore s;
  s.add(1.0, sc::n_free(1));
  s.add(0.25, sc::n_free(2));
  s.add(1.0, sc::n_free(3));
  REQUIRE(s.bundles().size() == 2);
  CHECK(s.bundles()[0].seconds == 0.25);
  CHECK(s.bundles()[1].messages == std::vector{sc::n_free(1), sc::n_free(3)});
  CHECK(s.end() == 1.0);
  auto back = read_nrt_score(s.serialize());
  REQUIRE(back.size() == 4);
  CHECK(back[0] == OscTimedMessage{seconds_to_timetag(0.25), sc::n_free(2)});
  CHECK(back[2] == OscTimedMessage{seconds_to_timetag(1.0), sc::n_free(3)});
  CHECK(back[3].message.address == "/c_set");

  CHECK_THROWS_AS(s.add(-0.1, sc::n_free(1)), th::Error);
  CHECK_THROWS_AS(s.add(std::nan(""), sc::n_free(1)), th::Error);
  s.set_end(0.5);
  CHECK_THROWS_AS(s.serialize(), th::Error);
}

TEST_CASE("nrt score: reading rejects truncated or non-bundle content") {
  NrtScore s;
  s.add(0.0, sc::status());
  auto bytes = s.serialize();
  auto cut = bytes;
  cut.pop_back();
  CHECK_THROWS_AS(read_nrt_score(cut), th::Error);
  auto msg = encode_message(sc::status());
  std::vector<std::byte> bare;
  be32(bare, msg.size());
  bare.insert(bare.end(), msg.begin(), msg.end());
  CHECK_THROWS_AS(read_nrt_score(bare), th::Error);
}

TEST_CASE("impulse responses: deterministic, decorrelated channels, unit energy, RT60 decay") {
  const int sr = 48000;
  for (IrKind k : {IrKind::hall, IrKind::plate, IrKind::room}) {
    INFO(ir_kind_name(k));
    auto l = make_ir(k, 0, sr), r = make_ir(k, 1, sr), l2 = make_ir(k, 0, sr);
    const IrShape shape = ir_shape(k);
    REQUIRE(l.size() == std::size_t(shape.length * sr));
    CHECK(l == l2);
    double e = 0, lr = 0;
    for (std::size_t i = 0; i < l.size(); ++i) {
      e += double(l[i]) * l[i];
      lr += double(l[i]) * r[i];
    }
    CHECK(e == Approx(1.0).epsilon(1e-4));
    CHECK(std::abs(lr) < 0.1);  // normalised cross-correlation at lag 0
    // Level falls by 20 dB per third of RT60 (plus a little from the darkening filter).
    const auto w = std::size_t(0.05 * sr), a = std::size_t(0.1 * sr);
    const auto b = a + std::size_t(shape.rt60 / 3 * sr);
    const double drop_db = 20 * std::log10(rms(l, b, b + w) / rms(l, a, a + w));
    CHECK(drop_db < -19.0);
    CHECK(drop_db > -26.0);
  }
  CHECK(parse_ir_kind("plate", "reverb") == IrKind::plate);
  CHECK_THROWS_AS(parse_ir_kind("cave", "reverb"), th::InputError);
}

TEST_CASE("impulse responses: WAV round trip through libsndfile") {
  auto dir = th::test::scratch("nrt_ir");
  auto ir = make_ir(IrKind::room, 0, 44100);
  write_wav_mono(dir / "room.wav", ir, 44100);
  Audio a = read_wav(dir / "room.wav");
  CHECK(a.sample_rate == 44100);
  CHECK(a.channels == 1);
  CHECK(a.samples == ir);  // float32 WAV is lossless
}

namespace {
const std::set<std::string> kInstruments = {
    "tb303",  "kick909", "snare909", "clap909", "hat909c", "hat909o", "rim909", "riser",
    "fmbass", "formant", "additive", "pluck",   "pad",     "sqlead",  "sine",   "strings",
    "horn",   "reed",    "flute",    "harp",    "organ",   "bell"};
const std::set<std::string> kEffects = {"strip", "reverb_conv", "delay", "master"};
const std::set<std::string> kUtilities = {"rand_seed"};  // no audio output
}  // namespace

TEST_CASE("synthdefs: the committed compiled set parses and has the documented controls") {
  auto files = read_synthdef_dir(default_synthdef_dir());
  std::set<std::string> names;
  for (const auto& f : files) {
    REQUIRE(f.defs.size() == 1);
    const auto& d = f.defs[0];
    CHECK(f.path.stem() == d.name);
    names.insert(d.name);
    INFO(d.name);
    if (!kUtilities.count(d.name)) CHECK(d.has_control("out"));
    if (kInstruments.count(d.name)) {
      CHECK(d.has_control("amp"));
      CHECK(d.has_control("pan"));
    }
  }
  std::set<std::string> all = kInstruments;
  all.insert(kEffects.begin(), kEffects.end());
  all.insert(kUtilities.begin(), kUtilities.end());
  CHECK(names == all);
  auto tb = read_synthdef_file(default_synthdef_dir() / "tb303.scsyndef").defs[0];
  for (const char* c : {"freq", "gate", "sustain", "wave", "cutoff", "res", "env_mod", "decay",
                        "accent", "slide", "from_freq"})
    CHECK(tb.has_control(c));
  CHECK(tb.controls[1].name == "freq");
  CHECK(tb.controls[1].default_value == 110.0f);
}

TEST_CASE("synthdefs: malformed files are refused with the field named") {
  auto dir = th::test::scratch("bad_defs");
  auto good = read_synthdef_file(default_synthdef_dir() / "sine.scsyndef").bytes;
  auto write = [&](const char* name, std::vector<std::byte> b) {
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return dir / name;
  };
  auto cut = good;
  cut.resize(cut.size() - 3);
  CHECK_THROWS_WITH(read_synthdef_file(write("cut.scsyndef", cut)), Catch::Contains("expected"));
  auto magic = good;
  magic[0] = std::byte{'X'};
  CHECK_THROWS_WITH(read_synthdef_file(write("magic.scsyndef", magic)), Catch::Contains("magic"));
  auto extra = good;
  extra.push_back(std::byte{0});
  CHECK_THROWS_AS(read_synthdef_file(write("extra.scsyndef", extra)), th::InputError);
}

TEST_CASE("synthdefs: compiled files are what sclang makes from the sources today") {
  if (std::system("command -v sclang >/dev/null 2>&1") != 0) {
    WARN("sclang not installed: cannot check sclang/synthdefs/compiled is up to date");
    return;
  }
  auto out = th::test::scratch("synthdefs_rebuilt");
  auto cmd = (th::test::source_dir() / "scripts/build-synthdefs.sh").string() + " " + out.string() +
             " >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto fresh = read_synthdef_dir(out);
  auto committed = read_synthdef_dir(th::test::source_dir() / "sclang/synthdefs/compiled");
  REQUIRE(fresh.size() == committed.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    INFO(fresh[i].path.filename() << " differs: run scripts/build-synthdefs.sh");
    CHECK(fresh[i].path.filename() == committed[i].path.filename());
    CHECK(fresh[i].bytes == committed[i].bytes);
  }
}

TEST_CASE("mix: group tree, buses and stems layout") {
  auto dir = th::test::scratch("mix_layout");
  NrtScore s;
  MixOptions o;
  o.tracks = 2;
  o.stems = true;
  o.work_dir = dir;
  MixLayout L = add_mix(s, o);
  CHECK(L.output_channels == 6);
  CHECK(L.master_bus == 14);
  CHECK(L.track_bus == std::vector<std::int32_t>{20, 22});
  CHECK(L.track_group == std::vector<std::int32_t>{1000, 1001});
  CHECK(L.stem_node == std::vector<std::int32_t>{2500, 2501});
  REQUIRE(s.bundles().size() == 1);
  const auto& ms = s.bundles()[0].messages;
  // 2 × 2 × (allocRead, alloc, gen) + 4 groups + 2 × (track group, strip, stem) + 3 fx/master.
  CHECK(ms.size() == 12 + 4 + 6 + 3);
  const std::string ir0 = (dir / "ir-hall-0-48000.wav").string();
  // The head: the IR's first 7168 frames in 1024-frame partitions (fft 2048) → 2048 · 7.
  CHECK(ms[0] == OscMessage{"/b_allocRead", {0, ir0, 0, 7168}});
  CHECK(ms[1] == sc::b_alloc(2, 2048 * 7, 1));
  CHECK(ms[2] == sc::b_gen_prepare_partconv(2, 0, 2048));
  // The tail: the other 144000 − 7168 = 136832 frames of the 3 s hall at 48 kHz in 8192-frame
  // partitions (fft 16384) → 16384 · ceil(136832 / 8192) = 16384 · 17.
  CHECK(ms[3] == OscMessage{"/b_allocRead", {4, ir0, 7168, 136832}});
  CHECK(ms[4] == sc::b_alloc(6, 16384 * 17, 1));
  CHECK(ms[5] == sc::b_gen_prepare_partconv(6, 4, 16384));
  CHECK(ms[9] ==
        OscMessage{"/b_allocRead", {5, (dir / "ir-hall-1-48000.wav").string(), 7168, 136832}});
  CHECK(std::filesystem::exists(dir / "ir-hall-1-48000.wav"));
  CHECK(ms.back().address == "/s_new");
  CHECK(std::get<std::string>(ms.back().args[0]) == "master");
}
