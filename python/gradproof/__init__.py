"""gradproof in Python: the oracle and the compare rule of libgradproof, in memory.

    import gradproof
    net = gradproof.Network(sizes, weights, biases, "cross-entropy")
    ref = gradproof.oracle(net, x, y)            # dict of float64 arrays
    gradproof.compare(ref, mine).raise_if_failed()
"""
from .core import Bounds, Dump, Network, oracle
from .report import Diagnosis, Report, check, compare
from .hunt import HuntResult, hunt

__all__ = ["Network", "Dump", "Bounds", "Diagnosis", "oracle", "compare", "check", "Report", "hunt",
           "HuntResult"]
