#!/bin/sh
# doc/mathematics.md says where each formula lives. Every name it cites must exist: a
# theorem "proofs/File.v name" in that file, a gp_/gpi_ function, object or type in the
# library's sources or public headers, a Check test test_* in tests/. The README links
# the page and no longer points at a SPEC outside the repository.
# Usage: tests/doc-names.sh [PAGE]
set -u
top=${top_srcdir:-${srcdir:-.}}
page=${1:-$top/doc/mathematics.md}
T=$(mktemp -d "${TMPDIR:-/tmp}/gp-doc-names.XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -f "$page" ] || { echo "not ok - $page missing"; exit 1; }
# One line, so that a citation broken across lines still reads "proofs/X.v name".
tr '\n' ' ' <"$page" | sed 's/  */ /g' >"$T/page"
: >"$T/fail"
grep -o "proofs/[A-Za-z]*\\.v [a-z][A-Za-z0-9_']*" "$T/page" | sort -u >"$T/thm"
[ -s "$T/thm" ] || { echo "not ok - no theorem cited"; exit 1; }
while read -r file th; do
    if [ -f "$top/$file" ] && grep -Eq "^(Theorem|Lemma|Corollary|Proposition) $th( |$)" "$top/$file"; then
        echo "ok - theorem $file $th"
    else echo "not ok - $file $th is not a theorem"; echo x >>"$T/fail"; fi
done <"$T/thm"
lib_src=$(ls "$top"/src/*.c "$top"/src/*.h "$top"/include/gradproof/*.h 2>/dev/null)
grep -o '`gpi\{0,1\}_[a-z0-9_]*' "$T/page" | tr -d '`' | sort -u >"$T/c"
[ -s "$T/c" ] || { echo "not ok - no C name cited"; exit 1; }
while read -r f; do
    # a definition: "type name(" at the start of a line, "const TYPE name =", or a typedef.
    # shellcheck disable=SC2086
    if grep -Eq "(^[a-z].*[ *]$f\(|^const [a-z_]+ $f |^} $f;)" $lib_src; then
        echo "ok - C $f"
    else echo "not ok - C name $f is not defined in src/ or include/"; echo x >>"$T/fail"; fi
done <"$T/c"
grep -o '`test_[a-z0-9_]*`' "$T/page" | tr -d '`' | sort -u >"$T/t"
while read -r t; do
    if grep -q "START_TEST($t)" "$top"/tests/check_*.c; then echo "ok - test $t"
    else echo "not ok - Check test $t not in tests/"; echo x >>"$T/fail"; fi
done <"$T/t"
if [ $# -eq 0 ]; then
    if grep -q '\.\./shared/SPEC' "$top/README.md"; then
        echo "not ok - README.md links a SPEC outside the repository"; echo x >>"$T/fail"
    else echo "ok - README.md has no link outside the repository to SPEC"; fi
    if grep -q '(doc/mathematics\.md' "$top/README.md"; then echo "ok - README.md links doc/mathematics.md"
    else echo "not ok - README.md does not link doc/mathematics.md"; echo x >>"$T/fail"; fi
fi
[ -s "$T/fail" ] && exit 1
exit 0
