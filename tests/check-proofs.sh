#!/bin/sh
# check-proofs.sh -- machine-check the Coq proofs in proofs/ (automake TESTS).
#
# Usage: tests/check-proofs.sh [--dir DIR] [--work NAME]
#   --dir DIR   directory of .v files to audit (default: $srcdir/proofs)
#   --work NAME work area, created under ./proofs-build/ in the current
#               (build) directory (default: main)
# Environment:
#   srcdir            top source directory (default: .)
#   GP_PROOFS         yes (default) | no | auto.  yes: missing Coq is a
#                     failure; no: skip (exit 77); auto: skip without Coq.
#   GP_PROOF_TIMEOUT  seconds allowed per coqc run (default 300)
#   COQC              the Coq compiler (default coqc)
#
# Steps: (1) no file may contain a forbidden word (a hole or a new
# assumption); (2) each file is compiled, in the order of DIR/_CoqProject
# (or alphabetical order without one), under a per-file timeout; (3) one
# generated Audit.v runs Print Assumptions on every Theorem/Lemma/... and
# every assumption must be in the allow-list below; (4) summary.
# Exit: 0 pass, 1 fail, 77 skip (only when proofs are not required).

LC_ALL=C
export LC_ALL

srcdir=${srcdir:-.}
dir=
work=main
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "check-proofs: unknown argument: $1" >&2; exit 1 ;;
  esac
done
[ -n "$dir" ] || dir=$srcdir/proofs
GP_PROOFS=${GP_PROOFS:-yes}
GP_PROOF_TIMEOUT=${GP_PROOF_TIMEOUT:-300}
COQC=${COQC:-coqc}

# The standard axioms of Coq's classical real numbers (8.16) and of the
# Coquelicot library; justified in proofs/README.md.  Nothing else passes.
ALLOWED="ClassicalDedekindReals.sig_forall_dec
ClassicalDedekindReals.sig_not_dec
FunctionalExtensionality.functional_extensionality_dep
Classical_Prop.classic"

# Words that make a hole or a new assumption.  Searched everywhere in the
# .v files, comments included, as whole words.
FORBIDDEN='Admitted admit give_up Axiom Axioms Parameter Parameters Conjecture Conjectures'
# Flags that switch off kernel checks.
FORBIDDEN_FLAGS='Guard Checking|Positivity Checking|Universe Checking|bypass_check|Type-in-Type|type_in_type'

fail() { echo "check-proofs: FAIL: $*" >&2; exit 1; }
skip() { echo "check-proofs: SKIP: $*" >&2; exit 77; }

case $GP_PROOFS in
  no) skip "proof checking disabled (GP_PROOFS=no)" ;;
  yes|auto) ;;
  *) fail "GP_PROOFS must be yes, no or auto (got '$GP_PROOFS')" ;;
esac

[ -d "$dir" ] || fail "no proof directory '$dir'"

# --- tools ---------------------------------------------------------------
have_coq=yes
command -v "$COQC" >/dev/null 2>&1 || have_coq="no ($COQC not found)"
command -v timeout >/dev/null 2>&1 || fail "timeout(1) not found (coreutils)"

base=proofs-build
area=$base/$work
rm -rf "$area" || fail "cannot clear $area"
mkdir -p "$area" || fail "cannot create $area (build dir must be writable)"

if [ "$have_coq" = yes ]; then
  printf '%s\n' 'From Coquelicot Require Import Coquelicot.' \
    'From Flocq Require Import Core.' 'From Gappa Require Import Gappa_tactic.' \
    > "$area/Probe.v"
  if ! (cd "$area" && timeout 120 "$COQC" -q Probe.v) >"$area/probe.log" 2>&1; then
    have_coq="no (Coquelicot, Flocq or Gappa not loadable: $(head -n 3 "$area/probe.log" | tr '\n' ' '))"
  fi
  rm -f "$area"/Probe.*
fi
if [ "$have_coq" != yes ]; then
  if [ "$GP_PROOFS" = auto ]; then
    skip "Coq/Coquelicot unavailable: $have_coq"
  fi
  fail "proofs are required (GP_PROOFS=yes) but Coq/Coquelicot is unavailable: $have_coq.
  Install coq 8.16, Coquelicot, Flocq and Gappa (Debian/Ubuntu: apt-get install coq
  libcoq-coquelicot libcoq-flocq libcoq-gappa gappa),
  or configure with --enable-proofs=no."
fi

# --- file list -----------------------------------------------------------
ls "$dir"/*.v >/dev/null 2>&1 || fail "no .v files in $dir"
if [ -f "$dir/_CoqProject" ]; then
  files=$(sed -n 's/^[ 	]*\([A-Za-z0-9_]*\.v\)[ 	]*$/\1/p' "$dir/_CoqProject")
  for f in "$dir"/*.v; do
    b=$(basename "$f")
    echo "$files" | grep -qx "$b" || fail "$b is not listed in $dir/_CoqProject"
  done
  for b in $files; do
    [ -f "$dir/$b" ] || fail "$dir/_CoqProject lists $b, which does not exist"
  done
else
  files=$(cd "$dir" && ls *.v)
fi
nfiles=$(echo $files | wc -w)

# --- (1) forbidden words -------------------------------------------------
bad=0
for b in $files; do
  for w in $FORBIDDEN; do
    if grep -n -w -- "$w" "$dir/$b" >"$area/grep.out"; then
      sed "s|^|  $b:|" "$area/grep.out" >&2
      echo "check-proofs: forbidden word '$w' in $b" >&2
      bad=1
    fi
  done
  if grep -n -E -- "$FORBIDDEN_FLAGS" "$dir/$b" >"$area/grep.out"; then
    sed "s|^|  $b:|" "$area/grep.out" >&2
    echo "check-proofs: kernel check switched off in $b" >&2
    bad=1
  fi
done
rm -f "$area/grep.out"
[ $bad = 0 ] || fail "forbidden words found (a hole or an unproved assumption)"

# --- (2) compile ---------------------------------------------------------
for b in $files; do
  cp "$dir/$b" "$area/$b" || fail "cannot copy $b"
  chmod u+w "$area/$b"
done
start=$(date +%s)
for b in $files; do
  t0=$(date +%s)
  (cd "$area" && timeout -k 10 "$GP_PROOF_TIMEOUT" "$COQC" -q -no-glob \
       -w -ambiguous-paths -Q . Gradproof "$b") >"$area/${b%.v}.log" 2>&1
  rc=$?
  t1=$(date +%s)
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    cat "$area/${b%.v}.log" >&2
    fail "$b timed out after ${GP_PROOF_TIMEOUT}s (GP_PROOF_TIMEOUT)"
  elif [ $rc != 0 ]; then
    cat "$area/${b%.v}.log" >&2
    fail "$b does not compile (coqc exit $rc)"
  fi
  echo "check-proofs: compiled $b ($((t1 - t0))s)"
done

# --- (3) audit -----------------------------------------------------------
# One Print Assumptions over a list that holds every theorem: it sees the
# union of everything they depend on.  (Only when that finds something
# outside the allow-list is each theorem printed on its own, to name it.)
thms=
nthm=0
for b in $files; do
  m=${b%.v}
  names=$(sed -n 's/^[ 	]*\(Theorem\|Lemma\|Corollary\|Proposition\|Fact\|Remark\)[ 	][ 	]*\([A-Za-z_][A-Za-z0-9_'"'"']*\).*/\2/p' "$dir/$b")
  for n in $names; do
    thms="$thms Gradproof.$m.$n"
    nthm=$((nthm + 1))
  done
done
[ $nthm -gt 0 ] || fail "no theorems found to audit"

write_audit() { # $1 = per | all
  for b in $files; do
    echo "Require Gradproof.${b%.v}."
  done
  if [ "$1" = all ]; then
    echo "Definition gp_all_theorems : list {T : Type & T} :="
    for t in $thms; do
      echo "  existT (fun T : Type => T) _ $t ::"
    done
    echo "  nil."
    echo "Goal True. idtac \"GP-AUDIT all-$nthm-theorems\". Abort."
    echo "Print Assumptions gp_all_theorems."
  else
    for t in $thms; do
      echo "Goal True. idtac \"GP-AUDIT $t\". Abort."
      echo "Print Assumptions $t."
    done
  fi
}

# Parse: after each "GP-AUDIT <what>" marker comes either
# "Closed under the global context" or headers ("Axioms:", "Section
# Variables:", ...) and entries "<name> : <type>" (types continue on
# indented lines).  Any other unindented line (e.g. "... relies on an
# unsafe fixpoint") counts as an assumption too.
parse_audit() {
  awk -v allowed="$ALLOWED" '
  BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
  /^GP-AUDIT / { thm = $2; next }
  /^Closed under the global context/ { next }
  /^[ \t]/ { next }
  /^[A-Za-z ]*:$/ { next }
  /^$/ { next }
  {
    name = $0
    if (index(name, " :") > 0) name = substr(name, 1, index(name, " :") - 1)
    else if ($2 == ":" || $2 == "") name = $1
    seen[name] = 1
    if (!(name in ok)) { print "check-proofs: " thm " relies on disallowed assumption: " name > "/dev/stderr"; bad = 1 }
  }
  END {
    s = ""; for (x in seen) s = s " " x
    print "check-proofs: assumptions seen:" (s == "" ? " none" : s)
    exit bad
  }' "$1"
}

run_audit() { # $1 = per | all
  write_audit "$1" > "$area/Audit.v"
  (cd "$area" && timeout -k 10 "$GP_PROOF_TIMEOUT" "$COQC" -q -no-glob \
       -w -ambiguous-paths -Q . Gradproof Audit.v) >"$area/Audit-$1.log" 2>&1 \
    || { cat "$area/Audit-$1.log" >&2; fail "the audit file does not compile"; }
  parse_audit "$area/Audit-$1.log"
}

if ! run_audit all; then
  echo "check-proofs: naming the theorems that use them:" >&2
  run_audit per >/dev/null
  fail "assumptions outside the allow-list (see above)"
fi
echo "check-proofs: theorems audited: $nthm"

end=$(date +%s)
echo "check-proofs: PASS: $nfiles files, $nthm theorems, compile+audit $((end - start))s, all assumptions allow-listed"
exit 0
