#!/bin/sh
# Real peers: NumPy and PyTorch implementations (examples/) of the same networks, in
# float64 and float32, dump their gradients in the oracle's layout and must agree under
# `gradproof compare`; a deliberately broken one (quadratic delta^L without sigma') must
# be caught with delta2 named first. network2.py's save() output loads into the oracle,
# and gradproof's network files load with network2.py's load() logic.
# Exit 77 (skipped) only when $PY ($PYTHON, default /usr/bin/python3) lacks numpy or torch.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
EX=$SRC/examples
need_py numpy torch
tmpdir examples

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

# Both peers, in float64 and float32, on the dump in $T/oracle: compare agrees.
peers_agree() { # label
    for peer in numpy torch; do
        for dt in float64 float32; do
            rm -rf "$T/peer"
            "$PY" "$EX/${peer}_peer.py" "$T/oracle" "$T/peer" --dtype $dt || { bad "$peer $dt ran ($1)"; continue; }
            out=$("$GP" compare "$T/oracle" "$T/peer" 2>&1); st=$?
            if [ $st -eq 0 ] && echo "$out" | grep -q "$dt \(bounds\|tolerances\)"; then ok "$peer $dt agrees ($1)"
            else bad "$peer $dt agrees ($1): status $st"; echo "$out" | sed 's/^/# /'; fi
        done
    done
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
        peers_agree "$cost ${reg:-no reg}"
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

# A --dtype the peers do not compute in is refused, not run in float64.
for peer in numpy_peer torch_peer; do
    rm -rf "$T/peer"
    err=$("$PY" "$EX/$peer.py" "$T/oracle" "$T/peer" --dtype float16 2>&1); st=$?
    [ $st -ne 0 ] && echo "$err" | grep -q "takes float64 or float32" && [ ! -e "$T/peer" ] &&
        ok "$peer.py --dtype float16: refused" || bad "$peer.py --dtype float16: refused (status $st: $err)"
done

# gradproof's network files load with network2.py's load() logic.
"$PY" "$EX/network2_load.py" "$T/oracle/network.json" >/dev/null &&
    ok "network2.py load() reads gradproof's network file" || bad "network2.py load() reads gradproof's network file"
# float32 values judged with float64 tolerances disagree: the precision matters.
rm -rf "$T/peer"
"$PY" "$EX/torch_peer.py" "$T/oracle" "$T/peer" --dtype float32
"$GP" compare "$T/oracle" "$T/peer" --precision float64 >/dev/null; st=$?
[ $st -eq 1 ] && ok "float32 peer fails float64 tolerances" || bad "float32 peer under float64 tolerances (status $st)"

# Hidden activations (issue 11): the network file's "activations" reach both peers, and
# per activation they agree with the oracle in float64 and float32. A peer using f for
# f' in BP2 (numpy --broken=sigma-for-prime) is caught with delta2 named first (delta3
# does not use a hidden f'); a peer told another activation (--activation) with a1.
setacts() { # file activations-json cost
    "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); d['activations']=json.loads(sys.argv[2]); d['cost']=sys.argv[3]; json.dump(d, open(sys.argv[1],'w'))" "$@"
}
k=0
for acts in '["tanh","tanh"]' '["relu","relu"]' '["leaky-relu:0.2","leaky-relu:0.2"]' \
    '["softplus","softplus"]' '["identity","identity"]' '["sigmoid",{"name":"relu"}]'; do
    k=$((k + 1))
    set -- QuadraticCost CrossEntropyCost log-likelihood quadratic-linear QuadraticCost log-likelihood
    eval "cost=\${$k}"
    "$PY" "$EX/network2_save.py" "$T/net.json" 6,5,4,3 QuadraticCost $((200 + k))
    setacts "$T/net.json" "$acts" $cost
    mkdata 6,5,4,3 $cost 7 $((200 + k))
    rm -rf "$T/oracle"
    if "$GP" oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" --lambda 0.5 --n 50 \
        --out-dir "$T/oracle" --self-check >/dev/null; then ok "oracle self-check, activations $acts ($cost)"
    else bad "oracle self-check, activations $acts ($cost)"; continue; fi
    grep -q '"activations"' "$T/oracle/network.json" && ok "the dump's network.json keeps $acts" ||
        bad "the dump's network.json keeps $acts"
    peers_agree "activations $acts, $cost"
    for dt in float64 float32; do
        rm -rf "$T/peer"
        "$PY" "$EX/numpy_peer.py" --broken=sigma-for-prime --dtype $dt "$T/oracle" "$T/peer"
        out=$("$GP" compare "$T/oracle" "$T/peer"); st=$?
        if [ $st -eq 1 ] && echo "$out" | grep -q 'first disagreement in computation order: delta2' &&
            echo "$out" | grep -q '^delta3 .*agree' && echo "$out" | grep -q '^a2 .*agree'; then
            ok "f for f' caught at delta2 ($dt, activations $acts)"
        else bad "f for f' caught at delta2 ($dt, activations $acts): status $st"; echo "$out" | sed 's/^/# /'; fi
    done
done
# --activation replaces the file's: a tanh network computed with relu disagrees at a1.
"$PY" "$EX/network2_save.py" "$T/net.json" 6,5,4,3 QuadraticCost 301
setacts "$T/net.json" '["tanh","tanh"]' QuadraticCost
mkdata 6,5,4,3 QuadraticCost 7 301
rm -rf "$T/oracle"
"$GP" oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" --out-dir "$T/oracle" >/dev/null
for peer in numpy torch; do
    rm -rf "$T/peer"
    "$PY" "$EX/${peer}_peer.py" "$T/oracle" "$T/peer" --activation relu
    out=$("$GP" compare "$T/oracle" "$T/peer"); st=$?
    [ $st -eq 1 ] && echo "$out" | grep -q 'first disagreement in computation order: a1' &&
        ok "$peer --activation relu on a tanh network: a1 named" ||
        { bad "$peer --activation relu on a tanh network (status $st)"; echo "$out" | sed 's/^/# /'; }
done

# A kink on purpose: hidden unit 2 of layer 1 has W1 row 2 = 0 and b1[2] = 0, so
# z1[2] = 0 exactly for every sample. relu'(0) = 0 (PyTorch's convention): PyTorch and
# the NumPy peer agree in both precisions, and the oracle's --self-check passes (the
# check engine's kink rule: one-sided derivatives, entries counted "at a kink"; it
# failed 7 of 74 parameters here before). A NumPy peer with f'(0) = 1
# (--broken=kink-convention) disagrees at delta1, the unit on the kink, and the diagnosis
# names the convention.
for acts in '["relu","relu"]' '["leaky-relu:0.1","leaky-relu:0.1"]'; do
    "$PY" "$EX/network2_save.py" "$T/net.json" 6,5,4,3 QuadraticCost 401
    setacts "$T/net.json" "$acts" CrossEntropyCost
    "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); d['weights'][0][2]=[0.0]*6; d['biases'][0][2]=[0.0]; json.dump(d, open(sys.argv[1],'w'))" "$T/net.json"
    mkdata 6,5,4,3 CrossEntropyCost 7 401
    rm -rf "$T/oracle"
    out=$("$GP" oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" --out-dir "$T/oracle" --self-check)
    if [ $? -eq 0 ] && echo "$out" | grep -q ', 0 failed, [1-9][0-9]* at a kink'; then
        ok "oracle --self-check with z1[2] = 0 exactly ($acts): $out"
    else bad "oracle --self-check with z1[2] = 0 exactly ($acts): $out"; fi
    for dt in float64 float32; do
        for peer in torch numpy; do
            rm -rf "$T/peer"
            "$PY" "$EX/${peer}_peer.py" "$T/oracle" "$T/peer" --dtype $dt
            out=$("$GP" compare "$T/oracle" "$T/peer") &&
                echo "$out" | grep -q ' 0 inconclusive, 0 disagree' &&
                ok "$peer $dt agrees at the kink, nothing inconclusive ($acts)" ||
                { bad "$peer $dt agrees at the kink ($acts)"; echo "$out" | sed 's/^/# /'; }
        done
        rm -rf "$T/peer"
        # The peer's own z1[2] is exactly 0, so no rounding could have put it on the
        # right side: a correct implementation takes f'(0) = f'(0-) there (relu'(0) = 0,
        # leaky'(0) = alpha), the bounds allow only that (gpi_bounds_compute_pinned), and
        # f'(0) = 1 disagrees at delta1 with the convention named (doc/bounds.md).
        "$PY" "$EX/numpy_peer.py" --broken=kink-convention --dtype $dt "$T/oracle" "$T/peer"
        out=$("$GP" compare "$T/oracle" "$T/peer"); st=$?
        case $acts in *leaky*) conv="leaky-relu'(0) taken as 1 where z1 = 0 exactly (7 entries), gradproof uses leaky-relu'(0) = alpha = 0.1" ;;
        *) conv="relu'(0) taken as 1 where z1 = 0 exactly (7 entries), gradproof uses relu'(0) = 0" ;; esac
        if [ $st -eq 1 ] && echo "$out" | grep -q 'first disagreement in computation order: delta1' &&
            echo "$out" | grep -qF "diagnosis: delta1: $conv" && echo "$out" | grep -q ' 0 inconclusive'; then
            ok "numpy f'(0) = 1 disagrees at delta1, convention named ($dt, $acts)"
        else bad "numpy f'(0) = 1 disagrees at delta1, convention named ($dt, $acts): status $st"; echo "$out" | sed 's/^/# /'; fi
    done
done

# Bad arguments and inputs: a first line naming the problem, status 1 (usage) or 2
# (unreadable input), no traceback; options after or before the directories.
# The library just built, also in a VPATH build (distcheck), where the package's own
# search (the source tree's src/.libs) finds none.
GRADPROOF_LIB=$(cd "${top_builddir:-.}" && pwd)/src/.libs/libgradproof.so.0
export GRADPROOF_LIB
py_expect() { # status pattern script args...
    st=$1 pat=$2 s=$3; shift 3
    out=$(PYTHONPATH="$SRC/python" "$PY" "$EX/$s" "$@" 2>&1); got=$?
    if [ $got = "$st" ] && echo "$out" | head -1 | grep -qF -- "$pat" && ! echo "$out" | grep -q Traceback
    then ok "$s $*: $st"; else bad "$s $*: status $got, expected $st"; echo "$out" | sed 's/^/# /'; fi
}
py_expect 2 "numpy_peer.py: cannot read $T/none: [Errno 2]" numpy_peer.py "$T/none" "$T/peer"
py_expect 2 "torch_peer.py: cannot read $T/none: [Errno 2]" torch_peer.py "$T/none" "$T/peer"
py_expect 1 "torch_peer.py: unknown option or missing value: --broken" torch_peer.py "$T/oracle" "$T/peer" --broken
py_expect 0 "" torch_peer.py --dtype float32 "$T/oracle" "$T/peer"
py_expect 1 "usage: numpy_check.py" numpy_check.py --bug quadratic
# (torch_check.py takes no arguments; it ran and passed with any, '--bug quadratic-delta' too)
py_expect 1 "usage: torch_check.py (no arguments)" torch_check.py --bug quadratic-delta
py_expect 1 "usage: network2_save.py FILE SIZES" network2_save.py "$T/n.json" 4,x,2
py_expect 1 "network2_save.py: cannot write $T/none/n.json" network2_save.py "$T/none/n.json" 4,2
py_expect 2 "network2_load.py: cannot load $T/none: [Errno 2]" network2_load.py "$T/none"
# (a shape network2.py cannot take, or a missing key, was an AssertionError traceback or
# Python's repr of the exception)
printf '{"sizes": [2, 1], "cost": "CrossEntropyCost", "weights": [[[1.0, 2.0]]], "biases": [[0.0]]}' >"$T/b1.json"
py_expect 1 "network2_load.py: $T/b1.json: biases[0] is float64 (1,), network2.py needs float64 (1, 1)" \
    network2_load.py "$T/b1.json"
printf '{"sizes": [2, 1], "weights": [[[1.0, 2.0]]], "biases": [[[0.0]]]}' >"$T/nk.json"
py_expect 2 "network2_load.py: cannot load $T/nk.json: no key 'cost'" network2_load.py "$T/nk.json"
exit $fail
