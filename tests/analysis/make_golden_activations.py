#!/usr/bin/python3
"""Golden activation features and refusal directions for the real stories260K Llama.

Independent of the engine's numerics: a float64 torch implementation of the Llama forward pass
(HF conventions) and numpy formulas for every feature. Only the token ids come from the engine's
tokenizer (`tensorhaus tokenize`, tested on its own against llama2.c), so both sides see the
same prompts.

    tests/analysis/make_golden_activations.py [path/to/tensorhaus]

Writes tests/data/analysis/activations_stories260k.json.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "models"))
OUT = os.path.join(ROOT, "tests", "data", "analysis", "activations_stories260k.json")
BLOCKS, SVALS = 32, 16


def read_safetensors(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            a, b = info["data_offsets"]
            f.seek(base + a)
            assert info["dtype"] == "F32"
            out[name] = torch.from_numpy(
                np.frombuffer(f.read(b - a), dtype="<f4").reshape(info["shape"]).copy()).double()
        return out


def llama_hidden(cfg, W, ids):
    """hidden states [L+1, T, D] (HF output_hidden_states) and attention entropy [L, H, T]."""
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, L, eps = D // H, cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    T = len(ids)

    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).double() / hd))
    ang = torch.arange(T).double()[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos(), emb.sin()

    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    x = W["model.embed_tokens.weight"][ids]
    hs, ents = [x], []
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(T, KV, hd).transpose(0, 1)
        q, k = rope(q), rope(k)
        k = k.repeat_interleave(H // KV, 0)
        v = v.repeat_interleave(H // KV, 0)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, -1)
        pc = a.clamp(1e-12, 1.0)
        ents.append(-(pc * pc.log()).sum(-1))
        o = (a @ v).transpose(0, 1).reshape(T, D) @ W[p + "self_attn.o_proj.weight"].T
        x = x + o
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
        hs.append(x)
    hs[-1] = rms(x, W["model.norm.weight"])
    return torch.stack(hs).numpy(), torch.stack(ents).numpy()


def pca_components(x, k):
    """sklearn PCA components (centred; svd_flip: largest |entry| of each component positive)."""
    xc = x - x.mean(0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    for i in range(vt.shape[0]):
        j = np.argmax(np.abs(vt[i]))
        if vt[i, j] < 0:
            vt[i] = -vt[i]
    ratio = s ** 2 / np.sum(s ** 2)
    return vt[:k], ratio[:k]


def features(hidden, ent):
    L1, T, D = hidden.shape
    out = {"hidden_norms": np.linalg.norm(hidden, axis=2)}
    sp = np.zeros((L1, T))
    bn = np.zeros((L1, BLOCKS))
    ang = np.zeros((L1, T))
    sv = np.zeros((L1, SVALS))
    bs = max(1, D // BLOCKS)
    for l in range(L1):
        m = hidden[l]
        sp[l] = (np.abs(m) < 0.1 * m.std()).mean(1)
        for b in range(BLOCKS):
            if (b + 1) * bs <= D:
                bn[l, b] = np.linalg.norm(m[:, b * bs:(b + 1) * bs])
        comps, _ = pca_components(m, 2)
        xc = m - m.mean(0)
        ang[l] = np.arctan2(xc @ comps[1], xc @ comps[0])
        s = np.linalg.svd(m, compute_uv=False)[:SVALS]
        sv[l, : len(s)] = s
    out.update(hidden_sparsity=sp, block_norms=bn, pca_angle=ang, singular_values=sv,
               attn_entropy=ent.mean(axis=(1, 2)), attn_entropy_heads=ent.mean(2))
    return {k: v.tolist() for k, v in out.items()}


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/engine/app/tensorhaus")
    model = os.path.join(SHARED, "stories260K-hf")
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    W = read_safetensors(os.path.join(model, "model.safetensors"))
    with open(os.path.join(ROOT, "prompts", "refusal_pairs.json")) as f:
        pairs = json.load(f)
    texts = [p["harmful"] for p in pairs] + [p["harmless"] for p in pairs]
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.join(SHARED, "stories260K", "tok512.bin"), os.path.join(tmp, "tokenizer.bin"))
        shutil_cfg = os.path.join(tmp, "config.json")
        with open(shutil_cfg, "w") as f:
            json.dump(cfg, f)
        with open(os.path.join(tmp, "texts.txt"), "w") as f:
            f.write("\n".join(texts) + "\n")
        ids = subprocess.run([exe, "tokenize", "--model", tmp, "--text-file", os.path.join(tmp, "texts.txt"),
                              "--add-special"], check=True, capture_output=True, text=True).stdout
    ids = [[int(t) for t in line.split()] for line in ids.strip().split("\n")]
    runs = [llama_hidden(cfg, W, torch.tensor(i)) for i in ids]
    n = len(pairs)
    L = cfg["num_hidden_layers"]
    lo, hi = L // 2, L - 1

    diffs = []
    for i in range(n):
        h, g = runs[i][0], runs[n + i][0]
        T = min(h.shape[1], g.shape[1])
        for l in range(lo, hi + 1):
            diffs.append(h[l + 1, :T] - g[l + 1, :T])
    diffs = np.concatenate(diffs)
    comps, ratio = pca_components(diffs, 1)
    r_pca = comps[0]
    if np.mean(diffs @ r_pca) < 0:
        r_pca = -r_pca

    def pooled(h):
        return h[lo + 1: hi + 2].reshape(-1, h.shape[2]).mean(0)

    dm = np.mean([pooled(runs[i][0]) for i in range(n)], 0) - np.mean([pooled(runs[n + i][0]) for i in range(n)], 0)
    r_dm = dm / np.linalg.norm(dm)

    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 4, 5))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=float)
    pool = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1), 1e-9)[:, None]

    golden = {
        "tokens": ids,
        "layers": [lo, hi],
        "refusal_pca": r_pca.tolist(),
        "refusal_pca_rows": int(diffs.shape[0]),
        "refusal_pca_explained_variance_ratio": float(ratio[0]),
        "refusal_diff_means": r_dm.tolist(),
        "prompt0": features(*runs[0]),
        "pool_x": x.ravel().tolist(),
        "pool_mask": mask.ravel().tolist(),
        "pool_out": pool.ravel().tolist(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f)
    print(f"wrote {OUT}: {diffs.shape[0]} difference rows, EVR {ratio[0]:.4f}")


if __name__ == "__main__":
    main()
