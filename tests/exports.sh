#!/bin/sh
# The library's exported symbols are its API: compare them (nm -D of the built
# libgradproof.so) with the committed list tests/exports.txt, as jansson does, so that
# nothing is exported or withdrawn by accident; and every exported name must be declared
# in a public header under include/gradproof/ (an internal gpi_ name or a helper
# without a declaration fails). After an intended API change:
#   sh tests/exports.sh --update    (rewrites tests/exports.txt from the build)
# Exit 77 (skipped, visibly) only when the build has no shared library or no nm.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top_builddir=${top_builddir:-.}
list=$SRC/tests/exports.txt
so=$top_builddir/src/.libs/libgradproof.so
command -v nm >/dev/null 2>&1 || skip "nm missing"
[ -f "$so" ] || skip "no shared library ($so; --disable-shared?)"
tmpdir exports
# Defined, global text/data/read-only symbols (T, D, B, R; V/W would be weak).
nm -D --defined-only "$so" | awk 'NF == 3 && $2 ~ /^[TDBRVW]$/ { print $3 }' |
    LC_ALL=C sort -u >"$T/built"
[ -s "$T/built" ] || die "nm found no exported symbol in $so"
if [ "${1:-}" = --update ]; then
    cp "$T/built" "$list" && echo "wrote $(wc -l <"$list") names to $list"
    exit 0
fi
if LC_ALL=C sort -u "$list" | cmp -s - "$T/built"; then
    echo "ok - exported symbols equal tests/exports.txt ($(wc -l <"$T/built") names)"
else
    echo "not ok - exported symbols differ from tests/exports.txt (< listed only, > built only):"
    LC_ALL=C sort -u "$list" | diff - "$T/built" | grep '^[<>]'
    echo "(an intended API change: sh tests/exports.sh --update)"
    fail=1
fi
cat "$SRC"/include/gradproof/*.h >"$T/headers"
n=0
while read -r name; do
    case $name in gp_*) ;; *) echo "not ok - $name is exported but is not a gp_ name"; fail=1; continue ;; esac
    grep -q "\\b$name\\b" "$T/headers" || {
        echo "not ok - $name is exported but no public header declares it"
        fail=1
    }
    n=$((n + 1))
done <"$T/built"
[ $fail = 0 ] && echo "ok - all $n exported names are gp_ names declared in include/gradproof/"
# The reverse: every function a header declares (a name followed by "(" at the start of
# a declaration, after its return type) is exported, so none is promised and missing.
grep -ho '^[a-z_][a-z_0-9 ]*[ *]gp_[a-z_0-9]*(' "$SRC"/include/gradproof/*.h |
    sed 's/.*[ *]\(gp_[a-z_0-9]*\)($/\1/' | LC_ALL=C sort -u >"$T/declared"
[ -s "$T/declared" ] || die "found no function declaration in include/gradproof/"
missing=$(LC_ALL=C comm -23 "$T/declared" "$T/built")
if [ -n "$missing" ]; then
    echo "not ok - declared in include/gradproof/ but not in the library:" $missing
    fail=1
else
    echo "ok - all $(wc -l <"$T/declared") declared functions are exported"
fi
exit $fail
