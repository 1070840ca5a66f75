#!/bin/sh
# fetch-fashion-mnist.sh [--copy] DIR: make Fashion-MNIST available in DIR.
#
# Installs the Debian package dataset-fashion-mnist (apt-get, needs root) unless it is
# already installed, then symbolically links (or with --copy, copies) its four gzipped
# IDX files, /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz,
# into DIR. gp_mnist_load and `gradproof --data=DIR` read them as they are. Idempotent.
#
# DIR must not also hold raw MNIST files: the loader prefers a raw name over its .gz.
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu

prog=fetch-fashion-mnist
die() { echo "$prog: $*" >&2; exit 1; }

copy=no
if [ "${1:-}" = "--copy" ]; then copy=yes; shift; fi
[ $# -eq 1 ] || usage_error "$0" "expected [--copy] DIR"
case $1 in -*) usage_error "$0" "unknown option '$1'" ;; esac
dir=$1
pkg=dataset-fashion-mnist
src=/usr/share/datasets/fashion-mnist
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    [ "$(id -u)" -eq 0 ] || die "the Debian package $pkg is not installed and installing it needs root"
    echo "$prog: installing $pkg"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$pkg"; } ||
        die "apt-get install $pkg failed"
fi
for f in $files; do
    [ -r "$src/$f.gz" ] || die "$pkg is installed but $src/$f.gz is missing"
done

mkdir -p "$dir" || die "cannot create directory '$dir'"
for f in $files; do
    [ ! -e "$dir/$f" ] || die "$dir/$f exists (raw MNIST?); it would shadow $f.gz: use another DIR"
done
for f in $files; do
    if [ "$copy" = yes ]; then
        tmp="$dir/.$f.gz.tmp.$$"
        if ! { cp "$src/$f.gz" "$tmp" && mv -f "$tmp" "$dir/$f.gz"; }; then
            rm -f "$tmp"
            die "cannot copy $f.gz into $dir"
        fi
    else
        ln -sfn "$src/$f.gz" "$dir/$f.gz" || die "cannot link $f.gz into $dir"
    fi
done
echo "$prog: Fashion-MNIST ($pkg) is in $dir"
