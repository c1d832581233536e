// Transitions between sections: the ramp's tempo steps, the fill and riser a section plays at
// its end (from patterns/transitions.toml and the synthetic model), through compose() with a
// real session file, and the session errors for a bad transition.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "core/error.h"
#include "fake_features.h"
#include "music/composer.h"
#include "music/session.h"
#include "music/transitions.h"
#include "support.h"

using namespace th;
using namespace th::music;

namespace {

const auto kPatterns = th::test::source_dir() / "patterns";

SectionPlan section(int bars, std::vector<Transition> t) {
  SectionPlan s;
  s.name = "acid";
  s.pattern = "acid";
  s.bars = bars;
  s.layer_lo = 0;
  s.layer_hi = 3;
  s.line = 7;
  s.transitions = std::move(t);
  return s;
}

std::vector<Event> of(const std::vector<Event>& ev, const std::string& instrument) {
  std::vector<Event> out;
  for (const auto& e : ev)
    if (e.instrument == instrument) out.push_back(e);
  return out;
}

std::string expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no error");
  return {};
}

}  // namespace

TEST_CASE("transitions: a ramp steps every beat from one tempo towards the next",
          "[music][transition]") {
  const auto steps = ramp_steps(Beats(32), 2, 4, 138, 128);
  REQUIRE(steps.size() == 8);
  for (int k = 0; k < 8; ++k) {
    CHECK(steps[k].at == Beats(24 + k));
    CHECK(steps[k].bpm == Approx(138 - 10.0 * (k + 1) / 9));
  }
  CHECK(ramp_steps(Beats(32), 2, 4, 128, 128).empty());
}

TEST_CASE("transitions: the fill and the riser play the section's end from its last layer",
          "[music][transition]") {
  const auto f = th::test::synthetic_model(4);
  const auto voices = load_transition_voices(kPatterns, "test");
  const auto s = section(8, {{"fill", 2}, {"riser", 4}});
  const auto ev = transition_events(s, voices, f, 4, 4);

  const auto fill = of(ev, "snare");
  REQUIRE(fill.size() >= 8);
  std::set<Beats> onsets;
  for (const auto& e : fill) {
    CHECK(e.onset >= Beats(24));  // the last 2 of 8 bars
    CHECK(e.onset < Beats(32));
    CHECK(e.duration == Beats(1, 4));
    CHECK(e.provenance.front().feature == "layers.3.mlp.gate_proj.row_norms");
    onsets.insert(e.onset);
  }
  CHECK(onsets.size() == fill.size());
  // Denser towards the end: the second bar has at least as many hits as the first.
  const auto second =
      std::count_if(fill.begin(), fill.end(), [](const Event& e) { return e.onset >= Beats(28); });
  CHECK(second >= static_cast<long>(fill.size()) - second);
  CHECK(second < 16 + 1);

  const auto riser = of(ev, "riser");
  REQUIRE(riser.size() == 1);
  CHECK(riser[0].onset == Beats(16));
  CHECK(riser[0].duration == Beats(16));
  const ModelKey key = tonal_key(xf::Tonal{4, "", 0}, model_key(f));
  CHECK(riser[0].pitch == key.root);
  bool cutoff_from_tension = false;
  for (const auto& p : riser[0].provenance)
    cutoff_from_tension |= p.field == Field::cutoff && p.feature == "tension" && p.index == 3;
  CHECK(cutoff_from_tension);

  // Deterministic; another fill tensor gives other hits and nothing else changes.
  CHECK(transition_events(s, voices, f, 4, 4) == ev);
  auto g = f;
  for (auto& x : g.arrays["layers.3.mlp.gate_proj.row_norms"]) x = x * 1.7f + 0.3f;
  const auto ev2 = transition_events(s, voices, g, 4, 4);
  CHECK(of(ev2, "snare") != fill);
  CHECK(of(ev2, "riser") == riser);
}

TEST_CASE("transitions: compose puts them at the section's end and ramps the tempo map",
          "[music][transition]") {
  const auto dir = th::test::scratch("transitions_compose");
  const auto file = dir / "set.toml";
  std::ofstream(file) << "name = \"t\"\ntempo = 138\npatterns = \"" << kPatterns.string()
                      << "\"\n[[section]]\nname = \"a\"\npattern = \"acid\"\nbars = 8\n"
                         "transition = { ramp = 1, fill = 1 }\n"
                         "[[section]]\nname = \"b\"\npattern = \"acid\"\nbars = 4\ntempo = 120\n";
  const Session session = load_session(file, th::test::source_dir());
  REQUIRE(session.sections[0].transitions.size() == 2);
  const auto f = th::test::synthetic_model(4);
  const Composition c = compose(session, f, 4, nullptr);
  REQUIRE(c.tempo.size() == 6);  // 138, four ramp steps, 120
  CHECK(c.tempo[0].bpm == 138);
  for (int k = 0; k < 4; ++k) {
    CHECK(c.tempo[1 + k].at == Beats(28 + k));
    CHECK(c.tempo[1 + k].bpm == Approx(138 - 18.0 * (k + 1) / 5));
  }
  CHECK(c.tempo[5].at == Beats(32));
  CHECK(c.tempo[5].bpm == 120);
  // The fill is section a's: its last bar, before b starts.
  std::size_t fills = 0;
  for (const auto& e : c.events)
    if (!e.provenance.empty() &&
        e.provenance.front().transform.find("transition fill") != std::string::npos) {
      ++fills;
      CHECK(e.onset >= Beats(28));
      CHECK(e.onset < Beats(32));
    }
  CHECK(fills >= 4);
  // Seconds follow the ramp: beat 32 comes later than at a constant 138 BPM.
  CHECK(c.seconds_at(Beats(32)) > 32 * 60.0 / 138 + 0.05);

  // Without transitions.toml in the pattern folder, the section asking for one says so.
  const auto bare = dir / "patterns";
  std::filesystem::create_directories(bare);
  std::filesystem::copy_file(kPatterns / "acid.toml", bare / "acid.toml",
                             std::filesystem::copy_options::overwrite_existing);
  Session s2 = session;
  s2.patterns_dir = bare;
  const auto what = expect_error([&] { compose(s2, f, 4, nullptr); });
  CHECK(what.find("transition") != std::string::npos);
  CHECK(what.find("transitions.toml") != std::string::npos);
}

TEST_CASE("transitions: a bad kind or length is refused with file and line",
          "[music][transition]") {
  const auto dir = th::test::scratch("transitions_bad");
  const auto file = dir / "set.toml";
  auto write = [&](const std::string& transition) {
    std::ofstream(file) << "name = \"t\"\npatterns = \"" << kPatterns.string()
                        << "\"\n[[section]]\npattern = \"acid\"\nbars = 4\ntransition = "
                        << transition << "\n";
  };
  write("{ drop = 1 }");
  auto what = expect_error([&] { load_session(file, th::test::source_dir()); });
  CHECK(what.find("set.toml:6") != std::string::npos);
  CHECK(what.find("fill, riser, ramp") != std::string::npos);
  CHECK(what.find("'drop'") != std::string::npos);
  write("{ riser = 8 }");
  what = expect_error([&] { load_session(file, th::test::source_dir()); });
  CHECK(what.find("transition.riser") != std::string::npos);
  CHECK(what.find("1..4") != std::string::npos);
  write("\"fill\"");
  what = expect_error([&] { load_session(file, th::test::source_dir()); });
  CHECK(what.find("a table") != std::string::npos);
}
