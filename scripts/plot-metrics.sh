#!/bin/sh
# plot-metrics.sh METRICS.csv OUT_PREFIX: learning curves of a `gradproof train
# --metrics FILE.csv` run, drawn with gnuplot into OUT_PREFIX-accuracy.png (evaluation
# and, when monitored, training accuracy per epoch) and OUT_PREFIX-cost.png (the same
# for the total cost). Columns are found by name in the CSV header, so files with or
# without the training figures both work.
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
prog=plot-metrics
die() { echo "$prog: $*" >&2; exit 1; }
case ${1:-} in -*) usage_error "$0" "unknown option '$1'" ;; esac
[ $# -eq 2 ] || usage_error "$0" "expected two arguments, METRICS.csv OUT_PREFIX"
csv=$1 out=$2
command -v gnuplot >/dev/null 2>&1 || die "gnuplot not found (install gnuplot-nox)"
[ -r "$csv" ] || die "cannot read '$csv'"
header=$(head -n 1 "$csv")
case $header in epoch,*) ;; *) die "'$csv' is not a gradproof --metrics CSV file" ;; esac
[ "$(wc -l < "$csv")" -ge 2 ] || die "'$csv' has no epochs"
col() { # column number of a header name, or 0
    printf '%s\n' "$header" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1 | head -n 1 | grep . || echo 0
}
ea=$(col eval_accuracy) ec=$(col eval_cost) ta=$(col train_accuracy) tc=$(col train_cost)
[ "$ea" -gt 0 ] || die "'$csv' has no eval_accuracy column"
# Training columns exist but are empty when they were not monitored.
has() { awk -F, -v c="$1" 'NR > 1 && $c != "" { found = 1 } END { exit !found }' "$csv"; }
train_acc=0 train_cost=0
[ "$ta" -gt 0 ] && has "$ta" && train_acc=1
[ "$tc" -gt 0 ] && has "$tc" && train_cost=1
case $out$csv in *\'*) die "file names must not contain a single quote" ;; esac
tmpd=$(mktemp -d "${TMPDIR:-/tmp}/plot-metrics.XXXXXX")
# PNGs are drawn under temporary names next to their targets and renamed at the end.
acc_tmp="$out-accuracy.png.tmp$$" cost_tmp="$out-cost.png.tmp$$"
on_exit 'rm -rf "$tmpd" "$acc_tmp" "$cost_tmp"'
title=$(basename "$csv" .csv)
{
    echo "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 800,500 } else { set terminal png size 800,500 }"
    echo "set datafile separator ','"
    echo "set datafile missing ''"
    echo "set key autotitle columnhead"
    echo "set grid; set xlabel 'epoch'; set key bottom right"
    echo "set output '$acc_tmp'"
    echo "set title '$title: classification accuracy'; set ylabel 'accuracy (%)'"
    printf "plot '%s' using 1:(100*\$%s) with linespoints lw 2 title 'evaluation set'" "$csv" "$ea"
    [ $train_acc -eq 1 ] && printf ", '' using 1:(100*\$%s) with linespoints lw 2 title 'training set'" "$ta"
    echo
    echo "set output '$cost_tmp'"
    echo "set title '$title: total cost'; set ylabel 'cost'; set key top right"
    printf "plot '%s' using 1:%s with linespoints lw 2 title 'evaluation set'" "$csv" "$ec"
    [ $train_cost -eq 1 ] && printf ", '' using 1:%s with linespoints lw 2 title 'training set'" "$tc"
    echo
    echo "set output"
} > "$tmpd/plot.gp"
gnuplot "$tmpd/plot.gp" || die "gnuplot failed"
mv "$acc_tmp" "$out-accuracy.png"
mv "$cost_tmp" "$out-cost.png"
echo "$out-accuracy.png $out-cost.png"
