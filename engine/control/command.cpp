#include "control/command.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace th::control {
namespace {

struct Spec {
  CommandKind kind;
  std::string_view name;
  std::string_view usage;
};

constexpr std::array<Spec, 13> kSpecs = {{
    {CommandKind::layer, "layer", "layer N"},
    {CommandKind::layers, "layers", "layers A B"},
    {CommandKind::prompt, "prompt", "prompt TEXT"},
    {CommandKind::section, "section", "section NAME"},
    {CommandKind::pattern, "pattern", "pattern NAME"},
    {CommandKind::tempo, "tempo", "tempo BPM"},
    {CommandKind::mute, "mute", "mute NAME"},
    {CommandKind::solo, "solo", "solo NAME"},
    {CommandKind::model, "model", "model DIR"},
    {CommandKind::reload, "reload", "reload"},
    {CommandKind::quant, "quant", "quant now|beat|bar|N"},
    {CommandKind::status, "status", "status"},
    {CommandKind::panic, "panic", "panic"},
}};

constexpr double kMinBpm = 20, kMaxBpm = 400;

std::optional<long> to_int(std::string_view s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> to_double(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

ParseResult fail(std::string name, std::string why) {
  return {std::nullopt, std::move(name), std::move(why)};
}

// words[0] is the command; `rest` is the text after it (for prompt).
ParseResult build(const std::vector<std::string>& words, std::string_view rest) {
  const std::string& name = words[0];
  const auto spec =
      std::find_if(kSpecs.begin(), kSpecs.end(), [&](const Spec& s) { return s.name == name; });
  if (spec == kSpecs.end()) return fail(name, fmt::format("unknown command '{}'", name));
  const auto args = words.size() - 1;
  const auto usage = [&] { return fmt::format("usage: {}", spec->usage); };
  Command c;
  c.kind = spec->kind;
  switch (spec->kind) {
    case CommandKind::layer: {
      if (args != 1) return fail(name, usage());
      const auto n = to_int(words[1]);
      if (!n || *n < 0 || *n > 100000)
        return fail(name, fmt::format("layer: expected a layer number >= 0, found '{}'", words[1]));
      c.a = c.b = static_cast<int>(*n);
      break;
    }
    case CommandKind::layers: {
      if (args != 2) return fail(name, usage());
      const auto a = to_int(words[1]), b = to_int(words[2]);
      if (!a || !b || *a < 0 || *b < 0 || *a > 100000 || *b > 100000)
        return fail(name, fmt::format("layers: expected two layer numbers >= 0, found '{} {}'",
                                      words[1], words[2]));
      if (*a > *b) return fail(name, fmt::format("layers: expected A <= B, found {} > {}", *a, *b));
      c.a = static_cast<int>(*a);
      c.b = static_cast<int>(*b);
      break;
    }
    case CommandKind::prompt:
      if (rest.empty()) return fail(name, usage());
      c.text = std::string(rest);
      break;
    case CommandKind::section:
    case CommandKind::pattern:
    case CommandKind::mute:
    case CommandKind::solo:
    case CommandKind::model:
      if (args != 1) return fail(name, usage());
      c.text = words[1];
      break;
    case CommandKind::tempo: {
      if (args != 1) return fail(name, usage());
      const auto v = to_double(words[1]);
      if (!v || *v < kMinBpm || *v > kMaxBpm)
        return fail(name, fmt::format("tempo: expected BPM in [{}, {}], found '{}'", kMinBpm,
                                      kMaxBpm, words[1]));
      c.bpm = *v;
      break;
    }
    case CommandKind::quant: {
      if (args != 1) return fail(name, usage());
      const std::string& q = words[1];
      if (q == "now") {
        c.a = 0;
      } else if (q == "beat") {
        c.a = 1;
      } else if (q == "bar") {
        c.a = -1;
      } else {
        const auto n = to_int(q);
        if (!n || *n < 1 || *n > 1024)
          return fail(name, fmt::format("quant: expected now, beat, bar or a number of beats "
                                        "in [1, 1024], found '{}'",
                                        q));
        c.a = static_cast<int>(*n);
      }
      break;
    }
    case CommandKind::reload:
    case CommandKind::status:
    case CommandKind::panic:
      if (args != 0) return fail(name, usage());
      break;
  }
  return {c, name, ""};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string known(const std::vector<std::string>& v) {
  return fmt::format("{}", fmt::join(v, ", "));
}

}  // namespace

std::string_view command_name(CommandKind k) {
  return kSpecs[static_cast<std::size_t>(k)].name;
}
std::string_view command_usage(CommandKind k) {
  return kSpecs[static_cast<std::size_t>(k)].usage;
}

const std::vector<CommandKind>& all_commands() {
  static const std::vector<CommandKind> all = [] {
    std::vector<CommandKind> v;
    for (const auto& s : kSpecs) v.push_back(s.kind);
    return v;
  }();
  return all;
}

ParseResult parse_command(std::string_view line) {
  line = trim(line);
  if (line.empty()) return fail("", "empty command");
  std::vector<std::string> words;
  std::size_t i = 0;
  std::string_view rest;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    if (words.size() == 1) rest = trim(line.substr(i));
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return build(words, rest);
}

ParseResult parse_command(const io::OscMessage& m) {
  constexpr std::string_view kPrefix = "/th/";
  if (m.address.rfind(kPrefix, 0) != 0 || m.address.size() == kPrefix.size())
    return fail("", fmt::format("address '{}' is not /th/<command>", m.address));
  std::vector<std::string> words{m.address.substr(kPrefix.size())};
  std::string rest;
  for (const auto& a : m.args) {
    std::string w;
    if (auto* i = std::get_if<std::int32_t>(&a))
      w = std::to_string(*i);
    else if (auto* h = std::get_if<std::int64_t>(&a))
      w = std::to_string(*h);
    else if (auto* f = std::get_if<float>(&a))
      w = fmt::format("{}", *f);
    else if (auto* d = std::get_if<double>(&a))
      w = fmt::format("{}", *d);
    else if (auto* s = std::get_if<std::string>(&a))
      w = *s;
    else
      return fail(words[0], fmt::format("{}: blob arguments are not accepted", words[0]));
    if (w.empty()) return fail(words[0], fmt::format("{}: empty argument", words[0]));
    rest += (rest.empty() ? "" : " ") + w;
    words.push_back(std::move(w));
  }
  // One OSC string argument may hold words (a prompt, a NAME): it stays one argument.
  return build(words, rest);
}

std::string command_line(const Command& c) {
  const std::string_view name = command_name(c.kind);
  switch (c.kind) {
    case CommandKind::layer:
      return fmt::format("{} {}", name, c.a);
    case CommandKind::layers:
      return fmt::format("{} {} {}", name, c.a, c.b);
    case CommandKind::tempo:
      return fmt::format("{} {}", name, c.bpm);
    case CommandKind::quant:
      return c.a == 0   ? "quant now"
             : c.a < 0  ? "quant bar"
             : c.a == 1 ? "quant beat"
                        : fmt::format("quant {}", c.a);
    case CommandKind::reload:
    case CommandKind::status:
    case CommandKind::panic:
      return std::string(name);
    default:
      return fmt::format("{} {}", name, c.text);
  }
}

std::string validate(const Command& c, const CommandContext& ctx) {
  switch (c.kind) {
    case CommandKind::layer:
    case CommandKind::layers:
      if (ctx.num_layers > 0 && c.b >= ctx.num_layers)
        return fmt::format("{}: the model has layers 0 to {}, found {}", command_name(c.kind),
                           ctx.num_layers - 1, c.b);
      break;
    case CommandKind::section:
      if (!ctx.sections.empty() && !contains(ctx.sections, c.text))
        return fmt::format("section: no section '{}' (known: {})", c.text, known(ctx.sections));
      break;
    case CommandKind::pattern:
      if (!ctx.patterns.empty() && !contains(ctx.patterns, c.text))
        return fmt::format("pattern: no pattern '{}' (known: {})", c.text, known(ctx.patterns));
      break;
    case CommandKind::mute:
    case CommandKind::solo:
      if (!ctx.instruments.empty() && !contains(ctx.instruments, c.text))
        return fmt::format("{}: no instrument or group '{}' (known: {})", command_name(c.kind),
                           c.text, known(ctx.instruments));
      break;
    default:
      break;
  }
  return "";
}

}  // namespace th::control
