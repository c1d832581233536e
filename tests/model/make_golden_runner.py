#!/usr/bin/python3
"""Golden references for the model runtime, computed independently of the C++ code.

Writes two tiny random models (fixed seed) into tests/data/model/<name>/ — config.json,
model.safetensors — and golden.safetensors with what a Hugging Face transformers forward pass
computes for them, written out here from the HF modelling formulas (transformers itself is not
needed): hidden states (output_hidden_states convention), attention entropy per head and query
token, MLP sparsity, logits.

  gemma3-tiny  Gemma 3 text model, BF16, 2 layers (sliding, global), window 4 < prompt length,
               q/k norms, sandwich norms, (1 + w) RMSNorm, sqrt(hidden) embedding scale,
               query_pre_attn_scalar, local RoPE base, linear RoPE scaling on the global layer,
               gelu_pytorch_tanh, tied lm_head, final logit soft-capping. golden-f32.safetensors:
               the same checkpoint computed in float32 (weights widened exactly).
  phi3-tiny    Phi-3, F32, fused qkv_proj and gate_up_proj, GQA, partial rotary factor 0.5,
               sliding window 6 on every layer, untied lm_head, silu.

Run: /usr/bin/python3 tests/model/make_golden_runner.py
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "model")
sys.path.insert(0, os.path.join(HERE, ".."))
from safetensors_writer import torch_entries, write_safetensors  # noqa: E402

# ---- HF formulas -------------------------------------------------------------------------

def rms_llama(x, w, eps):
    xf = x.to(torch.float32)
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return w * xf.to(x.dtype)


def rms_gemma(x, w, eps):
    xf = x.float()
    out = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    out = out * (1.0 + w.float())
    return out.type_as(x)


def rope_tables(dim, base, positions, dtype, linear_factor=None):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if linear_factor is not None:
        inv_freq = inv_freq / linear_factor
    pos = positions.float()[None, None, :]
    freqs = (inv_freq[None, :, None].float() @ pos).transpose(1, 2)[0]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    rd = cos.shape[-1]
    xr, xp = x[..., :rd], x[..., rd:]
    return torch.cat([(xr * cos) + (rotate_half(xr) * sin), xp], dim=-1)


def additive_mask(T, window, dtype):
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    allowed = j <= i
    if window is not None:
        allowed &= j > i - window
    m = torch.zeros(T, T, dtype=dtype)
    return m.masked_fill(~allowed, torch.finfo(dtype).min)


def attention(x, p, cfg, cos, sin, window, scaling, qk_norm):
    B, T, _ = x.shape
    H, KV, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    q = torch.nn.functional.linear(x, p["q"]).view(B, T, H, hd).transpose(1, 2)
    k = torch.nn.functional.linear(x, p["k"]).view(B, T, KV, hd).transpose(1, 2)
    v = torch.nn.functional.linear(x, p["v"]).view(B, T, KV, hd).transpose(1, 2)
    if qk_norm is not None:
        q = qk_norm(q, p["q_norm"])
        k = qk_norm(k, p["k_norm"])
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    rep = H // KV
    k = k[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
    v = v[:, :, None].expand(B, KV, rep, T, hd).reshape(B, H, T, hd)
    w = torch.matmul(q, k.transpose(2, 3)) * scaling
    w = w + additive_mask(T, window, w.dtype)
    w = torch.nn.functional.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(w, v).transpose(1, 2).reshape(B, T, H * hd)
    return torch.nn.functional.linear(o, p["o"]), w


def entropy(probs):
    pc = probs.float().clamp(1e-12, 1.0)
    return -(pc * pc.log()).sum(-1)


def sparsity(act):
    a = act.float()[0]
    thr = 0.1 * a.std(unbiased=False)
    return (a.abs() < thr).float().mean(-1)


# ---- Gemma 3 ----------------------------------------------------------------------------

def gemma3_forward(cfg, P, tokens, last_only=False):
    dtype = P["embed"].dtype
    D, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    eps = cfg["rms_norm_eps"]
    T = tokens.shape[1]
    pos = torch.arange(T)
    rd = cfg["head_dim"]
    cos_g, sin_g = rope_tables(rd, cfg["rope_theta"], pos, dtype, (cfg.get("rope_scaling") or {}).get("factor"))
    cos_l, sin_l = rope_tables(rd, cfg["rope_local_base_freq"], pos, dtype)
    h = torch.nn.functional.embedding(tokens, P["embed"]) * torch.tensor(D ** 0.5).to(dtype)
    hidden, ent, spars = [], [], []
    scaling = cfg["query_pre_attn_scalar"] ** -0.5
    for l in range(L):
        p = P["layers"][l]
        if "layer_types" in cfg:
            sliding = cfg["layer_types"][l] == "sliding_attention"
        else:
            sliding = (l + 1) % cfg["sliding_window_pattern"] != 0
        hidden.append(h)
        r = h
        x = rms_gemma(h, p["attn_norm"], eps)
        x, w = attention(x, p, cfg, cos_l if sliding else cos_g, sin_l if sliding else sin_g,
                         cfg["sliding_window"] if sliding else None, scaling,
                         lambda t, wt: rms_gemma(t, wt, eps))
        ent.append(entropy(w)[0])
        x = rms_gemma(x, p["post_attn_norm"], eps)
        h = r + x
        r = h
        x = rms_gemma(h, p["pre_ffn_norm"], eps)
        act = torch.nn.functional.gelu(torch.nn.functional.linear(x, p["gate"]), approximate="tanh") * \
            torch.nn.functional.linear(x, p["up"])
        spars.append(sparsity(act))
        x = torch.nn.functional.linear(act, p["down"])
        x = rms_gemma(x, p["post_ffn_norm"], eps)
        h = r + x
    h = rms_gemma(h, P["final_norm"], eps)
    hidden.append(h)
    # last_only: the lm_head over the last position only (what generation reads)
    logits = torch.nn.functional.linear(h[:, -1:] if last_only else h, P["embed"])
    cap = cfg.get("final_logit_softcapping")
    if cap is not None:
        logits = torch.tanh(logits / cap) * cap
    return torch.stack([x[0] for x in hidden]), torch.stack(ent), torch.stack(spars), logits[0]


def make_gemma3():
    g = torch.Generator().manual_seed(1234)
    cfg = {
        "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 64,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 2.0},
        "sliding_window": 4, "sliding_window_pattern": 2, "query_pre_attn_scalar": 24,
        "final_logit_softcapping": 8.0, "attn_logit_softcapping": None,
        "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True,
        "attention_bias": False, "bos_token_id": 2, "eos_token_id": 1, "torch_dtype": "bfloat16",
    }
    D, I, H, KV, hd, V = 32, 64, 2, 1, 16, 64

    def rnd(*shape, scale=0.2):
        return (torch.randn(*shape, generator=g) * scale).to(torch.bfloat16)

    P = {"embed": rnd(V, D, scale=0.5), "final_norm": rnd(D), "layers": []}
    T = {"model.embed_tokens.weight": P["embed"], "model.norm.weight": P["final_norm"]}
    names = {"attn_norm": "input_layernorm", "post_attn_norm": "post_attention_layernorm",
             "pre_ffn_norm": "pre_feedforward_layernorm", "post_ffn_norm": "post_feedforward_layernorm"}
    for l in range(2):
        p = {k: rnd(D) for k in names}
        p.update(q=rnd(H * hd, D), k=rnd(KV * hd, D), v=rnd(KV * hd, D), o=rnd(D, H * hd),
                 q_norm=rnd(hd), k_norm=rnd(hd), gate=rnd(I, D), up=rnd(I, D), down=rnd(D, I))
        P["layers"].append(p)
        pre = f"model.layers.{l}."
        for k, n in names.items():
            T[pre + n + ".weight"] = p[k]
        for k in "qkvo":
            T[pre + f"self_attn.{k}_proj.weight"] = p[k]
        T[pre + "self_attn.q_norm.weight"] = p["q_norm"]
        T[pre + "self_attn.k_norm.weight"] = p["k_norm"]
        for k in ("gate", "up", "down"):
            T[pre + f"mlp.{k}_proj.weight"] = p[k]
    tokens = torch.tensor([[2, 17, 5, 33, 60, 8, 8, 41, 12, 3, 27, 50]])
    # The same BF16 checkpoint computed in float32 (HF loading it with torch_dtype=float32):
    # every weight widened exactly, nothing rounded to bf16 on the way.
    widen = lambda d: {k: (v.float() if torch.is_tensor(v) else v) for k, v in d.items()}
    P32 = dict(widen(P), layers=[widen(p) for p in P["layers"]])
    extra = {"golden-f32": gemma3_forward(cfg, P32, tokens)}
    return "gemma3-tiny", cfg, T, tokens, gemma3_forward(cfg, P, tokens), extra


# ---- Phi-3 ------------------------------------------------------------------------------

def phi3_forward(cfg, P, tokens):
    dtype = P["embed"].dtype
    L, eps = cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    H, KV, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    T = tokens.shape[1]
    rd = int(hd * cfg["partial_rotary_factor"])
    cos, sin = rope_tables(rd, cfg["rope_theta"], torch.arange(T), dtype)
    h = torch.nn.functional.embedding(tokens, P["embed"])
    hidden, ent, spars = [], [], []
    for l in range(L):
        p = dict(P["layers"][l])
        qkv = p["qkv"]
        p["q"], p["k"], p["v"] = qkv[: H * hd], qkv[H * hd: (H + KV) * hd], qkv[(H + KV) * hd:]
        hidden.append(h)
        r = h
        x, w = attention(rms_llama(h, p["attn_norm"], eps), p, cfg, cos, sin, cfg["sliding_window"], hd ** -0.5, None)
        ent.append(entropy(w)[0])
        h = r + x
        r = h
        x = rms_llama(h, p["ffn_norm"], eps)
        gate, up = torch.nn.functional.linear(x, p["gate_up"]).chunk(2, dim=-1)
        act = up * torch.nn.functional.silu(gate)
        spars.append(sparsity(act))
        h = r + torch.nn.functional.linear(act, p["down"])
    h = rms_llama(h, P["final_norm"], eps)
    hidden.append(h)
    logits = torch.nn.functional.linear(h, P["lm_head"])
    return torch.stack([x[0] for x in hidden]), torch.stack(ent), torch.stack(spars), logits[0]


def make_phi3():
    g = torch.Generator().manual_seed(4321)
    cfg = {
        "architectures": ["Phi3ForCausalLM"], "model_type": "phi3",
        "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64,
        "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "partial_rotary_factor": 0.5, "rope_scaling": None, "sliding_window": 6,
        "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False,
        "bos_token_id": 1, "eos_token_id": 32, "torch_dtype": "float32",
    }
    cfg_fwd = dict(cfg, head_dim=8)
    D, I, H, KV, hd, V = 32, 48, 4, 2, 8, 64

    def rnd(*shape, scale=0.2):
        return torch.randn(*shape, generator=g) * scale

    P = {"embed": rnd(V, D, scale=0.5), "final_norm": 1 + rnd(D), "lm_head": rnd(V, D), "layers": []}
    T = {"model.embed_tokens.weight": P["embed"], "model.norm.weight": P["final_norm"], "lm_head.weight": P["lm_head"]}
    for l in range(2):
        p = dict(attn_norm=1 + rnd(D), ffn_norm=1 + rnd(D), qkv=rnd((H + 2 * KV) * hd, D), o=rnd(D, H * hd),
                 gate_up=rnd(2 * I, D), down=rnd(D, I))
        P["layers"].append(p)
        pre = f"model.layers.{l}."
        T[pre + "input_layernorm.weight"] = p["attn_norm"]
        T[pre + "post_attention_layernorm.weight"] = p["ffn_norm"]
        T[pre + "self_attn.qkv_proj.weight"] = p["qkv"]
        T[pre + "self_attn.o_proj.weight"] = p["o"]
        T[pre + "mlp.gate_up_proj.weight"] = p["gate_up"]
        T[pre + "mlp.down_proj.weight"] = p["down"]
    tokens = torch.tensor([[1, 9, 44, 3, 3, 61, 20, 7, 15, 38]])
    return "phi3-tiny", cfg, T, tokens, phi3_forward(cfg_fwd, P, tokens), {}


def main():
    for make in (make_gemma3, make_phi3):
        name, cfg, tensors, tokens, out, extra = make()
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        write_safetensors(os.path.join(d, "model.safetensors"), torch_entries(tensors))
        for golden, (hidden, ent, spars, logits) in dict(golden=out, **extra).items():
            write_safetensors(os.path.join(d, golden + ".safetensors"), torch_entries({
                "tokens": tokens[0].to(torch.int64), "hidden": hidden.float(), "attn_entropy": ent.float(),
                "mlp_sparsity": spars.float(), "logits": logits.float()}))
            print(name, golden, "hidden", tuple(hidden.shape), "entropy", tuple(ent.shape),
                  "logits", tuple(logits.shape))


if __name__ == "__main__":
    main()
