// Acid: one TB-303 pattern per model layer, the section's bars spread evenly over its layers
// (patterns/acid.toml; docs/mapping.md "Acid"). Every bar of a layer plays that layer's
// pattern — no silent tail — and every parameter a feature decided carries its provenance.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "music/genre_common.h"
#include "music/genres.h"

namespace th::music {
namespace {

// The keys [voices.tb303] may hold: event fields plus the acid controls.
const std::set<std::string> kAcidKeys{
    "pitch",     "velocity", "gate",  "accent", "slide", "slide_density", "octave_up", "cutoff",
    "resonance", "env_mod",  "decay", "drive",  "pan",   "reverb",        "delay"};

// Per-layer constants copied onto every note of the layer, as (key, field).
const std::vector<std::pair<std::string, Field>> kLayerParams{
    {"cutoff", Field::cutoff}, {"resonance", Field::resonance}, {"env_mod", Field::env_mod},
    {"decay", Field::decay},   {"drive", Field::drive},         {"pan", Field::pan},
    {"reverb", Field::reverb}, {"delay", Field::delay}};

// Gate length of a 303 step, in steps: a slide holds into the next note, an accent rings a
// little longer, a plain note is half a step (the machine's fixed gate).
const Beats kSlideGate(1), kAccentGate(3, 4), kPlainGate(1, 2);

std::string names(const std::optional<Provenance>& p) {
  if (!p) return "constant";
  return fmt::format("{}[{}] ({})", p->feature, p->index, p->transform);
}

std::vector<Event> acid_layer(const PatternSpec& spec, const GenreInput& in, int layer,
                              int first_bar, int bar_count) {
  const Voice& v = spec.voice("tb303");
  const LayerContext ctx{layer, in.num_layers};
  std::map<std::string, Evaluated> ev;
  for (const auto& [key, value] : v.values) ev.emplace(key, evaluate(value, in.features, ctx));
  auto has = [&](const char* k) { return ev.count(k) > 0; };

  const int steps = spec.steps;
  const Beats step(in.beats_per_bar, steps);
  const double density = has("slide_density") ? ev.at("slide_density").at(0) : 0.25;
  const auto density_why = has("slide_density") ? ev.at("slide_density").why(0, Field::slide)
                                                : std::optional<Provenance>();

  // The pattern is the same in every bar of the layer (a 303 loops its pattern); build it once.
  std::vector<Event> pattern;
  for (int s = 0; s < steps; ++s) {
    const auto i = static_cast<std::size_t>(s);
    Event e;
    e.onset = step * Beats(s);
    e.instrument = v.instrument;
    if (has("gate")) {
      if (ev.at("gate").at(i) <= 0.5) continue;  // a rest
      if (auto w = ev.at("gate").why(i, Field::onset)) e.explain(*w);
    }
    apply(e, Field::pitch, ev.at("pitch"), i);
    if (has("octave_up")) {
      const bool up = ev.at("octave_up").at(i) > 0.5;
      if (up) e.pitch += 12;
      for (auto& why : e.provenance)
        if (why.field == Field::pitch)
          why.transform += fmt::format("; {} by {}", up ? "+12" : "+0",
                                       names(ev.at("octave_up").why(i, Field::pitch)));
    }
    if (has("velocity")) apply(e, Field::velocity, ev.at("velocity"), i);
    const double accent = has("accent") ? apply(e, Field::accent, ev.at("accent"), i) : 0.0;
    double slide = 0;
    if (has("slide")) {
      slide = ev.at("slide").at(i) > 1.0 - density ? 1.0 : 0.0;
      e.params.set(Field::slide, slide);
      if (auto w = ev.at("slide").why(i, Field::slide)) {
        w->transform +=
            fmt::format(" | > {:.4g} (1 - slide density {})", 1.0 - density, names(density_why));
        e.explain(*w);
      }
    }
    for (const auto& [key, field] : kLayerParams)
      if (has(key.c_str())) apply(e, field, ev.at(key), i);
    e.duration = step * (slide > 0.5 ? kSlideGate : accent > 0.5 ? kAccentGate : kPlainGate);
    if (const auto* w = e.why(Field::slide)) {
      Provenance d = *w;
      d.field = Field::duration;
      d.transform += fmt::format(
          "; gate 1 step on a slide, 3/4 on an accent{}, else 1/2",
          has("accent") ? " (" + names(ev.at("accent").why(i, Field::accent)) + ")" : "");
      e.explain(std::move(d));
    }
    pattern.push_back(std::move(e));
  }

  std::vector<Event> out;
  for (int b = first_bar; b < first_bar + bar_count; ++b) {
    const Beats bar_start(static_cast<std::int64_t>(b) * in.beats_per_bar);
    for (const auto& p : pattern) {
      Event e = p;
      e.onset += bar_start;
      out.push_back(std::move(e));
    }
    for (const auto& d : spec.drums) {
      auto hits = drum_bar(d, in.features, ctx, bar_start, in.beats_per_bar, 1.0);
      out.insert(out.end(), std::make_move_iterator(hits.begin()),
                 std::make_move_iterator(hits.end()));
    }
  }
  return out;
}

}  // namespace

std::vector<Event> generate_acid(const GenreInput& in) {
  const PatternSpec spec = pattern_spec(in);
  spec.check_voices({{"tb303", kAcidKeys}}, {{"tb303", {"pitch"}}});
  spec.check_parts(false);
  const int lo = in.section.layer_lo, hi = in.section.layer_hi, bars = in.section.bars;
  std::vector<Event> out;
  for (int b = 0; b < bars;) {
    const int layer = layer_for_bar(b, bars, lo, hi);
    int end = b;
    while (end < bars && layer_for_bar(end, bars, lo, hi) == layer) ++end;
    auto events = acid_layer(spec, in, layer, b, end - b);
    out.insert(out.end(), std::make_move_iterator(events.begin()),
               std::make_move_iterator(events.end()));
    b = end;
  }
  sort_events(out);
  return out;
}

}  // namespace th::music
