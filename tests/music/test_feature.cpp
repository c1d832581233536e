#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "music/feature.h"
#include "show.h"
#include "support.h"

using namespace th::music;

namespace {

class FakeSource : public FeatureSource {
 public:
  std::map<std::string, std::vector<float>, std::less<>> arrays;
  std::span<const float> get(std::string_view name) const override {
    auto it = arrays.find(name);
    if (it == arrays.end()) throw th::InputError("unknown feature \"" + std::string(name) + "\"");
    return it->second;
  }
};

std::vector<double> values(const FeatureValues& fv) {
  std::vector<double> v;
  for (auto& s : fv.values) v.push_back(s.value);
  return v;
}

}  // namespace

TEST_CASE("feature: pick_evenly and percentile match NumPy", "[music][feature]") {
  std::ifstream in(th::test::test_data("music/numpy_golden.txt"));
  REQUIRE(in);
  std::string line;
  int picks = 0, pcts = 0;
  const std::vector<float> x = {3.5f, -1.25f, 7.0f, 0.0f, 2.0f, 2.0f, 11.5f, -4.0f, 6.25f};
  FakeSource src;
  src.arrays["x"] = x;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "pick") {
      std::int64_t len = 0, n = 0, v = 0;
      ls >> len >> n;
      std::vector<std::int64_t> want;
      while (ls >> v) want.push_back(v);
      INFO("len " << len << " n " << n);
      CHECK(pick_evenly(len, n) == want);
      ++picks;
    } else {
      std::string q;
      double want = 0;
      ls >> q >> want;
      FeatureExpr e{"x", parse_transforms("percentile(" + q + ")")};
      const auto fv = e.evaluate(src);
      INFO("q " << q);
      CHECK(fv.values.at(0).value == want);
      CHECK(fv.values.at(0).index == -1);
      ++pcts;
    }
  }
  CHECK(picks == 1600);
  CHECK(pcts == 11);
}

TEST_CASE("feature: transform chains parse and print canonically", "[music][feature]") {
  const auto c = parse_transforms("norm01|range( 300 , 3000, exp ) ");
  REQUIRE(c.size() == 2);
  CHECK(transform_text(c[1]) == "range(300, 3000, exp)");
  const auto r = parse_transforms("rank > 0.7");
  REQUIRE(r.size() == 2);
  CHECK(transform_text(r[1]) == "> 0.7");
  FeatureExpr e{
      "f", parse_transforms("abs | log1p | norm01 | scale(C3 phrygian, 2 oct) | pick(4 evenly)")};
  CHECK(e.chain_text() == "abs | log1p | norm01 | scale(C3 phrygian, 2 oct) | pick(4 evenly)");
  for (const char* bad :
       {"norm02", "range(1)", "range(1, 2, log)", "pick(4)", "scale(C3 dorain, 2 oct)",
        "scale(C3 dorian)", "> x", "norm01 || abs", "at(x)"})
    CHECK_THROWS_AS(parse_transforms(bad), th::InputError);
}

TEST_CASE("feature: evaluation keeps the source index", "[music][feature]") {
  FakeSource src;
  src.arrays["layers.3.mlp.down_proj.row_norms"] = {2, 4, 3, 10, 0, 6, 8, 1};
  FeatureExpr e{"layers.3.mlp.down_proj.row_norms",
                parse_transforms("norm01 | scale(C3 phrygian, 2 oct) | pick(4 evenly)")};
  const auto fv = e.evaluate(src);
  // norm01 → {.2,.4,.3,1,0,.6,.8,.1} (÷10+1e-9); scale C3 phrygian 2 oct = 48..72, 15 notes;
  // index int(v·14): 0.2 → 2 → 51, 0.3 → 4 → 55; picks indices 0, 2, 4, 7.
  CHECK(values(fv) == std::vector<double>{51, 55, 48, 49});
  CHECK(fv.values[1].index == 2);
  CHECK(fv.values[3].index == 7);
  const auto why = fv.provenance(1, Field::pitch);
  CHECK(why.feature == "layers.3.mlp.down_proj.row_norms");
  CHECK(why.statistic == "row_norms");
  CHECK(why.index == 2);
  CHECK(why.transform == "norm01 | scale(C3 phrygian, 2 oct) | pick(4 evenly)");
  CHECK_THROWS_AS((FeatureExpr{"nope", {}}.evaluate(src)), th::InputError);
}

TEST_CASE("feature: each transform", "[music][feature]") {
  auto run = [](std::vector<double> in, const char* chain) {
    std::vector<SourcedValue> v;
    for (std::size_t i = 0; i < in.size(); ++i) v.push_back({in[i], static_cast<std::int64_t>(i)});
    std::vector<double> out;
    for (auto& s : apply_transforms(v, parse_transforms(chain))) out.push_back(s.value);
    return out;
  };
  CHECK(run({5, 5, 5}, "norm01") == std::vector<double>{0, 0, 0});
  CHECK(run({-2, 3}, "abs") == std::vector<double>{2, 3});
  CHECK(run({3, 1, 2, 1}, "rank") == std::vector<double>{1, 0, 2.0 / 3, 1.0 / 3});
  CHECK(run({0.1, 0.8, 0.7}, "rank > 0.7") == std::vector<double>{0, 1, 0});
  CHECK(run({0.1, 0.8, 0.5}, "< 0.5") == std::vector<double>{1, 0, 0});
  CHECK(run({0, 0.5, 1}, "range(300, 3000, exp)")[1] == Approx(948.683298).epsilon(1e-9));
  CHECK(run({0, 0.5, 1}, "range(0.2, 0.9)")[1] == Approx(0.55).epsilon(1e-12));
  CHECK(run({61, 61.5, 66, 58}, "snap(C4 major)") == std::vector<double>{60, 62, 65, 57});
  CHECK(run({4, 5, 6}, "at(2)") == std::vector<double>{6});
  CHECK_THROWS_AS(run({4, 5, 6}, "at(3)"), th::InputError);
  CHECK(run({1}, "norm01 | pick(16 evenly)").size() == 16);
}

TEST_CASE("feature: a feature sequence is a pattern with provenance", "[music][feature]") {
  FakeSource src;
  src.arrays["a.std"] = {0, 1, 2, 3};
  const auto fv = FeatureExpr{"a.std", parse_transforms("norm01 | > 0.5")}.evaluate(src);
  const auto haps = feature_sequence(fv, Field::accent).query_sorted({0, 1});
  REQUIRE(haps.size() == 4);
  CHECK(haps[2].value.value == 1.0);
  CHECK(haps[1].value.value == 0.0);
  CHECK(haps[2].value.why.index == 2);
  CHECK(haps[2].value.why.field == Field::accent);
  CHECK(*haps[3].whole == th::TimeSpan{th::Rational(3, 4), 1});
}
