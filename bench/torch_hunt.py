"""gradproof.hunt against a correct PyTorch autograd peer, in-process: no false alarm
expected on any number of random cases (sigmoid hidden layers, every cost, half of them
regularised). From the top of a build tree:
    GRADPROOF_LIB=src/.libs/libgradproof.so.0 PYTHONPATH=python \
        /usr/bin/python3 bench/torch_hunt.py CASES SEED float32|float64 [xent-mean]
"xent-mean" plants PyTorch's default reduction in the cross-entropy (averaged over the
outputs too): hunt must find and shrink it."""
import sys, time
import torch
import gradproof

torch.set_num_threads(1)


def torch_peer(dtype):
    def fn(net, x, y, lam=0.0, l1=0.0, n=None):
        W = [torch.tensor(w, dtype=dtype, requires_grad=True) for w in net.weights]
        b = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in net.biases]
        X, Y = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)
        m, L = X.shape[1], len(W)
        a, zs = X, []
        for l in range(L):
            z = W[l] @ a + b[l][:, None]
            z.retain_grad()
            zs.append(z)
            a = torch.sigmoid(z)
        z = zs[-1]
        if net.cost == "quadratic":
            C = 0.5 * ((torch.sigmoid(z) - Y) ** 2).sum()
        elif net.cost == "cross-entropy":
            C = torch.nn.functional.binary_cross_entropy_with_logits(
                z, Y, reduction="mean" if BUG == "xent-mean" else "sum")
        elif net.cost == "log-likelihood":
            C = -(Y * torch.log_softmax(z, 0)).sum()
        else:
            C = 0.5 * ((z - Y) ** 2).sum()
        C = C / m
        if lam:
            C = C + lam / (2 * n) * sum((w ** 2).sum() for w in W)
        if l1:
            C = C + l1 / n * sum(w.abs().sum() for w in W)
        C.backward()
        out = {}
        for l in range(L):
            out[f"delta{l + 1}"] = (zs[l].grad * m).detach().numpy()
            out[f"dW{l + 1}"] = W[l].grad.detach().numpy()
            out[f"db{l + 1}"] = b[l].grad.detach().numpy()
        return out
    return fn


def usage_error(msg):
    print(f"torch_hunt.py: {msg} (usage: CASES SEED float32|float64 [xent-mean])",
          file=sys.stderr)
    sys.exit(2)


def args(argv):
    """CASES, SEED, the precision and the planted bug (None) of the command line; a bad
    one is one line and status 2 (another precision ran as float64, another bug name
    planted nothing)."""
    if not 4 <= len(argv) <= 5:
        usage_error(f"expected 3 or 4 arguments, got {len(argv) - 1}")
    if not (argv[1].isascii() and argv[1].isdigit() and int(argv[1]) >= 1):
        usage_error(f"CASES must be a whole number >= 1, not {argv[1]!r}")
    if not (argv[2].isascii() and argv[2].isdigit() and int(argv[2]) < 2**64):
        usage_error(f"SEED must be a whole number below 2^64, not {argv[2]!r}")
    if argv[3] not in ("float32", "float64"):
        usage_error(f"the precision must be float32 or float64, not {argv[3]!r}")
    if len(argv) == 5 and argv[4] != "xent-mean":
        usage_error(f"the planted bug must be xent-mean, not {argv[4]!r}")
    return int(argv[1]), int(argv[2]), argv[3], argv[4] if len(argv) == 5 else None


cases, seed, dt, BUG = args(sys.argv)  # BUG "xent-mean": PyTorch's default reduction
dtype = torch.float32 if dt == "float32" else torch.float64
t0 = time.time()
res = gradproof.hunt(torch_peer(dtype), cases=cases, seed=seed, precision=dt)
print(f"{dt} seed {seed}: kind {res.kind}, n_cases {res.n_cases}, ok {res.ok}, {time.time() - t0:.1f} s")
print(str(res)[:2000])
