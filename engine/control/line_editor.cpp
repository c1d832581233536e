#include "control/line_editor.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "control/command.h"
#include "control/display_width.h"

namespace th::control {
namespace {

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Escape sequences (after ESC) of the keys the editor knows; xterm and VT220 spellings.
enum class Key { up, down, right, left, home, end, del };
const std::map<std::string_view, Key>& escape_keys() {
  static const std::map<std::string_view, Key> keys{
      {"[A", Key::up},   {"[B", Key::down}, {"[C", Key::right}, {"[D", Key::left},
      {"OA", Key::up},   {"OB", Key::down}, {"OC", Key::right}, {"OD", Key::left},
      {"[H", Key::home}, {"OH", Key::home}, {"[1~", Key::home}, {"[7~", Key::home},
      {"[F", Key::end},  {"OF", Key::end},  {"[4~", Key::end},  {"[8~", Key::end},
      {"[3~", Key::del}};
  return keys;
}

LineEditor::Result act(LineEditor::Action a) {
  LineEditor::Result r;
  r.action = a;
  return r;
}

}  // namespace

LineEditor::Result LineEditor::feed(char c) {
  if (esc_.empty()) return key(c);
  esc_ += c;
  // ESC [ params final (final byte 0x40-0x7E) or ESC O X; anything else after ESC is dropped.
  const std::string_view seq = std::string_view(esc_).substr(1);
  if (seq.size() == 1 && c != '[' && c != 'O') {
    esc_.clear();
    return {};
  }
  if (seq.size() < 2) return {};
  const bool done = seq[0] == 'O' || (c >= 0x40 && c <= 0x7E) || seq.size() > 8;
  if (!done) return {};
  const std::string s(seq);
  esc_.clear();
  return escape(s);
}

LineEditor::Result LineEditor::escape(std::string_view seq) {
  const auto it = escape_keys().find(seq);
  if (it == escape_keys().end()) return {};
  switch (it->second) {
    case Key::up:
      return recall(-1);
    case Key::down:
      return recall(+1);
    case Key::left:
      cur_ = prev_char(cur_);
      return act(Action::redraw);
    case Key::right:
      cur_ = next_char(cur_);
      return act(Action::redraw);
    case Key::home:
      cur_ = 0;
      return act(Action::redraw);
    case Key::end:
      cur_ = buf_.size();
      return act(Action::redraw);
    case Key::del:
      if (cur_ < buf_.size()) buf_.erase(cur_, next_char(cur_) - cur_);
      return act(Action::redraw);
  }
  return {};
}

LineEditor::Result LineEditor::key(char c) {
  auto ctrl = [](char k) { return static_cast<char>(k & 0x1F); };
  if (c == '\x1b') {
    esc_ = "\x1b";
    return {};
  }
  if (c == '\r' || c == '\n') return submit();
  if (c == '\x7f' || c == '\b') {
    if (cur_ > 0) kill(prev_char(cur_), cur_);
    return act(Action::redraw);
  }
  if (c == '\t') return complete();
  if (c == ctrl('D')) {
    if (buf_.empty()) return act(Action::eof);
    if (cur_ < buf_.size()) buf_.erase(cur_, next_char(cur_) - cur_);
    return act(Action::redraw);
  }
  if (c == ctrl('A'))
    cur_ = 0;
  else if (c == ctrl('E'))
    cur_ = buf_.size();
  else if (c == ctrl('B'))
    cur_ = prev_char(cur_);
  else if (c == ctrl('F'))
    cur_ = next_char(cur_);
  else if (c == ctrl('K'))
    kill(cur_, buf_.size());
  else if (c == ctrl('U'))
    kill(0, cur_);
  else if (c == ctrl('W')) {
    std::size_t from = cur_;
    while (from > 0 && buf_[from - 1] == ' ') --from;
    while (from > 0 && buf_[from - 1] != ' ') --from;
    kill(from, cur_);
  } else if (c == ctrl('Y'))
    return insert(yank_);
  else if (c == ctrl('P'))
    return recall(-1);
  else if (c == ctrl('N'))
    return recall(+1);
  else if (c == ctrl('L'))
    return act(Action::clear_screen);
  else if (static_cast<unsigned char>(c) < 0x20)
    return {};  // other control keys: nothing
  else
    return insert(std::string_view(&c, 1));
  return act(Action::redraw);
}

LineEditor::Result LineEditor::insert(std::string_view text) {
  buf_.insert(cur_, text);
  cur_ += text.size();
  return act(Action::redraw);
}

void LineEditor::kill(std::size_t from, std::size_t to) {
  if (to <= from) return;
  yank_ = buf_.substr(from, to - from);
  buf_.erase(from, to - from);
  cur_ = from;
}

std::size_t LineEditor::prev_char(std::size_t at) const {
  if (at == 0) return 0;
  --at;
  while (at > 0 && continuation(buf_[at])) --at;
  return at;
}

std::size_t LineEditor::next_char(std::size_t at) const {
  if (at >= buf_.size()) return buf_.size();
  ++at;
  while (at < buf_.size() && continuation(buf_[at])) ++at;
  return at;
}

LineEditor::Result LineEditor::recall(int step) {
  const std::size_t n = history_.size();
  if (n == 0) return {};
  if (recall_ > n) recall_ = n;
  if (step < 0 && recall_ == 0) return {};
  if (step > 0 && recall_ == n) return {};
  if (recall_ == n) saved_ = buf_;  // leaving the line being typed
  recall_ = step < 0 ? recall_ - 1 : recall_ + 1;
  buf_ = recall_ == n ? saved_ : history_[recall_];
  cur_ = buf_.size();
  return act(Action::redraw);
}

LineEditor::Result LineEditor::submit() {
  Result r{Action::line, buf_, {}};
  if (!buf_.empty() && (history_.empty() || history_.back() != buf_)) {
    history_.push_back(buf_);
    if (history_.size() > kMaxHistory)
      history_.erase(history_.begin(),
                     history_.begin() + static_cast<std::ptrdiff_t>(history_.size() - kMaxHistory));
  }
  buf_.clear();
  saved_.clear();
  cur_ = 0;
  recall_ = history_.size();
  return r;
}

LineEditor::Result LineEditor::complete() {
  if (!completer_) return {};
  const std::string_view before = std::string_view(buf_).substr(0, cur_);
  const auto space = before.rfind(' ');
  const std::string_view word = space == std::string_view::npos ? before : before.substr(space + 1);
  std::vector<std::string> choices;
  for (auto& c : completer_(before))
    if (c.starts_with(word)) choices.push_back(std::move(c));
  if (choices.empty()) return {};
  std::string common = choices.front();
  for (const auto& c : choices) {
    std::size_t k = 0;
    while (k < common.size() && k < c.size() && common[k] == c[k]) ++k;
    common.resize(k);
  }
  if (choices.size() == 1) return insert(common.substr(word.size()) + " ");
  if (common.size() > word.size()) return insert(common.substr(word.size()));
  std::sort(choices.begin(), choices.end());
  return {Action::list, {}, std::move(choices)};
}

std::string LineEditor::render(std::string_view prompt) const {
  std::string out = fmt::format("\r{}{}\x1b[K", prompt, buf_);
  // Back over the cells (not bytes or code points) of what follows the cursor.
  const std::size_t back = display_width(std::string_view(buf_).substr(cur_));
  if (back > 0) out += fmt::format("\x1b[{}D", back);
  return out;
}

bool LineEditor::load_history(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return true;
  std::ifstream in(file);
  if (!in) return false;
  history_.clear();
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && (history_.empty() || history_.back() != line)) history_.push_back(line);
  if (history_.size() > kMaxHistory)
    history_.erase(history_.begin(),
                   history_.begin() + static_cast<std::ptrdiff_t>(history_.size() - kMaxHistory));
  recall_ = history_.size();
  return true;
}

bool LineEditor::save_history(const std::filesystem::path& file) const {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::trunc);
  for (const auto& h : history_) out << h << '\n';
  return static_cast<bool>(out);
}

LineEditor::Completer command_completer(std::function<CommandContext()> names) {
  return [names = std::move(names)](std::string_view before) {
    std::vector<std::string> out;
    const auto space = before.find(' ');
    if (space == std::string_view::npos) {
      for (const auto k : all_commands()) out.emplace_back(command_name(k));
      return out;
    }
    // Only the first argument has names to offer, and only for these commands.
    static const std::map<std::string_view, std::vector<std::string> CommandContext::*> from_set{
        {"section", &CommandContext::sections},
        {"pattern", &CommandContext::patterns},
        {"mute", &CommandContext::instruments},
        {"solo", &CommandContext::instruments}};
    static const std::vector<std::string> quant{"now", "beat", "bar"};
    if (before.find(' ', space + 1) != std::string_view::npos) return out;
    const std::string_view cmd = before.substr(0, space);
    if (cmd == "quant") return quant;
    const auto it = from_set.find(cmd);
    if (it == from_set.end()) return out;
    return names().*(it->second);
  };
}

}  // namespace th::control
