#!/usr/bin/python3
"""A small random Gemma 3 model in BF16, and its golden statistics from numpy.

Writes tests/data/analysis/gemma3_tiny/{config.json,model.safetensors} (seeded numpy, no torch,
so the folder is the same everywhere) and tests/data/analysis/gemma3_tiny_golden.json with the
statistics of make_golden_weights.py computed on the BF16 values widened to float64. Norm
vectors are stored as Gemma does, as offsets w around 0 with effective scale 1 + w; the golden
file carries both the raw moments and the scale's.

Matrices are U·diag(s)·Vᵀ with a power-law spectrum s_i ∝ i^-0.8 (a heavy tail like a trained
model's, so the power-law fit has something to find) and the norms drift with depth so that the
tonality PCA sees structure beyond noise.

  /usr/bin/python3 tests/analysis/make_golden_gemma.py tests/data/analysis
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..")]
import make_golden_weights as gw  # noqa: E402
from safetensors_writer import write_safetensors  # noqa: E402

CONFIG = {
    "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
    "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 5,
    "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 96,
    "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
    "rope_local_base_freq": 10000.0, "rope_scaling": None, "sliding_window": 16,
    "sliding_window_pattern": 6, "query_pre_attn_scalar": 16, "final_logit_softcapping": None,
    "attn_logit_softcapping": None, "hidden_activation": "gelu_pytorch_tanh",
    "tie_word_embeddings": True, "attention_bias": False, "bos_token_id": 2, "eos_token_id": 1,
    "pad_token_id": 0, "torch_dtype": "bfloat16",
}


def bf16_bits(x):
    """float32 → BF16 bit patterns, round to nearest even."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return b.astype("<u2")


def tensors(rng):
    c = CONFIG
    D, I, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    H, KV, hd, V = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["vocab_size"]

    def mat(rows, cols):
        n = min(rows, cols)
        u, _ = np.linalg.qr(rng.standard_normal((rows, n)))
        v, _ = np.linalg.qr(rng.standard_normal((cols, n)))
        s = 0.5 * np.arange(1, n + 1) ** -0.8 * (1 + 0.1 * rng.standard_normal(n))
        return (u * s) @ v.T

    def norm(n, depth):
        return 0.1 * rng.standard_normal(n) + 0.05 * depth * np.linspace(-1, 1, n) ** 3

    out = [("model.embed_tokens.weight", mat(V, D))]
    for l in range(L):
        p = f"model.layers.{l}."
        out += [(p + "input_layernorm.weight", norm(D, l)),
                (p + "self_attn.q_proj.weight", mat(H * hd, D)),
                (p + "self_attn.k_proj.weight", mat(KV * hd, D)),
                (p + "self_attn.v_proj.weight", mat(KV * hd, D)),
                (p + "self_attn.o_proj.weight", mat(D, H * hd)),
                (p + "self_attn.q_norm.weight", norm(hd, l)),
                (p + "self_attn.k_norm.weight", norm(hd, l)),
                (p + "post_attention_layernorm.weight", norm(D, l)),
                (p + "pre_feedforward_layernorm.weight", norm(D, l)),
                (p + "mlp.gate_proj.weight", mat(I, D)),
                (p + "mlp.up_proj.weight", mat(I, D)),
                (p + "mlp.down_proj.weight", mat(D, I)),
                (p + "post_feedforward_layernorm.weight", norm(D, l))]
    out.append(("model.norm.weight", norm(D, L)))
    return out


def main(out_dir):
    model = os.path.join(out_dir, "gemma3_tiny")
    os.makedirs(model, exist_ok=True)
    entries = [(name, "BF16", x.shape, bf16_bits(x).tobytes())
               for name, x in tensors(np.random.default_rng(3))]
    write_safetensors(os.path.join(model, "model.safetensors"), entries, metadata={"format": "pt"})
    with open(os.path.join(model, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    # The reference reads the file back: it sees exactly the BF16 values the engine loads.
    t = gw.read_safetensors(os.path.join(model, "model.safetensors"))
    out = gw.golden(t, norm_offset=1.0)
    with open(os.path.join(out_dir, "gemma3_tiny_golden.json"), "w") as f:
        json.dump(out, f, indent=None, default=float)
        f.write("\n")
    tn = out["tonality"]
    print(f"{model}: {len(t)} tensors; tonality root {tn['root']} ({tn['mode']}), "
          f"pc2_skew {tn['pc2_skew']:.4f}, pc3_kurtosis {tn['pc3_kurtosis']:.4f}, "
          f"evr {np.round(tn['explained_variance_ratio'], 4).tolist()}")


if __name__ == "__main__":
    main(sys.argv[1])
