// The live command grammar: every command parses to exactly the expected value, from a REPL
// line and from an OSC message alike; every malformed form is rejected with a message naming
// the command; validate() checks against the running set.
#include <catch2/catch.hpp>

#include "control/command.h"

namespace th::control {
namespace {

Command cmd(CommandKind k, int a = 0, int b = 0, double bpm = 0, std::string text = "") {
  Command c;
  c.kind = k;
  c.a = a;
  c.b = b;
  c.bpm = bpm;
  c.text = std::move(text);
  return c;
}

}  // namespace

TEST_CASE("command: every REPL form parses exactly") {
  const std::vector<std::pair<std::string, Command>> cases = {
      {"layer 3", cmd(CommandKind::layer, 3, 3)},
      {"  layers 2 5 ", cmd(CommandKind::layers, 2, 5)},
      {"layers 4 4", cmd(CommandKind::layers, 4, 4)},
      {"prompt the  quick fox", cmd(CommandKind::prompt, 0, 0, 0, "the  quick fox")},
      {"section drop", cmd(CommandKind::section, 0, 0, 0, "drop")},
      {"pattern acid", cmd(CommandKind::pattern, 0, 0, 0, "acid")},
      {"tempo 128", cmd(CommandKind::tempo, 0, 0, 128)},
      {"tempo 96.5", cmd(CommandKind::tempo, 0, 0, 96.5)},
      {"mute kick", cmd(CommandKind::mute, 0, 0, 0, "kick")},
      {"solo drums", cmd(CommandKind::solo, 0, 0, 0, "drums")},
      {"model /m/x", cmd(CommandKind::model, 0, 0, 0, "/m/x")},
      {"reload", cmd(CommandKind::reload)},
      {"quant now", cmd(CommandKind::quant, 0)},
      {"quant beat", cmd(CommandKind::quant, 1)},
      {"quant bar", cmd(CommandKind::quant, -1)},
      {"quant 8", cmd(CommandKind::quant, 8)},
      {"status", cmd(CommandKind::status)},
      {"panic\n", cmd(CommandKind::panic)},
  };
  for (const auto& [line, want] : cases) {
    INFO(line);
    const auto r = parse_command(line);
    REQUIRE(r.error == "");
    REQUIRE(r.command);
    CHECK(*r.command == want);
    CHECK(r.name == command_name(want.kind));
    // And back: the line a log writes parses to the same command.
    const auto back = parse_command(command_line(want));
    REQUIRE(back.command);
    CHECK(*back.command == want);
  }
  CHECK(command_line(cmd(CommandKind::quant, -1)) == "quant bar");
  CHECK(command_line(cmd(CommandKind::layers, 2, 5)) == "layers 2 5");
  CHECK(command_line(cmd(CommandKind::prompt, 0, 0, 0, "the  quick fox")) ==
        "prompt the  quick fox");
}

TEST_CASE("command: malformed forms are rejected with the reason") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty command"},
      {"jump 3", "unknown command 'jump'"},
      {"layer", "usage: layer N"},
      {"layer x", "layer: expected a layer number >= 0, found 'x'"},
      {"layer -1", "layer: expected a layer number >= 0, found '-1'"},
      {"layer 1 2", "usage: layer N"},
      {"layers 5 2", "layers: expected A <= B, found 5 > 2"},
      {"layers 1", "usage: layers A B"},
      {"tempo 10", "tempo: expected BPM in [20, 400], found '10'"},
      {"tempo fast", "tempo: expected BPM in [20, 400], found 'fast'"},
      {"tempo nan", "tempo: expected BPM in [20, 400], found 'nan'"},
      {"quant 0", "quant: expected now, beat, bar or a number of beats in [1, 1024], found '0'"},
      {"quant 2.5",
       "quant: expected now, beat, bar or a number of beats in [1, 1024], found '2.5'"},
      {"prompt", "usage: prompt TEXT"},
      {"mute", "usage: mute NAME"},
      {"mute a b", "usage: mute NAME"},
      {"status now", "usage: status"},
      {"panic 1", "usage: panic"},
  };
  for (const auto& [line, why] : cases) {
    INFO(line);
    const auto r = parse_command(line);
    CHECK_FALSE(r.command);
    CHECK(r.error == why);
  }
}

TEST_CASE("command: OSC messages parse like REPL lines") {
  using io::OscMessage;
  auto r = parse_command(OscMessage{"/th/layers", {std::int32_t(1), std::int32_t(6)}});
  REQUIRE(r.command);
  CHECK(*r.command == cmd(CommandKind::layers, 1, 6));
  r = parse_command(OscMessage{"/th/tempo", {140.0f}});
  REQUIRE(r.command);
  CHECK(*r.command == cmd(CommandKind::tempo, 0, 0, 140));
  r = parse_command(OscMessage{"/th/prompt", {std::string("a red sky")}});
  REQUIRE(r.command);
  CHECK(*r.command == cmd(CommandKind::prompt, 0, 0, 0, "a red sky"));
  r = parse_command(OscMessage{"/th/quant", {std::string("bar")}});
  REQUIRE(r.command);
  CHECK(*r.command == cmd(CommandKind::quant, -1));
  r = parse_command(OscMessage{"/th/panic", {}});
  REQUIRE(r.command);
  CHECK(r.command->kind == CommandKind::panic);

  r = parse_command(OscMessage{"/th/layer", {std::string("x")}});
  CHECK(r.error == "layer: expected a layer number >= 0, found 'x'");
  r = parse_command(OscMessage{"/th/mute", {io::OscBlob{}}});
  CHECK(r.error == "mute: blob arguments are not accepted");
  r = parse_command(OscMessage{"/other", {}});
  CHECK(r.error == "address '/other' is not /th/<command>");
  r = parse_command(OscMessage{"/th/", {}});
  CHECK_FALSE(r.command);
}

TEST_CASE("command: validate checks against the running set") {
  CommandContext ctx;
  ctx.num_layers = 8;
  ctx.sections = {"intro", "drop"};
  ctx.patterns = {"acid", "house"};
  ctx.instruments = {"kick", "drums"};
  CHECK(validate(cmd(CommandKind::layer, 7, 7), ctx) == "");
  CHECK(validate(cmd(CommandKind::layer, 8, 8), ctx) ==
        "layer: the model has layers 0 to 7, found 8");
  CHECK(validate(cmd(CommandKind::layers, 2, 9), ctx) ==
        "layers: the model has layers 0 to 7, found 9");
  CHECK(validate(cmd(CommandKind::section, 0, 0, 0, "drop"), ctx) == "");
  CHECK(validate(cmd(CommandKind::section, 0, 0, 0, "outro"), ctx) ==
        "section: no section 'outro' (known: intro, drop)");
  CHECK(validate(cmd(CommandKind::pattern, 0, 0, 0, "trap"), ctx) ==
        "pattern: no pattern 'trap' (known: acid, house)");
  CHECK(validate(cmd(CommandKind::solo, 0, 0, 0, "hat"), ctx) ==
        "solo: no instrument or group 'hat' (known: kick, drums)");
  CHECK(validate(cmd(CommandKind::tempo, 0, 0, 200), ctx) == "");
}

TEST_CASE("command: the grammar lists every command with its usage") {
  REQUIRE(all_commands().size() == 13);
  for (auto k : all_commands()) {
    const std::string usage(command_usage(k));
    CHECK(usage.rfind(std::string(command_name(k)), 0) == 0);
  }
}

}  // namespace th::control
