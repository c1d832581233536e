#include "music/pattern.h"

namespace th::music {
namespace {

using Groups = std::vector<std::vector<bool>>;

// One Bjorklund step: the larger group absorbs the smaller pairwise (Tidal's left/right).
void bjorklund_rec(int ons, int offs, Groups& xs, Groups& ys) {
  while (std::min(ons, offs) > 1) {
    if (ons > offs) {
      // left: the first `offs` ons groups take one off group each; the rest become the remainder.
      Groups head(xs.begin(), xs.begin() + offs), rest(xs.begin() + offs, xs.end());
      for (std::size_t i = 0; i < head.size(); ++i)
        head[i].insert(head[i].end(), ys[i].begin(), ys[i].end());
      const int new_ons = offs, new_offs = ons - offs;
      xs = std::move(head);
      ys = std::move(rest);
      ons = new_ons;
      offs = new_offs;
    } else {
      // right: every ons group takes one of the first `ons` off groups.
      Groups rest(ys.begin() + ons, ys.end());
      for (std::size_t i = 0; i < xs.size(); ++i)
        xs[i].insert(xs[i].end(), ys[i].begin(), ys[i].end());
      ys = std::move(rest);
      offs = offs - ons;
    }
  }
}

}  // namespace

std::vector<bool> bjorklund(int k, int n) {
  if (n <= 0) return {};
  const bool invert = k < 0;
  k = std::min(invert ? -k : k, n);
  Groups xs(static_cast<std::size_t>(k), std::vector<bool>{true});
  Groups ys(static_cast<std::size_t>(n - k), std::vector<bool>{false});
  bjorklund_rec(k, n - k, xs, ys);
  std::vector<bool> out;
  for (const auto& g : xs) out.insert(out.end(), g.begin(), g.end());
  for (const auto& g : ys) out.insert(out.end(), g.begin(), g.end());
  if (invert) out.flip();
  return out;
}

std::vector<bool> euclid_steps(int k, int n, int rotation) {
  auto b = bjorklund(k, n);
  if (b.empty()) return b;
  const auto len = static_cast<int>(b.size());
  const int r = ((rotation % len) + len) % len;
  std::rotate(b.begin(), b.begin() + r, b.end());
  return b;
}

Pattern<bool> bool_sequence(const std::vector<bool>& steps) {
  std::vector<Pattern<bool>> pats;
  for (bool s : steps) pats.push_back(pure(s));
  return fastcat(std::move(pats));
}

std::vector<double> arp_order(const std::vector<double>& chord, ArpMode mode) {
  std::vector<double> up = chord, down(chord.rbegin(), chord.rend());
  auto init = [](std::vector<double> v) {
    if (!v.empty()) v.pop_back();
    return v;
  };
  auto concat = [](std::vector<double> a, const std::vector<double>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  switch (mode) {
    case ArpMode::up:
      return up;
    case ArpMode::down:
      return down;
    case ArpMode::updown:
      return concat(init(up), init(down));
    case ArpMode::downup:
      return concat(init(down), init(up));
    case ArpMode::converge:
    case ArpMode::diverge: {
      // converge: outermost first, alternating low/high, towards the middle.
      std::vector<double> c;
      std::size_t lo = 0, hi = chord.size();
      while (lo < hi) {
        c.push_back(chord[lo++]);
        if (lo < hi) c.push_back(chord[--hi]);
      }
      if (mode == ArpMode::diverge) std::reverse(c.begin(), c.end());
      return c;
    }
  }
  return up;
}

Pattern<double> arp(const Pattern<std::vector<double>>& chords, ArpMode mode) {
  return Pattern<double>([chords, mode](const TimeSpan& span) {
    std::vector<Hap<double>> out;
    for (const auto& h : chords.query(span)) {
      const auto notes = arp_order(h.value, mode);
      if (notes.empty()) continue;
      const TimeSpan w = h.whole_or_part();
      const Rational step = w.duration() / static_cast<std::int64_t>(notes.size());
      for (std::size_t i = 0; i < notes.size(); ++i) {
        const Rational b = w.begin + step * static_cast<std::int64_t>(i);
        const TimeSpan sub{b, b + step};
        if (auto part = sub.intersection(h.part)) out.push_back({sub, *part, notes[i]});
      }
    }
    return out;
  });
}

}  // namespace th::music
