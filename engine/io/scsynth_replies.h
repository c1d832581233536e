// scsynth's replies, checked and typed. Contract: parse_reply accepts only the argument
// layouts scsynth 3.x documents for each reply (Server Command Reference) and names what is
// wrong otherwise; unknown addresses come back as ReplyKind::other. Allocates; I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/osc_types.h"

namespace th::io {

enum class ReplyKind {
  done,
  fail,
  status,
  synced,
  n_go,
  n_end,
  n_off,
  n_on,
  n_move,
  n_info,
  other
};

struct StatusReply {
  std::int32_t ugens = 0, synths = 0, groups = 0, synthdefs = 0;
  float avg_cpu = 0, peak_cpu = 0;
  double nominal_sample_rate = 0, actual_sample_rate = 0;
};

// /n_go, /n_end, /n_off, /n_on, /n_move, /n_info: node id, parent group, previous and next
// node (-1 if none), whether the node is a group (then head and tail nodes).
struct NodeReply {
  std::int32_t node = 0, parent = -1, prev = -1, next = -1;
  bool is_group = false;
  std::int32_t head = -1, tail = -1;
};

struct ScsynthReply {
  ReplyKind kind = ReplyKind::other;
  std::string address;
  std::string command;       // /done and /fail: the command that finished or failed
  std::string error;         // /fail: scsynth's message
  StatusReply status;        // /status.reply
  NodeReply node;            // /n_*
  std::int32_t sync_id = 0;  // /synced
};

// Thread-safe; allocates.
std::optional<ScsynthReply> parse_reply(const OscMessage& m, std::string* why);

}  // namespace th::io
