"""Networks, the oracle's dump and the compare rule, in memory (gradproof/dump.h)."""
import collections
import copy
import ctypes as C
import json
import numbers
import os
import re

import numpy as np

from ._lib import (GP_MAX_LAYERS, GP_MAX_WIDTH, SIZE_MAX, gp_activation, gp_bounds_model,
                   gp_dump, gp_params, gp_regularization, lib)

GSL_EUNIMPL = 24

_ERRLEN = 512


def _to_gsl(a):
    """A new gsl_matrix holding the 2-D float64 array a (caller frees)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    m = lib.gsl_matrix_alloc(a.shape[0], a.shape[1])
    if not m:
        raise MemoryError("gsl_matrix_alloc failed")
    C.memmove(m.contents.data, a.ctypes.data, a.nbytes)
    return m


def _from_gsl(m):
    g = m.contents
    buf = np.ctypeslib.as_array(g.data, shape=(g.size1 * g.tda,))
    return buf.reshape(g.size1, g.tda)[:, :g.size2].copy()


def _detach(value):
    """A torch tensor without its autograd graph (NumPy cannot read one that requires
    grad); anything else as it is."""
    detach = getattr(value, "detach", None)
    return detach() if callable(detach) and hasattr(value, "requires_grad") else value


def _name(arg, value):
    """The str value as the C string the library reads, or a ValueError naming arg for
    an embedded NUL, where C would read the shorter name before it."""
    if "\0" in value:
        raise ValueError(f"{arg}: {value!r} contains a NUL character")
    return value.encode()


def _asarray(arg, value):
    """np.asarray(value) (a tensor detached), or a ValueError naming arg for rows of
    different lengths."""
    try:
        return np.asarray(_detach(value))
    except ValueError:  # NumPy's words name neither the argument nor the rows
        raise ValueError(f"{arg}: rows of different lengths (not an array)") from None


def _array(arg, value, ndim=2, shape=None, rows=False):
    """value as a finite float64 array, or a ValueError/TypeError naming arg. A 1-D value
    where 2-D is expected is one sample: a column, or a row when rows is true."""
    a = _asarray(arg, value)
    if a.dtype.kind not in "fiu" or a.dtype == np.float16:
        raise TypeError(f"{arg}: dtype {a.dtype} is not a float32/float64 array")
    a = a.astype(np.float64)
    if a.ndim == 1 and ndim == 2:
        a = a.reshape((1, -1) if rows else (-1, 1))
    if a.ndim != ndim:
        raise ValueError(f"{arg}: {a.ndim}-D array, expected {ndim}-D")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{arg}: shape {a.shape}, expected {tuple(shape)}")
    if a.size == 0:
        raise ValueError(f"{arg}: empty array (shape {a.shape})")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{arg}: contains NaN or infinity")
    return a


def _pixels(x):
    """x as the oracle takes it: a uint8 array is pixels, scaled by 1/255 to float64 in
    [0, 1] (x / 255.0, correctly rounded), exactly as the CLI's oracle scales a uint8
    --x .npy file and IDX images (npy.h: GP_NPY_U8_UNIT); anything else as it is.
    Targets (y) are never scaled."""
    a = _asarray("x", x)
    return a / 255.0 if a.dtype == np.uint8 else x


def _bias(arg, value, n):
    """b^l as (n,), or as network2.py's column (n, 1) or a row (1, n); any other shape,
    even of n entries, is refused by name (_array)."""
    try:
        a = np.asarray(value)
    except ValueError:
        a = value  # ragged: _array names it
    if getattr(a, "ndim", 0) == 2 and 1 in a.shape:
        a = a.reshape(-1)
    return _array(arg, a, 1, (n,))


def _int(arg, value, lo, hi):
    """value as an int in lo..hi (3 or 3.0, not 3.5, "3" or True), or a ValueError naming
    arg: never cut to the C type's width."""
    try:
        i = None if isinstance(value, (bool, np.bool_)) else int(value)
    except (TypeError, ValueError, OverflowError):
        i = None
    if i is None or i != value or not lo <= i <= hi:
        raise ValueError(f"{arg}: {value!r} must be an integer in {lo}..{hi}")
    return i


class Network:
    """A fully connected network: sizes n_0..n_L, weights W^l (n_l x n_{l-1}), biases
    b^l ((n_l,), network2.py's (n_l, 1) or (1, n_l)), a cost name (gp_cost_lookup) and
    one activation name per hidden layer (default sigmoid; gp_activation_lookup)."""

    def __init__(self, sizes, weights, biases, cost, activations=None):
        self.sizes = [_int(f"sizes[{i}]", s, 1, GP_MAX_WIDTH) for i, s in enumerate(sizes)]
        L = len(self.sizes) - 1
        if not 1 <= L < GP_MAX_LAYERS:
            raise ValueError(f"sizes: {len(self.sizes)} layers, expected 2..{GP_MAX_LAYERS}")
        if not all(hasattr(v, "__len__") for v in (weights, biases)):
            raise TypeError("weights/biases: lists of arrays expected, got "
                            f"{type(weights).__name__}/{type(biases).__name__}")
        if len(weights) != L or len(biases) != L:
            raise ValueError(f"weights/biases: {len(weights)}/{len(biases)} entries, "
                             f"expected {L} (one per layer after the input)")
        self.weights = [_array(f"weights[{l}]", w, 2,
                               (self.sizes[l + 1], self.sizes[l]))
                        for l, w in enumerate(weights)]
        self.biases = [_bias(f"biases[{l}]", b, self.sizes[l + 1])
                       for l, b in enumerate(biases)]
        ct = lib.gp_cost_lookup(_name("cost", cost)) if isinstance(cost, str) else None
        if not ct:
            raise ValueError(f"cost: unknown cost {cost!r}; valid: "
                             + lib.gp_cost_names().decode())
        # the library's name ("quadratic" for network2.py's "QuadraticCost")
        self.cost = C.cast(ct, C.POINTER(C.c_char_p))[0].decode()
        acts = ["sigmoid"] * (L - 1) if activations is None else list(activations)
        if len(acts) != L - 1:
            raise ValueError(f"activations: {len(acts)} names, expected {L - 1} "
                             "(one per hidden layer)")
        for i, a in enumerate(acts):  # "leaky-relu:ALPHA" with its slope too
            if not isinstance(a, str) or lib.gp_activation_parse(
                    _name(f"activations[{i}]", a), C.byref(gp_activation())):
                raise ValueError(f"activations[{i}]: {a!r}, expected sigmoid, tanh, relu, "
                                 "leaky-relu[:ALPHA in [0,1)], softplus or identity")
        self.activations = acts

    def to_json(self):
        """network2.py's JSON (plus "activations", which network2.py ignores)."""
        d = {"sizes": self.sizes, "weights": [w.tolist() for w in self.weights],
             "biases": [[[float(x)] for x in b] for b in self.biases],
             "cost": self.cost}
        if any(a != "sigmoid" for a in self.activations):
            d["activations"] = self.activations
        return json.dumps(d)

    @classmethod
    def from_json(cls, text):
        """Parsed and checked by the library (gp_netio_load_string); an activation may
        be "leaky-relu:ALPHA" or {"name": "leaky-relu", "alpha": ALPHA}."""
        raw = text.encode() if isinstance(text, str) else bytes(text)
        with _CNet(raw) as cnet:
            return cls._from_c(cnet.p)

    @classmethod
    def _from_c(cls, p):
        """The Network of a gp_network* p (through the library's JSON)."""
        out = C.c_void_p()
        err = C.create_string_buffer(_ERRLEN)
        if lib.gp_netio_save_string(p, C.byref(out), err, _ERRLEN):
            raise ValueError(err.value.decode())
        d = json.loads(C.string_at(out).decode())
        lib.gp_netio_string_free(out)
        return cls(d["sizes"], d["weights"], d["biases"], d["cost"], d.get("activations"))

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            return cls.from_json(f.read())

    def save(self, path):
        with _CNet(self) as cnet:
            err = C.create_string_buffer(_ERRLEN)
            lib.gp_netio_save.restype = C.c_int
            lib.gp_netio_save.argtypes = [C.c_void_p, C.c_char_p, C.c_char_p, C.c_size_t]
            # atomic, "activations" included (from the network's own)
            if lib.gp_netio_save(cnet.p, os.fsencode(path), err, _ERRLEN):
                raise OSError(err.value.decode())


def _build(net):
    """A new gp_network* of Network net, its parameters (checked again, as the caller
    may have changed them) copied into the one block W^1, b^1, W^2, ... (network.h):
    no JSON text, which took seconds for a million parameters."""
    n, ct = len(net.sizes), lib.gp_cost_lookup(str(net.cost).encode())
    if not ct or not 2 <= n <= GP_MAX_LAYERS:
        raise ValueError(f"network: cost {net.cost!r} or {n} sizes: expected a cost "
                         f"gp_cost_lookup knows and 2..{GP_MAX_LAYERS} sizes")
    sz = net.sizes
    flat = [a for l in range(n - 1) for a in (
        _array(f"weights[{l}]", net.weights[l], 2, (sz[l + 1], sz[l])).ravel(),
        _bias(f"biases[{l}]", net.biases[l], sz[l + 1]))]
    p = C.c_void_p(lib.gp_network_alloc(n, (C.c_size_t * n)(*sz), ct))
    if not p.value:
        raise MemoryError(f"network: sizes {sz} cannot be allocated")
    try:
        block = np.concatenate(flat)
        C.memmove(C.cast(p, C.POINTER(gp_params)).contents.params.contents.data,
                  block.ctypes.data, block.nbytes)
        for l, a in enumerate(net.activations, start=1):  # leaky slopes too
            act = gp_activation()
            if (lib.gp_activation_parse(str(a).encode(), C.byref(act))
                    or lib.gp_network_set_activation(p, l, C.byref(act))):
                raise ValueError(f"activations[{l - 1}]: {a!r}")
    except BaseException:
        lib.gp_network_free(p)
        raise
    return p


class _CNet:
    """A gp_network built from a Network (or JSON bytes) for the length of a with."""

    def __init__(self, src):
        self.src = src

    def __enter__(self):
        if not isinstance(self.src, bytes):
            self.p = _build(self.src)
            return self
        p = C.c_void_p()
        err = C.create_string_buffer(_ERRLEN)
        if lib.gp_netio_load_string(self.src, len(self.src), C.byref(p), err, _ERRLEN):
            raise ValueError(err.value.decode())
        self.p = p
        return self

    def __exit__(self, *exc):
        lib.gp_network_free(self.p)


class Dump(dict):
    """The oracle's tensors by name; rows=True: z, a, delta are m x n_l. `inputs`
    holds what it was computed from (net, X, Y as columns, lam, l1, n): with them,
    compare decides by the certified rule. With bounds="float32" (or another format),
    dump["bounds"][name] = Bounds(worst, prob), arrays in the tensor's shape."""
    rows = False
    inputs = None


Bounds = collections.namedtuple("Bounds", "worst prob")
_FORMATS = ("float64", "float32", "bfloat16", "float16")


def _shaped(name, a, rows):
    """A dump matrix (samples as columns, db and cost as columns) in the dict's shape."""
    if name == "cost":
        return a.reshape(())
    if name.startswith("db"):
        return a.reshape(-1)
    return a.T.copy() if rows and not name.startswith("dW") else a


def _names(L):
    d = gp_dump()
    lib.gp_dump_init(C.byref(d), L)
    return [d.name[i].value.decode() for i in range(d.n)]


class _Inputs:
    """A Dump's inputs as the library's objects for the length of a with: cnet.p, the
    gsl matrices gx, gy and the regularisation reg."""

    def __init__(self, net, X, Y, lam, l1, n):
        self.net, self.X, self.Y = net, X, Y
        self.reg = gp_regularization(float(lam), float(l1), int(n or 0))

    def __enter__(self):
        self.cnet = _CNet(self.net).__enter__()
        self.gx, self.gy = _to_gsl(self.X), _to_gsl(self.Y)
        return self

    def __exit__(self, *exc):
        lib.gsl_matrix_free(self.gx)
        lib.gsl_matrix_free(self.gy)
        self.cnet.__exit__()


def _bounds(inp, fmt, rows):
    """{name: Bounds(worst, prob)} of an implementation in format fmt (bounds.h)."""
    model = gp_bounds_model()
    if fmt not in _FORMATS or lib.gp_bounds_model_init(C.byref(model), fmt.encode()):
        raise ValueError(f"bounds: {fmt!r}, expected one of " + ", ".join(_FORMATS))
    L, m = len(inp.net.sizes) - 1, inp.X.shape[1]
    b = lib.gp_bounds_alloc(inp.cnet.p, m)
    if not b:
        raise MemoryError("gp_bounds_alloc failed")
    try:
        st = lib.gp_bounds_compute(inp.cnet.p, inp.gx, inp.gy, C.byref(inp.reg),
                                   C.byref(model), b)
        if st:
            why = ("a hidden activation the bounds do not model (they model sigmoid, "
                   "tanh, relu, leaky-relu, softplus and identity)"
                   if st == GSL_EUNIMPL else f"GSL status {st}")
            raise ValueError(f"bounds: cannot be computed for this network: {why}")
        out = {"cost": Bounds(np.array(b.contents.cost_worst),
                              np.array(b.contents.cost_prob))}
        for l in range(L):
            w, p = b.contents.worst[l], b.contents.prob[l]
            for k in ("z", "a", "delta", "dW", "db"):
                name = f"{k}{l + 1}"
                out[name] = Bounds(_shaped(name, _from_gsl(getattr(w, k)), rows),
                                   _shaped(name, _from_gsl(getattr(p, k)), rows))
        out["prob_fail"] = b.contents.prob_fail
        return out
    finally:
        lib.gp_bounds_free(b)


def _strength(arg, v):
    """A regularisation strength: a finite number >= 0, or a TypeError/ValueError naming
    arg (the caller's name for it)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{arg}: a number expected, got {type(v).__name__} {v!r}")
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{arg}: {v!r} must be a finite number >= 0")


def _refuse_nonfinite(d, rows):
    """ValueError naming the first value of dump d that is not finite (the network's
    values overflow float64 on these samples), as the CLI's oracle refuses it; d is
    freed first."""
    k, i, j = C.c_size_t(), C.c_size_t(), C.c_size_t()
    if not lib.gp_dump_nonfinite(C.byref(d), C.byref(k), C.byref(i), C.byref(j)):
        return
    name = d.name[k.value].value.decode()
    v = _from_gsl(d.t[k.value])[i.value, j.value]
    at = (j.value, i.value) if rows else (i.value, j.value)
    lib.gp_dump_free(C.byref(d))
    raise ValueError(f"{name}[{at[0]}][{at[1]}] is {v} on these samples: the network's "
                     "values overflow float64")


def oracle(net, x, y, *, lam=0, l1=0, n=None, rows=False, bounds=None):
    """The oracle's dump of net on x, y (samples as columns, or as rows if rows=True;
    1-D x and y are one sample):
    cost, z1, a1, ..., delta1, dW1, db1 as float64 arrays (gradproof/dump.h).
    A uint8 x is pixels, scaled by 1/255 as the CLI's `oracle --x` scales a uint8 .npy
    file (dump.inputs then holds x / 255.0); y is taken as it is, whatever its dtype.
    bounds="float32" (or "float64", "bfloat16", "float16") adds dump["bounds"]: per
    tensor the worst-case and probabilistic absolute error bounds of a correct
    implementation in that format (gradproof/bounds.h; any of the six hidden
    activations: sigmoid, tanh, relu, leaky-relu, softplus, identity),
    and dump["bounds"]["prob_fail"], the probabilistic bounds' failure probability.
    Raises ValueError when the network's values overflow float64 on these samples (a
    dump entry is inf or NaN) or when a sample's log-likelihood targets do not sum to 1,
    TypeError when lam or l1 is not a number."""
    if not isinstance(net, Network):
        raise TypeError(f"net: a gradproof.Network expected, got {type(net).__name__}")
    X = _array("x", _pixels(x), 2, rows=rows)
    Y = _array("y", y, 2, rows=rows)
    if rows:
        X, Y = X.T, Y.T
    if X.shape[0] != net.sizes[0]:
        raise ValueError(f"x: {X.shape[0]} inputs per sample, the network has {net.sizes[0]}")
    if Y.shape != (net.sizes[-1], X.shape[1]):
        raise ValueError(f"y: shape {Y.T.shape if rows else Y.shape}, expected "
                         f"{(X.shape[1], net.sizes[-1]) if rows else (net.sizes[-1], X.shape[1])}")
    _strength("lam", lam)
    _strength("l1", l1)
    n = None if n is None else _int("n", n, 1, SIZE_MAX)
    if bounds is not None and bounds not in _FORMATS:
        raise ValueError(f"bounds: {bounds!r}, expected one of " + ", ".join(_FORMATS))
    d = gp_dump()
    with _Inputs(net, X, Y, lam, l1, n) as inp:
        k, total = C.c_size_t(), C.c_double()
        if lib.gp_cost_target_misfit(lib.gp_cost_lookup(net.cost.encode()), inp.gy,
                                     C.byref(k), C.byref(total)):
            raise ValueError(f"y: the targets of sample {k.value} sum to {total.value!r}; "
                             "log-likelihood needs targets summing to 1 (one-hot, or a "
                             "distribution)")
        st = lib.gp_dump_compute(inp.cnet.p, inp.gx, inp.gy, C.byref(inp.reg), C.byref(d))
        if st:
            raise ValueError(f"gp_dump_compute failed with GSL status {st}")
        _refuse_nonfinite(d, rows)
        out = Dump()
        out.rows = rows
        # a copy: a training step on net's arrays later must not change the bounds
        out.inputs = (copy.deepcopy(net), X, Y, lam, l1, n)
        for i in range(d.n):
            name = d.name[i].value.decode()
            out[name] = _shaped(name, _from_gsl(d.t[i]), rows)
        lib.gp_dump_free(C.byref(d))
        if bounds is not None:
            out["bounds"] = _bounds(inp, bounds, rows)
            out.bounds_precision = bounds
        return out
