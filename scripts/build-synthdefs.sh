#!/usr/bin/env bash
# Compiles sclang/synthdefs/*.scd into .scsyndef files with a headless sclang.
# Usage: scripts/build-synthdefs.sh [OUT_DIR]   (default: sclang/synthdefs/compiled, which is
# committed so rendering works without sclang). Exits non-zero on any error or timeout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/sclang/synthdefs/compiled}
command -v sclang >/dev/null || { echo "build-synthdefs: sclang not found (package supercollider-language)" >&2; exit 127; }
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$OUT" "$SCRATCH/home" "$SCRATCH/out"
# A fresh folder first, then replace: a failed build never leaves a half-written set behind.
set +e
HOME="$SCRATCH/home" XDG_RUNTIME_DIR="$SCRATCH/home" \
  QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \
  timeout 60 sclang "$ROOT/sclang/compile.scd" "$ROOT/sclang/synthdefs" "$SCRATCH/out" \
  >"$SCRATCH/log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  [[ $rc -eq 124 ]] && echo "build-synthdefs: sclang timed out after 60 s" >&2
  grep -v '^\(compiling\|Welcome\|NumPrimitives\|Found\|Compiling\|Read\|\s*$\)' "$SCRATCH/log" >&2 || true
  echo "build-synthdefs: failed (exit $rc)" >&2
  exit 1
fi
grep '^\(wrote\|compiled\)' "$SCRATCH/log" || true
rm -f "$OUT"/*.scsyndef
cp "$SCRATCH"/out/*.scsyndef "$OUT"/
