# Sourced by the shell tests, after `set -u`: . "${top_srcdir:-.}/tests/lib.sh"
# GP (the built CLI) and SRC (the source tree) as absolute paths, so a test may cd;
# PY, the Python of the peers ($PYTHON or Debian's /usr/bin/python3); ok/bad print TAP
# lines and bad sets fail=1 (a test ends with `exit $fail`); die prints a failure and
# stops the test at once (exit 1), skip stops it with status 77.
GP=${top_builddir:-.}/cli/gradproof
case $GP in /*) ;; *) GP=$(pwd)/$GP ;; esac
SRC=${top_srcdir:-.}
case $SRC in /*) ;; *) SRC=$(pwd)/$SRC ;; esac
PY=${PYTHON:-/usr/bin/python3}
fail=0
ok() { printf 'ok - %s\n' "$1"; }
bad() { printf 'not ok - %s\n' "$1"; fail=1; }
die() { printf 'not ok - %s\n' "$*"; exit 1; }
skip() { echo "$*: skip"; exit 77; }
need_py() { # module...: skip unless $PY imports every module
    [ -x "$PY" ] && "$PY" -c "import $(echo "$*" | sed 's/ /, /g')" 2>/dev/null ||
        skip "$PY lacks one of: $*"
}
# (The build's Makefile as an absolute path too: a test may have cd'ed to its tmpdir.)
gp_makefile=$(cd "${top_builddir:-.}" && pwd)/Makefile
asan_build() { # true when the build uses AddressSanitizer
    grep -q -- '-fsanitize=address' "$gp_makefile" 2>/dev/null
}
tmpdir() { # name: T = a new directory, removed when the test exits (also on INT/TERM)
    T=$(mktemp -d "${TMPDIR:-/tmp}/gp-$1.XXXXXX") || exit 99
    gp_tmp=$T
    trap 'rm -rf "$gp_tmp"' EXIT
    trap 'exit 1' INT TERM
}
# expect status pattern args...: `gradproof ARGS` exits with STATUS and the first line of
# its stderr contains PATTERN (under `timeout $GP_TIMEOUT` when that is set, so a hang
# shows as status 124), and the command in EXPECT_ALSO, if any, succeeds after it.
expect() {
    want=$1 pat=$2
    shift 2
    err=$(${GP_TIMEOUT:+timeout "$GP_TIMEOUT"} "$GP" "$@" 2>&1 >/dev/null); st=$?
    first=$(printf '%s\n' "$err" | head -n 1)
    if [ "$st" -eq "$want" ] && printf '%s' "$first" | grep -q -- "$pat" &&
        eval "${EXPECT_ALSO:-:}"; then
        ok "$* -> $st: $first"
    else bad "$* (status $st, expected $want, said: $first)"; fi
}
expect_error() { expect 1 "$@"; } # a usage error: status 1
expect_input() { expect 2 "$@"; } # an unusable input file: status 2
