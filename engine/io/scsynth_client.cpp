#include "io/scsynth_client.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <vector>

#include "core/error.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"
#include "io/scsynth_commands.h"

namespace th::io {
namespace {

std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Commands scsynth completes asynchronously (answering /done): what follows must wait.
bool is_async(const std::string& address) {
  static constexpr std::array<std::string_view, 8> kAsync = {
      "/d_recv",      "/d_load", "/d_loadDir", "/b_alloc",
      "/b_allocRead", "/b_gen",  "/b_write",   "/b_read"};
  for (auto a : kAsync)
    if (address == a) return true;
  return false;
}

}  // namespace

ScsynthClient::ScsynthClient(UdpEndpoint server, Now now, std::int64_t dead_after_us)
    : server_(server), now_(now ? std::move(now) : Now(steady_us)), liveness_(dead_after_us) {
  liveness_.reset(now_());
}

bool ScsynthClient::send(const OscMessage& m) {
  const auto bytes = encode_message(m);
  return socket_.send_to(server_, bytes);
}

bool ScsynthClient::send_bundle(std::uint64_t timetag, std::span<const OscMessage> messages) {
  const auto bytes = encode_bundle(timetag, messages);
  return socket_.send_to(server_, bytes);
}

void ScsynthClient::handle(const ScsynthReply& r) {
  if (r.kind == ReplyKind::status) {
    last_status_ = r.status;
    liveness_.on_reply(now_());
  } else if (r.kind == ReplyKind::fail) {
    ++failures_;
    last_failure_ = r.command + ": " + r.error;
  }
}

bool ScsynthClient::await(int timeout_ms, const std::function<bool(const ScsynthReply&)>& pred) {
  std::array<std::byte, 8192> buf;
  const std::int64_t deadline = now_() + std::int64_t(timeout_ms) * 1000;
  for (;;) {
    const std::int64_t left_us = deadline - now_();
    const int wait = left_us > 0 ? static_cast<int>((left_us + 999) / 1000) : 0;
    UdpEndpoint from;
    const auto n = socket_.receive(buf, wait, &from);
    if (n) {
      if (!(from == server_)) continue;  // only the server's replies count
      auto packet = decode_packet(std::span<const std::byte>(buf.data(), *n), nullptr);
      if (packet) {
        for (const auto& tm : *packet) {
          auto r = parse_reply(tm.message, nullptr);
          if (!r) continue;
          handle(*r);
          if (pred && pred(*r)) return true;
        }
      }
    }
    if (now_() >= deadline) return false;
  }
}

std::optional<StatusReply> ScsynthClient::status(int timeout_ms) {
  send(sc::status());
  if (await(timeout_ms, [](const ScsynthReply& r) { return r.kind == ReplyKind::status; }))
    return last_status_;
  return std::nullopt;
}

bool ScsynthClient::wait_ready(int timeout_ms) {
  const std::int64_t deadline = now_() + std::int64_t(timeout_ms) * 1000;
  while (now_() < deadline)
    if (status(100)) return true;
  return false;
}

void ScsynthClient::sync(int timeout_ms) {
  const std::int32_t id = next_sync_++;
  send(sc::sync(id));
  if (!await(timeout_ms, [id](const ScsynthReply& r) {
        return r.kind == ReplyKind::synced && r.sync_id == id;
      }))
    throw Error(fmt::format("scsynth {}: no /synced within {} ms", server_.str(), timeout_ms), 1);
}

void ScsynthClient::notify(int timeout_ms) {
  send(sc::notify(true));
  // /done /notify, or /fail when this client was already registered (harmless).
  if (!await(timeout_ms, [](const ScsynthReply& r) {
        return (r.kind == ReplyKind::done || r.kind == ReplyKind::fail) && r.command == "/notify";
      }))
    throw Error(
        fmt::format("scsynth {}: no reply to /notify within {} ms", server_.str(), timeout_ms), 1);
}

void ScsynthClient::setup(std::span<const SynthDefFile> defs, const NrtScore& mix,
                          std::span<const OscMessage> cleanup, int timeout_ms) {
  // Whatever an earlier run of ours left on this server goes first (a /fail if none: ignored).
  for (const auto& m : cleanup) send(m);
  notify(timeout_ms);
  for (const auto& d : defs) send(sc::d_recv(d.bytes));
  sync(timeout_ms);
  std::vector<OscMessage> messages;
  for (const auto& b : mix.bundles())
    for (const auto& m : b.messages)
      if (m.address != "/d_recv") messages.push_back(m);  // loaded above
  run(messages, timeout_ms);
}

void ScsynthClient::run(std::span<const OscMessage> messages, int timeout_ms) {
  const std::uint64_t fails = failures_;
  bool pending_async = false;
  for (const auto& m : messages) {
    if (pending_async && !is_async(m.address)) {
      sync(timeout_ms);
      pending_async = false;
    }
    send(m);
    pending_async = pending_async || is_async(m.address);
  }
  sync(timeout_ms);
  if (failures_ != fails)
    throw Error(fmt::format("scsynth {}: {}", server_.str(), last_failure_), 1);
}

void ScsynthClient::poll(int wait_ms) {
  await(0, {});  // drain what arrived
  send(sc::status());
  // The whole wait, not just until the reply: a caller looping on poll() then asks once per
  // wait_ms instead of as fast as the server answers.
  if (wait_ms > 0) await(wait_ms, {});
}

}  // namespace th::io
