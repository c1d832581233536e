// LineEditor: the terminal REPL's line editing and history, as a pure state machine over the
// bytes a terminal in raw mode sends (no terminal I/O here: tests feed bytes and read lines).
// Contract:
// - feed(byte) edits the line and reports what happened: a finished line (Enter), end of input
//   (Ctrl-D on an empty line), a list of completions to show (Tab with several choices), or
//   just a change to redraw.
// - Keys: printable text (UTF-8; the cursor moves by code point), Backspace, Delete, ←/→,
//   Home/End, Ctrl-A/E/B/F, Ctrl-K (kill to end), Ctrl-U (kill to start), Ctrl-W (kill the word
//   before the cursor), Ctrl-Y (yank the last kill), ↑/↓ and Ctrl-P/N (history; the line being
//   typed is kept and comes back below the newest entry), Ctrl-L (clear screen), Tab (complete
//   the word at the cursor through the completer: the longest common prefix of the choices).
// - History: one entry per finished non-empty line, consecutive duplicates folded, the oldest
//   dropped past kMaxHistory; load/save as one line per entry.
// - render(prompt) is the byte string that redraws the line in place (VT100: CR, erase to end,
//   cursor back over the cells of what follows it: wide CJK and emoji two, combining marks none).
// Not thread-safe: one owner (the REPL thread, or the printer under its lock).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace th::control {

class LineEditor {
 public:
  static constexpr std::size_t kMaxHistory = 1000;

  // The choices for the word being typed, given the line up to the cursor.
  using Completer = std::function<std::vector<std::string>(std::string_view before_cursor)>;

  enum class Action { none, redraw, line, eof, list, clear_screen };
  struct Result {
    Action action = Action::none;
    std::string line;                  // Action::line
    std::vector<std::string> choices;  // Action::list
  };

  explicit LineEditor(Completer completer = {}) : completer_(std::move(completer)) {}

  Result feed(char byte);
  std::string render(std::string_view prompt) const;

  const std::string& buffer() const { return buf_; }
  std::size_t cursor() const { return cur_; }  // byte offset
  const std::vector<std::string>& history() const { return history_; }

  // Reads entries (missing file: none); false only when the file exists and cannot be read.
  bool load_history(const std::filesystem::path& file);
  // Writes entries (creating the folder); false when it cannot. Not realtime.
  bool save_history(const std::filesystem::path& file) const;

 private:
  Result key(char c);
  Result escape(std::string_view seq);
  Result insert(std::string_view text);
  Result complete();
  Result recall(int step);
  Result submit();
  void kill(std::size_t from, std::size_t to);
  std::size_t prev_char(std::size_t at) const;
  std::size_t next_char(std::size_t at) const;

  Completer completer_;
  std::string buf_, yank_, saved_;
  std::size_t cur_ = 0;
  std::vector<std::string> history_;
  std::size_t recall_ = 0;  // index into history_ while browsing; == size(): the typed line
  std::string esc_;         // an escape sequence being read
};

// The editor's completer for live commands: command names as the first word; sections,
// patterns and instruments/groups as the argument of section, pattern, mute and solo.
// Thread-safe if `names` is.
struct CommandContext;
LineEditor::Completer command_completer(std::function<CommandContext()> names);

}  // namespace th::control
