#!/bin/sh
# bench-train.sh [-d DATA] [-e EPOCHS]: gradproof against a PyTorch peer (bench/torch_train.py)
# on the same problem, in the same run: float64 [784,30,10], default initialisation,
# cross-entropy, mini-batch 10, eta 0.5, the 50,000 MNIST training images read from the
# same IDX files; with 1 and with 2 threads each (OpenBLAS threads for gradproof,
# torch.set_num_threads for PyTorch). Prints per implementation and thread count:
#   seconds per training epoch (mean over epochs 2..EPOCHS: the first of each program
#   warms caches, page tables and library buffers; evaluation excluded),
#   seconds to classify the 10,000 test images (gradproof: the fastest of its per-epoch
#   evaluations during training, cost included; PyTorch: the fastest of three),
#   peak RSS of the whole process (/usr/bin/time -v, "Maximum resident set size"),
#   test accuracy after the last epoch,
#   GFLOP/s of the training epoch, two ways:
#     dense-equivalent: 2 x the multiply-adds of the dense algorithm (PyTorch's), forward
#       sum_l n_l n_{l-1}, backward dC/dW sum_l n_l n_{l-1} plus delta propagation
#       sum_{l>=2} n_l n_{l-1}, i.e. 47,940 per image for [784,30,10];
#     executed (gradproof): layer 1 only touches the non-zero pixels, so 2 x (2 x nnz x 32
#       for layer 1's forward and update, 32 = n_1 padded to two 8-double vectors, plus
#       3 x 30 x 10 for layer 2), with nnz the mean count of non-zero pixels of the
#       50,000 training images (counted here with numpy);
# and the ratio gradproof/torch. The machine's peak is estimated from /proc/cpuinfo:
# cores x MHz x double-precision flops per cycle per core (32 with AVX-512, assuming two
# 512-bit FMA units; 16 with AVX2+FMA; 4 otherwise).
# Run it on an otherwise idle machine: other load skews the times, and 2 threads on a
# busy 2-core machine are much slower than 1.
# Environment: GRADPROOF (default cli/gradproof), PYTHON (default /usr/bin/python3).
set -eu
cd "$(dirname "$0")/.."
prog=bench-train
die() { echo "$prog: $*" >&2; exit 1; }
data=data epochs=5
while [ $# -gt 0 ]; do
    case $1 in
    -d) data=$2; shift 2 ;;
    -e) epochs=$2; shift 2 ;;
    *) echo "Usage: $0 [-d DATA] [-e EPOCHS]" >&2; exit 2 ;;
    esac
done
GP=${GRADPROOF:-cli/gradproof}
PY=${PYTHON:-/usr/bin/python3}
[ -x "$GP" ] || die "$GP not built (run scripts/build.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package 'time')"
"$PY" -c 'import torch, numpy' 2>/dev/null || die "$PY lacks torch or numpy (python3-torch)"
[ -f "$data/t10k-labels-idx1-ubyte" ] || sh scripts/fetch-mnist.sh "$data"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-train.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Per-image multiply-adds of one SGD step for sizes 784,30,10 (see above).
macs=$(( 784 * 30 + 30 * 10 + 784 * 30 + 30 * 10 + 30 * 10 ))
n_train=50000
gflop=$(awk -v m="$macs" -v n="$n_train" 'BEGIN { printf "%.4f", 2 * m * n / 1e9 }')
nnz=$("$PY" -c '
import sys, numpy as np
x = np.fromfile(sys.argv[1], dtype=np.uint8, offset=16).reshape(-1, 784)[:50000]
print("%.2f" % np.count_nonzero(x, axis=1).mean())' "$data/train-images-idx3-ubyte") ||
    die "cannot count the non-zero pixels"
gflop_exec=$(awk -v z="$nnz" -v n="$n_train" \
    'BEGIN { printf "%.4f", 2 * (2 * z * 32 + 3 * 30 * 10) * n / 1e9 }')
cores=$(grep -c '^processor' /proc/cpuinfo)
mhz=$(awk -F: '/^cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
if grep -q -w avx512f /proc/cpuinfo; then fpc=32 isa=AVX-512
elif grep -q -w fma /proc/cpuinfo && grep -q -w avx2 /proc/cpuinfo; then fpc=16 isa=AVX2+FMA
else fpc=4 isa=SSE2; fi
peak1=$(awk -v f="$mhz" -v c="$fpc" 'BEGIN { printf "%.1f", f * c / 1000 }')
echo "CPU: $model, $cores logical cores at $mhz MHz, $isa"
echo "peak assumption: $fpc double flops/cycle/core -> $peak1 GFLOP/s per core"
echo "work: $gflop GFLOP per training epoch, dense ($macs multiply-adds per image x 2 x $n_train)"
echo "      $gflop_exec GFLOP executed by gradproof (mean $nnz non-zero pixels per image)"
echo

# Mean of the numbers on standard input but the first (all of them if there is one).
mean_after_first() {
    awk '{ a[NR] = $1 } END { for (i = NR > 1 ? 2 : 1; i <= NR; i++) { s += a[i]; k++ }
                              printf "%.3f", s / k }'
}
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
results=""
for threads in 1 2; do
    # gradproof: training epochs (the printed time excludes evaluation).
    /usr/bin/time -v -o "$tmp/gp.time" "$GP" train --data "$data" --sizes 784,30,10 \
        --cost cross-entropy --init default --eta 0.5 --batch 10 --epochs "$epochs" \
        --seed 1 --threads "$threads" --save "$tmp/net.json" --metrics "$tmp/gp.csv" > "$tmp/gp.out" ||
        die "gradproof train failed"
    gp_epoch=$(awk -F, 'NR > 1 { print $3 }' "$tmp/gp.csv" | mean_after_first)
    gp_acc=$(grep '^epoch ' "$tmp/gp.out" | tail -1 | sed 's/.*accuracy \([0-9]*\)\/.*/\1/')
    gp_rss=$(rss "$tmp/gp.time")
    # Evaluation of the 10,000 test images after each epoch (with the cost, which the
    # metrics file records): the fastest epoch, as the peer reports its fastest of three.
    gp_eval=$(awk -F, 'NR > 1 && (m == "" || $12 < m) { m = $12 } END { print m }' "$tmp/gp.csv")
    # PyTorch peer.
    /usr/bin/time -v -o "$tmp/py.time" "$PY" bench/torch_train.py "$data" --epochs "$epochs" \
        --threads "$threads" > "$tmp/py.out" || die "bench/torch_train.py failed"
    py_epoch=$(sed -n 's/.*"seconds": \([0-9.e-]*\).*/\1/p' "$tmp/py.out" | mean_after_first)
    py_acc=$(grep '"epoch"' "$tmp/py.out" | tail -1 | sed 's/.*"accuracy": \([0-9]*\).*/\1/')
    py_eval=$(sed -n 's/.*"eval_seconds": \([0-9.e-]*\).*/\1/p' "$tmp/py.out")
    py_rss=$(rss "$tmp/py.time")
    results="$results$threads gradproof $gp_epoch $gp_eval $gp_rss $gp_acc
$threads torch $py_epoch $py_eval $py_rss $py_acc
"
done
printf '%s' "$results" | awk -v g="$gflop" -v gx="$gflop_exec" -v p1="$peak1" '
    BEGIN {
        printf "%-7s %-9s %9s %12s %9s %9s %11s %13s %7s\n", "threads", "impl", "s/epoch",
            "eval 10k (s)", "RSS (MB)", "accuracy", "dense GF/s", "executed GF/s",
            "% peak"
    }
    {
        gfs = g / $3
        exe = $2 == "gradproof" ? gx / $3 : gfs  # PyTorch runs the dense algorithm
        printf "%-7s %-9s %9.3f %12.4f %9d %9s %11.2f %13.2f %6.1f%%\n", $1, $2, $3, $4,
            $5, $6 "/10000", gfs, exe, 100 * exe / (p1 * $1)
        ep[$1, $2] = $3; ev[$1, $2] = $4; rs[$1, $2] = $5
    }
    END {
        print ""
        for (t = 1; t <= 2; t++)
            printf "threads %d: gradproof/torch time per epoch %.3f, evaluation %.3f, peak RSS %.3f\n",
                t, ep[t, "gradproof"] / ep[t, "torch"], ev[t, "gradproof"] / ev[t, "torch"],
                rs[t, "gradproof"] / rs[t, "torch"]
    }'
