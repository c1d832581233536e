#!/usr/bin/env bash
# The main job on the embedded model: what `make demo` runs after the build.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN="$BUILD/engine/app/tensorhaus"
mkdir -p out
"$BIN" inspect --model models/pocket
