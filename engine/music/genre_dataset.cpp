// Dataset sines: a prompt dataset as a spectrum in time (SEED-SPEC §2.C; docs/mapping.md
// "Dataset sines"). Each prompt's mean-pooled hidden state at one depth of the model is one
// segment of the section; the `dims` hidden dimensions that vary most across the prompts are
// fixed-frequency partials (the most variable lowest, log-spaced between low_hz and high_hz);
// a partial's velocity is |a| over the largest |a| of all prompts and chosen dimensions, and its
// start phase is 0 for a ≥ 0 and π otherwise — the seed's mapping, event by event.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "music/genre_common.h"
#include "music/toml_fields.h"

namespace th::music {
namespace {

struct DatasetSpec {
  std::string instrument = "sine";
  int64_t dims = 64;
  double depth = 0.5;  // hidden state index = round(depth · L)
  double low_hz = 60, high_hz = 4000, fade_seconds = 0.02;
};

DatasetSpec read_spec(const GenreInput& in) {
  const auto& t = in.pattern;
  const auto& f = in.pattern_file;
  toml_check_keys(
      f, t,
      {"name", "genre", "description", "instrument", "dims", "depth", "low_hz", "high_hz", "fade"},
      "a dataset pattern");
  DatasetSpec s;
  s.instrument = toml_string(f, t, "instrument", s.instrument);
  s.dims = static_cast<int64_t>(toml_number(f, t, "dims", static_cast<double>(s.dims), 1, 512));
  s.depth = toml_number(f, t, "depth", s.depth, 0, 1);
  s.low_hz = toml_number(f, t, "low_hz", s.low_hz, 1, 20000);
  s.high_hz = toml_number(f, t, "high_hz", s.high_hz, 1, 20000);
  s.fade_seconds = toml_number(f, t, "fade", s.fade_seconds, 0, 10);
  return s;
}

}  // namespace

std::vector<Event> generate_dataset(const GenreInput& in) {
  const DatasetSpec spec = read_spec(in);
  const auto tokens = in.features.get("dataset.tokens");  // [N]
  const auto pooled = in.features.get("dataset.pooled");  // [N, L+1, D]
  const auto N = static_cast<int64_t>(tokens.size());
  const int64_t L1 = in.num_layers + 1;
  if (N == 0 || pooled.size() % static_cast<std::size_t>(N * L1) != 0)
    throw bad_file(in.pattern_file.string(), "the dataset's features have inconsistent shapes");
  const int64_t D = static_cast<int64_t>(pooled.size()) / (N * L1);
  const auto h = static_cast<int64_t>(std::lround(spec.depth * static_cast<double>(L1 - 1)));
  auto value = [&](int64_t p, int64_t d) {
    return pooled[static_cast<std::size_t>((p * L1 + h) * D + d)];
  };
  auto flat_index = [&](int64_t p, int64_t d) { return (p * L1 + h) * D + d; };

  // The most variable dimensions across prompts, most variable first (ties: lower index).
  std::vector<double> var(static_cast<std::size_t>(D));
  for (int64_t d = 0; d < D; ++d) {
    double mean = 0, sq = 0;
    for (int64_t p = 0; p < N; ++p) mean += value(p, d);
    mean /= static_cast<double>(N);
    for (int64_t p = 0; p < N; ++p) sq += (value(p, d) - mean) * (value(p, d) - mean);
    var[static_cast<std::size_t>(d)] = sq / static_cast<double>(N);
  }
  std::vector<int64_t> order(static_cast<std::size_t>(D));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return var[static_cast<std::size_t>(a)] > var[static_cast<std::size_t>(b)];
  });
  const int64_t K = std::min(spec.dims, D);
  order.resize(static_cast<std::size_t>(K));

  double peak = 0;
  for (int64_t p = 0; p < N; ++p)
    for (const int64_t d : order) peak = std::max(peak, std::abs(static_cast<double>(value(p, d))));
  if (!(peak > 0))
    throw bad_file(in.pattern_file.string(), "the dataset's pooled activations are all zero");

  const int64_t total = int64_t{in.section.bars} * in.beats_per_bar;
  const double seconds_per_beat = 60.0 / in.tempo;
  std::vector<Event> out;
  for (int64_t p = 0; p < N; ++p) {
    const Beats begin(total * p, N), end(total * (p + 1), N);
    const double seg = (end - begin).to_double() * seconds_per_beat;
    const double fade = std::min(spec.fade_seconds, seg / 2);
    for (int64_t r = 0; r < K; ++r) {
      const int64_t d = order[static_cast<std::size_t>(r)];
      const double a = value(p, d);
      const double f =
          K == 1 ? spec.low_hz
                 : spec.low_hz * std::pow(spec.high_hz / spec.low_hz,
                                          static_cast<double>(r) / static_cast<double>(K - 1));
      Event e;
      e.onset = begin;
      e.duration = end - begin;
      e.instrument = spec.instrument;
      e.pitch = hz_to_midi(f);
      e.velocity = std::abs(a) / peak;
      const auto idx = flat_index(p, d);
      e.explain({Field::pitch, "dataset.pooled", "variance rank over prompts", idx,
                 fmt::format("dimension {} is variance rank {} of {} at hidden state {} → "
                             "exp(linspace(ln {}, ln {}, {}))[rank]",
                             d, r, K, h, spec.low_hz, spec.high_hz, K)});
      e.explain({Field::velocity, "dataset.pooled", "", idx,
                 fmt::format("|a| / {:.4g} (max over prompts and chosen dimensions)", peak)});
      e.params.set(Field::phase, a >= 0 ? 0.0 : M_PI);
      e.explain({Field::phase, "dataset.pooled", "", idx, "0 if a >= 0 else π"});
      e.params.set(Field::attack, fade);
      e.params.set(Field::release, fade);
      out.push_back(std::move(e));
    }
  }
  sort_events(out);
  return out;
}

}  // namespace th::music
