# usage.sh: sourced by every script of scripts/ as the first thing it does:
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

# usage_error SCRIPT MESSAGE: one line on stderr and exit 2, the status of every
# script's usage errors.
usage_error() {
    echo "$(basename "$1" .sh): $2 (see: sh $1 --help)" >&2
    exit 2
}
