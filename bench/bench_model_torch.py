#!/usr/bin/python3
"""PyTorch eager side of bench_model.sh: one Gemma 3 forward with full capture (hidden states,
attention entropy, MLP sparsity, logits), as the seed notebooks run it, timed.

    bench/bench_model_torch.py MODEL_DIR float32|bfloat16 T REPS [all|last]

LOGITS (default all): `all` computes the lm_head over every position, as the seed notebooks'
full forward does; `last` over the last position only (the runtime's default capture).
The forward is tests/model/make_golden_runner.py's gemma3_forward (the HF formulas the golden
tests check the runtime against), under torch.no_grad() with torch.set_num_threads(2). One
untimed warm-up pass over min(T, 64) tokens, then REPS timed passes (fewer when they exceed
TH_BENCH_BUDGET seconds, default 60, after the first). Prints one line of key=value pairs.
"""
import json
import mmap
import os
import resource
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "model"))
from make_golden_runner import gemma3_forward  # noqa: E402

NP = {"F32": np.float32, "BF16": np.int16, "F16": np.float16}
ROLES = {"input_layernorm": "attn_norm", "post_attention_layernorm": "post_attn_norm",
         "pre_feedforward_layernorm": "pre_ffn_norm", "post_feedforward_layernorm": "post_ffn_norm",
         "self_attn.q_proj": "q", "self_attn.k_proj": "k", "self_attn.v_proj": "v",
         "self_attn.o_proj": "o", "self_attn.q_norm": "q_norm", "self_attn.k_norm": "k_norm",
         "mlp.gate_proj": "gate", "mlp.up_proj": "up", "mlp.down_proj": "down"}


def load(folder, dtype):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    n = int.from_bytes(buf[:8], "little")
    header = json.loads(buf[8:8 + n])
    P = {"layers": [dict() for _ in range(cfg["num_hidden_layers"])]}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        arr = np.frombuffer(buf, dtype=NP[e["dtype"]], count=(b - a) // np.dtype(NP[e["dtype"]]).itemsize,
                            offset=8 + n + a).reshape(e["shape"])
        t = torch.from_numpy(arr.copy())
        if e["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        t = t.to(dtype)
        if name == "model.embed_tokens.weight":
            P["embed"] = t
        elif name == "model.norm.weight":
            P["final_norm"] = t
        else:
            parts = name.split(".")
            role = ROLES[".".join(parts[3:-1])]
            P["layers"][int(parts[2])][role] = t
    return cfg, P


def tokens(T, V):
    return torch.tensor([[(1 + i * 2654435761) % V for i in range(T)]], dtype=torch.int64)


def main():
    folder, dname, T, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    logits = sys.argv[5] if len(sys.argv) > 5 else "all"
    last_only = {"all": False, "last": True}[logits]
    budget = float(os.environ.get("TH_BENCH_BUDGET", "60"))
    torch.set_num_threads(2)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dname]
    cfg, P = load(folder, dtype)
    with torch.no_grad():
        gemma3_forward(cfg, P, tokens(min(T, 64), cfg["vocab_size"]), last_only)
        ids = tokens(T, cfg["vocab_size"])
        times = []
        while len(times) < reps and (not times or sum(times) < budget):
            t0 = time.perf_counter()
            out = gemma3_forward(cfg, P, ids, last_only)
            times.append(time.perf_counter() - t0)
            del out
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best, mean = min(times), sum(times) / len(times)
    print(f"side=torch dtype={dname} T={T} logits={logits} reps={len(times)} best_s={best:.4f} mean_s={mean:.4f} "
          f"tok_s={T / mean:.1f} peak_rss_mb={rss / 1024:.0f}")


if __name__ == "__main__":
    main()
