#!/usr/bin/python3
"""Load a network file with network2.py's load() logic (json.load; the cost class looked
up by name in this module; np.array of weights and biases) and check the shapes network2.py
relies on: weights[l] is sizes[l+1] x sizes[l], biases[l] is sizes[l+1] x 1.

    network2_load.py FILE        exit 0 if it loads and has those shapes, 1 (one line naming
                                 the array) if it loads without them, 2 if it does not load"""
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


def shape_problem(net):
    """The first array whose shape or dtype network2.py would not take, or None."""
    if len(net.weights) != net.num_layers - 1 or len(net.biases) != net.num_layers - 1:
        return "%d weight and %d bias arrays, network2.py needs %d of each for sizes %s" % (
            len(net.weights), len(net.biases), net.num_layers - 1, net.sizes)
    for l in range(net.num_layers - 1):
        for name, a, want in (("weights", net.weights[l], (net.sizes[l + 1], net.sizes[l])),
                              ("biases", net.biases[l], (net.sizes[l + 1], 1))):
            if a.shape != want or a.dtype != np.float64:
                return "%s[%d] is %s %s, network2.py needs float64 %s" % (
                    name, l, a.dtype, a.shape, want)
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: network2_load.py FILE")
    try:
        net = load(sys.argv[1])
        problem = shape_problem(net)
    except (OSError, ValueError, AttributeError, TypeError) as e:
        sys.stderr.write("network2_load.py: cannot load %s: %s\n" % (sys.argv[1], e))
        sys.exit(2)
    except KeyError as e:
        sys.stderr.write("network2_load.py: cannot load %s: no key %s\n" % (sys.argv[1], e))
        sys.exit(2)
    if problem:
        sys.stderr.write("network2_load.py: %s: %s\n" % (sys.argv[1], problem))
        sys.exit(1)
