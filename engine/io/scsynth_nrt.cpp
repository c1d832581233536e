#include "io/scsynth_nrt.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/error.h"

extern char** environ;

namespace th::io {
namespace {

const char* format_name(SampleFormat f) {
  switch (f) {
    case SampleFormat::int16:
      return "int16";
    case SampleFormat::int24:
      return "int24";
    case SampleFormat::float32:
      return "float";
  }
  return "int16";
}

std::vector<std::string> failure_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.find("FAILURE") != std::string::npos || line.find("ERROR") != std::string::npos ||
        line.find("not found") != std::string::npos)
      lines.push_back(line);
  return lines;
}

// Last part of scsynth's output, for error messages.
std::string tail(const std::string& s, std::size_t n = 2000) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

}  // namespace

std::vector<std::string> nrt_command(const std::filesystem::path& score,
                                     const std::filesystem::path& wav, const NrtRenderOptions& o) {
  std::string exe = o.scsynth;
  if (exe.empty()) {
    const char* env = std::getenv("TH_SCSYNTH");
    exe = env && *env ? env : "scsynth";
  }
  // -D 0: don't load the user's synthdef folder (the score carries its defs);
  // -V -1: no per-bundle logging; -i 0: no input buses, the score reads no input file.
  return {exe,
          "-D",
          "0",
          "-V",
          "-1",
          "-i",
          "0",
          "-o",
          std::to_string(o.channels),
          "-N",
          score.string(),
          "_",
          wav.string(),
          std::to_string(o.sample_rate),
          "WAV",
          format_name(o.format)};
}

NrtRenderResult render_nrt(const std::filesystem::path& score, const std::filesystem::path& wav,
                           const NrtRenderOptions& o) {
  if (!std::filesystem::exists(score))
    throw Error("NRT render: no score file " + score.string(), 1);
  auto args = nrt_command(score, wav, o);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw Error("NRT render: pipe failed", 1);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::error_code ec;
  std::filesystem::remove(wav, ec);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw Error("NRT render: cannot run " + args[0] + ": " + std::strerror(rc) +
                    " (install supercollider-server, or set TH_SCSYNTH)",
                1);
  }
  NrtRenderResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      result.output.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.failures = failure_lines(result.output);
  std::string cmd;
  for (const auto& a : args) cmd += (cmd.empty() ? "" : " ") + a;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exited with " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw Error("NRT render: `" + cmd + "` " + how + ":\n" + tail(result.output), 1);
  }
  if (!std::filesystem::exists(wav))
    throw Error("NRT render: scsynth wrote no " + wav.string() + ":\n" + tail(result.output), 1);
  if (o.strict && !result.failures.empty())
    throw Error("NRT render: scsynth reported failures:\n" + tail(result.output), 1);
  return result;
}

}  // namespace th::io
