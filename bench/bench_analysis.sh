#!/usr/bin/env bash
# Whole-model singular spectra on a model with Gemma-3-270M's exact shapes (issue 3, "Speed"),
# side by side in one run:
#   1. the machine's matmul rate (float64 and float32) and the engine's singular_spectra over
#      every weight matrix (embed, q, k, v, o, gate, up, down × 18 layers), with the FLOPs the
#      method needs and achieved/needed at the measured float64 rate (target ≤ 2);
#   2. numpy's np.linalg.svd(compute_uv=False) over exactly the same float32 values: timed in
#      float32 (target: engine ≥ 8× faster), and in float64 as the reference every σ ≥ 1e-3·σ₁
#      must agree with to 1e-4 relative;
#   3. the whole `tensorhaus analyze` (every statistic, the JSON report), wall and CPU.
# The machine is shared (a niced training run and other people's builds run alongside): the
# figures are noisy, so `uptime` is printed before and after.
# numpy's threads: TH_NUMPY_THREADS=N sets OMP_NUM_THREADS for the numpy process only (default:
# numpy's own default, all cores). On an oversubscribed machine multi-threaded OpenBLAS inside
# LAPACK's many small BLAS-2 calls collapses (one 2048×640 float32 svd: 9.8 s wall with 2
# threads, 1.3 s with 1, at load ≈ 12), so the recorded figures say which setting they used.
# Usage: bench/bench_analysis.sh BUILD_DIR [REPEATS]
set -euo pipefail
BUILD=${1:-build}
REPEATS=${2:-2}
cd "$(dirname "$0")/.."
MODEL=out/bench/gemma270m
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "uptime before: $(uptime)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
/usr/bin/python3 bench/make_gemma_model.py "$MODEL" --dtype bfloat16

echo "-- engine"
"$BUILD/bench/bench_analysis_spectra" "$MODEL" "$OUT/ours.bin" "$REPEATS" | tee "$OUT/engine.txt"
echo "-- numpy"
status=0
NUMPY_ENV=()
[[ -n ${TH_NUMPY_THREADS:-} ]] && NUMPY_ENV=(env OMP_NUM_THREADS="$TH_NUMPY_THREADS")
echo "numpy threads: ${TH_NUMPY_THREADS:-default}"
"${NUMPY_ENV[@]}" /usr/bin/python3 bench/bench_analysis.py "$MODEL" "$OUT/ours.bin" | tee "$OUT/numpy.txt" || status=1

echo "-- tensorhaus analyze"
/usr/bin/time -f "%e %U %S" -o "$OUT/time" "$BUILD/engine/app/tensorhaus" analyze --model "$MODEL" \
  --out "$OUT/report.json" >/dev/null
read -r aw au as <"$OUT/time"
echo "tensorhaus analyze (every statistic + report): wall $aw s, cpu $(echo "$au + $as" | bc) s"

v() { sed -n "s/^$1 //p" "$OUT/$2.txt"; }
awk -v o="$(v ENGINE_SECONDS engine)" -v oc="$(v ENGINE_CPU_SECONDS engine)" \
    -v a="$(v NUMPY_F32_SECONDS numpy)" -v ac="$(v NUMPY_F32_CPU_SECONDS numpy)" \
    -v b="$(v NUMPY_F64_SECONDS numpy)" -v bc="$(v NUMPY_F64_CPU_SECONDS numpy)" 'BEGIN {
  printf "speed-up over numpy float32: %.1f× wall, %.1f× cpu  (target ≥ 8×: %s)\n",
         a / o, ac / oc, (a / o >= 8 ? "met" : "MISSED");
  printf "speed-up over numpy float64: %.1f× wall, %.1f× cpu\n", b / o, bc / oc }'
echo "uptime after: $(uptime)"
exit $status
