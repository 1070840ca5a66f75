#!/bin/sh
# The small-MLP part of bench_gradcheck on the same networks for two builds: this tree
# and commit REV (default 63ebb6d, the commit before the redesign of issue 9, whose case
# generator drew other networks). bench/check_cases.c writes the cases with this tree's
# generator, then each build's library checks them in alternating rounds (best of 3 per
# round); with valgrind present, the instructions of one check of the first 200 cases
# are counted too, a figure no other load on the machine changes. From the top of a
# configured git checkout:
#   sh bench/bench-check-same.sh [REV [N [ROUNDS]]]
. "$(dirname "$0")/../scripts/usage.sh"; script_help "$0" "$@"
set -eu
REV=${1:-63ebb6d}
N=${2:-2000}
ROUNDS=${3:-5}
[ $# -le 3 ] || usage_error "$0" "expected [REV [N [ROUNDS]]]"
whole_numbers "$0" "$N" "$ROUNDS"
top=$(cd "$(dirname "$0")/.." && pwd)
git -C "$top" rev-parse --verify -q "$REV^{commit}" >/dev/null ||
    { echo "bench-check-same: '$REV' is not a commit of $top" >&2; exit 1; }
tmp=$(mktemp -d)
on_exit 'git -C "$top" worktree remove --force "$tmp/rev" >/dev/null 2>&1 || true; rm -rf "$tmp"'
make -s -C "$top" src/libgradproof.la >/dev/null
echo "building $REV in a temporary worktree..."
git -C "$top" worktree add --detach "$tmp/rev" "$REV" >/dev/null 2>&1
if ! (cd "$tmp/rev" && autoreconf -fi && ./configure --enable-proofs=no &&
      make -j2 src/libgradproof.la) >"$tmp/build.log" 2>&1; then
    tail -n 20 "$tmp/build.log" >&2
    echo "bench-check-same: cannot build $REV" >&2
    exit 1
fi
# Each program linked to its build's library and CBLAS (never GSL's reference CBLAS).
link() { # SRC-TREE OUT [CFLAGS]
    cc -O2 ${3:-} -I"$1/include" -o "$2" "$top/bench/check_cases.c" -L"$1/src/.libs" \
        -lgradproof -Wl,-rpath,"$1/src/.libs" -lgsl $(sed -n 's/^CBLAS_LIBS = //p' "$1/Makefile") -lm
}
link "$top" "$tmp/now"
link "$tmp/rev" "$tmp/then" -DCHECK_CASES_TIME_ONLY
mkdir "$tmp/cases"
"$tmp/now" write "$tmp/cases" "$N"
export OPENBLAS_NUM_THREADS=1
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -n 1) MHz;" \
    "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/t.now"
: >"$tmp/t.then"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for b in then now; do
        "$tmp/$b" time "$tmp/cases" "$N" 3 >"$tmp/out"
        sed -n 's/.*: \([0-9.]*\) ms per network/\1/p' "$tmp/out" >>"$tmp/t.$b"
    done
    echo "round $r: $REV $(tail -n 1 "$tmp/t.then") ms, this tree $(tail -n 1 "$tmp/t.now") ms per network"
    r=$((r + 1))
done
sed 's/ms per network.*//' "$tmp/out"
for b in then now; do
    sort -n "$tmp/t.$b" | awk -v b="$b" '{ v[NR] = $1 } END {
        printf "%s: min %.4f, median %.4f ms per network\n", b == "now" ? "this tree" : "'"$REV"'",
               v[1], v[int((NR + 1) / 2)] }'
done
if command -v valgrind >/dev/null 2>&1; then
    n=$((N < 200 ? N : 200))
    for b in then now; do
        valgrind --tool=callgrind --toggle-collect=run_cases --callgrind-out-file=/dev/null \
            "$tmp/$b" time "$tmp/cases" "$n" 1 2>&1 >/dev/null |
            sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' >"$tmp/ir.$b"
    done
    awk -v a="$(cat "$tmp/ir.then")" -v b="$(cat "$tmp/ir.now")" -v n="$n" 'BEGIN {
        printf "instructions for %d networks (valgrind): %s %d, this tree %d (%+.1f %%)\n",
               n, "'"$REV"'", a, b, 100 * (b - a) / a }'
fi
