#include "io/nrt_score.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.h"
#include "io/osc_reader.h"
#include "io/osc_writer.h"

namespace th::io {
namespace {

void check_time(double s) {
  // 2^32 s is where the NTP seconds field wraps.
  if (!std::isfinite(s) || s < 0 || s >= 4294967296.0)
    throw Error(
        "NRT score: event time must be a finite number of seconds >= 0, got " + std::to_string(s),
        1);
}

void put_be32(std::vector<std::byte>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::byte((v >> shift) & 0xff));
}

}  // namespace

void NrtScore::add(double seconds, OscMessage message) {
  check_time(seconds);
  auto it = std::lower_bound(bundles_.begin(), bundles_.end(), seconds,
                             [](const Bundle& b, double t) { return b.seconds < t; });
  if (it == bundles_.end() || it->seconds != seconds) it = bundles_.insert(it, Bundle{seconds, {}});
  it->messages.push_back(std::move(message));
}

void NrtScore::add(double seconds, std::span<const OscMessage> messages) {
  for (const auto& m : messages) add(seconds, m);
}

void NrtScore::set_end(double seconds) {
  check_time(seconds);
  end_ = seconds;
}

double NrtScore::end() const {
  if (end_ >= 0) return end_;
  return bundles_.empty() ? 0.0 : bundles_.back().seconds;
}

std::vector<std::byte> NrtScore::serialize() const {
  const double stop = end();
  std::vector<std::byte> out;
  auto append = [&](std::uint64_t tt, std::span<const OscMessage> ms) {
    auto b = encode_bundle(tt, ms);
    put_be32(out, static_cast<std::uint32_t>(b.size()));
    out.insert(out.end(), b.begin(), b.end());
  };
  for (const auto& b : bundles_) {
    if (b.seconds > stop)
      throw Error("NRT score: an event at " + std::to_string(b.seconds) +
                      " s lies after the end (" + std::to_string(stop) + " s)",
                  1);
    append(seconds_to_timetag(b.seconds), b.messages);
  }
  // scsynth renders until the last bundle's time; an empty bundle can't carry a command, so
  // the end marker holds a harmless /c_set of control bus 0.
  const OscMessage marker{"/c_set", {std::int32_t{0}, 0.0f}};
  append(seconds_to_timetag(stop), std::span(&marker, 1));
  return out;
}

void NrtScore::write(const std::filesystem::path& path) const {
  auto bytes = serialize();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error("NRT score: cannot write " + path.string(), 1);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error("NRT score: write failed: " + path.string(), 1);
}

std::vector<OscTimedMessage> read_nrt_score(std::span<const std::byte> score) {
  std::vector<OscTimedMessage> out;
  std::size_t pos = 0;
  while (pos < score.size()) {
    if (score.size() - pos < 4) throw Error("NRT score: truncated size field", 1);
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | std::to_integer<std::uint32_t>(score[pos + i]);
    pos += 4;
    if (n > score.size() - pos) throw Error("NRT score: bundle size runs past the end", 1);
    auto part = score.subspan(pos, n);
    if (part.size() < 8 || std::memcmp(part.data(), "#bundle", 8) != 0)
      throw Error("NRT score: element at byte " + std::to_string(pos) + " is not a bundle", 1);
    std::string why;
    auto msgs = decode_packet(part, &why);
    if (!msgs) throw Error("NRT score: bad bundle at byte " + std::to_string(pos) + ": " + why, 1);
    out.insert(out.end(), msgs->begin(), msgs->end());
    pos += n;
  }
  return out;
}

}  // namespace th::io
