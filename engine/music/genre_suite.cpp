// Suite: the seed's five-movement "DNA" piece (SEED-SPEC §2.F) as the pattern's [[part]]s —
// prologue (the embedding spectrum as one held chord on the additive organ), anatomy (each
// layer's q/k/v/o spectra as string lines), memory (gate/up/down spectra as brass lines),
// balance (each layer's norm vectors on the flute) and epilogue (the Frobenius norms from
// largest to smallest, each entering in turn and fading). Where the seed picks a fixed additive
// timbre, the voice's harm1..harm4 mappings set the harmonic weights from the weights
// themselves (docs/mapping.md "Suite").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/genres.h"
#include "music/orchestral.h"

namespace th::music {
namespace {

const std::set<std::string> kParamKeys{"pan",   "reverb", "delay", "vibrato", "amp",
                                       "harm1", "harm2",  "harm3", "harm4"};
std::set<std::string> keys(std::set<std::string> k) {
  k.insert(kParamKeys.begin(), kParamKeys.end());
  return k;
}
// Line voices read a stacked per-layer spectrum (`layers.*.X.singular_values`, normalised over
// all layers) and play `notes` of the layer's chunk in turn.
const std::set<std::string> kLineKeys = keys({"pitch", "velocity", "notes", "lo", "hi"});

// Which movement reads which voices; the voice names are also the [voices.*] names.
const std::map<std::string, std::vector<std::string>> kMovements{
    {"prologue", {"prologue"}},
    {"anatomy", {"q", "k", "v", "o"}},
    {"memory", {"gate", "up", "down"}},
    {"balance", {"norm_in", "norm_post"}},
    {"epilogue", {"epilogue"}}};

std::map<std::string, std::set<std::string>> voice_keys() {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [movement, voices] : kMovements)
    for (const auto& v : voices) out[v] = kLineKeys;
  return out;
}
std::map<std::string, std::set<std::string>> required() {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [movement, voices] : kMovements)
    for (const auto& v : voices)
      if (v != "epilogue") out[v] = {"pitch"};
  return out;
}

class Suite {
 public:
  Suite(const GenreInput& in, PatternSpec spec) : in_(in), spec_(std::move(spec)) {}

  std::vector<Event> run() {
    const PartHandlers movements{
        {"prologue", [this](const PartRange& p) { prologue(p); }},
        {"anatomy", [this](const PartRange& p) { lines(p, kMovements.at("anatomy")); }},
        {"memory", [this](const PartRange& p) { lines(p, kMovements.at("memory")); }},
        {"balance", [this](const PartRange& p) { balance(p); }},
        {"epilogue", [this](const PartRange& p) { epilogue(p); }}};
    play_parts(spec_, in_, movements, "movement");
    sort_events(out_);
    return out_;
  }

 private:
  Beats bar(int b) const { return Beats(static_cast<std::int64_t>(b) * in_.beats_per_bar); }
  bool plays(const PartRange& p, const std::string& v) const { return p.part->play.count(v); }

  Event note(const VoiceEval& v, Beats onset, Beats dur) const {
    Event e;
    e.instrument = v.voice->instrument;
    e.onset = onset;
    e.duration = dur;
    return e;
  }
  void velocity(Event& e, const VoiceEval& v, std::size_t i, double level, double fallback) {
    if (v.has("velocity"))
      apply(e, Field::velocity, v.at("velocity"), i);
    else
      e.velocity = fallback;
    e.velocity = std::clamp(e.velocity * level, 0.0, 1.0);
  }

  // Every value of the prologue's pitch mapping sounds at once for the whole movement (the seed
  // starts all its voices at t = 0), panned around the circle as in the seed.
  void prologue(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const auto v = voice_eval(spec_, "prologue", in_, in_.section.layer_lo);
    const auto& pitch = v.at("pitch");
    const std::size_t n = pitch.values ? pitch.values->values.size() : 1;
    for (std::size_t i = 0; i < n; ++i) {
      Event e = note(v, bar(p.begin), bar(p.end - p.begin));
      pitch_from(e, s, scale_index(s, pitch.at(i), v.number("lo", 0), v.number("hi", 0.7)), pitch,
                 i, fmt::format("chord tone {} of {}", i, n));
      velocity(e, v, i, p.part->level, 0.6);
      e.params.set(Field::pan, 0.8 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / n));
      v.params(e, i);
      out_.push_back(std::move(e));
    }
  }

  // Each layer of the section gets a contiguous run of bars (layer_for_bar); each voice plays
  // `notes` values of the layer's chunk of its stacked spectrum, one after another over the run.
  void lines(const PartRange& p, const std::vector<std::string>& voices) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const int bars = p.end - p.begin, lo = in_.section.layer_lo, hi = in_.section.layer_hi;
    for (int b = 0; b < bars;) {
      const int layer = layer_for_bar(b, bars, lo, hi);
      int end = b;
      while (end < bars && layer_for_bar(end, bars, lo, hi) == layer) ++end;
      for (const auto& name : voices) {
        if (!plays(p, name)) continue;
        const auto v = voice_eval(spec_, name, in_, layer);
        const auto& pitch = v.at("pitch");
        const std::size_t size = pitch.values ? pitch.values->values.size() : 1;
        const int count = std::max(1, static_cast<int>(v.number("notes", 4)));
        const auto idx = layer_chunk(size, layer, in_.num_layers, count);
        const Beats len = bar(end - b) / Beats(count);
        for (int k = 0; k < count; ++k) {
          const std::size_t i = idx[static_cast<std::size_t>(k)];
          Event e = note(v, bar(p.begin + b) + len * Beats(k), len * Beats(9, 10));
          pitch_from(e, s, scale_index(s, pitch.at(i), v.number("lo", 0), v.number("hi", 1)), pitch,
                     i, fmt::format("layer {} note {} of {}", layer, k, count));
          velocity(e, v, i, p.part->level, 0.6);
          v.params(e, i);
          out_.push_back(std::move(e));
        }
      }
      b = end;
    }
  }

  // One flute note per norm vector per layer, the vectors one after another (seed IV).
  void balance(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const auto& voices = kMovements.at("balance");
    std::vector<std::string> playing;
    for (const auto& v : voices)
      if (plays(p, v)) playing.push_back(v);
    if (playing.empty()) return;
    const int bars = p.end - p.begin, lo = in_.section.layer_lo, hi = in_.section.layer_hi;
    for (int b = 0; b < bars;) {
      const int layer = layer_for_bar(b, bars, lo, hi);
      int end = b;
      while (end < bars && layer_for_bar(end, bars, lo, hi) == layer) ++end;
      const Beats len = bar(end - b) / Beats(static_cast<std::int64_t>(playing.size()));
      for (std::size_t k = 0; k < playing.size(); ++k) {
        const auto v = voice_eval(spec_, playing[k], in_, layer);
        Event e = note(v, bar(p.begin + b) + len * Beats(static_cast<std::int64_t>(k)),
                       len * Beats(9, 10));
        pitch_from(e, s, scale_index(s, v.at("pitch").at(0), v.number("lo", 0), v.number("hi", 1)),
                   v.at("pitch"), 0, fmt::format("layer {}", layer));
        velocity(e, v, 0, p.part->level, 0.6);
        v.params(e, 0);
        out_.push_back(std::move(e));
      }
      b = end;
    }
  }

  // Tensor i (largest Frobenius norm first) enters at i/N of the movement and holds to its end;
  // its loudness is (fro/max)^0.4 (the seed's), fading with its entry.
  void epilogue(const PartRange& p) {
    const SpanScale s = span_scale(in_.features, p.part->mode);
    const auto v = voice_eval(spec_, "epilogue", in_, in_.section.layer_lo);
    const auto fro = frobenius_sorted(in_.features, in_.section.layer_lo, in_.section.layer_hi);
    const Beats total = bar(p.end - p.begin);
    const auto n = static_cast<std::int64_t>(fro.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto& f = fro[static_cast<std::size_t>(i)];
      const Beats at = total * Beats(i, n);
      Event e = note(v, bar(p.begin) + at, total - at);
      const double prog = static_cast<double>(i) / static_cast<double>(n);
      e.velocity = std::clamp(
          std::pow(f.value / fro.front().value, 0.4) * (1 - 0.7 * prog) * p.part->level, 0.0, 1.0);
      const int idx = scale_index(s, f.x, v.number("lo", 0.1), v.number("hi", 0.75));
      e.pitch = s.notes[static_cast<std::size_t>(idx)];
      const std::string order =
          fmt::format("slot {} of {} in the order {}", i, n, frobenius_order(fro));
      e.explain({Field::onset, f.feature, "fro", -1, order});
      e.explain({Field::pitch, f.feature, "fro", -1,
                 fmt::format("log1p | norm01 over {} matrices → note {} of {}", n, idx, s.text)});
      e.explain(
          {Field::velocity, f.feature, "fro", -1,
           fmt::format("(fro / max fro {})^0.4 · (1 − 0.7 · {:.3f})", fro.front().feature, prog)});
      v.params(e, 0);
      out_.push_back(std::move(e));
    }
  }

  const GenreInput& in_;
  PatternSpec spec_;
  std::vector<Event> out_;
};

}  // namespace

std::vector<Event> generate_suite(const GenreInput& in) {
  PatternSpec spec = pattern_spec(in);
  spec.check_voices(voice_keys(), required());
  spec.check_parts(true);
  return Suite(in, std::move(spec)).run();
}

}  // namespace th::music
