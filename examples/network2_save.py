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
    np.random.seed(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    cost = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}[
        sys.argv[3] if len(sys.argv) > 3 else "CrossEntropyCost"]
    Network([int(s) for s in sys.argv[2].split(",")], cost).save(sys.argv[1])
