#!/usr/bin/env bash
# Compose speed (issue 4: every genre composes from a cached FeatureStore in under a second on
# the 270M-shaped model). For each shipped session: `tensorhaus compose --model` the generated
# Gemma-3-270M-shaped folder once to fill the feature cache (weights, prompts, datasets), then
# three timed runs; reported per session: the composition itself (compose's own stderr line:
# `composition S s`, cached prompt/dataset features included), the model's features from the
# cache (`model features S s`), and the whole command's wall time (process start — libtorch
# is loaded only on a cache miss — MIDI and events.jsonl written). The thinking and dataset sessions need a tokenizer:
# the GPT-2 tokenizer.json of ../shared/data is linked into the bench model when present.
# Usage: bench/bench_compose.sh BUILD_DIR
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$BUILD/engine/app/tensorhaus
MODEL=out/bench/gemma270m
/usr/bin/python3 bench/make_gemma_model.py "$MODEL" --dtype bfloat16 >/dev/null
TOKENIZER=../shared/data/tokenizers/gpt2/tokenizer.json
if [[ -f $TOKENIZER ]]; then
  ln -sf "$(realpath "$TOKENIZER")" "$MODEL/tokenizer.json"
else
  echo "no $TOKENIZER: the thinking and dataset sessions are skipped"
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export TH_CACHE_DIR=${TH_BENCH_CACHE:-out/bench/cache}
echo "uptime at start: $(uptime)"
printf '%-10s %8s %14s %14s %10s\n' session events "composition s" "features s" "wall s"
for session in sessions/*.toml; do
  name=$(basename "$session" .toml)
  [[ $name == thinking || $name == dataset ]] && [[ ! -f $MODEL/tokenizer.json ]] && continue
  "$BIN" compose "$session" --model "$MODEL" --out "$OUT/$name" >/dev/null 2>&1
  : >"$OUT/runs"
  for _ in 1 2 3; do
    start=$(date +%s%N)
    "$BIN" compose "$session" --model "$MODEL" --out "$OUT/$name" >"$OUT/out" 2>"$OUT/err"
    end=$(date +%s%N)
    read -r f c < <(sed -n 's/^compose: model features \([0-9.]*\) s, composition \([0-9.]*\) s$/\1 \2/p' "$OUT/err")
    echo "$c $f $(( (end - start) / 1000000 ))" >>"$OUT/runs"
  done
  events=$(sed -n 's/^[^:]*: \([0-9]*\) events.*/\1/p' "$OUT/out")
  awk -v n="$name" -v e="$events" 'NR == 1 || $1 < c { c = $1 } NR == 1 || $2 < f { f = $2 }
    NR == 1 || $3 < w { w = $3 } END { printf "%-10s %8s %14.3f %14.3f %10.2f\n", n, e, c, f, w / 1000 }' "$OUT/runs"
done
