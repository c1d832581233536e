// Shared pieces of the orchestral genres; see orchestral.h.
#include "music/orchestral.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "music/genre_common.h"
#include "music/theory.h"

namespace th::music {

namespace {
// Parameter keys a voice may map onto its events.
const std::vector<std::pair<std::string, Field>> kParams{
    {"cutoff", Field::cutoff}, {"pan", Field::pan},         {"reverb", Field::reverb},
    {"delay", Field::delay},   {"vibrato", Field::vibrato}, {"amp", Field::amp},
    {"harm1", Field::harm1},   {"harm2", Field::harm2},     {"harm3", Field::harm3},
    {"harm4", Field::harm4}};
constexpr int kLowest = 24, kHighest = 108;
const char* kNames[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
}  // namespace

double VoiceEval::number(const std::string& k, double fallback) const {
  return has(k) ? at(k).at(0) : fallback;
}

void VoiceEval::params(Event& e, std::size_t i) const {
  for (const auto& [key, field] : kParams)
    if (has(key)) apply(e, field, at(key), i);
}

VoiceEval voice_eval(const PatternSpec& spec, const std::string& voice, const GenreInput& in,
                     int layer) {
  VoiceEval v;
  v.voice = &spec.voice(voice);
  const LayerContext ctx{layer, in.num_layers};
  for (const auto& [key, value] : v.voice->values)
    v.ev.emplace(key, evaluate(value, in.features, ctx));
  return v;
}

SpanScale span_scale(const FeatureSource& features, const std::string& mode) {
  const ModelKey model = model_key(features);
  const std::string m = mode.empty() ? model.mode : mode;
  SpanScale s;
  s.root = model.root;
  s.notes = build_scale_span(model.root, mode_intervals(m), kLowest, kHighest);
  s.text =
      fmt::format("{} {} span {}..{}", kNames[((model.root % 12) + 12) % 12], m, kLowest, kHighest);
  return s;
}

int scale_index(const SpanScale& s, double x, double lo, double hi, int steps) {
  const int n = static_cast<int>(s.notes.size());
  const double f = lo + std::clamp(x, 0.0, 1.0) * (hi - lo);
  const int i = static_cast<int>(std::floor(std::clamp(f, 0.0, 1.0) * (n - 1))) + steps;
  return std::clamp(i, 0, n - 1);
}

void pitch_from(Event& e, const SpanScale& s, int index, const Evaluated& ev, std::size_t i,
                const std::string& how) {
  e.pitch = s.notes[static_cast<std::size_t>(index)];
  if (auto w = ev.why(i, Field::pitch)) {
    w->transform += fmt::format("; {} → note {} of {}", how, index, s.text);
    e.explain(std::move(*w));
  }
}

std::vector<FroNorm> frobenius_sorted(const FeatureSource& features, int lo, int hi) {
  static const char* kMatrices[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                    "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                    "mlp.down_proj"};
  std::vector<FroNorm> out{{"embed.fro", features.get("embed.fro")[0], 0}};
  for (int l = lo; l <= hi; ++l)
    for (const char* m : kMatrices) {
      const std::string n = fmt::format("layers.{}.{}.fro", l, m);
      out.push_back({n, features.get(n)[0], 0});
    }
  std::stable_sort(out.begin(), out.end(),
                   [](const FroNorm& a, const FroNorm& b) { return a.value > b.value; });
  double mn = 1e300, mx = -1e300;
  for (const auto& f : out) {
    mn = std::min(mn, std::log1p(f.value));
    mx = std::max(mx, std::log1p(f.value));
  }
  for (auto& f : out) f.x = (std::log1p(f.value) - mn) / (mx - mn + 1e-9);
  return out;
}

std::string frobenius_order(const std::vector<FroNorm>& fro) {
  std::string out;
  for (const auto& f : fro) out += (out.empty() ? "" : " > ") + f.feature;
  return out;
}

std::vector<std::size_t> layer_chunk(std::size_t size, int layer, int num_layers, int count) {
  const std::size_t n = size / static_cast<std::size_t>(std::max(1, num_layers));
  const std::size_t first = n * static_cast<std::size_t>(std::max(0, layer));
  std::vector<std::size_t> out;
  for (int k = 0; k < count; ++k) {
    const double t =
        count > 1 ? static_cast<double>(k) * static_cast<double>(n - 1) / (count - 1) : 0.0;
    out.push_back(std::min(size - 1, first + static_cast<std::size_t>(t)));
  }
  return out;
}

void annotate(Event& e, Field f, const std::string& what) {
  for (auto& p : e.provenance)
    if (p.field == f) p.transform += "; " + what;
}

}  // namespace th::music
