// OSC encoder for scsynth messages and bundles (OSC 1.0: big-endian, 4-byte aligned).
// Contract: OscPacketWriter writes into a buffer owned by the caller and never allocates, so
// the scheduler can build timestamped bundles in steady state; it throws th::Error when the
// buffer is too small or the calls are out of order (begin/end mismatched). The encode_*
// helpers return fresh byte vectors for worker-thread use (NRT scores, tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/osc_types.h"

namespace th::io {

class OscPacketWriter {
 public:
  // Realtime-safe; not thread-safe (one writer per thread). buffer must outlive the writer and
  // be 4-byte aligned in size; capacity is the usable size in bytes.
  OscPacketWriter(char* buffer, std::size_t capacity);
  ~OscPacketWriter();
  OscPacketWriter(const OscPacketWriter&) = delete;
  OscPacketWriter& operator=(const OscPacketWriter&) = delete;

  // All members below: realtime-safe unless they throw (buffer overflow, misuse);
  // not thread-safe.
  OscPacketWriter& begin_bundle(std::uint64_t timetag);
  OscPacketWriter& end_bundle();
  OscPacketWriter& begin_message(const char* address);
  OscPacketWriter& end_message();
  OscPacketWriter& add(std::int32_t v);
  OscPacketWriter& add(std::int64_t v);
  OscPacketWriter& add(float v);
  OscPacketWriter& add(double v);
  OscPacketWriter& add(const char* s);  // OSC string: must not contain NUL
  OscPacketWriter& add_blob(const void* data, std::size_t size);
  // A whole message: begin_message, its args, end_message. Throws th::Error on a string with
  // an embedded NUL.
  OscPacketWriter& add(const OscMessage& m);
  // Starts over on the same buffer.
  void clear();
  // The finished packet so far (complete once every begin has its end).
  std::span<const std::byte> bytes() const;
  std::size_t size() const;

 private:
  static constexpr std::size_t kStreamStorage = 128;
  alignas(std::max_align_t) unsigned char stream_[kStreamStorage];
};

// One message as a packet. Thread-safe; allocates.
std::vector<std::byte> encode_message(const OscMessage& m);
// One bundle holding messages. Thread-safe; allocates.
std::vector<std::byte> encode_bundle(std::uint64_t timetag, std::span<const OscMessage> messages);

}  // namespace th::io
