// Entry point of the `tensorhaus` command: parses the subcommand, runs it, and turns every
// th::Error into its message on stderr and its exit code (2 for bad input).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <unistd.h>

#include "app/commands.h"
#include "core/error.h"

namespace {

// OpenMP workers that run out of work spin (GOMP_SPINCOUNT 300000) before they sleep unless
// OMP_WAIT_POLICY is passive. On two cores shared with scsynth and the scheduler thread, that
// spinning cost a 270M forward pass 10.8 s instead of 1.9 s under load. libgomp reads the
// variable once, while it loads, before main: so a live set (where the composer's forward
// passes share the machine with the music) starts itself again with it set, once; a value the
// user set wins. Other commands have the machine to themselves.
void passive_openmp_for_live(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "live" || std::getenv("OMP_WAIT_POLICY")) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then the set runs as it is
}

}  // namespace

int main(int argc, char** argv) {
  passive_openmp_for_live(argc, argv);
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
