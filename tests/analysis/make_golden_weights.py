#!/usr/bin/python3
"""Independent numpy reference for the weight statistics (docs/analysis.md).

Reads a safetensors file with json + numpy only and writes the golden JSON the C++ test
compares against. Run with /usr/bin/python3 (Debian numpy):

  /usr/bin/python3 tests/analysis/make_golden_weights.py \
      /work/shared/data/models/stories260K-hf/model.safetensors \
      tests/data/analysis/stories260k_golden.json
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
MIN_TAIL = 5


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        if e["dtype"] == "BF16":  # the upper half of a float32: widen by a 16-bit shift
            x = (np.frombuffer(data[a:b], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            x = np.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]])
        out[name] = x.reshape(e["shape"]).astype(np.float64)
    return out


def moments(x):
    x = np.asarray(x, dtype=np.float64).ravel()
    m = x.mean()
    d = x - m
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    return {"mean": m, "std": np.sqrt(m2), "skewness": m3 / m2**1.5, "kurtosis": m4 / m2**2 - 3.0}


def bimodality(mo, n):
    g = mo["skewness"] * np.sqrt(n * (n - 1)) / (n - 2)
    k = ((n + 1) * mo["kurtosis"] + 6) * (n - 1) / ((n - 2) * (n - 3))
    return (g * g + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def histogram(x):
    x = x.ravel()
    lo, hi = np.percentile(x, 2), np.percentile(x, 98)
    h, _ = np.histogram(x, bins=32, range=(lo, hi))
    return (h / h.sum()).tolist(), [lo, hi]


def power_law(lam):
    x = np.sort(lam[lam > 0])
    best = (np.inf, 0.0, 0.0, 0)
    for i in range(len(x) - MIN_TAIL + 1):
        if i > 0 and x[i] == x[i - 1]:
            continue
        tail = x[i:]
        n = len(tail)
        s = np.log(tail / x[i]).sum()
        if s <= 0:
            continue
        alpha = 1 + n / s
        cdf = 1 - (tail / x[i]) ** (1 - alpha)
        k = np.arange(n)
        d = max(np.abs((k + 1) / n - cdf).max(), np.abs(k / n - cdf).max())
        if d < best[0]:
            best = (d, alpha, x[i], n)
    return {"alpha": best[1], "alpha_lambda_min": best[2], "alpha_ks": best[0]}


def wasserstein(a, b):
    # ∫|F_a − F_b| over the pooled support, CDFs by searchsorted.
    a = np.sort(a / a.max())
    b = np.sort(b / b.max())
    allv = np.sort(np.concatenate([a, b]))
    deltas = np.diff(allv)
    fa = np.searchsorted(a, allv[:-1], side="right") / len(a)
    fb = np.searchsorted(b, allv[:-1], side="right") / len(b)
    return float(np.sum(np.abs(fa - fb) * deltas))


def coherence(a, b, k=16):
    k = min(k, len(a), len(b))
    a, b = a[:k] / a[0], b[:k] / b[0]
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def matrix_entry(w):
    sv = np.linalg.svd(w, compute_uv=False)
    fro = np.linalg.norm(w)
    p = sv / sv.sum()
    p = p[p > 0]
    ent = float(-(p * np.log(p)).sum())
    mo = moments(w)
    h, rng = histogram(w)
    e = {
        "singular_values": sv.tolist(),
        "spectral_norm": sv[0],
        "fro": fro,
        "stable_rank": fro**2 / sv[0] ** 2,
        "spectral_entropy": ent,
        "effective_rank": float(np.exp(ent)),
        **mo,
        "bimodality": bimodality(mo, w.size),
        "row_norms": np.linalg.norm(w, axis=1).tolist(),
        "col_norms": np.linalg.norm(w, axis=0).tolist(),
        "histogram": h,
        "histogram_range": rng,
    }
    e.update(power_law(sv**2))
    return e


def vector_entry(v, offset=0.0):
    """offset: 1 for Gemma-style norms, whose effective scale is 1 + w (stored w)."""
    mo = moments(v)
    h, rng = histogram(v)
    scale = moments(v + offset)
    return {**mo, "bimodality": bimodality(mo, v.size), "histogram": h, "histogram_range": rng,
            "scale_offset": offset, "scale_mean": scale["mean"], "scale_std": scale["std"]}


def tonality(g):
    x = g - g.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    comps = vt[:3].copy()
    for c in comps:  # svd_flip, sklearn >= 1.5: largest |entry| positive
        if c[np.argmax(np.abs(c))] < 0:
            c *= -1
    evr = (s**2 / (s**2).sum())[:3]
    pc2_skew = moments(comps[1])["skewness"]
    pc3_kurt = moments(comps[2])["kurtosis"]
    if pc2_skew > 0.1:
        mode = "major"
    elif pc2_skew < -0.1:
        mode = "natural_minor"
    elif pc3_kurt > 3.0:
        mode = "harmonic_minor"
    else:
        mode = "dorian"
    pc = int(min(11, max(0, np.floor(12 * evr[0]))))
    return {"root": 60 + pc, "root_pitch_class": pc, "mode": mode, "pc2_skew": pc2_skew,
            "pc3_kurtosis": pc3_kurt, "explained_variance_ratio": evr.tolist(),
            "components": comps.tolist()}


def golden(t, norm_offset=0.0):
    """Every statistic of the tensors t (name → float64 array); norm_offset applies to every
    1-D tensor (all are norms in the models we test)."""
    tensors = {}
    for name, w in t.items():
        tensors[name] = matrix_entry(w) if w.ndim == 2 else vector_entry(w, norm_offset)
    layers = 1 + max(int(n.split(".")[2]) for n in t if n.startswith("model.layers."))
    L = lambda l, s: t[f"model.layers.{l}.{s}.weight"]
    attn = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]
    mlp = ["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
    sv = lambda l, s: np.asarray(tensors[f"model.layers.{l}.{s}.weight"]["singular_values"])
    raw = [np.mean([np.linalg.norm(L(l, s)) for s in attn]) / (np.mean([np.linalg.norm(L(l, s)) for s in mlp]) + 1e-9)
           for l in range(layers)]
    raw = np.array(raw)
    out = {
        "tensors": tensors,
        "tension_raw": raw.tolist(),
        "tension": ((raw - raw.min()) / (raw.max() - raw.min() + 1e-9)).tolist(),
        "qk_coherence": [coherence(sv(l, "self_attn.q_proj"), sv(l, "self_attn.k_proj")) for l in range(layers)],
        "spectral_change": {s.split(".")[1]: [wasserstein(sv(l - 1, s), sv(l, s)) for l in range(1, layers)]
                            for s in attn + mlp},
        "tonality": tonality(np.stack([L(l, "input_layernorm") for l in range(layers)])),
    }
    return out


def main(src, dst):
    out = golden(read_safetensors(src))
    with open(dst, "w") as f:
        json.dump(out, f, indent=None, default=float)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
