#!/bin/sh
# Every C source and header of the project matches the checked-in .clang-format
# (clang-format 14, the version the style was written for; Debian 12's). Controls run
# first: a file indented by 2 (LLVM's default, wrong for IndentWidth 4) must be rejected
# and the same file indented by 4 accepted, so a style file that is not read or a
# checker that rejects everything cannot pass. Exit 77 (skipped) only when no
# clang-format 14 is installed (scripts/install-deps.sh installs it, so CI never skips).
# Usage: tests/format.sh [FILE...]   (default: src/ include/ tests/ examples/ bench/ cli/)
set -u
. "${top_srcdir:-.}/tests/lib.sh"
STYLE=$SRC/.clang-format
CF=""
for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1 && "$c" --version | grep -q 'version 14\.'; then
        CF=$c
        break
    fi
done
[ -n "$CF" ] || skip "clang-format 14 not installed"
[ -f "$STYLE" ] || die "$STYLE missing"
tmpdir format
check() { "$CF" --style="file:$STYLE" --dry-run -Werror "$1" 2>>"$T/errors"; }

printf 'int f(void) {\n  return 0;\n}\n' >"$T/indent2.c"
printf 'int f(void) {\n    return 0;\n}\n' >"$T/indent4.c"
if check "$T/indent2.c"; then
    echo "not ok - control: a file indented by 2 is rejected"
    fail=1
fi
check "$T/indent4.c" || { echo "not ok - control: a file indented by 4 passes"; fail=1; }
[ $fail -eq 0 ] && echo "ok - controls: the style file is read and decides"
: >"$T/errors"

if [ $# -eq 0 ]; then
    for d in src include tests examples bench cli; do
        [ -d "$SRC/$d" ] && find "$SRC/$d" -type f \( -name '*.c' -o -name '*.h' \)
    done | LC_ALL=C sort >"$T/files"
else
    printf '%s\n' "$@" >"$T/files"
fi
n=0
bad=0
while IFS= read -r f; do
    n=$((n + 1))
    if ! check "$f"; then
        echo "not ok - $f does not match .clang-format (fix: $CF -i $f)"
        bad=$((bad + 1))
    fi
done <"$T/files"
[ "$n" -gt 0 ] || die "no C files found"
if [ "$bad" -gt 0 ]; then
    head -n 20 "$T/errors"
    fail=1
fi
echo "$((n - bad)) of $n C files match .clang-format"
exit $fail
