#!/usr/bin/env bash
# Activation features for 100 prompts of 64 tokens (issue 3, "Speed"): prompts/s on the embedded
# pocket model and on a model with Gemma-3-270M's exact shapes (bench/make_gemma_model.py).
# Usage: bench/bench_activations.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "uptime: $(uptime)"
/usr/bin/python3 bench/make_gemma_model.py out/bench/gemma270m --dtype bfloat16
"$BUILD/bench/bench_activations" models/pocket 100 64
"$BUILD/bench/bench_activations" out/bench/gemma270m 100 64
