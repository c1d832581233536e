#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "music/instruments.h"
#include "support.h"

using namespace th::music;

namespace {

const char* kIds[] = {
    "tb303",  "kick",    "snare", "clap",     "hat",        "open_hat", "rim",   "riser",
    "fmbass", "pad",     "lead",  "arp",      "violin",     "viola",    "cello", "contrabass",
    "horn",   "trumpet", "oboe",  "clarinet", "flute",      "harp",     "organ", "celesta",
    "bell",   "soprano", "alto",  "tenor",    "bass_voice", "additive", "sine"};

InstrumentTable table() {
  return load_instruments(th::test::source_dir() / "patterns" / "instruments.toml");
}

std::string load_error(const std::string& text) {
  auto p = th::test::scratch("instruments_bad") / "bad.toml";
  std::ofstream(p) << text;
  try {
    load_instruments(p);
  } catch (const th::InputError& e) {
    return e.what();
  }
  return "no error";
}

const char* kHead = "[groups]\norder = [\"drums\", \"bass\"]\n";

}  // namespace

TEST_CASE("instruments: the committed table has every instrument id") {
  const auto t = table();
  CHECK(t.instruments().size() == std::size(kIds));
  for (const char* id : kIds) {
    INFO(id);
    const Instrument* in = t.find(id);
    REQUIRE(in);
    CHECK(in->gain > 0);
    CHECK(t.groups()[in->group_index].name == in->group);
  }
  std::vector<std::string> groups;
  for (const auto& g : t.groups()) groups.push_back(g.name);
  CHECK(groups == std::vector<std::string>{"drums", "bass", "chords", "leads", "voices"});
}

TEST_CASE("instruments: tb303, kick and the voices map as the table says") {
  const auto t = table();
  const Instrument& b = *t.find("tb303");
  CHECK(b.synthdef == "tb303");
  CHECK(b.group == "bass");
  CHECK(b.gated);
  CHECK(b.slide);
  CHECK(b.gm_program == 39);
  CHECK_FALSE(b.gm_drum);
  REQUIRE(b.map.size() == 5);
  CHECK(b.map[0].field == Field::cutoff);  // sorted by field
  CHECK(b.map[0].control == "cutoff");
  CHECK(b.map[1].control == "res");
  const Instrument& k = *t.find("kick");
  CHECK_FALSE(k.gated);
  CHECK_FALSE(k.pitched);
  CHECK(k.gm_drum == 36);
  const Instrument& alto = *t.find("alto");
  CHECK(alto.synthdef == "formant");
  REQUIRE(alto.fixed.size() == 1);
  CHECK(alto.fixed[0].control == "voice");
  CHECK(alto.fixed[0].value == 1.0);
  CHECK(alto.map[0].field == Field::vibrato);
  CHECK(alto.map[0].scale == 100.0);
  CHECK(alto.map[1].field == Field::formant);
  CHECK(alto.map[1].control == "vowel");
  CHECK(t.find("oboe")->fixed[0].value == 0.0);
  CHECK(t.find("clarinet")->fixed[0].value == 1.0);
  CHECK(t.find("nonesuch") == nullptr);
  CHECK_THROWS_WITH(t.at("nonesuch", "x.toml:3"),
                    Catch::Contains("x.toml:3") && Catch::Contains("tb303"));
}

TEST_CASE("instruments: bad tables are refused with file, line and field") {
  const std::string ok =
      "[instrument.k]\nsynthdef = \"kick909\"\ngroup = \"drums\"\ngated = false\npitched = "
      "false\ngm_drum = 36\n";
  CHECK(load_error(kHead + ok) == "no error");
  auto e = load_error(kHead + ok + "colour = 3\n");
  CHECK_THAT(e, Catch::Contains("bad.toml:9") && Catch::Contains("colour"));
  e = load_error(kHead + std::string("[instrument.k]\nsynthdef = \"kick909\"\ngroup = \"keys\"\n"
                                     "gated = false\npitched = false\ngm_drum = 36\n"));
  CHECK_THAT(e, Catch::Contains("bad.toml:5") && Catch::Contains("instrument.k.group") &&
                    Catch::Contains("drums, bass"));
  e = load_error(kHead + ok + "map = { loudness = \"amp\" }\n");
  CHECK_THAT(e, Catch::Contains("instrument.k.map.loudness") && Catch::Contains("cutoff"));
  e = load_error(kHead + ok + "gm_program = 3\n");
  CHECK_THAT(e, Catch::Contains("exactly one of gm_program, gm_drum"));
  e = load_error(kHead + ok + "gain = 9\n");
  CHECK_THAT(e, Catch::Contains("instrument.k.gain") && Catch::Contains("[0, 4]"));
  e = load_error("[groups]\norder = []\n");
  CHECK_THAT(e, Catch::Contains("groups.order"));
  e = load_error(std::string(kHead) + "[instrument.k]\nsynthdef = \"kick909\"\n");
  CHECK_THAT(e, Catch::Contains("bad.toml:3") && Catch::Contains("group"));
}
