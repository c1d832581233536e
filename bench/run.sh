#!/usr/bin/env bash
# `make bench`: runs every benchmark. Each bench_*.sh gets the build folder as $1; each built
# bench_* executable that has no bench_*.sh of the same name runs as is. Results go to stdout
# and to out/bench/; docs/benchmarks.md records the figures and the commands that produced them.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p out/bench
status=0
for script in bench/bench_*.sh; do
  [[ -e $script ]] || continue
  echo "== $script"
  bash "$script" "$BUILD" | tee "out/bench/$(basename "$script" .sh).txt" || status=1
done
for exe in "$BUILD"/bench/bench_*; do
  [[ -x $exe && -f $exe ]] || continue
  [[ -e bench/$(basename "$exe").sh ]] && continue  # its script ran it, with arguments
  echo "== $exe"
  "$exe" | tee "out/bench/$(basename "$exe").txt" || status=1
done
exit $status
