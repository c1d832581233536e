// Running the built `tensorhaus` in tests: its exit code, stdout and stderr, with the feature
// cache in the test's own scratch folder (so a test never reads another's cache); reading files
// and events.jsonl back.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace th::test {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct CliRun {
  int code;
  std::string out, err;
};

// `tensorhaus ARGS` (ARGS as a shell would split them), with `env` ("NAME=value …") added to its
// environment. Not thread-safe (std::system).
inline CliRun run_cli_with_env(const std::string& env, const std::string& args,
                               const std::filesystem::path& scratch) {
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string cmd = env + " TH_CACHE_DIR=" + (scratch / "cache").string() + " " +
                          tensorhaus_bin().string() + " " + args + " >" + out.string() + " 2>" +
                          err.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// `tensorhaus ARGS`. Not thread-safe.
inline CliRun run_cli(const std::string& args, const std::filesystem::path& scratch) {
  return run_cli_with_env("", args, scratch);
}

// One JSON object per line of an events.jsonl.
inline std::vector<nlohmann::json> read_events(const std::filesystem::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace th::test
