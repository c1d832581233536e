// The genre table: name, one-line description, generator. Adding a genre = one row here and
// one genre_<name>.cpp.
#include "music/genres.h"

#include "music/genre_common.h"

namespace th::music {

std::vector<Genre> builtin_genres() {
  return {
      {"acid", "TB-303 pattern per layer over a 909 kit (138 BPM)", generate_acid},
      {"house", "chords, bass, arp and lead in four parts over four modes (128 BPM)",
       generate_house},
      {"opera", "four acts: overture, q/k/v/o canon, tension climax, Frobenius epilogue (66 BPM)",
       generate_opera},
      {"suite", "five movements: embedding, attention, MLP, norms, Frobenius norms",
       generate_suite},
      {"thinking", "one prompt through every layer, each token a voice (sines or operatic)",
       generate_thinking},
      {"dataset",
       "a prompt dataset as a spectrum: one segment per prompt, one partial per "
       "most-variable dimension",
       generate_dataset},
  };
}

}  // namespace th::music
