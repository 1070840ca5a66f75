#!/bin/sh
# A packager's view of the installed library: install the headers, libgradproof and
# gradproof.pc into a scratch DESTDIR (only those targets, so nothing in the build tree
# is rewritten while other tests run), then
#  - gradproof.pc names its private dependencies (jansson, zlib) and --static lists them;
#  - make install prefix=DIR: the .pc and the Python package name DIR;
#  - examples/gradcheck.c compiles with only the installed headers and links with only
#    `pkg-config --cflags --libs gradproof`, and runs (PASS).
# Exit 77 (skipped) only when pkg-config or a C compiler is missing.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top_builddir=${top_builddir:-.}
MAKE=${MAKE:-make}
CC=${CC:-cc}
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config missing"
command -v "${CC%% *}" >/dev/null 2>&1 || skip "no C compiler"
tmpdir pkgconfig

$MAKE -s -C "$top_builddir" DESTDIR="$T/root" install-pkgincludeHEADERS \
    install-libLTLIBRARIES install-pkgconfigDATA >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; bad "make install of headers, library and .pc"; exit 1; }
pc=$(find "$T/root" -name gradproof.pc | head -n 1)
[ -n "$pc" ] || { bad "gradproof.pc installed"; exit 1; }
# The sysroot maps the .pc's own -I/-L paths into DESTDIR.
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$T/root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# `make install prefix=DIR` (GNU's way to install elsewhere than configured): the
# installed .pc names DIR (it named configure's prefix, so -I led nowhere).
$MAKE -s -C "$top_builddir" prefix="$T/p" install-pkgconfigDATA install-libLTLIBRARIES \
    install-pythonpkgDATA install-data-hook \
    >"$T/install-p.log" 2>&1 || { cat "$T/install-p.log"; bad "make install prefix=DIR"; }
# ... and the installed Python package loads the library installed with it (it looked in
# the build tree and the system only: OSError, libgradproof.so.0 not found).
if "$PY" -c 'import numpy' 2>/dev/null; then
    got=$(env -u GRADPROOF_LIB PYTHONPATH="$T/p/lib/python3/dist-packages" "$PY" -c \
        'import gradproof._lib as l; print(l.lib._name)' 2>&1)
    [ "$got" = "$T/p/lib/libgradproof.so.0" ] &&
        ok "make install prefix=DIR: the Python package loads DIR/lib/libgradproof.so.0" ||
        bad "make install prefix=DIR: the Python package loads DIR/lib's library (got: $got)"
else
    ok "# SKIP the installed Python package: $PY lacks numpy"
fi
if grep -qx "prefix=$T/p" "$T/p/lib/pkgconfig/gradproof.pc"; then
    ok "make install prefix=DIR: gradproof.pc names DIR"
else
    bad "make install prefix=DIR: gradproof.pc names DIR (got: $(grep '^prefix=' \
        "$T/p/lib/pkgconfig/gradproof.pc"))"
fi

priv=$(pkg-config --print-requires-private gradproof | tr '\n' ' ')
case " $priv" in *" jansson "*) ok "Requires.private has jansson" ;;
    *) bad "Requires.private has jansson (got: $priv)" ;; esac
case " $priv" in *" zlib "*) ok "Requires.private has zlib" ;;
    *) bad "Requires.private has zlib (got: $priv)" ;; esac
static=$(pkg-config --static --libs gradproof)
for l in -lgradproof -ljansson -lz -lgsl -lm; do
    case " $static " in *" $l "*) ok "--static --libs has $l" ;;
        *) bad "--static --libs has $l (got: $static)" ;; esac
done

# Only the installed headers: no -I into the source tree, no config.h.
# shellcheck disable=SC2046
if $CC -o "$T/gradcheck" "$SRC/examples/gradcheck.c" \
    $(pkg-config --cflags --libs gradproof) 2>"$T/cc.log"; then
    ok "examples/gradcheck.c builds with pkg-config --cflags --libs gradproof"
    libdir=$(dirname "$(find "$T/root" -name 'libgradproof.so*' | head -n 1)")
    if LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$T/gradcheck" \
        >"$T/run.log" 2>&1 && grep -q '^verdict: PASS$' "$T/run.log"; then
        ok "the program linked against the installed library runs and passes"
    else
        cat "$T/run.log"
        bad "the program linked against the installed library runs and passes"
    fi
else
    cat "$T/cc.log"
    bad "examples/gradcheck.c builds with pkg-config --cflags --libs gradproof"
fi
exit $fail
