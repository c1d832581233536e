// The live command grammar, shared by the OSC command server (/th/<command> args) and the
// terminal REPL ("<command> args"). Contract: parse_command accepts exactly
//   layer N | layers A B | prompt TEXT | section NAME | pattern NAME | tempo BPM | mute NAME |
//   solo NAME | model DIR | reload | quant now|beat|bar|N | status | panic
// with integer layers (0 <= A <= B), BPM in [20, 400], N a positive whole number of beats,
// non-empty TEXT/NAME/DIR; anything else is an error whose message names the command and what
// was expected. validate() then checks names and ranges against the running set (layers
// below the model's count, known sections, patterns and instruments). Pure functions:
// thread-safe; they allocate (control threads, never the scheduler). A command is answered
// through a Reply with an Answer, which every front end shows the same way: an error, or done
// with an optional text for the sender (status: the state line).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "io/osc_types.h"

namespace th::control {

enum class CommandKind : std::uint8_t {
  layer,
  layers,
  prompt,
  section,
  pattern,
  tempo,
  mute,
  solo,
  model,
  reload,
  quant,
  status,
  panic
};

struct Command {
  CommandKind kind = CommandKind::status;
  int a = 0, b = 0;  // layer(s); quant beats (0 = now, -1 = bar)
  double bpm = 0;    // tempo
  std::string text;  // prompt, section, pattern, mute, solo, model
  bool operator==(const Command&) const = default;
};

// "layer", "tempo", … Thread-safe; realtime-safe.
std::string_view command_name(CommandKind k);
// The usage line of a command ("layers A B"). Thread-safe.
std::string_view command_usage(CommandKind k);
// Every command, in grammar order. Thread-safe.
const std::vector<CommandKind>& all_commands();

struct ParseResult {
  std::optional<Command> command;
  std::string name;   // the command word as given (for replies), "" if none
  std::string error;  // set when command is empty
};

// A REPL line: words separated by spaces; prompt takes the rest of the line as TEXT.
ParseResult parse_command(std::string_view line);
// An OSC message /th/<command> with int/float/string args as the REPL's words.
ParseResult parse_command(const io::OscMessage& m);
// The REPL line that parses back to `c` ("layers 2 5", "quant bar", "prompt In the …").
// Thread-safe; not realtime-safe (allocates).
std::string command_line(const Command& c);

// What the running set offers, for validate().
struct CommandContext {
  int num_layers = 0;                                        // 0: unknown (no check)
  std::vector<std::string> sections, patterns, instruments;  // empty: no check
};

// "" when valid, else the reason. Thread-safe.
std::string validate(const Command& c, const CommandContext& ctx);

// A command's answer: `error` ("" = done) and, when done, `info` for the sender ("" = none).
// Converts from the error text, so reply("") and reply(why) answer without info.
struct Answer {
  Answer(std::string error_text = {}, std::string info_text = {})
      : error(std::move(error_text)), info(std::move(info_text)) {}
  Answer(const char* error_text) : error(error_text) {}
  std::string error, info;
};
// Answers one command. Thread-safe; call it exactly once.
using Reply = std::function<void(const Answer&)>;

}  // namespace th::control
