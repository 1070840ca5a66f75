#!/usr/bin/python3
"""network.py (Nielsen, chapter 1) as published: quadratic cost, sigmoid layers, weights and
biases N(0,1), plain mini-batch SGD, one sample at a time in backprop; with --cost
cross-entropy, --lmbda and --init default, the changes network2.py (chapter 3) makes:
CrossEntropyCost.delta = a - y, the L2 update w <- (1 - eta lmbda/n) w - (eta/m) nabla_w,
and default_weight_initializer (W ~ N(0,1)/sqrt(n_in)). Only the data loading differs: the
same IDX files gradproof reads (raw, or gzipped as Fashion-MNIST's), pixels / 255,
Nielsen's split (first 50,000 training images; --eval test or validation). Prints the
evaluation accuracy after every epoch. A bad argument or data file: one line, status 2.
Usage: network_py.py DATA_DIR [--epochs 30] [--eta 3.0] [--seed S] [--sizes 784,30,10]
                     [--cost quadratic|cross-entropy] [--lmbda L] [--init large|default]
                     [--eval test|validation]"""
import argparse, gzip, math, os, random, sys, zlib
import numpy as np


class DataError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        print('network_py.py: %s (see: network_py.py --help)' % message, file=sys.stderr)
        sys.exit(2)


def idx(path, ndim, count=None):
    """The unsigned-byte IDX array of path, or of path.gz when only that exists
    (Fashion-MNIST), as gradproof reads it; DataError names the file and the problem."""
    name = path if os.path.exists(path) or not os.path.exists(path + '.gz') else path + '.gz'
    try:
        with (gzip.open if name.endswith('.gz') else open)(name, 'rb') as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError('cannot read %s: %s' % (name, getattr(e, 'strerror', None) or e))
    head = 4 + 4 * ndim
    if len(data) < head or data[:4] != bytes([0, 0, 8, ndim]):
        raise DataError('%s: not an idx%d unsigned-byte file' % (name, ndim))
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    if len(data) != head + math.prod(dims):
        raise DataError('%s: %d data bytes, the header declares %d'
                        % (name, len(data) - head, math.prod(dims)))
    if count is not None and dims[0] < count:
        raise DataError('%s: %d items, fewer than the %d read' % (name, dims[0], count))
    if ndim == 3 and dims[1:] != [28, 28]:
        raise DataError('%s: images of %d x %d, not 28 x 28' % (name, dims[1], dims[2]))
    a = np.frombuffer(data, dtype=np.uint8, offset=head).reshape(dims)
    if ndim == 1 and a.size and a.max() > 9:
        raise DataError('%s: label %d is not a digit' % (name, a.max()))
    return a


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network(object):  # network.py, verbatim apart from Python 3 and the network2 options
    def __init__(self, sizes, xent=False, lmbda=0.0, default_init=False):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.xent, self.lmbda = xent, lmbda
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        if default_init:  # network2.py default_weight_initializer
            self.weights = [np.random.randn(y, x) / np.sqrt(x)
                            for x, y in zip(sizes[:-1], sizes[1:])]
        else:
            self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data):
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k:k + mini_batch_size], eta, n)
            print("Epoch {0}: {1} / {2}".format(j, self.evaluate(test_data), len(test_data)),
                  flush=True)

    def update_mini_batch(self, mini_batch, eta, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [(1 - eta * (self.lmbda / n)) * w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        if self.xent:  # network2.py CrossEntropyCost.delta
            delta = activations[-1] - y
        else:
            delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)

    def cost_derivative(self, output_activations, y):
        return (output_activations - y)


def check_args(ap, a):
    """The layer sizes; ap.error (status 2, one line) for a value the run cannot take."""
    if not 0 <= a.seed < 2**32:
        ap.error('argument --seed: %d is not in 0..4294967295' % a.seed)
    if a.epochs < 1:
        ap.error('argument --epochs: %d is not a positive number of epochs' % a.epochs)
    if not (math.isfinite(a.eta) and a.eta > 0):
        ap.error('argument --eta: %r is not a finite number > 0' % a.eta)
    if not (math.isfinite(a.lmbda) and a.lmbda >= 0):
        ap.error('argument --lmbda: %r is not a finite number >= 0' % a.lmbda)
    try:
        sizes = [int(s) for s in a.sizes.split(',')]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1 or sizes[0] != 784 or sizes[-1] != 10:
        ap.error('argument --sizes: %r is not N0,..,NL with N0 = 784, NL = 10, each >= 1'
                 % a.sizes)
    return sizes


def main():
    ap = Parser()
    ap.add_argument('data')
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--eta', type=float, default=3.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--sizes', default='784,30,10')
    ap.add_argument('--cost', choices=['quadratic', 'cross-entropy'], default='quadratic')
    ap.add_argument('--lmbda', type=float, default=0.0)
    ap.add_argument('--init', choices=['large', 'default'], default='large')
    ap.add_argument('--eval', choices=['test', 'validation'], default='test')
    a = ap.parse_args()
    sizes = check_args(ap, a)
    random.seed(a.seed)
    np.random.seed(a.seed)
    n = 60000 if a.eval == 'validation' else 50000
    try:
        xs = idx(a.data + '/train-images-idx3-ubyte', 3, n).reshape(-1, 784, 1) / 255.0
        ls = idx(a.data + '/train-labels-idx1-ubyte', 1, n)
        tx = idx(a.data + '/t10k-images-idx3-ubyte', 3, 10000).reshape(-1, 784, 1) / 255.0
        tl = idx(a.data + '/t10k-labels-idx1-ubyte', 1, 10000)
    except DataError as e:
        print('network_py.py: %s' % e, file=sys.stderr)
        return 2
    def onehot(j):
        e = np.zeros((10, 1))
        e[j] = 1.0
        return e
    training = [(xs[i], onehot(ls[i])) for i in range(50000)]
    if a.eval == 'test':
        test = [(tx[i], int(tl[i])) for i in range(10000)]
    else:
        test = [(xs[i], int(ls[i])) for i in range(50000, 60000)]
    net = Network(sizes, a.cost == 'cross-entropy', a.lmbda, a.init == 'default')
    net.SGD(training, a.epochs, 10, a.eta, test)


if __name__ == '__main__':
    sys.exit(main())
