#!/bin/sh
# Full gradient check of all 23,860 parameters of [784,30,10] on a batch of 10, side by
# side: gradproof's oracle (5-point gsl_deriv_central, incremental re-evaluation) and
# torch.autograd.gradcheck (2-point, full forward passes); then the mean time of a full
# check of small random MLPs. Run from the top of a configured build tree:
#   sh bench/bench-gradcheck.sh [REPS]
. "$(dirname "$0")/../scripts/usage.sh"; script_help "$0" "$@"
set -eu
REPS=${1:-5}
[ $# -le 1 ] || usage_error "$0" "expected [REPS]"
whole_numbers "$0" "$REPS"
top=$(cd "$(dirname "$0")/.." && pwd)
need_build "$0" Makefile # the build tree run from, VPATH too (not the sources, $top)
make -s bench/bench_gradcheck >/dev/null
# Wall times mean something only on an idle machine (issue 16: load average < 1).
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(bench/bench_gradcheck "$REPS")
echo "$out"
gp=$(echo "$out" | sed -n 's/.*gradproof \[784.*best of [0-9]*: \([0-9.]*\) s.*/\1/p')
awk -v a="$gp" 'BEGIN { printf "issue 16 target: full check <= 0.04 s: %s (%.4f s)\n",
                        a <= 0.04 ? "met" : "NOT met", a }'
PY=/usr/bin/python3
if "$PY" -c 'import torch' 2>/dev/null; then
    tout=$("$PY" "$top/bench/torch_gradcheck.py" "$REPS")
    echo "$tout"
    tt=$(echo "$tout" | sed -n 's/.*best of [0-9]*: \([0-9.]*\) s.*/\1/p')
    awk -v a="$gp" -v b="$tt" 'BEGIN { printf "ratio: torch gradcheck / gradproof oracle = %.1fx\n", b / a }'
else
    echo "torch not found for $PY: no comparison"
fi
