#!/bin/sh
# tests/npy-numpy.sh: .npy files written by gradproof load in NumPy and vice versa.
# Skips (77) only when the system Python has no numpy.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
tool="${top_builddir:-.}/tests/npy_tool"
need_py numpy
[ -x "$tool" ] || die "$tool not built"
tmpdir npy-numpy

# 1. gradproof writes, numpy reads: exact values, shapes, dtype.
if ! "$tool" write-matrix "$T/m.npy" || ! "$tool" write-vector "$T/v.npy" ||
    ! "$tool" write-scalar "$T/s.npy"; then
    die "npy_tool write"
fi
"$PY" - "$T" <<'EOP' || exit 1
import sys, numpy as np
d = sys.argv[1]
def value(i, j, cols): return ((i * cols + j) + 0.5) / 7.0 - 1.0
m = np.load(d + "/m.npy")
assert m.dtype == np.dtype('<f8') and m.shape == (3, 4), (m.dtype, m.shape)
assert all(m[i, j] == value(i, j, 4) for i in range(3) for j in range(4))
v = np.load(d + "/v.npy")
assert v.shape == (5,) and all(v[i] == value(i, 0, 1) for i in range(5))
s = np.load(d + "/s.npy")
assert s.shape == () and s == value(0, 0, 1)
EOP

# 2. numpy writes (several dtypes, orders and format versions), gradproof reads.
"$PY" - "$T" <<'EOP' || exit 1
import sys, numpy as np
d = sys.argv[1]
r = np.random.default_rng(3817)
a = r.standard_normal((4, 3)) * 10.0 ** r.integers(-200, 200, (4, 3))
cases = {
    "f8": a,
    "f4": r.standard_normal((2, 5)).astype('<f4'),
    "u1": r.integers(0, 256, 7).astype(np.uint8),
    "fortran": np.asfortranarray(a),
    "vec": a[:, 1],
    "scalar": np.float64(0.3817),
}
for name, x in cases.items():
    np.save(d + "/%s.npy" % name, x)
    if name in ("f8", "fortran"):
        assert np.load(d + "/%s.npy" % name).flags.f_contiguous == (name == "fortran")
for ver in [(2, 0), (3, 0)]:
    with open(d + "/v%d.npy" % ver[0], "wb") as f:
        np.lib.format.write_array(f, a, version=ver)
np.save(d + "/big.npy", a.astype('>f8'))
EOP
check() { # name python-expression-for-expected-array
    "$tool" print "$T/$1.npy" >"$T/$1.out" 2>"$T/$1.err" ||
        die "reading $1.npy: $(cat "$T/$1.err")"
    "$PY" - "$T" "$1" <<'EOP' || die "$1.npy values differ"
import sys, numpy as np
d, name = sys.argv[1], sys.argv[2]
x = np.load("%s/%s.npy" % (d, name))
lines = open("%s/%s.out" % (d, name)).read().split()
ndim, rows, cols = map(int, lines[:3])
vals = [float(t) for t in lines[3:]]
want_shape = {0: (1, 1), 1: (x.shape[0], 1) if x.ndim == 1 else None, 2: x.shape}[x.ndim]
assert ndim == x.ndim and (rows, cols) == want_shape, (ndim, rows, cols, x.shape)
flat = np.asarray(x, dtype=np.float64).reshape(-1, order='C')
assert len(vals) == flat.size and all(v == w for v, w in zip(vals, flat)), (vals, flat)
EOP
}
for n in f8 f4 u1 fortran vec scalar v2 v3; do check "$n"; done

# 3. Big-endian data is refused with a clear message.
if "$tool" print "$T/big.npy" >/dev/null 2>"$T/big.err"; then
    die "big-endian file accepted"
fi
grep -q "big-endian dtype '>f8'" "$T/big.err" || die "$(cat "$T/big.err")"
echo "npy-numpy: ok"
exit 0
