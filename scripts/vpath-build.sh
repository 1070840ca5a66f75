#!/bin/sh
# Configure and build gradproof in DIR/obj, a separate (VPATH) build, leaving the
# in-tree build alone: for the sanitizer and fuzzing builds (scripts/test-all.sh,
# scripts/fuzz.sh). Usage: scripts/vpath-build.sh DIR [configure options...]
# Automake refuses a VPATH build of a source tree that is itself configured, so the
# sources are then a `make dist` copy in DIR/src; files whose contents did not change
# keep their time stamps, so a second run rebuilds only what changed.
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
set -eu
cd "$(dirname "$0")/.."
dir=$(pwd)/$1
shift
[ -x configure ] || autoreconf -fi
src=$(pwd)
if [ -f config.status ]; then
    make dist-gzip >/dev/null
    rm -rf "$dir/stage"
    mkdir -p "$dir/stage" "$dir/src"
    version=$(./configure --version | sed -n '1s/.* //p')
    tar -xzf "gradproof-$version.tar.gz" -C "$dir/stage" --strip-components=1
    (cd "$dir/stage" && find . -type f) | while read -r f; do
        if ! cmp -s "$dir/stage/$f" "$dir/src/$f"; then
            mkdir -p "$(dirname "$dir/src/$f")"
            cp -p "$dir/stage/$f" "$dir/src/$f"
        fi
    done
    # Files the new tarball no longer has (moved or deleted sources) must not linger:
    # an old src/cli.h would shadow cli/cli.h.
    (cd "$dir/src" && find . -type f) | while read -r f; do
        [ -e "$dir/stage/$f" ] || rm -f "$dir/src/$f"
    done
    rm -rf "$dir/stage"
    src=$dir/src
fi
mkdir -p "$dir/obj"
cd "$dir/obj"
# Reconfigure when the options or the source directory changed (a build made while the
# tree was unconfigured points at the tree itself, which automake then refuses).
if [ ! -f Makefile ] || [ "$src $*" != "$(cat .build-options 2>/dev/null)" ]; then
    [ ! -f Makefile ] || make distclean >/dev/null 2>&1 || rm -f Makefile config.status
    "$src/configure" "$@"
    printf '%s' "$src $*" > .build-options
fi
make -j"$(nproc)"
