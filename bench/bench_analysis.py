#!/usr/bin/python3
"""numpy side of the analysis speed benchmark (bench/bench_analysis.sh).

Reads every weight matrix of a model folder (embed, q, k, v, o, gate, up, down of every layer)
with json + numpy only, converts BF16 to float32 exactly (bits << 16) and

  * times np.linalg.svd(x, compute_uv=False) over all of them in float32: the dtype the values
    have after conversion and numpy's faster path, so the harder baseline to beat;
  * computes the reference spectra with the same call in float64, because a float32 SVD is only
    accurate to about eps32·σ₁/σ (6e-5 relative at σ = 1e-3·σ₁), too close to the 1e-4
    tolerance to judge by;
  * compares the engine's spectra (written by bench_analysis_spectra) with the float64 reference:
    every σ ≥ 1e-3·σ₁ must agree to 1e-4 relative; prints the worst matrix.

    bench/bench_analysis.py MODEL_DIR OURS.bin [--skip-f32]
"""
import argparse
import json
import os
import re
import struct
import time

import numpy as np

ROLES = re.compile(r"model\.(embed_tokens|layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj))\.weight$")
TOL, FLOOR = 1e-4, 1e-3


def matrices(model_dir):
    """(name, float32 array) in file order for every analysed 2-D weight."""
    path = os.path.join(model_dir, "model.safetensors")
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = []
    for name, e in sorted((k, v) for k, v in header.items() if k != "__metadata__"):
        if not ROLES.match(name):
            continue
        a, b = e["data_offsets"]
        if e["dtype"] == "BF16":
            x = (np.frombuffer(raw[a:b], dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F32":
            x = np.frombuffer(raw[a:b], dtype=np.float32)
        else:
            raise SystemExit(f"{path}: {name}: dtype {e['dtype']} not handled by the benchmark")
        out.append((name, x.reshape(e["shape"])))
    return out


def read_ours(path):
    """The engine's spectra: repeated [u32 name length, name, u64 count, count × f64]."""
    ours = {}
    with open(path, "rb") as f:
        while head := f.read(4):
            name = f.read(struct.unpack("<I", head)[0]).decode()
            count = struct.unpack("<Q", f.read(8))[0]
            ours[name] = np.frombuffer(f.read(8 * count), dtype=np.float64)
    return ours


def timed_svd(mats, dtype):
    """(wall seconds, process CPU seconds, spectra)."""
    t0, c0 = time.perf_counter(), time.process_time()
    s = {name: np.linalg.svd(x.astype(dtype), compute_uv=False) for name, x in mats}
    return time.perf_counter() - t0, time.process_time() - c0, s


def worst(ours, ref):
    """(max relative error over σ ≥ FLOOR·σ₁, name, index) across all matrices."""
    w = (0.0, "", -1)
    for name, r in ref.items():
        o = ours[name]
        if o.shape != r.shape:
            raise SystemExit(f"{name}: engine gives {o.size} values, numpy {r.size}")
        keep = r >= FLOOR * r[0]
        rel = np.abs(o[keep] - r[keep]) / r[keep]
        i = int(np.argmax(rel))
        if rel[i] > w[0]:
            w = (float(rel[i]), name, i)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("ours")
    ap.add_argument("--skip-f32", action="store_true", help="only the float64 reference")
    a = ap.parse_args()
    mats = matrices(a.model)
    ours = read_ours(a.ours)
    missing = sorted(set(n for n, _ in mats) - set(ours))
    if missing:
        raise SystemExit(f"{a.ours}: no spectrum for {missing[:3]}")
    print(f"numpy {np.__version__}: {len(mats)} matrices")
    if not a.skip_f32:
        t32, c32, s32 = timed_svd(mats, np.float32)
        print(f"numpy svd(compute_uv=False) float32: wall {t32:8.2f} s  cpu {c32:8.2f} s")
    t64, c64, s64 = timed_svd(mats, np.float64)
    print(f"numpy svd(compute_uv=False) float64: wall {t64:8.2f} s  cpu {c64:8.2f} s  (the reference)")
    err, name, i = worst(ours, s64)
    ok = err <= TOL
    print(f"agreement vs float64 numpy, σ ≥ {FLOOR:g}·σ₁: worst relative error {err:.2e} "
          f"({name}, σ[{i}] = {s64[name][i]:.6g}) target ≤ {TOL:g}: {'met' if ok else 'MISSED'}")
    if not a.skip_f32:
        err32, name32, i32 = worst(ours, s32)
        print(f"(for scale: engine vs float32 numpy worst {err32:.2e} at {name32} σ[{i32}]; "
              f"float32 numpy vs float64 numpy worst {worst(s32, s64)[0]:.2e})")
        print(f"NUMPY_F32_SECONDS {t32:.3f}\nNUMPY_F32_CPU_SECONDS {c32:.3f}")
    print(f"NUMPY_F64_SECONDS {t64:.3f}\nNUMPY_F64_CPU_SECONDS {c64:.3f}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
