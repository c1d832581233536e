#!/usr/bin/env bash
# The whole test suite on a built tree: ctest (unit, golden and integration tests).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
ctest --test-dir "$BUILD" --output-on-failure -j 2 --timeout 900
