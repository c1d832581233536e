#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "genre_run.h"
#include "music/theory.h"
#include "orchestral_features.h"

using namespace th;
using namespace th::music;
using th::test::FakeFeatures;

namespace {

int bar_of(const Event& e) {
  return static_cast<int>((e.onset / Beats(4)).floor_int());
}

// Pitches of one instrument in bars [lo, hi), in onset order.
std::vector<double> line(const std::vector<Event>& ev, const std::string& inst, int lo, int hi) {
  std::vector<double> out;
  for (const auto& e : ev)
    if (e.instrument == inst && bar_of(e) >= lo && bar_of(e) < hi) out.push_back(e.pitch);
  return out;
}

}  // namespace

TEST_CASE("opera: acts scale with the bars; the canon enters voice by voice",
          "[music][genre][opera]") {
  const auto f = th::test::orchestral_model(4);
  // 20 bars: overture 0–4, fugue 5–9, climax 10–15, epilogue 16–19.
  const auto r = th::test::shipped("opera", 20, 0, 3, 4);
  const auto ev = r.run(f);
  // Overture: a four-string chord every two bars (bars 0, 2, 4), first from embed σ[0].
  std::map<int, std::set<std::string>> chords;
  for (const auto& e : ev)
    if (bar_of(e) < 5 && e.instrument != "harp" && e.instrument != "oboe")
      chords[bar_of(e)].insert(e.instrument);
  REQUIRE(chords.size() == 3);
  for (const auto& [b, inst] : chords) {
    CHECK(b % 2 == 0);
    CHECK(inst == std::set<std::string>{"violin", "viola", "cello", "contrabass"});
  }
  // Canon: gap = 5 / 5 = 1 bar; soprano (violin) at bar 5, tenor (cello) 6, alto 7, bass 8.
  const std::vector<std::pair<std::string, int>> entries{
      {"violin", 5}, {"cello", 6}, {"viola", 7}, {"contrabass", 8}};
  for (const auto& [inst, first] : entries) {
    INFO(inst);
    CHECK(line(ev, inst, 5, first).empty());
    CHECK(line(ev, inst, first, first + 1).size() == 4);  // four quarter notes
  }
  // The soprano's first theme note, computed independently: layer 0's q_proj spectrum,
  // log1p | norm01, picked at linspace(0, 15, 6) → index 3 (value 1 of 6), on D dorian
  // (tonality root 62, mode 3) spanning 24..108, at fraction 0.62 + x·0.30.
  const auto& sv = f.arrays.at("layers.0.self_attn.q_proj.singular_values");
  double mn = 1e9, mx = -1e9;
  for (float s : sv)
    mn = std::min(mn, std::log1p(double(s))), mx = std::max(mx, std::log1p(double(s)));
  const double x = (std::log1p(double(sv[3])) - mn) / (mx - mn + 1e-9);
  const auto scale = build_scale_span(62, mode_intervals("dorian"), 24, 108);
  const double frac = 0.62 + x * 0.30;
  const int idx = static_cast<int>(std::floor(frac * (scale.size() - 1)));
  const auto sop = line(ev, "violin", 5, 6);
  REQUIRE(sop.size() == 4);
  CHECK(sop[0] == scale[idx]);
  // Every note lies in the mode; low voices reach below the model's root (no collapse).
  std::set<int> pcs;
  for (int iv : mode_intervals("dorian")) pcs.insert((62 + iv) % 12);
  double lowest = 200;
  for (const auto& e : ev) {
    CHECK(pcs.count(static_cast<int>(e.pitch) % 12) == 1);
    lowest = std::min(lowest, e.pitch);
  }
  CHECK(lowest < 48);
  // The climax: one layer per run of bars, organ only on the last layer's run.
  std::map<Beats, double> organ_low;
  for (const auto& e : ev)
    if (e.instrument == "organ") {
      if (bar_of(e) < 16) CHECK(bar_of(e) >= 14);
      auto [it, fresh] = organ_low.emplace(e.onset, e.pitch);
      if (!fresh) it->second = std::min(it->second, e.pitch);
    }
  CHECK(!organ_low.empty());
  for (const auto& [at, low] : organ_low) CHECK(low == 50);  // the tonic triad on D3
  // Act IV: the epilogue's first string note names the largest Frobenius norm (embed.fro = 30).
  bool found = false;
  for (const auto& e : ev)
    if (bar_of(e) == 16 && e.instrument == "violin") {
      REQUIRE(e.why(Field::pitch));
      CHECK(e.why(Field::pitch)->feature == "embed.fro");
      found = true;
    }
  CHECK(found);
}

TEST_CASE("opera: the four canon voices and the climax strings differ and move",
          "[music][genre][opera]") {
  const auto f = th::test::orchestral_model(6);
  const auto r = th::test::shipped("opera", 48, 0, 5, 6);
  const auto ev = r.run(f);
  // Fugue bars 12..23: each voice's line is its own.
  std::set<std::vector<double>> lines;
  for (const char* inst : {"violin", "viola", "cello", "contrabass"})
    lines.insert(line(ev, inst, 21, 24));
  CHECK(lines.size() == 4);
  // Climax (bars 24..37): the violin's note varies across the layers (the seed's was constant).
  std::set<double> climax_violin;
  for (double p : line(ev, "violin", 24, 38)) climax_violin.insert(p);
  CHECK(climax_violin.size() >= 3);
  std::set<double> pitches;
  for (const auto& e : ev) pitches.insert(e.pitch);
  CHECK(pitches.size() >= 5);
}

TEST_CASE("opera: deterministic; a perturbation changes only events that name it",
          "[music][genre][opera]") {
  const auto f = th::test::orchestral_model(4);
  const auto r = th::test::shipped("opera", 24, 0, 3, 4);
  const auto a = r.run(f);
  CHECK(a == r.run(f));
  const std::vector<th::test::Probe> probes{{"embed.singular_values", 8, 2.0f},
                                            {"layers.1.self_attn.k_proj.singular_values", 6, 2.5f},
                                            {"layers.2.self_attn.q_proj.spectral_norm", 0, 2.0f},
                                            {"layers.3.mlp.up_proj.fro", 0, 3.0f},
                                            {"tension", 2, 0.3f}};
  th::test::check_sensitivity(r, f, a, probes);
}

TEST_CASE("opera: unknown act names are errors", "[music][genre][opera]") {
  const auto f = th::test::orchestral_model(2);
  auto r = th::test::shipped("opera", 16, 0, 1, 2);
  (*r.table["part"].as_array()->get(0)->as_table()).insert_or_assign("name", "intermezzo");
  try {
    r.run(f);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("intermezzo") != std::string::npos);
  }
}
