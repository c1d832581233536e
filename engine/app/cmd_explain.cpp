// `tensorhaus explain DIR/events.jsonl --bar N [--instrument NAME]`: for each event of bar N
// (1-based), which tensor, statistic and transform decided each of its parameters.
#include <fmt/format.h>

#include "app/commands.h"
#include "core/error.h"
#include "music/events_jsonl.h"

namespace th::app {
namespace {

// "layers.*.mlp.gate_proj.std" picked at index 3 is the tensor of layer 3.
std::string tensor_of(const music::Provenance& p) {
  const auto star = p.feature.find('*');
  if (star == std::string::npos || p.index < 0) {
    return p.index >= 0 ? fmt::format("{}[{}]", p.feature, p.index) : p.feature;
  }
  return p.feature.substr(0, star) + std::to_string(p.index) + p.feature.substr(star + 1);
}

std::string value_of(const music::Event& e, music::Field f) {
  switch (f) {
    case music::Field::onset:
      return fmt::format("beat {}", e.onset.str());
    case music::Field::duration:
      return fmt::format("{} beats", e.duration.str());
    case music::Field::pitch:
      return fmt::format("{:g}", e.pitch);
    case music::Field::velocity:
      return fmt::format("{:.3f}", e.velocity);
    default:
      return fmt::format("{:.4g}", e.params.get_or(f, 0.0));
  }
}

}  // namespace

void register_explain(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("explain", "Which tensors and statistics made each event of a bar");
  struct Opts {
    std::string file, instrument;
    int bar = 1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("events", o->file, "events.jsonl written by compose")->required();
  cmd->add_option("--bar", o->bar, "bar number (1-based)")->required();
  cmd->add_option("--instrument", o->instrument, "only this instrument");
  cmd->callback([o] {
    const auto records = music::read_events_jsonl(o->file);
    int shown = 0;
    for (const auto& r : records) {
      if (r.bar != o->bar || (!o->instrument.empty() && r.event.instrument != o->instrument))
        continue;
      const auto& e = r.event;
      fmt::print("{} beat {} ({:.3f} s, {}): pitch {:g}, velocity {:.3f}, {} beats\n", e.instrument,
                 e.onset.str(), r.seconds, r.section, e.pitch, e.velocity, e.duration.str());
      for (std::size_t i = music::kFirstParam; i < music::kFieldCount; ++i) {
        const auto f = static_cast<music::Field>(i);
        if (e.params.has(f) && !e.why(f))
          fmt::print("  {:<10} {:<10} set by the pattern\n", music::field_name(f), value_of(e, f));
      }
      for (const auto& p : e.provenance)
        fmt::print("  {:<10} {:<10} ← {} ({}) via {}\n", music::field_name(p.field),
                   value_of(e, p.field), tensor_of(p), p.statistic,
                   p.transform.empty() ? "identity" : p.transform);
      ++shown;
    }
    if (shown == 0)
      throw bad_field(
          o->file, "--bar",
          o->instrument.empty() ? "a bar with events" : "a bar where " + o->instrument + " plays",
          fmt::format("bar {} (no events)", o->bar));
  });
}

}  // namespace th::app
