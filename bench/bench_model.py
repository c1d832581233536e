#!/usr/bin/python3
"""Runs the model-runtime benchmark table (see bench/bench_model.sh), one process per case.

    bench/bench_model.py BUILD_DIR GEMMA270M_DIR

Environment: TH_BENCH_FULL=1 also times PyTorch eager in bfloat16 at T = 512 on the 270M model
(minutes per pass on CPUs without native bf16 GEMM); TH_BENCH_BUDGET caps the timed seconds per
case after its first timed pass (default 60).
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        sys.stderr.write(f"FAILED {' '.join(cmd)}\n{r.stderr}\n")
        return None
    line = [l for l in r.stdout.splitlines() if "=" in l][-1]
    return {k: v for k, v in (kv.split("=", 1) for kv in line.split())}


def shapes(folder):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    D, I, L, H = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["num_attention_heads"]
    KV, hd, V = c["num_key_value_heads"], c["head_dim"], c["vocab_size"]
    per_layer = H * hd * D + 2 * KV * hd * D + D * H * hd + 3 * D * I
    matmul_params = L * per_layer + V * D  # lm_head (tied: the embedding matrix)
    read_params = matmul_params + L * (4 * D + 2 * hd) + D  # + norms
    # Per layer, its sliding window (None: global), as the runtime reads config.json.
    win = c.get("sliding_window")
    if "layer_types" in c:
        windows = [win if t == "sliding_attention" else None for t in c["layer_types"]]
    else:
        pattern = c.get("sliding_window_pattern", 1)
        windows = [win if win and (l + 1) % pattern != 0 else None for l in range(L)]
    return {"L": L, "H": H, "hd": hd, "matmul_params": matmul_params, "head_params": V * D,
            "read_params": read_params, "windows": windows}


def visible_pairs(window, T):
    """(query, key) pairs a causal layer with this sliding window computes over T tokens."""
    return sum(min(i + 1, window or T) for i in range(T))


def flops(s, T, last):
    # 2·params·rows for the linear layers and lm_head (rows = T, or 1 for the lm_head when only
    # the last position's logits are computed), plus q·kᵀ and p·v over the (query, key) pairs the
    # causal mask and each layer's window leave: the work the model needs. (Torch's path, and
    # the runtime's in bfloat16, compute the full T×T square and mask it.)
    head_rows = 1 if last else T
    pairs = sum(visible_pairs(w, T) for w in s["windows"])
    return (2 * (s["matmul_params"] - s["head_params"]) * T + 2 * s["head_params"] * head_rows
            + 4 * s["H"] * s["hd"] * pairs)


def rate(r, T):
    return T / float(r["best_s"]) if r else float("nan")


def fmt_pair(a, b, T):
    """'last / all' tokens/s, each with its number of timed passes."""
    def one(r):
        return f"{rate(r, T):.1f} ({r['reps']})" if r else "-"
    return f"{one(a)} / {one(b)}"


def main():
    build, gemma = sys.argv[1], sys.argv[2]
    exe = os.path.join(build, "bench", "bench_model")
    torch_py = os.path.join(HERE, "bench_model_torch.py")
    full = os.environ.get("TH_BENCH_FULL") == "1"
    models = [("pocket", os.path.join(ROOT, "models", "pocket")), ("270M-shaped", gemma)]
    # The machine's rates are probed before and after the cases; the higher of each pair is the
    # bar (other load on the machine only ever lowers a probe).
    first = run([exe, "probe"])
    forward_rows, decode_rows = [], []
    # Each side runs twice: logits of the last position only (the runtime's default capture) and
    # of every position (the seed notebooks' full forward; the runtime's all_logits).
    head = ("| model | dtype | T | ours tok/s last / all | torch same dtype tok/s last / all | "
            "torch f32 tok/s last / all | ours ÷ torch same (last÷last) | ours ÷ torch f32 (last÷last) | "
            "ours last ÷ torch f32 all | ours all ÷ torch f32 all | GFLOP/pass last / all | "
            "ours GFLOP/s last | ÷ matmul rate | peak RSS (MB) ours last / all, torch last / all |")
    for name, folder in models:
        s = shapes(folder)
        torch_f32 = {}
        for dtype in ("float32", "bfloat16"):
            for T in (64, 512):
                # Best of many passes where a pass takes milliseconds (the pocket model: a
                # shared machine's hiccups last longer than a pass), of a few where it takes
                # a second.
                reps = ("50" if T == 64 else "20") if name == "pocket" else ("5" if T == 64 else "3")
                ours = {k: run([exe, "forward", folder, dtype, str(T), reps, k]) for k in ("last", "all")}
                skip = dtype == "bfloat16" and T == 512 and name != "pocket" and not full
                theirs = {k: None if skip else run(["/usr/bin/python3", torch_py, folder, dtype, str(T), reps, k])
                          for k in ("last", "all")}
                if dtype == "float32":
                    torch_f32[T] = theirs
                forward_rows.append((name, s, dtype, T, ours, theirs, torch_f32.get(T, {}), skip))
    # Decoding: three rounds per dtype, each a plain run (tokens/s, peak RSS) and a paired run in
    # which every step is followed by a read pass over the model's own files: the machine's read
    # rate moves by ±20 % from minute to minute here, and a step (~40 ms) is compared with a pass
    # over the same memory within the same tenth of a second.
    for dtype in ("float32", "bfloat16"):
        runs = []
        for _ in range(3):
            d = run([exe, "decode", gemma, dtype, "48"])
            p = run([exe, "decode", gemma, dtype, "48", "paired"])
            if d and p:
                runs.append((d, [tuple(map(float, x.split(":"))) for x in p["pairs"].split(",")]))
        decode_rows.append((dtype, runs))
    second = run([exe, "probe"])
    probe = {k: str(max(float(first.get(k, 0)), float(second.get(k, 0)))) for k in
             ("mm_f32_gflops", "mm_bf16_torch_gflops", "mm_bf16_runtime_gflops", "read_gbs",
              "read_avx2_gbs")}
    mrate = {"float32": float(probe["mm_f32_gflops"]),
             "bfloat16": max(float(probe["mm_bf16_torch_gflops"]), float(probe["mm_bf16_runtime_gflops"]))}
    print(f"matmul 1024³ (2 threads, best of the probes before/after): float32 {probe['mm_f32_gflops']} "
          f"GFLOP/s ({first['mm_f32_gflops']} / {second['mm_f32_gflops']}); bfloat16 torch::mm "
          f"{probe['mm_bf16_torch_gflops']} GFLOP/s, runtime's bf16 product "
          f"{probe['mm_bf16_runtime_gflops']} GFLOP/s; read bandwidth {probe['read_gbs']} GB/s "
          f"({first['read_gbs']} / {second['read_gbs']}), with AVX2 loads and prefetch "
          f"{probe['read_avx2_gbs']} GB/s ({first.get('read_avx2_gbs')} / {second.get('read_avx2_gbs')})")
    print()
    print(head)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, s, dtype, T, ours, theirs, tf, skip in forward_rows:
        # Best pass of each case: the least disturbed by other load on the machine.
        o, oa = rate(ours["last"], T), rate(ours["all"], T)
        t = rate(theirs["last"], T)
        fl, fa = rate(tf.get("last"), T), rate(tf.get("all"), T)
        gl, ga = flops(s, T, True) / 1e9, flops(s, T, False) / 1e9
        og = gl / float(ours["last"]["best_s"]) if ours["last"] else float("nan")
        th = "skipped (TH_BENCH_FULL=1)" if skip else fmt_pair(theirs["last"], theirs["all"], T)

        def rss(r):
            return r["peak_rss_mb"] if r else "-"
        print(f"| {name} | {dtype} | {T} | {fmt_pair(ours['last'], ours['all'], T)} | {th} | "
              f"{fmt_pair(tf.get('last'), tf.get('all'), T)} | {o / t:.2f}× | {o / fl:.2f}× | "
              f"{o / fa:.2f}× | {oa / fa:.2f}× | {gl:.2f} / {ga:.2f} | {og:.1f} | "
              f"{og / mrate[dtype]:.2f} | {rss(ours['last'])} / {rss(ours['all'])}, "
              f"{rss(theirs['last'])} / {rss(theirs['all'])} |")
    print()
    s = shapes(gemma)
    print("| decode, 270M-shaped | tok/s, best run (timed steps) | all runs | weights read per token | "
          "paired read passes, median GB/s | step ÷ paired pass, median per run | all pairs: median "
          "(10th–90th percentile) | best run ÷ best probe pass | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    with open(os.path.join(gemma, "config.json")) as f:
        stored_bf16 = json.load(f).get("torch_dtype") == "bfloat16"
    # The decode GEMV streams with AVX2 loads and prefetch like the AVX2 probe; the strict column
    # takes the faster probe.
    best_read = max(float(probe["read_gbs"]), float(probe["read_avx2_gbs"]))
    for dtype, runs in decode_rows:
        # The runtime keeps a BF16 checkpoint's matrices BF16 under float32 compute too.
        size = 2 if dtype == "bfloat16" or stored_bf16 else 4
        nbytes = s["read_params"] * size
        if not runs:
            print(f"| {dtype} | - | - | {nbytes / 1e6:.0f} MB | - | - | - | - | - |")
            continue
        best = max(runs, key=lambda r: float(r[0]["tok_s"]))[0]
        ratios = [[nbytes / (ms / 1e3) / (gbs * 1e9) for ms, gbs in pairs] for _, pairs in runs]
        every = sorted(x for r in ratios for x in r)
        pct = lambda q: every[min(len(every) - 1, int(q * len(every)))]
        print(f"| {dtype} | {float(best['tok_s']):.2f} ({best['steps']}) | "
              f"{' / '.join(d['tok_s'] for d, _ in runs)} | {nbytes / 1e6:.0f} MB | "
              f"{' / '.join(f'{statistics.median(g for _, g in pairs):.1f}' for _, pairs in runs)} | "
              f"{' / '.join(f'{statistics.median(r):.2f}' for r in ratios)} | "
              f"{statistics.median(every):.2f} ({pct(0.1):.2f}–{pct(0.9):.2f}) | "
              f"{float(best['tok_s']) * nbytes / (best_read * 1e9):.2f} | {best['peak_rss_mb']} |")

if __name__ == "__main__":
    main()
