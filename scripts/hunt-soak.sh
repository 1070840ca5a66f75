#!/bin/sh
# The no-false-alarm run of issue 12: gradproof hunt against the correct NumPy and PyTorch
# peers, float64 and float32, CASES cases each (default 500), random costs, widths 1-10,
# batches 1-16, weight scales 1e-3 to 10, half the cases regularised (lambda, l1, n).
# Each peer is served by scripts/peer-server.py (one Python start-up per run, not per
# case). A correctness run, not a timing: fine on a loaded machine. Prints one line per
# run ("hunt: 500 cases in ... every case agreed", or the failing case); exit 1 if any
# run found a (false) alarm. Results are in doc/bounds.md.
#   sh scripts/hunt-soak.sh [CASES [SEED]]
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -u
CASES=${1:-500}
SEED=${2:-1}
[ $# -le 2 ] || usage_error "$0" "expected [CASES [SEED]]"
whole_numbers "$0" "$CASES" "$SEED"
GP=${GP:-cli/gradproof}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/gp-soak.XXXXXX")
fail=0
for peer in numpy torch; do
    for dt in float64 float32; do
        d="$T/$peer-$dt"
        mkdir -p "$d"
        "$PY" scripts/peer-server.py "$d" "examples/${peer}_peer.py" --dtype $dt \
            >"$d/server.log" 2>&1 &
        srv=$!
        while [ ! -p "$d/rep" ]; do sleep 0.2; done
        printf '%s %s: ' $peer $dt
        "$GP" hunt --cases "$CASES" --seed "$SEED" --timeout 600 --dir "$d/hunt" -- \
            sh -c "echo \"\$1 \$2\" > $d/req && read s < $d/rep && exit \$s" sh |
            tail -n 1
        [ -s "$d/hunt/failure/hunt.json" ] && fail=1
        echo quit >"$d/req"
        wait $srv
    done
done
rm -rf "$T"
exit $fail
