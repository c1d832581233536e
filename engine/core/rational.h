// Exact rational time (beats, cycles). Contract: a Rational is always reduced with den > 0;
// every operation that would overflow int64 throws std::overflow_error instead of wrapping, so
// a time is either exact or an error — never silently wrong. Value type: thread-safe to share;
// arithmetic allocates nothing and is realtime-safe except that it may throw on overflow.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>

namespace th {

class Rational {
 public:
  constexpr Rational() = default;
  // Implicit from integers so that `t + 1` reads like arithmetic. Realtime-safe.
  constexpr Rational(std::int64_t n) : num_(n) { check_not_min(n); }  // NOLINT
  // Reduces; throws std::invalid_argument on den == 0. Realtime-safe.
  constexpr Rational(std::int64_t n, std::int64_t d) {
    if (d == 0) throw std::invalid_argument("Rational: zero denominator");
    check_not_min(n);
    check_not_min(d);
    if (d < 0) n = -n, d = -d;
    const std::int64_t g = std::gcd(n, d);
    num_ = n / g;
    den_ = d / g;
  }

  constexpr std::int64_t num() const { return num_; }
  constexpr std::int64_t den() const { return den_; }

  constexpr Rational operator-() const { return Rational(-num_, den_); }
  friend constexpr Rational operator+(Rational a, Rational b) {
    const std::int64_t g = std::gcd(a.den_, b.den_);
    const std::int64_t da = a.den_ / g, db = b.den_ / g;
    return Rational(add(mul(a.num_, db), mul(b.num_, da)), mul(da, b.den_));
  }
  friend constexpr Rational operator-(Rational a, Rational b) { return a + (-b); }
  friend constexpr Rational operator*(Rational a, Rational b) {
    // Cross-reduce first so that products stay small when the result is small.
    const std::int64_t g1 = std::gcd(a.num_, b.den_), g2 = std::gcd(b.num_, a.den_);
    return Rational(mul(a.num_ / g1, b.num_ / g2), mul(a.den_ / g2, b.den_ / g1));
  }
  friend constexpr Rational operator/(Rational a, Rational b) {
    if (b.num_ == 0) throw std::domain_error("Rational: division by zero");
    return a * Rational(b.den_, b.num_);
  }
  constexpr Rational& operator+=(Rational b) { return *this = *this + b; }
  constexpr Rational& operator-=(Rational b) { return *this = *this - b; }
  constexpr Rational& operator*=(Rational b) { return *this = *this * b; }
  constexpr Rational& operator/=(Rational b) { return *this = *this / b; }

  friend constexpr bool operator==(Rational a, Rational b) = default;
  friend constexpr std::strong_ordering operator<=>(Rational a, Rational b) {
    // 128-bit cross products cannot overflow for int64 operands.
    const Wide l = static_cast<Wide>(a.num_) * b.den_;
    const Wide r = static_cast<Wide>(b.num_) * a.den_;
    return l <=> r;
  }

  // Largest integer <= x (Tidal's `sam`), smallest integer >= x.
  constexpr std::int64_t floor_int() const {
    const std::int64_t q = num_ / den_;
    return (num_ % den_ != 0 && num_ < 0) ? q - 1 : q;
  }
  constexpr std::int64_t ceil_int() const {
    const std::int64_t q = num_ / den_;
    return (num_ % den_ != 0 && num_ > 0) ? q + 1 : q;
  }
  constexpr Rational floor() const { return Rational(floor_int()); }
  constexpr Rational ceil() const { return Rational(ceil_int()); }
  // Start of the cycle containing x, start of the next one, and x's position inside its cycle.
  constexpr Rational sam() const { return floor(); }
  constexpr Rational next_sam() const { return floor() + 1; }
  constexpr Rational cycle_pos() const { return *this - floor(); }
  constexpr bool is_integer() const { return den_ == 1; }

  constexpr double to_double() const {
    return static_cast<double>(num_) / static_cast<double>(den_);
  }

  // "3/4", "-2", "0.375" (exact decimal). Throws th::InputError naming the text. Allocates.
  static Rational parse(std::string_view text);
  // "3/4" or "2". Allocates.
  std::string str() const;

 private:
  __extension__ typedef __int128 Wide;  // GCC/Clang builtin; __extension__ keeps -Wpedantic quiet

  static constexpr void check_not_min(std::int64_t v) {
    // INT64_MIN has no negation; excluding it keeps every sign flip exact.
    if (v == INT64_MIN) throw std::overflow_error("Rational: int64 overflow");
  }
  static constexpr std::int64_t mul(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("Rational: int64 overflow");
    return r;
  }
  static constexpr std::int64_t add(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error("Rational: int64 overflow");
    return r;
  }

  std::int64_t num_ = 0;
  std::int64_t den_ = 1;
};

constexpr Rational min(Rational a, Rational b) {
  return b < a ? b : a;
}
constexpr Rational max(Rational a, Rational b) {
  return a < b ? b : a;
}

// Beats are the unit of musical time inside music/ (one beat = one quarter note).
using Beats = Rational;

}  // namespace th

template <>
struct std::hash<th::Rational> {
  std::size_t operator()(const th::Rational& r) const noexcept {
    return std::hash<std::int64_t>()(r.num()) * 31u + std::hash<std::int64_t>()(r.den());
  }
};
