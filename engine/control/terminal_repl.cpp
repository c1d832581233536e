#include "control/terminal_repl.h"

#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "control/command.h"

namespace th::control {
namespace {

constexpr std::string_view kPrompt = "live> ";

// Raw input for the editor while alive; the saved mode comes back on destruction. Output
// processing and signals (Ctrl-C, Ctrl-Z) stay as they were.
class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO | IEXTEN));
    raw.c_iflag &= static_cast<tcflag_t>(~(IXON | ICRNL));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(fd, TCSAFLUSH, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

TerminalRepl::TerminalRepl(LiveEngine& engine, int in_fd, std::FILE* out)
    : in_(in_fd),
      out_(out),
      tty_(::isatty(in_fd) == 1),
      editor_(command_completer([&engine] { return engine.context(); })),
      submit_([&engine](const Command& c, Reply r) { engine.submit(c, std::move(r)); }) {}

std::filesystem::path TerminalRepl::history_file() {
  if (const char* h = std::getenv("TH_HISTORY"); h && *h) return h;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
    return std::filesystem::path(x) / "tensorhaus/history";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local/state/tensorhaus/history";
  return {};
}

void TerminalRepl::redraw_locked() {
  if (!tty_) return;
  std::fputs(editor_.render(kPrompt).c_str(), out_);
  std::fflush(out_);
}

void TerminalRepl::print(std::string_view text) {
  std::lock_guard lock(mutex_);
  // Over the line being typed, which then comes back below.
  if (tty_) std::fputs("\r\x1b[K", out_);
  std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
  redraw_locked();
  std::fflush(out_);
}

void TerminalRepl::line(const std::string& text) {
  if (text.find_first_not_of(" \t\r") == std::string::npos) return;
  const auto p = parse_command(text);
  if (!p.command) return print("error: " + p.error);
  // A recompose answers later, from the composer thread: the prompt comes back at once.
  submit_(*p.command, [this, name = p.name](const Answer& a) {
    print(!a.error.empty() ? "error: " + a.error : !a.info.empty() ? a.info : "ok " + name);
  });
}

void TerminalRepl::run(const std::atomic<bool>& stop) {
  std::optional<RawMode> raw;
  const auto history = history_file();
  if (tty_) {
    raw.emplace(in_);
    std::lock_guard lock(mutex_);
    if (!history.empty() && !editor_.load_history(history))
      std::fprintf(out_, "warning: cannot read the command history %s\n", history.c_str());
    redraw_locked();
  }
  std::string pending;  // not a terminal: bytes up to the next newline
  bool open = true;
  while (open && !stop.load()) {
    pollfd p{in_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[512];
    const auto n = ::read(in_, chunk, sizeof chunk);
    if (n <= 0) break;  // end of input: the set plays on (stop it with a signal or --duration)
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) && open; ++i) {
      if (!tty_) {
        if (chunk[i] != '\n') {
          pending += chunk[i];
          continue;
        }
        line(pending);
        pending.clear();
        continue;
      }
      std::string submitted;
      {
        std::lock_guard lock(mutex_);
        auto r = editor_.feed(chunk[i]);
        switch (r.action) {
          case LineEditor::Action::line:
            std::fputs("\r\n", out_);
            submitted = std::move(r.line);
            break;
          case LineEditor::Action::eof:
            std::fputs("\r\ninput closed; the set plays on (Ctrl-C ends it)\n", out_);
            open = false;
            break;
          case LineEditor::Action::list: {
            std::string all;
            for (const auto& c : r.choices) all += c + "  ";
            std::fprintf(out_, "\r\n%s\n", all.c_str());
            break;
          }
          case LineEditor::Action::clear_screen:
            std::fputs("\x1b[H\x1b[2J", out_);
            break;
          default:
            break;
        }
        if (open && r.action != LineEditor::Action::none) redraw_locked();
        if (!open) std::fflush(out_);
      }
      if (!submitted.empty()) line(submitted);
    }
  }
  if (tty_) {
    std::lock_guard lock(mutex_);
    std::fputs("\r\x1b[K", out_);
    std::fflush(out_);
    if (!history.empty() && !editor_.save_history(history))
      std::fprintf(stderr, "warning: cannot write the command history %s\n", history.c_str());
  }
}

}  // namespace th::control
