#include "io/nrt_ir.h"

#include <sndfile.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

#include "core/error.h"

namespace th::io {
namespace {

constexpr std::uint64_t kSeed = 0x7e45'0a75'0001'0001ull;  // fixed: changing it changes every IR

constexpr std::array<std::pair<IrKind, std::string_view>, 3> kNames{
    {{IrKind::hall, "hall"}, {IrKind::plate, "plate"}, {IrKind::room, "room"}}};

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in [-1, 1) from the top 24 bits of the hash: exact in float.
double noise(std::uint64_t stream, std::uint64_t i) {
  std::uint64_t h = splitmix64(stream ^ splitmix64(i));
  return static_cast<double>(h >> 40) / 8388608.0 - 1.0;
}

}  // namespace

IrShape ir_shape(IrKind kind) {
  switch (kind) {
    case IrKind::hall:
      return {2.4, 3.0, 8000, 1800, 0};
    case IrKind::plate:
      return {1.6, 2.0, 12000, 5000, 0};
    case IrKind::room:
      return {0.5, 0.7, 9000, 3500, 9};
  }
  return {};
}

IrKind parse_ir_kind(std::string_view name, std::string_view field) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  throw bad_field("reverb", field, "hall, plate or room", name);
}

std::string_view ir_kind_name(IrKind kind) {
  for (const auto& [k, n] : kNames)
    if (k == kind) return n;
  return "?";
}

std::vector<float> make_ir(IrKind kind, int channel, int sample_rate) {
  const IrShape s = ir_shape(kind);
  const auto frames = static_cast<std::size_t>(s.length * sample_rate);
  const std::uint64_t stream = splitmix64(kSeed ^ (static_cast<std::uint64_t>(kind) << 8) ^
                                          static_cast<std::uint64_t>(channel));
  std::vector<double> ir(frames);
  // -60 dB at rt60: amplitude exp(-6.9078 t / rt60).
  const double decay = std::log(1000.0) / s.rt60;
  double lp = 0;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double frac = t / s.length;
    const double fc = s.bright_hz * std::pow(s.dark_hz / s.bright_hz, frac);
    const double a = 1.0 - std::exp(-2.0 * std::numbers::pi * fc / sample_rate);
    lp += a * (noise(stream, i) - lp);
    // A 3 ms fade-in avoids a click at the IR's start; a 50 ms fade-out at its end.
    const double fade_in = std::min(1.0, t / 0.003);
    const double fade_out = std::min(1.0, (s.length - t) / 0.05);
    ir[i] = lp * std::exp(-decay * t) * fade_in * fade_out;
  }
  for (int k = 0; k < s.early_reflections; ++k) {
    const double when = 0.004 + 0.076 * (0.5 + 0.5 * noise(stream ^ 0xea51ull, k));
    const auto at = static_cast<std::size_t>(when * sample_rate);
    if (at < frames) ir[at] += 0.5 * noise(stream ^ 0xea52ull, k) * std::exp(-decay * when);
  }
  double energy = 0;
  for (double v : ir) energy += v * v;
  const double g = energy > 0 ? 1.0 / std::sqrt(energy) : 0.0;
  std::vector<float> out(frames);
  for (std::size_t i = 0; i < frames; ++i) out[i] = static_cast<float>(ir[i] * g);
  return out;
}

void write_wav_mono(const std::filesystem::path& path, std::span<const float> samples,
                    int sample_rate) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw Error("cannot write " + path.string() + ": " + sf_strerror(nullptr), 1);
  const auto n = static_cast<sf_count_t>(samples.size());
  const sf_count_t written = sf_writef_float(f, samples.data(), n);
  sf_close(f);
  if (written != n) throw Error("short write to " + path.string(), 1);
}

}  // namespace th::io
