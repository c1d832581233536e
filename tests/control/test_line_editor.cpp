// The REPL's line editor as a byte-level state machine: editing keys, UTF-8 cursor moves,
// kill/yank, history browsing that keeps the typed line, Tab completion from the set's names,
// the redraw bytes, and the history file.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "control/command.h"
#include "control/display_width.h"
#include "control/line_editor.h"
#include "support.h"

namespace th::control {
namespace {

// Feeds every byte; returns the lines finished on the way.
std::vector<std::string> type(LineEditor& ed, std::string_view keys) {
  std::vector<std::string> lines;
  for (char c : keys) {
    auto r = ed.feed(c);
    if (r.action == LineEditor::Action::line) lines.push_back(r.line);
  }
  return lines;
}

constexpr std::string_view kLeft = "\x1b[D", kRight = "\x1b[C", kUp = "\x1b[A", kDown = "\x1b[B",
                           kHome = "\x1b[H", kEnd = "\x1b[F", kDel = "\x1b[3~";

std::string keys(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

CommandContext names() {
  CommandContext ctx;
  ctx.sections = {"intro", "drop", "outro"};
  ctx.patterns = {"acid", "house"};
  ctx.instruments = {"kick", "hat", "tb303", "drums"};
  return ctx;
}

}  // namespace

TEST_CASE("line editor: typing, cursor moves and deletes make the line") {
  LineEditor ed;
  // "tempo 14" ← ← "3" → Backspace … : each key on its own.
  CHECK(type(ed, keys({"tempo 14", kLeft, kLeft, "3", kEnd, "\x7f", "0\r"})) ==
        std::vector<std::string>{"tempo 310"});
  CHECK(type(ed, keys({"abc", kHome, kDel, "x", "\x05", "y\r"})) ==
        std::vector<std::string>{"xbcy"});
  // Ctrl-A, Ctrl-F, Ctrl-D deletes under the cursor; Ctrl-B moves back.
  CHECK(type(ed, "hello\x01\x06\x04\x02Y\r") == std::vector<std::string>{"Yhllo"});
  // Other escape sequences and control keys change nothing.
  CHECK(type(ed, keys({"ok", "\x1b[5~", "\x1b[1;5C", "\x07", "\r"})) ==
        std::vector<std::string>{"ok"});
}

TEST_CASE("line editor: UTF-8 text moves and deletes by code point") {
  LineEditor ed;
  // "prompt 光あれ": ← twice lands before あ (3-byte code points), Backspace removes 光.
  type(ed, keys({"prompt 光あれ", kLeft, kLeft}));
  CHECK(ed.cursor() == std::string("prompt 光").size());
  type(ed, "\x7f");
  CHECK(ed.buffer() == "prompt あれ");
  // The cursor goes back over two wide characters: four cells.
  CHECK(ed.render("> ") == "\r> prompt あれ\x1b[K\x1b[4D");
  type(ed, keys({kDel}));
  CHECK(ed.buffer() == "prompt れ");
  // An emoji (4 bytes) and a combining accent (a separate code point) likewise.
  LineEditor e2;
  type(e2, "a😀e\xcc\x81\x7f\x7f");
  CHECK(e2.buffer() == "a😀");
  type(e2, "\x7f");
  CHECK(e2.buffer() == "a");
}

TEST_CASE("line editor: kill and yank") {
  LineEditor ed;
  type(ed, "prompt In the beginning");
  type(ed, "\x17");  // Ctrl-W: the word before the cursor
  CHECK(ed.buffer() == "prompt In the ");
  type(ed, "\x17\x17");
  CHECK(ed.buffer() == "prompt ");
  type(ed, "\x19");  // Ctrl-Y: the last kill comes back
  CHECK(ed.buffer() == "prompt In ");
  type(ed, keys({kHome, kRight, kRight, "\x0b"}));  // Ctrl-K
  CHECK(ed.buffer() == "pr");
  type(ed, "\x15");  // Ctrl-U
  CHECK(ed.buffer().empty());
  CHECK(type(ed, "\x19\r") == std::vector<std::string>{"pr"});
}

TEST_CASE("line editor: history browsing keeps the line being typed") {
  LineEditor ed;
  type(ed, "tempo 140\rmute hat\rmute hat\r\rsection drop\r");
  // Consecutive duplicates fold; empty lines are not kept.
  CHECK(ed.history() == std::vector<std::string>{"tempo 140", "mute hat", "section drop"});
  type(ed, "sol");
  type(ed, keys({kUp}));
  CHECK(ed.buffer() == "section drop");
  type(ed, keys({kUp, kUp, kUp}));  // stops at the oldest
  CHECK(ed.buffer() == "tempo 140");
  type(ed, "\x0e");  // Ctrl-N
  CHECK(ed.buffer() == "mute hat");
  type(ed, keys({kDown, kDown, kDown}));
  CHECK(ed.buffer() == "sol");
  // A recalled line can be edited and sent; it becomes the newest entry.
  CHECK(type(ed, keys({kUp, kUp, "\x7f\x7f\x7f", "kick\r"})) ==
        std::vector<std::string>{"mute kick"});
  CHECK(ed.history().back() == "mute kick");
  CHECK(ed.feed('\x04').action == LineEditor::Action::eof);  // Ctrl-D on an empty line
}

TEST_CASE("line editor: Tab completes commands and the set's names") {
  LineEditor ed(command_completer(names));
  CHECK(type(ed, "tem\t140\r") == std::vector<std::string>{"tempo 140"});
  CHECK(type(ed, "section d\t\r") == std::vector<std::string>{"section drop "});
  CHECK(type(ed, "mute t\t\r") == std::vector<std::string>{"mute tb303 "});
  // beat and bar share only "b": Tab lists them and the line stays.
  type(ed, "quant b");
  auto r = ed.feed('\t');
  CHECK(ed.buffer() == "quant b");
  CHECK(r.action == LineEditor::Action::list);
  CHECK(r.choices == std::vector<std::string>{"bar", "beat"});
  type(ed, "\x15");
  // "la": layer and layers share "layer"; one more Tab lists both.
  type(ed, "la\t");
  CHECK(ed.buffer() == "layer");
  r = ed.feed('\t');
  CHECK(r.action == LineEditor::Action::list);
  CHECK(r.choices == std::vector<std::string>{"layer", "layers"});
  type(ed, "\x15");
  // No names after a prompt's text, none for unknown commands.
  type(ed, "prompt he\t");
  CHECK(ed.buffer() == "prompt he");
  type(ed, "\x15xyz\t");
  CHECK(ed.buffer() == "xyz");
}

TEST_CASE("line editor: history file round trip, capped") {
  const auto dir = test::scratch("line_editor_history");
  const auto file = dir / "sub" / "history";
  LineEditor ed;
  CHECK(ed.load_history(file));  // none yet
  for (std::size_t i = 0; i < LineEditor::kMaxHistory + 5; ++i)
    type(ed, "tempo " + std::to_string(100 + i % 300) + "\r");
  CHECK(ed.history().size() == LineEditor::kMaxHistory);
  REQUIRE(ed.save_history(file));
  LineEditor back;
  REQUIRE(back.load_history(file));
  CHECK(back.history() == ed.history());
  CHECK(back.history().front() == "tempo " + std::to_string(100 + 5 % 300));
  type(back, keys({kUp}));
  CHECK(back.buffer() == ed.history().back());
}

TEST_CASE("line editor: display width counts terminal cells") {
  CHECK(display_width("mute hat") == 8);
  CHECK(display_width("光あれ") == 6);           // CJK: two cells each
  CHECK(display_width("caf\xc3\xa9") == 4);      // é precomposed
  CHECK(display_width("cafe\xcc\x81") == 4);     // e + combining acute: one cell
  CHECK(display_width("🎹 drop") == 7);           // emoji: two cells
  CHECK(display_width("ｔｈ") == 4);             // fullwidth Latin
  CHECK(display_width("a\xe2\x80\x8b b") == 3);  // zero-width space
  CHECK(display_width("\xff\xe3\x81") == 2);     // a stray byte, a truncated sequence
  // The cursor before an emoji and a combining accent goes back three cells.
  LineEditor ed;
  type(ed, keys({"🎹e\xcc\x81", kLeft, kLeft, kLeft}));
  CHECK(ed.render("> ") == "\r> 🎹e\xcc\x81\x1b[K\x1b[3D");
}

}  // namespace th::control
