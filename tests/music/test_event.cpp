#include <catch2/catch.hpp>

#include <algorithm>

#include "music/event.h"

using namespace th::music;
using th::Rational;

TEST_CASE("event: field names round-trip", "[music][event]") {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    CHECK(field_from_name(field_name(f)) == f);
  }
  CHECK(field_name(Field::env_mod) == "env_mod");
  CHECK_FALSE(field_from_name("cuttoff"));
  CHECK(is_param(Field::cutoff));
  CHECK_FALSE(is_param(Field::velocity));
}

TEST_CASE("event: params are a fixed array with a mask", "[music][event]") {
  Params p;
  CHECK_FALSE(p.has(Field::cutoff));
  p.set(Field::cutoff, 1200.0);
  p.set(Field::harm4, 0.25);
  CHECK(p.get(Field::cutoff) == 1200.0);
  CHECK(p.get_or(Field::resonance, 0.3) == 0.3);
  CHECK(p.has(Field::harm4));
  CHECK_THROWS_AS(p.set(Field::pitch, 1.0), std::invalid_argument);
  Params q = p;
  CHECK(q == p);
  q.set(Field::cutoff, 1300.0);
  CHECK_FALSE(q == p);
  CHECK(p < q);
}

TEST_CASE("event: provenance, one record per field, sorted", "[music][event]") {
  Event e;
  e.explain({Field::velocity, "layers.1.x", "x", 3, "norm01"});
  e.explain({Field::pitch, "layers.2.mlp.down_proj.row_norms", "row_norms", 7,
             "norm01 | scale(C3 phrygian, 2 oct)"});
  e.explain({Field::velocity, "layers.1.y", "y", 4, "rank"});
  REQUIRE(e.provenance.size() == 2);
  CHECK(e.provenance[0].field == Field::pitch);
  CHECK(e.why(Field::velocity)->feature == "layers.1.y");
  CHECK(e.why(Field::pitch)->index == 7);
  CHECK(e.why(Field::cutoff) == nullptr);
}

TEST_CASE("event: sorting is total and deterministic", "[music][event]") {
  auto mk = [](Rational on, std::string inst, double pitch) {
    Event e;
    e.onset = on;
    e.duration = Rational(1, 4);
    e.instrument = std::move(inst);
    e.pitch = pitch;
    return e;
  };
  std::vector<Event> a = {mk(1, "tb303", 48), mk(0, "tb303", 50), mk(0, "kick", 36),
                          mk(Rational(1, 2), "hat", 42), mk(0, "tb303", 43)};
  auto b = a;
  std::reverse(b.begin(), b.end());
  sort_events(a);
  sort_events(b);
  CHECK(a == b);
  CHECK(a[0].instrument == "kick");
  CHECK(a[1].pitch == 43);
  CHECK(a[2].pitch == 50);
  CHECK(a[3].instrument == "hat");
  CHECK(a[4].onset == 1);
}

TEST_CASE("event: midi and Hz", "[music][event]") {
  CHECK(midi_to_hz(69) == 440.0);
  CHECK(midi_to_hz(57) == Approx(220.0).epsilon(1e-12));
  CHECK(midi_to_hz(60.5) == Approx(269.291779).epsilon(1e-8));
  CHECK(hz_to_midi(midi_to_hz(61.25)) == Approx(61.25).epsilon(1e-12));
}
