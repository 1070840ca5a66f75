#!/bin/sh
# bench/bench-python.sh: checking a [784,30,10] PyTorch model on a batch of 10, float32:
# (a) in memory, gradproof.torch.check (time of the call, in-process), against
# (b) files: gradproof oracle + examples/torch_peer.py + gradproof compare (wall time of
# the three commands). Run from a built tree: sh bench/bench-python.sh [REPEATS]
. "$(dirname "$0")/../scripts/usage.sh"; script_help "$0" "$@"
set -eu
R=${1:-5}
[ $# -le 1 ] || usage_error "$0" "expected [REPEATS]"
whole_numbers "$0" "$R"
PY=/usr/bin/python3
GP=./cli/gradproof
top=$(cd "$(dirname "$0")/.." && pwd) # the sources: python/, examples/ (VPATH too)
need_build "$0" "$GP"
T=$(mktemp -d "${TMPDIR:-/tmp}/gp-bench-py.XXXXXX")
on_exit 'rm -rf "$T"'
export PYTHONPATH=$top/python GRADPROOF_LIB=$PWD/src/.libs/libgradproof.so.0
$PY - "$T" "$R" <<'EOP'
import sys, time, numpy as np, torch, gradproof.torch as gt
T, R = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(),
                            torch.nn.Linear(30, 10), torch.nn.Sigmoid())
x = torch.rand(10, 784)
y = torch.nn.functional.one_hot(torch.arange(10), 10).float()
gt.from_module(model, "cross-entropy").save(f"{T}/net.json")
np.save(f"{T}/x.npy", x.double().numpy().T); np.save(f"{T}/y.npy", y.double().numpy().T)
gt.check(model, x, y, cost="cross-entropy")   # warm-up
ts = []
for _ in range(R):
    t0 = time.perf_counter(); rep = gt.check(model, x, y, cost="cross-entropy")
    ts.append(time.perf_counter() - t0)
print(f"in memory: gradproof.torch.check median {np.median(ts) * 1e3:.1f} ms over {R} (ok={rep.ok})")
EOP
i=0
while [ $i -lt "$R" ]; do
    rm -rf "$T/ref" "$T/cand"
    start=$(date +%s.%N)
    $GP oracle --net "$T/net.json" --x "$T/x.npy" --y "$T/y.npy" --out-dir "$T/ref" >/dev/null
    $PY "$top/examples/torch_peer.py" "$T/ref" "$T/cand" --dtype float32
    $GP compare "$T/ref" "$T/cand" >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$T/times"
    i=$((i + 1))
done
med=$(sort -n "$T/times" | awk '{ a[NR] = $1 } END { printf "%.1f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "files: gradproof oracle + examples/torch_peer.py + gradproof compare median $med ms over $R"
