"""PyTorch: a model's autograd gradients checked against the oracle in one call.

    report = gradproof.torch.check(model, x, y, cost="cross-entropy")
    report.raise_if_failed()

Conventions converted here (the oracle's, [BP1]-[BP4] in doc/mathematics.md): samples are rows in
PyTorch, columns in the oracle; delta^l is the per-sample dC_x/dz^l, while autograd
gives dC/dz^l of the batch mean C = (1/m) sum_x C_x, i.e. delta^l / m."""
import math

import numpy as np
import torch as _torch
from torch import nn

from .core import Network, _strength, oracle
from .report import compare

_HIDDEN = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu",
           nn.LeakyReLU: "leaky-relu", nn.Softplus: "softplus", nn.Identity: "identity"}
_COSTS = {"quadratic": "quadratic", "QuadraticCost": "quadratic",
          "quadratic-linear": "quadratic-linear",
          "cross-entropy": "cross-entropy", "CrossEntropyCost": "cross-entropy",
          "log-likelihood": "log-likelihood", "LogLikelihoodCost": "log-likelihood"}
_OUTPUT = {"quadratic": nn.Sigmoid, "cross-entropy": nn.Sigmoid,
           "log-likelihood": nn.Softmax, "quadratic-linear": nn.Identity}


def _cost_name(cost):
    if not isinstance(cost, str) or cost not in _COSTS:  # a list is not even hashable
        raise ValueError(f"cost: {cost!r} is not one of " + ", ".join(_COSTS))
    return _COSTS[cost]


def _layers(model, cost):
    """[(Linear, activation module)] of an nn.Sequential Linear, act, ..., Linear, out."""
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model: {type(model).__name__} is not an nn.Sequential")
    mods = list(model)
    out = _OUTPUT[cost]
    if out is nn.Identity and len(mods) % 2 and isinstance(mods[-1], nn.Linear):
        mods.append(nn.Identity())  # a linear output layer may end the model with Linear
    if len(mods) < 2 or len(mods) % 2:
        raise ValueError(f"model: {len(mods)} modules; expected Linear, activation, ..., "
                         f"Linear, {out.__name__}")
    pairs = list(zip(mods[0::2], mods[1::2]))
    for i, (lin, act) in enumerate(pairs):
        if not isinstance(lin, nn.Linear) or lin.bias is None:
            raise TypeError(f"model[{2 * i}]: {lin!r} is not an nn.Linear with bias")
        tied = next((j for j, (other, _) in enumerate(pairs[:i]) if other is lin), None)
        if tied is not None:  # autograd sums both layers' gradients into its weight
            raise ValueError(f"model[{2 * i}]: the same nn.Linear as model[{2 * tied}] "
                             "(tied weights); each layer needs its own")
        last = i == len(pairs) - 1
        if last and not isinstance(act, out):
            raise TypeError(f"model[{2 * i + 1}]: {act!r}; the {cost} cost needs "
                            f"{out.__name__} as output activation")
        if last and out is nn.Softmax and act.dim not in (1, -1):
            raise ValueError(f"model[{2 * i + 1}]: Softmax(dim={act.dim}); dim=1 expected")
        if not last and type(act) not in _HIDDEN:
            raise TypeError(f"model[{2 * i + 1}]: {act!r} is not a supported hidden "
                            "activation (" + ", ".join(c.__name__ for c in _HIDDEN) + ")")
        if not last and isinstance(act, nn.LeakyReLU) and not 0 <= act.negative_slope < 1:
            raise ValueError(f"model[{2 * i + 1}]: {act!r}; leaky-relu's slope must be in "
                             "[0, 1)")
        if not last and isinstance(act, nn.Softplus) and act.beta != 1:
            raise ValueError(f"model[{2 * i + 1}]: {act!r}; softplus is log(1 + e^z), "
                             "beta=1 only")
    return pairs


def from_module(model, cost):
    """The gradproof.Network of a model (Linear + activation modules) and cost."""
    cost = _cost_name(cost)
    pairs = _layers(model, cost)
    W = [lin.weight.detach().double().cpu().numpy() for lin, _ in pairs]
    b = [lin.bias.detach().double().cpu().numpy() for lin, _ in pairs]
    sizes = [W[0].shape[1]] + [w.shape[0] for w in W]
    # LeakyReLU's slope travels as "leaky-relu:ALPHA" (the network file's spelling).
    acts = [f"leaky-relu:{a.negative_slope!r}" if isinstance(a, nn.LeakyReLU)
            else _HIDDEN[type(a)] for _, a in pairs[:-1]]
    return Network(sizes, W, b, cost, acts)


def _loss(zL, y, cost):
    """Batch mean of C_x from z^L (stable forms of the book's [6], [63], [80])."""
    if cost == "quadratic":
        per = 0.5 * ((_torch.sigmoid(zL) - y) ** 2).sum(1)
    elif cost == "quadratic-linear":
        per = 0.5 * ((zL - y) ** 2).sum(1)
    elif cost == "cross-entropy":
        per = (nn.functional.softplus(zL) - y * zL).sum(1)
    else:
        per = -(y * nn.functional.log_softmax(zL, dim=1)).sum(1)
    return per.mean()


# the precisions report.compare knows; half ones travel as float32 (exact)
_DTYPES = {_torch.float64: "float64", _torch.float32: "float32",
           _torch.bfloat16: "bfloat16", _torch.float16: "float16"}


def _tensor(arg, v, dtype):
    try:
        t = _torch.as_tensor(v)
    except (TypeError, ValueError, RuntimeError) as e:  # None, ragged lists, strings
        raise TypeError(f"{arg}: {type(v).__name__} is not a tensor or array: {e}") from None
    if t.dtype not in _DTYPES:
        raise TypeError(f"{arg}: dtype {t.dtype}, expected " +
                        ", ".join(str(d) for d in _DTYPES))
    if t.ndim != 2:
        raise ValueError(f"{arg}: {t.ndim}-D, expected 2-D (samples as rows)")
    if not _torch.isfinite(t).all():
        raise ValueError(f"{arg}: contains NaN or infinity")
    return t.detach().to(dtype)  # an input may come from a graph (requires_grad)


def _softplus_cutoff(pairs, seen):
    """Refuse a Softplus whose linear cut-off the batch reaches: torch returns z itself
    where beta z > threshold (default 20), not log(1 + e^z), which lies above it by up to
    e^-threshold (2e-9): beyond float64's bounds, so a correct model would fail. The
    library has no such activation; float32 and narrower formats do not see it."""
    for l, (_, act) in enumerate(pairs[:-1], start=1):
        if not isinstance(act, nn.Softplus) or act.threshold == float("inf"):
            continue
        z = seen[f"z{l}"].detach()
        if (act.beta * z > act.threshold).any():
            i, j = divmod(int(_torch.argmax(z)), z.shape[1])
            raise ValueError(
                f"model[{2 * l - 1}]: {act!r} returns z itself for z > {act.threshold}, "
                f"not softplus log(1 + e^z) (larger by up to {math.exp(-act.threshold):.2g}"
                f"), and z{l}[{j}][{i}] = {float(z[i, j]):.6g} (unit {j}, sample {i}) is "
                "above it: a difference float64's bounds would report as a failure. "
                "Check it with nn.Softplus(threshold=float('inf')) in its place, "
                "precision='float32', or inputs that keep z below the threshold")


@_torch.enable_grad()  # autograd also under a caller's torch.no_grad()
def check(model, x, y, *, cost, weight_decay=0.0, l1=0.0, n=None, precision=None):
    """Autograd on model (samples as rows of x, y) with the cost
    C = (1/m) sum_x C_x + weight_decay/(2n) sum_l ||W^l||^2 + l1/n sum_l |W^l|_1
    (the book's [85], [95]; n defaults to the batch size m; autograd's d|w|/dw at w = 0 is 0,
    the oracle's convention sgn(0) = 0); its z, a (forward hooks), delta = m dC/dz, dW,
    db and cost are compared with the oracle in the model's dtype (float64, float32,
    bfloat16 or float16; `precision` overrides it). The model's .grad is left as it was.
    A hidden nn.Softplus is torch's thresholded one (z itself above `threshold`): checked
    in float64, a batch that takes z above it is refused (ValueError naming the entry),
    since the oracle's softplus differs there by up to e^-threshold.
    Returns the Report."""
    cost = _cost_name(cost)
    _strength("weight_decay", weight_decay)  # named as the caller named it (oracle: lam)
    net = from_module(model, cost)
    for i, (lin, _) in enumerate(_layers(model, cost)):
        for k in ("weight", "bias"):
            if not getattr(lin, k).requires_grad:
                raise ValueError(f"model[{2 * i}].{k}: requires_grad is False (frozen): "
                                 "it has no gradient to check")
    dtype = next(model.parameters()).dtype
    mixed = sorted({str(p.dtype) for p in model.parameters()})
    if len(mixed) > 1:  # the forward pass would fail inside torch
        raise TypeError(f"model: parameters of mixed dtypes ({', '.join(mixed)}); "
                        "convert the model with .to(dtype)")
    if dtype not in _DTYPES:
        raise TypeError(f"model: parameters of dtype {dtype}, expected " +
                        ", ".join(str(d) for d in _DTYPES))
    X, Y = _tensor("x", x, dtype), _tensor("y", y, dtype)
    if X.shape[1] != net.sizes[0]:
        raise ValueError(f"x: shape {tuple(X.shape)}, expected (m, {net.sizes[0]})")
    if Y.shape != (X.shape[0], net.sizes[-1]):
        raise ValueError(f"y: shape {tuple(Y.shape)}, expected ({X.shape[0]}, {net.sizes[-1]})")
    m = X.shape[0]
    ref = oracle(net, X.double().numpy(), Y.double().numpy(), lam=weight_decay, l1=l1,
                 n=n, rows=True)
    # z^l, a^l in call order: one hook per module, since a module may appear twice
    # (nn.Sequential(lin1, s, lin2, s) with one Sigmoid s)
    outs = {"z": [], "a": []}
    mods = {id(mod): (mod, k) for lin, act in _layers(model, cost)
            for mod, k in ((lin, "z"), (act, "a"))}
    def keep(k, o):
        outs[k].append(o)
        # the model goes on with a copy of z: an in-place activation
        # (ReLU(inplace=True)) would overwrite the z^l kept here with a^l
        return o.clone() if k == "z" else None
    hooks = [mod.register_forward_hook(lambda _, i, o, k=k: keep(k, o))
             for mod, k in mods.values()]
    try:
        model(X)
    finally:
        for h in hooks:
            h.remove()
    seen = {f"{k}{l}": o for k in outs for l, o in enumerate(outs[k], start=1)}
    L = len(net.sizes) - 1
    if (precision or _DTYPES[dtype]) == "float64":
        _softplus_cutoff(_layers(model, cost), seen)
    seen.setdefault(f"a{L}", seen[f"z{L}"])  # a model ending with Linear: a^L = z^L
    C = _loss(seen[f"z{L}"], Y, cost)
    lins = [lin for lin, _ in _layers(model, cost)]
    if weight_decay:
        C = C + weight_decay / (2 * (n or m)) * sum((w.weight ** 2).sum() for w in lins)
    if l1:
        C = C + l1 / (n or m) * sum(w.weight.abs().sum() for w in lins)
    # autograd.grad, not backward: the model's .grad (a training step's) stays as it was
    ps = [p for lin in lins for p in (lin.weight, lin.bias)]
    g = _torch.autograd.grad(C, [seen[f"z{l}"] for l in range(1, L + 1)] + ps)
    half = dtype not in (_torch.float32, _torch.float64)
    np_ = (lambda t: t.detach().float().numpy()) if half else (lambda t: t.detach().numpy())
    cand = {"cost": np_(C)}
    for l in range(1, L + 1):
        cand[f"z{l}"] = np_(seen[f"z{l}"])
        cand[f"a{l}"] = np_(seen[f"a{l}"])
        cand[f"delta{l}"] = np_(g[l - 1]) * m  # per-sample dC_x/dz
        cand[f"dW{l}"] = np_(g[L + 2 * l - 2])
        cand[f"db{l}"] = np_(g[L + 2 * l - 1])
    return compare(ref, cand, precision=precision or (_DTYPES[dtype] if half else None),
                   rows=True)
