#include <catch2/catch.hpp>

#include "core/error.h"
#include "fake_features.h"
#include "music/pattern_file.h"

using namespace th;
using namespace th::music;

TEST_CASE("feature: scale(tonality…) resolves against the model's key", "[music][feature]") {
  const auto chain = parse_transforms("norm01 | scale(tonality@2 phrygian, 1 oct)");
  REQUIRE(chain.size() == 2);
  CHECK(transform_text(chain[1]) == "scale(tonality@2 phrygian, 1 oct)");
  CHECK(transform_text(parse_transforms("snap(tonality)")[0]) == "snap(tonality)");
  th::test::FakeFeatures f;
  f.arrays["x"] = {0, 1, 2, 3, 4, 5, 6, 7};
  f.arrays["tonality.root"] = {67};  // G4
  f.arrays["tonality.mode"] = {1};   // natural_minor
  const auto v = FeatureExpr{"x", chain}.evaluate(f);
  // G2 phrygian: 43 44 46 48 50 51 53 55. norm01 puts k/7 just below k/7 (the 1e-9 in its
  // denominator), so int(v · 7) truncates to k − 1 for k ≥ 1, as the seed's int() does.
  std::vector<double> got;
  for (const auto& s : v.values) got.push_back(s.value);
  CHECK(got == std::vector<double>{43, 43, 44, 46, 48, 50, 51, 53});
  CHECK(v.transform == "norm01 | scale(tonality@2 phrygian = G2 phrygian, 1 oct)");
  // The model's own mode when none is named; snap keeps every octave.
  const auto s = FeatureExpr{"x", parse_transforms("range(60, 62) | snap(tonality)")}.evaluate(f);
  CHECK(s.values[0].value == 60);  // G natural minor holds C and D, not C#: 60 → 60
  CHECK(s.transform == "range(60, 62) | snap(tonality = G4 natural_minor)");
  CHECK_THROWS_AS(parse_transforms("scale(tonality@x, 2 oct)"), InputError);
  CHECK_THROWS_AS(parse_transforms("scale(tonality@2 nomode, 2 oct)"), InputError);
  // Without a source there is no key to resolve.
  CHECK_THROWS_AS(apply_transforms({{0.5, 0}}, chain), InputError);
}

TEST_CASE("pattern file: templates and typed values", "[music][pattern_file]") {
  CHECK(expand_template("layers.{l}.x|layers.{prev}.x", {3, 8}) == "layers.3.x|layers.2.x");
  CHECK(expand_template("layers.{prev}.x", {0, 8}) == "layers.1.x");
  CHECK(expand_template("{l-1} {l-1}", {0, 8}) == "0 0");
  CHECK(expand_template("{l-1}", {5, 8}) == "4");
  const auto t = toml::parse(R"toml(
genre = "acid"
[voices.tb303]
pitch = { feature = "layers.{l}.a", at = "{l}", map = "norm01" }
decay = 0.3
[drums.hat]
instrument = "open_hat"
euclid = [3, 8]
rotate = 2
)toml",
                             std::string_view("p.toml"));
  const auto s = parse_pattern(t, "p.toml");
  CHECK(s.name == "p");
  REQUIRE(s.voices.size() == 1);
  const auto& pitch = s.voice("tb303").get("pitch");
  REQUIRE(pitch.mapping);
  CHECK(pitch.mapping->where == "p.toml:4");
  CHECK(pitch.mapping->at == "{l}");
  CHECK(s.voice("tb303").get("decay").constant == 0.3);
  REQUIRE(s.drums.size() == 1);
  CHECK(s.drums[0].instrument == "open_hat");
  CHECK(s.drums[0].hits == 3);
  CHECK(s.drums[0].steps == 8);
  CHECK(s.drums[0].rotate.constant == 2.0);

  auto error_of = [](const std::string& text) {
    try {
      parse_pattern(toml::parse(text, std::string_view("q.toml")), "q.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("genre = \"acid\"\n[drums.kick]\neuclid = [17, 16]\n").find("q.toml:3") == 0);
  CHECK(error_of("genre = \"acid\"\n[voices.x]\np = { feature = \"a\", mapp = \"norm01\" }\n")
            .find("q.toml:3") == 0);
  CHECK(error_of("genre = \"acid\"\n\n[[part]]\nname = \"a\"\nshare = 0.5\nmode = \"lydain\"\n")
            .find("q.toml:6") == 0);
}
