#!/usr/bin/env bash
# Live soak (issue 6, "Measured"): `tensorhaus live` plays sessions/demo.toml on its own scsynth
# (dummy JACK) at the default 50 ms lookahead for SOAK_SECONDS (default 600) while both cores run
# forward passes in the background (bench_activations on the 270M-shaped model, in a loop).
# Reported: scsynth's `late` reports, packets the kernel refused, the scheduler's late onsets
# and the distribution of how far ahead bundles left (timetag − send time).
# Usage: bench/bench_live_soak.sh BUILD_DIR        (SOAK_SECONDS=60 for a quick look)
set -euo pipefail
BUILD=${1:-build}
SECONDS_TO_PLAY=${SOAK_SECONDS:-600}
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/make_gemma_model.py out/bench/gemma270m --dtype bfloat16 >/dev/null
load_pids=()
cleanup() { for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in 1 2; do
  (while true; do "$BUILD/bench/bench_activations" out/bench/gemma270m 20 64 >/dev/null; done) &
  load_pids+=($!)
done
echo "uptime at start: $(uptime)"
echo "playing sessions/demo.toml for ${SECONDS_TO_PLAY} s, lookahead 50 ms, 2 background forward loops"
"$BUILD/engine/app/tensorhaus" live sessions/demo.toml --boot-scsynth --lookahead-ms 50 \
  --control-port 0 --duration "$SECONDS_TO_PLAY" </dev/null 2>/dev/null
echo "uptime at end: $(uptime)"
