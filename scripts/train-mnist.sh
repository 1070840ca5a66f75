#!/bin/sh
# The main job: install what is needed, build, fetch MNIST, train [784,30,10] with the
# cross-entropy cost (network2.py's settings: large init, eta 0.5, batch 10, 30 epochs)
# and print test accuracy after every epoch. Extra arguments go to `gradproof train`
# (its options: cli/gradproof train --help, once built, or doc/gradproof.1).
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
sh scripts/build.sh
sh scripts/fetch-mnist.sh data
exec cli/gradproof train --data data --sizes 784,30,10 --cost cross-entropy --init large \
    --eta 0.5 --batch 10 --epochs 30 --eval test "$@"
