#!/usr/bin/env bash
# Model-runtime benchmark: prompt forward with full capture (ours vs PyTorch eager, float32 and
# bfloat16, T = 64 and 512, each side with the logits of the last position only and of every
# position) on models/pocket and a generated model with Gemma-3-270M's shapes,
# the machine's matmul rate and read bandwidth, and KV-cache decoding, each case in its own
# process. Usage: bench/bench_model.sh BUILD_DIR. docs/benchmarks.md ("Model runtime") holds
# the figures. The machine's load matters: uptime is printed before and after.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
cmake --build "$BUILD" --target bench_model >/dev/null
GEMMA=out/bench/gemma270m
/usr/bin/python3 bench/make_gemma_model.py "$GEMMA" --dtype bfloat16 >/dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "before: $(uptime)"
/usr/bin/python3 bench/bench_model.py "$BUILD" "$GEMMA"
echo "after: $(uptime)"
