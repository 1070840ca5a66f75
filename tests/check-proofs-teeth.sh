#!/bin/sh
# check-proofs-teeth.sh -- show that tests/check-proofs.sh has teeth.
# Runs the same audit on the fixtures in tests/proofs-bad/ and requires:
#   admitted/           rejected by the word scan      (a hole: Admitted)
#   axiom/              rejected by the word scan      (a false Axiom, used)
#   hidden-assumption/  rejected by Print Assumptions  (top-level Hypothesis)
#   false/              rejected: coqc fails           (false statement)
#   spin/               rejected: per-file timeout     (GP_PROOF_TIMEOUT=5)
#   control-good/       accepted
# Environment as for check-proofs.sh (srcdir, GP_PROOFS, COQC).
# Exit: 0 if every expectation holds, 1 otherwise, 77 when skipped.

LC_ALL=C
export LC_ALL
srcdir=${srcdir:-.}
export srcdir
GP_PROOFS=${GP_PROOFS:-yes}
export GP_PROOFS
here=$(dirname "$0")
check=$here/check-proofs.sh
fixtures=$srcdir/tests/proofs-bad
[ -f "$check" ] || check=$srcdir/tests/check-proofs.sh
[ -d "$fixtures" ] || { echo "teeth: FAIL: no fixtures at $fixtures" >&2; exit 1; }

failures=0
# expect NAME WANT(pass|reject) MESSAGE-PATTERN [TIMEOUT]
expect() {
  name=$1; want=$2; pattern=$3; tmo=${4:-120}
  log=proofs-build/teeth-$name.log
  mkdir -p proofs-build
  GP_PROOF_TIMEOUT=$tmo sh "$check" --dir "$fixtures/$name" --work "teeth-$name" \
      >"$log" 2>&1
  rc=$?
  if [ $rc = 77 ]; then
    cat "$log"
    [ "$GP_PROOFS" = yes ] && { echo "teeth: FAIL: skipped although GP_PROOFS=yes" >&2; exit 1; }
    echo "teeth: SKIP"; exit 77
  fi
  if [ "$want" = pass ]; then
    if [ $rc = 0 ]; then echo "teeth: ok   $name: accepted"
    else echo "teeth: FAIL $name: should be accepted (exit $rc)" >&2; sed 's/^/  | /' "$log" >&2
         failures=$((failures + 1)); fi
  else
    if [ $rc != 0 ] && grep -q -E -- "$pattern" "$log"; then
      echo "teeth: ok   $name: rejected ($(grep -E -- "$pattern" "$log" | head -n 1))"
    else echo "teeth: FAIL $name: should be rejected with /$pattern/ (exit $rc)" >&2
         sed 's/^/  | /' "$log" >&2
         failures=$((failures + 1)); fi
  fi
}

expect control-good      pass   ''
expect admitted          reject "forbidden word 'Admitted'"
expect axiom             reject "forbidden word 'Axiom'"
expect hidden-assumption reject 'disallowed assumption: .*one_eq_two'
expect false             reject 'does not compile'
expect spin              reject 'timed out' 5

if [ $failures != 0 ]; then
  echo "teeth: FAIL: $failures expectation(s) not met" >&2
  exit 1
fi
echo "teeth: PASS: every bad fixture rejected, the control accepted"
exit 0
