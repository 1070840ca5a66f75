#!/bin/sh
# tests/npy-numpy.sh: .npy files written by gradproof load in NumPy and vice versa.
# Skips (77) only when the system Python has no numpy.
set -u
PYTHON=${PYTHON:-/usr/bin/python3}
top_builddir=${top_builddir:-.}
tool="$top_builddir/tests/npy_tool"
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "numpy not available: skipped"; exit 77; }
[ -x "$tool" ] || { echo "FAIL: $tool not built" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/npy-numpy.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# 1. gradproof writes, numpy reads: exact values, shapes, dtype.
if ! "$tool" write-matrix "$work/m.npy" || ! "$tool" write-vector "$work/v.npy" ||
    ! "$tool" write-scalar "$work/s.npy"; then
    echo "FAIL: npy_tool write" >&2; exit 1
fi
"$PYTHON" - "$work" <<'EOP' || exit 1
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
"$PYTHON" - "$work" <<'EOP' || exit 1
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
    "$tool" print "$work/$1.npy" >"$work/$1.out" 2>"$work/$1.err" ||
        { echo "FAIL: reading $1.npy: $(cat "$work/$1.err")" >&2; exit 1; }
    "$PYTHON" - "$work" "$1" <<'EOP' || { echo "FAIL: $1.npy values differ" >&2; exit 1; }
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
if "$tool" print "$work/big.npy" >/dev/null 2>"$work/big.err"; then
    echo "FAIL: big-endian file accepted" >&2; exit 1
fi
grep -q "big-endian dtype '>f8'" "$work/big.err" || { echo "FAIL: $(cat "$work/big.err")" >&2; exit 1; }
echo "npy-numpy: ok"
exit 0
