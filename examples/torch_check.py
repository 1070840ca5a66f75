"""Check a PyTorch model's gradients against gradproof's oracle in one call.
Run: python3 examples/torch_check.py
(installed package; uninstalled prefix PYTHONPATH=python, and for a build made in another
directory GRADPROOF_LIB=BUILD/src/.libs/libgradproof.so.0: README, "From Python")"""
import sys

if len(sys.argv) > 1:  # it takes none: an option meant for numpy_check.py is not ignored
    sys.exit("usage: torch_check.py (no arguments)")

import torch

import gradproof.torch

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(),
                            torch.nn.Linear(30, 10), torch.nn.Sigmoid())
x = torch.rand(10, 784)                                   # 10 samples as rows
y = torch.nn.functional.one_hot(torch.arange(10), 10).float()
report = gradproof.torch.check(model, x, y, cost="cross-entropy", weight_decay=5.0,
                               n=50000)
print(report)
sys.exit(0 if report.ok else 1)
