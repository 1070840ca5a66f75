# usage.sh: sourced by every script of scripts/ and bench/ as the first thing it does
# (bench/ sources "$(dirname "$0")/../scripts/usage.sh"):
#   . "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
# When the first argument is -h or --help, print the script's header comment (the
# comment lines after #!, its documentation) without the "# " and exit 0, before the
# script does anything else (no install, build or download).
script_help() {
    case "${2:-}" in
    -h | --help)
        sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p;}' "$1"
        exit 0
        ;;
    esac
}

# whole_numbers SCRIPT VALUE...: usage_error unless every VALUE is a whole number.
whole_numbers() {
    w_script=$1
    shift
    for w_v in "$@"; do
        case $w_v in '' | *[!0-9]*) usage_error "$w_script" "'$w_v' is not a whole number" ;; esac
    done
}

# in_range SCRIPT NAME MIN MAX VALUE: usage_error unless VALUE is a whole number in
# MIN..MAX (MAX < 10^9; a longer VALUE, leading zeros left out, is beyond it, and beyond
# what [ -gt ] takes).
in_range() {
    whole_numbers "$1" "$5"
    r_v=${5#"${5%%[!0]*}"}
    if [ ${#r_v} -gt 9 ] || [ "${r_v:-0}" -lt "$3" ] || [ "${r_v:-0}" -gt "$4" ]; then
        usage_error "$1" "$2 must be between $3 and $4, not $5"
    fi
}

# option_value SCRIPT OPTION [VALUE...]: usage_error unless OPTION is given a value.
option_value() {
    [ $# -ge 3 ] || usage_error "$1" "option '$2' needs a value"
}

# usage_error SCRIPT MESSAGE: one line on stderr and exit 2, the status of every
# script's usage errors.
usage_error() {
    echo "$(basename "$1" .sh): $2 (see: sh $1 --help)" >&2
    exit 2
}

# need_build SCRIPT FILE: one line and status 1 unless FILE, a file of the build tree the
# script is run from (cli/gradproof, a Makefile), is there.
need_build() {
    [ -e "$2" ] || {
        echo "$(basename "$1" .sh): $2 not found (run from the top of a built tree)" >&2
        exit 1
    }
}

# on_exit COMMAND: run COMMAND when the script exits, however it exits; HUP, INT and TERM
# end the script with status 128 + the signal's number, as a shell reports a process the
# signal killed. (A trap on a signal that does not exit lets sh go on with the next
# command, after COMMAND has removed its files.)
on_exit() {
    trap "$1" EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
