#include "music/events_jsonl.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace th::music {
namespace {

using ordered = nlohmann::ordered_json;

std::string section_at(const Composition& c, Beats b) {
  for (const auto& s : c.sections)
    if (s.begin <= b && b < s.end) return s.name;
  return "";
}

int bar_of(const Composition& c, Beats b) {
  return static_cast<int>((b / Beats(c.beats_per_bar)).floor_int()) + 1;
}

}  // namespace

std::string event_json_line(const Composition& c, const Event& e) {
  ordered j;
  j["beat"] = e.onset.to_double();
  j["beat_exact"] = e.onset.str();
  j["bar"] = bar_of(c, e.onset);
  j["seconds"] = c.seconds_at(e.onset);
  j["section"] = section_at(c, e.onset);
  j["instrument"] = e.instrument;
  j["pitch"] = e.pitch;
  j["velocity"] = e.velocity;
  j["duration"] = e.duration.to_double();
  j["duration_exact"] = e.duration.str();
  ordered params = ordered::object();
  for (std::size_t i = kFirstParam; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    if (auto v = e.params.get(f)) params[std::string(field_name(f))] = *v;
  }
  j["params"] = std::move(params);
  ordered prov = ordered::array();
  for (const auto& p : e.provenance)
    prov.push_back(ordered{{"field", std::string(field_name(p.field))},
                           {"feature", p.feature},
                           {"statistic", p.statistic},
                           {"index", p.index},
                           {"transform", p.transform}});
  j["provenance"] = std::move(prov);
  return j.dump();
}

void write_events_jsonl(std::ostream& out, const Composition& c) {
  for (const auto& e : c.events) out << event_json_line(c, e) << '\n';
}

void write_events_jsonl(const std::filesystem::path& path, const Composition& c) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw bad_file(path.string(), "cannot open for writing");
  write_events_jsonl(f, c);
  if (!f) throw bad_file(path.string(), "write failed");
}

std::vector<EventRecord> read_events_jsonl(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw bad_file(path.string(), "cannot open (no such file?)");
  std::vector<EventRecord> out;
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (line.empty()) continue;
    const std::string where = fmt::format("{}:{}", path.string(), n);
    try {
      const auto j = nlohmann::json::parse(line);
      EventRecord r;
      r.event.onset = Beats::parse(j.at("beat_exact").get<std::string>());
      r.event.duration = Beats::parse(j.at("duration_exact").get<std::string>());
      r.event.instrument = j.at("instrument").get<std::string>();
      r.event.pitch = j.at("pitch").get<double>();
      r.event.velocity = j.at("velocity").get<double>();
      r.bar = j.at("bar").get<int>();
      r.seconds = j.at("seconds").get<double>();
      r.section = j.at("section").get<std::string>();
      for (const auto& [k, v] : j.at("params").items()) {
        const auto f = field_from_name(k);
        if (!f || !is_param(*f)) throw bad_field(where, "params." + k, "a synth parameter", k);
        r.event.params.set(*f, v.get<double>());
      }
      for (const auto& p : j.at("provenance")) {
        const auto f = field_from_name(p.at("field").get<std::string>());
        if (!f) throw bad_field(where, "provenance.field", "a field name", p.at("field").dump());
        r.event.explain({*f, p.at("feature").get<std::string>(),
                         p.at("statistic").get<std::string>(), p.at("index").get<std::int64_t>(),
                         p.at("transform").get<std::string>()});
      }
      out.push_back(std::move(r));
    } catch (const nlohmann::json::exception& e) {
      throw bad_file(where, fmt::format("not an event line: {}", e.what()));
    }
  }
  return out;
}

}  // namespace th::music
