#!/bin/sh
# mnist-check.sh [DATA]: the real-data check of the test suite. Fetches MNIST into DATA
# (default ./data) with scripts/fetch-mnist.sh when it is not there, trains [784,30,10]
# with the cross-entropy cost (network2.py defaults: weights N(0,1/n_in), eta 0.5,
# mini-batch 10) for one epoch, saves the network and evaluates it again from the file,
# and requires a test accuracy above 90 % from both (seed 1 gives 94.5 %). Exits 1 (fails, never skips) when the data cannot be fetched or
# anything else goes wrong. GRADPROOF overrides the binary (default cli/gradproof).
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
[ $# -le 1 ] || usage_error "$0" "expected at most one argument, DATA"
case ${1:-} in -*) usage_error "$0" "unknown option '$1'" ;; esac
set -eu
cd "$(dirname "$0")/.."
prog=mnist-check
die() { echo "$prog: FAIL: $*" >&2; exit 1; }
data=${1:-data}
GP=${GRADPROOF:-cli/gradproof}
[ -x "$GP" ] || die "$GP not built"
sh scripts/fetch-mnist.sh "$data" || die "cannot fetch MNIST into '$data'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnist-check.XXXXXX")
on_exit 'rm -rf "$tmp"'
out=$("$GP" train --data "$data" --sizes 784,30,10 --cost cross-entropy --init default \
    --eta 0.5 --batch 10 --epochs 1 --seed 1 --save "$tmp/net.json") || die "training failed"
echo "$out"
correct=$(echo "$out" | sed -n 's/^epoch 1\/1  test accuracy \([0-9]*\)\/10000 .*/\1/p')
[ -n "$correct" ] || die "no accuracy in the output"
[ "$correct" -gt 9000 ] || die "test accuracy $correct/10000 is not above 90 %"
ev=$("$GP" evaluate --data "$data" --load "$tmp/net.json") || die "evaluate failed"
echo "$ev" | head -n 1
echo "$ev" | head -n 1 | grep -q "^test accuracy $correct/10000 " ||
    die "the saved network evaluates differently: $(echo "$ev" | head -n 1)"
echo "$prog: ok: test accuracy $correct/10000 after one epoch (> 90 %)"
