#!/usr/bin/python3
"""Golden Unicode normal forms for the tokenizer.json normalizers (NFC, NFD, NFKC, NFKD),
computed by Python's unicodedata (Unicode's own tables, as Hugging Face's normalizers use).
Writes tests/data/tokenizers/normal_forms.json: [{"text": …, "NFC": …, "NFD": …, …}, …]."""
import json
import os
import unicodedata

TEXTS = [
    "plain ascii stays",
    "cafe\u0301 re\u0301sume\u0301",            # combining acute → é
    "caf\u00e9 r\u00e9sum\u00e9",                # precomposed
    "\u212b ngstr\u00f6m \u2126hm",              # Angstrom and Ohm signs (singletons)
    "\ufb01ne \ufb02ow \u2460 \u00bd x\u00b2",   # ligatures, circled digit, fraction, superscript
    "\uff21\uff22\uff23 \uff11\uff12\uff13",     # fullwidth letters and digits
    "\u1100\u1161\u11a8 \uac01",                 # Hangul jamo ↔ syllable
    "\u0e01\u0e34\u0e4d \u0939\u093f\u0928\u094d\u0926\u0940",  # Thai, Devanagari
    "e\u0301\u0323 \u1e0b\u0323 q\u0307\u0323",  # reordering of combining marks
    "emoji \U0001F469\u200d\U0001F4BB \u2764\ufe0f",  # ZWJ sequence and variation selector
    "\u3000full\u3000width\u3000space \u2026 \u2122",
]


def main():
    out = [{"text": t, **{f: unicodedata.normalize(f, t) for f in ("NFC", "NFD", "NFKC", "NFKD")}}
           for t in TEXTS]
    path = os.path.join(os.path.dirname(__file__), "..", "data", "tokenizers", "normal_forms.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
