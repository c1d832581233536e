// The pattern algebra (after Tidal's Pattern.hs and Strudel's pattern.mjs).
// Contract: a Pattern<T> is a pure function from a query span of exact time (cycles) to the
// haps active in it. A hap has a `whole` (the event's full extent; absent for continuous
// signals) and a `part` (the fragment inside the query). Querying the same span twice gives
// the same list; nothing here reads a clock or a random number generator. Patterns are
// immutable values, cheap to copy (one shared function), and safe to query from any thread;
// queries allocate, so they run on the worker thread, never the scheduler.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/rational.h"
#include "core/time_span.h"

namespace th::music {

template <typename T>
struct Hap {
  std::optional<TimeSpan> whole;
  TimeSpan part;
  T value;

  // The fragment that carries the event's start (what a scheduler plays).
  bool has_onset() const { return whole && whole->begin == part.begin; }
  TimeSpan whole_or_part() const { return whole ? *whole : part; }
  friend bool operator==(const Hap&, const Hap&) = default;
};

template <typename T>
class Pattern {
 public:
  using Query = std::function<std::vector<Hap<T>>(const TimeSpan&)>;

  Pattern()
      : query_(
            std::make_shared<const Query>([](const TimeSpan&) { return std::vector<Hap<T>>{}; })) {}
  explicit Pattern(Query q) : query_(std::make_shared<const Query>(std::move(q))) {}

  // Thread-safe; allocates.
  std::vector<Hap<T>> query(const TimeSpan& span) const { return (*query_)(span); }
  // Haps sorted by part begin (then whole), convenient for tests and compilers. Allocates.
  std::vector<Hap<T>> query_sorted(const TimeSpan& span) const {
    auto haps = query(span);
    std::stable_sort(haps.begin(), haps.end(), [](const Hap<T>& a, const Hap<T>& b) {
      if (a.part.begin != b.part.begin) return a.part.begin < b.part.begin;
      return a.part.end < b.part.end;
    });
    return haps;
  }
  // Only the haps that start inside the span, sorted. Allocates.
  std::vector<Hap<T>> onsets(const TimeSpan& span) const {
    auto haps = query_sorted(span);
    std::erase_if(haps, [](const Hap<T>& h) { return !h.has_onset(); });
    return haps;
  }

 private:
  std::shared_ptr<const Query> query_;
};

// ---- building blocks -------------------------------------------------------------------------

template <typename T>
Pattern<T> silence() {
  return Pattern<T>();
}

// Splits every query at cycle boundaries, so f sees one cycle at a time.
template <typename T>
Pattern<T> split_queries(Pattern<T> p) {
  return Pattern<T>([p](const TimeSpan& span) {
    std::vector<Hap<T>> out;
    for (const auto& c : span.cycles()) {
      auto h = p.query(c);
      out.insert(out.end(), h.begin(), h.end());
    }
    return out;
  });
}

// One event per cycle, filling it.
template <typename T>
Pattern<T> pure(T value) {
  return Pattern<T>([value](const TimeSpan& span) {
    std::vector<Hap<T>> out;
    for (const auto& c : span.cycles()) out.push_back({c.whole_cycle(), c, value});
    return out;
  });
}

// A continuous value sampled at the start of each query fragment (no whole).
template <typename T>
Pattern<T> signal(std::function<T(Rational)> f) {
  return Pattern<T>([f](const TimeSpan& span) {
    return std::vector<Hap<T>>{{std::nullopt, span, f(span.begin)}};
  });
}

template <typename T, typename F>
auto fmap(const Pattern<T>& p, F f) -> Pattern<std::invoke_result_t<F, const T&>> {
  using U = std::invoke_result_t<F, const T&>;
  return Pattern<U>([p, f](const TimeSpan& span) {
    std::vector<Hap<U>> out;
    for (auto& h : p.query(span)) out.push_back({h.whole, h.part, f(h.value)});
    return out;
  });
}

// Keeps the haps whose value satisfies pred.
template <typename T, typename F>
Pattern<T> filter_values(const Pattern<T>& p, F pred) {
  return Pattern<T>([p, pred](const TimeSpan& span) {
    auto haps = p.query(span);
    std::erase_if(haps, [&](const Hap<T>& h) { return !pred(h.value); });
    return haps;
  });
}

// Maps query times in, hap times out. fq and fh must be monotone and inverse to each other.
template <typename T, typename FQ, typename FH>
Pattern<T> with_time(const Pattern<T>& p, FQ fq, FH fh) {
  return Pattern<T>([p, fq, fh](const TimeSpan& span) {
    auto haps = p.query(span.with_time(fq));
    for (auto& h : haps) {
      if (h.whole) h.whole = h.whole->with_time(fh);
      h.part = h.part.with_time(fh);
    }
    return haps;
  });
}

// ---- time ------------------------------------------------------------------------------------

// Speeds up by factor (> 0); fast(0) is silence. Throws std::invalid_argument for factor < 0.
template <typename T>
Pattern<T> fast(const Pattern<T>& p, Rational factor) {
  if (factor < 0) throw std::invalid_argument("fast: negative factor");
  if (factor == 0) return silence<T>();
  return with_time(
      p, [factor](Rational t) { return t * factor; }, [factor](Rational t) { return t / factor; });
}

template <typename T>
Pattern<T> slow(const Pattern<T>& p, Rational factor) {
  if (factor == 0) return silence<T>();
  return fast(p, Rational(1) / factor);
}

// Shifts earlier by t cycles (Tidal's rotL, `<~`).
template <typename T>
Pattern<T> early(const Pattern<T>& p, Rational t) {
  return with_time(
      p, [t](Rational x) { return x + t; }, [t](Rational x) { return x - t; });
}

// Shifts later by t cycles (Tidal's rotR, `~>`).
template <typename T>
Pattern<T> late(const Pattern<T>& p, Rational t) {
  return early(p, -t);
}

// ---- concatenation and layering ---------------------------------------------------------------

// One pattern per cycle, in turn; each pattern keeps its own cycle count (Tidal's cat).
template <typename T>
Pattern<T> slowcat(std::vector<Pattern<T>> pats) {
  if (pats.empty()) return silence<T>();
  const auto n = static_cast<std::int64_t>(pats.size());
  return split_queries(Pattern<T>([pats, n](const TimeSpan& span) {
    const std::int64_t cyc = span.begin.floor_int();
    const std::int64_t i = ((cyc % n) + n) % n;
    // Cycle `cyc` plays cycle floor(cyc / n) of pattern i.
    const Rational offset = Rational(cyc) - Rational(cyc, n).floor();
    auto haps = pats[static_cast<std::size_t>(i)].query(
        span.with_time([&](Rational t) { return t - offset; }));
    for (auto& h : haps) {
      if (h.whole) h.whole = h.whole->with_time([&](Rational t) { return t + offset; });
      h.part = h.part.with_time([&](Rational t) { return t + offset; });
    }
    return haps;
  }));
}

template <typename T>
Pattern<T> cat(std::vector<Pattern<T>> pats) {
  return slowcat(std::move(pats));
}

// All patterns squeezed into one cycle, each one step (Tidal's fastcat / sequence).
template <typename T>
Pattern<T> fastcat(std::vector<Pattern<T>> pats) {
  const auto n = static_cast<std::int64_t>(pats.size());
  return fast(slowcat(std::move(pats)), Rational(n));
}

// A sequence of plain values, one step each per cycle.
template <typename T>
Pattern<T> sequence(const std::vector<T>& values) {
  std::vector<Pattern<T>> pats;
  for (const auto& v : values) pats.push_back(pure(v));
  return fastcat(std::move(pats));
}

// Steps as optional values: nothing is a rest ("~").
template <typename T>
Pattern<T> sequence_with_rests(const std::vector<std::optional<T>>& values) {
  std::vector<Pattern<T>> pats;
  for (const auto& v : values) pats.push_back(v ? pure(*v) : silence<T>());
  return fastcat(std::move(pats));
}

template <typename T>
Pattern<T> stack(std::vector<Pattern<T>> pats) {
  return Pattern<T>([pats](const TimeSpan& span) {
    std::vector<Hap<T>> out;
    for (const auto& p : pats) {
      auto h = p.query(span);
      out.insert(out.end(), h.begin(), h.end());
    }
    return out;
  });
}

// Squeezes each cycle of p into [b, e) of the same cycle, silence elsewhere (Tidal's
// compress). Requires 0 <= b < e <= 1.
template <typename T>
Pattern<T> compress(const Pattern<T>& p, Rational b, Rational e) {
  if (b < 0 || e > 1 || !(b < e)) throw std::invalid_argument("compress: need 0 <= b < e <= 1");
  const Rational width = e - b;
  return Pattern<T>([p, b, width](const TimeSpan& span) {
    std::vector<Hap<T>> out;
    for (const auto& c : span.cycles()) {
      const Rational s = c.begin.sam();
      auto win = c.intersection({s + b, s + b + width});
      if (!win) continue;
      auto in = [&](Rational t) { return s + (t - s - b) / width; };
      auto back = [&](Rational t) { return s + b + (t - s) * width; };
      for (auto& h : p.query(win->with_time(in))) {
        if (h.whole) h.whole = h.whole->with_time(back);
        h.part = h.part.with_time(back);
        out.push_back(std::move(h));
      }
    }
    return out;
  });
}

// Steps with relative lengths (Tidal's timeCat). Weights must be > 0.
template <typename T>
Pattern<T> timecat(const std::vector<std::pair<Rational, Pattern<T>>>& parts) {
  Rational total;
  for (const auto& [w, p] : parts) total += w;
  std::vector<Pattern<T>> layers;
  Rational begin;
  for (const auto& [w, p] : parts) {
    layers.push_back(compress(p, begin / total, (begin + w) / total));
    begin += w;
  }
  return stack(std::move(layers));
}

// ---- combining patterns ----------------------------------------------------------------------

// Structure from a, values f(a, b) where b is sampled over each a event (Tidal's `|<`).
template <typename A, typename B, typename F>
auto app_left(const Pattern<A>& a, const Pattern<B>& b, F f)
    -> Pattern<std::invoke_result_t<F, const A&, const B&>> {
  using C = std::invoke_result_t<F, const A&, const B&>;
  return Pattern<C>([a, b, f](const TimeSpan& span) {
    std::vector<Hap<C>> out;
    for (const auto& ha : a.query(span))
      for (const auto& hb : b.query(ha.whole_or_part()))
        if (auto part = ha.part.intersection(hb.part))
          out.push_back({ha.whole, *part, f(ha.value, hb.value)});
    return out;
  });
}

// Structure from b, values f(a, b) (Tidal's `>|`).
template <typename A, typename B, typename F>
auto app_right(const Pattern<A>& a, const Pattern<B>& b, F f)
    -> Pattern<std::invoke_result_t<F, const A&, const B&>> {
  using C = std::invoke_result_t<F, const A&, const B&>;
  return Pattern<C>([a, b, f](const TimeSpan& span) {
    std::vector<Hap<C>> out;
    for (const auto& hb : b.query(span))
      for (const auto& ha : a.query(hb.whole_or_part()))
        if (auto part = ha.part.intersection(hb.part))
          out.push_back({hb.whole, *part, f(ha.value, hb.value)});
    return out;
  });
}

// Rhythm from a boolean pattern: one event per true step, value sampled from p.
template <typename T>
Pattern<T> struct_(const Pattern<T>& p, const Pattern<bool>& bools) {
  auto both =
      app_right(p, bools, [](const T& v, bool keep) { return std::pair<T, bool>(v, keep); });
  return fmap(filter_values(both, [](const auto& vk) { return vk.second; }),
              [](const auto& vk) { return vk.first; });
}

// Keeps p's own events (cut to the true regions) where the boolean pattern is true.
template <typename T>
Pattern<T> mask(const Pattern<T>& p, const Pattern<bool>& bools) {
  auto both = app_left(p, bools, [](const T& v, bool keep) { return std::pair<T, bool>(v, keep); });
  return fmap(filter_values(both, [](const auto& vk) { return vk.second; }),
              [](const auto& vk) { return vk.first; });
}

// n evenly spaced samples of p per cycle.
template <typename T>
Pattern<T> segment(const Pattern<T>& p, Rational n) {
  return struct_(p, fast(pure(true), n));
}

// Drops each event whose mask value (sampled over the event) is below amount. The mask is data
// (for example feature values in 0..1), never a random number generator: Strudel's
// degradeByWith with the uniform numbers supplied by the caller.
template <typename T>
Pattern<T> degrade_with(const Pattern<T>& p, const Pattern<double>& uniform, double amount) {
  auto keep = filter_values(uniform, [amount](double u) { return u >= amount; });
  return app_left(p, keep, [](const T& v, double) { return v; });
}

// Applies f on cycles c with c mod n == 0, p elsewhere (Tidal's every / Strudel's firstOf).
template <typename T, typename F>
Pattern<T> every(const Pattern<T>& p, std::int64_t n, F f, std::int64_t offset = 0) {
  if (n <= 0) return p;
  const Pattern<T> changed = f(p);
  return split_queries(Pattern<T>([p, changed, n, offset](const TimeSpan& span) {
    const std::int64_t c = span.begin.floor_int() - offset;
    return (((c % n) + n) % n == 0) ? changed.query(span) : p.query(span);
  }));
}

// ---- euclidean rhythms -----------------------------------------------------------------------

// Bjorklund's algorithm exactly as Tidal's `bjorklund` / Strudel's `bjork`: (3,8) is
// x..x..x. and (5,8) is x.xx.xx. . Negative k gives the complement; k > n is clamped.
// Thread-safe; allocates.
std::vector<bool> bjorklund(int k, int n);
// bjorklund rotated left by r steps (Tidal's euclidOff: step i plays step i + r).
std::vector<bool> euclid_steps(int k, int n, int rotation = 0);

// A boolean step pattern with one step per cycle's n-th; true where the rhythm has a hit.
Pattern<bool> bool_sequence(const std::vector<bool>& steps);

// p restructured by the euclidean rhythm (k hits in n steps, rotated left by rotation).
template <typename T>
Pattern<T> euclid(const Pattern<T>& p, int k, int n, int rotation = 0) {
  return struct_(p, bool_sequence(euclid_steps(k, n, rotation)));
}

// ---- chords and arpeggios --------------------------------------------------------------------

enum class ArpMode { up, down, updown, downup, converge, diverge };

// The order in which arp plays a chord's notes (Tidal's arps table; updown = init x ++ init
// (reverse x), so no note repeats at the turn). Thread-safe; allocates.
std::vector<double> arp_order(const std::vector<double>& chord, ArpMode mode);

// Each chord event becomes its notes, one after another within the event's whole.
Pattern<double> arp(const Pattern<std::vector<double>>& chords, ArpMode mode);

}  // namespace th::music
