#include <catch2/catch.hpp>

#include <climits>

#include "core/error.h"
#include "core/rational.h"
#include "core/time_span.h"

using th::Rational;
using th::TimeSpan;

TEST_CASE("rational: always reduced with a positive denominator", "[core][rational]") {
  constexpr Rational a(6, -8);
  static_assert(a.num() == -3 && a.den() == 4);
  CHECK(Rational(0, -5) == Rational(0));
  CHECK(Rational(0, -5).den() == 1);
  CHECK_THROWS_AS(Rational(1, 0), std::invalid_argument);
}

TEST_CASE("rational: arithmetic is exact", "[core][rational]") {
  static_assert(Rational(1, 3) + Rational(1, 6) == Rational(1, 2));
  CHECK(Rational(1, 3) - Rational(1, 2) == Rational(-1, 6));
  CHECK(Rational(2, 3) * Rational(9, 4) == Rational(3, 2));
  CHECK(Rational(2, 3) / Rational(4, 9) == Rational(3, 2));
  CHECK(Rational(1, 10) * 3 + Rational(7, 10) == 1);
  Rational acc;
  for (int i = 0; i < 1000; ++i) acc += Rational(1, 7);
  CHECK(acc == Rational(1000, 7));
  CHECK_THROWS_AS(Rational(1) / Rational(0), std::domain_error);
}

TEST_CASE("rational: comparison crosses denominators", "[core][rational]") {
  static_assert(Rational(1, 3) < Rational(1, 2));
  CHECK(Rational(-1, 3) > Rational(-1, 2));
  CHECK(Rational(2, 4) == Rational(1, 2));
  // Cross products beyond int64 still compare correctly.
  CHECK(Rational(INT64_MAX - 1, INT64_MAX) < Rational(INT64_MAX, INT64_MAX - 2));
}

TEST_CASE("rational: overflow throws instead of wrapping", "[core][rational]") {
  const Rational big(INT64_MAX / 2 + 1);
  CHECK_THROWS_AS(big + big, std::overflow_error);
  CHECK_THROWS_AS(big * 3, std::overflow_error);
  CHECK_THROWS_AS(Rational(1, INT64_MAX) + Rational(1, INT64_MAX - 1), std::overflow_error);
  CHECK_THROWS_AS(Rational(INT64_MIN), std::overflow_error);
  CHECK_THROWS_AS(-Rational(INT64_MAX) - 2, std::overflow_error);
}

TEST_CASE("rational: floor, ceil, sam and cycle position", "[core][rational]") {
  static_assert(Rational(7, 2).floor_int() == 3);
  CHECK(Rational(-7, 2).floor_int() == -4);
  CHECK(Rational(-7, 2).ceil_int() == -3);
  CHECK(Rational(7, 2).ceil_int() == 4);
  CHECK(Rational(4).floor_int() == 4);
  CHECK(Rational(4).ceil_int() == 4);
  CHECK(Rational(-1, 4).sam() == -1);
  CHECK(Rational(-1, 4).next_sam() == 0);
  CHECK(Rational(-1, 4).cycle_pos() == Rational(3, 4));
  CHECK(Rational(9, 4).cycle_pos() == Rational(1, 4));
  CHECK(Rational(3, 8).to_double() == 0.375);
}

TEST_CASE("rational: parse and print", "[core][rational]") {
  CHECK(Rational::parse("3/4") == Rational(3, 4));
  CHECK(Rational::parse(" -6/8 ") == Rational(-3, 4));
  CHECK(Rational::parse("5") == 5);
  CHECK(Rational::parse("0.375") == Rational(3, 8));
  CHECK(Rational::parse("-1.5") == Rational(-3, 2));
  CHECK(Rational::parse("-0.5") == Rational(-1, 2));
  CHECK(Rational(-3, 4).str() == "-3/4");
  CHECK(Rational(8, 4).str() == "2");
  for (const char* bad : {"", "x", "1/0", "1/", "3/4/5", "1.", "1.2.3", "99999999999999999999"})
    CHECK_THROWS_AS(Rational::parse(bad), th::InputError);
}

TEST_CASE("time span: cycles and intersection", "[core][rational]") {
  const TimeSpan s{Rational(1, 2), Rational(5, 2)};
  const std::vector<TimeSpan> want = {{Rational(1, 2), 1}, {1, 2}, {2, Rational(5, 2)}};
  CHECK(s.cycles() == want);
  CHECK(TimeSpan{1, 1}.cycles() == std::vector<TimeSpan>{{1, 1}});
  CHECK(TimeSpan{Rational(-1, 2), 0}.cycles() == std::vector<TimeSpan>{{Rational(-1, 2), 0}});
  CHECK(TimeSpan{0, 2}.intersection({1, 3}) == TimeSpan{1, 2});
  CHECK_FALSE(TimeSpan{0, 1}.intersection({1, 2}));
  CHECK_FALSE(TimeSpan{0, 1}.intersection({2, 3}));
  CHECK(TimeSpan{0, 1}.intersection({0, 0}) == TimeSpan{0, 0});
  CHECK(TimeSpan{Rational(1, 3), 2}.whole_cycle() == TimeSpan{0, 1});
}
