#!/bin/sh
# CLI tests of `gradproof check`: a passing run, and one clear error line per bad input.
set -u
. "${top_srcdir:-.}/tests/lib.sh"

out=$("$GP" check --cases 5 --seed 7) && echo "$out" | grep -q 'cross-entropy' &&
    ! echo "$out" | grep -q FAIL && ok "check passes on 5 cases" || bad "check passes on 5 cases"
[ "$(echo "$out" | grep -c ' ok$')" -eq 72 ] && ok "72 rows: 4 costs x 6 activations x 3 formulas" ||
    bad "72 rows"
for act in sigmoid tanh relu leaky-relu softplus identity; do
    [ "$(echo "$out" | awk -v a=$act '$2 == a' | grep -c ' ok$')" -eq 12 ] && ok "12 rows for $act" ||
        bad "12 rows for $act"
done
# Kinks placed on purpose (cases 1 and 3 mod 4): relu's and leaky-relu's rows count
# entries checked at a kink (the "at kink" column, third from the end), smooth ones none.
kinks() { echo "$out" | awk -v a="$1" '$2 == a { n += $(NF - 2) } END { print n + 0 }'; }
[ "$(kinks relu)" -gt 0 ] && [ "$(kinks leaky-relu)" -gt 0 ] && ok "relu/leaky rows: entries at a kink ($(kinks relu), $(kinks leaky-relu))" ||
    bad "no entries at a kink (relu $(kinks relu), leaky-relu $(kinks leaky-relu))"
[ "$(kinks tanh)" -eq 0 ] && [ "$(kinks sigmoid)" -eq 0 ] && ok "smooth rows: no kink entries" ||
    bad "smooth rows report kinks"
out=$("$GP" check --cases 4 --activation leaky-relu:0.3 --cost log-likelihood) &&
    [ "$(echo "$out" | grep -c '^log-likelihood  *leaky-relu:0.3 .* ok$')" -eq 3 ] &&
    ok "--activation leaky-relu:0.3 --cost log-likelihood: 3 rows" || bad "--activation leaky-relu:0.3 (said: $out)"
# --noise (issue 12): the cost's noise measured at each point (ECnoise). On relu cases
# with a unit on or near its kink the step shrinks to stay on one side, and the measured
# noise leaves some entries under one digit: the table's "inconcl" column counts them,
# the rows say "inconclusive", stderr says how many, and the status stays 0. Without
# --noise the same cases are "ok" with no such columns, so a --noise that does not reach
# the check engine (gp_fcheck_opts.noise) fails here.
err=$("$GP" check --noise --cases 4 --activation relu --cost quadratic 2>&1 >"${TMPDIR:-/tmp}/cli-check-noise.$$"); st=$?
out=$(cat "${TMPDIR:-/tmp}/cli-check-noise.$$"); rm -f "${TMPDIR:-/tmp}/cli-check-noise.$$"
inc=$(echo "$out" | awk 'NR > 1 { n += $(NF - 2) } END { print n + 0 }')
[ $st -eq 0 ] && echo "$out" | head -n 1 | grep -q ' inconcl digits  verdict$' &&
    [ "$inc" -gt 0 ] && [ "$(echo "$out" | grep -c ' inconclusive$')" -ge 1 ] &&
    echo "$err" | grep -q "^gradproof: check: $inc entries inconclusive" &&
    ok "check --noise: $inc entries inconclusive on relu cases at kinks, status 0" ||
    { bad "check --noise (status $st, $inc inconclusive)"; echo "$out$err" | sed 's/^/# /'; }
out=$("$GP" check --cases 4 --activation relu --cost quadratic 2>&1) &&
    [ "$(echo "$out" | grep -c ' ok$')" -eq 3 ] && ! echo "$out" | grep -q 'inconcl' &&
    ok "check without --noise: the same cases ok, no noise columns" ||
    bad "check without --noise (said: $out)"
"$GP" --version | grep -q '^gradproof ' && ok "--version" || bad "--version"
"$GP" check --help | grep -q -- '--cases' && ok "check --help" || bad "check --help"

# Each bad input: exit status 1 and a first stderr line naming the problem (lib.sh's
# expect_error).
expect_error "invalid --cases 'x'" check --cases x
expect_error "invalid --cases '0'" check --cases 0
expect_error "invalid --cases '-3'" check --cases -3
expect_error "invalid --seed '1.5'" check --seed 1.5
expect_error "invalid --cost 'hinge'" check --cost hinge
expect_error "invalid --activation 'swish'" check --activation swish
expect_error "invalid --activation 'relu,tanh': give one name" check --activation relu,tanh
# check takes one name, and its --help says so (it showed NAME[,NAME..], train's list).
"$GP" check --help | grep -q -- '--activation=NAME ' && ! "$GP" check --help | grep -q 'NAME\[,' &&
    ok "check --help: --activation=NAME" || bad "check --help: $("$GP" check --help | grep -- --activation)"
expect_error "invalid --activation 'leaky-relu:1.5'" check --activation leaky-relu:1.5
expect_error "--record checks with the default options: drop --noise" check --noise --record x.rec
# An unwritable --record is refused before any case, as compare's and train's outputs
# are: the run passed (exit 0) and a failure found hours into a soak could not be kept.
expect_error "cannot write --record '/': is a directory" check --cases 1 --cost quadratic --record /
expect_error "cannot write --record '/nonexistent-gp/r.json': " check --cases 1 --cost quadratic --record /nonexistent-gp/r.json
# One case is one block, which no budget cuts: the run ended saying 'time budget reached
# after 6 cases per cost; --cases 6 gives the same report' (it had run case 5 alone).
expect_error "--time-budget goes with a run of cases, not --case" check --case 5 --time-budget 3
# A positive --progress that underflows to 0 is refused as -1 is (it meant "no progress
# lines"); so is a --time-budget or --tol-scale that does (it was "must be greater").
expect_error "invalid --progress '-1': must be between 0 and" check --progress -1
# An integer beyond ULONG_MAX is out of range, not "not an integer".
expect_error "invalid --cases '99999999999999999999': must be between 1 and" check --cases 99999999999999999999
expect_error "invalid --cases '1x': expected a non-negative integer" check --cases 1x
expect_error "invalid --progress '1e-400': not zero, but rounds to 0" check --progress 1e-400
expect_error "invalid --progress '0.0001e-320': not zero, but rounds to 0" check --progress 0.0001e-320
expect_error "invalid --time-budget '1e-400': not zero, but rounds to 0" check --time-budget 1e-400
expect_error "invalid --tol-scale '1e-400': not zero, but rounds to 0" check --tol-scale 1e-400
# A value below an excluded lower end is told it, as the end itself is: it was "must be
# between 0 and 1e+06", which 0 is refused from.
expect_error "invalid --tol-scale '-1': must be greater than 0 and at most 1e+06" check --tol-scale -1
expect_error "invalid --time-budget '-1': must be greater than 0 and at most" check --time-budget -1
# The message lists every accepted name, aliases included.
err=$("$GP" check --cost hinge 2>&1 >/dev/null)
for name in quadratic quadratic-linear cross-entropy log-likelihood QuadraticCost \
    CrossEntropyCost LogLikelihoodCost; do
    printf '%s' "$err" | grep -q -- "$name" && ok "--cost error lists $name" ||
        bad "--cost error lists $name (said: $err)"
done
"$GP" check --cost LogLikelihoodCost --cases 2 >/dev/null && ok "--cost LogLikelihoodCost" ||
    bad "--cost LogLikelihoodCost"
# A network file with an unknown cost says which costs exist.
tmpdir cli-check
echo '{"sizes":[2,1],"cost":"hinge","weights":[[[1,2]]],"biases":[[0]]}' >"$T/n.json"
err=$("$GP" evaluate --load "$T/n.json" 2>&1 >/dev/null)
printf '%s' "$err" | grep -q 'unknown cost "hinge" (expected one of quadratic,' &&
    ok "network file: unknown cost lists the names" ||
    bad "network file: unknown cost lists the names (said: $err)"
expect_error "unknown option '--bogus'" check --bogus
expect_error "needs a value" check --cases
# A short option is named by its letter, even inside a cluster ("-zq": getopt leaves
# optind on the cluster, and argv[optind - 1] would be 'check').
expect_error "^gradproof: unknown option '-z'$" check -zq
expect_error "^gradproof: unknown option '-z'$" check --cases 3 -z
expect_error "^gradproof: option '-s' needs a value$" check -s
expect_error "^gradproof: option '--help=x' takes no value$" check --help=x
expect_error "unknown command 'frobnicate'" frobnicate
# No command: one line and the hint, as any usage error (it printed the whole usage).
err=$("$GP" 2>&1 >/dev/null); st=$?
[ "$st" -eq 1 ] && [ "$err" = "gradproof: missing command
Try 'gradproof --help'." ] && ok "no command -> 1: one line and the hint" ||
    bad "no command (status $st, said: $(printf '%s' "$err" | head -n 3))"
# --case past --cases is refused (it checked nothing and exited 0, every row "ok").
err=$("$GP" check --cases 5 --case 7 2>&1 >/dev/null); st=$?
[ "$st" -eq 1 ] && printf '%s' "$err" | head -n 1 | grep -q "^gradproof: invalid --case '7': must be below --cases 5$" &&
    ok "check --cases 5 --case 7 -> $st" || bad "check --cases 5 --case 7 (status $st, said: $err)"
"$GP" check --cases 5 --case 4 --cost quadratic --activation tanh >/dev/null && ok "check --cases 5 --case 4" ||
    bad "check --cases 5 --case 4"
# A progress line of a --case run counts that one case: it said '6 cases per cost in 0.0 s
# (of 200)' for --case 5.
err=$("$GP" check --case 5 --progress 1e-9 --cost quadratic --activation tanh 2>&1 >/dev/null); st=$?
[ "$st" -eq 0 ] && printf '%s\n' "$err" | grep -q "^gradproof: check: progress: 1 case per cost in [0-9.]* s (of 1), 0 failing properties$" &&
    ok "check --case 5 --progress 1e-9: one case of one" ||
    bad "check --case 5 --progress 1e-9 (status $st, said: $err)"
# The rerun command a failure prints (no --cases) reruns its case whatever the index:
# 'check --cases 1000 --tol-scale 0.01 --cost quadratic --activation sigmoid' reports a
# first failure at case 290 of the W2 gradient, whose rerun was refused ("invalid --case
# '290': must be below --cases 200", the default).
err=$("$GP" check --cost quadratic --activation sigmoid --seed 1 --case 290 --tol-scale 0.01 2>&1 >/dev/null); st=$?
[ "$st" -eq 1 ] && printf '%s\n' "$err" | grep -q "^gradproof: FAIL quadratic sigmoid .*, case 290, .*failing cases: 1 of 1" &&
    ok "the rerun of case 290 (default --cases 200) reruns it" ||
    bad "the rerun of case 290 (status $st, said: $(printf '%s' "$err" | head -n 2))"
# --progress shorter than a block of cases: the blocks shrink to end by the next line
# (one case index at least), so an interval shorter than any block gives a line after
# every case index; with blocks of 32 indices, --cases 3 printed one line, at the end.
err=$("$GP" check --cases 3 --progress 1e-9 2>&1 >/dev/null); st=$?
lines=$(printf '%s\n' "$err" | sed -n 's/^gradproof: check: progress: \([0-9]*\) cases\{0,1\} per cost in [0-9.]* s (of 3), 0 failing properties$/\1/p' | tr '\n' ' ')
[ "$st" -eq 0 ] && [ "$lines" = "1 2 3 " ] && ok "check --cases 3 --progress 1e-9: a line per case index" ||
    bad "check --cases 3 --progress 1e-9 (status $st, lines after cases: $lines; said: $err)"
# The interval is honoured: a 0.25 s --progress over the 200 default cases gives at
# least half the lines the run's time allows (blocks of 32 gave one line per block, 7
# here, in some 5 s: 20 lines' time). On a machine that runs them in under 1 s the bound
# is below 2 lines and says little; here it failed without the sizing.
t0=$(date +%s.%N); err=$("$GP" check --progress 0.25 2>&1 >/dev/null); st=$?; t1=$(date +%s.%N)
n=$(printf '%s\n' "$err" | grep -c '^gradproof: check: progress: ')
want=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) / 0.25 / 2 }')
[ "$st" -eq 0 ] && [ "$n" -ge "$want" ] && ok "check --progress 0.25: $n lines (at least $want)" ||
    bad "check --progress 0.25: $n lines, want at least $want (status $st)"
# A bad GRADPROOF_SIMD (the SIMD variant cap) is an error too, before any work.
err=$(GRADPROOF_SIMD=avx "$GP" train --epochs 1 2>&1 >/dev/null); st=$?
[ "$st" -eq 1 ] && [ "$err" = "gradproof: invalid GRADPROOF_SIMD 'avx': use baseline, avx2 or avx512" ] &&
    ok "GRADPROOF_SIMD=avx -> $err" || bad "GRADPROOF_SIMD=avx (status $st, said: $err)"
exit $fail
