#include "music/genre_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/hash.h"

namespace th::music {

PatternSpec pattern_spec(const GenreInput& in) {
  return parse_pattern(in.pattern, in.pattern_file);
}

int layer_for_bar(int bar, int bars, int lo, int hi) {
  const int n = hi - lo + 1;
  if (bars <= 0 || n <= 0) return lo;
  return lo + static_cast<int>(static_cast<std::int64_t>(bar) * n / bars);
}

double tensor_uniform(std::span<const float> values, std::uint64_t counter) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the float bytes
  for (float f : values) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    for (int k = 0; k < 4; ++k) {
      h ^= (bits >> (8 * k)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  const std::uint64_t z = mix64(h + 0x9e3779b97f4a7c15ull * (counter + 1));  // SplitMix64
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void assign(Event& e, Field f, double v) {
  set_value(e, f, f == Field::velocity ? std::clamp(v, 0.0, 1.0) : v);
}

double apply(Event& e, Field f, const Evaluated& v, std::size_t i) {
  const double x = v.at(i);
  assign(e, f, x);
  if (auto why = v.why(i, f)) e.explain(std::move(*why));
  return x;
}

std::vector<Event> drum_bar(const Drum& d, const FeatureSource& source, const LayerContext& ctx,
                            Beats bar_start, int beats_per_bar, double level) {
  std::optional<Provenance> gate_why;
  if (d.gate) {
    const auto g = evaluate(*d.gate, source, ctx);
    if (g.at(0) <= 0.5) return {};
    gate_why = g.why(0, Field::onset);
  }
  int hits = d.hits;
  std::optional<Provenance> onset_why;
  if (d.hits_from) {
    const auto h = evaluate(*d.hits_from, source, ctx);
    hits = std::clamp(static_cast<int>(std::lround(h.at(0))), 0, d.steps);
    onset_why = h.why(0, Field::onset);
  }
  const auto r = evaluate(d.rotate, source, ctx);
  const int rotation = static_cast<int>(std::lround(r.at(0)));
  if (auto w = r.why(0, Field::onset)) onset_why = w;
  if (gate_why) {
    if (onset_why)
      onset_why->transform += fmt::format("; gated by {}[{}] ({})", gate_why->feature,
                                          gate_why->index, gate_why->transform);
    else
      onset_why = gate_why;
  }
  const auto vel = evaluate(d.velocity, source, ctx);
  const auto steps = euclid_steps(hits, d.steps, ((rotation % d.steps) + d.steps) % d.steps);
  const Beats step(beats_per_bar, d.steps);
  std::vector<Event> out;
  for (int s = 0; s < d.steps; ++s) {
    if (!steps[static_cast<std::size_t>(s)]) continue;
    Event e;
    e.onset = bar_start + step * Beats(s);
    e.duration = step;
    e.instrument = d.instrument;
    e.pitch = 60;
    apply(e, Field::velocity, vel, static_cast<std::size_t>(s));
    e.velocity = std::clamp(e.velocity * level, 0.0, 1.0);
    if (onset_why) e.explain(*onset_why);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<PartRange> part_ranges(const PatternSpec& spec, const GenreInput& in) {
  const auto& wanted = in.section.parts;
  std::string known;
  for (const auto& p : spec.parts) known += (known.empty() ? "" : ", ") + p.name;
  for (const auto& name : wanted)
    if (std::none_of(spec.parts.begin(), spec.parts.end(),
                     [&](const Part& p) { return p.name == name; }))
      throw bad_field(in.where, "parts", fmt::format("parts of {} ({})", spec.file.string(), known),
                      fmt::format("'{}'", name));
  std::vector<const Part*> chosen;
  double total = 0;
  for (const auto& p : spec.parts)
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), p.name) != wanted.end()) {
      chosen.push_back(&p);
      total += p.share;
    }
  const int bars = in.section.bars;
  std::vector<PartRange> out;
  double cum = 0;
  int begin = 0;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    cum += chosen[i]->share;
    const int end =
        i + 1 == chosen.size() ? bars : static_cast<int>(std::lround(cum / total * bars));
    out.push_back({chosen[i], begin, std::max(begin, end)});
    begin = std::max(begin, end);
  }
  return out;
}

void play_parts(const PatternSpec& spec, const GenreInput& in, const PartHandlers& handlers,
                std::string_view what) {
  for (const auto& pr : part_ranges(spec, in)) {
    if (pr.end <= pr.begin) continue;
    const auto it = std::find_if(handlers.begin(), handlers.end(),
                                 [&](const auto& h) { return h.first == pr.part->name; });
    if (it == handlers.end()) {
      std::string known;
      for (const auto& h : handlers) known += (known.empty() ? "" : ", ") + h.first;
      throw InputError(fmt::format("{}: part `{}` is not {} {} ({})", pr.part->where, pr.part->name,
                                   what.front() == 'a' ? "an" : "a", what, known));
    }
    it->second(pr);
  }
}

}  // namespace th::music
