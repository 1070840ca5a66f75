#!/bin/sh
# gradproof hunt against the NumPy peer (examples/numpy_peer.py): no false alarm on the
# correct peer in float64 and float32; each planted bug (--broken=NAME) fails, shrinks to
# a smaller case, is diagnosed by name, and its record replays (exit 1 with the bug,
# 0 with the correct peer); a crashing, hanging or silent candidate is reported as such.
# The longer run of the brief (>= 500 cases) is
#   cli/gradproof hunt --cases 500 --dir /tmp/h -- /usr/bin/python3 examples/numpy_peer.py
# Exit 77 (skipped) only when /usr/bin/python3 lacks numpy.
set -u
GP=${top_builddir:-.}/cli/gradproof
PEER=${top_srcdir:-.}/examples/numpy_peer.py
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null || { echo "numpy missing: skip"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/gp-hunt.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
ok() { printf 'ok - %s\n' "$1"; }
bad() { printf 'not ok - %s\n' "$1"; fail=1; }

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
exit $fail
