#!/usr/bin/python3
"""Write a network file exactly as network2.py's Network.save() does (a faithful copy of
that method and of the cost classes' names), with NumPy: np.random.randn weights.

    network2_save.py FILE SIZES [COST] [SEED]     e.g.  network2_save.py net.json 4,3,2"""
import json
import sys

import numpy as np


class QuadraticCost(object):
    pass


class CrossEntropyCost(object):
    pass


class Network(object):
    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x) / np.sqrt(x)
                        for x, y in zip(self.sizes[:-1], self.sizes[1:])]
        self.cost = cost

    def save(self, filename):
        """Save the neural network to the file ``filename``."""
        data = {"sizes": self.sizes,
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases],
                "cost": str(self.cost.__name__)}
        f = open(filename, "w")
        json.dump(data, f)
        f.close()


if __name__ == "__main__":
    a = sys.argv[1:] + [None] * (5 - len(sys.argv))  # FILE SIZES COST SEED
    costs = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}
    if (not 2 <= len(sys.argv) - 1 <= 4 or not all(s.isdigit() for s in a[1].split(","))
            or a[2] not in costs and a[2] is not None or not (a[3] or "0").isdigit()):
        sys.exit("usage: network2_save.py FILE SIZES [QuadraticCost|CrossEntropyCost] [SEED]")
    np.random.seed(int(a[3] or 0))
    try:
        Network([int(s) for s in a[1].split(",")], costs[a[2] or "CrossEntropyCost"]).save(a[0])
    except OSError as e:
        sys.exit("network2_save.py: cannot write %s: %s" % (a[0], e.strerror))
