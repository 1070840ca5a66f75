#!/bin/sh
# Build the libFuzzer harnesses of fuzz/ with clang (ASan + UBSan + libFuzzer) in
# build/fuzz, a separate build, and run each for FUZZ_SECONDS (default 30); exits
# non-zero on any finding (crash, sanitizer report, leak, timeout, memory above the
# limits). Figures per harness are printed; logs and findings are in
# build/fuzz/obj/fuzz-out/. Usage: [FUZZ_SECONDS=600] scripts/fuzz.sh
# FUZZ_LANES=K runs the harnesses in K parallel lanes (the Makefile's order dealt
# round-robin, so a harness always runs in the same lane and keeps its corpus), each
# in build/fuzz/lane-a, lane-b, ... with its own fuzz-out/, at nice FUZZ_NICE
# (default 0): the long campaign of the README is FUZZ_SECONDS=1080 FUZZ_LANES=2.
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
[ $# -eq 0 ] || usage_error "$0" "takes no arguments (FUZZ_SECONDS, FUZZ_LANES, FUZZ_NICE come from the environment)"
set -eu
cd "$(dirname "$0")/.."
B=${FUZZ_BUILD:-build/fuzz}
lanes=${FUZZ_LANES:-1}
case $lanes in [1-8]) ;; *) echo "fuzz.sh: FUZZ_LANES must be 1 to 8, not '$lanes'" >&2; exit 1 ;; esac
sh scripts/vpath-build.sh "$B" CC=clang --enable-fuzz --enable-werror --enable-proofs=no
if [ "$lanes" -eq 1 ]; then
    exec make -C "$B/obj" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
fi
harnesses=$(make -s -C "$B/obj" fuzz-list)
make -C "$B/obj" $harnesses
B=$(cd "$B" && pwd)
i=0
for lane in a b c d e f g h; do
    [ $i -lt "$lanes" ] || break
    mine=$(printf '%s\n' $harnesses | awk -v k="$lanes" -v i=$i '(NR - 1) % k == i')
    mkdir -p "$B/lane-$lane"
    ln -sfn "$B/obj/fuzz" "$B/lane-$lane/fuzz"
    (cd "$B/lane-$lane" && FUZZ_SECONDS="${FUZZ_SECONDS:-30}" nice -n "${FUZZ_NICE:-0}" \
        sh "$B/src/fuzz/run.sh" "$B/src" $mine > lane.log 2>&1; echo $? > lane.status) &
    i=$((i + 1))
done
wait
status=0
for lane in a b c d e f g h; do
    [ -f "$B/lane-$lane/lane.status" ] || continue
    echo "lane $lane ($B/lane-$lane/fuzz-out):"
    cat "$B/lane-$lane/lane.log"
    [ "$(cat "$B/lane-$lane/lane.status")" -eq 0 ] || status=1
    rm -f "$B/lane-$lane/lane.status"
done
exit $status
