#!/bin/sh
# doc/gradproof.1 documents every command of `gradproof --help` and every option of each
# command's --help.
set -u
GP=${top_builddir:-.}/src/gradproof
MAN=${srcdir:-.}/doc/gradproof.1
fail=0
[ -f "$MAN" ] || { echo "not ok - $MAN missing"; exit 1; }
cmds=$("$GP" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || { echo "not ok - no commands in gradproof --help"; exit 1; }
for c in $cmds; do
    if grep -q "^\.SS \"gradproof $c" "$MAN"; then echo "ok - man: section for $c"
    else echo "not ok - man: no .SS section for '$c'"; fail=1; continue; fi
    for o in $("$GP" "$c" --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u); do
        roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        grep -q -- "$roff" "$MAN" || { echo "not ok - man: $c option $o undocumented"; fail=1; }
    done
done
exit $fail
