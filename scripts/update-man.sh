#!/bin/sh
# Regenerate the option lists of doc/gradproof.1 from the option table: the lines between
# `.\" BEGIN OPTIONS CMD` and `.\" END OPTIONS CMD` become `gradproof CMD --man-options`.
# tests/cli-man.sh fails when the committed page differs from what this writes.
# Usage: sh scripts/update-man.sh [GRADPROOF [MANPAGE]]
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
GP=${1:-cli/gradproof}
MAN=${2:-doc/gradproof.1}
tmp=$(mktemp "${TMPDIR:-/tmp}/gradproof.1.XXXXXX")
on_exit 'rm -f "$tmp"'
while IFS= read -r line; do
    case $line in
    '.\" END OPTIONS '*) skip=0 ;;
    esac
    [ "${skip:-0}" -eq 1 ] || printf '%s\n' "$line"
    case $line in
    '.\" BEGIN OPTIONS '*)
        cmd=$(printf '%s\n' "$line" | sed 's/^.* BEGIN OPTIONS \([a-z-]*\).*/\1/')
        "$GP" "$cmd" --man-options
        skip=1 ;;
    esac
done < "$MAN" > "$tmp"
cp "$tmp" "$MAN"
