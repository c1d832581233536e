// Activation features for a batch of prompts (issue 3, "Speed"): prompts/s for N prompts of T
// tokens through the runtime's forward pass with capture and every activation feature
// (analysis/activation_features.h), as `tensorhaus activations --prompts` and the thinking genre
// compute them. Token ids are a fixed arithmetic sequence inside the vocabulary, so any model
// folder works, tokenizer or not.
//   bench_activations MODEL_DIR [N=100] [T=64]
// Run without arguments (as `make bench` does for every bench executable) it only says so;
// bench/bench_activations.sh runs it on models/pocket and the 270M-shaped model.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>

#include "analysis/activation_features.h"
#include "model/runner.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print("bench_activations: run through bench/bench_activations.sh (needs a model)\n");
    return 0;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 100;
  const int t = argc > 3 ? std::atoi(argv[3]) : 64;
  using Clock = std::chrono::steady_clock;
  const auto t_load = Clock::now();
  const auto runner = th::model::Runner::load(argv[1]);
  const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
  const int64_t vocab = runner.config().vocab_size;

  auto prompt = [&](int i) {
    std::vector<int64_t> ids(static_cast<std::size_t>(t));
    for (int k = 0; k < t; ++k)
      ids[static_cast<std::size_t>(k)] = (1 + 7919LL * i + 104729LL * k) % vocab;
    return ids;
  };
  // One warm-up prompt (allocator, thread pool), not timed.
  {
    const auto ids = prompt(n);
    th::analysis::FeatureStore::Builder b;
    th::analysis::add_activation_features(runner.forward(ids), ids, {}, b);
  }
  double forward_s = 0, features_s = 0;
  std::size_t features = 0;
  for (int i = 0; i < n; ++i) {
    const auto ids = prompt(i);
    const auto t0 = Clock::now();
    const auto cap = runner.forward(ids);
    const auto t1 = Clock::now();
    th::analysis::FeatureStore::Builder b;
    th::analysis::add_activation_features(cap, ids, {}, b);
    features = std::move(b).build().size();
    forward_s += std::chrono::duration<double>(t1 - t0).count();
    features_s += std::chrono::duration<double>(Clock::now() - t1).count();
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  fmt::print("{}: {} layers, hidden {}; {} prompts × {} tokens; load {:.2f} s\n", argv[1],
             runner.config().num_hidden_layers, runner.config().hidden_size, n, t, load_s);
  fmt::print("  forward with capture {:.3f} s, features {:.3f} s ({} arrays per prompt)\n",
             forward_s, features_s, features);
  fmt::print("  {:.1f} prompts/s ({:.0f} tokens/s); peak RSS {:.0f} MB\n",
             n / (forward_s + features_s), n * t / (forward_s + features_s),
             static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
