#!/bin/sh
# CLI tests of `gradproof check`: a passing run, and one clear error line per bad input.
set -u
GP=${top_builddir:-.}/src/gradproof
fail=0
ok() { printf 'ok - %s\n' "$1"; }
bad() { printf 'not ok - %s\n' "$1"; fail=1; }

out=$("$GP" check --cases 5 --seed 7) && echo "$out" | grep -q 'cross-entropy' &&
    ! echo "$out" | grep -q FAIL && ok "check passes on 5 cases" || bad "check passes on 5 cases"
[ "$(echo "$out" | grep -c ' ok$')" -eq 12 ] && ok "12 formula rows" || bad "12 formula rows"
"$GP" --version | grep -q '^gradproof ' && ok "--version" || bad "--version"
"$GP" check --help | grep -q -- '--cases' && ok "check --help" || bad "check --help"

# Each bad input: exit status 1 and a first stderr line naming the problem.
expect_error() { # pattern args...
    pat=$1; shift
    err=$("$GP" "$@" 2>&1 >/dev/null); st=$?
    first=$(printf '%s\n' "$err" | head -n 1)
    if [ "$st" -eq 1 ] && printf '%s' "$first" | grep -q -- "$pat"; then ok "$* -> $first"
    else bad "$* (status $st, said: $first)"; fi
}
expect_error "invalid --cases 'x'" check --cases x
expect_error "invalid --cases '0'" check --cases 0
expect_error "invalid --cases '-3'" check --cases -3
expect_error "invalid --seed '1.5'" check --seed 1.5
expect_error "invalid --cost 'hinge'" check --cost hinge
expect_error "unknown option '--bogus'" check --bogus
expect_error "needs a value" check --cases
expect_error "unknown command 'frobnicate'" frobnicate
# A bad GRADPROOF_SIMD (the SIMD variant cap) is an error too, before any work.
err=$(GRADPROOF_SIMD=avx "$GP" train --epochs 1 2>&1 >/dev/null); st=$?
[ "$st" -eq 1 ] && [ "$err" = "gradproof: invalid GRADPROOF_SIMD 'avx': use baseline, avx2 or avx512" ] &&
    ok "GRADPROOF_SIMD=avx -> $err" || bad "GRADPROOF_SIMD=avx (status $st, said: $err)"
exit $fail
