// Validating OSC decoder for packets that arrive from the network (scsynth replies).
// Contract: never reads outside the given bytes, never trusts a size field, rejects anything
// that is not well-formed OSC 1.0 (alignment, NUL padding, type tags i h f d s b, bundle
// element sizes, nesting depth) with a one-line reason instead of throwing. Allocates (the
// decoded values own their strings); for the I/O thread, not the scheduler.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/osc_types.h"

namespace th::io {

// Decodes one OSC message (not a bundle). On failure returns nullopt and, if why != nullptr,
// sets *why. Thread-safe; allocates.
std::optional<OscMessage> decode_message(std::span<const std::byte> packet, std::string* why);

// Decodes a message or a (nested) bundle into its messages in packet order, each with the
// timetag of its innermost bundle (kOscImmediate for a bare message). Thread-safe; allocates.
std::optional<std::vector<OscTimedMessage>> decode_packet(std::span<const std::byte> packet,
                                                          std::string* why);

}  // namespace th::io
