// JACK MIDI test helpers: a private dummy jackd (unique name, started and ended by PID, its
// /dev/shm files removed), jack_midi_dump on it writing to a file, and reading that file back.
// JACK drops a cycle's MIDI when a client misses its deadline (an xrun; with the machine's
// cores busy, the dummy driver reports them): xruns() tells a test whether an exact count can
// be expected.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace th::test {

using MidiBytes = std::vector<std::uint8_t>;

inline bool have_program(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Outside CI a missing JACK is a skip (with the reason); under CI a failure.
inline bool have_jack_tools() {
  for (const char* p : {"jackd", "jack_wait", "jack_midi_dump", "jack_lsp", "stdbuf"})
    if (!have_program(p)) return false;
  return true;
}

// stdout to `out`; stderr there too or to /dev/null.
inline pid_t spawn_to_file(const std::vector<std::string>& args, const std::string& out,
                           bool with_stderr) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (with_stderr)
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// TERM, up to 3 s, then KILL; reaps. Only PIDs the test spawned.
inline void end_pid(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

inline std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The bytes of every message jack_midi_dump printed ("   0: 90 3c 64 note on …").
inline std::vector<MidiBytes> read_midi_dump(const std::filesystem::path& file) {
  std::vector<MidiBytes> out;
  std::istringstream lines(slurp_file(file));
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream in(line.substr(colon + 1));
    MidiBytes b;
    for (std::string w; in >> w && w.size() == 2 &&
                        std::isxdigit(static_cast<unsigned char>(w[0])) &&
                        std::isxdigit(static_cast<unsigned char>(w[1]));)
      b.push_back(static_cast<std::uint8_t>(std::stoi(w, nullptr, 16)));
    if (!b.empty()) out.push_back(std::move(b));
  }
  return out;
}

// How many cycles jackd's log reports as missed.
inline std::size_t jack_xruns(const std::filesystem::path& log) {
  std::size_t n = 0;
  std::istringstream lines(slurp_file(log));
  for (std::string line; std::getline(lines, line);)
    n += line.find("XRun") != std::string::npos || line.find("Process error") != std::string::npos;
  return n;
}

// Whether `part` is `whole` with some messages left out, order kept.
inline bool is_subsequence(const std::vector<MidiBytes>& part,
                           const std::vector<MidiBytes>& whole) {
  std::size_t j = 0;
  for (const auto& m : part) {
    while (j < whole.size() && whole[j] != m) ++j;
    if (j == whole.size()) return false;
    ++j;
  }
  return true;
}

// A private jackd with the dummy driver (large periods: fewer missed deadlines on a busy
// machine) and jack_midi_dump connected to it as client `dump_client`.
class JackMidiDump {
 public:
  JackMidiDump(const std::filesystem::path& dir, const std::string& name,
               const std::string& dump_client)
      : name_(name), dir_(dir) {
    jackd_ = spawn_to_file(
        {"jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "1024"},
        (dir / "jackd.log").string(), true);
    if (jackd_ <= 0) return;
    if (std::system(("jack_wait -s " + name + " -w -t 10 >/dev/null 2>&1").c_str()) != 0) return;
    ::setenv("JACK_DEFAULT_SERVER", name.c_str(), 1);
    dump_ = spawn_to_file({"stdbuf", "-oL", "jack_midi_dump", dump_client},
                          (dir / "dump.txt").string(), false);
    for (int i = 0; i < 500 && dump_ > 0 && !ready_; ++i) {
      std::string ports;
      if (FILE* p = ::popen("jack_lsp 2>/dev/null", "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, p)) ports += buf;
        ::pclose(p);
      }
      ready_ = ports.find(dump_client + ":input") != std::string::npos;
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~JackMidiDump() {
    stop_dump();
    end_pid(jackd_);
    ::unsetenv("JACK_DEFAULT_SERVER");
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec))
      if (e.path().filename().string().find(name_) != std::string::npos)
        std::filesystem::remove_all(e.path(), ec);
    // The registry and per-user segments are shared by every jackd: only the last one out
    // removes them (as io::ScsynthProcess does).
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      std::ifstream comm(e.path() / "comm");
      std::string n;
      if (comm >> n && n == "jackd") return;
    }
    const std::string uid = std::to_string(::getuid());
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
      const std::string n = e.path().filename().string();
      if (n == "jack-shm-registry" || n.rfind("jack-" + uid + "-", 0) == 0 ||
          n.rfind("jack_db-" + uid, 0) == 0)
        std::filesystem::remove_all(e.path(), ec);
    }
  }
  JackMidiDump(const JackMidiDump&) = delete;
  JackMidiDump& operator=(const JackMidiDump&) = delete;

  bool ready() const { return ready_; }
  void stop_dump() {
    end_pid(dump_);
    dump_ = -1;
  }
  std::vector<MidiBytes> messages() const { return read_midi_dump(dir_ / "dump.txt"); }
  std::size_t xruns() const { return jack_xruns(dir_ / "jackd.log"); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::filesystem::path dir_;
  pid_t jackd_ = -1, dump_ = -1;
  bool ready_ = false;
};

}  // namespace th::test
