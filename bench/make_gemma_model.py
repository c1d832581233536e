#!/usr/bin/python3
"""Writes a Hugging Face model folder with Gemma-3-270M's exact shapes and random weights.

Benchmarks need a model the size of a real small model without a download. The weights are
drawn from a seeded torch generator (normal, std 0.02; norm weights std 0.1 around Gemma's
1 + w), so the folder is the same on every machine. No tokenizer: the runtime runs it from
token ids.

    bench/make_gemma_model.py OUT_DIR [--dtype bfloat16|float32] [--seed 270]

Skips the work when OUT_DIR already holds a folder made with the same arguments.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from safetensors_writer import torch_entries, write_safetensors  # noqa: E402

CONFIG = {
    "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
    "hidden_size": 640, "intermediate_size": 2048, "num_hidden_layers": 18,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256, "vocab_size": 262144,
    "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
    "rope_local_base_freq": 10000.0, "rope_scaling": None, "sliding_window": 512,
    "sliding_window_pattern": 6, "query_pre_attn_scalar": 256, "final_logit_softcapping": None,
    "attn_logit_softcapping": None, "hidden_activation": "gelu_pytorch_tanh",
    "tie_word_embeddings": True, "attention_bias": False, "bos_token_id": 2, "eos_token_id": 1,
    "pad_token_id": 0,
}


def tensors(seed, dtype):
    """Yields (HF name, tensor) in file order."""
    g = torch.Generator().manual_seed(seed)
    c = CONFIG
    D, I, L = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    H, KV, hd, V = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["vocab_size"]

    def mat(rows, cols):
        return (torch.randn(rows, cols, generator=g) * 0.02).to(dtype)

    def norm(n):
        return (torch.randn(n, generator=g) * 0.1).to(dtype)

    yield "model.embed_tokens.weight", mat(V, D)
    for l in range(L):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", norm(D)
        yield p + "self_attn.q_proj.weight", mat(H * hd, D)
        yield p + "self_attn.k_proj.weight", mat(KV * hd, D)
        yield p + "self_attn.v_proj.weight", mat(KV * hd, D)
        yield p + "self_attn.o_proj.weight", mat(D, H * hd)
        yield p + "self_attn.q_norm.weight", norm(hd)
        yield p + "self_attn.k_norm.weight", norm(hd)
        yield p + "post_attention_layernorm.weight", norm(D)
        yield p + "pre_feedforward_layernorm.weight", norm(D)
        yield p + "mlp.gate_proj.weight", mat(I, D)
        yield p + "mlp.up_proj.weight", mat(I, D)
        yield p + "mlp.down_proj.weight", mat(D, I)
        yield p + "post_feedforward_layernorm.weight", norm(D)
    yield "model.norm.weight", norm(D)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    ap.add_argument("--seed", type=int, default=270)
    a = ap.parse_args()
    cfg = dict(CONFIG, torch_dtype=a.dtype)
    stamp = {"dtype": a.dtype, "seed": a.seed, "config": cfg}
    stamp_path = os.path.join(a.out, "made-by-bench.json")
    if os.path.exists(stamp_path) and os.path.exists(os.path.join(a.out, "model.safetensors")):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                print(f"{a.out}: up to date")
                return
    os.makedirs(a.out, exist_ok=True)
    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32}[a.dtype]
    write_safetensors(os.path.join(a.out, "model.safetensors"), torch_entries(tensors(a.seed, dtype)))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(stamp_path, "w") as f:
        json.dump(stamp, f, indent=2)
    print(f"{a.out}: written")


if __name__ == "__main__":
    main()
