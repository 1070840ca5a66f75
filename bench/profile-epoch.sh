#!/bin/sh
# profile-epoch.sh [-d DATA] [-e EPOCHS] [-t THREADS]: where a training epoch's time goes
# (issue 16), measured with perf (Debian package linux-perf) on `gradproof train` for
# [784,30,10], cross-entropy, batch 10, one thread by default. perf samples the user
# cycles of the process with call stacks (DWARF unwinding) from the end of the first
# epoch (so loading the data is left out); each sample is put in one row by its stack:
#   evaluation         anything under the per-epoch evaluation (eval_worker)
#   gather             copying the next mini-batch's pixels and one-hot targets
#   layer-1 forward    z^1 over the non-zero pixels (forward_rows)
#   layer-1 BP4        decay and W^1 += alpha delta^1 x^T (decay_rows, update_rows)
#   layer-1 rest       BP3 of b^1 and the step's own bookkeeping (sparse_update,
#                      gpi_step_run, check_batch)
#   activations        sigma and sigma' of every layer (gpi_activate_rows)
#   upper layers       layers 2..L, BP1, BP2 and their SGD step (dgemm and the rest)
#   dgemm, not unwound OpenBLAS's kernels, which carry no unwinding tables: from the
#                      upper layers of the step or of the evaluation
#   other              the epoch loop, shuffling
# and the shares are printed as per cent of all samples, with the sample count.
# DATA (default data) holds the MNIST IDX files; scripts/fetch-mnist.sh fetches them there
# when missing. Run it on an otherwise idle machine. Environment: GRADPROOF_LIBS (the libtool
# directory holding the real binary, default cli/.libs), PYTHON (/usr/bin/python3).
. "$(dirname "$0")/../scripts/usage.sh"; script_help "$0" "$@"
set -eu
cd "$(dirname "$0")/.."
prog=profile-epoch
die() { echo "$prog: $*" >&2; exit 1; }
data=data epochs=12 threads=1
while [ $# -gt 0 ]; do
    case $1 in
    -d) option_value "$0" "$@"; data=$2; shift 2 ;;
    -e) option_value "$0" "$@"; epochs=$2; shift 2 ;;
    -t) option_value "$0" "$@"; threads=$2; shift 2 ;;
    *) usage_error "$0" "unknown option '$1'" ;;
    esac
done
in_range "$0" EPOCHS 2 1000000 "$epochs"
in_range "$0" THREADS 1 256 "$threads"
command -v perf >/dev/null || die "perf not found (Debian package linux-perf)"
PY=${PYTHON:-/usr/bin/python3}
libs=${GRADPROOF_LIBS:-cli/.libs}
[ -x "$libs/gradproof" ] || die "$libs/gradproof not built (run scripts/build.sh)"
# the library of the same build: BUILD/src/.libs beside BUILD/cli/.libs
lib=$(cd "$libs/../../src/.libs" 2>/dev/null && pwd) ||
    die "$libs/../../src/.libs not found (GRADPROOF_LIBS is BUILD/cli/.libs)"
[ -f "$data/t10k-labels-idx1-ubyte" ] || sh scripts/fetch-mnist.sh "$data"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/profile-epoch.XXXXXX")
on_exit 'rm -rf "$tmp"'
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
run() { "$libs/gradproof" train --data "$data" --threads "$threads" "$@"; }
# The start-up and the first epoch, timed, are what perf skips.
t0=$(date +%s%N)
run --epochs 1 >/dev/null || die "gradproof train failed"
skip=$(( ($(date +%s%N) - t0) / 1000000 ))
perf record -q -D "$skip" --call-graph dwarf,32768 -e cycles:u -F 4000 -o "$tmp/perf.data" \
    "$libs/gradproof" train --data "$data" --threads "$threads" --epochs "$epochs" \
    >/dev/null 2>"$tmp/err" || die "perf record failed: $(tail -1 "$tmp/err")"
perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null >"$tmp/stacks"
echo "profile of epochs 2..$epochs, $threads thread(s), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
"$PY" - "$tmp/stacks" <<'EOF'
import sys
rows = ["evaluation", "gather", "layer-1 forward", "layer-1 BP4", "layer-1 rest",
        "activations", "upper layers", "dgemm, not unwound", "other"]
count = dict.fromkeys(rows, 0)
def row(stack):
    # each frame is "ADDRESS SYMBOL[ (inlined)]"
    names = [f.split(None, 1)[-1].split(" (inlined)")[0].strip() for f in stack]
    leaf = names[0]
    if "eval_worker" in names:
        return "evaluation"
    if "fill_slot" in names or "split_gather_next" in names:
        return "gather"
    if any(n.startswith("forward_rows") or n.startswith("dense_forward_rows") for n in names):
        return "layer-1 forward"
    if any(n.startswith(("update_rows", "decay_rows", "dense_update_rows")) for n in names):
        return "layer-1 BP4"
    if "gpi_activate_rows" in names:
        return "activations"
    if "gpi_step_upper" in names or "forward_layer" in names:
        return "upper layers"
    if leaf in ("sparse_update", "gpi_step_run", "check_batch", "forward1"):
        return "layer-1 rest"
    if len(names) <= 2 and leaf.startswith(("dgemm", "dcopy")):
        return "dgemm, not unwound"
    return "other"
stack = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        stack.append(line)
    elif stack:
        count[row(stack)] += 1
        stack = []
if stack:
    count[row(stack)] += 1
total = sum(count.values())
if total == 0:
    sys.exit("profile-epoch: perf recorded no samples")
for r in rows:
    print("%-18s %5.1f %%  (%d samples)" % (r, 100.0 * count[r] / total, count[r]))
print("%-18s %5.1f %%  (%d samples)" % ("all", 100.0, total))
EOF
