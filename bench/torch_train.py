#!/usr/bin/python3
"""PyTorch peer of `gradproof train` for scripts/bench-train.sh.

The same problem as gradproof's: float64, a [784,30,10] sigmoid network with network2.py's
default initialisation (weights N(0, 1/n_in), biases N(0, 1)), mini-batch SGD with batch
10 and eta 0.5 on the first 50,000 training images (pixels / 255, read from the same IDX
files), cross-entropy = BCE-with-logits summed over the 10 outputs and averaged over the
batch (network2.py's CrossEntropyCost), evaluated by arg max on the 10,000 test images.

Prints one JSON object per line: {"epoch", "seconds", "accuracy"} per epoch, then
{"eval_seconds", "accuracy", "cost"}: the fastest of three timed evaluations of the test
set, each computing the accuracy and the mean cost, as gradproof's evaluation does in
bench-train.sh (its metrics file records the cost).

Options for other networks (issue 11): --sizes 784,100,10, --activation NAME (the hidden
activation, as gradproof's: sigmoid, tanh, relu, leaky-relu[:ALPHA], softplus, identity,
as torch.nn modules), --cost log-likelihood (softmax output: CrossEntropyLoss on the
logits, summed and divided by the batch, network2.py's log-likelihood).

Usage: torch_train.py DATA_DIR [--epochs E] [--threads N] [--seed S] [--batch M] [--eta R]
                      [--sizes 784,30,10] [--activation NAME] [--cost cross-entropy|log-likelihood]
A bad argument or data file: one line on stderr, status 2.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time
import zlib

import numpy as np
import torch


HIDDEN = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
          "leaky-relu": torch.nn.LeakyReLU, "softplus": torch.nn.Softplus,
          "identity": torch.nn.Identity}


def fail(msg):
    """One line on stderr and status 2: a bad argument or data file."""
    print(f"torch_train: {msg}", file=sys.stderr)
    sys.exit(2)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        fail(f"{message} (see: torch_train.py --help)")


def check_args(a):
    """The layer sizes, the hidden activation's class and its alpha (leaky-relu), or
    fail() naming the argument the run cannot take."""
    for name, v, lo, hi in (("--epochs", a.epochs, 1, 10**6), ("--threads", a.threads, 1, 256),
                            ("--batch", a.batch, 1, 10**6), ("--seed", a.seed, 0, 2**63 - 1)):
        if not lo <= v <= hi:
            fail(f"{name} {v} is not in {lo}..{hi}")
    if not (math.isfinite(a.eta) and a.eta > 0):
        fail(f"--eta {a.eta!r} is not a finite number > 0")
    try:
        sizes = [int(v) for v in a.sizes.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1 or sizes[0] != 784 or sizes[-1] != 10:
        fail(f"--sizes {a.sizes!r} is not N0,..,NL with N0 = 784, NL = 10, each >= 1")
    name, colon, alpha = a.activation.partition(":")
    try:
        slope = float(alpha) if colon else 0.01
    except ValueError:
        slope = math.nan
    if name not in HIDDEN or (colon and name != "leaky-relu") or not 0 <= slope < 1:
        fail(f"--activation {a.activation!r} is not {', '.join(HIDDEN)} (leaky-relu[:ALPHA in [0,1)])")
    return sizes, HIDDEN[name], slope


def read_idx(path):
    """An IDX file (raw or .gz) as a numpy uint8 array of its declared shape."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        fail(f"cannot read {path}: {getattr(e, 'strerror', None) or e}")
    magic = int.from_bytes(raw[0:4], "big")
    if len(raw) < 8 or magic >> 8 != 0x08:
        fail(f"{path}: not an unsigned-byte IDX file")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        fail(f"{path}: size does not match the header")
    return data.reshape(dims)


def main():
    ap = Parser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--eta", type=float, default=0.5)
    ap.add_argument("--sizes", default="784,30,10")
    ap.add_argument("--activation", default="sigmoid")
    ap.add_argument("--cost", default="cross-entropy", choices=("cross-entropy", "log-likelihood"))
    args = ap.parse_args()
    sizes, act, slope = check_args(args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dt = torch.float64

    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte"))
    timages = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    tlabels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
    n = images.shape[0] - 10000  # Nielsen's split: the last 10,000 are validation
    if n < 1 or labels.shape[0] != images.shape[0] or tlabels.shape[0] != timages.shape[0]:
        fail(f"{args.data}: {images.shape[0]} training images (more than 10000 needed), "
             f"{labels.shape[0]} labels; {timages.shape[0]} test images, {tlabels.shape[0]} labels")
    x = torch.from_numpy(images[:n].reshape(n, -1).astype(np.float64) / 255.0)
    y = torch.nn.functional.one_hot(torch.from_numpy(labels[:n].astype(np.int64)), 10).to(dt)
    tx = torch.from_numpy(timages.reshape(timages.shape[0], -1).astype(np.float64) / 255.0)
    ty = torch.from_numpy(tlabels.astype(np.int64))

    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        lin = torch.nn.Linear(n_in, n_out, dtype=dt)
        with torch.no_grad():
            lin.weight.normal_(0.0, 1.0 / np.sqrt(n_in))
            lin.bias.normal_(0.0, 1.0)
        layers.append(lin)
    # The hidden activation between the layers; the output's (sigmoid or softmax) lives
    # inside the loss (BCEWithLogits, CrossEntropy: stable forms).
    hidden = (lambda: act(slope)) if act is torch.nn.LeakyReLU else act
    mods = []
    for l, lin in enumerate(layers):
        mods += [lin] if l == len(layers) - 1 else [lin, hidden()]
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=args.eta)
    if args.cost == "cross-entropy":
        bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
    else:
        xent = torch.nn.CrossEntropyLoss(reduction="sum")
        bce = lambda logits, yb: xent(logits, yb.argmax(dim=1))  # noqa: E731

    def accuracy():
        with torch.no_grad():
            return int((model(tx).argmax(dim=1) == ty).sum())

    m = args.batch
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for k in range(0, n, m):
            idx = perm[k:k + m]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = bce(model(xb), yb) / xb.shape[0]
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        print(json.dumps({"epoch": epoch, "seconds": secs, "accuracy": accuracy()}), flush=True)
    best = float("inf")
    ty1 = torch.nn.functional.one_hot(ty, 10).to(dt)

    def evaluate():
        with torch.no_grad():
            logits = model(tx)
            acc = int((logits.argmax(dim=1) == ty).sum())
            return acc, float(bce(logits, ty1)) / tx.shape[0]

    for _ in range(3):  # the fastest of three timed evaluations
        t0 = time.perf_counter()
        acc, cost = evaluate()
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"eval_seconds": best, "accuracy": acc, "cost": cost}), flush=True)


if __name__ == "__main__":
    main()
