#include "model/pocket_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace th::model {
namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Closes the descriptors it owns, whatever path the caller leaves by.
struct FileActions {
  posix_spawn_file_actions_t fa{};
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};

}  // namespace

void run_process(const std::vector<std::string>& argv, const std::filesystem::path& in,
                 const std::filesystem::path& out, const std::filesystem::path& cwd) {
  if (argv.empty()) throw Error("run_process: empty command", 1);
  FileActions actions;
  if (!in.empty()) posix_spawn_file_actions_addopen(&actions.fa, 0, in.c_str(), O_RDONLY, 0);
  if (!out.empty())
    posix_spawn_file_actions_addopen(&actions.fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  // Opens above resolve before the chdir, so relative in/out paths mean the caller's folder.
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions.fa, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions.fa, nullptr, args.data(), environ);
  if (rc != 0)
    throw Error(joined(argv) + ": cannot start (" + std::strerror(rc) +
                    "); install it with scripts/install-deps.sh",
                1);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(joined(argv) + ": waitpid failed", 1);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(joined(argv) + ": failed (status " + std::to_string(status) + ")", 1);
}

}  // namespace th::model
