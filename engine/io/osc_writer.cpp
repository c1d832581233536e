#include "io/osc_writer.h"

#include <osc/OscException.h>
#include <osc/OscOutboundPacketStream.h>

#include <limits>
#include <new>
#include <string>

#include "core/error.h"

namespace th::io {
namespace {

using Stream = osc::OutboundPacketStream;

Stream& stream(unsigned char* storage) {
  return *std::launder(reinterpret_cast<Stream*>(storage));
}
const Stream& stream(const unsigned char* storage) {
  return *std::launder(reinterpret_cast<const Stream*>(storage));
}

// oscpack reports misuse and overflow with its own exception types; callers see th::Error.
template <typename F>
void guarded(F&& f) {
  try {
    f();
  } catch (const osc::Exception& e) {
    throw Error(std::string("OSC encoder: ") + e.what(), 1);
  }
}

std::size_t encoded_size(const OscMessage& m) {
  auto pad = [](std::size_t n) { return (n + 4) & ~std::size_t{3}; };  // string + NUL, aligned
  std::size_t n = pad(m.address.size()) + pad(m.args.size() + 1);
  for (const auto& a : m.args) {
    if (auto* s = std::get_if<std::string>(&a)) {
      n += pad(s->size());
    } else if (auto* b = std::get_if<OscBlob>(&a)) {
      n += 4 + ((b->bytes.size() + 3) & ~std::size_t{3});
    } else {
      n += 8;
    }
  }
  return n;
}

}  // namespace

OscPacketWriter::OscPacketWriter(char* buffer, std::size_t capacity) {
  static_assert(sizeof(Stream) <= kStreamStorage, "raise kStreamStorage");
  static_assert(alignof(Stream) <= alignof(std::max_align_t));
  new (stream_) Stream(buffer, capacity);
}

OscPacketWriter::~OscPacketWriter() {
  stream(stream_).~Stream();
}

OscPacketWriter& OscPacketWriter::begin_bundle(std::uint64_t timetag) {
  guarded([&] { stream(stream_) << osc::BeginBundle(timetag); });
  return *this;
}
OscPacketWriter& OscPacketWriter::end_bundle() {
  guarded([&] { stream(stream_) << osc::EndBundle; });
  return *this;
}
OscPacketWriter& OscPacketWriter::begin_message(const char* address) {
  guarded([&] { stream(stream_) << osc::BeginMessage(address); });
  return *this;
}
OscPacketWriter& OscPacketWriter::end_message() {
  guarded([&] { stream(stream_) << osc::EndMessage; });
  return *this;
}
OscPacketWriter& OscPacketWriter::add(std::int32_t v) {
  guarded([&] { stream(stream_) << static_cast<osc::int32>(v); });
  return *this;
}
OscPacketWriter& OscPacketWriter::add(std::int64_t v) {
  guarded([&] { stream(stream_) << static_cast<osc::int64>(v); });
  return *this;
}
OscPacketWriter& OscPacketWriter::add(float v) {
  guarded([&] { stream(stream_) << v; });
  return *this;
}
OscPacketWriter& OscPacketWriter::add(double v) {
  guarded([&] { stream(stream_) << v; });
  return *this;
}
OscPacketWriter& OscPacketWriter::add(const char* s) {
  guarded([&] { stream(stream_) << s; });
  return *this;
}
OscPacketWriter& OscPacketWriter::add_blob(const void* data, std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<osc::int32>::max() - 4))
    throw Error("OSC encoder: blob too large", 1);
  guarded([&] {
    stream(stream_) << osc::Blob(data, static_cast<osc::osc_bundle_element_size_t>(size));
  });
  return *this;
}

OscPacketWriter& OscPacketWriter::add(const OscMessage& m) {
  auto check = [&](const std::string& s) {
    if (s.find('\0') != std::string::npos)
      throw Error("OSC encoder: " + m.address + ": string with an embedded NUL", 1);
  };
  check(m.address);
  for (const auto& a : m.args)
    if (auto* s = std::get_if<std::string>(&a)) check(*s);
  begin_message(m.address.c_str());
  for (const auto& a : m.args) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            add(v.c_str());
          } else if constexpr (std::is_same_v<T, OscBlob>) {
            add_blob(v.bytes.data(), v.bytes.size());
          } else {
            add(v);
          }
        },
        a);
  }
  return end_message();
}

void OscPacketWriter::clear() {
  stream(stream_).Clear();
}

std::span<const std::byte> OscPacketWriter::bytes() const {
  const Stream& s = stream(stream_);
  return {reinterpret_cast<const std::byte*>(s.Data()), s.Size()};
}

std::size_t OscPacketWriter::size() const {
  return stream(stream_).Size();
}

std::vector<std::byte> encode_message(const OscMessage& m) {
  std::vector<char> buf(encoded_size(m) + 64);
  OscPacketWriter w(buf.data(), buf.size());
  w.add(m);
  auto b = w.bytes();
  return {b.begin(), b.end()};
}

std::vector<std::byte> encode_bundle(std::uint64_t timetag, std::span<const OscMessage> messages) {
  std::size_t n = 16 + 16;
  for (const auto& m : messages) n += 64 + encoded_size(m);
  std::vector<char> buf(n);
  OscPacketWriter w(buf.data(), buf.size());
  w.begin_bundle(timetag);
  for (const auto& m : messages) w.add(m);
  w.end_bundle();
  auto b = w.bytes();
  return {b.begin(), b.end()};
}

}  // namespace th::io
