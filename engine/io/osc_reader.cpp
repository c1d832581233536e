#include "io/osc_reader.h"

#include <bit>
#include <cstring>
#include <string_view>

namespace th::io {
namespace {

constexpr int kMaxBundleDepth = 8;

// A cursor over untrusted bytes: every read checks the remaining length first.
class Cursor {
 public:
  explicit Cursor(std::span<const std::byte> b) : b_(b) {}
  std::size_t left() const { return b_.size() - pos_; }
  bool done() const { return pos_ == b_.size(); }

  bool u32(std::uint32_t& v) {
    if (left() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(b_[pos_ + i]);
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::uint32_t hi = 0, lo = 0;
    if (left() < 8) return false;
    u32(hi);
    u32(lo);
    v = (std::uint64_t{hi} << 32) | lo;
    return true;
  }
  // OSC string: bytes up to a NUL, then NUL padding to a multiple of 4.
  bool str(std::string& s) {
    if (left() == 0) return false;
    const std::byte* p = b_.data() + pos_;
    const void* nul = std::memchr(p, 0, left());
    if (!nul) return false;
    std::size_t len = static_cast<const std::byte*>(nul) - p;
    std::size_t padded = (len + 4) & ~std::size_t{3};
    if (padded > left()) return false;
    for (std::size_t i = len; i < padded; ++i)
      if (p[i] != std::byte{0}) return false;
    s.assign(reinterpret_cast<const char*>(p), len);
    pos_ += padded;
    return true;
  }
  bool blob(OscBlob& out) {
    std::uint32_t n = 0;
    if (!u32(n)) return false;
    if (n > 0x7fffffffu) return false;
    std::size_t padded = (std::size_t{n} + 3) & ~std::size_t{3};
    if (padded > left()) return false;
    out.bytes.assign(b_.begin() + pos_, b_.begin() + pos_ + n);
    for (std::size_t i = n; i < padded; ++i)
      if (b_[pos_ + i] != std::byte{0}) return false;
    pos_ += padded;
    return true;
  }
  std::span<const std::byte> take(std::size_t n) {
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

bool fail(std::string* why, std::string_view reason) {
  if (why) *why = std::string(reason);
  return false;
}

bool message(std::span<const std::byte> packet, OscMessage& m, std::string* why) {
  if (packet.size() % 4 != 0) return fail(why, "OSC message size is not a multiple of 4");
  Cursor c(packet);
  if (!c.str(m.address)) return fail(why, "OSC address is not a padded string");
  if (m.address.empty() || m.address[0] != '/') return fail(why, "OSC address must start with '/'");
  std::string tags;
  // OSC 1.0 allowed old senders to omit the type tags; scsynth never does, so we require them.
  if (!c.str(tags) || tags.empty() || tags[0] != ',')
    return fail(why, "OSC type tag string must start with ','");
  for (char t : std::string_view(tags).substr(1)) {
    switch (t) {
      case 'i': {
        std::uint32_t v;
        if (!c.u32(v)) return fail(why, "truncated int32 argument");
        m.args.emplace_back(static_cast<std::int32_t>(v));
        break;
      }
      case 'f': {
        std::uint32_t v;
        if (!c.u32(v)) return fail(why, "truncated float32 argument");
        m.args.emplace_back(std::bit_cast<float>(v));
        break;
      }
      case 'h': {
        std::uint64_t v;
        if (!c.u64(v)) return fail(why, "truncated int64 argument");
        m.args.emplace_back(static_cast<std::int64_t>(v));
        break;
      }
      case 'd': {
        std::uint64_t v;
        if (!c.u64(v)) return fail(why, "truncated float64 argument");
        m.args.emplace_back(std::bit_cast<double>(v));
        break;
      }
      case 's': {
        std::string s;
        if (!c.str(s)) return fail(why, "bad string argument");
        m.args.emplace_back(std::move(s));
        break;
      }
      case 'b': {
        OscBlob b;
        if (!c.blob(b)) return fail(why, "bad blob argument");
        m.args.emplace_back(std::move(b));
        break;
      }
      default:
        return fail(why, std::string("unsupported OSC type tag '") + t + "'");
    }
  }
  if (!c.done()) return fail(why, "trailing bytes after the last OSC argument");
  return true;
}

bool is_bundle(std::span<const std::byte> p) {
  return p.size() >= 8 && std::memcmp(p.data(), "#bundle\0", 8) == 0;
}

bool packet(std::span<const std::byte> p, std::uint64_t timetag, int depth,
            std::vector<OscTimedMessage>& out, std::string* why) {
  if (!is_bundle(p)) {
    OscTimedMessage tm{timetag, {}};
    if (!message(p, tm.message, why)) return false;
    out.push_back(std::move(tm));
    return true;
  }
  if (depth >= kMaxBundleDepth) return fail(why, "OSC bundles nested too deeply");
  if (p.size() % 4 != 0) return fail(why, "OSC bundle size is not a multiple of 4");
  Cursor c(p);
  c.take(8);
  std::uint64_t tt = 0;
  if (!c.u64(tt)) return fail(why, "truncated bundle timetag");
  while (!c.done()) {
    std::uint32_t n = 0;
    if (!c.u32(n)) return fail(why, "truncated bundle element size");
    if (n == 0 || n % 4 != 0 || n > c.left()) return fail(why, "bad bundle element size");
    if (!packet(c.take(n), tt, depth + 1, out, why)) return false;
  }
  return true;
}

}  // namespace

std::optional<OscMessage> decode_message(std::span<const std::byte> p, std::string* why) {
  OscMessage m;
  if (is_bundle(p)) {
    fail(why, "expected an OSC message, found a bundle");
    return std::nullopt;
  }
  if (!message(p, m, why)) return std::nullopt;
  return m;
}

std::optional<std::vector<OscTimedMessage>> decode_packet(std::span<const std::byte> p,
                                                          std::string* why) {
  std::vector<OscTimedMessage> out;
  if (!packet(p, kOscImmediate, 0, out, why)) return std::nullopt;
  return out;
}

}  // namespace th::io
