#!/usr/bin/env bash
# Offline render speed: the whole `tensorhaus render` (compose, schedule, scsynth -N, loudness,
# write) against `scsynth -N` alone on the score that render wrote (target: ≤ 1.25×), and the
# realtime factor of the demo set (target: ≥ 20×). Both wall and CPU seconds (user + sys,
# children included) are reported: on a shared machine the CPU figure is the stable one.
# Also: the CPU seconds of starting the executable at all (`tensorhaus --help`: dynamic
# linking and static initialisers, paid by every command) and the render's own phase timer.
# Usage: bench/bench_render.sh BUILD_DIR [SESSION]   (default sessions/demo.toml);
# TH_BENCH_MODEL=DIR renders with --model DIR.
set -euo pipefail
BUILD=${1:-build}
SESSION=${2:-sessions/demo.toml}
cd "$(dirname "$0")/.."
BIN=$BUILD/engine/app/tensorhaus
MODEL=()
[[ -n ${TH_BENCH_MODEL:-} ]] && MODEL=(--model "$TH_BENCH_MODEL")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up: fills the feature cache (weight analysis) so the timed run measures rendering.
"$BIN" render "$SESSION" "${MODEL[@]}" --out "$OUT/warm.wav" >/dev/null 2>&1
t() { /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$@" >"$OUT/out" 2>"$OUT/err" || { cat "$OUT/err" >&2; exit 1; }; cat "$OUT/time"; }
read -r rw ru rs < <(t "$BIN" render "$SESSION" "${MODEL[@]}" --out "$OUT/demo.wav" --score "$OUT/score.osc")
SECONDS_AUDIO=$(soxi -D "$OUT/demo.wav")
PHASES=$(grep '^time:' "$OUT/out" || true)
read -r _ hu hs < <(t "$BIN" --help)
read -r sw su ss < <(t scsynth -D 0 -V -1 -i 0 -o 2 -N "$OUT/score.osc" _ "$OUT/alone.wav" 48000 WAV float)
awk -v hu="$hu" -v hs="$hs" -v rw="$rw" -v ru="$ru" -v rs="$rs" -v sw="$sw" -v su="$su" -v ss="$ss" -v a="$SECONDS_AUDIO" \
    -v s="$SESSION" 'BEGIN {
  rc = ru + rs; sc = su + ss;
  printf "session %s: %.1f s of audio\n", s, a;
  printf "render command : wall %6.2f s  cpu %6.2f s  realtime ×%.1f (wall) ×%.1f (cpu)\n", rw, rc, a / rw, a / rc;
  printf "scsynth -N only: wall %6.2f s  cpu %6.2f s\n", sw, sc;
  printf "render / scsynth: %.2f× (wall) %.2f× (cpu)   target ≤ 1.25×\n", rw / sw, rc / sc;
  printf "engine share: cpu %.2f s, of which process start (tensorhaus --help) %.2f s\n", rc - sc, hu + hs;
}'
echo "render's own timer: ${PHASES#time: }"
echo "load average: before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)"
