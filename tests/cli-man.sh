#!/bin/sh
# doc/gradproof.1 documents every command of `gradproof --help` and every option of each
# command's --help. For the commands whose options come from the option table (the
# man page's `.\" BEGIN OPTIONS CMD` blocks, which every command has), the block must be exactly what
# `gradproof CMD --man-options` prints, and every option must have the same default in
# --help and in the man page. The same checks run on a doctored copy of the page, which
# they must reject.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
MAN=${srcdir:-.}/doc/gradproof.1
[ -f "$MAN" ] || die "$MAN missing"
tmpdir cli-man
cmds=$("$GP" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || die "no commands in gradproof --help"

# "--name default" per option of `CMD --help` (continuation lines joined; "-" when the
# option shows no default).
help_defaults() {
    "$GP" "$1" --help | awk '
        function flush() { if (name != "" && name != "--help") {
            d = "-"; if (match(text, /\[[^]]*\]$/)) d = substr(text, RSTART + 1, RLENGTH - 2)
            print name, d } name = "" }
        /^  (-[a-zA-Z], |    )--[a-z]/ { flush(); match($0, /--[a-z0-9-]+/)
            name = substr($0, RSTART, RLENGTH); text = $0; next }
        /^                         / && name != "" { sub(/^ +/, " "); text = text $0; next }
        { flush() }
        END { flush() }'
}

# The same from the man page's block of CMD: ".TP", the option line, its text.
man_defaults() { # man cmd
    awk -v cmd="$2" '
        $0 ~ "^\\.\\\\\" BEGIN OPTIONS " cmd " " { on = 1; next }
        $0 ~ "^\\.\\\\\" END OPTIONS " cmd "( |$)" { on = 0 }
        !on { next }
        /^\.TP$/ { want = 1; next }
        want == 1 { gsub(/\\-/, "-"); match($0, /--[a-z0-9-]+/); name = substr($0, RSTART, RLENGTH)
            want = 2; next }
        want == 2 { gsub(/\\-/, "-"); d = "-"
            if (match($0, /\[[^]]*\]$/)) d = substr($0, RSTART + 1, RLENGTH - 2)
            print name, d; want = 0 }' "$1"
}

man_block() { # man cmd
    awk -v cmd="$2" '
        $0 ~ "^\\.\\\\\" END OPTIONS " cmd "( |$)" { on = 0 }
        on { print }
        $0 ~ "^\\.\\\\\" BEGIN OPTIONS " cmd " " { on = 1 }' "$1"
}

# check MAN: 0 when MAN documents every command and option as described above.
check() {
    man=$1 st=0
    for c in $cmds; do
        if ! grep -q "^\.SS \"gradproof $c" "$man"; then
            echo "# man: no .SS section for '$c'"; st=1; continue
        fi
        if ! grep -q "^\.\\\\\" BEGIN OPTIONS $c " "$man"; then
            echo "# man: no generated option list for '$c' (.\\\" BEGIN OPTIONS $c)"; st=1; continue
        fi
        "$GP" "$c" --man-options > "$T/table" || { echo "# $c --man-options failed"; st=1; }
        man_block "$man" "$c" > "$T/block"
        cmp -s "$T/table" "$T/block" ||
            { echo "# man: $c options differ from '$c --man-options' (sh scripts/update-man.sh)"; st=1; }
        help_defaults "$c" | sort > "$T/help"
        man_defaults "$man" "$c" | sort > "$T/mand"
        [ -s "$T/help" ] || { echo "# $c --help lists no options"; st=1; }
        cmp -s "$T/help" "$T/mand" ||
            { echo "# $c: options or defaults differ between --help and the man page:"
              diff "$T/help" "$T/mand" | sed 's/^/#   /'; st=1; }
    done
    return $st
}

check "$MAN" && ok "man page documents every command and option, table blocks current" ||
    bad "man page out of date"
for c in $cmds; do
    grep -q "^\.\\\\\" BEGIN OPTIONS $c " "$MAN" && ok "$c: man option list generated from the table" ||
        bad "$c: man option list not generated from the table"
    n=$(help_defaults "$c" | wc -l)
    [ "$n" -ge 2 ] && ok "$c --help: $n options with their defaults parsed" || bad "$c --help parsed: $n options"
done
# Teeth: a changed default (train, check), a dropped option (evaluate, compare) and a
# changed help text are each caught.
sed '/BEGIN OPTIONS train/,/END OPTIONS train/s/^number of epochs \[30\]$/number of epochs [40]/' "$MAN" > "$T/m1"
sed '/BEGIN OPTIONS evaluate/,/END OPTIONS evaluate/{/^\.BI \\-\\-eval= SET$/{N;d;}}' "$MAN" > "$T/m2"
sed '/BEGIN OPTIONS slowdown/,/END OPTIONS slowdown/s/gnuplot/GNUplot/' "$MAN" > "$T/m3"
sed '/BEGIN OPTIONS check/,/END OPTIONS check/s/^random networks per cost \[200\]$/random networks per cost [300]/' "$MAN" > "$T/m4"
sed '/BEGIN OPTIONS compare/,/END OPTIONS compare/{/^\.BI \\-\\-worst= N$/{N;d;}}' "$MAN" > "$T/m5"
for m in m1 m2 m3 m4 m5; do
    if cmp -s "$MAN" "$T/$m"; then bad "doctored copy $m equals the page (the sed missed)"
    elif check "$T/$m" > /dev/null; then bad "doctored man page $m accepted"
    else ok "doctored man page $m rejected"; fi
done
exit $fail
