// Opera: four acts as the pattern's [[part]]s (overture, fugue, climax, epilogue), the seed's
// nb01 opera (SEED-SPEC §1.3) re-scaled to the section's bars, with its constant-collapsing
// mappings replaced by data-dependent ones (docs/mapping.md "Opera"). Act I walks the embedding
// spectrum with string chords, harp and oboe; Act II is a four-voice canon whose themes are the
// q/k/v/o spectra of the layer each bar reads; Act III gives each layer a run of bars whose
// strings, horn and winds follow its attention-vs-MLP tension, the organ closing the act; Act IV
// plays the Frobenius norms from largest to smallest, fading, while the strings drop out.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/genres.h"
#include "music/orchestral.h"
#include "music/theory.h"

namespace th::music {
namespace {

const std::set<std::string> kParamKeys{"pan",   "reverb", "delay", "vibrato", "amp",
                                       "harm1", "harm2",  "harm3", "harm4"};
std::set<std::string> with_params(std::set<std::string> keys) {
  keys.insert(kParamKeys.begin(), kParamKeys.end());
  return keys;
}
const std::map<std::string, std::set<std::string>> kVoiceKeys{
    {"overture", with_params({"pitch", "lo", "hi"})},
    {"soprano", with_params({"theme", "climax", "lo", "hi", "velocity"})},
    {"alto", with_params({"theme", "climax", "lo", "hi", "velocity"})},
    {"tenor", with_params({"theme", "climax", "lo", "hi", "velocity"})},
    {"bass", with_params({"theme", "climax", "lo", "hi", "velocity"})},
    {"harp", with_params({"pitch", "velocity"})},
    {"oboe", with_params({"pitch", "gate"})},
    {"clarinet", with_params({"pitch", "gate"})},
    {"horn", with_params({"degree", "gate"})},
    {"organ", with_params({"velocity"})},
    {"epilogue", with_params({"lo", "hi"})},
};
const std::map<std::string, std::set<std::string>> kRequired{
    {"overture", {"pitch"}},
    {"soprano", {"theme", "climax", "velocity"}},
    {"alto", {"theme", "climax", "velocity"}},
    {"tenor", {"theme", "climax", "velocity"}},
    {"bass", {"theme", "climax", "velocity"}},
    {"harp", {"pitch"}},
    {"oboe", {"pitch"}},
    {"clarinet", {"pitch"}},
    {"horn", {"degree"}}};

// The four string voices, high to low: their chord offset in scale steps (an octave above, a
// fifth above, the note, an octave below), the seed's velocity factors, the canon's entry order
// (soprano, tenor, alto, bass — seed §1.3) and Act IV's drop-out point (fraction of the act).
struct StringVoice {
  const char* voice;
  int chord_steps;
  double velocity;
  int entry;
  double drop_out;
};
const std::vector<StringVoice> kStrings{{"soprano", 7, 1.0, 0, 0.85},
                                        {"alto", 4, 0.85, 2, 0.70},
                                        {"tenor", 0, 0.88, 1, 0.92},
                                        {"bass", -7, 0.75, 3, 0.97}};
// Which theme value plays on beat b: values 1..4 of the six picked (the first and last of a
// normalised spectrum are always 1 and 0; the inner four carry its shape).
constexpr std::size_t kThemeFirst = 1, kThemeNotes = 4;
double velf(double x, double lo, double hi) {
  return lo + std::clamp(x, 0.0, 1.0) * (hi - lo);
}

class Opera {
 public:
  Opera(const GenreInput& in, PatternSpec spec) : in_(in), spec_(std::move(spec)) {}

  std::vector<Event> run() {
    const PartHandlers acts{{"overture", [this](const PartRange& p) { overture(p); }},
                            {"fugue", [this](const PartRange& p) { fugue(p); }},
                            {"climax", [this](const PartRange& p) { climax(p); }},
                            {"epilogue", [this](const PartRange& p) { epilogue(p); }}};
    play_parts(spec_, in_, acts, "act");
    sort_events(out_);
    return out_;
  }

 private:
  Beats bar(int b) const { return Beats(static_cast<std::int64_t>(b) * in_.beats_per_bar); }
  Beats beats(std::int64_t n) const { return Beats(n); }
  bool plays(const PartRange& p, const char* v) const { return p.part->play.count(v) > 0; }
  int layers() const { return in_.section.layer_hi - in_.section.layer_lo + 1; }

  Event note(const std::string& instrument, Beats onset, Beats dur, double velocity, double level) {
    Event e;
    e.instrument = instrument;
    e.onset = onset;
    e.duration = dur;
    e.velocity = std::clamp(velocity * level, 0.0, 1.0);
    return e;
  }

  // Act I: a string chord every two bars on the embedding spectrum, read from largest to
  // smallest σ over the act (so the line descends, as in the seed).
  void overture(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const auto ov = voice_eval(spec_, "overture", in_, in_.section.layer_lo);
    const auto& sv = ov.at("pitch");
    const std::size_t n = sv.values ? sv.values->values.size() : 1;
    const int bars = p.end - p.begin, chords = (bars + 1) / 2;
    for (int c = 0; c < chords; ++c) {
      const int b = p.begin + 2 * c;
      const int len = std::min(2, p.end - b);
      const double prog = static_cast<double>(c) / chords;
      const auto j = static_cast<std::size_t>(c) * n / static_cast<std::size_t>(chords);
      const int root = scale_index(s, sv.at(j), ov.number("lo", 0.3), ov.number("hi", 0.6));
      const double vel = velf(0.6 * prog + 0.1, 0.15, 0.6);
      for (const auto& st : kStrings) {
        const auto v = voice_eval(spec_, st.voice, in_, in_.section.layer_lo);
        Event e = note(v.voice->instrument, bar(b), bar(len) * Beats(97, 100), vel * st.velocity,
                       p.part->level);
        pitch_from(e, s, std::clamp(root + st.chord_steps, 0, int(s.notes.size()) - 1), sv, j,
                   fmt::format("σ {} of {} over the act, {:+} steps", j, n, st.chord_steps));
        ov.params(e, j);
        out_.push_back(std::move(e));
      }
      if (plays(p, "harp") && c % 3 == 0 && prog > 0.25) harp(p, s, root, sv, j, b, vel);
      if (plays(p, "oboe") && prog > 0.65) {
        const auto v = voice_eval(spec_, "oboe", in_, in_.section.layer_lo);
        Event e =
            note(v.voice->instrument, bar(b), bar(len) * Beats(93, 100), vel * 0.6, p.part->level);
        pitch_from(e, s, std::clamp(root + 11, 0, int(s.notes.size()) - 1), sv, j,
                   "oboe a twelfth above the chord");
        v.params(e, 0);
        out_.push_back(std::move(e));
      }
    }
  }

  // Four notes rising by fourths (three scale steps) from `root`, half a beat apart.
  void harp(const PartRange& p, const SpanScale& s, int root, const Evaluated& why, std::size_t j,
            int b, double vel) {
    const auto v = voice_eval(spec_, "harp", in_, in_.section.layer_lo);
    for (int i = 0; i < 4; ++i) {
      Event e = note(v.voice->instrument, bar(b) + Beats(i, 2), Beats(2, 5) * Beats(7, 10),
                     vel * v.number("velocity", 0.5), p.part->level);
      pitch_from(e, s, std::clamp(root + 3 * i, 0, int(s.notes.size()) - 1), why, j,
                 fmt::format("harp arpeggio note {} (+{} steps)", i, 3 * i));
      v.params(e, 0);
      out_.push_back(std::move(e));
    }
  }

  // Act II: bar m reads layer lo + m mod L; each voice enters `gap` bars after the previous one.
  void fugue(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const int bars = p.end - p.begin;
    const int gap = std::max(1, bars / 5);
    for (int m = 0; m < bars; ++m) {
      const int layer = in_.section.layer_lo + m % layers();
      const double prog = static_cast<double>(m) / bars;
      for (const auto& st : kStrings) {
        if (!plays(p, st.voice) || m < st.entry * gap) continue;
        const auto v = voice_eval(spec_, st.voice, in_, layer);
        const auto& theme = v.at("theme");
        for (std::size_t k = 0; k < kThemeNotes; ++k) {
          const std::size_t i = kThemeFirst + k;
          const Beats beat = Beats(static_cast<std::int64_t>(k) * in_.beats_per_bar,
                                   static_cast<std::int64_t>(kThemeNotes));
          const Beats len = Beats(in_.beats_per_bar, static_cast<std::int64_t>(kThemeNotes));
          Event e = note(v.voice->instrument, bar(p.begin + m) + beat, len * Beats(9, 10), 0,
                         p.part->level);
          const double vel = apply(e, Field::velocity, v.at("velocity"), 0);
          e.velocity = std::clamp(
              velf(0.5 * prog + 0.5 * vel, 0.3, 0.85) * st.velocity * p.part->level, 0.0, 1.0);
          annotate(e, Field::velocity, fmt::format("act progress {:.3f}", prog));
          pitch_from(
              e, s, scale_index(s, theme.at(i), v.number("lo", 0), v.number("hi", 1)), theme, i,
              fmt::format("theme note {} in [{}, {}]", k, v.number("lo", 0), v.number("hi", 1)));
          v.params(e, i);
          out_.push_back(std::move(e));
        }
      }
      if (plays(p, "horn") && m >= gap) horn(p, s, layer, bar(p.begin + m), bar(1), 0.7);
      if (prog > 0.4) winds(p, s, layer, bar(p.begin + m), 0.6);
    }
  }

  // A diatonic triad in the horn's octave on the degree the horn's mapping picks, when its gate
  // (tension) is open.
  void horn(const PartRange& p, const SpanScale& s, int layer, Beats at, Beats len, double vel,
            const std::optional<Provenance>& vel_why = {}) {
    const auto v = voice_eval(spec_, "horn", in_, layer);
    if (v.has("gate") && v.at("gate").at(0) <= 0.5) return;
    const auto& deg = v.at("degree");
    const int base = scale_index(s, deg.at(0), 0.3, 0.45);
    for (int step : {0, 2, 4}) {
      Event e = note(v.voice->instrument, at, len * Beats(22, 25), vel, p.part->level);
      pitch_from(e, s, std::min(base + step, int(s.notes.size()) - 1), deg, 0,
                 fmt::format("horn triad +{} steps", step));
      if (vel_why) e.explain(*vel_why);
      if (auto w = v.has("gate") ? v.at("gate").why(0, Field::onset) : std::nullopt) e.explain(*w);
      v.params(e, 0);
      out_.push_back(std::move(e));
    }
  }

  // Oboe on beats 0–1 and clarinet on beats 2–3, each from its own mapping, each gated.
  void winds(const PartRange& p, const SpanScale& s, int layer, Beats at, double vel,
             const std::optional<Provenance>& vel_why = {}) {
    const std::vector<std::tuple<const char*, double, double, int>> winds{
        {"oboe", 0.55, 0.8, 0}, {"clarinet", 0.4, 0.65, 2}};
    for (const auto& [name, lo, hi, beat] : winds) {
      if (!plays(p, name)) continue;
      const auto v = voice_eval(spec_, name, in_, layer);
      if (v.has("gate") && v.at("gate").at(0) <= 0.5) continue;
      Event e =
          note(v.voice->instrument, at + beats(beat), beats(2) * Beats(17, 20), vel, p.part->level);
      pitch_from(e, s, scale_index(s, v.at("pitch").at(0), lo, hi), v.at("pitch"), 0,
                 fmt::format("{} in [{}, {}]", name, lo, hi));
      if (vel_why) e.explain(*vel_why);
      if (auto w = v.has("gate") ? v.at("gate").why(0, Field::onset) : std::nullopt) e.explain(*w);
      v.params(e, 0);
      out_.push_back(std::move(e));
    }
  }

  // Act III: each layer a contiguous run of bars (layer_for_bar).
  void climax(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const int bars = p.end - p.begin, lo = in_.section.layer_lo, hi = in_.section.layer_hi;
    for (int b = 0; b < bars;) {
      const int layer = layer_for_bar(b, bars, lo, hi);
      int end = b;
      while (end < bars && layer_for_bar(end, bars, lo, hi) == layer) ++end;
      const double prog = hi > lo ? static_cast<double>(layer - lo) / (hi - lo) : 1.0;
      const Beats at = bar(p.begin + b), len = bar(end - b);
      double vm = 0.5;
      std::optional<Provenance> vm_why;
      for (const auto& st : kStrings) {
        const auto v = voice_eval(spec_, st.voice, in_, layer);
        Event e = note(v.voice->instrument, at, len * Beats(24, 25), 0, 1);
        vm = apply(e, Field::velocity, v.at("velocity"), 0);
        vm_why = v.at("velocity").why(0, Field::velocity);
        e.velocity = std::clamp(vm * st.velocity * p.part->level, 0.0, 1.0);
        pitch_from(e, s, scale_index(s, v.at("climax").at(0), v.number("lo", 0), v.number("hi", 1)),
                   v.at("climax"), 0, "climax note");
        v.params(e, 0);
        out_.push_back(std::move(e));
      }
      if (plays(p, "horn")) horn(p, s, layer, at, len, vm * 0.85, vm_why);
      winds(p, s, layer, at, vm * 0.7, vm_why);
      if (plays(p, "harp")) {
        const auto v = voice_eval(spec_, "harp", in_, layer);
        for (std::size_t i = 0; i < 4; ++i) {
          Event e = note(v.voice->instrument, at + Beats(static_cast<std::int64_t>(i), 2),
                         Beats(2, 5) * Beats(7, 10), vm * v.number("velocity", 0.5), p.part->level);
          pitch_from(e, s, scale_index(s, v.at("pitch").at(i), 0.3, 0.8), v.at("pitch"), i,
                     fmt::format("harp note {}", i));
          if (vm_why) e.explain(*vm_why);
          v.params(e, i);
          out_.push_back(std::move(e));
        }
      }
      if (plays(p, "organ") && prog > 0.78)
        organ(p, s, at, len, vm * (1 - (prog - 0.78) / 0.22 * 0.6), vm_why);
      b = end;
    }
  }

  // A tonic triad around C3..C4 of the scale (the model's root in the act's mode).
  void organ(const PartRange& p, const SpanScale& s, Beats at, Beats len, double vel,
             const std::optional<Provenance>& vel_why) {
    const auto v = voice_eval(spec_, "organ", in_, in_.section.layer_lo);
    const int root12 = ((s.root % 12) + 12) % 12;
    int base = 0;
    while (base + 1 < int(s.notes.size()) && (s.notes[base] < 48 || s.notes[base] % 12 != root12))
      ++base;
    for (int step : {0, 2, 4}) {
      Event e = note(v.voice->instrument, at, len * Beats(49, 50), vel * v.number("velocity", 1.0),
                     p.part->level);
      e.pitch = s.notes[std::min(base + step, int(s.notes.size()) - 1)];
      if (vel_why) e.explain(*vel_why);
      v.params(e, 0);
      out_.push_back(std::move(e));
    }
  }

  // Act IV: the Frobenius norms of every matrix of the section's layers and the embedding,
  // largest first; bar b plays the one at b·N/bars, so the whole ordering is heard.
  void epilogue(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const auto fro = frobenius_sorted(in_.features, in_.section.layer_lo, in_.section.layer_hi);
    const std::string order = frobenius_order(fro);
    const auto ep = voice_eval(spec_, "epilogue", in_, in_.section.layer_lo);
    const int bars = p.end - p.begin;
    for (int b = 0; b < bars; ++b) {
      const double prog = static_cast<double>(b) / bars;
      const std::size_t k =
          static_cast<std::size_t>(b) * fro.size() / static_cast<std::size_t>(bars);
      const double x = fro[k].x;
      const double vd = velf(x * (1 - 0.8 * prog), 0.08, 0.5);
      const int nn = scale_index(s, x, ep.number("lo", 0.35), ep.number("hi", 0.65));
      const Provenance why{Field::pitch, fro[k].feature, "fro", -1,
                           fmt::format("log1p | norm01 over {} matrices ({} of them by size, "
                                       "largest first)",
                                       fro.size(), k)};
      auto explain = [&](Event& e, const std::string& how) {
        e.explain({Field::onset, fro[k].feature, "fro", -1,
                   fmt::format("slot {} of {} in the order {}", k, fro.size(), order)});
        Provenance pw = why;
        pw.transform += fmt::format("; {} → note {} of {}", how, e.pitch, s.text);
        e.explain(pw);
        Provenance vw = why;
        vw.field = Field::velocity;
        vw.transform += fmt::format(" · (1 − 0.8 · progress {:.3f})", prog);
        e.explain(std::move(vw));
      };
      for (const auto& st : kStrings) {
        if (prog >= st.drop_out) continue;
        const auto v = voice_eval(spec_, st.voice, in_, in_.section.layer_lo);
        Event e = note(v.voice->instrument, bar(p.begin + b), bar(1) * Beats(97, 100),
                       vd * st.velocity, p.part->level);
        e.pitch = s.notes[std::clamp(nn + st.chord_steps, 0, int(s.notes.size()) - 1)];
        explain(e, fmt::format("{:+} steps", st.chord_steps));
        out_.push_back(std::move(e));
      }
      if (plays(p, "harp") && prog < 0.4 && b % 3 == 0) {
        const auto v = voice_eval(spec_, "harp", in_, in_.section.layer_lo);
        for (int i = 0; i < 4; ++i) {
          Event e = note(v.voice->instrument, bar(p.begin + b) + Beats(i, 2),
                         Beats(2, 5) * Beats(13, 20), vd * 0.45, p.part->level);
          e.pitch = s.notes[std::clamp(nn + 3 * i, 0, int(s.notes.size()) - 1)];
          explain(e, fmt::format("harp +{} steps", 3 * i));
          out_.push_back(std::move(e));
        }
      }
      if (plays(p, "organ") && prog > 0.88) {
        Provenance vw = why;
        vw.field = Field::velocity;
        vw.transform += fmt::format(" · (1 − 0.8 · progress {:.3f}); organ tonic triad", prog);
        organ(p, s, bar(p.begin + b), bar(1), vd * 0.6, vw);
      }
    }
  }

  const GenreInput& in_;
  PatternSpec spec_;
  std::vector<Event> out_;
};

}  // namespace

std::vector<Event> generate_opera(const GenreInput& in) {
  PatternSpec spec = pattern_spec(in);
  spec.check_voices(kVoiceKeys, kRequired);
  spec.check_parts(true);
  return Opera(in, std::move(spec)).run();
}

}  // namespace th::music
