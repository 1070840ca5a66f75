#!/bin/sh
# Every C example in README.md is a file under examples/ that make check compiles and
# runs (check_PROGRAMS): here, every non-blank line of every ```c block of the README
# must occur (leading blanks ignored) in one examples/*.c file, so the README can quote
# a file's core lines but never show code that is not compiled.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
README=${1:-$SRC/README.md}
tmpdir examples-c
# Split the README's C blocks into block1.txt, block2.txt, ... (leading blanks removed).
awk -v dir="$T" '
    /^```c[[:space:]]*$/ { n++; inblock = 1; next }
    /^```/ { inblock = 0; next }
    inblock && NF { sub(/^[[:space:]]+/, ""); print > (dir "/block" n ".txt") }
' "$README"
set -- "$T"/block*.txt
[ -e "$1" ] || die "no C block in $README"
for block in "$@"; do
    found=""
    for ex in "$SRC"/examples/*.c; do
        sed 's/^[[:space:]]*//' "$ex" > "$T/ex.txt"
        if grep -vxFf "$T/ex.txt" "$block" > "$T/missing.txt"; then :; else
            found=$ex
            break
        fi
    done
    if [ -n "$found" ]; then
        echo "ok - README C block $(basename "$block" .txt) is quoted from $found"
    else
        echo "not ok - README C block $(basename "$block" .txt): lines in no examples/*.c file:"
        sed 's/^/    /' "$T/missing.txt"
        fail=1
    fi
done
exit $fail
