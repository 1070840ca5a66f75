#!/bin/sh
# The whole test suite, as CI runs it: install dependencies, build with warnings as
# errors, run make check (property tests, mutation controls, proofs, CLI tests),
# make distcheck, and a 1-epoch training run on the real MNIST data (> 90 % required).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh --enable-werror --enable-proofs=yes
# The real MNIST, so that the IDX suite also reads the real files (GP_MNIST_DIR), and
# Fashion-MNIST comes with the dependencies (/usr/share/datasets/fashion-mnist).
sh scripts/fetch-mnist.sh data
GP_MNIST_DIR=$(pwd)/data
export GP_MNIST_DIR
status=0
make -j"$(nproc)" check || status=$?
if [ "$status" -ne 0 ]; then
    # Show the logs of the tests that failed.
    for log in $(grep -l -E '^:test-result: (FAIL|ERROR)' tests/*.trs 2>/dev/null); do
        echo "==== ${log%.trs}.log"; cat "${log%.trs}.log"
    done
    exit "$status"
fi
make -j"$(nproc)" distcheck
sh scripts/mnist-check.sh
echo "test-all: every check passed"
