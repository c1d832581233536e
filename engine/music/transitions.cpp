#include "music/transitions.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

const std::map<std::string, std::set<std::string>> kVoiceKeys{
    {"fill", {"velocity"}}, {"riser", {"velocity", "cutoff", "reverb"}}};
const std::map<std::string, std::set<std::string>> kRequired{{"fill", {"velocity"}},
                                                             {"riser", {"cutoff"}}};

constexpr int kFillSteps = 16;   // per bar
constexpr int kRiserOctave = 4;  // C4 = 60

// A snare roll over the last `bars`: 16th k of n sounds when the fill tensor's uniform for
// (section's track position, k) is below a density rising from 0.3 to 1.
void fill(const SectionPlan& s, const Transition& t, const PatternSpec& spec,
          const FeatureSource& f, const LayerContext& ctx, int bpb, std::vector<Event>& out) {
  const Voice& v = spec.voice("fill");
  const Evaluated velocity = evaluate(v.get("velocity"), f, ctx);
  const auto& m = v.get("velocity").mapping;
  const std::string feature = m ? expand_template(m->feature, ctx) : std::string();
  const auto raw = m ? f.get(feature) : std::span<const float>();
  const int n = t.bars * kFillSteps;
  const Beats step(bpb, kFillSteps);
  const Beats start(static_cast<std::int64_t>(s.bars - t.bars) * bpb);
  for (int k = 0; k < n; ++k) {
    const double rise = n > 1 ? static_cast<double>(k) / (n - 1) : 1.0;
    const double density = 0.3 + 0.7 * rise;
    const auto counter = static_cast<std::uint64_t>(s.line) * 4096 + static_cast<std::uint64_t>(k);
    if (m && tensor_uniform(raw, counter) >= density) continue;
    Event e;
    e.onset = start + step * Beats(k);
    e.duration = step;
    e.instrument = v.instrument;
    apply(e, Field::velocity, velocity, static_cast<std::size_t>(k));
    e.velocity = std::clamp(e.velocity * (0.5 + 0.5 * rise), 0.0, 1.0);
    if (m)
      e.explain({Field::onset, feature, "hash uniform", -1,
                 fmt::format("transition fill: u(step {}) < {:.3f}", k, density)});
    out.push_back(std::move(e));
  }
}

// One riser note over the last `bars`, on the model's root.
void riser(const SectionPlan& s, const Transition& t, const PatternSpec& spec,
           const FeatureSource& f, const LayerContext& ctx, int bpb, std::vector<Event>& out) {
  const Voice& v = spec.voice("riser");
  Event e;
  e.onset = Beats(static_cast<std::int64_t>(s.bars - t.bars) * bpb);
  e.duration = Beats(static_cast<std::int64_t>(t.bars) * bpb);
  e.instrument = v.instrument;
  const ModelKey key = tonal_key(xf::Tonal{kRiserOctave, "", 0}, model_key(f));
  e.pitch = key.root;
  e.explain({Field::pitch, "tonality.root", "", -1,
             fmt::format("transition riser: the model's root at octave {}", kRiserOctave)});
  e.velocity = 0.7;
  for (const auto& [name, field] : std::vector<std::pair<std::string, Field>>{
           {"velocity", Field::velocity}, {"cutoff", Field::cutoff}, {"reverb", Field::reverb}})
    if (v.has(name)) apply(e, field, evaluate(v.get(name), f, ctx), 0);
  out.push_back(std::move(e));
}

using Maker = void (*)(const SectionPlan&, const Transition&, const PatternSpec&,
                       const FeatureSource&, const LayerContext&, int, std::vector<Event>&);
// The kinds that add events (ramp changes the tempo map instead: ramp_steps).
const std::map<std::string, Maker> kMakers{{"fill", fill}, {"riser", riser}};

}  // namespace

PatternSpec load_transition_voices(const std::filesystem::path& patterns_dir,
                                   std::string_view where) {
  const auto file = patterns_dir / "transitions.toml";
  if (!std::filesystem::exists(file))
    throw bad_field(where, "transition", "a pattern folder with transitions.toml",
                    fmt::format("no {}", file.string()));
  PatternSpec spec = parse_pattern(parse_toml_file(file), file);
  spec.check_voices(kVoiceKeys, kRequired);  // both voices must exist
  return spec;
}

std::vector<Event> transition_events(const SectionPlan& section, const PatternSpec& voices,
                                     const FeatureSource& features, int num_layers,
                                     int beats_per_bar) {
  std::vector<Event> out;
  const LayerContext ctx{section.layer_hi, num_layers};
  for (const auto& t : section.transitions)
    if (const auto it = kMakers.find(t.kind); it != kMakers.end())
      it->second(section, t, voices, features, ctx, beats_per_bar, out);
  sort_events(out);
  return out;
}

std::vector<TempoChange> ramp_steps(Beats end, int bars, int beats_per_bar, double from,
                                    double to) {
  std::vector<TempoChange> out;
  if (from == to) return out;
  const int n = bars * beats_per_bar;
  for (int k = 0; k < n; ++k)
    out.push_back({end - Beats(n - k), from + (to - from) * (k + 1) / (n + 1)});
  return out;
}

}  // namespace th::music
