#!/usr/bin/python3
"""A peer implementation in NumPy: network2.py's feedforward and backprop, vectorised over
the batch, dumped in the oracle's layout (a directory of .npy files).

    numpy_peer.py [--dtype float64|float32] [--activation NAME[,NAME..]] [--broken[=NAME]]
                  IN_DIR OUT_DIR

Reads network.json, x.npy, y.npy and meta.json (lambda, l1, n; optional) from IN_DIR (an
oracle dump written by gradproof oracle --out-dir, or a case written by gradproof hunt)
and writes cost.npy, z1.npy, a1.npy, delta1.npy, dW1.npy, db1.npy, ... computed in the
given dtype. The costs use their stable forms (softplus, log-sum-exp), so saturated
outputs stay finite in float32.

The hidden activations are the network file's "activations" (sigmoid if absent): sigmoid,
tanh, relu, leaky-relu[:ALPHA] (or {"name": "leaky-relu", "alpha": ALPHA}), softplus,
identity; --activation replaces them (one name for every hidden layer, or one per hidden
layer). At the kink z = 0, relu' = 0 and leaky-relu' = ALPHA, as in PyTorch.

--broken plants one classic mistake (for testing the oracle's diagnosis and hunt):
  output-sigma-prime  sigma'(z^L) dropped from the quadratic cost's delta^L (the default)
  fprime-missing      sigma'(z^l) dropped from the hidden deltas
  fprime-twice        sigma'(z^l) applied twice in the hidden deltas
  sigma-for-prime     sigma(z^l) used where sigma'(z^l) belongs
  sum                 dW, db summed over the batch instead of averaged
  sign                every delta and gradient negated (y - a for a - y)
  transposed          dW written transposed
  reshaped            dW computed transposed and reshaped to the right shape
  sample-dropped      the last sample left out of dW, db (still divided by m)
  sample-duplicated   the first sample counted twice in dW, db
  reg-missing         no regularisation in dW
  reg-on-biases       weight decay applied to the biases too
  reg-lambda-m        lambda/m instead of lambda/n
  reg-half            (lambda/2n) w in dW
  cost-summed         the cost summed over the batch instead of averaged
  kink-convention     f'(0) = 1 for relu and leaky-relu (PyTorch's, and gradproof's, is
                      f'(0-) = 0 or ALPHA)
  relu-prime-sign     relu'(z) computed as sign(z): -1, not 0, for z < 0 (relu only)
  sigmoid-clamp       every sigmoid computed as 1/(1+exp(-z)) with z clamped to [-20, 20]:
                      wrong only where |z| > 20 (what hunt --target is for)
  log-eps             the cross-entropy and log-likelihood costs in the book's a-form with
                      an epsilon 1e-12 inside each log, ln(a + 1e-12), "for safety" (the
                      gradient unchanged): below the rounding of float32 unless the output
                      saturates
In the hidden-delta mistakes, sigma means the layer's activation f."""
import json
import os
import sys

import numpy as np

BROKEN = ("output-sigma-prime", "fprime-missing", "fprime-twice", "sigma-for-prime", "sum",
          "sign", "transposed", "reshaped", "sample-dropped", "sample-duplicated",
          "reg-missing", "reg-on-biases", "reg-lambda-m", "reg-half", "cost-summed",
          "kink-convention", "relu-prime-sign", "sigmoid-clamp", "log-eps")
CLAMP = None  # --broken=sigmoid-clamp: the bound on z inside sigmoid


def sigmoid(z):
    if CLAMP is not None:
        z = np.clip(z, -CLAMP, CLAMP)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def activation(spec, dtype, broken):
    """f and f' of one hidden activation spec: a name, "leaky-relu:ALPHA" or
    {"name": ..., "alpha": ...}."""
    if isinstance(spec, dict):
        name, alpha = spec["name"], spec.get("alpha", 0.01)
    else:
        name, _, alpha = spec.partition(":")
        alpha = float(alpha) if alpha else 0.01
    alpha = dtype(alpha)
    at0 = 1 if broken == "kink-convention" else 0  # f'(0): 1 is the planted mistake
    table = {
        "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
        "tanh": (np.tanh, lambda z, a: 1 - a * a),
        "relu": (lambda z: np.maximum(z, 0), lambda z, a: ((z > 0) | ((z == 0) & bool(at0))).astype(z.dtype)),
        "leaky-relu": (lambda z: np.where(z > 0, z, alpha * z),
                       lambda z, a: np.where((z > 0) | ((z == 0) & bool(at0)), 1, alpha).astype(z.dtype)),
        "softplus": (lambda z: np.logaddexp(0, z), lambda z, a: sigmoid(z)),
        "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    }
    if name not in table:
        sys.exit("numpy_peer.py: unknown activation %r (one of %s)" % (spec, ", ".join(table)))
    if name == "relu" and broken == "relu-prime-sign":
        return table[name][0], lambda z, a: np.sign(z)
    return table[name]


def activations(net, override, L, dtype, broken):
    """The (f, f') of hidden layers 1 .. L-1: --activation's, else the network file's."""
    specs = override.split(",") if override else net.get("activations", ["sigmoid"] * (L - 1))
    if len(specs) == 1:
        specs = specs * (L - 1)
    if len(specs) != L - 1:
        sys.exit("numpy_peer.py: %d activations for %d hidden layers" % (len(specs), L - 1))
    return [activation(s, dtype, broken) for s in specs]


def parse(argv):
    pos, dtype, broken, act, i = [], np.float64, None, None, 1
    while i < len(argv):
        a = argv[i]
        if a == "--dtype":
            dtypes = {"float64": np.float64, "float32": np.float32}
            if i + 1 == len(argv) or argv[i + 1] not in dtypes:
                sys.exit("numpy_peer.py: --dtype takes float64 or float32")
            dtype = dtypes[argv[i + 1]]
            i += 1
        elif a == "--activation":
            act = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        elif a == "--broken":
            broken = "output-sigma-prime"
        elif a.startswith("--broken="):
            broken = a.split("=", 1)[1]
            if broken not in BROKEN:
                sys.exit("numpy_peer.py: unknown --broken=%s (one of %s)" % (broken, ", ".join(BROKEN)))
        else:
            pos.append(a)
        i += 1
    if len(pos) != 2 or act == "":
        sys.exit(__doc__)
    return pos[0], pos[1], dtype, broken, act


def read_inputs(src, dtype, me):
    """network.json, meta.json ({} if absent), x, y of src; unreadable: one line, exit 2."""
    try:
        net = json.load(open(os.path.join(src, "network.json")))
        meta_path = os.path.join(src, "meta.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        x = np.load(os.path.join(src, "x.npy"))
        y = np.load(os.path.join(src, "y.npy"))
        return net, meta, x.astype(dtype), y.astype(dtype)  # n_0 x m, n_L x m
    except (OSError, ValueError) as e:
        sys.stderr.write("%s: cannot read %s: %s\n" % (me, src, e))
        sys.exit(2)


def forward(W, b, x, cost, L, f):
    zs, acts = [], [x]
    for l in range(L):
        z = W[l] @ acts[-1] + b[l]
        zs.append(z)
        if l < L - 1:
            a = f[l][0](z)
        elif cost in ("QuadraticCost", "CrossEntropyCost", "quadratic", "cross-entropy"):
            a = sigmoid(z)
        elif cost in ("log-likelihood", "LogLikelihoodCost"):
            e = np.exp(z - z.max(axis=0))
            a = e / e.sum(axis=0)
        else:  # quadratic-linear
            a = z
        acts.append(a)
    return zs, acts


def output(zs, acts, y, cost, broken):
    """Per-sample costs (stable forms) and delta^L [65, 66, 84]."""
    z, a = zs[-1], acts[-1]
    if cost in ("QuadraticCost", "quadratic", "quadratic-linear"):
        cx = 0.5 * np.sum((a - y) ** 2, axis=0)
        delta = a - y
        if cost != "quadratic-linear" and broken != "output-sigma-prime":
            delta = delta * a * (1 - a)  # sigma'(z^L) [65]
    elif cost in ("CrossEntropyCost", "cross-entropy"):
        cx = np.sum(np.logaddexp(0, z) - y * z, axis=0)  # softplus(z) - y z
        if broken == "log-eps":
            e = a.dtype.type(1e-12)
            cx = -np.sum(y * np.log(a + e) + (1 - y) * np.log(1 - a + e), axis=0)
        delta = a - y
    else:
        zmax = z.max(axis=0)
        lse = zmax + np.log(np.sum(np.exp(z - zmax), axis=0))
        cx = np.sum(y * (lse - z), axis=0)
        if broken == "log-eps":
            cx = -np.sum(y * np.log(a + a.dtype.type(1e-12)), axis=0)
        delta = a - y
    return cx, delta


def main(argv):
    global CLAMP
    src, out, dtype, broken, act = parse(argv)
    if broken == "sigmoid-clamp":
        CLAMP = 20
    net, meta, x, y = read_inputs(src, dtype, "numpy_peer.py")
    W = [np.array(w, dtype=dtype) for w in net["weights"]]
    b = [np.array(v, dtype=dtype).reshape(-1, 1) for v in net["biases"]]  # n_l x 1
    cost = net["cost"]
    m = x.shape[1]
    lmbda, l1, n = meta.get("lambda", 0), meta.get("l1", 0), meta.get("n", m) or m
    L = len(W)
    f = activations(net, act, L, dtype, broken)
    zs, acts = forward(W, b, x, cost, L, f)
    cx, delta = output(zs, acts, y, cost, broken)
    c = np.sum(cx) / (1 if broken == "cost-summed" else m)
    c += lmbda / (2 * n) * sum(np.sum(w * w) for w in W) + l1 / n * sum(np.sum(np.abs(w)) for w in W)
    deltas = [None] * L
    deltas[-1] = delta
    for l in range(L - 2, -1, -1):
        fp = f[l][1](zs[l], acts[l + 1])  # f'(z^l) [BP2]
        g = {"fprime-missing": 1, "fprime-twice": fp * fp, "sigma-for-prime": acts[l + 1]}
        deltas[l] = (W[l + 1].T @ deltas[l + 1]) * g.get(broken, fp)
    if broken == "sign":
        deltas = [-d for d in deltas]
    wgt = np.ones(m, dtype=dtype)
    if broken == "sample-dropped":
        wgt[-1] = 0
    if broken == "sample-duplicated":
        wgt[0] = 2
    q = 1 if broken == "sum" else m
    lam = {"reg-missing": 0, "reg-lambda-m": lmbda * n / m, "reg-half": lmbda / 2}.get(broken, lmbda)
    l1b = {"reg-missing": 0, "reg-lambda-m": l1 * n / m}.get(broken, l1)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "cost.npy"), np.array(c, dtype=dtype))
    for l in range(L):
        d = deltas[l] * wgt
        dW = d @ acts[l].T / q + (lam / n) * W[l] + (l1b / n) * np.sign(W[l])
        db = d.sum(axis=1) / q
        if broken == "reg-on-biases":
            db = db + (lmbda / n) * b[l][:, 0]
        if broken == "transposed":
            dW = dW.T
        if broken == "reshaped":
            dW = np.ascontiguousarray(dW.T).reshape(dW.shape)
        k = l + 1
        np.save(os.path.join(out, "z%d.npy" % k), zs[l].astype(dtype))
        np.save(os.path.join(out, "a%d.npy" % k), acts[l + 1].astype(dtype))
        np.save(os.path.join(out, "delta%d.npy" % k), deltas[l].astype(dtype))
        np.save(os.path.join(out, "dW%d.npy" % k), dW.astype(dtype))
        np.save(os.path.join(out, "db%d.npy" % k), db.astype(dtype))


if __name__ == "__main__":
    main(sys.argv)
