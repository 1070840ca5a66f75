#!/usr/bin/python3
"""The same job for PyTorch: torch.autograd.gradcheck (central 2-point differences, one
pair of full forward passes per input) of the cross-entropy cost of a [784,30,10] sigmoid
network on a batch of 10 pixel-like inputs, over all 23,860 weights and biases at once,
in float64. Prints the best wall time of REPS runs.

    torch_gradcheck.py [REPS]"""
import sys
import time

import torch

torch.manual_seed(0)
torch.set_num_threads(1)
sizes = [784, 30, 10]
m = 10
x = torch.rand(m, sizes[0], dtype=torch.float64)
y = torch.zeros(m, sizes[-1], dtype=torch.float64)
y[torch.arange(m), torch.randint(0, sizes[-1], (m,))] = 1.0
shapes = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    shapes += [(n_out, n_in), (n_out,)]
params = []
for s in shapes:
    params.append(torch.randn(s, dtype=torch.float64) / (s[1] ** 0.5 if len(s) == 2 else 1.0))
flat = torch.cat([p.reshape(-1) for p in params]).requires_grad_(True)


def cost(theta):
    a, off = x, 0
    for l in range(len(sizes) - 1):
        n_out, n_in = sizes[l + 1], sizes[l]
        W = theta[off:off + n_out * n_in].reshape(n_out, n_in)
        off += n_out * n_in
        b = theta[off:off + n_out]
        off += n_out
        z = a @ W.T + b
        a = torch.sigmoid(z) if l < len(sizes) - 2 else z
    return torch.nn.functional.binary_cross_entropy_with_logits(a, y, reduction="sum") / m


reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
best = float("inf")
for _ in range(reps):
    t0 = time.perf_counter()
    ok = torch.autograd.gradcheck(cost, (flat,), eps=1e-6, atol=1e-5, rtol=1e-3)
    best = min(best, time.perf_counter() - t0)
print("torch.autograd.gradcheck [784,30,10] batch 10: %d parameters, passed %s, "
      "best of %d: %.4f s (torch %s, 1 thread)" % (flat.numel(), ok, reps, best, torch.__version__))
