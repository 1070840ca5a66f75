#!/bin/sh
# The whole test suite, as CI runs it: install dependencies, build with warnings as
# errors, run make check (property tests, mutation controls, proofs, CLI tests),
# make distcheck, a 1-epoch training run on the real MNIST data (> 90 % required),
# make check again under ASan + UBSan, and every fuzz harness for FUZZ_SECONDS (20).
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
[ $# -eq 0 ] || usage_error "$0" "takes no arguments (FUZZ_SECONDS and GP_* come from the environment)"
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh --enable-werror --enable-proofs=yes
# The real MNIST, so that the IDX suite also reads the real files (GP_MNIST_DIR), and
# Fashion-MNIST comes with the dependencies (/usr/share/datasets/fashion-mnist).
sh scripts/fetch-mnist.sh data
GP_MNIST_DIR=$(pwd)/data
export GP_MNIST_DIR
# make check in build directory $1 (further arguments go to make); on failure show the
# logs of the tests that failed and stop.
check_in() {
    dir=$1
    shift
    status=0
    make -C "$dir" -j"$(nproc)" "$@" check || status=$?
    if [ "$status" -ne 0 ]; then
        for log in $(grep -l -E '^:test-result: (FAIL|ERROR)' "$dir"/tests/*.trs 2>/dev/null); do
            echo "==== ${log%.trs}.log"; cat "${log%.trs}.log"
        done
        exit "$status"
    fi
}
check_in .
make -j"$(nproc)" distcheck
sh scripts/mnist-check.sh
# make check again under AddressSanitizer + UndefinedBehaviorSanitizer, every report
# fatal, in a separate build (build/sanitizers); the proofs ran above. Sanitized code
# runs a few times slower, so Check's per-test time limits are stretched. Programs
# built without the sanitizers (tests/pkgconfig.sh's example) get the ASan runtime
# through libgradproof, not first in the library list: verify_asan_link_order=0.
sh scripts/vpath-build.sh build/sanitizers --enable-werror --enable-sanitizers --enable-proofs=no
CK_TIMEOUT_MULTIPLIER=5 ASAN_OPTIONS=verify_asan_link_order=0
export CK_TIMEOUT_MULTIPLIER ASAN_OPTIONS
check_in build/sanitizers/obj
unset CK_TIMEOUT_MULTIPLIER ASAN_OPTIONS
# Every libFuzzer harness of fuzz/ for a short budget (clang, in build/fuzz); any
# finding fails. The README gives the longer run.
FUZZ_SECONDS=${FUZZ_SECONDS:-20} sh scripts/fuzz.sh
echo "test-all: every check passed"
