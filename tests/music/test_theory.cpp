#include <catch2/catch.hpp>

#include "core/error.h"
#include "music/theory.h"

using namespace th::music;

TEST_CASE("theory: build_scale reproduces the seed's upward-only builder", "[music][theory]") {
  // SEED-SPEC §1.5: SA = build_scale(root, phrygian, 28, 76).
  CHECK(build_scale(60, mode_intervals("phrygian"), 28, 76) ==
        std::vector<int>{60, 61, 63, 65, 67, 68, 70, 72, 73, 75});
  // §0: with root 60 the "default" 24..108 scale spans 60..108 only.
  const auto s = build_scale(60, mode_intervals("major"), 24, 108);
  CHECK(s.front() == 60);
  CHECK(s.back() == 108);
  CHECK(s.size() == 29);
}

TEST_CASE("theory: build_scale_span also spans below the root", "[music][theory]") {
  const auto s = build_scale_span(60, mode_intervals("phrygian"), 28, 76);
  CHECK(s.front() == 29);  // F1: the 5th step of C phrygian
  CHECK(s.back() == 75);
  CHECK(std::vector<int>(s.begin(), s.begin() + 5) == std::vector<int>{29, 31, 32, 34, 36});
  CHECK(build_scale_span(62, mode_intervals("whole_tone"), 60, 66) ==
        std::vector<int>{60, 62, 64, 66});
}

TEST_CASE("theory: mode table", "[music][theory]") {
  CHECK(std::vector<int>(mode_intervals("dorian").begin(), mode_intervals("dorian").end()) ==
        std::vector<int>{0, 2, 3, 5, 7, 9, 10});
  CHECK(mode_intervals("pentatonic_minor").size() == 5);
  CHECK(mode_intervals("whole_tone").size() == 6);
  CHECK_THROWS_AS(mode_intervals("dorain"), th::InputError);
  CHECK_THROWS_WITH(mode_intervals("dorain"), Catch::Contains("dorian"));
}

TEST_CASE("theory: Hz builder does not close the top octave", "[music][theory]") {
  const auto s = build_scale_hz(65.4, mode_intervals("lydian"), 5);
  CHECK(s.size() == 35);
  CHECK(s.back() == Approx(1975.3).epsilon(1e-4));
}

TEST_CASE("theory: snap prefers the lower note on a tie", "[music][theory]") {
  const std::vector<int> sc = {60, 64, 67};
  CHECK(snap(62.0, std::span<const int>(sc)) == 60);
  CHECK(snap(62.01, std::span<const int>(sc)) == 64);
  CHECK(snap(65.5, std::span<const int>(sc)) == 64);
  CHECK(snap(10.0, std::span<const int>(sc)) == 60);
  CHECK(snap(99.0, std::span<const int>(sc)) == 67);
  const std::vector<double> hz = {110.0, 220.0};
  CHECK(snap(165.0, std::span<const double>(hz)) == 110.0);
}

TEST_CASE("theory: chords", "[music][theory]") {
  const auto major = mode_intervals("major");
  CHECK(diatonic_chord(60, major, 0, ChordShape::triad) == std::vector<int>{60, 64, 67});
  CHECK(diatonic_chord(60, major, 1, ChordShape::seventh) == std::vector<int>{62, 65, 69, 72});
  CHECK(diatonic_chord(60, major, -1, ChordShape::triad) == std::vector<int>{59, 62, 65});
  CHECK(diatonic_chord(60, major, 4, ChordShape::ninth) == std::vector<int>{67, 71, 74, 77, 81});
  CHECK(diatonic_chord(60, major, 0, ChordShape::sus4) == std::vector<int>{60, 65, 67});
  CHECK(diatonic_chord(60, major, 0, ChordShape::sus2) == std::vector<int>{60, 62, 67});
  CHECK(scale_degree(57, mode_intervals("natural_minor"), -8) == 43);
  const auto dom7 = chord_intervals("dom7");
  CHECK(std::vector<int>(dom7.begin(), dom7.end()) == std::vector<int>{0, 4, 7, 10});
  CHECK_THROWS_AS(chord_intervals("maj9"), th::InputError);
}

TEST_CASE("theory: note names", "[music][theory]") {
  CHECK(note_from_name("C4") == 60);
  CHECK(note_from_name("a4") == 69);
  CHECK(note_from_name("F#2") == 42);
  CHECK(note_from_name("Bb1") == 34);
  CHECK(note_from_name("C-1") == 0);
  CHECK(note_from_name("72") == 72);
  CHECK_THROWS_AS(note_from_name("H2"), th::InputError);
  CHECK_THROWS_AS(note_from_name("C4x"), th::InputError);
}
