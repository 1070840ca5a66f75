#!/bin/sh
# Real peers: NumPy and PyTorch implementations (examples/) of the same networks, in
# float64 and float32, dump their gradients in the oracle's layout and must agree under
# `gradproof compare`; a deliberately broken one (quadratic delta^L without sigma') must
# be caught with delta2 named first. network2.py's save() output loads into the oracle,
# and gradproof's network files load with network2.py's load() logic.
# Exit 77 (skipped) only when /usr/bin/python3 lacks numpy or torch.
set -u
GP=${top_builddir:-.}/cli/gradproof
EX=${top_srcdir:-.}/examples
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import numpy, torch' 2>/dev/null || { echo "numpy/torch missing: skip"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/gp-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
ok() { printf 'ok - %s\n' "$1"; }
bad() { printf 'not ok - %s\n' "$1"; fail=1; }

# Inputs: x uniform in [0,1] (n_0 x m), targets fitted to the cost.
mkdata() { # sizes cost m seed
    "$PY" - "$T" "$1" "$2" "$3" "$4" <<'PYEOF'
import sys, numpy as np
d, sizes, cost, m, seed = sys.argv[1], [int(s) for s in sys.argv[2].split(",")], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
r = np.random.default_rng(seed)
np.save(d + "/x.npy", r.random((sizes[0], m)))
if cost == "log-likelihood":
    y = np.zeros((sizes[-1], m)); y[r.integers(0, sizes[-1], m), np.arange(m)] = 1
elif cost == "quadratic-linear":
    y = r.standard_normal((sizes[-1], m))
else:
    y = r.random((sizes[-1], m))
np.save(d + "/y.npy", y)
PYEOF
}

case_no=0
for cost in QuadraticCost CrossEntropyCost log-likelihood quadratic-linear; do
    for reg in "" "--lambda 0.5 --l1 0.1 --n 50"; do
        case_no=$((case_no + 1))
        sizes=6,5,4,3
        n2cost=$cost
        case $cost in *Cost) ;; *) n2cost=QuadraticCost ;; esac
        "$PY" "$EX/network2_save.py" "$T/net.json" $sizes $n2cost $case_no || bad "network2_save $cost"
        case $cost in *Cost) ;; *)
            "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); d['cost']=sys.argv[2]; json.dump(d, open(sys.argv[1],'w'))" "$T/net.json" "$cost" ;;
        esac
        mkdata $sizes $cost 7 $case_no
        rm -rf "$T/oracle"
        # shellcheck disable=SC2086
        if "$GP" oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" $reg --out-dir "$T/oracle" --self-check >/dev/null; then
            ok "oracle loads network2.py's save() output ($cost ${reg:-no reg})"
        else bad "oracle on network2.py's save() output ($cost ${reg:-no reg})"; continue; fi
        for peer in numpy torch; do
            for dt in float64 float32; do
                rm -rf "$T/peer"
                "$PY" "$EX/${peer}_peer.py" "$T/oracle" "$T/peer" --dtype $dt || { bad "$peer $dt ran"; continue; }
                out=$("$GP" compare "$T/oracle" "$T/peer" 2>&1); st=$?
                if [ $st -eq 0 ] && echo "$out" | grep -q "$dt \(bounds\|tolerances\)"; then ok "$peer $dt agrees ($cost ${reg:-no reg})"
                else bad "$peer $dt agrees ($cost ${reg:-no reg}): status $st"; echo "$out" | sed 's/^/# /'; fi
            done
        done
    done
done

# The broken peer: quadratic cost, delta^L = a - y (sigma'(z^L) forgotten).
"$PY" "$EX/network2_save.py" "$T/net.json" 6,5,4,3 QuadraticCost 99
mkdata 6,5,4,3 QuadraticCost 7 99
rm -rf "$T/oracle" "$T/peer"
"$GP" oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" --out-dir "$T/oracle" >/dev/null
for dt in float64 float32; do
    rm -rf "$T/peer"
    "$PY" "$EX/numpy_peer.py" "$T/oracle" "$T/peer" --dtype $dt --broken
    out=$("$GP" compare "$T/oracle" "$T/peer" --report "$T/report.json" --record "$T/record.json"); st=$?
    if [ $st -eq 1 ] && echo "$out" | grep -q 'first disagreement in computation order: delta3' &&
        echo "$out" | grep -q '^delta3 .*DISAGREE' && echo "$out" | grep -q '^dW3 .*DISAGREE' &&
        echo "$out" | grep -q '^z3 .*agree' && echo "$out" | grep -q '^cost .*agree'; then
        ok "broken $dt peer caught, delta3 named first"
    else bad "broken $dt peer caught (status $st)"; echo "$out" | sed 's/^/# /'; fi
    "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); assert not r['agree'] and r['first_disagreement']=='delta3', r" "$T/report.json" &&
        ok "--report names delta3 ($dt)" || bad "--report names delta3 ($dt)"
    "$GP" replay "$T/record.json" >/dev/null; st=$?
    [ $st -eq 1 ] && ok "replay of the $dt record still fails" || bad "replay of the $dt record (status $st)"
done

# gradproof's network files load with network2.py's load() logic.
"$PY" "$EX/network2_load.py" "$T/oracle/network.json" >/dev/null &&
    ok "network2.py load() reads gradproof's network file" || bad "network2.py load() reads gradproof's network file"
# float32 values judged with float64 tolerances disagree: the precision matters.
rm -rf "$T/peer"
"$PY" "$EX/torch_peer.py" "$T/oracle" "$T/peer" --dtype float32
"$GP" compare "$T/oracle" "$T/peer" --precision float64 >/dev/null; st=$?
[ $st -eq 1 ] && ok "float32 peer fails float64 tolerances" || bad "float32 peer under float64 tolerances (status $st)"
exit $fail
