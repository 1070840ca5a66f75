#!/bin/sh
# tests/python.sh: the Python package's pytest suite (python/tests) with Debian's python3,
# against the library just built (GRADPROOF_LIB). Skips (77) only without pytest/numpy/torch.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
need_py pytest numpy torch
# A library built with AddressSanitizer cannot be dlopen'ed by a python3 that was not:
# the sanitizer build (scripts/test-all.sh) skips this suite; the normal build runs it.
asan_build && skip "library built with AddressSanitizer: the Python suite runs in the normal build"
GRADPROOF_LIB=$(cd "$top_builddir" && pwd)/src/.libs/libgradproof.so.0
PYTHONPATH="$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}"
# GP: the CLI, for the tests that compare the package's results with the command's
export GRADPROOF_LIB PYTHONPATH top_srcdir GP
exec "$PY" -m pytest -q -rs -p no:cacheprovider "$top_srcdir/python/tests"
