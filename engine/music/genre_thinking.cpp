// Thinking: one prompt through every layer, each token a voice (SEED-SPEC §2.D; the operatic
// variant §2.E; docs/mapping.md "Thinking"). The section's bars are split evenly over the hidden
// states of the section's layers (the embedding output first when the range starts at 0); in
// each segment every token sounds at once: its pitch from its position (log-spaced between
// low_hz and high_hz, the first token lowest; the operatic style snaps it to the mode on the
// model's tonality root), its velocity from ‖h[l,t]‖ over the prompt's largest norm (^ exponent),
// its start phase from the layer's PCA angle of the token, its pan from cos of that angle (the
// seed's phase is inaudible on a steady sine; the pan makes the same number heard). Operatic:
// formant voices by register, vowel from the token's attention entropy, vibrato growing with
// the amplitude, attack/release as shares of the segment, reverb send deepening with depth.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/theory.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

struct ThinkingSpec {
  std::string style = "sines";  // "sines" | "operatic"
  std::string instrument = "sine";
  double low_hz = 80, high_hz = 5000, exponent = 1.0;
  double attack = 0.06, release = 0.06;  // shares of a segment
  std::string mode = "dorian";           // operatic: snapped to this mode on the model's root
  std::vector<std::string> voices;       // operatic: instruments low → high register
};

ThinkingSpec read_spec(const GenreInput& in) {
  const auto& t = in.pattern;
  const auto& f = in.pattern_file;
  toml_check_keys(f, t,
                  {"name", "genre", "description", "style", "instrument", "low_hz", "high_hz",
                   "amp_exponent", "attack", "release", "mode", "voices"},
                  "a thinking pattern");
  ThinkingSpec s;
  s.style = toml_string(f, t, "style", s.style);
  s.instrument = toml_string(f, t, "instrument", s.instrument);
  s.mode = toml_string(f, t, "mode", s.mode);
  s.low_hz = toml_number(f, t, "low_hz", s.low_hz, 1, 20000);
  s.high_hz = toml_number(f, t, "high_hz", s.high_hz, 1, 20000);
  s.exponent = toml_number(f, t, "amp_exponent", s.exponent, 0.01, 10);
  s.attack = toml_number(f, t, "attack", s.attack, 0, 1);
  s.release = toml_number(f, t, "release", s.release, 0, 1);
  if (s.style != "sines" && s.style != "operatic")
    throw bad_field(toml_where(f, *t.get("style")), "style", "\"sines\" or \"operatic\"",
                    "'" + s.style + "'");
  if (const auto* n = t.get("voices")) {
    const auto* a = n->as_array();
    if (!a || a->empty())
      throw bad_field(toml_where(f, *n), "voices", "an array of instruments", toml_type_of(*n));
    for (const auto& e : *a) {
      const auto v = e.value<std::string>();
      if (!v) throw bad_field(toml_where(f, e), "voices", "instrument names", toml_type_of(e));
      s.voices.push_back(*v);
    }
  }
  if (s.style == "operatic" && s.voices.empty())
    throw bad_field(f.string(), "voices", "the operatic style's voices, low to high", "none");
  if (s.style == "operatic") (void)mode_intervals(s.mode);  // an unknown mode fails here
  if (s.attack + s.release > 1.0)
    throw bad_field(f.string(), "attack", "attack + release <= 1 (shares of a segment)",
                    fmt::format("{} + {}", s.attack, s.release));
  return s;
}

Provenance why(Field field, const std::string& feature, int64_t index, std::string transform) {
  return {field, feature, "", index, std::move(transform)};
}

}  // namespace

std::vector<Event> generate_thinking(const GenreInput& in) {
  const ThinkingSpec spec = read_spec(in);
  const auto tokens = in.features.get("prompt.tokens");
  const auto norms = in.features.get("prompt.hidden_norms");           // [L+1, T]
  const auto angles = in.features.get("prompt.pca_angle");             // [L+1, T]
  const auto entropy = in.features.get("prompt.attn_entropy_tokens");  // [L, T]
  const auto T = static_cast<int64_t>(tokens.size());
  if (T == 0 || norms.size() % static_cast<std::size_t>(T) != 0)
    throw bad_file(in.pattern_file.string(), "the prompt's features have inconsistent shapes");
  const int64_t states = static_cast<int64_t>(norms.size()) / T;  // L + 1

  // Hidden states played: the output of layers lo..hi (hidden[l + 1]), and the embedding
  // output before them when the section starts at layer 0.
  std::vector<int64_t> played;
  if (in.section.layer_lo == 0) played.push_back(0);
  for (int l = in.section.layer_lo; l <= in.section.layer_hi && l + 1 < states; ++l)
    played.push_back(l + 1);

  float peak = 0;
  for (const int64_t h : played)
    for (int64_t t = 0; t < T; ++t)
      peak = std::max(peak, norms[static_cast<std::size_t>(h * T + t)]);
  if (!(peak > 0))
    throw bad_file(in.pattern_file.string(), "the prompt's hidden states are all zero");

  // Token pitches: log-spaced Hz (first token lowest), snapped for the operatic style.
  std::vector<double> pitch(static_cast<std::size_t>(T));
  std::string pitch_rule =
      fmt::format("token index → exp(linspace(ln {}, ln {}, {}))", spec.low_hz, spec.high_hz, T);
  std::vector<int> scale;
  if (spec.style == "operatic") {
    const ModelKey key = model_key(in.features);
    scale = build_scale_span(key.root, mode_intervals(spec.mode), 0, 127);
    pitch_rule += fmt::format(" | snap({} {})", key.root % 12, spec.mode);
  }
  for (int64_t t = 0; t < T; ++t) {
    const double f = T == 1 ? spec.low_hz
                            : std::exp(std::log(spec.low_hz) +
                                       (std::log(spec.high_hz) - std::log(spec.low_hz)) *
                                           static_cast<double>(t) / static_cast<double>(T - 1));
    const double m = hz_to_midi(f);
    pitch[static_cast<std::size_t>(t)] = scale.empty() ? m : snap(m, std::span<const int>(scale));
  }

  const int64_t total = int64_t{in.section.bars} * in.beats_per_bar;
  const auto n = static_cast<int64_t>(played.size());
  const double seconds_per_beat = 60.0 / in.tempo;
  std::vector<Event> out;
  for (int64_t s = 0; s < n; ++s) {
    const int64_t h = played[static_cast<std::size_t>(s)];
    const Beats begin(total * s, n), end(total * (s + 1), n);
    const double seg_seconds = (end - begin).to_double() * seconds_per_beat;
    const double depth = n > 1 ? static_cast<double>(s) / static_cast<double>(n - 1) : 0.0;
    for (int64_t t = 0; t < T; ++t) {
      const auto i = static_cast<std::size_t>(h * T + t);
      const double amp = std::pow(norms[i] / peak, spec.exponent);
      const double angle = angles[i];
      Event e;
      e.onset = begin;
      e.duration = end - begin;
      e.pitch = pitch[static_cast<std::size_t>(t)];
      e.velocity = std::clamp(amp, 0.0, 1.0);
      e.instrument = spec.instrument;
      e.explain(why(Field::pitch, "prompt.tokens", t, pitch_rule));
      e.explain(why(Field::velocity, "prompt.hidden_norms", static_cast<int64_t>(i),
                    fmt::format("/ max over the prompt ({:.4g}) | ^{}", peak, spec.exponent)));
      e.params.set(Field::phase, angle);
      e.explain(why(Field::phase, "prompt.pca_angle", static_cast<int64_t>(i), "atan2(PC2, PC1)"));
      e.params.set(Field::pan, 0.8 * std::cos(angle));
      e.explain(why(Field::pan, "prompt.pca_angle", static_cast<int64_t>(i), "0.8·cos"));
      double attack = spec.attack, release = spec.release;
      if (spec.style == "operatic") {
        // Register → voice: the token's place between the lowest and highest token.
        const double place = T > 1 ? static_cast<double>(t) / static_cast<double>(T - 1) : 0.0;
        const auto v =
            std::min(spec.voices.size() - 1,
                     static_cast<std::size_t>(place * static_cast<double>(spec.voices.size())));
        e.instrument = spec.voices[v];
        // The seed's ADSR: attack 0.1 + 0.1·amp of the segment.
        attack = spec.attack + 0.1 * amp;
        e.explain(why(Field::attack, "prompt.hidden_norms", static_cast<int64_t>(i),
                      fmt::format("({} + 0.1·amplitude) of the segment", spec.attack)));
        // Vibrato depth 0.008 + 0.01·amp (relative), in semitones.
        e.params.set(Field::vibrato, 12.0 * std::log2(1.0 + 0.008 + 0.01 * amp));
        e.explain(why(Field::vibrato, "prompt.hidden_norms", static_cast<int64_t>(i),
                      "12·log2(1.008 + 0.01·amplitude) semitones"));
        if (h > 0) {
          const auto j = static_cast<std::size_t>((h - 1) * T + t);
          // Entropy of what the token attends to, over ln(t + 1) (its maximum): a vowel 0..1.
          const double vowel =
              t > 0 ? std::clamp(entropy[j] / std::log(static_cast<double>(t + 1)), 0.0, 1.0) : 0.0;
          e.params.set(Field::formant, vowel);
          e.explain(why(Field::formant, "prompt.attn_entropy_tokens", static_cast<int64_t>(j),
                        "/ ln(position + 1)"));
        }
        e.params.set(Field::reverb, 0.3 + 0.5 * depth);
      }
      e.params.set(Field::attack, attack * seg_seconds);
      e.params.set(Field::release, release * seg_seconds);
      out.push_back(std::move(e));
    }
  }
  sort_events(out);
  return out;
}

}  // namespace th::music
