#!/usr/bin/python3
"""Golden references for the Qwen2 and Qwen3 architectures, from the HF modelling formulas
(the helpers of make_golden_runner.py; transformers itself is not needed).

  qwen2-tiny  Qwen2, F32: q/k/v projections with biases, GQA, tied lm_head, silu MLP.
  qwen3-tiny  Qwen3, F32: no biases, per-head q_norm/k_norm (RMSNorm over head_dim before RoPE),
              head_dim 12 ≠ hidden / heads, untied lm_head.

Writes tests/data/model/<name>/{config.json, model.safetensors, golden.safetensors} like
make_golden_runner.py. Run: /usr/bin/python3 tests/model/make_golden_qwen.py
"""
import json
import os

import torch

from make_golden_runner import (OUT, attention, entropy, rms_llama, rope_tables, sparsity,
                                torch_entries, write_safetensors)


def with_bias(x, p):
    """Biased q/k/v as plain products: [x, 1] · [W | b]ᵀ = x·Wᵀ + b."""
    if "q_bias" not in p:
        return x, p
    x1 = torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype)], dim=-1)
    q = dict(p)
    for n in ("q", "k", "v"):
        q[n] = torch.cat([p[n], p[n + "_bias"][:, None]], dim=1)
    return x1, q


def qwen_forward(cfg, P, tokens):
    eps, L, hd = cfg["rms_norm_eps"], cfg["num_hidden_layers"], cfg["head_dim"]
    T = tokens.shape[1]
    cos, sin = rope_tables(hd, cfg["rope_theta"], torch.arange(T), torch.float32)
    qk_norm = (lambda t, w: rms_llama(t, w, eps)) if "q_norm" in P["layers"][0] else None
    h = torch.nn.functional.embedding(tokens, P["embed"])
    hidden, ent, spars = [], [], []
    for l in range(L):
        p = P["layers"][l]
        hidden.append(h)
        x, pa = with_bias(rms_llama(h, p["attn_norm"], eps), p)
        x, w = attention(x, pa, cfg, cos, sin, None, hd ** -0.5, qk_norm)
        ent.append(entropy(w)[0])
        h = h + x
        x = rms_llama(h, p["ffn_norm"], eps)
        act = torch.nn.functional.silu(torch.nn.functional.linear(x, p["gate"])) * \
            torch.nn.functional.linear(x, p["up"])
        spars.append(sparsity(act))
        h = h + torch.nn.functional.linear(act, p["down"])
    h = rms_llama(h, P["final_norm"], eps)
    hidden.append(h)
    logits = torch.nn.functional.linear(h, P["lm_head"])
    return torch.stack([x[0] for x in hidden]), torch.stack(ent), torch.stack(spars), logits[0]


def make(name, model_type, seed, head_dim, biases, qk_norm, tied):
    g = torch.Generator().manual_seed(seed)
    D, I, H, KV, V, L = 32, 48, 4, 2, 64, 2

    def rnd(*shape, scale=0.2):
        return torch.randn(*shape, generator=g) * scale

    cfg = {
        "architectures": [model_type.capitalize() + "ForCausalLM"], "model_type": model_type,
        "hidden_size": D, "intermediate_size": I, "num_hidden_layers": L,
        "num_attention_heads": H, "num_key_value_heads": KV, "head_dim": head_dim,
        "vocab_size": V, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "rope_scaling": None, "hidden_act": "silu",
        "tie_word_embeddings": tied, "use_sliding_window": False, "sliding_window": None,
        "attention_bias": biases, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
    }
    P = {"embed": rnd(V, D, scale=0.5), "final_norm": 1 + rnd(D), "layers": []}
    P["lm_head"] = P["embed"] if tied else rnd(V, D)
    T = {"model.embed_tokens.weight": P["embed"], "model.norm.weight": P["final_norm"]}
    if not tied:
        T["lm_head.weight"] = P["lm_head"]
    for l in range(L):
        p = dict(attn_norm=1 + rnd(D), ffn_norm=1 + rnd(D), q=rnd(H * head_dim, D),
                 k=rnd(KV * head_dim, D), v=rnd(KV * head_dim, D), o=rnd(D, H * head_dim),
                 gate=rnd(I, D), up=rnd(I, D), down=rnd(D, I))
        if biases:
            p.update(q_bias=rnd(H * head_dim), k_bias=rnd(KV * head_dim), v_bias=rnd(KV * head_dim))
        if qk_norm:
            p.update(q_norm=1 + rnd(head_dim), k_norm=1 + rnd(head_dim))
        P["layers"].append(p)
        pre = f"model.layers.{l}."
        names = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
                 "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj",
                 "down": "mlp.down_proj", "q_norm": "self_attn.q_norm", "k_norm": "self_attn.k_norm"}
        for key, t in p.items():
            T[pre + (names[key] + ".weight" if key in names else
                     names[key[0]] + ".bias")] = t
    tokens = torch.tensor([[1, 9, 44, 3, 3, 61, 20, 7, 15, 38, 5]])
    return name, cfg, T, tokens, qwen_forward(cfg, P, tokens)


def main():
    for name, cfg, tensors, tokens, (hidden, ent, spars, logits) in (
            make("qwen2-tiny", "qwen2", 2025, 8, biases=True, qk_norm=False, tied=True),
            make("qwen3-tiny", "qwen3", 3035, 12, biases=False, qk_norm=True, tied=False)):
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(d, "model.safetensors"), torch_entries(tensors))
        write_safetensors(os.path.join(d, "golden.safetensors"), torch_entries({
            "tokens": tokens[0].to(torch.int64), "hidden": hidden.float(),
            "attn_entropy": ent.float(), "mlp_sparsity": spars.float(), "logits": logits.float()}))
        print(name, "hidden", tuple(hidden.shape), "logits", tuple(logits.shape))


if __name__ == "__main__":
    main()
