// `tensorhaus compose SESSION.toml --out DIR [--model DIR] [--pictures DIR]`: composes a session
// and writes DIR/<session>.mid (tempo map, meter, section markers) and DIR/events.jsonl (every
// event with its seconds, parameters and provenance; `tensorhaus explain` reads it); with
// --pictures, a piano roll and the features behind it as PNG (app/composition_pictures.h).
#include <fmt/format.h>

#include <map>

#include "app/commands.h"
#include "app/compose_pipeline.h"
#include "app/composition_pictures.h"
#include "core/error.h"
#include "io/midi_file.h"
#include "music/events_jsonl.h"

namespace th::app {
namespace {

// GM stand-ins for the instrument ids the io table does not know yet (patterns/instruments.toml
// will own the full mapping): programs are 0-based, drums play their GM key on channel 10.
const std::map<std::string, io::GmInstrument> kGmFallbacks{
    {"open_hat", {0, true, 46}},   {"arp", {80, false, 36}},   {"fmbass", {38, false, 36}},
    {"riser", {119, false, 36}},   {"bell", {14, false, 36}},  {"soprano", {52, false, 36}},
    {"alto", {52, false, 36}},     {"tenor", {52, false, 36}}, {"bass_voice", {52, false, 36}},
    {"additive", {88, false, 36}}, {"sine", {80, false, 36}}};

io::MidiSong midi_song(const music::Composition& c) {
  io::MidiSong song;
  song.title = c.session;
  song.tempo.clear();
  for (const auto& t : c.tempo) song.tempo.push_back({t.at, t.bpm});
  song.meter = {{Beats(0), c.beats_per_bar, 4}};
  for (const auto& s : c.sections) song.markers.push_back({s.begin, s.name});
  song.events = c.events;
  for (const auto& e : c.events)
    if (!io::gm_instrument(e.instrument))
      if (auto it = kGmFallbacks.find(e.instrument); it != kGmFallbacks.end())
        song.instruments.emplace(it->first, it->second);
  return song;
}

}  // namespace

void register_compose(CLI::App& app) {
  auto* cmd = app.add_subcommand("compose", "Compose a session into a MIDI file and events.jsonl");
  struct Opts {
    std::string session, out, model, pictures;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("session", o->session, "session file (sessions/*.toml)")->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--model", o->model, "model folder (overrides the session's)");
  cmd->add_option("--pictures", o->pictures, "also write PNG pictures of what plays here");
  cmd->callback([o] {
    const auto r = compose_session(
        o->session,
        o->model.empty() ? std::nullopt : std::optional<std::filesystem::path>(o->model));
    const std::filesystem::path out(o->out);
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) throw bad_file(o->out, "cannot create the folder: " + ec.message());
    const auto& c = r.composition;
    const auto midi = out / (std::filesystem::path(o->session).stem().string() + ".mid");
    io::write_midi_file(midi, midi_song(c));
    music::write_events_jsonl(out / "events.jsonl", c);
    fmt::print("{}: {} events, {} bars, {:.1f} s → {} and {}\n", c.session, c.events.size(),
               (c.length / Beats(c.beats_per_bar)).ceil_int(), c.seconds_at(c.length),
               midi.string(), (out / "events.jsonl").string());
    fmt::print(stderr, "compose: model features {:.3f} s, composition {:.3f} s\n",
               r.features_seconds, r.compose_seconds);
    if (!o->pictures.empty())
      for (const auto& png :
           write_composition_pictures(c, r.features->store(), o->pictures,
                                      std::filesystem::path(o->session).stem().string()))
        fmt::print("  {}\n", png.string());
  });
}

}  // namespace th::app
