#!/bin/sh
# CLI tests of `gradproof oracle`, `compare` and `replay`: a working run, then bad input:
# one line naming the file and the problem, exit status 2, and no output left behind.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
tmpdir cli-oracle

cat >"$T/net.json" <<'J'
{"sizes": [3, 2, 2], "weights": [[[0.3817, -0.25, 0.125], [0.5, 0.75, -1.5]], [[1.25, -0.5], [0.0625, 2.0]]],
 "biases": [[[0.1], [-0.2]], [[0.3], [0.4]]], "cost": "CrossEntropyCost"}
J
echo '[[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 0.0, 0.25]]' >"$T/x.json"
echo '[[1, 0, 1, 0], [0, 1, 0, 1]]' >"$T/y.json"

"$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T/o.json" --self-check >/dev/null &&
    ok "oracle --out" || bad "oracle --out"
"$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out-dir "$T/o" &&
    [ -f "$T/o/dW2.npy" ] && [ -f "$T/o/db1.npy" ] && [ -f "$T/o/delta2.npy" ] && [ -f "$T/o/cost.npy" ] &&
    ok "oracle --out-dir writes dW2.npy, db1.npy, delta2.npy, cost.npy" || bad "oracle --out-dir"
"$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out-dir "$T/o" &&
    ok "oracle --out-dir replaces an earlier dump" || bad "oracle --out-dir replaces an earlier dump"
# --out-dir through a symbolic link (relative, with and without a trailing slash) is
# written through it, as every other output is: the link was replaced by the dump.
mkdir "$T/real" && ln -s real "$T/link"
for d in "$T/link" "$T/link/"; do
    rm -f "$T/real/"*
    "$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out-dir "$d" &&
        [ -L "$T/link" ] && [ -f "$T/real/dW2.npy" ] && [ -f "$T/real/meta.json" ] &&
        ok "oracle --out-dir '$d' (a link) writes into the directory it names" ||
        bad "oracle --out-dir '$d' (a link) replaced the link or wrote nothing through it"
done
"$GP" compare "$T/o.json" "$T/o" >/dev/null && ok "JSON and .npy dumps agree" || bad "JSON and .npy dumps agree"
"$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --lambda 2 --l1 0.5 --n 40 --out "$T/r.json" --self-check >/dev/null &&
    ok "oracle with --lambda --l1 --n" || bad "oracle with --lambda --l1 --n"
"$GP" compare "$T/o.json" "$T/r.json" >/dev/null; [ $? -eq 1 ] && ok "regularised dump differs (exit 1)" || bad "regularised dump differs"
# A candidate with a layer the oracle's network lacks is another network: judged on the
# oracle's layers alone it agreed (exit 0); now unusable input naming the extra tensor.
cp -r "$T/o" "$T/c3" && cp "$T/o/dW2.npy" "$T/c3/dW3.npy" && cp "$T/o/db2.npy" "$T/c3/db3.npy"
err=$("$GP" compare "$T/o" "$T/c3" 2>&1 >/dev/null); st=$?
[ $st -eq 2 ] && printf '%s' "$err" | grep -q "c3: has dW3, but the oracle's network has 2 layers" &&
    ok "compare: a candidate with dW3 for a 2-layer oracle -> 2: $err" ||
    bad "compare: a candidate with dW3 for a 2-layer oracle (status $st, said: $err)"
# So is any tensor of a third layer (z3, a3, delta3, db3 without dW3): they went unread
# and the candidate agreed (exit 0). In a directory and in JSON; an oracle's dump with
# z3 but no dW3 likewise.
mkdir "$T/c3b" && cp "$T/o/dW1.npy" "$T/o/db1.npy" "$T/o/dW2.npy" "$T/o/db2.npy" "$T/c3b"
for t in z a delta db; do
    cp "$T/o/${t}2.npy" "$T/c3b/${t}3.npy"
    err=$("$GP" compare "$T/o" "$T/c3b" 2>&1 >/dev/null); st=$?
    [ $st -eq 2 ] && [ "$err" = "gradproof: $T/c3b: has ${t}3, but the oracle's network has 2 layers of weights" ] &&
        ok "compare: a candidate with ${t}3 for a 2-layer oracle -> 2: $err" ||
        bad "compare: a candidate with ${t}3 for a 2-layer oracle (status $st, said: $err)"
    rm -f "$T/c3b/"[zad]*3.npy "$T/c3b/db3.npy"
done
sed 's/"delta1"/"delta3": [[1]], "delta1"/' "$T/o.json" >"$T/c3.json"
expect_input "c3.json: has delta3, but the oracle's network has 2 layers" compare "$T/o.json" "$T/c3.json"
cp -r "$T/o" "$T/o3" && cp "$T/o/z2.npy" "$T/o3/z3.npy"
expect_input "o3: has z3, but no dW3: its layers stop at 2" compare "$T/o3" "$T/o"
"$GP" oracle --help | grep -q 'dW1.npy' && ok "oracle --help documents the layout" || bad "oracle --help"
"$GP" compare --help | grep -q 'Exit status' && ok "compare --help" || bad "compare --help"
# --worst's range (1..16, GP_GRADCHECK_MAX_WORST) was in neither --help nor the man
# page; both now say it, and a value outside it is the one-line option error.
"$GP" compare --help | grep -q -- '--worst=N .*worst offenders to list, 1 to 16 \[10\]' &&
    ok "compare --help names --worst's range" || bad "compare --help does not name --worst's range"
grep -q 'worst offenders to list, 1 to 16 \[10\]' "$SRC/doc/gradproof.1" &&
    ok "the man page names --worst's range" || bad "the man page does not name --worst's range"
"$GP" compare "$T/o.json" "$T/o" --worst 16 >/dev/null && ok "compare --worst 16" || bad "compare --worst 16"
for n in 0 17; do expect_error "invalid --worst '$n': must be between 1 and 16" compare "$T/o.json" "$T/o" --worst $n; done
"$GP" --help | grep -q 'replay' && ok "replay listed" || bad "replay listed"


# --self-check at kinks (issue 11): dyadic weights and inputs (tests/data/kink-*.json)
# put z1[0] of sample 0 and z1[1] of sample 1 exactly on ReLU's kink (0.25 - 0.25 + 0 =
# 0; 0.25 + 0.125 - 0.25 - 0.125 = 0, every product and sum exact in float64). A central
# difference there reports the mean of the one-sided derivatives (7 of 26 parameters
# failed before the self-check took the check engine's kink rule); now none fails and
# the entries whose reference is one-sided are counted "at a kink". Leaky ReLU likewise;
# the sigmoid network (no kink) reports 0 at a kink.
D=${top_srcdir:-.}/tests/data
for acts in relu leaky-relu:0.1; do
    sed "s/\"relu\"/\"$acts\"/" "$D/kink-net.json" >"$T/k.json"
    out=$("$GP" oracle --net "$T/k.json" --x "$D/kink-x.json" --y "$D/kink-y.json" --out "$T/k.out" --self-check); st=$?
    kinks=$(echo "$out" | sed -n 's/^self-check: 26 parameters .*, 0 failed, \([0-9]*\) at a kink.*/\1/p')
    [ $st -eq 0 ] && [ "${kinks:-0}" -ge 1 ] && ok "oracle --self-check with z = 0 exactly ($acts): $out" ||
        bad "oracle --self-check with z = 0 exactly ($acts): status $st, said: $out"
done
out=$("$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T/k.out" --self-check)
echo "$out" | grep -q ', 0 failed, 0 at a kink,' && ok "sigmoid self-check: 0 at a kink" ||
    bad "sigmoid self-check: $out"

# The noise of the cost (issue 12): a quadratic-linear output near B with targets near B
# computes a - y with the rounding error of a (ulp(B)), so the cost carries noise far
# above one ulp of itself, and the one-ulp rule fails correct parameters (its step is
# too short for that noise: 1 of 11 at B = 1e4, 3 at B = 1e8). By default the
# self-check measures the noise of each entry that rule fails, and the noise hides
# their differences: inconclusive, 0 failed, status 0 (a default that does not measure
# it fails here). --noise measures it everywhere, passes all 11 at B = 1e4 and, at
# B = 1e8, where no step resolves a digit, calls them inconclusive instead of failed
# (status 0). A --noise not passed through fails here.
for B in 1e4 1e8; do
    cat >"$T/noisy.json" <<J
{"sizes": [3, 2, 1], "weights": [[[0.3817, -0.25, 0.125], [0.5, 0.75, -1.5]], [[1.25, -0.5]]],
 "biases": [[[0.1], [-0.2]], [[$B]]], "cost": "quadratic-linear"}
J
    awk -v b=$B 'BEGIN { printf "[[%.17g, %.17g, %.17g, %.17g]]\n", b + 1.5, b - 0.75, b + 2.25, b + 0.5 }' >"$T/ny.json"
    out=$("$GP" oracle --net "$T/noisy.json" --x "$T/x.json" --y "$T/ny.json" --out "$T/n.out" --self-check); st=$?
    [ $st -eq 0 ] && echo "$out" | grep -q ', 0 failed, .*, [1-9][0-9]* inconclusive, min digits' &&
        ok "noisy cost near $B: the default measures the failing entries' noise ($out)" ||
        bad "noisy cost near $B without --noise: status $st, said: $out"
    out=$("$GP" oracle --net "$T/noisy.json" --x "$T/x.json" --y "$T/ny.json" --out "$T/n.out" --self-check --noise); st=$?
    if [ $B = 1e4 ]; then want=', 0 failed, .*, 0 inconclusive, min digits [1-9]'
    else want=', 0 failed, .*, [1-9][0-9]* inconclusive, min digits'; fi
    [ $st -eq 0 ] && echo "$out" | grep -q "$want" && ok "noisy cost near $B: --noise ($out)" ||
        bad "noisy cost near $B with --noise: status $st, said: $out"
done
out=$("$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T/k.out" --noise 2>&1); st=$?
[ $st -eq 1 ] && [ "$(echo "$out" | head -n 1)" = "gradproof: --noise goes with --self-check" ] &&
    ok "oracle --noise without --self-check: usage error" || bad "oracle --noise alone: status $st, said: $out"

# IDX input: a tiny 3-image set of 1x3 images.
printf '\000\000\010\003\000\000\000\003\000\000\000\001\000\000\000\003\000\377\200\012\013\014\377\377\377' >"$T/im.idx"
printf '\000\000\010\001\000\000\000\003\001\000\001' >"$T/lb.idx"
"$GP" oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb.idx" --range 0:3 --out "$T/i.json" &&
    ok "oracle on an IDX range" || bad "oracle on an IDX range"

# Each bad input: status 2, one stderr line naming the file, no output file.
expect_input_error() { # pattern out args...
    pat=$1; out=$2; shift 2
    err=$("$GP" "$@" 2>&1 >/dev/null); st=$?
    n=$(printf '%s\n' "$err" | wc -l)
    left=$(ls "$T" | grep -c "^$(basename "$out")") || true
    if [ "$st" -eq 2 ] && [ "$n" -eq 1 ] && printf '%s' "$err" | grep -q -- "$pat" && [ "$left" -eq 0 ]; then
        ok "$pat -> $err"
    else bad "$pat (status $st, $n lines, $left outputs left, said: $err)"; fi
}
O="--out $T/bad.json"
printf '{"sizes": [3, 2, 2], "weights": ' >"$T/trunc.json"
expect_input_error "trunc.json" bad.json oracle --net "$T/trunc.json" --x "$T/x.json" --y "$T/y.json" $O
sed 's/"sizes": \[3, 2, 2\]/"sizes": [3, 9, 2]/' "$T/net.json" >"$T/shape.json"
expect_input_error "shape.json" bad.json oracle --net "$T/shape.json" --x "$T/x.json" --y "$T/y.json" $O
sed 's/"sizes": \[3, 2, 2\]/"sizes": [3, 2000000000, 2]/' "$T/net.json" >"$T/absurd.json"
expect_input_error "absurd.json" bad.json oracle --net "$T/absurd.json" --x "$T/x.json" --y "$T/y.json" $O
# Finite parameters whose values overflow float64 on the samples: named, no dump (--out
# said "out of memory building JSON", --out-dir wrote inf into the .npy files, exit 0).
sed 's/0.3817, -0.25, 0.125/1e308, 1e308, 1e308/' "$T/net.json" >"$T/huge.json"
expect_input_error "huge.json: z1\[0\]\[1\] is inf on these samples" bad.json oracle --net "$T/huge.json" --x "$T/x.json" --y "$T/y.json" $O
expect_input_error "huge.json: z1\[0\]\[1\] is inf" bad-dir oracle --net "$T/huge.json" --x "$T/x.json" --y "$T/y.json" --out-dir "$T/bad-dir"
sed 's/0.3817/NaN/' "$T/net.json" >"$T/nan.json"
expect_input_error "nan.json" bad.json oracle --net "$T/nan.json" --x "$T/x.json" --y "$T/y.json" $O
echo '[[0.1, 0.2], [0.5, 0.6]]' >"$T/x2.json"
expect_input_error "x2.json: 2 rows, expected n_0 = 3" bad.json oracle --net "$T/net.json" --x "$T/x2.json" --y "$T/y.json" $O
echo '[[1, 0, 1], [0, 1, 0]]' >"$T/y3.json"
expect_input_error "y3.json: shape 2 x 3, expected 2 x 4" bad.json oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y3.json" $O
echo '[[0.1, 0.2, 0.3, 1e999], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 0.0, 0.25]]' >"$T/xinf.json"
expect_input_error "xinf.json" bad.json oracle --net "$T/net.json" --x "$T/xinf.json" --y "$T/y.json" $O
echo '[[0.1, 0.2, 0.3], [0.5, 0.6]]' >"$T/ragged.json"
expect_input_error "ragged.json: row 1" bad.json oracle --net "$T/net.json" --x "$T/ragged.json" --y "$T/y.json" $O
printf 'NOTNUMPY-garbage' >"$T/magic.npy"
expect_input_error "magic.npy" bad-dir oracle --net "$T/net.json" --x "$T/magic.npy" --y "$T/y.json" --out-dir "$T/bad-dir"
cp "$T/o/x.npy" "$T/x.npy"
head -c 100 "$T/x.npy" >"$T/short.npy"
expect_input_error "short.npy" bad-dir oracle --net "$T/net.json" --x "$T/short.npy" --y "$T/y.json" --out-dir "$T/bad-dir"
/usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((3, 4), dtype=np.int64))' "$T/int.npy" 2>/dev/null &&
    expect_input_error "int.npy" bad-dir oracle --net "$T/net.json" --x "$T/int.npy" --y "$T/y.json" --out-dir "$T/bad-dir"
expect_input_error "nosuch.json" bad.json oracle --net "$T/nosuch.json" --x "$T/x.json" --y "$T/y.json" $O
expect_input_error "im.idx: --range 0:9 runs past" bad.json oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb.idx" --range 0:9 $O
expect_input_error "nosuch.json: cannot open" bad.json oracle --net "$T/net.json" --x "$T/nosuch.json" --y "$T/y.json" $O

# compare: unusable candidates.
mkdir -p "$T/cand"
cp "$T/o/"*.npy "$T/cand/"
rm "$T/cand/dW2.npy"
expect_input_error "dW2 is missing" rep.json compare "$T/o" "$T/cand" --report "$T/rep.json"
/usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((3, 2)))' "$T/cand/dW2.npy"
expect_input_error "dW2 has shape 3 x 2, expected 2 x 2" rep.json compare "$T/o" "$T/cand" --report "$T/rep.json"
printf '{"dW1": [[1, 2, 3], [4, 5' >"$T/cand.json"
expect_input_error "cand.json: not" rep.json compare "$T/o" "$T/cand.json" --report "$T/rep.json"
expect_input_error "net.json: no dW1" rep.json compare "$T/net.json" "$T/net.json" --report "$T/rep.json"
# A missing ORACLE is unusable input (it was taken for swapped arguments, exit 1).
expect_input_error "nosuch: cannot open" rep.json compare "$T/nosuch" "$T/o" --report "$T/rep.json"
# An output that would replace an input (or a file of an input dump) is refused, status
# 1, the input left whole (the network file was overwritten by the dump).
cp "$T/net.json" "$T/net0.json" && cp "$T/o/meta.json" "$T/meta0.json"
expect 1 "--out '$T/net.json' would replace the input --net '$T/net.json'" \
    oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T/net.json"
expect 1 "--report '$T/o/meta.json' would replace the input ORACLE '$T/o'" \
    compare "$T/o" "$T/o" --report "$T/o/meta.json"
expect 1 "--record '$T/net.json' would replace the input ORACLE '$T/net.json'" \
    compare "$T/net.json" "$T/o" --record "$T/net.json"
# Through a symbolic link too (outputs are written through links).
ln -s net.json "$T/netlink.json"
expect 1 "--report '$T/netlink.json' would replace the input ORACLE '$T/net.json'" \
    compare "$T/net.json" "$T/o" --report "$T/netlink.json"
# --net naming a directory is unusable input (status 2), with an output under it too: the
# output's check came first and said it would replace the input --net (status 1).
mkdir "$T/netdir"
expect_input "$T/netdir: is a directory, not a file" \
    oracle --net "$T/netdir" --x "$T/x.json" --y "$T/y.json" --out "$T/netdir/o.json"
[ ! -e "$T/netdir/o.json" ] && ok "nothing written under --net DIR" || bad "$T/netdir/o.json written"
cmp -s "$T/net.json" "$T/net0.json" && cmp -s "$T/o/meta.json" "$T/meta0.json" &&
    ok "inputs left whole" || bad "an input was replaced by an output"
cp "$T/net0.json" "$T/net.json" && cp "$T/meta0.json" "$T/o/meta.json" # for the rest
# An oracle's dump whose inputs are corrupt is unusable (it fell back to the fixed rule,
# "no inputs", or used a negative lambda, or said "out of memory").
cp -r "$T/o" "$T/om"
sed 's/"lambda":[^,]*/"lambda":-1/' "$T/o/meta.json" >"$T/om/meta.json"
expect_input_error "om/meta.json: lambda and l1 must be numbers >= 0" rep.json compare "$T/om" "$T/o" --report "$T/rep.json"
cp "$T/o/meta.json" "$T/om/meta.json"
/usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((2, 4)))' "$T/om/x.npy" 2>/dev/null &&
    expect_input_error "om: x (2 x 4) and y (2 x 4) do not fit the network" rep.json compare "$T/om" "$T/o" --report "$T/rep.json"
sed 's/"lambda":[^,]*/"lambda":"x"/' "$T/o.json" >"$T/olam.json"
expect_input_error "olam.json: lambda and l1 must be" rep.json compare "$T/olam.json" "$T/o" --report "$T/rep.json"
sed 's/"sizes":\[3,2,2\]/"sizes":[3,3,2]/' "$T/o.json" >"$T/onet.json"
expect_input_error "onet.json: network: " rep.json compare "$T/onet.json" "$T/o" --report "$T/rep.json"
# A network.json of other sizes than the dump's tensors (another dump's): compare said
# "compare: out of memory"; now the first tensor that does not fit is named.
cp -r "$T/o" "$T/ow"
cat >"$T/ow/network.json" <<'J'
{"sizes": [3, 3, 2], "weights": [[[0.3817, -0.25, 0.125], [0.5, 0.75, -1.5], [1, 1, 1]], [[1.25, -0.5, 1], [0.0625, 2.0, 1]]],
 "biases": [[[0.1], [-0.2], [0]], [[0.3], [0.4]]], "cost": "CrossEntropyCost"}
J
expect_input_error "ow: z1 is 2 x 4, but its network, x and y give 3 x 4" rep.json compare "$T/ow" "$T/o" --report "$T/rep.json"
cat >"$T/ow/network.json" <<'J'
{"sizes": [3, 2], "weights": [[[0.3817, -0.25, 0.125], [0.5, 0.75, -1.5]]], "biases": [[[0.1], [-0.2]]], "cost": "CrossEntropyCost"}
J
expect_input_error "ow: dW1..dW2 are 2 layers of weights, but its network has 1" rep.json compare "$T/ow" "$T/o" --report "$T/rep.json"
# An oracle's dump whose values its own inputs do not give (edited by hand, or another
# dump's network.json of the same sizes) judged candidates by its stored values: a
# candidate with the same edit agreed (exit 0), the right one disagreed. The oracle is
# now computed again from the inputs and such a dump refused, the value named.
sed 's/"cost":1\.[0-9]*/"cost":9.5/' "$T/o.json" >"$T/oe.json"
sed 's/"cost":1\.[0-9]*/"cost":9.5/; s/"format":"gradproof-oracle",//' "$T/o.json" >"$T/ce.json"
expect_input_error "oe.json: cost\[0\]\[0\] is 9.5, but its network, x and y give 1.67[0-9]*: the dump contradicts its own inputs" \
    rep.json compare "$T/oe.json" "$T/ce.json" --report "$T/rep.json"
cp -r "$T/o" "$T/oe" && sed 's/0\.3817/0.4817/' "$T/net.json" >"$T/oe/network.json"
expect_input_error "oe: .* is .*, but its network, x and y give .*: the dump contradicts its own inputs" \
    rep.json compare "$T/oe" "$T/o" --report "$T/rep.json"
for d in o.json o r.json; do
    "$GP" compare "$T/$d" "$T/$d" >/dev/null && ok "compare: the oracle's own dump $d agrees with itself" ||
        bad "compare: the oracle's own dump $d refused"
done
echo '{"format": "gradproof-record", "version": 99}' >"$T/rec.json"
expect_input_error "record version 99" none replay "$T/rec.json"
echo '[1, 2' >"$T/rec2.json"
expect_input_error "rec2.json: not JSON" none replay "$T/rec2.json"

# Records: a doctored candidate fails, its record replays as failing; with the value put
# right the record replays as passing; a check record replays gradproof's own formulas.
mkdir -p "$T/doc"
cp "$T/o/"*.npy "$T/doc/"
/usr/bin/python3 -c 'import numpy as np, sys; a = np.load(sys.argv[1]); a[1, 0] += 0.01; np.save(sys.argv[1], a)' "$T/doc/dW2.npy"
out=$("$GP" compare "$T/o" "$T/doc" --record "$T/rec.compare.json"); st=$?
[ $st -eq 1 ] && echo "$out" | grep -q 'dW2\[1\]\[0\]' && ok "doctored dW2[1][0] caught and named" || bad "doctored dW2[1][0] (status $st)"
"$GP" replay "$T/rec.compare.json" >/dev/null; st=$?
[ $st -eq 1 ] && ok "replay: still fails (exit 1)" || bad "replay of a failing record (status $st)"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "gradproof-record" and r["version"] == 1 and r["kind"] == "compare"
assert r["network"]["sizes"] == [3, 2, 2] and r["failures"][0]["tensor"] == "dW2"
for f in r["failures"]:
    f["actual"] = f["expected"]
json.dump(r, open(sys.argv[1], "w"))' "$T/rec.compare.json" && ok "record is self-contained and versioned" || bad "record contents"
"$GP" replay "$T/rec.compare.json" >/dev/null; st=$?
[ $st -eq 0 ] && ok "replay: now passes (exit 0)" || bad "replay of a fixed record (status $st)"
# A failure naming an entry the oracle does not have: named at read time (it was
# "invalid argument supplied by user").
for te in dW2:4 dW9:0 db1:2 cost:1; do
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); t, i = sys.argv[3].split(":")
r["failures"][0].update(tensor=t, index=int(i)); json.dump(r, open(sys.argv[2], "w"))' \
        "$T/rec.compare.json" "$T/rec.bad.json" "$te"
    expect_input_error "rec.bad.json: failures\[0\]: the oracle has no entry ${te%:*}\[${te#*:}\]" none replay "$T/rec.bad.json"
done
cat >"$T/rec.check.json" <<'J'
{"format": "gradproof-record", "version": 1, "gradproof": "0.1.0", "kind": "check", "formula": "params",
 "network": {"sizes": [1, 1], "weights": [[[0.5]]], "biases": [[[0.0]]], "cost": "QuadraticCost"},
 "x": [[1.0]], "y": [[0.0]], "lambda": 0.5, "l1": 0.1, "n": 3, "precision": "float64", "seed": 1, "case": 0,
 "failures": [{"tensor": "W1", "row": 0, "col": 0, "analytic": 1.0, "numeric": 0.5, "error_estimate": 1e-10}]}
J
"$GP" replay "$T/rec.check.json" | grep -q 'now passes' && ok "check record replays gradproof's formulas" || bad "check record replay"
# A record whose case the oracle cannot judge is unusable (status 2, one line): its
# network overflows, or log-likelihood targets do not sum to 1 (it 'still failed', 1).
sed 's/"weights": \[\[\[0.5\]\]\]/"weights": [[[1e308]]]/; s/"x": \[\[1.0\]\]/"x": [[10]]/' \
    "$T/rec.check.json" >"$T/rec.inf.json"
expect_input "rec.inf.json: z1\[0\]\[0\] is inf on the record's samples" replay "$T/rec.inf.json"
/usr/bin/python3 -c 'import json, sys
o = json.load(open(sys.argv[1])); o["network"]["cost"] = "LogLikelihoodCost"
o["y"][1][0] = 1.0; json.dump(o, open(sys.argv[2], "w"))' "$T/o.json" "$T/o.ll.json"
expect_input "o.ll.json: the targets of sample 0 sum to 2" compare "$T/o.ll.json" "$T/o.json"

# replay --candidate: a compare record judged against a fresh candidate dump of the
# recorded case, with compare's own rule. The doctored dump still fails, the oracle's
# own values (a "fixed" implementation) pass.
"$GP" compare "$T/o" "$T/doc" --record "$T/rec.fresh.json" >/dev/null
"$GP" replay "$T/rec.fresh.json" --candidate "$T/doc" >/dev/null; st=$?
[ $st -eq 1 ] && ok "replay --candidate DOCTORED: still fails (exit 1)" || bad "replay --candidate doctored (status $st)"
mkdir -p "$T/fixed"; cp "$T/o/"d*.npy "$T/fixed/"
out=$("$GP" replay "$T/rec.fresh.json" --candidate "$T/fixed"); st=$?
[ $st -eq 0 ] && echo "$out" | grep -q 'now passes' && ok "replay --candidate FIXED: now passes (exit 0)" ||
    bad "replay --candidate fixed (status $st)"
"$GP" replay "$T/rec.fresh.json" --candidate "$T/cand.json" 2>/dev/null; st=$?
[ $st -eq 2 ] && ok "replay --candidate unusable: exit 2" || bad "replay --candidate unusable (status $st)"
# An ORACLE through a pipe is read once: its inputs were read again from the drained
# pipe, found missing, and the fixed rule judged instead of the certified one.
out=$(cat "$T/o.json" | "$GP" compare /dev/stdin "$T/fixed" --record "$T/rec.pipe.json"); st=$?
[ $st -eq 0 ] && printf '%s\n' "$out" | grep -q '^rule: certified' &&
    ok "compare /dev/stdin (a pipe) as ORACLE: the certified rule" ||
    bad "compare /dev/stdin as ORACLE: status $st, $(printf '%s\n' "$out" | grep '^rule')"
# ... and compared with another oracle's dump, it is not taken for swapped arguments (the
# pipe's mark cannot be read without draining it; compare stopped with status 1).
out=$(cat "$T/o.json" | "$GP" compare /dev/stdin "$T/o.json" 2>&1); st=$?
[ $st -eq 0 ] && printf '%s\n' "$out" | grep -q '^rule: certified' &&
    ok "compare /dev/stdin ORACLE.json: not swapped" ||
    bad "compare /dev/stdin ORACLE.json: status $st, $(printf '%s\n' "$out" | head -1)"
# compare's verdict that cannot be printed is no agreement (status 1; it was 0).
if [ -w /dev/full ]; then
    "$GP" compare "$T/o.json" "$T/fixed" >/dev/full 2>"$T/err"; st=$?
    [ $st -eq 1 ] && grep -q "^gradproof: cannot write standard output: " "$T/err" &&
        ok "compare >/dev/full: status 1" || bad "compare >/dev/full: status $st, said: $(cat "$T/err")"
fi
# --record with an oracle dump that lacks its inputs: refused before the comparison
# (status 1); the table and DISAGREE were printed, then 'carries no network', status 2.
/usr/bin/python3 -c 'import json, sys
o = json.load(open(sys.argv[1])); [o.pop(k) for k in ("format", "network", "x", "y")]
json.dump(o, open(sys.argv[2], "w")); o["dW1"][0][0] += 1; json.dump(o, open(sys.argv[3], "w"))' \
    "$T/o.json" "$T/plain.json" "$T/plainbad.json"
out=$("$GP" compare "$T/plain.json" "$T/plainbad.json" --record "$T/rec.noin.json" 2>"$T/err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && [ ! -e "$T/rec.noin.json" ] &&
    grep -q "^gradproof: --record needs the oracle's inputs" "$T/err" &&
    ok "compare --record, oracle without inputs: usage error first" ||
    bad "compare --record, oracle without inputs: status $st, $(printf '%s' "$out" | wc -l) lines, said: $(head -1 "$T/err")"
"$GP" replay "$T/rec.check.json" --candidate "$T/fixed" 2>/dev/null; st=$?
[ $st -eq 1 ] && ok "replay --candidate on a check record: usage error" || bad "replay --candidate on check record (status $st)"
"$GP" replay --help | grep -q 'check record' && "$GP" replay --help | grep -q -- '--candidate' &&
    ok "replay --help documents each kind" || bad "replay --help"

# Precision is inferred per tensor: dW1 from float32 code (off by a few float32 ulps,
# 3e-7 relative: beyond float64's tolerance, well within float32's), the rest float64.
mkdir -p "$T/mixed"; cp "$T/o/"d*.npy "$T/mixed/"
/usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], (np.load(sys.argv[1]) * (1 + 3e-7)).astype(np.float32))' "$T/mixed/dW1.npy"
out=$("$GP" compare "$T/o" "$T/mixed"); st=$?
[ $st -eq 0 ] && echo "$out" | grep -E -q '^dW1 .* float32 ' && echo "$out" | grep -E -q '^dW2 .* float64 ' &&
    ok "per-tensor precision: float32 dW1 next to float64 dW2 agrees" || bad "per-tensor precision (status $st): $out"

# IDX files with different counts do not belong together.
printf '\000\000\010\001\000\000\000\002\001\000' >"$T/lb2.idx"
expect_input_error "lb2.idx: 2 labels, but" bad.json oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb2.idx" --range 0:2 $O

# Images that do not fit the network are refused before any conversion.
printf '\000\000\010\003\000\000\000\003\000\000\000\001\000\000\000\002\000\377\200\012\013\014' >"$T/im2.idx"
expect_input_error "im2.idx: images of 1 x 2 pixels, expected n_0 = 3" bad.json oracle --net "$T/net.json" --idx-images "$T/im2.idx" --idx-labels "$T/lb.idx" --range 0:2 $O

# --rows: shapes reported as the files hold them (one sample per row).
echo '[[0.1, 0.2], [0.5, 0.6], [0.9, 1.0], [0.3, 0.4]]' >"$T/xr.json"
expect_input_error "xr.json: 2 columns, expected n_0 = 3" bad.json oracle --net "$T/net.json" --rows --x "$T/xr.json" --y "$T/y.json" $O
echo '[[0.1, 0.2, 0.3], [0.5, 0.6, 0.7], [0.9, 1.0, 0.0], [0.25, 0.5, 0.75]]' >"$T/xr3.json"
echo '[[1, 0], [0, 1], [1, 0]]' >"$T/yr.json"
expect_input_error "yr.json: shape 3 x 2, expected 4 x 2 (m x n_L)" bad.json oracle --net "$T/net.json" --rows --x "$T/xr3.json" --y "$T/yr.json" $O

# Swapped arguments: the oracle's dump is the one with meta.json.
err=$("$GP" compare "$T/fixed" "$T/o" 2>&1 >/dev/null); st=$?
[ $st -eq 1 ] && printf '%s' "$err" | grep -q 'arguments swapped' && ok "compare CAND ORACLE: swapped, exit 1" ||
    bad "compare swapped (status $st): $err"
err=$("$GP" compare "$T/fixed" "$T/o.json" 2>&1 >/dev/null); st=$?
[ $st -eq 1 ] && printf '%s' "$err" | grep -q 'arguments swapped' && ok "compare CAND ORACLE.json: swapped, exit 1" ||
    bad "compare swapped JSON (status $st): $err"
# An ORACLE that is no dump at all (empty, corrupt, an empty directory) beside a marked
# CANDIDATE was taken for swapped arguments (exit 1); it is unusable input, named.
: >"$T/empty.json" && mkdir "$T/emptydir"
expect_input_error "empty.json: empty: no data" rep.json compare "$T/empty.json" "$T/o.json" --report "$T/rep.json"
expect_input_error "emptydir: no dW1: not a gradproof dump" rep.json compare "$T/emptydir" "$T/o" --report "$T/rep.json"

# One rule for uint8 samples: pixels / 255, as --idx-images does.
/usr/bin/python3 -c '
import numpy as np, sys, json
x = np.array([[0, 255, 128, 7], [12, 200, 99, 1], [255, 0, 64, 32]], dtype=np.uint8)
np.save(sys.argv[1], x)
json.dump((x / 255.0).tolist(), open(sys.argv[2], "w"))' "$T/x8.npy" "$T/x8.json"
"$GP" oracle --net "$T/net.json" --x "$T/x8.npy" --y "$T/y.json" --out "$T/u8.json" &&
    "$GP" oracle --net "$T/net.json" --x "$T/x8.json" --y "$T/y.json" --out-dir "$T/f8" &&
    "$GP" compare "$T/f8" "$T/u8.json" >/dev/null && ok "uint8 --x is scaled by 1/255" || bad "uint8 --x scaling"

# One OpenBLAS thread (gradproof's commands without --threads): OpenBLAS splits a large
# dgemm over its threads and rounds it differently on one CPU and on two. [784,70,10]'s
# layer-1 product (548,800 multiply-adds) is above its two-thread threshold: the oracle's
# dump, compare's report and record (its bounds) and replay's verdict (the oracle
# recomputed) are the same bits under `taskset -c 0` as on every CPU (with compare and
# replay on OpenBLAS's default threads, the report and replay's output differed).
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    (mkdir "$T/big" && cd "$T/big" && awk -v sizes=784,70,10 -v m=10 -f "$SRC/tests/mknet.awk")
    B="--net ../net.json --x ../x.json --y ../y.json"
    for cpus in one all; do
        run=""; [ $cpus = one ] && run="taskset -c 0"
        (mkdir "$T/big/$cpus" && cd "$T/big/$cpus" &&
            $run "$GP" oracle $B --out o.json && $run "$GP" oracle $B --lambda 1e-6 --out c.json &&
            { $run "$GP" compare o.json c.json --report rep.json --record rec.json >cmp.out
              [ $? -eq 1 ]; } && { $run "$GP" replay rec.json >rp.out; [ $? -eq 1 ]; }) ||
            bad "[784,70,10] on $cpus CPUs: oracle, compare (exit 1), replay (exit 1)"
    done
    for f in o.json c.json rep.json rec.json cmp.out rp.out; do
        [ -s "$T/big/one/$f" ] && cmp -s "$T/big/one/$f" "$T/big/all/$f" &&
            ok "[784,70,10] $f: the same bits on one CPU (taskset) as on all CPUs" ||
            bad "[784,70,10] $f: the same bits on one CPU (taskset) as on all CPUs"
    done
fi

# Usage errors: exit 1.
"$GP" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" 2>/dev/null; [ $? -eq 1 ] && ok "no --out: exit 1" || bad "no --out"
"$GP" compare --precision float8 a b 2>&1 | grep -q "invalid --precision 'float8'" && ok "bad --precision" || bad "bad --precision"
# An output that cannot be written is a usage error (exit 1, as train's --save), not
# unusable input (it was 2); compare refuses it before printing a verdict.
expect_error "cannot write --out '$T/no/o.json': " oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T/no/o.json"
expect_error "cannot write --out-dir '$T/no/o': " oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out-dir "$T/no/o"
expect_error "cannot write --out '$T': is a directory" oracle --net "$T/net.json" --x "$T/x.json" --y "$T/y.json" --out "$T"
out=$("$GP" compare "$T/o" "$T/o" --report "$T/no/r.json" 2>"$T/cw.err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && grep -q "^gradproof: cannot write --report '$T/no/r.json': " "$T/cw.err" &&
    ok "compare --report unwritable: exit 1 before the verdict" || bad "compare --report unwritable (status $st): $(cat "$T/cw.err")"
expect_error "cannot write --record '$T/no/r.json': " compare "$T/o" "$T/o" --record "$T/no/r.json"
# --report and --record naming one file: refused before the verdict (the record replaced
# the report).
rm -f "$T/same.json"
out=$("$GP" compare "$T/o" "$T/doc" --report "$T/same.json" --record "$T/./same.json" 2>"$T/cs.err"); st=$?
[ $st -eq 1 ] && [ -z "$out" ] && [ ! -e "$T/same.json" ] &&
    grep -q "^gradproof: --report '$T/same.json' and --record '$T/./same.json' are the same file" "$T/cs.err" &&
    ok "compare --report and --record the same file: exit 1, nothing written" ||
    bad "compare --report and --record the same file (status $st): $(cat "$T/cs.err")"
# An error that overflows to inf (z1 = 1.5e308 against -1.5e308): --report wrote no
# entry for z1 (json_pack refuses inf) and every later tensor took the verdict of the one
# before it (a1 "disagree"); now z1 is there, its errors as strings as in "worst".
echo '{"sizes": [3, 2, 1], "weights": [[[5e307, 5e307, 5e307], [0.1, 0.1, 0.1]], [[0.5, 0.5]]],
 "biases": [[[0], [0]], [[0]]], "cost": "QuadraticCost"}' >"$T/big-net.json"
echo '[[1], [1], [1]]' >"$T/big-x.json"
echo '[[0.3]]' >"$T/big-y.json"
"$GP" oracle --net "$T/big-net.json" --x "$T/big-x.json" --y "$T/big-y.json" --out "$T/big.json" &&
    sed 's/"z1":\[\[1.5e308\]/"z1":[[-1.5e308]/' "$T/big.json" >"$T/big-c.json"
"$GP" compare "$T/big.json" "$T/big-c.json" --report "$T/big-r.json" >/dev/null; st=$?
t=$(tr -d ' \n' <"$T/big-r.json")
[ $st -eq 1 ] &&
    printf '%s' "$t" | grep -q '"tensors":\[{"tensor":"z1",[^}]*"max_abs_error":"inf","max_rel_error":"inf",[^}]*"verdict":"disagree"' &&
    printf '%s' "$t" | grep -q '{"tensor":"a1",[^}]*"verdict":"agree"' &&
    ok "compare --report with an infinite error: z1 disagrees, a1 agrees" ||
    bad "compare --report with an infinite error (status $st): $t"
# Log-likelihood targets must sum to 1 in each sample: delta^L = a - y is dC_x/dz^L only
# then. Targets [1, 1] were written with exit 0, a gradient not that of the dump's own
# cost (--self-check: 26 of 26 parameters failed); now unusable input, nothing written.
sed 's/CrossEntropyCost/LogLikelihoodCost/' "$T/net.json" >"$T/ll.json"
echo '[[1, 0, 1, 0], [1, 1, 0, 0]]' >"$T/y2.json"
rm -f "$T/ll.out"
expect_input "y2.json: the targets of sample 0 sum to 2; log-likelihood needs targets summing to 1" \
    oracle --net "$T/ll.json" --x "$T/x.json" --y "$T/y2.json" --out "$T/ll.out"
[ ! -e "$T/ll.out" ] && ok "no output for log-likelihood targets not summing to 1" || bad "ll.out written"
echo '[[0.25, 0, 1, 0.5], [0.75, 1, 0, 0.5]]' >"$T/yd.json"
"$GP" oracle --net "$T/ll.json" --x "$T/x.json" --y "$T/yd.json" --out "$T/ll.out" --self-check >/dev/null &&
    ok "log-likelihood with distribution targets: self-check passes" || bad "log-likelihood with distribution targets"
"$GP" oracle --range 5:2 2>&1 | grep -q "invalid --range '5:2'" && ok "bad --range" || bad "bad --range"
# A range of too many samples, or of numbers beyond any integer, said "expected A:B
# with A < B", which it was; now each says what is wrong.
expect_error "invalid --range '0:2000000': at most 1000000 samples (B - A)" oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb.idx" --range 0:2000000 --out "$T/i.json"
expect_error "invalid --range '0:99999999999999999999999': a number out of range" oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb.idx" --range 0:99999999999999999999999 --out "$T/i.json"
expect_error "--rows goes with --x and --y" oracle --net "$T/net.json" --idx-images "$T/im.idx" --idx-labels "$T/lb.idx" --range 0:3 --rows --out "$T/i.json"
exit $fail
