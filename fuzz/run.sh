#!/bin/sh
# fuzz/run.sh SRCDIR HARNESS...: run each libFuzzer harness for FUZZ_SECONDS (default
# 30) on its corpus, seeded by fuzz/make-corpus.py; `make fuzz` calls it. Work files go
# to fuzz-out/ in the current (build) directory: corpus/NAME (kept between runs, so a
# later run starts where the last one ended), seeds/, logs/NAME.log and findings/NAME-*
# (the input of a crash, leak, timeout or out-of-memory). Prints one line per harness
# with libFuzzer's figures, and for a finding the last lines of its log (libFuzzer's
# and the sanitizers' stderr), so that no finding is silent; exits 1 if any harness
# reported a finding.
set -eu
srcdir=$1
shift
seconds=${FUZZ_SECONDS:-30}
out=fuzz-out
mkdir -p "$out/corpus" "$out/logs" "$out/findings"
rm -rf "$out/seeds"
python3 "$srcdir/fuzz/make-corpus.py" "$out/seeds"
status=0
for harness in "$@"; do
    name=$(basename "$harness")
    mkdir -p "$out/corpus/$name"
    log="$out/logs/$name.log"
    # -timeout: a unit slower than 10 s is a hang; -rss_limit_mb / -malloc_limit_mb: a
    # process above 2 GB, or one malloc above 1 GB, is a finding (issue 14, bounded
    # memory: small files must not ask for gigabytes).
    if ./"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$out/findings/$name-" \
        "$out/corpus/$name" "$out/seeds/$name" >"$log" 2>&1; then
        result="no finding"
    else
        result="FINDING (see $log)"
        status=1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
    echo "$name: ${seconds} s, ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}: $result"
    if [ "$result" != "no finding" ]; then
        echo "  last lines of $log:"
        tail -n 20 "$log" | sed 's/^/  | /'
        grep -q -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |.*runtime error|.*deadly signal)' "$log" ||
            echo "  (no sanitizer or libFuzzer report in the log: the process ended without one)"
        ls "$out/findings/$name-"* 2>/dev/null | sed 's/^/  input: /' || true
    fi
done
exit "$status"
