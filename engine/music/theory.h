// Scales, modes, chords and snapping, as the seed notebooks define them (SEED-SPEC §0, §1.1).
// Contract: modes are a data table; build_scale reproduces the seed's upward-only builder
// exactly, build_scale_span is the variant that also spans below the root, and snap breaks
// ties toward the lower note (NumPy argmin). Every function is thread-safe; those returning
// vectors allocate; unknown names throw th::InputError listing the valid ones.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace th::music {

// Semitone intervals of a named mode: major, natural_minor (alias minor, aeolian), dorian,
// phrygian, harmonic_minor, lydian, mixolydian, locrian, pentatonic_minor, pentatonic_major,
// whole_tone, chromatic, ionian.
std::span<const int> mode_intervals(std::string_view name);
// Every mode name in the table, in table order.
std::vector<std::string> mode_names();

// The seed's builder: {root + 12·o + s : o = 0..8, s ∈ intervals, lo <= note <= hi}, sorted,
// unique. It only goes upward from root: lo has no effect when root > lo.
std::vector<int> build_scale(int root, std::span<const int> intervals, int lo, int hi);
// Same pitch classes, every octave (also below root), within [lo, hi].
std::vector<int> build_scale_span(int root, std::span<const int> intervals, int lo, int hi);
// The nb02 Hz builder: {root·2^((12·o + s)/12) : o = 0..n_octaves−1}, sorted, unique.
std::vector<double> build_scale_hz(double root_hz, std::span<const int> intervals, int n_octaves);

// The element of the sorted, non-empty scale nearest to x; on a tie the lower one.
// Realtime-safe (no allocation). Throws std::invalid_argument on an empty scale.
double snap(double x, std::span<const double> scale);
int snap(double x, std::span<const int> scale);

// Chord qualities as interval lists (nb01 add_chord): major, minor, dim, aug, maj7, min7, dom7,
// sus2, sus4. Throws th::InputError for an unknown quality (the notebook silently fell back to
// major; call with "major" to get that).
std::span<const int> chord_intervals(std::string_view quality);

// Diatonic chord shapes built by stacking scale steps from a degree.
enum class ChordShape { triad, seventh, ninth, sus2, sus4 };
// The notes of the chord on `degree` (0-based, may exceed the mode length or be negative) of
// the mode on root, as MIDI numbers: triad = degrees d, d+2, d+4; seventh adds d+6; ninth adds
// d+8; sus2 = d, d+1, d+4; sus4 = d, d+3, d+4.
std::vector<int> diatonic_chord(int root, std::span<const int> intervals, int degree,
                                ChordShape shape);
// The note on scale degree d (0-based; wraps into higher or lower octaves).
int scale_degree(int root, std::span<const int> intervals, int degree);

// "C4" = 60, "a3" = 57, "F#2", "Bb1", "60" (a bare MIDI number). Throws th::InputError.
int note_from_name(std::string_view name);

}  // namespace th::music
