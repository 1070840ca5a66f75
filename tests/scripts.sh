#!/bin/sh
# tests/scripts.sh: the scripts of scripts/ and bench/ as a new user meets them. --help prints the
# script's header comment and nothing else, at once (before any install, build or
# download); a usage error exits 2 before doing anything; reproduce.sh reports a run
# whose gradproof train fails (status 1, the run marked FAILED) instead of an empty line.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
tmpdir scripts
cd "$T" || exit 99

for s in "$SRC"/scripts/*.sh "$SRC"/bench/*.sh; do
    name=$(basename "$s")
    [ "$name" = usage.sh ] && continue
    want=$(sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p;}' "$s")
    got=$(timeout 10 sh "$s" --help 2>"$T/err")
    st=$?
    if [ $st -eq 0 ] && [ "$got" = "$want" ] && [ -n "$want" ] && [ ! -s "$T/err" ]; then
        ok "$name --help: its header, status 0"
    else
        bad "$name --help: status $st, stdout [$(echo "$got" | head -n 2)], stderr [$(head -n 2 "$T/err")]"
    fi
done

# Usage errors: status 2, one line naming the problem, nothing created.
status2_case() { # what want-in-message command args...
    what=$1 msg=$2
    shift 2
    timeout 120 "$@" >"$T/out" 2>"$T/err"
    st=$?
    if [ $st -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$msg" "$T/err" &&
        [ ! -s "$T/out" ]; then
        ok "$what: status 2, '$(cat "$T/err")'"
    else
        bad "$what: status $st, stderr [$(tail -n 2 "$T/err")], stdout [$(head -n 2 "$T/out")]"
    fi
}
usage_case() { # what want-in-message script args...
    u_what=$1 u_msg=$2
    shift 2
    status2_case "$u_what" "$u_msg" sh "$@"
}
usage_case "fetch-mnist.sh --bogus" "unknown option '--bogus'" "$SRC/scripts/fetch-mnist.sh" --bogus
[ ! -e "$T/--bogus" ] || bad "fetch-mnist.sh --bogus created a directory '--bogus'"
usage_case "fetch-mnist.sh with two DIRs" "one argument" "$SRC/scripts/fetch-mnist.sh" a b
usage_case "fetch-fashion-mnist.sh -x" "unknown option '-x'" \
    "$SRC/scripts/fetch-fashion-mnist.sh" -x
usage_case "reproduce.sh nope" "unknown run 'nope'" "$SRC/scripts/reproduce.sh" nope
usage_case "reproduce.sh -d" "-d needs a directory" "$SRC/scripts/reproduce.sh" -d
usage_case "hunt-soak.sh abc" "'abc' is not a whole number" "$SRC/scripts/hunt-soak.sh" abc
usage_case "install-deps.sh x" "takes no arguments" "$SRC/scripts/install-deps.sh" x
usage_case "test-all.sh x" "takes no arguments" "$SRC/scripts/test-all.sh" x
usage_case "bench-gradcheck.sh x" "'x' is not a whole number" "$SRC/bench/bench-gradcheck.sh" x
usage_case "bench-mpi.sh d 2 1e3" "'1e3' is not a whole number" "$SRC/bench/bench-mpi.sh" d 2 1e3
usage_case "mnist-check.sh -v" "unknown option '-v'" "$SRC/scripts/mnist-check.sh" -v
# (bench-train.sh -e abc measured the CPU and then failed in gradproof train, status 1;
# profile-epoch.sh -t abc fetched MNIST first; their and plot-metrics.sh's unknown
# options got a bare "Usage:" line.)
usage_case "bench-train.sh -e abc" "'abc' is not a whole number" "$SRC/scripts/bench-train.sh" -e abc
usage_case "bench-train.sh -e 0" "EPOCHS must be between 1 and" "$SRC/scripts/bench-train.sh" -e 0
usage_case "bench-train.sh -x" "unknown option '-x'" "$SRC/scripts/bench-train.sh" -x
usage_case "bench-train.sh -d" "option '-d' needs a value" "$SRC/scripts/bench-train.sh" -d
usage_case "profile-epoch.sh -e 1" "EPOCHS must be between 2 and" "$SRC/bench/profile-epoch.sh" -e 1
usage_case "profile-epoch.sh -t abc" "'abc' is not a whole number" "$SRC/bench/profile-epoch.sh" -t abc
usage_case "profile-epoch.sh -t 0" "THREADS must be between 1 and 256" "$SRC/bench/profile-epoch.sh" -t 0
usage_case "plot-metrics.sh -x" "unknown option '-x'" "$SRC/scripts/plot-metrics.sh" -x a
usage_case "plot-metrics.sh a" "expected two arguments" "$SRC/scripts/plot-metrics.sh" a

# reproduce.sh with a gradproof whose train fails: status 1, the run FAILED in the
# summary (a pipe into tee used to hide train's status: status 0, an empty summary).
mkdir -p "$T/data" "$T/rout"
: >"$T/data/t10k-labels-idx1-ubyte"
printf '#!/bin/sh\necho "gradproof: invalid --epochs" >&2\nexit 1\n' >"$T/gp-fails"
chmod +x "$T/gp-fails"
GRADPROOF="$T/gp-fails" OUT="$T/rout" sh "$SRC/scripts/reproduce.sh" -d "$T/data" quad \
    >"$T/out.txt" 2>"$T/err"
st=$?
if [ $st -eq 1 ] && grep -q '^quad *FAILED' "$T/out.txt" &&
    grep -q "quad failed (gradproof train exited 1)" "$T/err"; then
    ok "reproduce.sh: a failing train gives status 1 and FAILED"
else
    bad "reproduce.sh with a failing train: status $st, [$(tail -n 2 "$T/out.txt")] [$(cat "$T/err")]"
fi

# A signal ends a script (status 128 + N) after its clean-up: a trap on INT or TERM that
# did not exit let sh go on after removing its files (plot-metrics.sh then failed in mv,
# status 1; bench-mpi.sh went on writing into its removed directory). Here TERM reaches
# plot-metrics.sh while a stand-in gnuplot runs and then writes both plots.
mkdir -p "$T/bin"
printf '#!/bin/sh\nsleep 2\nsed -n "s/^set output .\\(.*\\).$/\\1/p" "$1" | while read -r f; do : >"$f"; done\n' \
    >"$T/bin/gnuplot"
chmod +x "$T/bin/gnuplot"
printf 'epoch,eval_accuracy,eval_cost\n1,0.9,1.5\n' >"$T/m.csv"
PATH="$T/bin:$PATH" sh "$SRC/scripts/plot-metrics.sh" "$T/m.csv" "$T/plot" >"$T/out" 2>"$T/err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
st=$?
if [ $st -eq 143 ] && [ ! -s "$T/err" ] && [ -z "$(ls "$T" | grep '^plot')" ]; then
    ok "plot-metrics.sh stopped by TERM: status 143, nothing left"
else
    bad "plot-metrics.sh stopped by TERM: status $st, stderr [$(cat "$T/err")], left [$(ls "$T" | grep '^plot')]"
fi
traps=$(grep -n 'trap .*\(INT\|TERM\|HUP\|EXIT\)' "$SRC"/scripts/*.sh "$SRC"/bench/*.sh | grep -v '/usage.sh:')
[ -z "$traps" ] && ok "every script's clean-up is set with on_exit" ||
    bad "traps set outside on_exit (usage.sh): $traps"

# bench/network_py.py (README's seed-to-seed reference): a missing or short data file, or
# a value the run cannot take, is one line and status 2, not a Python traceback (status 1:
# FileNotFoundError, "cannot reshape array", numpy's "Seed must be between 0 and 2**32 - 1").
if "$PY" -c 'import numpy' 2>/dev/null; then
    . "$SRC/tests/synth-idx.sh"
    mkdir -p "$T/syn" && make_mnist "$T/syn"
    np_case() { # what want-in-message args...
        n_what=$1 n_msg=$2
        shift 2
        status2_case "network_py.py $n_what" "$n_msg" "$PY" "$SRC/bench/network_py.py" "$@"
    }
    np_case "no data" "cannot read $T/none/train-images-idx3-ubyte: No such file" "$T/none"
    np_case "360 images" "360 items, fewer than the 50000 read" "$T/syn"
    np_case "--seed -1" "argument --seed: -1 is not in 0..4294967295" "$T/syn" --seed -1
    np_case "--epochs 0" "argument --epochs: 0 is not" "$T/syn" --epochs 0
    np_case "--sizes 784,x,10" "argument --sizes" "$T/syn" --sizes 784,x,10
    np_case "--seed abc" "invalid int value: 'abc'" "$T/syn" --seed abc
fi

# bench/torch_hunt.py: a precision or planted bug it does not know is refused (status 2,
# one line); float16 ran the float64 peer and printed "float16 ... ok True", and a
# misspelt bug name planted nothing, so the hunt "found" no bug; 'abc' was a traceback.
GRADPROOF_LIB=$(dirname "$gp_makefile")/src/.libs/libgradproof.so.0 # (the test is in $T)
if PYTHONPATH="$SRC/python" GRADPROOF_LIB="$GRADPROOF_LIB" "$PY" -c 'import torch, gradproof' \
    2>/dev/null; then
    th_case() { # what want-in-message args...
        h_what=$1 h_msg=$2
        shift 2
        status2_case "torch_hunt.py $h_what" "$h_msg" env PYTHONPATH="$SRC/python" \
            GRADPROOF_LIB="$GRADPROOF_LIB" "$PY" "$SRC/bench/torch_hunt.py" "$@"
    }
    th_case "3 1 float16" "the precision must be float32 or float64, not 'float16'" 3 1 float16
    th_case "3 1 float32 xent_mean" "the planted bug must be xent-mean" 3 1 float32 xent_mean
    th_case "abc 1 float32" "CASES must be a whole number >= 1, not 'abc'" abc 1 float32
    th_case "0 1 float32" "CASES must be a whole number >= 1, not '0'" 0 1 float32
    th_case "(no arguments)" "expected 3 or 4 arguments, got 0"
    # bench/torch_train.py (bench-train.sh's peer): tracebacks before (FileNotFoundError,
    # KeyError 'foo', set_num_threads' RuntimeError, randperm of a negative n).
    tt_case() { # what want-in-message args...
        t_what=$1 t_msg=$2
        shift 2
        status2_case "torch_train.py $t_what" "$t_msg" "$PY" "$SRC/bench/torch_train.py" "$@"
    }
    tt_case "no data" "cannot read $T/none/train-images-idx3-ubyte: No such file" "$T/none"
    tt_case "--activation foo" "--activation 'foo' is not sigmoid" "$T/none" --activation foo
    tt_case "--threads 0" "--threads 0 is not in 1..256" "$T/none" --threads 0
    tt_case "--epochs 0" "--epochs 0 is not in 1..1000000" "$T/none" --epochs 0
    [ -d "$T/syn" ] &&
        tt_case "360 images" "360 training images (more than 10000 needed)" "$T/syn"
fi

# The bench scripts run where nothing is built (here, $T; a VPATH build's source tree):
# one line, status 1, before any figure. bench-mpi.sh printed the times and "identical"
# verdicts of commands that were not found, then died (127) at the sweep; from a VPATH
# build bench-gradcheck.sh compiled in the sources (a compiler error) and bench-python.sh
# could not import gradproof (python/ taken from the build tree: a traceback).
for run in "bench-mpi.sh d 1 1:cli/gradproof" "bench-gradcheck.sh 1:Makefile" \
    "bench-python.sh 1:cli/gradproof"; do
    args=${run%%:*} file=${run#*:}
    (cd "$T" && timeout 60 sh "$SRC/bench/"$args >"$T/out" 2>"$T/err")
    st=$?
    if [ $st -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "$file not found" "$T/err" &&
        [ ! -s "$T/out" ]; then
        ok "$args without a build: status 1, '$(cat "$T/err")'"
    else
        bad "$args without a build: status $st, stderr [$(tail -n 2 "$T/err")], stdout [$(head -n 2 "$T/out")]"
    fi
done
# profile-epoch.sh with GRADPROOF_LIBS naming a cli/.libs that has no src/.libs beside it
# (not a build tree): one line, status 1, before fetching data. It put the source tree's
# src/.libs on LD_LIBRARY_PATH, so an out-of-tree build's program could not load its
# library ("gradproof train failed"). A script that exits 0 stands in for linux-perf's perf.
mkdir -p "$T/fake/cli/.libs" "$T/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/fake/cli/.libs/gradproof"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/perf"
chmod +x "$T/fake/cli/.libs/gradproof" "$T/bin/perf"
GRADPROOF_LIBS=$T/fake/cli/.libs PATH=$T/bin:$PATH timeout 60 \
    sh "$SRC/bench/profile-epoch.sh" -d "$T/nodata" >"$T/out" 2>"$T/err"
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "src/.libs not found" "$T/err" &&
    [ ! -e "$T/nodata" ]; then
    ok "profile-epoch.sh, GRADPROOF_LIBS not in a build tree: status 1, '$(cat "$T/err")'"
else
    bad "profile-epoch.sh, GRADPROOF_LIBS not in a build tree: status $st, stderr [$(tail -n 2 "$T/err")]"
fi
# in_range (usage.sh) reads leading zeros as a decimal number does: 0000000007 is 7
# (it was refused as longer than 9 digits), 0000000000011 is 11, and the length
# guard still refuses 10 significant digits.
for v in 0000000007:0 0000000000011:0 0000000000:2 10000000000:2; do
    (. "$SRC/scripts/usage.sh" && in_range t.sh N 1 1000000 "${v%:*}") 2>"$T/err"
    st=$?
    if [ $st -eq "${v#*:}" ]; then
        ok "in_range 1..1000000 ${v%:*}: status $st"
    else
        bad "in_range 1..1000000 ${v%:*}: status $st, expected ${v#*:} [$(cat "$T/err")]"
    fi
done
exit $fail
