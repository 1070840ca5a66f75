#!/usr/bin/python3
"""A peer implementation in PyTorch: the same network as nn.Linear layers, gradients by
autograd, dumped in the oracle's layout (a directory of .npy files).

    torch_peer.py DUMP_DIR OUT_DIR [--dtype float64|float32] [--activation NAME[,NAME..]]

Reads network.json, x.npy, y.npy and meta.json (optional) from an oracle dump and writes
cost.npy, z1.npy, a1.npy, delta1.npy (dC_x/dz^l per sample: autograd's dC/dz^l times m),
dW1.npy, db1.npy, ... computed in the given dtype. The hidden layers use torch.nn's modules for the
network file's "activations" (sigmoid if absent) or --activation's (one name for every
hidden layer, or one per hidden layer): Sigmoid, Tanh, ReLU, LeakyReLU(ALPHA) for
leaky-relu[:ALPHA] or {"name": "leaky-relu", "alpha": ALPHA}, Softplus, Identity."""
import os
import sys

import numpy as np
import torch

from numpy_peer import read_inputs  # beside this file

MODULES = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
           "leaky-relu": torch.nn.LeakyReLU, "softplus": torch.nn.Softplus,
           "identity": torch.nn.Identity}


def module(spec):
    """torch.nn's module for one activation spec of the network file."""
    if isinstance(spec, dict):
        name, alpha = spec["name"], spec.get("alpha", 0.01)
    else:
        name, _, alpha = spec.partition(":")
        alpha = float(alpha) if alpha else 0.01
    if name not in MODULES:
        sys.exit("torch_peer.py: unknown activation %r (one of %s)" % (spec, ", ".join(MODULES)))
    return MODULES[name](alpha) if name == "leaky-relu" else MODULES[name]()


def parse(argv):
    """DUMP_DIR, OUT_DIR and the options' values; a usage error exits 1 with the usage."""
    pos, opt, i = [], {}, 1
    while i < len(argv):
        if argv[i] in ("--dtype", "--activation") and i + 1 < len(argv):
            opt[argv[i]], i = argv[i + 1], i + 2
        elif argv[i].startswith("-"):
            sys.exit("torch_peer.py: unknown option or missing value: %s\n%s" % (argv[i], __doc__))
        else:
            pos, i = pos + [argv[i]], i + 1
    if len(pos) != 2:
        sys.exit(__doc__)
    return pos[0], pos[1], opt


def main(argv):
    src, out, opt = parse(argv)
    dtypes = {"float64": torch.float64, "float32": torch.float32}
    if opt.get("--dtype", "float64") not in dtypes:
        sys.exit("torch_peer.py: --dtype takes float64 or float32")
    dtype = dtypes[opt.get("--dtype", "float64")]
    net, meta, x, y = read_inputs(src, np.float64, "torch_peer.py")
    cost = net["cost"]
    x = torch.tensor(x.T, dtype=dtype)  # m x n_0
    y = torch.tensor(y.T, dtype=dtype)
    m = x.shape[0]
    lmbda, l1, n = meta.get("lambda", 0), meta.get("l1", 0), meta.get("n", m) or m
    layers = []
    for w, b in zip(net["weights"], net["biases"]):
        lin = torch.nn.Linear(len(w[0]), len(w)).to(dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=dtype))
            lin.bias.copy_(torch.tensor(b, dtype=dtype).reshape(-1))
        layers.append(lin)
    L = len(layers)
    override = opt.get("--activation")
    specs = override.split(",") if override else net.get("activations", ["sigmoid"] * (L - 1))
    if len(specs) == 1:
        specs = specs * (L - 1)
    if len(specs) != L - 1:
        sys.exit("torch_peer.py: %d activations for %d hidden layers" % (len(specs), L - 1))
    hidden = [module(s) for s in specs]
    zs, acts = [], []
    a = x
    for l, lin in enumerate(layers):
        z = lin(a)
        z.retain_grad()
        zs.append(z)
        if l < L - 1:
            a = hidden[l](z)
        elif cost in ("QuadraticCost", "CrossEntropyCost", "quadratic", "cross-entropy"):
            a = torch.sigmoid(z)
        elif cost == "log-likelihood":
            a = torch.softmax(z, dim=1)
        else:
            a = z
        acts.append(a)
    z = zs[-1]
    if cost in ("QuadraticCost", "quadratic", "quadratic-linear"):
        c = 0.5 * ((a - y) ** 2).sum() / m
    elif cost in ("CrossEntropyCost", "cross-entropy"):
        c = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum") / m
    else:
        c = -(y * torch.log_softmax(z, dim=1)).sum() / m
    for lin in layers:
        c = c + lmbda / (2 * n) * (lin.weight ** 2).sum() + l1 / n * lin.weight.abs().sum()
    c.backward()
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "cost.npy"), c.detach().numpy())
    for l, lin in enumerate(layers):
        k = l + 1
        np.save(os.path.join(out, "z%d.npy" % k), zs[l].detach().numpy().T)
        np.save(os.path.join(out, "a%d.npy" % k), acts[l].detach().numpy().T)
        np.save(os.path.join(out, "delta%d.npy" % k), (zs[l].grad * m).numpy().T)
        np.save(os.path.join(out, "dW%d.npy" % k), lin.weight.grad.numpy())
        np.save(os.path.join(out, "db%d.npy" % k), lin.bias.grad.numpy())


if __name__ == "__main__":
    main(sys.argv)
