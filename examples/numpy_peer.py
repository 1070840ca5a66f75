#!/usr/bin/python3
"""A peer implementation in NumPy: network2.py's feedforward and backprop, vectorised over
the batch, dumped in the oracle's layout (a directory of .npy files).

    numpy_peer.py DUMP_DIR OUT_DIR [--dtype float64|float32] [--broken]

Reads network.json, x.npy, y.npy and meta.json from an oracle dump (gradproof oracle
--out-dir) and writes cost.npy, z1.npy, a1.npy, delta1.npy, dW1.npy, db1.npy, ... computed
in the given dtype. --broken drops sigma'(z^L) from the quadratic cost's delta^L, the
classic mistake (delta = a - y is right only for cross-entropy)."""
import json
import os
import sys

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def main(argv):
    src, out = argv[1], argv[2]
    dtype = np.float32 if "--dtype" in argv and argv[argv.index("--dtype") + 1] == "float32" else np.float64
    broken = "--broken" in argv
    net = json.load(open(os.path.join(src, "network.json")))
    meta = json.load(open(os.path.join(src, "meta.json")))
    W = [np.array(w, dtype=dtype) for w in net["weights"]]
    b = [np.array(v, dtype=dtype) for v in net["biases"]]  # n_l x 1, as network2.py
    x = np.load(os.path.join(src, "x.npy")).astype(dtype)  # n_0 x m
    y = np.load(os.path.join(src, "y.npy")).astype(dtype)
    cost = net["cost"]
    lmbda, l1, n = meta["lambda"], meta["l1"], meta["n"]
    m = x.shape[1]
    L = len(W)
    zs, acts = [], [x]
    for l in range(L):
        z = W[l] @ acts[-1] + b[l]
        zs.append(z)
        if l < L - 1 or cost in ("QuadraticCost", "CrossEntropyCost", "quadratic", "cross-entropy"):
            a = sigmoid(z)
        elif cost == "log-likelihood":
            e = np.exp(z - z.max(axis=0))
            a = e / e.sum(axis=0)
        else:  # quadratic-linear
            a = z
        acts.append(a)
    a = acts[-1]
    if cost in ("QuadraticCost", "quadratic", "quadratic-linear"):
        c = 0.5 * np.sum((a - y) ** 2) / m
        delta = a - y
        if cost != "quadratic-linear" and not broken:
            delta = delta * a * (1 - a)  # sigma'(z^L) [65]
    elif cost in ("CrossEntropyCost", "cross-entropy"):
        c = np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))) / m
        delta = a - y  # [66]
    else:
        c = -np.sum(y * np.log(a)) / m
        delta = a - y
    c += lmbda / (2 * n) * sum(np.sum(w * w) for w in W) + l1 / n * sum(np.sum(np.abs(w)) for w in W)
    deltas = [None] * L
    deltas[-1] = delta
    for l in range(L - 2, -1, -1):
        s = acts[l + 1]
        deltas[l] = (W[l + 1].T @ deltas[l + 1]) * s * (1 - s)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "cost.npy"), np.array(c, dtype=dtype))
    for l in range(L):
        dW = deltas[l] @ acts[l].T / m + (lmbda / n) * W[l] + (l1 / n) * np.sign(W[l])
        db = deltas[l].sum(axis=1) / m
        k = l + 1
        np.save(os.path.join(out, "z%d.npy" % k), zs[l].astype(dtype))
        np.save(os.path.join(out, "a%d.npy" % k), acts[l + 1].astype(dtype))
        np.save(os.path.join(out, "delta%d.npy" % k), deltas[l].astype(dtype))
        np.save(os.path.join(out, "dW%d.npy" % k), dW.astype(dtype))
        np.save(os.path.join(out, "db%d.npy" % k), db.astype(dtype))


if __name__ == "__main__":
    main(sys.argv)
