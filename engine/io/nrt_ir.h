// Impulse responses for the convolution reverb, generated here so renders need no external
// files. Contract: deterministic — the samples are a pure function of (kind, channel,
// sample rate): the noise comes from a counter-based hash (SplitMix64 of a fixed seed, the
// kind, the channel and the sample index), never from a random number generator; the same
// inputs give bit-identical floats on every run and machine with IEEE float. Each IR is
// exponentially decaying noise whose brightness falls over time (a one-pole low-pass with a
// cutoff sliding down), plus early reflections for the room, normalised to unit energy.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace th::io {

enum class IrKind { hall, plate, room };

struct IrShape {
  double rt60 = 2.0;          // seconds to decay by 60 dB
  double length = 2.5;        // seconds of IR
  double bright_hz = 9000;    // low-pass cutoff at the start
  double dark_hz = 2500;      // ... and at the end
  int early_reflections = 0;  // discrete taps in the first 80 ms
};

// The shape of each kind (a table; see docs/sound.md). Thread-safe; realtime-safe.
IrShape ir_shape(IrKind kind);
// "hall" | "plate" | "room" → kind; throws th::InputError naming `field` otherwise.
IrKind parse_ir_kind(std::string_view name, std::string_view field);
std::string_view ir_kind_name(IrKind kind);

// One channel of an IR (channel 0 = left, 1 = right: decorrelated). Thread-safe; allocates.
std::vector<float> make_ir(IrKind kind, int channel, int sample_rate);

// Writes mono float32 WAV (libsndfile). Thread-safe; throws th::Error on I/O failure.
void write_wav_mono(const std::filesystem::path& path, std::span<const float> samples,
                    int sample_rate);

}  // namespace th::io
