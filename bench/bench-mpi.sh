#!/bin/sh
# Wall time of a sweep of 8 short training runs (2 eta x 4 seeds) in one process and
# under mpirun -np 2 and -np 3 (rank 0 deals, ranks 1..K-1 train: -np 3 runs two at a
# time). Every rank trains with --threads 1, so K - 1 workers use K - 1 cores.
# Run from the top of a configured build tree, on an otherwise idle machine:
#   sh bench/bench-mpi.sh [DATA_DIR [EPOCHS]]
# DATA_DIR defaults to data/ (real MNIST, scripts/fetch-mnist.sh); without it the tiny
# synthetic set of the tests is used. mpirun stays on this host (see README, "Running on
# several hosts", for a hostfile).
# Not yet here: the soak run of `gradproof check` at 1 and 2 ranks (check is not sharded
# over ranks yet).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
GP=$top/cli/gradproof
DATA=${1:-$top/data}
EPOCHS=${2:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-bench-mpi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ ! -f "$DATA/train-images-idx3-ubyte" ] && [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
    . "$top/tests/synth-idx.sh"
    make_mnist "$tmp/d"
    DATA=$tmp/d
    VAL="--validation 60"
    echo "no MNIST in ${1:-data/}: the synthetic 360-image set of the tests"
else
    VAL=""
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader \
    OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_plm=isolated \
    OMPI_MCA_oob_tcp_if_include=lo
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
secs "sweep, 1 process" "$GP" $RUN
if command -v mpirun > /dev/null; then
    secs "sweep, mpirun -np 2" mpirun --oversubscribe -np 2 "$GP" $RUN
    secs "sweep, mpirun -np 3" mpirun --oversubscribe -np 3 "$GP" $RUN
    cut -d, -f1-6,8-15 "$tmp/sweep, 1 process.csv" > "$tmp/a"
    cut -d, -f1-6,8-15 "$tmp/sweep, mpirun -np 3.csv" > "$tmp/b"
    cmp -s "$tmp/a" "$tmp/b" && echo "the -np 3 CSV equals the 1-process CSV (timings aside)"
else
    echo "mpirun not found: no MPI figures"
fi
