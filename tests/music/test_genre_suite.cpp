#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <tuple>

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

}  // namespace

TEST_CASE("suite: five movements, each in its mode with its instruments", "[music][genre][suite]") {
  const auto f = th::test::orchestral_model(4);
  // 40 bars: prologue 0–3, anatomy 4–15, memory 16–25, balance 26–33, epilogue 34–39.
  const auto r = th::test::shipped("suite", 40, 0, 3, 4);
  const auto ev = r.run(f);
  const std::vector<std::tuple<std::string, int, int, std::set<std::string>>> movements{
      {"lydian", 0, 4, {"additive"}},
      {"dorian", 4, 16, {"violin", "viola", "cello", "contrabass"}},
      {"phrygian", 16, 26, {"trumpet", "horn"}},
      {"pentatonic_major", 26, 34, {"flute"}},
      {"mixolydian", 34, 40, {"additive"}}};
  for (const auto& [mode, lo, hi, instruments] : movements) {
    std::set<int> pcs;
    for (int iv : mode_intervals(mode)) pcs.insert((62 + iv) % 12);
    std::set<std::string> seen;
    for (const auto& e : ev)
      if (bar_of(e) >= lo && bar_of(e) < hi) {
        INFO(mode << " bar " << bar_of(e) << " " << e.instrument << " " << e.pitch);
        CHECK(pcs.count(static_cast<int>(e.pitch) % 12) == 1);
        seen.insert(e.instrument);
      }
    CHECK(seen == instruments);
  }
  // Prologue: 8 held tones from bar 0 to bar 4, harmonics from the embedding spectrum:
  // harm2 = norm01(σ)[1] computed here.
  const auto& sv = f.arrays.at("embed.singular_values");
  const double harm2 = (sv[1] - sv.back()) / (sv.front() - sv.back() + 1e-9);
  int prologue = 0;
  for (const auto& e : ev)
    if (bar_of(e) < 4) {
      ++prologue;
      CHECK(e.onset == Beats(0));
      CHECK(e.duration == Beats(16));
      CHECK(e.params.get(Field::harm2).value() == Approx(harm2).epsilon(1e-6));
    }
  CHECK(prologue == 8);
  // Epilogue: 29 tensors (embed + 4 layers · 7), entering in order of decreasing norm.
  std::vector<const Event*> epi;
  for (const auto& e : ev)
    if (bar_of(e) >= 34) epi.push_back(&e);
  REQUIRE(epi.size() == 29);
  CHECK(epi.front()->why(Field::pitch)->feature == "embed.fro");
  for (std::size_t i = 1; i < epi.size(); ++i) {
    const double a = f.arrays.at(epi[i - 1]->why(Field::pitch)->feature)[0];
    const double b = f.arrays.at(epi[i]->why(Field::pitch)->feature)[0];
    CHECK(a >= b);
    CHECK(epi[i - 1]->onset < epi[i]->onset);
    CHECK(epi[i]->end() == Beats(160));
  }
}

TEST_CASE("suite: deterministic; a perturbation changes only events that name it",
          "[music][genre][suite]") {
  const auto f = th::test::orchestral_model(4);
  const auto r = th::test::shipped("suite", 40, 0, 3, 4);
  const auto a = r.run(f);
  CHECK(a == r.run(f));
  std::set<double> pitches;
  for (const auto& e : a) pitches.insert(e.pitch);
  CHECK(pitches.size() >= 5);
  const std::vector<th::test::Probe> probes{{"embed.singular_values", 12, 3.0f},
                                            {"layers.2.self_attn.v_proj.singular_values", 5, 2.0f},
                                            {"layers.1.mlp.gate_proj.std", 0, 0.2f},
                                            {"layers.3.post_attention_layernorm.mean", 0, 0.5f},
                                            {"layers.0.mlp.down_proj.fro", 0, 3.0f},
                                            {"norm.raw", 1, 0.4f}};
  th::test::check_sensitivity(r, f, a, probes);
}
