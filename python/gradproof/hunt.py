"""hunt: property tests of a Python implementation in-process (gradproof/hunt.h).

    result = gradproof.hunt(backprop, cases=200, seed=1)
    assert result.ok, str(result)

The library draws each case (a random network, batch and regularisation), calls
fn(net, x, y, lam=..., l1=..., n=...) through ctypes (x, y with samples as columns;
rows=True: as rows), judges the returned dict of arrays by the certified rule, and
shrinks a failing case while it fails the same way. A Python exception inside fn is
the candidate crashing (named in the result), never an interpreter crash."""
import copy
import ctypes as C
import os
import traceback

import numpy as np

from ._lib import (GP_MAX_LAYERS, GP_MAX_WIDTH, SIZE_MAX, gp_activation, gp_diagnosis,
                   gp_dump, gp_regularization, gsl_matrix, lib)
from .core import Network, _from_gsl, _int, oracle
from .core import _name as _c_name
from .report import _diagnosis, _fill, compare


def _count(n, noun):
    """'1 case', '2 cases': n with its noun in the right number."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


(GP_HUNT_AGREE, GP_HUNT_DISAGREE, GP_HUNT_CRASH, GP_HUNT_TIMEOUT, GP_HUNT_GARBAGE,
 GP_HUNT_IO_ERROR) = range(6)
# io-error: the hunt's own files (record=) could not be written; hunt raises OSError
_KINDS = ("agree", "disagree", "crash", "timeout", "garbage", "io-error")


class gp_hunt_opts(C.Structure):
    _fields_ = [("cases", C.c_size_t), ("seed", C.c_ulong), ("time_budget", C.c_double),
                ("timeout", C.c_double), ("cost", C.c_void_p), ("precision", C.c_char_p),
                ("n_sizes", C.c_size_t), ("sizes", C.c_size_t * GP_MAX_LAYERS),
                ("batch", C.c_size_t), ("max_width", C.c_size_t),
                ("shrink_evals", C.c_size_t), ("regularise", C.c_int),
                ("dir", C.c_char_p), ("target", C.c_int),
                ("shard_offset", C.c_size_t), ("shard_stride", C.c_size_t),
                ("stop", C.c_void_p), ("stop_ctx", C.c_void_p),
                ("activation", C.c_void_p)]


class gp_hunt_result(C.Structure):
    _fields_ = [("kind", C.c_int), ("n_cases", C.c_size_t), ("runs", C.c_size_t),
                ("seconds", C.c_double), ("failing_case", C.c_size_t),
                ("found", C.c_char * 256), ("detail", C.c_char * 256),
                ("shrink_steps", C.c_size_t), ("shrink_runs", C.c_size_t),
                ("shrink_stopped", C.c_int), ("minimal", C.c_char * 256),
                ("minimal_detail", C.c_char * 256), ("tensor", C.c_char * 32),
                ("diagnosis", gp_diagnosis), ("record", C.c_char * 4096)]


_M = C.POINTER(gsl_matrix)
CANDIDATE = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_void_p, _M, _M,
                        C.POINTER(gp_regularization), C.POINTER(gp_dump), C.c_void_p,
                        C.c_size_t)
STOP = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_size_t, C.c_int)
for _name, _res, _args in (
        ("gp_hunt_opts_default", None, [C.POINTER(gp_hunt_opts)]),
        ("gp_hunt_run_candidate", C.c_int, [C.POINTER(gp_hunt_opts), CANDIDATE, C.c_void_p,
                                            C.POINTER(gp_hunt_result)])):
    getattr(lib, _name).restype, getattr(lib, _name).argtypes = _res, _args


class HuntResult:
    """What the hunt found: ok, kind ("agree", "disagree", "crash", "timeout",
    "garbage"), n_cases, runs, seconds, the failing case as drawn (found, detail), its
    shrinking (shrink_steps, shrink_runs), the minimal case (minimal: its description;
    net, x, y, lam, l1, n: the case itself; output: the candidate's dict on it; report:
    its Report, None for a crash), tensor, diagnosis and record (a path or None)."""

    def __init__(self, r, last, rows):
        self.kind = _KINDS[r.kind]
        self.ok = r.kind == GP_HUNT_AGREE
        for k in ("n_cases", "runs", "seconds", "failing_case", "shrink_steps",
                  "shrink_runs"):
            setattr(self, k, getattr(r, k))
        for k in ("found", "detail", "minimal", "minimal_detail", "tensor"):
            setattr(self, k, getattr(r, k).decode())
        self.shrink_stopped = bool(r.shrink_stopped)
        self.diagnosis = _diagnosis(r)
        self.record = r.record.decode() or None
        self.net = self.x = self.y = self.output = self.report = None
        self.lam = self.l1 = self.n = None
        if not self.ok and last:
            self.net, self.x, self.y, self.lam, self.l1, self.n, self.output = last
            if self.output is not None and self.kind == "disagree":
                ref = oracle(self.net, self.x, self.y, lam=self.lam, l1=self.l1, n=self.n,
                             rows=rows)
                try:
                    self.report = compare(ref, self.output, rows=rows)
                except (KeyError, ValueError, TypeError):
                    self.report = None   # a wrong shape: detail says which

    def __bool__(self):
        return self.ok

    def __str__(self):
        if self.ok:
            return (f"gradproof hunt: {_count(self.n_cases, 'case')} agreed "
                    f"({_count(self.runs, 'run')}, "
                    f"{self.seconds:.3g} s)")
        lines = [f"gradproof hunt: {self.kind} at case {self.failing_case} "
                 f"({_count(self.n_cases, 'case')} run): {self.found}", f"  {self.detail}",
                 f"shrunk in {_count(self.shrink_steps, 'step')} "
                 f"({_count(self.shrink_runs, 'run')}"
                 f"{', budget spent' if self.shrink_stopped else ''}) to: {self.minimal}",
                 f"  {self.minimal_detail}"]
        if self.diagnosis:
            lines.append(f"diagnosis: {self.diagnosis.kind}: {self.diagnosis.text}")
        if self.record:
            lines.append(f"record: {self.record}")
        return "\n".join(lines)

    __repr__ = __str__


def _call(fn, rows, last, interrupt, net_p, gx, gy, reg, out, detail, len_):
    """One run of the candidate; any Python exception is a crash named in detail, but
    KeyboardInterrupt (Ctrl-C), kept in interrupt: the hunt stops and hunt raises it."""
    def say(msg):
        b = msg.encode()[:len_ - 1] + b"\0"
        C.memmove(detail, b, len(b))
    if interrupt:   # the hunt is stopping (opts.stop): fn is not run again
        say("interrupted")
        return GP_HUNT_CRASH
    last.clear()
    try:
        net = Network._from_c(net_p)
        X, Y = _from_gsl(gx), _from_gsl(gy)
        g = reg.contents
        lam, l1, n = g.lam, g.l1, g.n or X.shape[1]
        x, y = (X.T.copy(), Y.T.copy()) if rows else (X, Y)
        last.extend([net, x, y, lam, l1, n, None])
        # fn gets copies: the case kept for the result stays as drawn if fn writes to it
        got = fn(copy.deepcopy(net), x.copy(), y.copy(), lam=lam, l1=l1, n=n)
        if not isinstance(got, dict):
            say(f"candidate returned {type(got).__name__}, expected a dict of arrays")
            return GP_HUNT_GARBAGE
        last[-1] = got
        _fill(out.contents, got, None, rows, "candidate")
        return GP_HUNT_AGREE
    except (KeyError, TypeError, ValueError) as e:
        if last and last[-1] is not None:
            say(f"candidate output unusable: {e}")
            return GP_HUNT_GARBAGE
        say(f"candidate crashed: {type(e).__name__}: {e}")
        return GP_HUNT_CRASH
    except KeyboardInterrupt as e:
        interrupt.append(e)
        say("interrupted")
        return GP_HUNT_CRASH
    except BaseException as e:   # noqa: BLE001 (nothing may cross the C frames)
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        say(f"candidate crashed: {type(e).__name__}: {e}{where}")
        return GP_HUNT_CRASH


def hunt(fn, *, cases=100, seed=1, cost=None, precision=None, time_budget=None,
         sizes=None, batch=10, max_width=10, regularise=True, shrink_evals=500,
         record=None, rows=False, target=False, activation=None):
    """Property-test fn(net, x, y, lam=, l1=, n=) -> dict of arrays (the oracle's
    names: dW1, db1, ... required; z, a, delta, cost optional) on `cases` random
    cases drawn from `seed` (gp_hunt_run_candidate). cost: one cost name for every
    case (default: random); precision: the bounds' format ("float32", ...; default:
    float32 when every value fn returns is a float32 value); sizes, batch: fixed layer
    sizes and batch; record: a directory for the failure record; target=True: every
    other case scales up the case with the largest error-to-bound ratio so far,
    toward saturation (Hypothesis's target()); activation: every hidden layer's
    ("sigmoid", "tanh", "relu", "leaky-relu[:ALPHA]", "softplus", "identity"; default
    sigmoid), with relu and leaky-relu case i = 1 mod 4 puts one unit exactly on its
    kink and i = 3 mod 4 near it. Returns HuntResult."""
    o = gp_hunt_opts()
    lib.gp_hunt_opts_default(C.byref(o))
    if not callable(fn):
        raise TypeError(f"fn: {type(fn).__name__} is not callable")
    o.cases = _int("cases", cases, 1, SIZE_MAX)
    o.shrink_evals = _int("shrink_evals", shrink_evals, 1, SIZE_MAX)
    o.batch = _int("batch", batch, 1, GP_MAX_WIDTH)
    o.max_width = _int("max_width", max_width, 1, GP_MAX_WIDTH)
    o.seed, o.regularise = _int("seed", seed, 0, SIZE_MAX), int(bool(regularise))
    if time_budget is not None:
        if not time_budget > 0:
            raise ValueError(f"time_budget: {time_budget!r} must be > 0 seconds")
        o.time_budget = float(time_budget)
    if cost is not None:
        o.cost = lib.gp_cost_lookup(_c_name("cost", str(cost)))
        if not o.cost:
            raise ValueError(f"cost: unknown cost {cost!r}; valid: "
                             + lib.gp_cost_names().decode())
    if precision is not None:
        if precision not in ("float64", "float32", "bfloat16", "float16"):
            raise ValueError(f"precision: {precision!r}, expected float64, float32, "
                             "bfloat16 or float16")
        o.precision = precision.encode()
    if sizes is not None:
        if not 2 <= len(sizes) <= GP_MAX_LAYERS:
            raise ValueError(f"sizes: {sizes!r}, expected 2 to {GP_MAX_LAYERS} positive sizes")
        o.n_sizes = len(sizes)
        for i, s in enumerate(sizes):
            o.sizes[i] = _int(f"sizes[{i}]", s, 1, GP_MAX_WIDTH)
    o.dir = os.fsencode(record) if record is not None else None
    o.target = int(bool(target))
    act = gp_activation()   # alive until the hunt returns: o.activation points at it
    if activation is not None:
        if lib.gp_activation_parse(_c_name("activation", str(activation)), C.byref(act)):
            raise ValueError(f"activation: {activation!r}, expected sigmoid, tanh, relu, "
                             "leaky-relu[:ALPHA in [0,1)], softplus or identity")
        o.activation = C.cast(C.pointer(act), C.c_void_p)
    last, interrupt = [], []
    cb = CANDIDATE(lambda ctx, *a: _call(fn, rows, last, interrupt, *a))
    stop = STOP(lambda ctx, i, failed: int(bool(interrupt)))
    o.stop = C.cast(stop, C.c_void_p)
    r = gp_hunt_result()
    st = lib.gp_hunt_run_candidate(C.byref(o), cb, None, C.byref(r))
    if interrupt:
        raise interrupt[0]
    if st:
        raise OSError(f"hunt: could not run (GSL status {st}): {r.detail.decode()}")
    return HuntResult(r, last, rows)
