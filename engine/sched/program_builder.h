// Composition → Program: the one conversion offline renders and live sets share.
// Contract: the program holds every event of the composition and its sections. A looping
// program may start at any beat `start` of the composition: the composition is rotated so that
// `start` is program beat 0 (events before it come after the end, one loop later), which is how
// the live engine jumps to a section while keeping the whole set in the loop.
// Worker thread; allocates. Throws std::invalid_argument when start is outside [0, length).
#pragma once

#include <memory>

#include "music/composer.h"
#include "sched/program.h"

namespace th::sched {

std::unique_ptr<Program> make_program(const music::Composition& c, bool loop = false,
                                      Beats start = Beats(0));

// The composition's first tempo (120 when it has none). Thread-safe.
double initial_tempo(const music::Composition& c);

}  // namespace th::sched
