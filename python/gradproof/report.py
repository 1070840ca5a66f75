"""compare: the library's compare rule (gp_dump_compare) on dicts of arrays."""
import ctypes as C
import re

import numpy as np

import collections

from ._lib import (GP_BFLOAT16, GP_FLOAT16, GP_FLOAT32, GP_FLOAT64, gp_dump,
                   gp_dump_compare_opts, gp_dump_verdict, gp_fcheck_opts,
                   gp_fcheck_report, lib)
from .core import _array, _asarray, _bounds, _detach, _from_gsl, _Inputs, _to_gsl

Diagnosis = collections.namedtuple("Diagnosis", "kind tensor residual param index other text")
Diagnosis.__str__ = lambda d: d.text
_VERDICTS = ("agree", "inconclusive", "disagree")

_PREC = {"float64": GP_FLOAT64, "float32": GP_FLOAT32, "bfloat16": GP_BFLOAT16,
         "float16": GP_FLOAT16}
_PREC_NAME = {v: k for k, v in _PREC.items()}
# a candidate array's own precision (numpy has no bfloat16: it is never inferred)
_INFER = {np.dtype(np.float32): "float32", np.dtype(np.float16): "float16"}


_PER_SAMPLE = re.compile(r"^(z|a|delta)\d+$")


def _fill(d, arrays, oracle, rows, arg, orows=False):
    """Put the arrays into dump d in the oracle's shapes (columns = samples). rows,
    orows: z, a, delta of the arrays, of the oracle dict, have samples as rows."""
    for k, v in arrays.items():
        i = lib.gp_dump_find(C.byref(d), str(k).encode())
        if i < 0:
            raise KeyError(f"{arg}: unknown tensor {k!r} (expected names like "
                           "cost, z1, a1, delta1, dW1, db1)")
        a = _asarray(f"{arg}[{k!r}]", v)
        if a.dtype.kind != "f":
            raise TypeError(f"{arg}[{k!r}]: dtype {a.dtype}, expected float16, float32 "
                            "or float64")
        a = a.astype(np.float64)
        if (k.startswith("db") or k == "cost") and a.ndim == 2 and 1 in a.shape:
            a = a.reshape(-1)  # db as (n, 1) or (1, n), as the CLI's compare takes it
        flip = rows and _PER_SAMPLE.match(k) is not None
        a = a.T if flip and a.ndim == 2 else a
        shape = None if oracle is None else oracle[k].shape
        if shape is not None and orows and _PER_SAMPLE.match(k):
            shape = shape[::-1]
        if a.ndim < 2 and shape is not None and len(shape) == 2:  # only db, cost flat
            raise ValueError(f"{arg}[{k!r}]: shape {a.shape}, expected "
                             f"{shape[::-1] if flip else shape}")
        if a.ndim < 2:
            a = a.reshape(-1, 1)
            shape = None if shape is None else (int(np.prod(shape)), 1)
        if shape is not None and a.shape != tuple(shape):  # shown as the caller's
            show = (lambda s: tuple(s)[::-1]) if flip else tuple
            raise ValueError(f"{arg}[{k!r}]: shape {show(a.shape)}, expected {show(shape)}")
        d.t[i] = _to_gsl(a)


def _diagnosis(v):
    """The library's diagnosis (gp_diagnosis) as a Diagnosis, or None (GP_DIAG_NONE)."""
    g = v.diagnosis
    if g.kind == 0:
        return None
    return Diagnosis(lib.gp_diag_kind_name(g.kind).decode(), g.tensor.decode(),
                     g.residual, g.param, g.index, g.other.decode(), g.text.decode())


class Report:
    """The verdict of gp_dump_compare. With the oracle's inputs (a dict from
    gradproof.oracle) the certified rule decides (bounds.h): per tensor and per entry
    agree / inconclusive / disagree (verdicts(name)), `ok` = nothing disagrees,
    `inconclusive` = the tensors with an inconclusive entry and none disagreeing,
    `diagnosis` = the library's named hypothesis for the first disagreeing tensor.
    Without inputs (or for a network the bounds do not model; `reason` says) the fixed
    rule decides and verdicts are pass/fail only. Also: tensors, worst, failed(name)."""

    def __init__(self, r, prec, ref, cand, v, inputs):
        rep = r.contents
        self.certified = bool(v.certified)
        self.reason = v.reason.decode()
        self.tensors = []
        for i in range(rep.n_tensors):
            t = rep.tensors[i]
            d = {"name": t.name.decode(), "checked": t.n_checked, "failed": t.n_failed,
                 "max_abs_error": t.max_abs_error, "max_rel_error": t.max_rel_error,
                 "max_score": t.max_score, "scale": t.scale,
                 "precision": _PREC_NAME[prec[i]]}
            if self.certified:
                c = v.t[i].counts
                d.update(verdict=_VERDICTS[v.t[i].verdict], agree=c.n_agree,
                         inconclusive=c.n_inconclusive, disagree=c.n_disagree,
                         max_ratio=c.max_ratio)
            self.tensors.append(d)
        self.worst = []
        buf = C.create_string_buffer(64)
        for j in range(rep.n_worst):
            e = rep.worst[j]
            lib.gp_fcheck_entry_name(r, C.byref(e), buf, 64)
            self.worst.append({"entry": buf.value.decode(), "candidate": e.analytic,
                               "reference": e.numeric, "error": e.error,
                               "allowed": e.allowed, "score": e.score})
        self.n_checked, self.n_failed = rep.n_checked, rep.n_failed
        self.ok = rep.n_failed == 0
        self.verdict = _VERDICTS[v.verdict] if self.certified else (
            "agree" if self.ok else "disagree")
        self.n_inconclusive = v.n_inconclusive if self.certified else 0
        self.inconclusive = [t["name"] for t in self.tensors
                             if t.get("verdict") == "inconclusive"]
        self.prob_fail = v.prob_fail if self.certified else None
        self.diagnosis = _diagnosis(v) if self.certified else None
        self._ref, self._cand, self._inputs = ref, cand, inputs
        self._bounds = {}

    def _tensor(self, name):
        t = next((t for t in self.tensors if t["name"] == name), None)
        if t is None:
            raise KeyError(f"name: {name!r} was not compared")
        c = np.asarray(self._cand[name], dtype=np.float64)
        o = np.asarray(self._ref[name], dtype=np.float64)
        return t, c, o.reshape(c.shape)

    def _bound(self, fmt, name, shape):
        if fmt not in self._bounds:
            with _Inputs(*self._inputs) as inp:
                self._bounds[fmt] = _bounds(inp, fmt, False)
        b = self._bounds[fmt][name]
        return np.reshape(b.worst, shape), np.reshape(b.prob, shape)

    def verdicts(self, name):
        """Per-entry certified verdicts of tensor `name`: an array of "agree",
        "inconclusive", "disagree" in the oracle's shape (samples as columns; db and
        cost as n x 1), by the library's rule (gp_bounds_verdict)."""
        if not self.certified:
            raise ValueError("verdicts: the fixed rule decided (" + self.reason +
                             "); use failed(name)")
        t, c, o = self._tensor(name)
        bw, bp = self._bound(t["precision"], name, c.shape)
        bo, _ = self._bound("float64", name, c.shape)
        out = np.empty(c.shape, dtype=object)
        for idx in np.ndindex(c.shape):
            out[idx] = _VERDICTS[lib.gp_bounds_verdict(c[idx], o[idx], bw[idx], bp[idx],
                                                       bo[idx])]
        return out

    def failed(self, name):
        """Per-entry verdict: a boolean array (True = fails) in the oracle's shape
        (samples as columns): "disagree" by the certified rule, else the fixed rule
        (gp_fcheck_rule) with the tensor's scale."""
        if self.certified:
            return self.verdicts(name) == "disagree"
        t, c, o = self._tensor(name)
        opts = gp_fcheck_opts()
        lib.gp_fcheck_opts_compare(C.byref(opts), _PREC[t["precision"]])
        out = np.zeros(c.shape, dtype=bool)
        for idx in np.ndindex(c.shape):
            out[idx] = not lib.gp_fcheck_rule(C.byref(opts), c[idx], o[idx], 0.0,
                                              t["scale"], None)
        return out

    def raise_if_failed(self):
        if not self.ok:
            raise AssertionError("\n" + str(self))

    def __bool__(self):
        return self.ok

    def _table(self):
        cert = self.certified
        lines = [f"{'tensor':<10} {'precision':<9} {'checked':>8} {'failed':>7} "
                 f"{'max abs err':>12} {'max rel err':>12}"
                 + (f" {'err/bound':>10} {'inconcl.':>8}  verdict" if cert else "")]
        for t in self.tensors:
            lines.append(f"{t['name']:<10} {t['precision']:<9} {t['checked']:>8} "
                         f"{t['failed']:>7} {t['max_abs_error']:>12.3e} "
                         f"{t['max_rel_error']:>12.3e}"
                         + (f" {t['max_ratio']:>10.3g} {t['inconclusive']:>8}  "
                            f"{t['verdict']}" if cert else "")
                         + ("   <- FAIL" if t["failed"] else ""))
        return lines

    def __str__(self):
        rule = ("certified rule (worst-case bounds, gradproof/bounds.h)" if self.certified
                else f"fixed rule{': ' + self.reason if self.reason else ''}")
        verdict = ("PASS" if self.ok and not self.inconclusive else
                   "INCONCLUSIVE" if self.ok else "FAIL")
        lines = [f"gradproof compare: {verdict} ({self.n_failed} of {self.n_checked} "
                 f"entries failed"
                 + (f", {self.n_inconclusive} inconclusive" if self.certified else "")
                 + f"; {rule})"] + self._table()
        bad = [w for w in self.worst if w["score"] > 1]
        if bad:
            lines.append("worst offenders (candidate vs reference):")
            for w in bad:
                lines.append(f"  {w['entry']:<14} {w['candidate']: .9e} vs "
                             f"{w['reference']: .9e} (error {w['error']:.2e} > "
                             f"allowed {w['allowed']:.2e})")
            first = next(t["name"] for t in self.tensors if t["failed"])
            lines.append(f"first failing tensor in computation order: {first}")
        if self.diagnosis:
            lines.append(f"diagnosis: {self.diagnosis.kind}: {self.diagnosis.text}")
        elif not self.ok and self.certified:
            lines.append("diagnosis: none of the named hypotheses fits")
        return "\n".join(lines)

    __repr__ = __str__


def compare(reference, candidate, *, precision=None, rows=None):
    """Compare a candidate's tensors (a dict of float arrays; any subset of
    the oracle's names, dW and db required; db may be (n,), (n, 1) or (1, n)) with
    the oracle's dump `reference`.
    A reference from gradproof.oracle carries its inputs, and the certified rule
    decides (Report); a plain dict gets the fixed rule.
    precision: None = per tensor from its dtype (float32 and float16 arrays get their
    format's bounds, others float64's), or "float64", "float32", "bfloat16" or "float16"
    for all (a bfloat16 candidate comes as float32 arrays: name it). rows: the
    candidate's sample orientation (default: the reference's)."""
    if not isinstance(reference, dict) or not isinstance(candidate, dict):
        raise TypeError("reference, candidate: dicts of arrays expected")
    if precision is not None and precision not in _PREC:
        raise ValueError(f"precision: {precision!r}, expected one of " + ", ".join(_PREC))
    rrows = getattr(reference, "rows", False)
    rows = rrows if rows is None else rows
    inputs = getattr(reference, "inputs", None)
    reference = {k: _detach(v) for k, v in reference.items() if k != "bounds"}
    # an oracle dump as the candidate (two of them compared): its bounds are no tensor
    candidate = {k: _detach(v) for k, v in candidate.items()
                 if not (k == "bounds" and isinstance(v, dict))}
    L = sum(1 for k in reference if re.match(r"^dW\d+$", k))
    if L < 1:
        raise ValueError("reference: no dW1 (pass the dict gradproof.oracle returns)")
    for k in candidate:
        if k not in reference:
            raise KeyError(f"candidate: unknown tensor {k!r}; the reference has "
                           + ", ".join(reference))
    for l in range(1, L + 1):
        for k in (f"dW{l}", f"db{l}"):
            if k not in candidate:
                raise KeyError(f"candidate: missing {k!r} (dW and db are required)")
    o, c = gp_dump(), gp_dump()
    lib.gp_dump_init(C.byref(o), L)
    lib.gp_dump_init(C.byref(c), L)
    rp = C.POINTER(gp_fcheck_report)()
    try:
        ref = {k: _array(f"reference[{k!r}]", v, min(np.ndim(v), 2))
               for k, v in reference.items()}  # never more than a matrix
        _fill(o, ref, None, rrows, "reference")
        _fill(c, candidate, ref, rows, "candidate", rrows)
        opts = gp_dump_compare_opts()
        lib.gp_dump_compare_opts_default(C.byref(opts))
        for k, v in candidate.items():
            i = lib.gp_dump_find(C.byref(o), k.encode())
            p = precision or _INFER.get(np.asarray(v).dtype, "float64")
            opts.precision[i] = _PREC[p]
        prec = (C.c_int * len(opts.precision))()
        v = gp_dump_verdict()
        st = _run_compare(o, c, opts, rp, prec, v, inputs)
        if st:
            raise ValueError(f"compare: gp_dump_compare failed with GSL status {st}")
        # per-entry verdicts in the oracle's orientation, samples as columns
        cd = {k: _from_gsl(c.t[lib.gp_dump_find(C.byref(c), k.encode())]) for k in candidate}
        od = {k: _from_gsl(o.t[lib.gp_dump_find(C.byref(o), k.encode())]) for k in candidate}
        return Report(rp, prec, od, cd, v, inputs)
    finally:
        if rp:
            lib.gp_fcheck_report_free(rp)
        lib.gp_dump_free(C.byref(o))
        lib.gp_dump_free(C.byref(c))


def _run_compare(o, c, opts, rp, prec, v, inputs):
    """gp_dump_compare with the oracle's inputs in opts (the certified rule), if any."""
    if inputs is None:
        return lib.gp_dump_compare(C.byref(o), C.byref(c), C.byref(opts), C.byref(rp), prec)
    with _Inputs(*inputs) as inp:
        opts.net = inp.cnet.p.value
        opts.X = C.cast(inp.gx, C.c_void_p).value
        opts.Y = C.cast(inp.gy, C.c_void_p).value
        opts.reg = C.addressof(inp.reg)
        opts.verdict = C.addressof(v)
        return lib.gp_dump_compare(C.byref(o), C.byref(c), C.byref(opts), C.byref(rp), prec)


def check(fn, net, x, y, *, lam=0, l1=0, n=None, rows=False, precision=None):
    """Run the candidate fn(net, x, y) -> dict of gradients (dW1, db1, ... and any of
    z, a, delta, cost) and compare it with the oracle. A uint8 x is pixels: the oracle
    and fn both get x / 255.0 (float64), as `oracle` takes it. Returns the Report."""
    from .core import _pixels, oracle
    x = _pixels(x)
    ref = oracle(net, x, y, lam=lam, l1=l1, n=n, rows=rows)
    cand = fn(net, x, y)
    if not isinstance(cand, dict):
        raise TypeError(f"fn: returned {type(cand).__name__}, expected a dict of arrays")
    return compare(ref, cand, precision=precision, rows=rows)
