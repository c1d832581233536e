// House: four parts (intro, buildup, drop, outro by default; [[part]] in patterns/house.toml)
// each with its own mode on the model's root; a chord every `pad.bars` bars whose degree comes
// from the q_proj spectrum of the layer it walks to (layers cycle, so the progression moves with
// the weights); bass, arp and lead follow the chord; drums gated by gate_proj statistics; a
// fill and a riser at the part edges that ask for them (docs/mapping.md "House").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/genres.h"
#include "music/theory.h"

namespace th::music {
namespace {

const std::map<std::string, std::set<std::string>> kVoiceKeys{
    {"pad", {"degree", "shape", "velocity", "bars", "cutoff", "reverb"}},
    {"bass", {"pitch", "gate", "velocity", "cutoff", "resonance", "env_mod", "decay"}},
    {"arp", {"velocity", "pan", "cutoff", "delay"}},
    {"lead", {"pitch", "gate", "velocity", "vibrato", "delay", "reverb"}},
    {"fill", {"velocity"}},
    {"riser", {"bars", "cutoff"}},
};
const std::map<std::string, std::set<std::string>> kRequired{
    {"pad", {"degree"}}, {"bass", {"pitch"}}, {"lead", {"pitch"}}, {"fill", {"velocity"}}};

// Octave each voice's scale starts in (C3 = 48).
constexpr int kPadOctave = 3, kBassOctave = 1, kArpOctave = 4, kLeadOctave = 4, kRiserOctave = 4;
// Chord-relative scale steps a 0..1 value picks from: the bass stays on root, third, fifth and
// octave; the lead may also reach the sixth, the seventh and the ninth above.
const std::vector<int> kBassSteps{0, 2, 4, 7};
const std::vector<int> kLeadSteps{0, 2, 4, 5, 7, 9, 11};
// House bass anchors: the off-beat eighths always sound; the gate feature adds the rest.
const std::set<int> kBassAnchors{2, 6, 10, 14};
// Per-parameter fields the voices copy from their mappings.
const std::vector<std::pair<std::string, Field>> kParams{
    {"cutoff", Field::cutoff},   {"resonance", Field::resonance},
    {"env_mod", Field::env_mod}, {"decay", Field::decay},
    {"pan", Field::pan},         {"reverb", Field::reverb},
    {"delay", Field::delay},     {"vibrato", Field::vibrato}};

// Evaluated values of one voice for one layer, by key.
struct VoiceValues {
  std::map<std::string, Evaluated> ev;
  bool has(const std::string& k) const { return ev.count(k) > 0; }
  const Evaluated& at(const std::string& k) const { return ev.at(k); }
  void params(Event& e, std::size_t i) const {
    for (const auto& [key, field] : kParams)
      if (has(key)) apply(e, field, at(key), i);
  }
};

VoiceValues values_of(const PatternSpec& spec, const std::string& voice, const GenreInput& in,
                      const LayerContext& ctx) {
  VoiceValues v;
  for (const auto& vc : spec.voices)
    if (vc.name == voice)
      for (const auto& [key, value] : vc.values)
        v.ev.emplace(key, evaluate(value, in.features, ctx));
  return v;
}

const Voice* find_voice(const PatternSpec& spec, const std::string& name) {
  for (const auto& v : spec.voices)
    if (v.name == name) return &v;
  return nullptr;
}

// Appends "; what" to the provenance of field f.
void annotate(Event& e, Field f, const std::string& what) {
  for (auto& p : e.provenance)
    if (p.field == f) p.transform += "; " + what;
}

struct Chord {
  int degree = 0;
  bool seventh = false;
  std::optional<Provenance> degree_why, shape_why;
};

class House {
 public:
  House(const GenreInput& in, PatternSpec spec)
      : in_(in), spec_(std::move(spec)), model_(model_key(in.features)) {}

  std::vector<Event> run() {
    const Voice* pad = find_voice(spec_, "pad");
    const int chord_bars =
        pad && pad->has("bars")
            ? std::max(1, static_cast<int>(pad->get("bars").constant.value_or(2)))
            : 2;
    for (const auto& pr : part_ranges(spec_, in_)) {
      // No fill or riser leads out of the pattern's last part: the track ends there.
      const bool last_part = pr.part == &spec_.parts.back();
      for (int b = pr.begin; b < pr.end; ++b) {
        // Bar of the track: the progression and the fills continue across the sections a
        // track is split into (GenreInput::start_bar).
        const int tb = in_.start_bar + b;
        const int c = tb / chord_bars;
        const int layer =
            in_.section.layer_lo + c % (in_.section.layer_hi - in_.section.layer_lo + 1);
        const LayerContext ctx{layer, in_.num_layers};
        const Chord chord = chord_for(ctx);
        const Part& part = *pr.part;
        const auto plays = [&](const char* n) { return part.play.count(n) > 0; };
        const Beats bar_start(static_cast<std::int64_t>(b) * in_.beats_per_bar);
        if (plays("pad") && (tb % chord_bars == 0 || b == pr.begin)) {
          const int len = std::min(chord_bars - tb % chord_bars, pr.end - b);
          pad_chord(part, chord, ctx, bar_start, len);
        }
        if (plays("bass")) bass_bar(part, chord, ctx, bar_start);
        if (plays("arp")) arp_bar(part, chord, ctx, bar_start);
        if (plays("lead")) lead_bar(part, chord, ctx, bar_start);
        for (const auto& d : spec_.drums)
          if (part.play.count(d.name)) {
            auto hits = drum_bar(d, in_.features, ctx, bar_start, in_.beats_per_bar, part.level);
            append(hits);
          }
        if (!last_part && b == pr.end - 1 && plays("fill")) fill_bar(part, ctx, tb, bar_start);
        if (!last_part && plays("riser") && b == riser_start(pr))
          riser(part, ctx, bar_start, pr.end - b);
      }
    }
    sort_events(out_);
    return out_;
  }

 private:
  void append(std::vector<Event>& v) {
    out_.insert(out_.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  }

  ModelKey key(const Part& part, int octave) const {
    return tonal_key(xf::Tonal{octave, part.mode, 0}, model_);
  }
  std::string key_text(const Part& part, int octave) const {
    const ModelKey k = key(part, octave);
    return fmt::format("tonality@{} {} (root {})", octave, k.mode, k.root);
  }

  Chord chord_for(const LayerContext& ctx) const {
    Chord ch;
    const auto pad = values_of(spec_, "pad", in_, ctx);
    if (!pad.has("degree")) return ch;
    ch.degree = std::clamp(static_cast<int>(std::floor(pad.at("degree").at(0))), 0, 6);
    ch.degree_why = pad.at("degree").why(0, Field::pitch);
    if (pad.has("shape")) {
      ch.seventh = pad.at("shape").at(0) > 0.5;
      ch.shape_why = pad.at("shape").why(0, Field::pitch);
    }
    return ch;
  }

  // Pitch provenance of a chord-derived note: the degree's feature, with the shape and the
  // key spelled out in the transform.
  void chord_why(Event& e, const Chord& ch, const std::string& how) const {
    if (!ch.degree_why) return;
    Provenance p = *ch.degree_why;
    p.field = Field::pitch;
    p.transform += fmt::format(" | floor → degree {}; {}", ch.degree, how);
    if (ch.shape_why)
      p.transform +=
          fmt::format("; {} by {}[{}] ({})", ch.seventh ? "seventh" : "triad",
                      ch.shape_why->feature, ch.shape_why->index, ch.shape_why->transform);
    e.explain(std::move(p));
  }

  std::vector<int> chord_notes(const Part& part, const Chord& ch, int octave) const {
    const ModelKey k = key(part, octave);
    return diatonic_chord(k.root, mode_intervals(k.mode), ch.degree,
                          ch.seventh ? ChordShape::seventh : ChordShape::triad);
  }

  void pad_chord(const Part& part, const Chord& ch, const LayerContext& ctx, Beats start,
                 int bars) {
    const auto v = values_of(spec_, "pad", in_, ctx);
    for (int note : chord_notes(part, ch, kPadOctave)) {
      Event e;
      e.onset = start;
      e.duration = Beats(static_cast<std::int64_t>(bars) * in_.beats_per_bar);
      e.instrument = find_voice(spec_, "pad")->instrument;
      e.pitch = note;
      if (v.has("velocity")) apply(e, Field::velocity, v.at("velocity"), 0);
      e.velocity = std::clamp(e.velocity * part.level, 0.0, 1.0);
      v.params(e, 0);
      chord_why(e, ch, "chord on " + key_text(part, kPadOctave));
      out_.push_back(std::move(e));
    }
  }

  // A melodic line on the chord: `steps` notes per bar, each a scale step (from `table`) above
  // the chord degree, picked by the voice's pitch mapping. Steps in `anchors` always sound;
  // the others follow the voice's gate, and without a gate they sound only when there are no
  // anchors.
  struct Line {
    const char* voice;
    int steps;
    Beats length;  // of a note, as a fraction of a step
    int octave;
    const std::vector<int>& table;
    const std::set<int>* anchors;
    const char* relation;  // "of" / "above", for the provenance text
  };

  void line_bar(const Line& line, const Part& part, const Chord& ch, const LayerContext& ctx,
                Beats start) {
    const auto v = values_of(spec_, line.voice, in_, ctx);
    const ModelKey k = key(part, line.octave);
    const Beats step(in_.beats_per_bar, line.steps);
    for (int s = 0; s < line.steps; ++s) {
      const auto i = static_cast<std::size_t>(s);
      Event e;
      const bool anchored = line.anchors && line.anchors->count(s);
      if (!anchored) {
        if (v.has("gate")) {
          if (v.at("gate").at(i) <= 0.5) continue;
          if (auto w = v.at("gate").why(i, Field::onset)) e.explain(*w);
        } else if (line.anchors) {
          continue;
        }
      }
      e.onset = start + step * Beats(s);
      e.duration = step * line.length;
      e.instrument = find_voice(spec_, line.voice)->instrument;
      const double x = apply(e, Field::pitch, v.at("pitch"), i);
      const auto idx = static_cast<std::size_t>(std::clamp(x, 0.0, 0.999999) *
                                                static_cast<double>(line.table.size()));
      e.pitch = scale_degree(k.root, mode_intervals(k.mode), ch.degree + line.table[idx]);
      annotate(e, Field::pitch,
               fmt::format("step {} {} chord degree {} on {}", line.table[idx], line.relation,
                           ch.degree, key_text(part, line.octave)));
      if (ch.degree_why)
        annotate(e, Field::pitch,
                 fmt::format("degree from {}[{}]", ch.degree_why->feature, ch.degree_why->index));
      finish(e, v, i, part);
    }
  }

  void bass_bar(const Part& part, const Chord& ch, const LayerContext& ctx, Beats start) {
    line_bar({"bass", 16, Beats(3, 4), kBassOctave, kBassSteps, &kBassAnchors, "of"}, part, ch, ctx,
             start);
  }

  void lead_bar(const Part& part, const Chord& ch, const LayerContext& ctx, Beats start) {
    line_bar({"lead", 8, Beats(7, 8), kLeadOctave, kLeadSteps, nullptr, "above"}, part, ch, ctx,
             start);
  }

  void arp_bar(const Part& part, const Chord& ch, const LayerContext& ctx, Beats start) {
    const auto v = values_of(spec_, "arp", in_, ctx);
    const auto notes = chord_notes(part, ch, kArpOctave);
    const auto order = arp_order(std::vector<double>(notes.begin(), notes.end()), ArpMode::updown);
    const Beats step(in_.beats_per_bar, 16);
    for (int s = 0; s < 16; ++s) {
      const auto i = static_cast<std::size_t>(s);
      Event e;
      e.onset = start + step * Beats(s);
      e.duration = step / Beats(2);
      e.instrument = find_voice(spec_, "arp")->instrument;
      e.pitch = order[i % order.size()];
      chord_why(
          e, ch,
          fmt::format("arp updown note {} on {}", i % order.size(), key_text(part, kArpOctave)));
      finish(e, v, i, part);
    }
  }

  // The tail every melodic note shares: velocity from the mapping, the part's level, the
  // voice's synth parameters.
  void finish(Event& e, const VoiceValues& v, std::size_t i, const Part& part) {
    if (v.has("velocity")) apply(e, Field::velocity, v.at("velocity"), i);
    e.velocity = std::clamp(e.velocity * part.level, 0.0, 1.0);
    v.params(e, i);
    out_.push_back(std::move(e));
  }

  // A snare roll whose hits are drawn from the tensor (tensor_uniform) with a density that
  // rises through the bar; velocities from the fill mapping, rising too.
  void fill_bar(const Part& part, const LayerContext& ctx, int bar, Beats start) {
    const Voice& voice = spec_.voice("fill");
    const auto v = values_of(spec_, "fill", in_, ctx);
    const auto& m = voice.get("velocity").mapping;
    const std::string feature = m ? expand_template(m->feature, ctx) : std::string();
    const auto raw = m ? in_.features.get(feature) : std::span<const float>();
    const Beats step(in_.beats_per_bar, 16);
    for (int s = 0; s < 16; ++s) {
      const auto i = static_cast<std::size_t>(s);
      const double density = 0.3 + 0.7 * s / 15.0;
      const auto counter = static_cast<std::uint64_t>(bar) * 16 + i;
      if (m && tensor_uniform(raw, counter) >= density) continue;
      Event e;
      e.onset = start + step * Beats(s);
      e.duration = step;
      e.instrument = voice.instrument;
      apply(e, Field::velocity, v.at("velocity"), i);
      e.velocity = std::clamp(e.velocity * (0.5 + 0.5 * s / 15.0) * part.level, 0.0, 1.0);
      if (m)
        e.explain({Field::onset, feature, "hash uniform", -1,
                   fmt::format("u(bar {} · 16 + step {}) < {:.3f}", bar, s, density)});
      out_.push_back(std::move(e));
    }
  }

  int riser_start(const PartRange& pr) const {
    const Voice* r = find_voice(spec_, "riser");
    const int len = r && r->has("bars") ? static_cast<int>(r->get("bars").constant.value_or(4)) : 4;
    return std::max(pr.begin, pr.end - std::max(1, len));
  }

  void riser(const Part& part, const LayerContext& ctx, Beats start, int bars) {
    const auto v = values_of(spec_, "riser", in_, ctx);
    Event e;
    e.onset = start;
    e.duration = Beats(static_cast<std::int64_t>(bars) * in_.beats_per_bar);
    e.instrument = spec_.voice("riser").instrument;
    e.pitch = key(part, kRiserOctave).root;
    e.velocity = std::clamp(0.7 * part.level, 0.0, 1.0);
    v.params(e, 0);
    out_.push_back(std::move(e));
  }

  const GenreInput& in_;
  PatternSpec spec_;
  ModelKey model_;
  std::vector<Event> out_;
};

}  // namespace

std::vector<Event> generate_house(const GenreInput& in) {
  PatternSpec spec = pattern_spec(in);
  spec.check_voices(kVoiceKeys, kRequired);
  spec.check_parts(true);
  return House(in, std::move(spec)).run();
}

}  // namespace th::music
