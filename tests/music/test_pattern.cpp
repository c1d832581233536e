#include <catch2/catch.hpp>

#include <string>

#include "music/pattern.h"
#include "show.h"

using namespace th::music;
using th::Rational;
using th::TimeSpan;
using th::test::show;
using th::test::steps;

namespace {
const TimeSpan kCycle0{0, 1};
Pattern<std::string> seq(std::vector<std::string> v) {
  return sequence(v);
}
}  // namespace

TEST_CASE("pattern: pure fills each cycle and cuts at the query", "[music][pattern]") {
  const auto p = pure(std::string("a"));
  CHECK(show(p.query_sorted({Rational(1, 2), Rational(5, 2)})) == "0-1@1/2-1:a 1-2:a 2-3@2-5/2:a");
  CHECK(show(p.query({Rational(1, 3), Rational(1, 3)})) == "0-1@1/3-1/3:a");
  CHECK(show(p.onsets({Rational(1, 2), Rational(5, 2)})) == "1-2:a 2-3@2-5/2:a");
}

TEST_CASE("pattern: sequence divides the cycle", "[music][pattern]") {
  CHECK(show(seq({"a", "b", "c"}).query_sorted(kCycle0)) == "0-1/3:a 1/3-2/3:b 2/3-1:c");
  CHECK(show(seq({"a", "b"}).query_sorted({Rational(1, 4), Rational(5, 4)})) ==
        "0-1/2@1/4-1/2:a 1/2-1:b 1-3/2@1-5/4:a");
  CHECK(show(sequence_with_rests<std::string>({"a", std::nullopt, "c", std::nullopt})
                 .query_sorted(kCycle0)) == "0-1/4:a 1/2-3/4:c");
}

TEST_CASE("pattern: slowcat gives each pattern its own cycle count", "[music][pattern]") {
  // Tidal "<x <y z>>" plays x y x z.
  const auto p = slowcat<std::string>(
      {pure(std::string("x")),
       slowcat<std::string>({pure(std::string("y")), pure(std::string("z"))})});
  CHECK(show(p.query_sorted({0, 4})) == "0-1:x 1-2:y 2-3:x 3-4:z");
  CHECK(show(p.query_sorted({-2, 0})) == "-2--1:x -1-0:z");
  const auto q = cat<std::string>({seq({"a", "b"}), pure(std::string("c"))});
  CHECK(show(q.query_sorted({Rational(1, 2), Rational(3, 2)})) == "1/2-1:b 1-2@1-3/2:c");
}

TEST_CASE("pattern: fastcat, timecat and stack", "[music][pattern]") {
  const auto p = fastcat<std::string>({pure(std::string("a")), seq({"b", "c"})});
  CHECK(show(p.query_sorted(kCycle0)) == "0-1/2:a 1/2-3/4:b 3/4-1:c");
  const auto t = timecat<std::string>({{1, pure(std::string("a"))}, {2, seq({"b", "c"})}});
  CHECK(show(t.query_sorted({0, 2})) == "0-1/3:a 1/3-2/3:b 2/3-1:c 1-4/3:a 4/3-5/3:b 5/3-2:c");
  const auto s = stack<std::string>({seq({"a", "b"}), pure(std::string("c"))});
  CHECK(show(s.query(kCycle0)) == "0-1/2:a 1/2-1:b 0-1:c");
}

TEST_CASE("pattern: fast, slow, early and late", "[music][pattern]") {
  CHECK(show(fast(seq({"a", "b"}), 2).query_sorted(kCycle0)) ==
        "0-1/4:a 1/4-1/2:b 1/2-3/4:a 3/4-1:b");
  CHECK(show(slow(seq({"a", "b"}), 2).query_sorted({0, 2})) == "0-1:a 1-2:b");
  CHECK(show(slow(seq({"a", "b", "c"}), Rational(3, 2)).query_sorted(kCycle0)) ==
        "0-1/2:a 1/2-1:b");
  CHECK(fast(seq({"a"}), 0).query(kCycle0).empty());
  CHECK_THROWS(fast(seq({"a"}), -1));
  CHECK(show(late(seq({"a", "b"}), Rational(1, 4)).query_sorted(kCycle0)) ==
        "-1/4-1/4@0-1/4:b 1/4-3/4:a 3/4-5/4@3/4-1:b");
  CHECK(show(early(seq({"a", "b", "c"}), Rational(1, 3)).query_sorted(kCycle0)) ==
        "0-1/3:b 1/3-2/3:c 2/3-1:a");
}

TEST_CASE("pattern: euclid matches Tidal's bjorklund", "[music][pattern][euclid]") {
  CHECK(steps(bjorklund(3, 8)) == "x..x..x.");
  CHECK(steps(bjorklund(5, 8)) == "x.xx.xx.");
  CHECK(steps(bjorklund(-3, 8)) == ".xx.xx.x");
  CHECK(steps(bjorklund(8, 8)) == "xxxxxxxx");
  CHECK(steps(bjorklund(-8, 8)) == "........");
  CHECK(steps(bjorklund(0, 4)) == "....");
  CHECK(steps(bjorklund(2, 5)) == "x.x..");
  CHECK(steps(bjorklund(3, 4)) == "xxx.");
  CHECK(steps(bjorklund(4, 16)) == "x...x...x...x...");
  CHECK(steps(bjorklund(7, 16)) == "x..x.x.x..x.x.x.");
  CHECK(steps(bjorklund(9, 16)) == "x.xx.x.x.xx.x.x.");
  // Rotation is Tidal's euclidOff: shift left (earlier) by r steps.
  CHECK(steps(euclid_steps(3, 8, 2)) == ".x..x.x.");
  CHECK(steps(euclid_steps(3, 8, -1)) == ".x..x..x");
  CHECK(steps(euclid_steps(3, 8, 10)) == steps(euclid_steps(3, 8, 2)));
  CHECK(show(euclid(pure(std::string("k")), 3, 8).query_sorted(kCycle0)) ==
        "0-1/8:k 3/8-1/2:k 3/4-7/8:k");
}

TEST_CASE("pattern: every applies on cycles 0, n, 2n", "[music][pattern]") {
  const auto p =
      every(seq({"a", "b"}), 3, [](const Pattern<std::string>& x) { return fast(x, 2); });
  CHECK(show(p.query_sorted({0, 1})) == "0-1/4:a 1/4-1/2:b 1/2-3/4:a 3/4-1:b");
  CHECK(show(p.query_sorted({1, 3})) == "1-3/2:a 3/2-2:b 2-5/2:a 5/2-3:b");
  CHECK(show(p.query_sorted({3, 4})) == "3-13/4:a 13/4-7/2:b 7/2-15/4:a 15/4-4:b");
  CHECK(show(p.query_sorted({-3, -2})) == "-3--11/4:a -11/4--5/2:b -5/2--9/4:a -9/4--2:b");
}

TEST_CASE("pattern: struct, mask and segment", "[music][pattern]") {
  const auto bools = bool_sequence({true, false, true, true});
  CHECK(show(struct_(seq({"a", "b"}), bools).query_sorted(kCycle0)) == "0-1/4:a 1/2-3/4:b 3/4-1:b");
  CHECK(show(mask(seq({"a", "b"}), bool_sequence({true, false, false, true}))
                 .query_sorted(kCycle0)) == "0-1/2@0-1/4:a 1/2-1@3/4-1:b");
  const auto ramp = signal<Rational>([](Rational t) { return t; });
  const auto seg = segment(ramp, 4).query_sorted(kCycle0);
  REQUIRE(seg.size() == 4);
  CHECK(seg[1].value == Rational(1, 4));
  CHECK(seg[3].value == Rational(3, 4));
  CHECK(*seg[3].whole == TimeSpan{Rational(3, 4), 1});
}

TEST_CASE("pattern: degrade_with drops by data, not chance", "[music][pattern]") {
  const auto u = sequence(std::vector<double>{0.1, 0.9, 0.5, 0.3});
  const auto p = degrade_with(seq({"a", "b", "c", "d"}), u, 0.4);
  CHECK(show(p.query_sorted(kCycle0)) == "1/4-1/2:b 1/2-3/4:c");
  CHECK(show(degrade_with(seq({"a", "b", "c", "d"}), u, 0.0).query_sorted(kCycle0)) ==
        "0-1/4:a 1/4-1/2:b 1/2-3/4:c 3/4-1:d");
}

TEST_CASE("pattern: app_left and app_right combine parameters", "[music][pattern]") {
  const auto a = sequence(std::vector<int>{1, 2});
  const auto b = sequence(std::vector<int>{10, 20, 30});
  auto add = [](int x, int y) { return x + y; };
  // Tidal: "1 2" |+ "10 20 30"
  CHECK(show(app_left(a, b, add).query_sorted(kCycle0)) ==
        "0-1/2@0-1/3:11 0-1/2@1/3-1/2:21 1/2-1@1/2-2/3:22 1/2-1@2/3-1:32");
  // Tidal: "1 2" +| "10 20 30"
  CHECK(show(app_right(a, b, add).query_sorted(kCycle0)) ==
        "0-1/3:11 1/3-2/3@1/3-1/2:21 1/3-2/3@1/2-2/3:22 2/3-1:32");
  CHECK(show(fmap(a, [](int x) { return x * 3; }).query_sorted(kCycle0)) == "0-1/2:3 1/2-1:6");
}

TEST_CASE("pattern: arp spreads a chord over its event", "[music][pattern]") {
  const auto chord = pure(std::vector<double>{60, 64, 67});
  CHECK(show(arp(chord, ArpMode::up).query_sorted(kCycle0)) == "0-1/3:60 1/3-2/3:64 2/3-1:67");
  CHECK(show(arp(chord, ArpMode::updown).query_sorted(kCycle0)) ==
        "0-1/4:60 1/4-1/2:64 1/2-3/4:67 3/4-1:64");
  CHECK(show(arp(chord, ArpMode::down).query_sorted({Rational(1, 2), 1})) ==
        "1/3-2/3@1/2-2/3:64 2/3-1:60");
  CHECK(arp_order({1, 2, 3, 4}, ArpMode::converge) == std::vector<double>{1, 4, 2, 3});
  CHECK(arp_order({1, 2, 3, 4}, ArpMode::diverge) == std::vector<double>{3, 2, 4, 1});
  CHECK(arp_order({1, 2, 3}, ArpMode::downup) == std::vector<double>{3, 2, 1, 2});
}

TEST_CASE("pattern: queries are pure", "[music][pattern]") {
  const auto p = every(euclid(seq({"a", "b"}), 5, 8, 1), 2,
                       [](const Pattern<std::string>& x) { return late(x, Rational(1, 16)); });
  const TimeSpan span{Rational(-3, 7), Rational(29, 5)};
  CHECK(show(p.query_sorted(span)) == show(p.query_sorted(span)));
  // Querying in pieces gives the same fragments as querying at once.
  auto whole = p.query_sorted({0, 2});
  auto a = p.query_sorted({0, Rational(2, 3)});
  auto b = p.query_sorted({Rational(2, 3), 2});
  std::size_t onsets = 0;
  for (auto* v : {&a, &b})
    for (auto& h : *v) onsets += h.has_onset();
  std::size_t onsets_whole = 0;
  for (auto& h : whole) onsets_whole += h.has_onset();
  CHECK(onsets == onsets_whole);
}
