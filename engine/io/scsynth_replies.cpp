#include "io/scsynth_replies.h"

#include <array>
#include <string_view>
#include <utility>

namespace th::io {
namespace {

const std::array<std::pair<std::string_view, ReplyKind>, 10> kKinds{{
    {"/done", ReplyKind::done},
    {"/fail", ReplyKind::fail},
    {"/status.reply", ReplyKind::status},
    {"/synced", ReplyKind::synced},
    {"/n_go", ReplyKind::n_go},
    {"/n_end", ReplyKind::n_end},
    {"/n_off", ReplyKind::n_off},
    {"/n_on", ReplyKind::n_on},
    {"/n_move", ReplyKind::n_move},
    {"/n_info", ReplyKind::n_info},
}};

std::optional<ScsynthReply> reject(std::string* why, const OscMessage& m, std::string_view what) {
  if (why) *why = m.address + ": " + std::string(what);
  return std::nullopt;
}

template <typename T>
const T* arg(const OscMessage& m, std::size_t i) {
  return i < m.args.size() ? std::get_if<T>(&m.args[i]) : nullptr;
}

// Sample rates arrive as float64 from scsynth 3.x; older servers send float32.
bool real_arg(const OscMessage& m, std::size_t i, double& out) {
  if (auto* d = arg<double>(m, i)) return out = *d, true;
  if (auto* f = arg<float>(m, i)) return out = *f, true;
  return false;
}

}  // namespace

std::optional<ScsynthReply> parse_reply(const OscMessage& m, std::string* why) {
  ScsynthReply r;
  r.address = m.address;
  for (const auto& [addr, kind] : kKinds)
    if (m.address == addr) r.kind = kind;
  switch (r.kind) {
    case ReplyKind::done:
    case ReplyKind::fail: {
      auto* cmd = arg<std::string>(m, 0);
      if (!cmd) return reject(why, m, "expected the command name (string) as argument 1");
      r.command = *cmd;
      if (r.kind == ReplyKind::fail) {
        auto* err = arg<std::string>(m, 1);
        if (!err) return reject(why, m, "expected the error text (string) as argument 2");
        r.error = *err;
      }
      return r;
    }
    case ReplyKind::status: {
      if (m.args.size() != 9) return reject(why, m, "expected 9 arguments");
      std::int32_t* ints[] = {&r.status.ugens, &r.status.synths, &r.status.groups,
                              &r.status.synthdefs};
      for (std::size_t i = 0; i < 4; ++i) {
        auto* v = arg<std::int32_t>(m, i + 1);
        if (!v) return reject(why, m, "expected int32 counts in arguments 2-5");
        *ints[i] = *v;
      }
      auto* avg = arg<float>(m, 5);
      auto* peak = arg<float>(m, 6);
      if (!avg || !peak) return reject(why, m, "expected float32 CPU loads in arguments 6-7");
      r.status.avg_cpu = *avg;
      r.status.peak_cpu = *peak;
      if (!real_arg(m, 7, r.status.nominal_sample_rate) ||
          !real_arg(m, 8, r.status.actual_sample_rate))
        return reject(why, m, "expected sample rates in arguments 8-9");
      return r;
    }
    case ReplyKind::synced: {
      auto* id = arg<std::int32_t>(m, 0);
      if (!id || m.args.size() != 1) return reject(why, m, "expected one int32 sync id");
      r.sync_id = *id;
      return r;
    }
    case ReplyKind::other:
      return r;
    default: {  // node notifications
      if (m.args.size() != 5 && m.args.size() != 7)
        return reject(why, m, "expected 5 or 7 int32 arguments");
      std::int32_t v[7] = {0, 0, 0, 0, 0, -1, -1};
      for (std::size_t i = 0; i < m.args.size(); ++i) {
        auto* p = arg<std::int32_t>(m, i);
        if (!p) return reject(why, m, "expected int32 arguments");
        v[i] = *p;
      }
      if (v[4] != 0 && v[4] != 1) return reject(why, m, "is-group flag must be 0 or 1");
      if ((v[4] == 1) != (m.args.size() == 7))
        return reject(why, m, "groups carry head and tail, synths do not");
      r.node = {v[0], v[1], v[2], v[3], v[4] == 1, v[5], v[6]};
      return r;
    }
  }
}

}  // namespace th::io
