#!/bin/sh
# gradproof hunt against the NumPy peer (examples/numpy_peer.py): no false alarm on the
# correct peer in float64 and float32; each planted bug (--broken=NAME) fails, shrinks to
# a smaller case, is diagnosed by name, and its record replays (exit 1 with the bug,
# 0 with the correct peer); a crashing, hanging or silent candidate is reported as such;
# --activation relu reaches the peer (a relu'-only bug found, the correct peer agrees);
# --target finds saturation-only bugs (a clamped sigmoid, an epsilon inside the log) that
# as many random cases miss.
# The longer run of the brief (>= 500 cases) is
#   cli/gradproof hunt --cases 500 --dir /tmp/h -- /usr/bin/python3 examples/numpy_peer.py
# Exit 77 (skipped) only when $PY ($PYTHON, default /usr/bin/python3) lacks numpy.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
PEER=$SRC/examples/numpy_peer.py
need_py numpy
tmpdir hunt

for dt in float64 float32; do
    if "$GP" hunt --cases 8 --seed 7 --dir "$T/ok-$dt" -- "$PY" "$PEER" --dtype $dt >"$T/out" 2>&1 &&
        grep -q "8 cases .* every case agreed" "$T/out"; then
        ok "correct peer ($dt): 8 cases, no false alarm"
    else
        bad "correct peer ($dt): $(cat "$T/out")"
    fi
done

# bug name, words the diagnosis must contain
for row in "fprime-missing:sigma'(z) missing" "sum:summed instead of averaged" \
    "reg-on-biases:applied to the biases" \
    "sample-dropped:dropped"; do
    bug=${row%%:*} words=${row#*:}
    "$GP" hunt --cases 20 --seed 3 --shrink-evals 40 --dir "$T/$bug" -- "$PY" "$PEER" \
        --broken=$bug >"$T/out" 2>&1
    st=$?
    [ $st -eq 1 ] && ok "$bug: hunt fails (exit 1)" || bad "$bug: exit $st: $(cat "$T/out")"
    grep -q "^diagnosis: .*$words" "$T/out" && ok "$bug: diagnosis names it" ||
        bad "$bug: diagnosis: $(grep diagnosis "$T/out")"
    sizes=$(sed -n 's/^shrunk in \([0-9]*\) steps.*-> \(sizes [^ ]* m=[0-9]*\).*/\1 steps, \2/p' "$T/out")
    [ -n "$sizes" ] && ok "$bug: shrunk in $sizes" || bad "$bug: no shrink line"
    "$GP" hunt --replay "$T/$bug/failure" --dir "$T/r" -- "$PY" "$PEER" --broken=$bug >/dev/null 2>&1
    [ $? -eq 1 ] && ok "$bug: record replays (still fails)" || bad "$bug: replay did not fail"
    "$GP" hunt --replay "$T/$bug/failure" --dir "$T/r" -- "$PY" "$PEER" >/dev/null 2>&1
    [ $? -eq 0 ] && ok "$bug: record passes with the fixed peer" || bad "$bug: fixed peer fails"
done

# --activation relu: the hidden layers reach the peer. relu' computed as sign(z) (-1, not
# 0, below the kink) is invisible to sigmoid cases and found in relu ones; the correct
# peer agrees on relu cases, kinks included (case 1 puts a unit exactly on z = 0).
for dt in float64 float32; do
    "$GP" hunt --activation relu --cases 6 --seed 7 --dir "$T/relu-$dt" -- "$PY" "$PEER" \
        --dtype $dt >"$T/out" 2>&1 && grep -q "6 cases .* every case agreed" "$T/out" &&
        ok "relu cases, correct peer ($dt): 6 cases, no false alarm" ||
        bad "relu cases, correct peer ($dt): $(cat "$T/out")"
done
"$GP" hunt --cases 6 --seed 3 --dir "$T/rs" -- "$PY" "$PEER" --broken=relu-prime-sign \
    >"$T/out" 2>&1 && grep -q "every case agreed" "$T/out" &&
    ok "relu-prime-sign: sigmoid cases cannot see it" || bad "relu-prime-sign, sigmoid: $(cat "$T/out")"
"$GP" hunt --activation relu --cases 6 --seed 3 --shrink-evals 20 --dir "$T/rr" -- "$PY" \
    "$PEER" --broken=relu-prime-sign >"$T/out" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "^shrunk in .*-> sizes .*activation=relu" "$T/out" &&
    grep -q '"relu"' "$T/rr/failure/network.json" &&
    ok "relu-prime-sign: hunt --activation relu finds it, shrinks it, records a relu case" ||
    bad "relu-prime-sign, relu: exit $st: $(cat "$T/out")"
"$GP" hunt --replay "$T/rr/failure" --dir "$T/r" -- "$PY" "$PEER" >/dev/null 2>&1 &&
    ok "relu-prime-sign: record passes with the correct peer" || bad "relu record, correct peer"
for spec in "relu,tanh" "swish"; do
    "$GP" hunt --activation "$spec" --cases 1 -- true >"$T/out" 2>&1
    [ $? -eq 1 ] && [ "$(grep -c "invalid --activation '$spec'" "$T/out")" -eq 1 ] &&
        ok "--activation $spec: one clear error" || bad "--activation $spec: $(cat "$T/out")"
done

# --target: a float32 sigmoid with z clamped to [-20, 20] is wrong only where |z| > 20.
# Random cases miss it; targeted ones (every other case scales up the case with the
# largest error-to-bound ratio) find it within the same 10 cases and shrink it, as
# python/tests' test_hunt_target_finds_saturation_bug_random_misses does. The peer
# writes only delta, dW, db (as that test's does): with its z and a, exact but for float32
# rounding, the climb follows their rounding ratios instead and misses it in 40 cases.
printf '#!/bin/sh\n"%s" "%s" --dtype float32 --broken=sigmoid-clamp "$1" "$2" &&\n    rm -f "$2"/z*.npy "$2"/a*.npy "$2"/cost.npy\n' \
    "$PY" "$PEER" >"$T/clamp.sh"
"$GP" hunt --cases 10 --seed 1 --dir "$T/rnd" -- sh "$T/clamp.sh" >"$T/out" 2>&1 &&
    grep -q "10 cases .* every case agreed" "$T/out" &&
    ok "sigmoid-clamp: 10 random cases miss it" || bad "sigmoid-clamp, random: $(cat "$T/out")"
"$GP" hunt --target --cases 10 --seed 1 --shrink-evals 20 --dir "$T/tgt" -- sh "$T/clamp.sh" \
    >"$T/out" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "^case [0-9] (.*): disagree" "$T/out" && grep -q "^shrunk in" "$T/out" &&
    ok "sigmoid-clamp: --target finds it ($(sed -n 's/^\(case [0-9]*\) .*/\1/p' "$T/out") of 10) and shrinks it" ||
    bad "sigmoid-clamp, --target: exit $st: $(cat "$T/out")"

# --target and an epsilon inside the log (--broken=log-eps: the cross-entropy cost as
# -[y ln(a + 1e-12) + (1 - y) ln(1 - a + 1e-12)] in float32): below float32's rounding
# unless the output saturates. 8 random cases (seed 4) miss it; the targeted run finds
# it on its scaled-up case 5 and shrinks it to [1,1], m = 1 (a saturated unit:
# doc/bounds.md). The peer writes cost, delta, dW, db (no z, a: their rounding ratios
# would steer the climb). A targeted hunt that stops finding it fails here.
printf '#!/bin/sh\n"%s" "%s" --dtype float32 --broken=log-eps "$1" "$2" &&\n    rm -f "$2"/z*.npy "$2"/a*.npy\n' \
    "$PY" "$PEER" >"$T/leps.sh"
"$GP" hunt --cost cross-entropy --cases 8 --seed 4 --dir "$T/lr" -- sh "$T/leps.sh" >"$T/out" 2>&1 &&
    grep -q "8 cases .* every case agreed" "$T/out" &&
    ok "log-eps: 8 random cases miss it" || bad "log-eps, random: $(cat "$T/out")"
"$GP" hunt --target --cost cross-entropy --cases 8 --seed 4 --shrink-evals 40 --dir "$T/lt" -- \
    sh "$T/leps.sh" >"$T/out" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "^case [0-9] (.*): disagree: cost (float32)" "$T/out" &&
    grep -q "^shrunk in .* -> sizes \[1,1\] m=1 " "$T/out" &&
    ok "log-eps: --target finds it ($(sed -n 's/^\(case [0-9]*\) .*/\1/p' "$T/out") of 8) and shrinks it to [1,1]" ||
    bad "log-eps, --target: exit $st: $(cat "$T/out")"

"$GP" hunt --cases 2 --shrink-evals 3 --dir "$T/crash" -- sh -c 'exit 3' >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "crash: exit status 3" "$T/out" && ok "a crash is reported" ||
    bad "crash: $(cat "$T/out")"
"$GP" hunt --cases 2 --timeout 0.2 --shrink-evals 2 --dir "$T/hang" -- sh -c 'sleep 5' >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "timeout: no answer within 0.2 s" "$T/out" && ok "a hang is reported" ||
    bad "hang: $(cat "$T/out")"
"$GP" hunt --cases 2 --shrink-evals 2 --dir "$T/silent" -- true >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "garbage: no dW" "$T/out" && ok "missing output is reported" ||
    bad "silent: $(cat "$T/out")"
"$GP" hunt --cases 2 >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q "gradproof" "$T/out" && ok "no command: usage error" ||
    bad "no command: $(cat "$T/out")"
# --sizes: random sizes unless given, any NL (train's default [784,30,10] and "NL = 10"
# were shown as hunt's).
h=$("$GP" hunt --help | sed -n '/--sizes=/,/--batch=/p')
printf '%s' "$h" | grep -q '\[random\]' && ! printf '%s' "$h" | grep -q '784,30,10\|NL = 10' &&
    ok "hunt --help: --sizes [random]" || bad "hunt --help --sizes: $h"
# --batch shapes the --sizes cases, --max-width the random ones: the other was ignored.
expect_error "--batch goes with --sizes" hunt --cases 1 --batch 3 --dir "$T/b" -- true
# a positive --time-budget that underflows to 0 (0: no limit) is refused, as -1 is
expect_error "invalid --time-budget '1e-400': not zero, but rounds to 0" hunt --time-budget 1e-400 --dir "$T/b" -- true
expect_error "invalid --timeout '1e-400': not zero, but rounds to 0" hunt --timeout 1e-400 --dir "$T/b" -- true
expect_error "--max-width goes with random cases" hunt --cases 1 --sizes 2,2 --max-width 3 --dir "$T/b" -- true
[ ! -e "$T/b" ] && ok "nothing run for --batch or --max-width out of place" || bad "$T/b written"
# --dir naming a file: a usage error before any case; mkdir's EEXIST let the file pass
# and every case's write failed, reported as the candidate's crash (and shrunk).
: >"$T/afile"
expect_error "cannot create '$T/afile': Not a directory" hunt --cases 1 --dir "$T/afile" -- true
# The hunt's own files it cannot write (DIR/case a regular file, DIR/candidate.log a
# directory) end it with one line naming the path, exit 1, nothing shrunk or recorded:
# they were reported as the candidate's crash ("exit status 126" for the log) and shrunk.
mkdir "$T/hc" "$T/hl" && : >"$T/hc/case" && mkdir "$T/hl/candidate.log"
EXPECT_ALSO='[ ! -e "$T/hc/failure" ]' \
    expect_error "^gradproof: cannot create '$T/hc/case': Not a directory" \
    hunt --cases 2 --shrink-evals 3 --dir "$T/hc" -- "$PY" "$PEER"
EXPECT_ALSO='[ ! -e "$T/hl/failure" ]' \
    expect_error "^gradproof: cannot write '$T/hl/candidate.log': Is a directory" \
    hunt --cases 2 --shrink-evals 3 --dir "$T/hl" -- "$PY" "$PEER"
"$GP" hunt --cases 2 --shrink-evals 3 --dir "$T/hc" -- "$PY" "$PEER" >"$T/out" 2>&1
! grep -q "crash\|shrunk" "$T/out" && ok "an I/O error of hunt's own: no crash, no shrinking" ||
    bad "an I/O error of hunt's own blamed on the candidate: $(cat "$T/out")"
# --replay likewise: exit 1 (not 2, unusable --replay; not the candidate's crash)
expect_error "^gradproof: cannot create '$T/hc/case': Not a directory" \
    hunt --replay "$T/crash/failure" --dir "$T/hc" -- "$PY" "$PEER"
exit $fail
