#!/bin/sh
# doc/mathematics.md says where each formula lives. Every name it cites must exist: a
# theorem "proofs/File.v name" in that file, a gp_/gpi_ function, object or type in the
# library's sources or public headers, a Check test test_* in tests/. The README links
# the page and no longer points at a SPEC outside the repository.
# Every theorem cited as "proofs/File.v name" (or "proofs/File.v a, b, c" with names
# that contain an underscore) in src/, include/, doc/*.md and README.md must exist in
# that file; a self-test shows that a wrong name fails this check.
# Usage: tests/doc-names.sh [PAGE]   (with PAGE: only that page's names)
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top=${top_srcdir:-${srcdir:-.}}
page=${1:-$top/doc/mathematics.md}
tmpdir doc-names
[ -f "$page" ] || die "$page missing"
# One line, so that a citation broken across lines still reads "proofs/X.v name".
tr '\n' ' ' <"$page" | sed 's/  */ /g' >"$T/page"
: >"$T/fail"
# cites FILE...: every "proofs/X.v name[, name2, ...]" in FILEs (lines joined, comment
# stars dropped), one "file theorem" per line.
cites() {
    cat "$@" | tr '\n' ' ' | sed 's|  *\* | |g; s/  */ /g' |
        grep -oE "proofs/[A-Za-z]+\.v [a-z][A-Za-z0-9_']*(,( and)? [a-z][A-Za-z0-9']*_[A-Za-z0-9_']*)*" |
        while read -r file rest; do
            for th in $(echo "$rest" | sed 's/,/ /g; s/ and / /g'); do echo "$file $th"; done
        done | sort -u
}
# check_thm LIST LABEL: each "file theorem" of LIST must be a theorem of that file.
check_thm() {
    while read -r file th; do
        if [ -f "$top/$file" ] &&
            grep -Eq "^(Theorem|Lemma|Corollary|Proposition) $th( |$)" "$top/$file"; then
            echo "ok - $2 cites $file $th"
        else echo "not ok - $2 cites $file $th, which is not a theorem there"; echo x >>"$T/fail"; fi
    done <"$1"
}
cites "$T/page" >"$T/thm"
[ -s "$T/thm" ] || die "no theorem cited"
check_thm "$T/thm" "$(basename "$page")"
lib_src=$(ls "$top"/src/*.c "$top"/src/*.h "$top"/include/gradproof/*.h 2>/dev/null)
grep -o '`gpi\{0,1\}_[a-z0-9_]*' "$T/page" | tr -d '`' | sort -u >"$T/c"
[ -s "$T/c" ] || die "no C name cited"
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
    # shellcheck disable=SC2086
    cites $lib_src "$top"/doc/*.md "$top/README.md" >"$T/all"
    [ -s "$T/all" ] || { echo "not ok - no theorem cited in src/, doc/, README.md"; echo x >>"$T/fail"; }
    check_thm "$T/all" "src/include/doc/README"
    # Self-test: a misspelt name, and a wrong name inside a list, must both fail.
    printf '%s\n' '/* proofs/Deep.v bp3_bias_any_depth, bp9_no_such_theorem, and' \
        ' * proofs/Deep.v bp4_weight_any_depthx */' >"$T/bad.c"
    cites "$T/bad.c" >"$T/badlist"
    mv "$T/fail" "$T/fail.keep"; : >"$T/fail"
    check_thm "$T/badlist" "self-test" >"$T/bad.out"
    if [ "$(grep -c '^not ok' "$T/bad.out")" = 2 ] && [ "$(grep -c '^ok' "$T/bad.out")" = 1 ]; then
        echo "ok - self-test: two wrong citations rejected, the right one accepted"
    else echo "not ok - self-test:"; sed 's/^/#   /' "$T/bad.out"; echo x >>"$T/fail.keep"; fi
    mv "$T/fail.keep" "$T/fail"
    if grep -q '\.\./shared/SPEC' "$top/README.md"; then
        echo "not ok - README.md links a SPEC outside the repository"; echo x >>"$T/fail"
    else echo "ok - README.md has no link outside the repository to SPEC"; fi
    if grep -q '(doc/mathematics\.md' "$top/README.md"; then echo "ok - README.md links doc/mathematics.md"
    else echo "not ok - README.md does not link doc/mathematics.md"; echo x >>"$T/fail"; fi
fi
[ -s "$T/fail" ] && exit 1
exit 0
