#!/usr/bin/python3
"""Writes tests/data/music/numpy_golden.txt: np.linspace pick indices and np.percentile values,
the NumPy behaviour the feature transforms must reproduce. Run with /usr/bin/python3."""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "data", "music", "numpy_golden.txt")
with open(out, "w") as f:
    for length in range(1, 41):
        for n in range(1, 41):
            idx = np.linspace(0, length - 1, n).astype(int)
            f.write("pick %d %d %s\n" % (length, n, " ".join(str(i) for i in idx)))
    x = np.array([3.5, -1.25, 7.0, 0.0, 2.0, 2.0, 11.5, -4.0, 6.25], dtype=np.float32)
    for q in [0, 5, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 100]:
        f.write("percentile %r %.17g\n" % (q, np.percentile(x.astype(np.float64), q)))
