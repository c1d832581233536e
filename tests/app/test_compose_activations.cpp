// Genres that read runtime activations, end to end through `tensorhaus compose` on the embedded
// pocket model: the thinking piece (sines and operatic) against the hidden states that
// `tensorhaus activations` dumps for the same prompt, and dataset sines against its own prompt
// file; determinism, sensitivity to the prompt, and the error for a section with no prompt.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_support.h"
#include "model/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using th::test::read_events;
using th::test::slurp;

int run(const std::string& args, const fs::path& scratch) {
  return th::test::run_cli(args, scratch).code;
}

std::vector<json> section(const std::vector<json>& all, const std::string& name) {
  std::vector<json> out;
  for (const auto& e : all)
    if (e["section"] == name) out.push_back(e);
  return out;
}

const json* why(const json& e, const std::string& field) {
  for (const auto& p : e["provenance"])
    if (p["field"] == field) return &p;
  return nullptr;
}

const std::string kPrompt = "And God said, Let there be light: and there was light.";

fs::path write_session(const fs::path& dir, const std::string& prompt) {
  const auto p = dir / "thinking.toml";
  std::ofstream(p) << "name = \"thinking\"\ntempo = 72\nmodel = \""
                   << (th::test::source_dir() / "models/pocket").string() << "\"\npatterns = \""
                   << (th::test::source_dir() / "patterns").string()
                   << "\"\n[[section]]\nname = \"thinking\"\npattern = \"thinking\"\nbars = 6\n"
                      "prompt = \""
                   << prompt
                   << "\"\n[[section]]\nname = \"operatic\"\npattern = \"operatic\"\nbars = 12\n"
                      "prompt = \""
                   << prompt << "\"\n";
  return p;
}

}  // namespace

TEST_CASE("compose: thinking plays every token of every layer from the prompt's hidden states",
          "[app][compose][thinking]") {
  const auto dir = th::test::scratch("compose-thinking");
  const auto session = write_session(dir, kPrompt);
  REQUIRE(run("compose " + session.string() + " --out " + (dir / "a").string(), dir) == 0);
  REQUIRE(
      run("activations --prompt \"" + kPrompt + "\" --out " + (dir / "acts.safetensors").string(),
          dir) == 0);
  const auto acts = th::model::SafetensorsFile::open(dir / "acts.safetensors");
  const auto hidden = th::model::to_float(*acts->find("hidden"));
  const auto& shape = acts->find("hidden")->shape;  // [L+1, T, D]
  const int64_t S = shape[0], T = shape[1], D = shape[2];
  std::vector<double> norms(static_cast<std::size_t>(S * T));
  double peak = 0;
  for (int64_t i = 0; i < S * T; ++i) {
    double s = 0;
    for (int64_t d = 0; d < D; ++d) s += std::pow(hidden[static_cast<std::size_t>(i * D + d)], 2);
    norms[static_cast<std::size_t>(i)] = std::sqrt(s);
    peak = std::max(peak, norms[static_cast<std::size_t>(i)]);
  }

  const auto all = read_events(dir / "a/events.jsonl");
  const auto sines = section(all, "thinking");
  REQUIRE(sines.size() == static_cast<std::size_t>(S * T));  // every state (0 = embedding) × token
  std::set<double> pitches;
  for (const auto& e : sines) {
    CHECK(e["instrument"] == "sine");
    pitches.insert(e["pitch"].get<double>());
    const auto* v = why(e, "velocity");
    REQUIRE(v);
    CHECK((*v)["feature"] == "prompt.hidden_norms");
    const auto i = (*v)["index"].get<std::size_t>();
    CHECK(e["velocity"].get<double>() == Approx(norms[i] / peak).epsilon(1e-4));
    REQUIRE(why(e, "phase"));
    CHECK((*why(e, "phase"))["feature"] == "prompt.pca_angle");
  }
  CHECK(pitches.size() == static_cast<std::size_t>(T));  // one log-spaced pitch per token
  // Lowest token first: 80 Hz = MIDI 39.487, the last 5000 Hz = MIDI 111.076.
  CHECK(*pitches.begin() == Approx(39.4868).epsilon(1e-5));
  CHECK(*pitches.rbegin() == Approx(111.0762).epsilon(1e-5));

  const auto sung = section(all, "operatic");
  REQUIRE(sung.size() == static_cast<std::size_t>(S * T));
  std::set<double> sung_pitches;
  std::set<std::string> voices;
  for (const auto& e : sung) {
    const double p = e["pitch"].get<double>();
    CHECK(p == std::round(p));  // snapped to the model's mode
    sung_pitches.insert(p);
    voices.insert(e["instrument"].get<std::string>());
    CHECK(e["params"].contains("vibrato"));
    CHECK(e["params"].contains("attack"));
  }
  CHECK(sung_pitches.size() >= 5);
  CHECK(voices == std::set<std::string>{"bass_voice", "tenor", "alto", "soprano"});

  // Deterministic; a different prompt gives different music.
  REQUIRE(run("compose " + session.string() + " --out " + (dir / "b").string(), dir) == 0);
  CHECK(slurp(dir / "a/events.jsonl") == slurp(dir / "b/events.jsonl"));
  const auto other = write_session(dir, "The LORD is my shepherd; I shall not want.");
  REQUIRE(run("compose " + other.string() + " --out " + (dir / "c").string(), dir) == 0);
  CHECK(slurp(dir / "a/events.jsonl") != slurp(dir / "c/events.jsonl"));
}

TEST_CASE("compose: dataset sines, one segment per prompt of the file", "[app][compose][dataset]") {
  const auto dir = th::test::scratch("compose-dataset");
  const auto session = th::test::source_dir() / "sessions/dataset.toml";
  REQUIRE(run("compose " + session.string() + " --out " + (dir / "a").string(), dir) == 0);
  const auto all = read_events(dir / "a/events.jsonl");
  // 24 prompts × 48 dimensions (patterns/dataset.toml).
  REQUIRE(all.size() == 24u * 48u);
  std::map<double, int> per_onset;
  std::set<double> pitches;
  double vmax = 0;
  for (const auto& e : all) {
    ++per_onset[e["beat"].get<double>()];
    pitches.insert(e["pitch"].get<double>());
    vmax = std::max(vmax, e["velocity"].get<double>());
    const double phase = e["params"]["phase"].get<double>();
    CHECK((phase == 0.0 || phase == Approx(M_PI)));
    CHECK((*why(e, "pitch"))["feature"] == "dataset.pooled");
  }
  CHECK(per_onset.size() == 24u);
  CHECK(pitches.size() == 48u);
  CHECK(vmax == Approx(1.0));
}

TEST_CASE("compose: a thinking section without a prompt names the session and the field",
          "[app][compose][thinking]") {
  const auto dir = th::test::scratch("compose-thinking-bad");
  const auto p = dir / "bad.toml";
  std::ofstream(p) << "name = \"bad\"\nmodel = \""
                   << (th::test::source_dir() / "models/pocket").string()
                   << "\"\n[[section]]\nname = \"t\"\npattern = \"thinking\"\nbars = 2\n";
  const auto r = th::test::run_cli("compose " + p.string() + " --out " + (dir / "o").string(), dir);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.toml:3") && Catch::Contains("prompts"));
}
