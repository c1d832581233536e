"""Safetensors files for the reference scripts (golden models, golden outputs, the bench model).

One writer, so every file is laid out the same way: an 8-byte little-endian header length, the
JSON header (compact, padded with spaces to a multiple of 8 bytes, as the Hugging Face library
writes it), then each tensor's bytes in entry order. An entry is (name, dtype, shape, raw bytes);
torch_entries() makes entries of torch tensors. This module imports neither numpy nor torch, so
scripts without torch can use it.

Import it with tests/ on sys.path (the scripts under tests/<module>/ and bench/ insert it).
"""
import json
import os
import struct


def layout(entries):
    """The header dict (data_offsets in entry order) and the list of raw blobs."""
    header, blobs, off = {}, [], 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    return header, blobs


def frame(header_json):
    """The header's length prefix and the header bytes: what precedes the data."""
    return struct.pack("<Q", len(header_json)) + header_json


def write_safetensors(path, entries, metadata=None):
    """Writes `entries` (and `__metadata__` last in the header when given) through path.tmp, so
    an interrupted run leaves no half-written file under the final name."""
    header, blobs = layout(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(frame(h))
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def torch_entries(tensors):
    """Entries of torch tensors, given as a dict or (name, tensor) pairs; BF16 as its bits."""
    import torch  # here, not at the top: the numpy-only scripts never pay for it

    dtypes = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}
    for name, t in tensors.items() if isinstance(tensors, dict) else tensors:
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        yield name, dtypes[t.dtype], t.shape, raw
