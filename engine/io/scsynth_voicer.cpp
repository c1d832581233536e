#include "io/scsynth_voicer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "io/scsynth_commands.h"

namespace th::io {
namespace {

const SynthDefInfo* find_def(std::span<const SynthDefFile> defs, std::string_view name) {
  for (const auto& f : defs)
    for (const auto& d : f.defs)
      if (d.name == name) return &d;
  return nullptr;
}

std::string controls_of(const SynthDefInfo& d) {
  std::string s;
  for (const auto& c : d.controls) s += (s.empty() ? "" : ", ") + c.name;
  return s;
}

// Controls every note may set besides fixed and mapped ones: out freq amp pan sustain
// from_freq slide and the duration control.
constexpr std::size_t kBaseControls = 8;

void check_instrument(const music::InstrumentTable& table, const music::Instrument& in,
                      std::span<const SynthDefFile> defs) {
  const std::string where = fmt::format("{}:{}", table.file().string(), in.line);
  const std::string base = "instrument." + in.id;
  const SynthDefInfo* d = find_def(defs, in.synthdef);
  if (!d)
    throw bad_field(where, base + ".synthdef", "a compiled SynthDef", "'" + in.synthdef + "'");
  auto need = [&](std::string_view control, std::string_view field) {
    if (!d->has_control(control))
      throw bad_field(where, field,
                      fmt::format("a control of SynthDef {} ({})", d->name, controls_of(*d)),
                      "'" + std::string(control) + "'");
  };
  need("out", base + ".synthdef");
  need("amp", base + ".synthdef");
  need("pan", base + ".synthdef");
  if (in.pitched) need("freq", base + ".pitched");
  if (in.gated) {
    need("gate", base + ".gated");
    need("sustain", base + ".gated");
  }
  if (in.slide) {
    need("from_freq", base + ".slide");
    need("slide", base + ".slide");
  }
  if (!in.duration_control.empty()) need(in.duration_control, base + ".duration");
  for (const auto& f : in.fixed) need(f.control, base + ".fixed." + f.control);
  for (const auto& m : in.map)
    need(m.control, base + ".map." + std::string(music::field_name(m.field)));
  if (kBaseControls + in.fixed.size() + in.map.size() > ScCommand::kMaxControls)
    throw bad_field(where, base,
                    fmt::format("at most {} fixed and mapped controls",
                                ScCommand::kMaxControls - kBaseControls),
                    std::to_string(in.fixed.size() + in.map.size()));
}

void put(ScCommand& c, const char* name, double v) {
  c.controls[c.count++] = {name, static_cast<float>(v)};
}

}  // namespace

void write_command(OscPacketWriter& w, const ScCommand& c) {
  if (c.kind == ScCommand::Kind::s_new) {
    w.begin_message("/s_new")
        .add(c.def)
        .add(c.node)
        .add(static_cast<std::int32_t>(sc::AddAction::tail))
        .add(c.target);
  } else {
    w.begin_message("/n_set").add(c.node);
  }
  for (std::size_t i = 0; i < c.count; ++i) w.add(c.controls[i].name).add(c.controls[i].value);
  w.end_message();
}

OscMessage to_message(const ScCommand& c) {
  std::vector<sc::Control> controls;
  controls.reserve(c.count);
  for (std::size_t i = 0; i < c.count; ++i)
    controls.push_back({c.controls[i].name, c.controls[i].value});
  if (c.kind == ScCommand::Kind::s_new)
    return sc::s_new(c.def, c.node, sc::AddAction::tail, c.target, controls);
  return sc::n_set(c.node, controls);
}

ScsynthVoicer::ScsynthVoicer(const music::InstrumentTable& table,
                             std::span<const SynthDefFile> defs, VoicerLayout layout)
    : table_(table), layout_(std::move(layout)), slide_(table.instruments().size()) {
  const std::size_t groups = table.groups().size();
  if (layout_.group_node.size() != groups || layout_.group_bus.size() != groups ||
      layout_.strip_node.size() != groups)
    throw Error(fmt::format("voicer: layout has {} group nodes, {} buses and {} strips for {} "
                            "stem groups",
                            layout_.group_node.size(), layout_.group_bus.size(),
                            layout_.strip_node.size(), groups),
                1);
  for (const auto& in : table.instruments()) check_instrument(table, in, defs);
}

std::int32_t ScsynthVoicer::node_of(std::uint32_t voice) const {
  const auto span = static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()) -
                    static_cast<std::uint32_t>(layout_.first_node);
  return layout_.first_node + static_cast<std::int32_t>(voice % span);
}

std::size_t ScsynthVoicer::note_on(std::uint32_t voice, const music::Event& e,
                                   double seconds_per_beat, std::span<ScCommand> out) {
  using music::Field;
  const int idx = table_.index_of(e.instrument);
  if (idx < 0 || out.empty()) {
    ++stats_.unknown;
    return 0;
  }
  const music::Instrument& in = table_.instruments()[static_cast<std::size_t>(idx)];
  const auto g = static_cast<std::size_t>(in.group_index);
  ScCommand& c = out[0];
  c.kind = ScCommand::Kind::s_new;
  c.def = in.synthdef.c_str();
  c.node = node_of(voice);
  c.target = layout_.group_node[g];
  c.count = 0;
  put(c, "out", layout_.group_bus[g]);
  const double freq = music::midi_to_hz(e.pitch);
  if (in.pitched) put(c, "freq", freq);
  put(c, "amp", in.gain * std::clamp(e.velocity, 0.0, 1.0) * e.params.get_or(Field::amp, 1.0));
  put(c, "pan", std::clamp(e.params.get_or(Field::pan, 0.0), -1.0, 1.0));
  const double seconds = static_cast<double>(e.duration.num()) /
                         static_cast<double>(e.duration.den()) * seconds_per_beat;
  if (!in.duration_control.empty()) put(c, in.duration_control.c_str(), seconds);
  for (const auto& f : in.fixed) put(c, f.control.c_str(), f.value);
  for (const auto& m : in.map)
    if (auto v = e.params.get(m.field)) put(c, m.control.c_str(), *v * m.scale + m.offset);
  if (in.slide) {
    SlideState& s = slide_[static_cast<std::size_t>(idx)];
    if (s.slide_next && s.last_freq > 0) {
      put(c, "from_freq", s.last_freq);
      put(c, "slide", in.slide_time);
    }
    s.last_freq = freq;
    s.slide_next = e.params.get_or(Field::slide, 0.0) > 0.5;
  }
  if (in.gated) {
    OpenSlot& slot = open_[voice % kOpenSlots];
    if (slot.used) {
      // A voice 4096 notes older still holds the slot: this one ends by itself instead.
      put(c, "sustain", std::max(seconds, 0.001));
      ++stats_.untracked;
    } else {
      slot = {voice, true};
    }
  }
  ++stats_.notes;
  std::size_t n = 1;
  const bool rev = e.params.has(Field::reverb), dly = e.params.has(Field::delay);
  if ((rev || dly) && out.size() > 1 && layout_.strip_node[g] >= 0) {
    ScCommand& s = out[n++];
    s.kind = ScCommand::Kind::n_set;
    s.def = "";
    s.node = layout_.strip_node[g];
    s.target = 0;
    s.count = 0;
    if (rev) put(s, "rev", std::clamp(e.params.get_or(Field::reverb, 0.0), 0.0, 1.0));
    if (dly) put(s, "dly", std::clamp(e.params.get_or(Field::delay, 0.0), 0.0, 1.0));
  }
  return n;
}

std::size_t ScsynthVoicer::note_off(std::uint32_t voice, std::span<ScCommand> out) {
  OpenSlot& slot = open_[voice % kOpenSlots];
  if (!slot.used || slot.voice != voice || out.empty()) return 0;  // self-freeing voice
  slot.used = false;
  ScCommand& c = out[0];
  c.kind = ScCommand::Kind::n_set;
  c.def = "";
  c.node = node_of(voice);
  c.target = 0;
  c.count = 0;
  put(c, "gate", 0.0);
  ++stats_.releases;
  return 1;
}

}  // namespace th::io
