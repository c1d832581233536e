#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.h"
#include "io/midi_file.h"
#include "support.h"

using namespace th::io;
using th::Rational;
using th::music::Event;
using th::music::Field;

namespace {

Event note(Rational on, Rational dur, std::string inst, double pitch, double vel) {
  Event e;
  e.onset = on;
  e.duration = dur;
  e.instrument = std::move(inst);
  e.pitch = pitch;
  e.velocity = vel;
  return e;
}

// Runs the independent mido reader and returns its lines.
std::vector<std::string> read_back(const std::filesystem::path& file) {
  const auto script = th::test::source_dir() / "tests/io/read_midi.py";
  const std::string cmd = "/usr/bin/python3 " + script.string() + " " + file.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  INFO(out);
  REQUIRE(rc == 0);
  std::vector<std::string> lines;
  std::istringstream is(out);
  for (std::string l; std::getline(is, l);) lines.push_back(l);
  return lines;
}

std::vector<std::string> with_prefix(const std::vector<std::string>& lines, const std::string& p) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.rfind(p, 0) == 0) out.push_back(l);
  return out;
}

MidiSong demo_song() {
  MidiSong s;
  s.title = "acid test";
  s.tempo = {{0, 138.0}, {8, 120.0}};
  s.meter = {{0, 4, 4}, {8, 3, 4}};
  s.markers = {{0, "intro"}, {Rational(8), "layer 3"}};
  // Bass: a sixteenth line with a triplet, an accent and a slide.
  auto a = note(0, Rational(1, 4), "tb303", 48, 0.5);
  auto b = note(Rational(1, 4), Rational(1, 4), "tb303", 51, 0.5);
  b.params.set(Field::slide, 1.0);
  auto c = note(Rational(1, 2), Rational(1, 4), "tb303", 55.4, 0.5);
  auto d = note(Rational(2, 3), Rational(1, 6), "tb303", 60, 0.6);
  d.params.set(Field::accent, 1.0);
  s.events = {d, c, b, a};
  for (int i = 0; i < 4; ++i) s.events.push_back(note(i, Rational(1, 8), "kick", 0, 0.9));
  s.events.push_back(note(Rational(1, 2), Rational(1, 8), "hat", 0, 0.4));
  s.events.push_back(note(9, 2, "violin", 67, 1.0));
  return s;
}

}  // namespace

TEST_CASE("midi: mido reads back tracks, programs, channels, tempo and notes", "[io][midi]") {
  const auto dir = th::test::scratch("midi_readback");
  write_midi_file(dir / "song.mid", demo_song());
  const auto lines = read_back(dir / "song.mid");
  CHECK(with_prefix(lines, "header") == std::vector<std::string>{"header 1 5 480"});
  CHECK(with_prefix(lines, "track") == std::vector<std::string>{"track 0 acid test", "track 1 kick",
                                                                "track 2 tb303", "track 3 hat",
                                                                "track 4 violin"});
  // tb303 is the first melodic instrument (channel 0), violin the second; drums on index 9.
  CHECK(with_prefix(lines, "program") ==
        std::vector<std::string>{"program 2 0 39", "program 4 1 40"});
  // 60e6 / 138 = 434782.6 → 434783 µs per quarter; the second tempo at beat 8 = tick 3840.
  CHECK(with_prefix(lines, "tempo") ==
        std::vector<std::string>{"tempo 0 434783", "tempo 3840 500000"});
  CHECK(with_prefix(lines, "timesig") ==
        std::vector<std::string>{"timesig 0 4 4", "timesig 3840 3 4"});
  CHECK(with_prefix(lines, "marker") ==
        std::vector<std::string>{"marker 0 intro", "marker 3840 layer 3"});
  CHECK(with_prefix(lines, "stuck").empty());
  // note TRACK CHANNEL KEY VELOCITY ON OFF. The slide holds 51 into 55 with a 10-tick overlap;
  // 55.4 rounds to 55; the accent lifts 0.6 to 0.8 → 102; the triplet lands on tick 320.
  CHECK(with_prefix(lines, "note") == std::vector<std::string>{
                                          "note 1 9 36 114 0 60",
                                          "note 1 9 36 114 480 540",
                                          "note 1 9 36 114 960 1020",
                                          "note 1 9 36 114 1440 1500",
                                          "note 2 0 48 64 0 120",
                                          "note 2 0 51 64 120 250",
                                          "note 2 0 55 64 240 360",
                                          "note 2 0 60 102 320 400",
                                          "note 3 9 42 51 240 300",
                                          "note 4 1 67 127 4320 5280",
                                      });
  // Portamento: time once, on for the note slid into, off again for the next one.
  CHECK(with_prefix(lines, "cc") ==
        std::vector<std::string>{"cc 2 0 0 5 20", "cc 2 240 0 65 127", "cc 2 320 0 65 0"});
}

TEST_CASE("midi: output is byte-identical for the same song", "[io][midi]") {
  auto s = demo_song();
  const auto a = encode_midi(s);
  std::reverse(s.events.begin(), s.events.end());
  const auto b = encode_midi(s);
  CHECK(a == b);
  const auto dir = th::test::scratch("midi_determinism");
  write_midi_file(dir / "a.mid", demo_song());
  std::ifstream f(dir / "a.mid", std::ios::binary);
  const std::vector<std::uint8_t> on_disk((std::istreambuf_iterator<char>(f)), {});
  CHECK(on_disk == a);
}

TEST_CASE("midi: ticks per quarter is configurable and ticks are exact", "[io][midi]") {
  MidiSong s;
  s.events = {note(Rational(5, 3), Rational(1, 3), "piano", 60, 0.5),
              note(Rational(7, 5), Rational(1, 5), "piano", 62, 0.5)};
  const auto dir = th::test::scratch("midi_tpq");
  write_midi_file(dir / "t.mid", s, {.ticks_per_quarter = 960});
  const auto lines = read_back(dir / "t.mid");
  CHECK(with_prefix(lines, "header") == std::vector<std::string>{"header 1 2 960"});
  CHECK(with_prefix(lines, "note") ==
        std::vector<std::string>{"note 1 0 62 64 1344 1536", "note 1 0 60 64 1600 1920"});
}

TEST_CASE("midi: many melodic instruments skip channel 10", "[io][midi]") {
  MidiSong s;
  const std::vector<std::string> ids = {"violin",  "viola", "cello",   "contrabass", "harp",
                                        "strings", "horn",  "trumpet", "trombone",   "tuba"};
  for (std::size_t i = 0; i < ids.size(); ++i)
    s.events.push_back(note(Rational(static_cast<std::int64_t>(i)), 1, ids[i], 60, 0.5));
  s.events.push_back(note(0, 1, "snare", 0, 0.5));
  const auto dir = th::test::scratch("midi_channels");
  write_midi_file(dir / "c.mid", s);
  const auto progs = with_prefix(read_back(dir / "c.mid"), "program");
  REQUIRE(progs.size() == 10);
  CHECK(progs[8] == "program 10 8 57");   // trombone, the 9th melodic: channel index 8
  CHECK(progs[9] == "program 11 10 58");  // tuba, the 10th: index 9 is skipped
}

TEST_CASE("midi: bad input is an InputError", "[io][midi]") {
  MidiSong s;
  s.events = {note(0, 1, "theremin", 60, 0.5)};
  CHECK_THROWS_WITH(encode_midi(s), Catch::Contains("theremin"));
  s.instruments["theremin"] = {81, false, 0};
  CHECK_NOTHROW(encode_midi(s));
  s.tempo = {{0, 0.0}};
  CHECK_THROWS_AS(encode_midi(s), th::InputError);
  s.tempo = {{0, 120.0}};
  s.events = {note(-1, 1, "piano", 60, 0.5)};
  CHECK_THROWS_AS(encode_midi(s), th::InputError);
}
