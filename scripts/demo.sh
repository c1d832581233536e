#!/usr/bin/env bash
# The main job on the embedded model, run by `make demo` after the build: the pocket model
# writes, is measured, and is heard. Everything lands in out/.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN="$BUILD/engine/app/tensorhaus"
MODEL=models/pocket
mkdir -p out

echo "== the pocket model writes"
"$BIN" generate --model "$MODEL" --prompt "And God said" --max-new 48 --greedy | tee out/generated.txt

echo "== one forward pass, captured"
"$BIN" activations --model "$MODEL" --prompt "In the beginning was the Word" --out out/activations.safetensors

echo "== its weights, measured (pictures in out/analysis/)"
"$BIN" analyze --model "$MODEL" --out out/report.json --plots out/analysis

echo "== the demo set, composed (MIDI + events + pictures) and rendered (master + stems)"
"$BIN" compose sessions/demo.toml --model "$MODEL" --out out --pictures out
"$BIN" render sessions/demo.toml --model "$MODEL" --out out/demo.wav --stems out/stems

echo "== done: out/demo.wav, out/stems/, out/demo.mid, out/events.jsonl, out/report.json, out/generated.txt"
echo "   pictures: out/demo_piano_roll.png, out/demo_features.png, out/analysis/*.png"
