#include "io/scsynth_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/error.h"

extern char** environ;

namespace th::io {
namespace {

namespace fs = std::filesystem;

std::string tail_of(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

// Spawns argv with JACK_DEFAULT_SERVER set and stdout+stderr into log. Throws th::Error.
pid_t spawn(const std::vector<std::string>& args, const std::string& jack_name,
            const fs::path& log) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("JACK_DEFAULT_SERVER=", 0) != 0) env_store.emplace_back(*e);
  env_store.push_back("JACK_DEFAULT_SERVER=" + jack_name);
  env_store.push_back("JACK_NO_AUDIO_RESERVATION=1");
  std::vector<char*> env, argv;
  for (auto& s : env_store) env.push_back(s.data());
  env.push_back(nullptr);
  std::vector<std::string> arg_store = args;
  for (auto& s : arg_store) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error(fmt::format("cannot run {}: error {}", args[0], rc), 1);
  return pid;
}

// TERM, wait up to 3 s, then KILL; reaps. Only for PIDs we spawned.
void end_process(pid_t& pid, int first_signal = SIGTERM) {
  if (pid <= 0) return;
  ::kill(pid, first_signal);
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

}  // namespace

ScsynthProcess::ScsynthProcess(ScsynthProcessOptions options) : options_(std::move(options)) {
  if (options_.jack_name.empty())
    options_.jack_name = fmt::format("th_{}_{}", ::getpid(), options_.port);
  if (options_.log_dir.empty()) options_.log_dir = fs::temp_directory_path();
}

ScsynthProcess::~ScsynthProcess() {
  stop();
}

void ScsynthProcess::start() {
  fs::create_directories(options_.log_dir);
  const fs::path jlog = options_.log_dir / "jackd.log";
  if (jackd_pid_ <= 0) {
    jackd_pid_ =
        spawn({options_.jackd, "-n", options_.jack_name, "--no-realtime", "-d", "dummy", "-r",
               std::to_string(options_.sample_rate), "-p", std::to_string(options_.period)},
              options_.jack_name, jlog);
    const pid_t waiter = spawn({"jack_wait", "-s", options_.jack_name, "-w", "-t", "10"},
                               options_.jack_name, options_.log_dir / "jack_wait.log");
    int status = 0;
    ::waitpid(waiter, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      end_process(jackd_pid_);
      throw Error("jackd (dummy) did not start within 10 s: " + tail_of(jlog), 1);
    }
  }
  spawn_scsynth();
}

void ScsynthProcess::spawn_scsynth() {
  scsynth_pid_ = spawn({options_.scsynth, "-u", std::to_string(options_.port), "-R", "0", "-D", "0",
                        "-i", "2", "-o", "2", "-l", "4"},
                       options_.jack_name, options_.log_dir / "scsynth.log");
}

void ScsynthProcess::restart_scsynth() {
  if (scsynth_running()) return;
  fs::remove(fmt::format("/dev/shm/SuperColliderServer_{}", options_.port));
  if (jackd_pid_ <= 0) {
    start();
    return;
  }
  spawn_scsynth();
}

void ScsynthProcess::kill_scsynth() {
  end_process(scsynth_pid_, SIGKILL);
}

bool ScsynthProcess::scsynth_running() {
  if (scsynth_pid_ <= 0) return false;
  if (::waitpid(scsynth_pid_, nullptr, WNOHANG) == scsynth_pid_) scsynth_pid_ = -1;
  return scsynth_pid_ > 0;
}

void ScsynthProcess::stop() {
  const bool had = scsynth_pid_ > 0 || jackd_pid_ > 0;
  end_process(scsynth_pid_);
  end_process(jackd_pid_);
  if (!had) return;
  std::error_code ec;
  fs::remove(fmt::format("/dev/shm/SuperColliderServer_{}", options_.port), ec);
  // A named jackd keeps its registry and semaphores under its own name.
  for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
    const std::string n = e.path().filename().string();
    if (n.find(options_.jack_name) != std::string::npos) fs::remove(e.path(), ec);
  }
  // The registry is shared by every jackd on the machine: only the last one out removes it.
  bool other_jackd = false;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    if (comm >> name && name == "jackd") other_jackd = true;
  }
  if (other_jackd) return;
  // With no jackd left, the per-user segments (jack-UID-N, jack_db-UID, the registry) are ours.
  const std::string uid = std::to_string(::getuid());
  for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
    const std::string n = e.path().filename().string();
    if (n == "jack-shm-registry" || n.rfind("jack-" + uid + "-", 0) == 0 ||
        n.rfind("jack_db-" + uid, 0) == 0)
      fs::remove_all(e.path(), ec);
  }
}

}  // namespace th::io
