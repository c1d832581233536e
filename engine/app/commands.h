// The `tensorhaus` subcommands. Each register_* adds one subcommand (with its --help) to the
// CLI11 app and sets its callback; a callback throws th::Error (exit code inside) on failure.
// All run on the main thread at start-up; none is realtime-safe.
#pragma once

#include <CLI/CLI.hpp>

namespace th::app {

// Shared option: --model DIR, defaulting to the embedded pocket model.
std::string default_model_dir();

void register_inspect(CLI::App& app);
void register_activations(CLI::App& app);
void register_generate(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_train_pocket(CLI::App& app);
void register_analyze(CLI::App& app);
void register_compose(CLI::App& app);
void register_explain(CLI::App& app);
void register_render(CLI::App& app);
void register_live(CLI::App& app);
void register_refusal(CLI::App& app);
void register_abliterate(CLI::App& app);

}  // namespace th::app
