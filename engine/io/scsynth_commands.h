// The scsynth command vocabulary used by tensorhaus, as OscMessage builders (Server Command
// Reference, scsynth 3.x). Contract: each function returns exactly the message scsynth
// documents, with float32 control values and int32 ids; no validation of ids beyond types.
// Thread-safe; allocate (worker thread and NRT scores; the live scheduler encodes the same
// layouts with OscPacketWriter).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/osc_types.h"

namespace th::io::sc {

// /s_new and /g_new add actions.
enum class AddAction : std::int32_t { head = 0, tail = 1, before = 2, after = 3, replace = 4 };

struct Control {
  std::string name;
  float value = 0;
};

OscMessage s_new(std::string_view def, std::int32_t node, AddAction action, std::int32_t target,
                 std::span<const Control> controls = {});
OscMessage n_set(std::int32_t node, std::span<const Control> controls);
OscMessage n_free(std::int32_t node);
OscMessage g_new(std::int32_t group, AddAction action, std::int32_t target);
OscMessage g_free_all(std::int32_t group);
OscMessage d_recv(std::span<const std::byte> scsyndef_bytes);
OscMessage b_alloc(std::int32_t buf, std::int32_t frames, std::int32_t channels);
OscMessage b_alloc_read(std::int32_t buf, std::string_view path);
// /b_gen BUF "PreparePartConv" IRBUF FFTSIZE: fills BUF with the IR's partitioned spectrum.
OscMessage b_gen_prepare_partconv(std::int32_t spec_buf, std::int32_t ir_buf, std::int32_t fft);
OscMessage b_free(std::int32_t buf);
OscMessage notify(bool on);
OscMessage status();
OscMessage sync(std::int32_t id);
OscMessage quit();

// Frames of the spectrum buffer PartConv needs for an IR of ir_frames: fft·ceil(ir/(fft/2)).
std::int32_t partconv_spec_frames(std::int64_t ir_frames, std::int32_t fft);

}  // namespace th::io::sc
