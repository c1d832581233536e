#!/usr/bin/env bash
# Command-to-sound latency per quantization (issue 6, "Measured"), in the recording of a live
# set on a private scsynth: bench/bench_latency.py explains the method.
# Usage: bench/bench_latency.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/bench_latency.py "$BUILD/engine/app/tensorhaus" out/bench/latency
