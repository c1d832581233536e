// The torch runtime is a module loaded on first use (model/torch_runtime.h): commands that
// need no forward pass run without it, a composition from cached activations is the same
// without it, and a command that needs it says which file is missing.
#include <catch2/catch.hpp>

#include <fstream>

#include "cli_support.h"

namespace fs = std::filesystem;

namespace {

const std::string kNoRuntime = "TH_TORCH_RUNTIME=/nonexistent/libtensorhaus_torch.so";

fs::path write_session(const fs::path& dir) {
  const auto p = dir / "thinking.toml";
  std::ofstream(p) << "name = \"thinking\"\ntempo = 72\nmodel = \""
                   << (th::test::source_dir() / "models/pocket").string() << "\"\npatterns = \""
                   << (th::test::source_dir() / "patterns").string()
                   << "\"\n[[section]]\nname = \"thinking\"\npattern = \"thinking\"\nbars = 2\n"
                      "prompt = \"And God said\"\n";
  return p;
}

}  // namespace

TEST_CASE("torch runtime: --help and inspect run without the module", "[app][runtime]") {
  const auto dir = th::test::scratch("runtime_help");
  const auto help = th::test::run_cli_with_env(kNoRuntime, "--help", dir);
  CHECK(help.code == 0);
  CHECK(help.out.find("compose") != std::string::npos);
  const auto inspect = th::test::run_cli_with_env(
      kNoRuntime, "inspect --model " + (th::test::source_dir() / "models/pocket").string(), dir);
  INFO(inspect.err);
  CHECK(inspect.code == 0);
}

TEST_CASE(
    "torch runtime: compose from cached activations needs no module; a forward pass "
    "names the missing file",
    "[app][runtime]") {
  const auto dir = th::test::scratch("runtime_cache");
  const auto session = write_session(dir);
  const auto first =
      th::test::run_cli("compose " + session.string() + " --out " + (dir / "a").string(), dir);
  INFO(first.err);
  REQUIRE(first.code == 0);
  // Same cache (run_cli keeps it in the scratch folder), no module: same music.
  const auto again = th::test::run_cli_with_env(
      kNoRuntime, "compose " + session.string() + " --out " + (dir / "b").string(), dir);
  INFO(again.err);
  REQUIRE(again.code == 0);
  CHECK(th::test::slurp(dir / "a/events.jsonl") == th::test::slurp(dir / "b/events.jsonl"));

  // A forward pass needs the module; the error says where it looked.
  const auto other = th::test::scratch("runtime_cache_miss");
  const auto miss = th::test::run_cli_with_env(
      kNoRuntime,
      "activations --model " + (th::test::source_dir() / "models/pocket").string() +
          " --prompt 'Let there be' --out " + (other / "act.safetensors").string(),
      other);
  CHECK(miss.code != 0);
  CHECK(miss.err.find("libtensorhaus_torch.so not found") != std::string::npos);
  CHECK(miss.err.find("/nonexistent/libtensorhaus_torch.so") != std::string::npos);
}
