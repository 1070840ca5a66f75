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


cases, seed, dt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BUG = sys.argv[4] if len(sys.argv) > 4 else None   # planted: "xent-mean" (PyTorch's default reduction)
dtype = torch.float32 if dt == "float32" else torch.float64
t0 = time.time()
res = gradproof.hunt(torch_peer(dtype), cases=cases, seed=seed, precision=dt)
print(f"{dt} seed {seed}: kind {res.kind}, n_cases {res.n_cases}, ok {res.ok}, {time.time() - t0:.1f} s")
print(str(res)[:2000])
