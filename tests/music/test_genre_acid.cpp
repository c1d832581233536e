#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "fake_features.h"
#include "genre_run.h"

using namespace th;
using namespace th::music;
using th::test::FakeFeatures;

namespace {

std::vector<Event> of(const std::vector<Event>& ev, const std::string& instrument) {
  std::vector<Event> out;
  for (const auto& e : ev)
    if (e.instrument == instrument) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("acid: exact notes from a four-step pattern", "[music][genre][acid]") {
  FakeFeatures f;
  f.arrays["layers.0.x"] = {0, 1, 2, 3};
  f.arrays["layers.1.x"] = {3, 2, 1, 0};
  f.arrays["layers.0.s"] = {0};
  f.arrays["layers.1.s"] = {10};
  f.arrays["tonality.root"] = {62};  // D4
  f.arrays["tonality.mode"] = {0};   // major
  const auto r = th::test::inline_pattern(R"toml(
genre = "acid"
steps = 4
[voices.tb303]
pitch = { feature = "layers.{l}.x", map = "norm01 | scale(tonality@2, 1 oct)" }
cutoff = { feature = "layers.*.s", at = "{l}", map = "norm01 | range(100, 1000)" }
)toml",
                                          2, 0, 1, 2);
  const auto ev = r.run(f);
  // D2 major, one octave: 38 40 42 43 45 47 49 50; norm01 of 0..3 → degrees 0, 2, 4, 6.
  REQUIRE(ev.size() == 8);
  const std::vector<double> pitches{38, 42, 45, 49, 49, 45, 42, 38};
  for (std::size_t i = 0; i < ev.size(); ++i) {
    CHECK(ev[i].onset == Beats(static_cast<std::int64_t>(i)));
    CHECK(ev[i].duration == Beats(1, 2));  // a plain step holds half a step
    CHECK(ev[i].pitch == pitches[i]);
    CHECK(ev[i].params.get_or(Field::cutoff, -1) == Approx(i < 4 ? 100.0 : 1000.0).epsilon(1e-6));
    const auto* why = ev[i].why(Field::pitch);
    REQUIRE(why);
    CHECK(why->feature == (i < 4 ? "layers.0.x" : "layers.1.x"));
    CHECK(why->index == static_cast<std::int64_t>(i % 4));
    CHECK(why->transform == "norm01 | scale(tonality@2 = D2 major, 1 oct)");
    CHECK(ev[i].why(Field::cutoff)->index == (i < 4 ? 0 : 1));
  }
}

TEST_CASE("acid: gate, accent, slide and octave controls", "[music][genre][acid]") {
  FakeFeatures f;
  f.arrays["layers.0.p"] = {0, 0, 0, 0};
  f.arrays["layers.0.g"] = {1, 0, 1, 1};
  f.arrays["layers.0.a"] = {0, 0, 5, 0};
  f.arrays["layers.0.o"] = {0, 0, 0, 9};
  f.arrays["layers.0.d"] = {1, 1, 1, 1};
  f.arrays["layers.1.d"] = {1, 1, 1, 4};  // layer 0's {prev} is layer 1
  f.arrays["tonality.root"] = {60};
  f.arrays["tonality.mode"] = {1};
  const auto r = th::test::inline_pattern(R"toml(
genre = "acid"
steps = 4
[voices.tb303]
pitch = { feature = "layers.{l}.p", map = "scale(tonality@2, 1 oct)" }
gate = { feature = "layers.{l}.g", map = "> 0.5" }
accent = { feature = "layers.{l}.a", map = "> 1" }
octave_up = { feature = "layers.{l}.o", map = "> 1" }
slide = { feature = "layers.{l}.d", delta = "layers.{prev}.d", map = "norm01" }
slide_density = 0.25
)toml",
                                          1, 0, 0, 2);
  const auto ev = r.run(f);
  REQUIRE(ev.size() == 3);  // step 1 is a rest
  CHECK(ev[0].onset == Beats(0));
  CHECK(ev[1].onset == Beats(2));
  CHECK(ev[2].onset == Beats(3));
  CHECK(ev[0].pitch == 36);
  CHECK(ev[2].pitch == 48);  // octave up
  CHECK(ev[1].params.get_or(Field::accent, -1) == 1.0);
  CHECK(ev[1].duration == Beats(3, 4));
  CHECK(ev[2].params.get_or(Field::slide, -1) == 1.0);  // |4 − 1| is the largest change
  CHECK(ev[2].duration == Beats(1));
  CHECK(ev[0].params.get_or(Field::slide, -1) == 0.0);
  CHECK(ev[2].why(Field::slide)->statistic == "|d - layers.1.d|");
  CHECK(ev[0].why(Field::onset)->feature == "layers.0.g");
}

TEST_CASE("acid: shipped pattern spreads bars over layers, every bar sounds",
          "[music][genre][acid]") {
  const auto f = th::test::synthetic_model(4);
  const auto r = th::test::shipped("acid", 16, 0, 3, 4);
  const auto ev = r.run(f);
  const auto bass = of(ev, "tb303");
  std::map<int, std::vector<double>> bar_pitches;
  std::set<double> distinct;
  for (const auto& e : bass) {
    const int bar = static_cast<int>((e.onset / Beats(4)).floor_int());
    bar_pitches[bar].push_back(e.pitch);
    distinct.insert(e.pitch);
    // The bar's layer is bar / 4 (16 bars over 4 layers).
    CHECK(e.why(Field::pitch)->feature ==
          "layers." + std::to_string(bar / 4) + ".mlp.down_proj.row_norms");
    for (auto fld : {Field::cutoff, Field::resonance, Field::env_mod, Field::decay, Field::accent,
                     Field::slide, Field::velocity})
      CHECK(e.why(fld) != nullptr);
  }
  CHECK(bar_pitches.size() == 16);  // no silent bars
  CHECK(distinct.size() >= 5);
  for (int l = 1; l < 4; ++l) CHECK(bar_pitches[4 * l] != bar_pitches[0]);
  CHECK(bar_pitches[1] == bar_pitches[0]);  // a layer loops its pattern
  CHECK(of(ev, "kick").size() == 16 * 4);
  for (const auto& k : of(ev, "kick")) CHECK((k.onset.floor() == k.onset));  // on the beat
  CHECK(of(ev, "clap").size() == 16 * 2);
}

TEST_CASE("acid: deterministic and sensitive only where the provenance says",
          "[music][genre][acid]") {
  const auto f = th::test::synthetic_model(4);
  const auto r = th::test::shipped("acid", 8, 0, 3, 4);
  const auto a = r.run(f);
  CHECK(a == r.run(f));
  // (feature, element, added value): big enough to move a rank or a scale step.
  const std::vector<th::test::Probe> probes{
      {"layers.1.mlp.down_proj.row_norms", 13, 0.37f},  // picked: pick16 of 40 → step 5
      {"layers.2.self_attn.v_proj.kurtosis", 0, 0.37f}, {"layers.0.mlp.gate_proj.std", 0, 0.37f},
      {"layers.3.mlp.up_proj.col_norms", 39, 5.0f},     {"tension", 2, 0.2f},
      {"spectral_change.down_proj", 1, 0.37f}};
  th::test::check_sensitivity(r, f, a, probes);
}

TEST_CASE("acid: a pattern error names the file and line", "[music][genre][acid]") {
  const auto f = th::test::synthetic_model(2);
  auto expect = [&](const std::string& text, const std::string& where) {
    const auto r = th::test::inline_pattern(text, 2, 0, 1, 2);
    try {
      r.run(f);
      FAIL("no error");
    } catch (const InputError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(where) != std::string::npos);
    }
  };
  expect("genre = \"acid\"\n[voices.tb303]\npitch = 0\ncuttoff = 3\n", "inline.toml:4");
  expect("genre = \"acid\"\n[voices.tb303]\n\npitch = { feature = \"layers.{l}.nope\" }\n",
         "inline.toml:4");
  expect("genre = \"acid\"\n[voices.tb303]\npitch = { feature = \"tension\", map = \"norm02\" }\n",
         "inline.toml:3");
  expect("genre = \"acid\"\ntempo = 3\n[voices.tb303]\npitch = 1\n", "inline.toml:2");
  expect("genre = \"acid\"\n[voices.tb303]\npitch = 1\n[drums.kick]\neuclid = [4, 16]\nvelo = 1\n",
         "inline.toml:6");
  expect("genre = \"acid\"\n[voices.tb303]\ncutoff = 1\n", "voices.tb303.pitch");
}
