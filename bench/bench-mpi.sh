#!/bin/sh
# Wall times on one host, 1 process against mpirun -np 2 (and -np 3 for the sweep):
#   - a soak run of `gradproof check` (CASES cases per cost; every rank checks),
#   - `oracle --self-check` of a [784,100,10] and a [784,300,100,10] network on 10 samples
#     (every rank computes a share of the numerical derivatives),
#   - a sweep of 8 short training runs (2 eta x 4 seeds; rank 0 deals, ranks 1..K-1
#     train with --threads 1, so -np 3 runs two at a time).
# Each MPI result is also compared with the 1-process one (they must be identical).
# Run from the top of a built tree (or set GRADPROOF), on an otherwise idle machine:
#   sh bench/bench-mpi.sh [DATA_DIR [EPOCHS [CASES]]]
# DATA_DIR defaults to data/ (real MNIST, scripts/fetch-mnist.sh); without it the tiny
# synthetic set of the tests is used. mpirun stays on this host (README, "Several
# hosts", for a hostfile).
. "$(dirname "$0")/../scripts/usage.sh"; script_help "$0" "$@"
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
GP=${GRADPROOF:-$PWD/cli/gradproof} # the build tree's: the one run from (VPATH too)
DATA=${1:-$top/data}
EPOCHS=${2:-2}
CASES=${3:-2000}
[ $# -le 3 ] || usage_error "$0" "expected [DATA [EPOCHS [CASES]]]"
whole_numbers "$0" "$EPOCHS" "$CASES"
# (secs_of times a command that fails too: without this every figure timed a "not found")
need_build "$0" "$GP"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-bench-mpi.XXXXXX")
on_exit 'rm -rf "$tmp"'
if [ ! -f "$DATA/train-images-idx3-ubyte" ] && [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
    . "$top/tests/synth-idx.sh"
    make_mnist "$tmp/d"
    DATA=$tmp/d
    VAL="--validation 60"
    echo "no MNIST in ${1:-data/}: the synthetic 360-image set of the tests"
else
    VAL=""
fi
# pml ob1 (shared memory through btl vader): without it every rank's MPI_Init loads the
# Omni-Path and InfiniPath libraries (mtl psm2, psm, ofi), which probe for their hardware
# in about 900 usleep calls per rank (README, "Several hosts").
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader \
    OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_plm=isolated \
    OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
uptime
RUN="sweep --eta 0.1,0.5 --seeds 1-4 --epochs $EPOCHS --threads 1 --data $DATA $VAL"
secs() { # label command...: wall seconds of the command
    label=$1
    shift
    t0=$(date +%s.%N)
    "$@" --csv "$tmp/$label.csv" > "$tmp/$label.out"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v l="$label" 'BEGIN { printf "%-28s %8.2f s\n", l, b - a }'
}
# label command...: the command's wall seconds, printed and kept in $tmp/label.s
secs_of() {
    label=$1
    shift
    t0=$(date +%s.%N)
    "$@" > "$tmp/$label.out" 2> "$tmp/$label.err" || :
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v l="$label" 'BEGIN { printf "%-28s %8.2f s\n", l, b - a
        printf "%.4f\n", b - a > "/dev/stderr" }' 2> "$tmp/$label.s"
}
ratio() { # a b: time(a) / time(b)
    awk -v a="$(cat "$tmp/$1.s")" -v b="$(cat "$tmp/$2.s")" -v l="$1 / $2" \
        'BEGIN { printf "  ratio %-40s %6.2f\n", l, a / b }'
}
same() { # a b what
    cmp -s "$tmp/$1.out" "$tmp/$2.out" && echo "  $3: identical" || echo "  $3: DIFFERENT"
}
if command -v mpirun > /dev/null; then
    MPI="mpirun --oversubscribe --quiet"
    secs_of check1 "$GP" check --cases "$CASES" --progress 0
    secs_of check2 $MPI -np 2 "$GP" check --cases "$CASES" --progress 0
    ratio check1 check2
    same check1 check2 "check reports, 1 process and -np 2"
    # a network whose self-check is start-up bound, and a large one (266,610 parameters)
    for sizes in 784,100,10 784,300,100,10; do
        (cd "$tmp" && awk -v sizes=$sizes -v m=10 -f "$top/tests/mknet.awk")
        O="--net $tmp/net.json --x $tmp/x.json --y $tmp/y.json --self-check --out $tmp/o.json"
        secs_of "oracle1[$sizes]" "$GP" oracle $O
        secs_of "oracle2[$sizes]" $MPI -np 2 "$GP" oracle $O
        ratio "oracle1[$sizes]" "oracle2[$sizes]"
        same "oracle1[$sizes]" "oracle2[$sizes]" "self-check verdicts of [$sizes], 1 process and -np 2"
    done
else
    echo "mpirun not found: no MPI figures"
fi
secs "sweep, 1 process" "$GP" $RUN
if command -v mpirun > /dev/null; then
    secs "sweep, mpirun -np 2" mpirun --oversubscribe -np 2 "$GP" $RUN
    secs "sweep, mpirun -np 3" mpirun --oversubscribe -np 3 "$GP" $RUN
    cut -d, -f1-6,8-15 "$tmp/sweep, 1 process.csv" > "$tmp/a"
    cut -d, -f1-6,8-15 "$tmp/sweep, mpirun -np 3.csv" > "$tmp/b"
    cmp -s "$tmp/a" "$tmp/b" && echo "the -np 3 CSV equals the 1-process CSV (timings aside)"
fi
