#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "fake_features.h"
#include "genre_run.h"
#include "music/theory.h"

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

int bar_of(const Event& e) {
  return static_cast<int>((e.onset / Beats(4)).floor_int());
}

// Lowest pad note of each chord onset: the root (diatonic chords stack upward from it).
std::vector<double> chord_roots(const std::vector<Event>& ev) {
  std::map<Beats, double> roots;
  for (const auto& e : of(ev, "pad")) {
    auto [it, fresh] = roots.emplace(e.onset, e.pitch);
    if (!fresh) it->second = std::min(it->second, e.pitch);
  }
  std::vector<double> out;
  for (const auto& [b, p] : roots) out.push_back(p);
  return out;
}

}  // namespace

TEST_CASE("house: parts, modes and the moving chord progression", "[music][genre][house]") {
  const auto f = th::test::synthetic_model(6);
  const auto r = th::test::shipped("house", 128, 0, 5, 6);
  const auto ev = r.run(f);
  const auto roots = chord_roots(ev);
  REQUIRE(roots.size() == 64);  // a chord every 2 bars
  CHECK(std::set<double>(roots.begin(), roots.begin() + 8).size() >= 4);

  // Each part's pad notes stay in its mode on the model's root (D: tonality.root = 62).
  const std::vector<std::pair<std::string, std::pair<int, int>>> parts{
      {"lydian", {0, 16}}, {"dorian", {16, 32}}, {"phrygian", {32, 96}}, {"aeolian", {96, 128}}};
  for (const auto& [mode, range] : parts) {
    std::set<int> pcs;
    for (int iv : mode_intervals(mode)) pcs.insert((62 + iv) % 12);
    for (const auto& e : of(ev, "pad"))
      if (bar_of(e) >= range.first && bar_of(e) < range.second) {
        INFO(mode << " bar " << bar_of(e) << " pitch " << e.pitch);
        CHECK(pcs.count(static_cast<int>(e.pitch) % 12) == 1);
      }
  }
  // Chord c reads layer c mod 6; the pad's pitch provenance says so.
  for (const auto& e : of(ev, "pad")) {
    const auto* why = e.why(Field::pitch);
    REQUIRE(why);
    CHECK(why->feature == "layers.*.self_attn.q_proj.spectral_entropy");
    CHECK(why->index == (bar_of(e) / 2) % 6);
  }
  // Four on the floor in the drop; no kick in the intro; the lead only in the drop.
  std::map<int, int> kicks;
  for (const auto& e : of(ev, "kick")) ++kicks[bar_of(e)];
  for (int b = 32; b < 96; ++b) CHECK(kicks[b] == 4);
  for (int b = 0; b < 16; ++b) CHECK(kicks[b] == 0);
  for (const auto& e : of(ev, "lead")) CHECK((bar_of(e) >= 32 && bar_of(e) < 96));
  CHECK(!of(ev, "lead").empty());
  // Fills in the last bar of the buildup and of the drop, a riser over the buildup's end.
  std::set<int> fill_bars;
  for (const auto& e : of(ev, "snare")) fill_bars.insert(bar_of(e));
  CHECK(fill_bars == std::set<int>{31, 95});
  const auto risers = of(ev, "riser");
  REQUIRE(risers.size() == 1);
  CHECK(risers[0].onset == Beats(28 * 4));
  CHECK(risers[0].duration == Beats(16));
  // Bass: the off-beat eighths always sound in the bass parts.
  std::map<int, std::set<Beats>> bass;
  for (const auto& e : of(ev, "fmbass")) bass[bar_of(e)].insert(e.onset - Beats(bar_of(e) * 4));
  for (int b = 16; b < 128; ++b)
    for (auto off : {Beats(1, 2), Beats(3, 2), Beats(5, 2), Beats(7, 2)}) CHECK(bass[b].count(off));
  std::set<double> pitches;
  for (const auto& e : ev)
    if (e.instrument != "kick" && e.instrument != "hat" && e.instrument != "clap" &&
        e.instrument != "open_hat" && e.instrument != "snare")
      pitches.insert(e.pitch);
  CHECK(pitches.size() >= 5);
}

TEST_CASE("house: deterministic; a perturbation changes only events that name it",
          "[music][genre][house]") {
  const auto f = th::test::synthetic_model(4);
  const auto r = th::test::shipped("house", 32, 0, 3, 4);
  const auto a = r.run(f);
  CHECK(a == r.run(f));
  // (feature, element, added value): big enough to move a rank or a scale step.
  const std::vector<th::test::Probe> probes{
      {"layers.2.self_attn.q_proj.spectral_entropy", 0, 5.0f},
      {"layers.1.mlp.down_proj.row_norms", 5, 5.0f},  // step 2: an anchor, always played
      {"layers.3.mlp.gate_proj.row_norms", 7, 0.61f},
      {"layers.0.self_attn.o_proj.col_norms", 39, 0.61f},
      {"tension", 1, 0.2f}};
  th::test::check_sensitivity(r, f, a, probes);
}

TEST_CASE("house: parts must add up and name known voices", "[music][genre][house]") {
  const auto f = th::test::synthetic_model(2);
  auto r = th::test::shipped("house", 16, 0, 1, 2);
  auto* parts = r.table["part"].as_array();
  REQUIRE(parts);
  (*parts->get(0)->as_table()).insert_or_assign("share", 0.5);
  try {
    r.run(f);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("add up to 1") != std::string::npos);
  }
  r = th::test::shipped("house", 16, 0, 1, 2);
  (*r.table["part"].as_array()->get(0)->as_table())
      .insert_or_assign("play", toml::array{"pad", "tuba"});
  try {
    r.run(f);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("'tuba'") != std::string::npos);
  }
}

TEST_CASE("house: a section playing one part is that part of the whole track",
          "[music][genre][house]") {
  const auto f = th::test::synthetic_model(6);
  const auto whole = th::test::shipped("house", 128, 0, 5, 6).run(f);
  // The shipped parts: intro 16 bars, buildup 16, drop 64, outro 32.
  const std::vector<std::tuple<std::string, int, int>> parts{
      {"intro", 0, 16}, {"buildup", 16, 16}, {"drop", 32, 64}, {"outro", 96, 32}};
  for (const auto& [name, start, bars] : parts) {
    auto r = th::test::shipped("house", bars, 0, 5, 6);
    r.section.parts = {name};
    r.start_bar = start;
    const auto section = r.run(f);
    std::vector<Event> slice;
    for (const auto& e : whole)
      if (bar_of(e) >= start && bar_of(e) < start + bars) {
        Event shifted = e;
        shifted.onset = e.onset - Beats(int64_t{start} * 4);
        slice.push_back(shifted);
      }
    INFO(name);
    REQUIRE(!section.empty());
    CHECK(section.size() == slice.size());
    CHECK(section == slice);
  }
  // Two parts in one section share its bars as their shares do (16 : 64 → 8 : 32 of 40).
  auto r = th::test::shipped("house", 40, 0, 5, 6);
  r.section.parts = {"drop", "intro"};  // played in the pattern's order whatever the list's
  const auto two = r.run(f);
  std::set<int> hat_bars, clap_bars;
  for (const auto& e : two) {
    if (e.instrument == "clap") clap_bars.insert(bar_of(e));
    if (e.instrument == "hat") hat_bars.insert(bar_of(e));
  }
  REQUIRE(!clap_bars.empty());
  CHECK(*clap_bars.begin() >= 8);  // the intro has no clap
  CHECK(hat_bars.count(0) == 1);
}

TEST_CASE("house: a section naming a part the pattern lacks is refused by name",
          "[music][genre][house]") {
  const auto f = th::test::synthetic_model(2);
  auto r = th::test::shipped("house", 16, 0, 1, 2);
  r.section.parts = {"drop", "bridge"};
  try {
    r.run(f);
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK(what.find("session.toml:1 (section test)") != std::string::npos);
    CHECK(what.find("parts") != std::string::npos);
    CHECK(what.find("'bridge'") != std::string::npos);
    CHECK(what.find("intro, buildup, drop, outro") != std::string::npos);
  }
}
