#include <catch2/catch.hpp>

#include <map>

#include "core/error.h"
#include "music/pattern_events.h"

using namespace th::music;
using th::Rational;

namespace {
class OneFeature : public FeatureSource {
 public:
  std::vector<float> v = {1, 3, 2, 4};
  std::span<const float> get(std::string_view name) const override {
    if (name != "layers.0.mlp.down_proj.row_norms") throw th::InputError("unknown feature");
    return v;
  }
};
}  // namespace

TEST_CASE("pattern events: a feature-driven line becomes Events with provenance",
          "[music][pattern]") {
  Event base;
  base.instrument = "tb303";
  base.velocity = 0.5;
  // Four sixteenths per beat-long cycle, the third one a rest.
  const auto rhythm = struct_(pure(base), bool_sequence({true, true, false, true}));
  const auto fv = FeatureExpr{"layers.0.mlp.down_proj.row_norms",
                              parse_transforms("norm01 | scale(C3 phrygian, 1 oct)")}
                      .evaluate(OneFeature{});
  const auto line = set_field(set_field(rhythm, Field::pitch, feature_sequence(fv, Field::pitch)),
                              Field::cutoff, sequence(std::vector<double>{300, 3000}));
  const auto events = collect_events(line, {0, 2}, 1);
  REQUIRE(events.size() == 6);
  // norm01 {0, 2/3, 1/3, 1 − ε} (the seed's + 1e-9 keeps the max below 1) over C3 phrygian
  // 48..60 (8 notes): int(v·7) → 0, 4, 2, 6.
  CHECK(events[0].pitch == 48);
  CHECK(events[1].pitch == 55);
  CHECK(events[2].pitch == 58);
  CHECK(events[2].onset == Rational(3, 4));
  CHECK(events[2].duration == Rational(1, 4));
  CHECK(events[3].onset == 1);
  CHECK(events[0].params.get(Field::cutoff) == 300.0);
  CHECK(events[2].params.get(Field::cutoff) == 3000.0);
  const auto* why = events[1].why(Field::pitch);
  REQUIRE(why != nullptr);
  CHECK(why->index == 1);
  CHECK(why->statistic == "row_norms");
  CHECK(why->transform == "norm01 | scale(C3 phrygian, 1 oct)");
  CHECK(events[2].why(Field::pitch)->index == 3);
  CHECK(events[0].why(Field::cutoff) == nullptr);
  // Two beats per cycle stretches time exactly.
  CHECK(collect_events(line, {0, 1}, 2)[2].onset == Rational(3, 2));
}
