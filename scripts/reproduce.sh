#!/bin/sh
# reproduce.sh [-d DATA] [RUN...]: the faithfulness runs of doc/mathematics.md
# "Experiments", each 30 epochs of mini-batch 10 on MNIST (50,000 training images), printing
# every epoch and then the final and best accuracy next to the book's figure.
#
#   ce30     [784,30,10]  cross-entropy, large init, eta 0.5, test set      (book: 95.49 %)
#   ce100    [784,100,10] cross-entropy, large init, eta 0.5, test set      (book: 96.82 %)
#   quad     [784,30,10]  network.py: quadratic, large init, eta 3.0, test  (book: 95.42 %)
#   l2val    [784,30,10]  cross-entropy, default init, L2 5.0, eta 0.1,
#                         validation set                                    (book: ~96 %)
#   l2test   [784,30,10]  cross-entropy, large init, L2 5.0, eta 0.5, test  (book: 96.49 %)
#   softmax  [784,30,10]  softmax + log-likelihood, default init, L2 5.0,
#                         eta 0.5, test set                   (book, ch. 6 style: no figure)
#
# No RUN means all of them. DATA defaults to ./data, fetched with scripts/fetch-mnist.sh
# when missing. Extra environment: GRADPROOF (the binary, default cli/gradproof),
# SEED (default 1), EPOCHS (default 30), OUT (directory for metrics CSV files, default
# reproduce-out). Exit status 1 if a run fails.
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
cd "$(dirname "$0")/.."
data=data
if [ "${1:-}" = -d ]; then
    [ $# -ge 2 ] || usage_error "$0" "-d needs a directory"
    data=$2
    shift 2
fi
runs=${*:-ce30 ce100 quad l2val l2test softmax}
# Every run named is known before anything is fetched or trained.
for run in $runs; do
    case $run in
    ce30 | ce100 | quad | l2val | l2test | softmax) ;;
    *) usage_error "$0" "unknown run '$run' (ce30 ce100 quad l2val l2test softmax)" ;;
    esac
done
GP=${GRADPROOF:-cli/gradproof}
seed=${SEED:-1}
epochs=${EPOCHS:-30}
out=${OUT:-reproduce-out}
[ -x "$GP" ] || { echo "reproduce: $GP not built (run scripts/build.sh)" >&2; exit 1; }
[ -f "$data/t10k-labels-idx1-ubyte" ] || [ -f "$data/t10k-labels-idx1-ubyte.gz" ] ||
    sh scripts/fetch-mnist.sh "$data"
mkdir -p "$out"
status=0
summary=""
for run in $runs; do
    case $run in
    ce30)    book="95.49 %"; args="--sizes 784,30,10 --cost cross-entropy --init large --eta 0.5 --eval test" ;;
    ce100)   book="96.82 %"; args="--sizes 784,100,10 --cost cross-entropy --init large --eta 0.5 --eval test" ;;
    quad)    book="95.42 %"; args="--sizes 784,30,10 --cost quadratic --init large --eta 3.0 --eval test" ;;
    l2val)   book="~96 %";   args="--sizes 784,30,10 --cost cross-entropy --init default --lambda 5.0 --eta 0.1 --eval validation" ;;
    l2test)  book="96.49 %"; args="--sizes 784,30,10 --cost cross-entropy --init large --lambda 5.0 --eta 0.5 --eval test" ;;
    softmax) book="n/a";     args="--sizes 784,30,10 --cost log-likelihood --init default --lambda 5.0 --eta 0.5 --eval test" ;;
    esac
    echo "== $run: gradproof train $args --batch 10 --epochs $epochs --seed $seed"
    # train's own status, which a pipe into tee would hide (sh has no pipefail).
    # shellcheck disable=SC2086
    { "$GP" train --data "$data" $args --batch 10 --epochs "$epochs" --seed "$seed" \
        --metrics "$out/$run.csv" && echo 0 >"$out/$run.status" ||
        echo $? >"$out/$run.status"; } | tee "$out/$run.log"
    if [ "$(cat "$out/$run.status")" != 0 ]; then
        echo "reproduce: $run failed (gradproof train exited $(cat "$out/$run.status"))" >&2
        status=1
        summary="$summary$run      FAILED
"
        continue
    fi
    final=$(grep '^epoch ' "$out/$run.log" | tail -1 | sed 's/.*accuracy [0-9]*\/[0-9]* (\([0-9.]*%\)).*/\1/')
    best=$(sed -n 's/^best \(.*\)/\1/p' "$out/$run.log")
    line=$(printf '%-8s final %s  best %s  (book: %s)' "$run" "$final" "$best" "$book")
    echo "$line"
    summary="$summary$line
"
done
printf '\n== summary (seed %s, %s epochs)\n%s' "$seed" "$epochs" "$summary"
exit $status
