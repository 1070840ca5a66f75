#!/usr/bin/python3
"""Load a network file with network2.py's load() logic (json.load; the cost class looked
up by name in this module; np.array of weights and biases) and check the shapes network2.py
relies on: weights[l] is sizes[l+1] x sizes[l], biases[l] is sizes[l+1] x 1.

    network2_load.py FILE        exit 0 if it loads and has those shapes"""
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
        self.cost = cost


def load(filename):
    f = open(filename, "r")
    data = json.load(f)
    f.close()
    cost = getattr(sys.modules[__name__], data["cost"])
    net = Network(data["sizes"], cost=cost)
    net.weights = [np.array(w) for w in data["weights"]]
    net.biases = [np.array(b) for b in data["biases"]]
    return net


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: network2_load.py FILE")
    try:
        net = load(sys.argv[1])
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as e:
        sys.stderr.write("network2_load.py: cannot load %s: %r\n" % (sys.argv[1], e))
        sys.exit(2)
    for l in range(net.num_layers - 1):
        assert net.weights[l].shape == (net.sizes[l + 1], net.sizes[l]), net.weights[l].shape
        assert net.biases[l].shape == (net.sizes[l + 1], 1), net.biases[l].shape
        assert net.weights[l].dtype == np.float64 and net.biases[l].dtype == np.float64
    x = np.random.rand(net.sizes[0], 1)
    for b, w in zip(net.biases, net.weights):  # network2.py feedforward
        x = 1.0 / (1.0 + np.exp(-(np.dot(w, x) + b)))
    assert x.shape == (net.sizes[-1], 1)
    print("network2.py load: sizes %s, cost %s" % (net.sizes, net.cost.__name__))
