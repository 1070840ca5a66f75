#!/bin/sh
# Configure and build gradproof in the source tree (idempotent).
# Usage: scripts/build.sh [configure options...]
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
if [ ! -f Makefile ] || [ "$*" != "$(cat .build-options 2>/dev/null)" ]; then
    ./configure "$@"
    printf '%s' "$*" > .build-options
fi
make -j"$(nproc)"
