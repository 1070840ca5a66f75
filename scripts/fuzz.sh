#!/bin/sh
# Build the libFuzzer harnesses of fuzz/ with clang (ASan + UBSan + libFuzzer) in
# build/fuzz, a separate build, and run each for FUZZ_SECONDS (default 30); exits
# non-zero on any finding (crash, sanitizer report, leak, timeout, memory above the
# limits). Figures per harness are printed; logs and findings are in
# build/fuzz/obj/fuzz-out/. Usage: [FUZZ_SECONDS=600] scripts/fuzz.sh
set -eu
cd "$(dirname "$0")/.."
sh scripts/vpath-build.sh build/fuzz CC=clang --enable-fuzz --enable-werror --enable-proofs=no
make -C build/fuzz/obj fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
