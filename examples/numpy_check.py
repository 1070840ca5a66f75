"""Check a NumPy backprop against gradproof's oracle, in memory.
Run: python3 examples/numpy_check.py [--bug quadratic-delta|decay-bias]
(installed package; uninstalled prefix PYTHONPATH=python, and for a build made in another
directory GRADPROOF_LIB=BUILD/src/.libs/libgradproof.so.0: README, "From Python")"""
import sys

import numpy as np

import gradproof

BUG = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--bug" else None
if len(sys.argv) > 1 and BUG not in ("quadratic-delta", "decay-bias"):
    sys.exit("usage: numpy_check.py [--bug quadratic-delta|decay-bias]")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backprop(net, x, y, lam=0.0, n=1):
    """The candidate: Nielsen's backprop, quadratic cost, samples as columns."""
    m = x.shape[1]
    zs, acts = [], [x]
    for W, b in zip(net.weights, net.biases):
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(sigmoid(zs[-1]))
    a = acts[-1]
    delta = (a - y) if BUG == "quadratic-delta" else (a - y) * a * (1 - a)  # [BP1]
    out = {}
    for l in range(len(zs), 0, -1):
        out[f"delta{l}"] = delta
        out[f"dW{l}"] = delta @ acts[l - 1].T / m + lam / n * net.weights[l - 1]
        out[f"db{l}"] = delta.mean(axis=1)
        if BUG == "decay-bias":
            out[f"db{l}"] = out[f"db{l}"] + lam / n * net.biases[l - 1]
        if l > 1:
            s = sigmoid(zs[l - 2])
            delta = (net.weights[l - 1].T @ delta) * s * (1 - s)  # [BP2]
    return out


rng = np.random.default_rng(1)
sizes = [4, 5, 3]
net = gradproof.Network(sizes, [rng.normal(size=(k, j)) for j, k in zip(sizes, sizes[1:])],
                        [rng.normal(size=k) for k in sizes[1:]], "quadratic")
x, y = rng.random((4, 6)), rng.random((3, 6))
report = gradproof.check(lambda net, x, y: backprop(net, x, y, lam=0.5, n=6), net, x, y,
                         lam=0.5)
print(report)
sys.exit(0 if report.ok else 1)
