#include "music/composer.h"

#include <fmt/format.h>

#include "core/error.h"
#include "music/genres.h"
#include "music/toml_fields.h"
#include "music/transitions.h"

namespace th::music {
namespace {

// A section's view of the features: `prompt.*` and `dataset.*` from the section's prompt or
// dataset, everything else from the model's weights.
class SectionFeatures final : public FeatureSource {
 public:
  SectionFeatures(const FeatureSource& weights, const ActivationProvider* activations,
                  const SectionPlan& plan, std::string where)
      : weights_(weights), activations_(activations), plan_(plan), where_(std::move(where)) {}

  std::span<const float> get(std::string_view name) const override {
    if (name.starts_with("prompt.")) {
      if (plan_.prompts.empty())
        throw bad_field(where_, "prompts", "a prompt for the feature " + std::string(name), "none");
      return source().prompt(plan_.prompts.front()).get(name);
    }
    if (name.starts_with("dataset.")) {
      if (plan_.dataset.empty())
        throw bad_field(where_, "dataset", "a prompt file for the feature " + std::string(name),
                        "none");
      return source().dataset(plan_.dataset, plan_.dataset_field).get(name);
    }
    return weights_.get(name);
  }

 private:
  const ActivationProvider& source() const {
    if (!activations_)
      throw Error(where_ + ": activation features need the model runtime (none given)", 1);
    return *activations_;
  }
  const FeatureSource& weights_;
  const ActivationProvider* activations_;
  const SectionPlan& plan_;
  std::string where_;
};

}  // namespace

const std::vector<Genre>& genres() {
  static const std::vector<Genre> table = builtin_genres();
  return table;
}

const Genre& find_genre(std::string_view name, std::string_view where) {
  std::string known;
  for (const auto& g : genres()) {
    if (g.name == name) return g;
    known += (known.empty() ? "" : ", ") + std::string(g.name);
  }
  throw bad_field(where, "genre", "one of " + known, fmt::format("'{}'", name));
}

double Composition::seconds_at(Beats b) const {
  // The last tempo change at or before b is the anchor (DESIGN.md §3: no accumulation).
  double anchor_seconds = 0;
  for (std::size_t i = 0; i < tempo.size(); ++i) {
    const bool last = i + 1 == tempo.size() || tempo[i + 1].at > b;
    if (last) return anchor_seconds + (b - tempo[i].at).to_double() * 60.0 / tempo[i].bpm;
    anchor_seconds += (tempo[i + 1].at - tempo[i].at).to_double() * 60.0 / tempo[i].bpm;
  }
  return b.to_double() * 0.5;  // no tempo map: 120 BPM
}

Composition compose(const Session& session, const FeatureSource& features, int num_layers,
                    const ActivationProvider* activations) {
  Composition c;
  c.session = session.name;
  c.beats_per_bar = session.beats_per_bar;
  c.tempo.push_back({Beats(0), session.tempo});
  // A change at the beat of the last one replaces it (a section tempo, then a ramp's first step).
  const auto tempo_from = [&c](Beats at, double bpm) {
    if (c.tempo.back().at == at)
      c.tempo.back().bpm = bpm;
    else
      c.tempo.push_back({at, bpm});
  };
  double tempo = session.tempo;
  Beats at(0);
  std::optional<PatternSpec> transition_voices;  // read once, when a section asks
  for (std::size_t si = 0; si < session.sections.size(); ++si) {
    const auto& plan = session.sections[si];
    const auto file = session.patterns_dir / (plan.pattern + ".toml");
    const toml::table pattern = parse_toml_file(file);
    const auto genre_name = pattern["genre"].value<std::string>();
    if (!genre_name)
      throw bad_field(file.string(), "genre", "a genre name, e.g. genre = \"acid\"", "nothing");
    const Genre& genre =
        find_genre(*genre_name,
                   fmt::format("{}:{}", file.string(), pattern.get("genre")->source().begin.line));

    SectionPlan resolved = plan;
    if (resolved.layer_hi < 0 || resolved.layer_hi >= num_layers)
      resolved.layer_hi = num_layers - 1;
    if (resolved.layer_lo > resolved.layer_hi)
      throw bad_field(
          fmt::format("{}:{}", session.file.string(), plan.line), "layers",
          fmt::format("layers within 0..{} (the model has {} layers)", num_layers - 1, num_layers),
          fmt::format("first layer {}", plan.layer_lo));
    if (plan.tempo && *plan.tempo != tempo) {
      tempo = *plan.tempo;
      tempo_from(at, tempo);
    }
    const Beats length(int64_t{plan.bars} * session.beats_per_bar);
    const std::string where =
        fmt::format("{}:{} (section {})", session.file.string(), plan.line, plan.name);
    if (!plan.parts.empty() && !pattern["part"].is_array())
      throw bad_field(where, "parts", "a pattern with [[part]] tables (house, opera, suite)",
                      fmt::format("pattern {} ({} has none)", plan.pattern, file.string()));
    const SectionFeatures section_features(features, activations, resolved, where);
    const GenreInput in{section_features,
                        pattern,
                        file,
                        resolved,
                        session.beats_per_bar,
                        tempo,
                        num_layers,
                        static_cast<int>((at / Beats(session.beats_per_bar)).floor_int()),
                        where};
    auto events = genre.generate(in);
    if (!plan.transitions.empty()) {
      if (!transition_voices)
        transition_voices = load_transition_voices(session.patterns_dir, where);
      auto more = transition_events(resolved, *transition_voices, section_features, num_layers,
                                    session.beats_per_bar);
      events.insert(events.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
    }
    for (auto& e : events) {
      if (e.onset < Beats(0) || e.onset >= length)
        throw Error(
            fmt::format("genre {} placed an event at beat {} outside its section of {} beats",
                        genre.name, e.onset.str(), length.str()),
            1);
      e.onset += at;
      c.events.push_back(std::move(e));
    }
    c.sections.push_back({plan.name, plan.pattern, at, at + length});
    at += length;
    // A ramp glides towards the next section's tempo (the set ends after the last section).
    for (const auto& t : plan.transitions)
      if (t.kind == "ramp" && si + 1 < session.sections.size())
        for (const auto& step : ramp_steps(at, t.bars, session.beats_per_bar, tempo,
                                           session.sections[si + 1].tempo.value_or(tempo)))
          tempo_from(step.at, step.bpm);
  }
  c.length = at;
  sort_events(c.events);
  return c;
}

}  // namespace th::music
