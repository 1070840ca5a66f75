#!/bin/sh
# proofs/README.md ties each formula to a theorem, a C function and a Check test. Every
# name in that table must exist: the theorem in its proofs/*.v file, the C function (or
# cost object) in src/, the test in tests/. A renamed or deleted piece fails here.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top=${srcdir:-.}
table=$top/proofs/README.md
tmpdir proofs-table
[ -f "$table" ] || die "$table missing"
rows=$(grep -E '^\| .*\.v: ' "$table")
[ -n "$rows" ] || die "no formula rows in $table"
echo "$rows" | while IFS='|' read -r _ formula theorems cfuns tests _; do
    # Theorems: "File.v: `a`, `b`; Other.v: `c`".
    echo "$theorems" | tr ';' '\n' | while read -r part; do
        file=$(echo "$part" | sed -n 's/^ *\([A-Za-z]*\.v\):.*/\1/p')
        [ -n "$file" ] || continue
        for th in $(echo "$part" | grep -o '`[^`]*`' | tr -d '`'); do
            if grep -Eq "^(Theorem|Lemma|Corollary|Proposition) $th( |$)" "$top/proofs/$file"; then
                echo "ok - theorem $file $th"
            else echo "not ok - theorem $th not in proofs/$file"; echo x >> "$T/fail"; fi
        done
    done
    for f in $(echo "$cfuns" | grep -o '`gp_[a-z_]*' | tr -d '`'); do
        if grep -Eq "(^[a-z].*[ *]$f\(|^const gp_cost_type $f )" "$top"/src/*.c; then
            echo "ok - C $f"
        else echo "not ok - C function or cost object $f not defined in src/"; echo x >> "$T/fail"; fi
    done
    for t in $(echo "$tests" | grep -o '`test_[a-z0-9_]*`' | tr -d '`'); do
        if grep -q "START_TEST($t)" "$top"/tests/check_*.c; then echo "ok - test $t"
        else echo "not ok - Check test $t not in tests/"; echo x >> "$T/fail"; fi
    done
done
# (Citations "proofs/File.v name" in src/ and the docs: tests/doc-names.sh.)
[ ! -s "$T/fail" ]
