#!/usr/bin/env bash
# Link beat grid (issue 6, "Measured"; target: error <= 0.1 ms): `tensorhaus live
# sessions/acid.toml --link` plays for 20 s into a stand-in scsynth inside a loopback-only network
# namespace while the bench, itself a Link peer, owns the session (120 BPM, then 140 BPM after
# 10 s of notes). Every /s_new bundle's timetag is placed on the peer's beat grid; the summary goes
# to stdout (bench/run.sh keeps it in out/bench/bench_link_grid.txt), one CSV row per bundle to
# out/bench/link_grid_bundles.csv. Needs root (unshare -n).
# Usage: bench/bench_link_grid.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p out/bench
echo "uptime at start: $(uptime)"
"$BUILD/bench/bench_link_grid" --tensorhaus "$BUILD/engine/app/tensorhaus" \
  --session sessions/acid.toml --seconds 20 --bpm 120 --to-bpm 140 --change-after 10 \
  --csv out/bench/link_grid_bundles.csv
