// `tensorhaus analyze --model DIR --out report.json [--features FILE] [--plots DIR]`: every weight
// statistic of a model folder as JSON, optionally the FeatureStore file a live set loads instead,
// and optionally PNG pictures of the spectra, α, tension and norm PCA (app/analysis_plots.h).
#include <fmt/format.h>

#include <fstream>

#include "analysis/weight_analysis.h"
#include "analysis/weight_report.h"
#include "app/analysis_plots.h"
#include "app/commands.h"
#include "core/error.h"

namespace th::app {

void register_analyze(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "analyze", "Weight statistics of a model folder (spectra, moments, tonality)");
  struct Opts {
    std::string model = default_model_dir();
    std::string out;
    std::string features;
    std::string plots;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--model", o->model, "Hugging Face model folder")->capture_default_str();
  cmd->add_option("--out", o->out, "JSON report to write")->required();
  cmd->add_option("--features", o->features, "also write the FeatureStore (safetensors) here");
  cmd->add_option("--plots", o->plots, "also write PNG pictures into this folder");
  cmd->callback([o] {
    const auto a = analysis::analyze_model_dir(o->model);
    {
      std::ofstream f(o->out);
      if (!f) throw bad_file(o->out, "cannot open for writing");
      f << analysis::weight_report_json(a) << '\n';
      if (!f) throw Error(fmt::format("{}: write failed", o->out), 1);
    }
    if (!o->features.empty()) analysis::to_feature_store(a).save(o->features);
    if (!o->plots.empty())
      fmt::print("{} pictures in {}\n", write_analysis_plots(a, o->plots).size(), o->plots);
    if (a.tonality)
      fmt::print("{} tensors analysed; tonality {} {}\n", a.tensors.size(),
                 analysis::pitch_class_name(a.tonality->root_pitch_class), a.tonality->mode);
    else
      fmt::print("{} tensors analysed\n", a.tensors.size());
  });
}

}  // namespace th::app
