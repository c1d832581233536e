#include "io/scsynth_commands.h"

namespace th::io::sc {
namespace {

OscMessage msg(std::string address, std::vector<OscArg> args = {}) {
  return {std::move(address), std::move(args)};
}

void append(OscMessage& m, std::span<const Control> controls) {
  for (const auto& c : controls) {
    m.args.emplace_back(c.name);
    m.args.emplace_back(c.value);
  }
}

}  // namespace

OscMessage s_new(std::string_view def, std::int32_t node, AddAction action, std::int32_t target,
                 std::span<const Control> controls) {
  auto m = msg("/s_new", {std::string(def), node, static_cast<std::int32_t>(action), target});
  append(m, controls);
  return m;
}

OscMessage n_set(std::int32_t node, std::span<const Control> controls) {
  auto m = msg("/n_set", {node});
  append(m, controls);
  return m;
}

OscMessage n_free(std::int32_t node) {
  return msg("/n_free", {node});
}

OscMessage g_new(std::int32_t group, AddAction action, std::int32_t target) {
  return msg("/g_new", {group, static_cast<std::int32_t>(action), target});
}

OscMessage g_free_all(std::int32_t group) {
  return msg("/g_freeAll", {group});
}

OscMessage d_recv(std::span<const std::byte> bytes) {
  return msg("/d_recv", {OscBlob{{bytes.begin(), bytes.end()}}});
}

OscMessage b_alloc(std::int32_t buf, std::int32_t frames, std::int32_t channels) {
  return msg("/b_alloc", {buf, frames, channels});
}

OscMessage b_alloc_read(std::int32_t buf, std::string_view path) {
  return msg("/b_allocRead", {buf, std::string(path)});
}

OscMessage b_gen_prepare_partconv(std::int32_t spec_buf, std::int32_t ir_buf, std::int32_t fft) {
  return msg("/b_gen", {spec_buf, std::string("PreparePartConv"), ir_buf, fft});
}

OscMessage b_free(std::int32_t buf) {
  return msg("/b_free", {buf});
}
OscMessage notify(bool on) {
  return msg("/notify", {std::int32_t{on ? 1 : 0}});
}
OscMessage status() {
  return msg("/status");
}
OscMessage sync(std::int32_t id) {
  return msg("/sync", {id});
}
OscMessage quit() {
  return msg("/quit");
}

std::int32_t partconv_spec_frames(std::int64_t ir_frames, std::int32_t fft) {
  const std::int64_t half = fft / 2;
  return static_cast<std::int32_t>(fft * ((ir_frames + half - 1) / half));
}

}  // namespace th::io::sc
