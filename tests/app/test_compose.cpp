// `tensorhaus compose` and `tensorhaus explain` end to end on the real stories260K model: files,
// determinism, non-degenerate music, the MIDI read back by mido, and bad pattern files.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_support.h"

namespace fs = std::filesystem;

namespace {

using th::test::slurp;
using Run = th::test::CliRun;

constexpr auto run = &th::test::run_cli;

constexpr auto events = &th::test::read_events;

Run compose(const std::string& session, const fs::path& out, const fs::path& scratch) {
  const auto model = th::test::shared_data("models/stories260K-hf");
  return run("compose " + (th::test::source_dir() / "sessions" / (session + ".toml")).string() +
                 " --out " + out.string() + " --model " + model.string(),
             scratch);
}

// mido's view of the file: lines "program TRACK CHANNEL PROGRAM", "tempo TICK US", "note …".
std::vector<std::string> midi_lines(const fs::path& mid, const fs::path& scratch) {
  const auto txt = scratch / "midi.txt";
  const std::string cmd = "/usr/bin/python3 " +
                          (th::test::source_dir() / "tests/io/read_midi.py").string() + " " +
                          mid.string() + " > " + txt.string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::vector<std::string> lines;
  std::istringstream in(slurp(txt));
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("compose: acid on stories260K is deterministic, varied and reads back",
          "[app][compose]") {
  const auto dir = th::test::scratch("compose_acid");
  const auto a = compose("acid", dir / "a", dir);
  INFO(a.err);
  REQUIRE(a.code == 0);
  const auto b = compose("acid", dir / "b", dir);
  REQUIRE(b.code == 0);
  CHECK(slurp(dir / "a/acid.mid") == slurp(dir / "b/acid.mid"));
  CHECK(slurp(dir / "a/events.jsonl") == slurp(dir / "b/events.jsonl"));

  const auto ev = events(dir / "a/events.jsonl");
  // 64 bars over the model's 5 layers; the first bar of each layer's run.
  std::map<int, std::vector<double>> bars;
  std::set<double> pitches;
  std::map<std::string, int> count;
  for (const auto& e : ev) {
    ++count[e["instrument"].get<std::string>()];
    if (e["instrument"] != "tb303") continue;
    bars[e["bar"].get<int>()].push_back(e["pitch"].get<double>());
    pitches.insert(e["pitch"].get<double>());
    bool pitch_from_down_proj = false;
    for (const auto& p : e["provenance"])
      if (p["field"] == "pitch")
        pitch_from_down_proj =
            p["feature"].get<std::string>().find("down_proj.row_norms") != std::string::npos;
    CHECK(pitch_from_down_proj);
  }
  CHECK(bars.size() == 64);  // every bar plays
  CHECK(pitches.size() >= 5);
  std::set<std::vector<double>> layer_patterns;
  for (int l = 0; l < 5; ++l) layer_patterns.insert(bars[1 + (64 * l + 4) / 5]);
  CHECK(layer_patterns.size() == 5);  // each layer its own pattern
  CHECK(count["kick"] == 64 * 4);

  const auto lines = midi_lines(dir / "a/acid.mid", dir);
  std::map<std::string, int> notes_per_track;
  std::map<std::string, std::string> track_names;
  int tempo_lines = 0;
  std::set<std::string> programs;
  for (const auto& l : lines) {
    std::istringstream s(l);
    std::string kind;
    s >> kind;
    if (kind == "tempo") {
      ++tempo_lines;
      long tick = 0, us = 0;
      s >> tick >> us;
      CHECK(us == std::lround(60e6 / 138));
    } else if (kind == "track") {
      std::string ti, name;
      s >> ti >> name;
      track_names[ti] = name;
    } else if (kind == "program") {
      std::string ti;
      int ch = 0, prog = 0;
      s >> ti >> ch >> prog;
      programs.insert(track_names[ti] + " " + std::to_string(ch) + " " + std::to_string(prog));
    } else if (kind == "note") {
      std::string ti;
      s >> ti;
      ++notes_per_track[track_names[ti]];
    }
    CHECK(kind != "stuck");
  }
  CHECK(tempo_lines == 1);
  CHECK(programs.count("tb303 0 39") == 1);
  CHECK(notes_per_track["tb303"] == count["tb303"]);
  CHECK(notes_per_track["kick"] == count["kick"]);
  CHECK(notes_per_track["hat"] == count["hat"]);
}

TEST_CASE("compose: house on stories260K moves its chords", "[app][compose]") {
  const auto dir = th::test::scratch("compose_house");
  const auto r = compose("house", dir / "out", dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto ev = events(dir / "out/events.jsonl");
  std::map<double, double> roots;  // chord onset → lowest pad note
  std::set<double> pitches;
  double last_seconds = 0;
  for (const auto& e : ev) {
    last_seconds = std::max(last_seconds, e["seconds"].get<double>());
    const auto inst = e["instrument"].get<std::string>();
    if (inst == "pad") {
      auto [it, fresh] = roots.emplace(e["beat"].get<double>(), e["pitch"].get<double>());
      if (!fresh) it->second = std::min(it->second, e["pitch"].get<double>());
    }
    if (inst == "pad" || inst == "fmbass" || inst == "lead" || inst == "arp")
      pitches.insert(e["pitch"].get<double>());
  }
  REQUIRE(roots.size() >= 8);
  std::set<double> first8;
  for (auto it = roots.begin();
       first8.size() < 8 && it != roots.end() && std::distance(roots.begin(), it) < 8; ++it)
    first8.insert(it->second);
  CHECK(first8.size() >= 4);
  CHECK(pitches.size() >= 5);
  CHECK(last_seconds == Approx(128 * 4 * 60.0 / 128).margin(1.0));

  // One section per part; each event carries its part, and the MIDI file marks where each
  // starts (mido's view; ticks from the header).
  const std::map<std::string, std::pair<double, double>> sections{
      {"intro", {0, 64}}, {"buildup", {64, 128}}, {"drop", {128, 384}}, {"outro", {384, 512}}};
  for (const auto& e : ev) {
    const auto it = sections.find(e["section"].get<std::string>());
    REQUIRE(it != sections.end());
    CHECK(e["beat"].get<double>() >= it->second.first);
    CHECK(e["beat"].get<double>() < it->second.second);
  }
  const auto midi = midi_lines(dir / "out/house.mid", dir);
  int ticks_per_beat = 0;
  std::vector<std::string> markers;
  for (const auto& line : midi) {
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "header") {
      int type = 0, tracks = 0;
      in >> type >> tracks >> ticks_per_beat;
    }
    if (kind == "marker") {
      long tick = 0;
      std::string text;
      in >> tick >> text;
      markers.push_back(text + "@" + std::to_string(tick / ticks_per_beat));
    }
  }
  CHECK(markers == std::vector<std::string>{"intro@0", "buildup@64", "drop@128", "outro@384"});
}

TEST_CASE("compose: the demo set changes tempo and stays under three minutes", "[app][compose]") {
  const auto dir = th::test::scratch("compose_demo");
  const auto r = compose("demo", dir / "out", dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  std::vector<long> tempi;
  std::vector<std::string> markers;
  for (const auto& l : midi_lines(dir / "out/demo.mid", dir)) {
    std::istringstream s(l);
    std::string kind;
    s >> kind;
    if (kind == "tempo") {
      long tick = 0, us = 0;
      s >> tick >> us;
      tempi.push_back(us);
    } else if (kind == "marker") {
      long tick = 0;
      std::string text;
      s >> tick >> text;
      markers.push_back(text);
    }
  }
  // 138 BPM, the acid section's 4-bar ramp (one step a beat, slowing), then 128.
  REQUIRE(tempi.size() == 18);
  CHECK(tempi.front() == std::lround(60e6 / 138));
  CHECK(tempi.back() == std::lround(60e6 / 128));
  CHECK(std::is_sorted(tempi.begin(), tempi.end()));
  CHECK(markers == std::vector<std::string>{"acid", "intro", "buildup", "drop", "outro"});
  double end = 0;
  for (const auto& e : events(dir / "out/events.jsonl"))
    end = std::max(end, e["seconds"].get<double>() + e["duration"].get<double>() * 60 / 128);
  CHECK(end <= 180.0);

  const auto x =
      run("explain " + (dir / "out/events.jsonl").string() + " --bar 1 --instrument tb303", dir);
  INFO(x.err);
  REQUIRE(x.code == 0);
  CHECK(x.out.find("tb303 beat 0") != std::string::npos);
  CHECK(x.out.find("layers.0.mlp.down_proj.row_norms") != std::string::npos);
  CHECK(x.out.find("layers.0.self_attn.v_proj.kurtosis") != std::string::npos);
  const auto none =
      run("explain " + (dir / "out/events.jsonl").string() + " --bar 1 --instrument tuba", dir);
  CHECK(none.code == 2);
}

TEST_CASE("compose: a bad pattern file is an error naming file and line", "[app][compose]") {
  const auto dir = th::test::scratch("compose_bad");
  fs::create_directories(dir / "patterns");
  {
    std::ofstream s(dir / "set.toml");
    s << "name = \"bad\"\n[[section]]\npattern = \"acid\"\nbars = 2\n";
  }
  auto write_pattern = [&](const std::string& body) {
    std::ofstream p(dir / "patterns/acid.toml");
    p << body;
  };
  const auto model = th::test::shared_data("models/stories260K-hf");
  const std::string args = "compose " + (dir / "set.toml").string() + " --out " +
                           (dir / "out").string() + " --model " + model.string();

  write_pattern("genre = \"acid\"\n[voices.tb303]\npitch = 1\nresonanse = 0.5\n");
  auto r = run(args, dir);
  CHECK(r.code == 2);
  CHECK(r.err.find("patterns/acid.toml:4") != std::string::npos);
  CHECK(r.err.find("resonanse") != std::string::npos);

  write_pattern(
      "genre = \"acid\"\n[voices.tb303]\n# a comment\n\npitch = { feature = "
      "\"layers.{l}.mlp.down_proj.row_normz\", map = \"norm01\" }\n");
  r = run(args, dir);
  CHECK(r.code == 2);
  CHECK(r.err.find("patterns/acid.toml:5") != std::string::npos);
  CHECK(r.err.find("row_normz") != std::string::npos);

  // `parts` asks for [[part]] tables that acid has not.
  write_pattern("genre = \"acid\"\n[voices.tb303]\npitch = 1\n");
  {
    std::ofstream s(dir / "set.toml");
    s << "name = \"bad\"\n[[section]]\npattern = \"acid\"\nbars = 2\nparts = [\"drop\"]\n";
  }
  r = run(args, dir);
  CHECK(r.code == 2);
  CHECK(r.err.find("set.toml:2 (section acid)") != std::string::npos);
  CHECK(r.err.find("parts") != std::string::npos);
  CHECK(r.err.find("[[part]]") != std::string::npos);
}

TEST_CASE("compose: the feature cache remembers a model's hash and never serves a changed one",
          "[app][compose]") {
  const auto scratch = th::test::scratch("compose_cache_memo");
  const auto model = scratch / "model";
  fs::remove_all(model);
  fs::create_directories(model);
  for (const auto& e : fs::directory_iterator(th::test::shared_data("models/stories260K-hf")))
    fs::copy(e.path(), model / e.path().filename());
  const auto session = (th::test::source_dir() / "sessions/acid.toml").string();
  const auto cached = [&](const std::string& prefix) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(scratch / "cache"))
      if (e.path().filename().string().starts_with(prefix))
        names.insert(e.path().filename().string());
    return names;
  };
  const auto compose_into = [&](const std::string& out) {
    const auto r = run(
        "compose " + session + " --out " + (scratch / out).string() + " --model " + model.string(),
        scratch);
    REQUIRE(r.code == 0);
    return slurp(scratch / out / "events.jsonl");
  };
  const auto first = compose_into("a");
  REQUIRE(cached("hash-").size() == 1);
  REQUIRE(cached("features-").size() == 1);
  // Unchanged files: the remembered hash, the same features, the same music.
  CHECK(compose_into("b") == first);
  CHECK(cached("hash-").size() == 1);
  CHECK(cached("features-").size() == 1);

  // One weight changed in place (same size): a new stamp, a new content hash, new features.
  const auto weights = model / "model.safetensors";
  std::string bytes = slurp(weights);
  bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x40);
  std::ofstream(weights, std::ios::binary | std::ios::trunc) << bytes;
  compose_into("c");
  CHECK(cached("hash-").size() == 2);
  CHECK(cached("features-").size() == 2);
}

TEST_CASE("compose: every weight genre plays the tiny Phi-3 (fused tensors) and Gemma 3 models",
          "[app][compose]") {
  const auto scratch = th::test::scratch("compose_architectures");
  for (const std::string arch : {"phi3-tiny", "gemma3-tiny"}) {
    for (const std::string genre : {"acid", "house", "opera", "suite"}) {
      INFO(arch << " " << genre);
      const auto out = scratch / (arch + "-" + genre);
      const auto r =
          run("compose " + (th::test::source_dir() / "sessions" / (genre + ".toml")).string() +
                  " --out " + out.string() + " --model " +
                  th::test::test_data("model/" + arch).string(),
              scratch);
      INFO(r.err);
      REQUIRE(r.code == 0);
      const auto ev = events(out / "events.jsonl");
      CHECK(ev.size() >= 40);
      // Phi-3's fused q rows are addressed as q_proj, like every other architecture's.
      if (genre == "house") {
        bool q = false;
        for (const auto& e : ev)
          q = q || e["provenance"].dump().find("self_attn.q_proj") != std::string::npos;
        CHECK(q);
      }
    }
  }
}
