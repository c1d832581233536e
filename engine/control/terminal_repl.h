// TerminalRepl: the live set's command line on stdin, for performers without sclang.
// Contract:
// - On a terminal: raw input (Ctrl-C still signals; the terminal's mode is restored when run()
//   returns), the LineEditor (editing keys, history, Tab completion of commands and of the
//   set's sections, patterns and instruments), history kept across sets in history_file().
//   Replies, including late ones from the composer thread, are printed above the line being
//   typed, which is redrawn after each.
// - Not a terminal (a pipe, a script): plain lines, one reply line per command, no prompt.
// - A reply line is "error: <why>", the answer's info text (status: the state line) or
//   "ok <command>".
// - Every line goes through the shared grammar to LiveEngine::submit; a bad line gets its error
//   and the set plays on. End of input ends the REPL, not the set.
// run(): the REPL thread only. print(): any thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "control/line_editor.h"
#include "control/live_engine.h"

namespace th::control {

class TerminalRepl {
 public:
  // in_fd/out: the terminal (tests pass a pipe). The engine must outlive the REPL.
  TerminalRepl(LiveEngine& engine, int in_fd = 0, std::FILE* out = stdout);

  // Reads until `stop` turns true or input ends (polling, so it notices `stop` within 100 ms).
  void run(const std::atomic<bool>& stop);
  // Prints a line above the one being edited. Thread-safe.
  void print(std::string_view text);
  // Where parsed lines go (default: the engine's submit), e.g. through a CommandLog first.
  // Before run(), on the owning thread; the function itself is called on the REPL thread.
  using Submit = std::function<void(const Command&, Reply)>;
  void set_submit(Submit s) { submit_ = std::move(s); }

  // $TH_HISTORY, else $XDG_STATE_HOME/tensorhaus/history, else ~/.local/state/tensorhaus/history.
  // Thread-safe (reads the environment); not realtime-safe.
  static std::filesystem::path history_file();

 private:
  void line(const std::string& text);
  void redraw_locked();

  int in_;
  std::FILE* out_;
  bool tty_;
  std::mutex mutex_;  // out_ and editor_
  LineEditor editor_;
  Submit submit_;
};

}  // namespace th::control
