// `tensorhaus render (SESSION.toml | --events FILE.jsonl) --out FILE.wav [--stems DIR]
//  [--score FILE.osc] [--sample-rate 48000] [--format wav|flac] [--model DIR]`: composes the
// session (or takes the events of a log, e.g. a live set's FILE.events.jsonl), plays it
// through the live scheduler on a manual clock into an NRT score, renders it with scsynth -N,
// normalises the master to −14 LUFS (true peak ≤ −1 dBTP) and writes it (and the stems).
// Progress goes to stderr, a summary to stdout.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>

#include "app/commands.h"
#include "app/compose_pipeline.h"
#include "app/progress_bar.h"
#include "control/live_event_log.h"
#include "core/error.h"
#include "io/offline_render.h"

namespace th::app {
namespace {

namespace fs = std::filesystem;

// The render's stages in order, with their share of the progress bar.
class RenderProgress {
 public:
  void operator()(std::string_view stage, double f) {
    struct Share {
      std::string_view stage;
      double from, to;
    };
    static constexpr Share kShares[] = {{"compose", 0.0, 0.05},
                                        {"schedule", 0.05, 0.15},
                                        {"scsynth", 0.15, 0.85},
                                        {"master", 0.85, 0.95},
                                        {"write", 0.95, 1.0}};
    double total = f;
    for (const auto& s : kShares)
      if (s.stage == stage) total = s.from + f * (s.to - s.from);
    bar_.show(total, stage);
  }
  void done() { bar_.done(); }

 private:
  ProgressBar bar_{"render"};
};

io::AudioFileFormat parse_format(const std::string& name, const fs::path& out) {
  if (name == "wav") return io::AudioFileFormat::wav;
  if (name == "flac") return io::AudioFileFormat::flac;
  if (name.empty())
    return out.extension() == ".flac" ? io::AudioFileFormat::flac : io::AudioFileFormat::wav;
  throw bad_field("render", "--format", "wav or flac", name);
}

// A work folder named after the output, so the score (which names the IR files) is the same
// on every run of the same command.
fs::path work_dir_for(const fs::path& out) {
  const auto abs = fs::absolute(out).lexically_normal().string();
  return fs::temp_directory_path() /
         fmt::format("tensorhaus-render-{:016x}", std::hash<std::string>{}(abs));
}

}  // namespace

void register_render(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "render", "Render a session offline to WAV/FLAC (scsynth NRT), optionally with stems");
  struct Opts {
    std::string session, events, out, stems, score, format, model;
    int sample_rate = 48000;
  };
  auto o = std::make_shared<Opts>();
  auto* session_opt = cmd->add_option("session", o->session, "session file (sessions/*.toml)");
  auto* events_opt = cmd->add_option("--events", o->events,
                                     "render this events.jsonl instead of composing (e.g. the "
                                     "FILE.events.jsonl `live --record` writes)");
  session_opt->excludes(events_opt);
  events_opt->excludes(session_opt);
  cmd->add_option("--out", o->out, "audio file to write (.wav or .flac)")->required();
  cmd->add_option("--stems", o->stems,
                  "folder for one file per stem group (drums, bass, chords, leads, voices, fx) "
                  "and the pre-limiter master they sum to");
  cmd->add_option("--score", o->score, "also keep the NRT score (OSC) here");
  cmd->add_option("--sample-rate", o->sample_rate, "sample rate in Hz")
      ->check(CLI::Range(22050, 192000))
      ->capture_default_str();
  cmd->add_option("--format", o->format, "wav or flac (default: from --out's extension)");
  cmd->add_option("--model", o->model, "model folder (default: the session's)");
  cmd->callback([o] {
    const fs::path out = o->out;
    const auto format = parse_format(o->format, out);
    const char* ext = format == io::AudioFileFormat::flac ? "flac" : "wav";
    RenderProgress bar;
    bar("compose", 0.0);
    if (o->session.empty() == o->events.empty())
      throw bad_field("render", "SESSION", "a session file or --events FILE", "neither");
    std::optional<fs::path> model;
    if (!o->model.empty()) model = fs::path(o->model);
    ComposeResult composed;
    if (!o->events.empty())
      composed.composition =
          control::composition_from_log(music::read_events_jsonl(o->events), o->events);
    else
      composed = compose_session(o->session, model);
    bar("compose", 1.0);

    io::OfflineRenderOptions ro;
    ro.sample_rate = o->sample_rate;
    ro.stems = !o->stems.empty();
    ro.work_dir = work_dir_for(out);
    fs::remove_all(ro.work_dir);
    const io::OfflineRender r = io::render_composition(
        composed.composition, ro, [&bar](std::string_view s, double f) { bar(s, f); });
    bar("write", 0.0);
    if (out.has_parent_path()) fs::create_directories(out.parent_path());
    io::write_audio(out, r.master, format);
    if (!o->stems.empty()) {
      fs::create_directories(o->stems);
      for (const auto& s : r.stems)
        io::write_audio(fs::path(o->stems) / fmt::format("{}.{}", s.name, ext), s.audio, format);
      io::write_audio(fs::path(o->stems) / fmt::format("master-prelimiter.{}", ext), r.premaster,
                      format);
    }
    // The score names the IR files in the work folder: keep it when the score is kept, so
    // `scsynth -N` can render the score again.
    if (!o->score.empty())
      fs::copy_file(ro.work_dir / "score.osc", o->score, fs::copy_options::overwrite_existing);
    else
      fs::remove_all(ro.work_dir);
    bar("write", 1.0);
    bar.done();

    const double seconds = static_cast<double>(r.master.frames()) / r.master.sample_rate;
    fmt::print("{}: {:.1f} s, {} Hz, {} notes from {} events\n", out.string(), seconds,
               r.master.sample_rate, r.voicer.notes, r.events);
    if (r.loudness.silent)
      fmt::print("loudness: silent (nothing above the −70 LUFS gate); not normalised\n");
    else
      fmt::print(
          "loudness: {:.1f} LUFS → {:.1f} LUFS (gain {:+.1f} dB, limiter ≤ {:.1f} dB), "
          "true peak {:.1f} dBTP\n",
          r.loudness.input_lufs, r.loudness.output_lufs, r.loudness.gain_db,
          r.loudness.max_reduction_db, r.loudness.output_true_peak_dbtp);
    fmt::print("time: schedule {:.2f} s, scsynth {:.2f} s, master {:.2f} s ({:.0f}× realtime)\n",
               r.schedule_seconds, r.scsynth_seconds, r.post_seconds,
               seconds / (r.schedule_seconds + r.scsynth_seconds + r.post_seconds));
    if (!o->score.empty())
      fmt::print("score: {} ({} output channels; its IR files stay in {})\n", o->score,
                 2 + (ro.stems ? 2 * (r.stems.size() + 1) : 0), ro.work_dir.string());
    if (r.scheduler.late || r.scheduler.dropped || r.voicer.untracked)
      fmt::print(stderr, "warning: {} late, {} dropped, {} untracked notes\n", r.scheduler.late,
                 r.scheduler.dropped, r.voicer.untracked);
  });
}

}  // namespace th::app
