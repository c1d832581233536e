#!/usr/bin/python3
"""Bad-input corpus for the model loader: tests/data/model/bad/<case>/ holds config.json,
model.safetensors and expected.txt (a substring the error message must contain). Each case
breaks one thing of an otherwise valid one-layer Llama (hidden 8, vocab 16).

Run: /usr/bin/python3 tests/model/make_bad_models.py
"""
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "model", "bad")
sys.path.insert(0, os.path.join(HERE, ".."))
from safetensors_writer import frame, layout  # noqa: E402

CONFIG = {
    "model_type": "llama", "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
    "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
    "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
}

SHAPES = {
    "model.embed_tokens.weight": [16, 8], "model.norm.weight": [8],
    "model.layers.0.input_layernorm.weight": [8], "model.layers.0.post_attention_layernorm.weight": [8],
    "model.layers.0.self_attn.q_proj.weight": [8, 8], "model.layers.0.self_attn.k_proj.weight": [4, 8],
    "model.layers.0.self_attn.v_proj.weight": [4, 8], "model.layers.0.self_attn.o_proj.weight": [8, 8],
    "model.layers.0.mlp.gate_proj.weight": [12, 8], "model.layers.0.mlp.up_proj.weight": [12, 8],
    "model.layers.0.mlp.down_proj.weight": [8, 12],
}


def header_and_data(shapes, dtypes=None, overlap=None):
    rng = np.random.default_rng(7)
    entries = []
    for name, shape in shapes.items():
        dtype = (dtypes or {}).get(name, "F32")
        raw = rng.standard_normal(int(np.prod(shape))).astype(np.float32).tobytes()
        if dtype == "I32":
            raw = np.arange(int(np.prod(shape)), dtype=np.int32).tobytes()
        entries.append((name, dtype, shape, raw))
    header, blobs = layout(entries)
    if overlap:
        a, b = overlap  # b's range starts inside a's
        size = header[b]["data_offsets"][1] - header[b]["data_offsets"][0]
        start = header[a]["data_offsets"][0] + 4
        header[b]["data_offsets"] = [start, start + size]
    return header, b"".join(blobs)


def write(case, expected, config=CONFIG, shapes=SHAPES, dtypes=None, overlap=None, raw_header=None, truncate=0):
    d = os.path.join(OUT, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(config if isinstance(config, str) else json.dumps(config, indent=1))
    header, data = header_and_data(shapes, dtypes, overlap)
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    # Not write_safetensors: these headers are spaced and unpadded, or broken on purpose.
    blob = frame(h) + data
    if truncate:
        blob = blob[:-truncate]
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(blob)
    with open(os.path.join(d, "expected.txt"), "w") as f:
        f.write(expected)


def main():
    missing = dict(SHAPES)
    del missing["model.layers.0.mlp.down_proj.weight"]
    write("missing_tensor", "tensor model.layers.0.mlp.down_proj.weight: expected shape [8, 12], found nothing (missing tensor)",
          shapes=missing)
    wrong = dict(SHAPES, **{"model.layers.0.self_attn.k_proj.weight": [8, 8]})
    write("wrong_shape", "tensor model.layers.0.self_attn.k_proj.weight: expected shape [4, 8], found [8, 8]", shapes=wrong)
    write("unknown_dtype", "dtype: expected F32|F16|BF16|F64|I64|I32|I16|I8|U8|BOOL, found F8_E9M9",
          dtypes={"model.norm.weight": "F8_E9M9"})
    write("integer_weights", "tensor model.layers.0.mlp.up_proj.weight dtype: expected F32|F16|BF16, found I32",
          dtypes={"model.layers.0.mlp.up_proj.weight": "I32"})
    write("truncated_file", "(file truncated?)", truncate=100)
    write("overlapping_offsets", "non-overlapping byte ranges",
          overlap=("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"))
    write("malformed_header", "header: expected a JSON object, found malformed JSON", raw_header=b'{"model.norm.weight": {"dtype": "F32", ')
    write("malformed_config_field", "hidden_size: expected an integer, found string \"8\"", config=dict(CONFIG, hidden_size="8"))
    write("malformed_config_json", "config.json: document: expected JSON, found malformed JSON", config='{"model_type": "llama",')
    write("unknown_architecture", "model_type \"gpt2\" is not supported (supported: llama, mistral, qwen2, qwen3, phi3, gemma3_text, gemma3)",
          config=dict(CONFIG, model_type="gpt2"))
    write("bad_rope_scaling", "rope_scaling.rope_type: expected default|linear|llama3|longrope, found yarn",
          config=dict(CONFIG, rope_scaling={"rope_type": "yarn", "factor": 4.0}))
    print("wrote", len(os.listdir(OUT)), "cases to", OUT)


if __name__ == "__main__":
    main()
