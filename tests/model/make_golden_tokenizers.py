#!/usr/bin/python3
"""Golden ids for the tokenizer tests, from references independent of our code.

- llama2_cases.txt: hard single-line texts (one per line).
- llama2_cases.spm_ids: `spm_encode --output_format=id` (Debian package `sentencepiece`) on
  them with the Llama 2 tokenizer.model: sentencepiece's own encoder.
- tok512_cases.ids: llama2.c run.c's encode loop, transcribed literally below (O(n^2) rescans,
  first best score wins), on tok512.bin (stories260K), with BOS, one line per text.

Run from the repository root: /usr/bin/python3 tests/model/make_golden_tokenizers.py
"""
import struct
import subprocess
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "../shared/data"
OUT = Path(__file__).resolve().parents[1] / "data/tokenizers"

CASES = [
    "Hello world",
    "  leading spaces and trailing  ",
    "tabs\tinside\t\tand  double  spaces",
    "https://example.com/path?q=1&lang=en#frag",
    "user@example.org wrote: 1234567890 12.5% $3,000",
    "\U0001F468\u200D\U0001F469\u200D\U0001F467 family, \U0001F44D\U0001F3FD thumbs",
    "zero\u200Bwidth\u200Cnon\u200Djoiner",
    "na\u00efve caf\u00e9 \u00fcber stra\u00dfe",
    "e\u0301 combining acute, a\u0308",
    "\u00a0nbsp\u00a0inside\u00a0",
    "\u4f60\u597d\uff0c\u4e16\u754c\u3002\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "def f(x): return x**2 if x > 0 else -x  # comment",
    "I'm sure you'll see they've done it, didn't they?",
    "\U0001D4D7\U0001D4EE\U0001D4F5\U0001D4F5\U0001D4F8 math letters \u2211\u222b\u221a",
    "\u2581already escaped\u2581space",
    "Once upon a time, there was a little girl named Lily.",
    "!!!???...,,,;;;",
    "3.14159265358979323846264338327950288419716939937510",
]


def llama2c_encode(vocab, scores, text):
    """run.c's encode(), with bos=1, eos=0."""
    index = {}
    for i, v in enumerate(vocab):
        index.setdefault(v, i)
    tokens = [1]
    if text:
        tokens.append(index[b" "])
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and (raw[j] & 0xC0) == 0x80 and j - i < 4:
            j += 1
        ch = raw[i:j]
        if ch in index:
            tokens.append(index[ch])
        else:
            tokens.extend(b + 3 for b in ch)
        i = j
    while True:
        best_score, best_id, best_idx = -1e10, -1, -1
        for k in range(len(tokens) - 1):
            merged = vocab[tokens[k]] + vocab[tokens[k + 1]]
            m = index.get(merged, -1)
            if m != -1 and scores[m] > best_score:
                best_score, best_id, best_idx = scores[m], m, k
        if best_idx == -1:
            break
        tokens[best_idx : best_idx + 2] = [best_id]
    return tokens


def read_llama2c(path, n):
    data = Path(path).read_bytes()
    pos = 4
    vocab, scores = [], []
    for _ in range(n):
        score, length = struct.unpack_from("<fi", data, pos)
        pos += 8
        vocab.append(data[pos : pos + length])
        scores.append(score)
        pos += length
    return vocab, scores


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    text = "".join(c + "\n" for c in CASES)
    (OUT / "llama2_cases.txt").write_text(text, encoding="utf-8")
    model = DATA / "models/llama2-tokenizer/tokenizer.model"
    ids = subprocess.run(["spm_encode", f"--model={model}", "--output_format=id"], input=text.encode(), check=True,
                         capture_output=True).stdout
    (OUT / "llama2_cases.spm_ids").write_bytes(ids)
    vocab, scores = read_llama2c(DATA / "models/stories260K/tok512.bin", 512)
    lines = [" ".join(map(str, llama2c_encode(vocab, scores, c))) for c in CASES]
    (OUT / "tok512_cases.ids").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
