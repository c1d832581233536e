// Entry point of the `tensorhaus` command: parses the subcommand, runs it, and turns every
// th::Error into its message on stderr and its exit code (2 for bad input).
#include <cstdio>
#include <exception>

#include "app/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tensorhaus — hear what a language model is"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tensorhaus 0.1.0");
  th::app::register_inspect(app);
  th::app::register_activations(app);
  th::app::register_generate(app);
  th::app::register_tokenize(app);
  th::app::register_train_pocket(app);
  th::app::register_analyze(app);
  th::app::register_compose(app);
  th::app::register_explain(app);
  th::app::register_render(app);
  th::app::register_live(app);
  th::app::register_refusal(app);
  th::app::register_abliterate(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const th::Error& e) {
    std::fprintf(stderr, "tensorhaus: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tensorhaus: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
