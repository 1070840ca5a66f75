#!/bin/sh
# tests/simd-variants.sh: the suites that run the SIMD kernels (sparse step, trainer,
# batch sigmoid), once more for each variant below the CPU's best, selected with
# GRADPROOF_SIMD; a machine without AVX-512 or AVX2 would run those variants and nothing
# else, so they are tested here too. `gradproof --version` must name the variant asked
# for (the cap took effect), then every suite must pass.
set -u
top_builddir=${top_builddir:-.}
gp="$top_builddir/cli/gradproof"
fail() { echo "FAIL: $*" >&2; exit 1; }
best=$("$gp" --version | sed -n 's/.*SIMD: \([a-z0-9]*\)).*/\1/p')
case $best in
avx512) variants="avx2 baseline" ;;
avx2) variants="baseline" ;;
baseline) variants="" ;;
*) fail "gradproof --version names no SIMD variant: $("$gp" --version)" ;;
esac
echo "best variant here: $best; testing also: ${variants:-none}"
for v in $variants; do
    got=$(GRADPROOF_SIMD=$v "$gp" --version | sed -n 's/.*SIMD: \([a-z0-9]*\)).*/\1/p')
    [ "$got" = "$v" ] || fail "GRADPROOF_SIMD=$v gave the $got variant"
    for t in check_sparse check_train check_activation check_cost check_oracle; do
        GRADPROOF_SIMD=$v "$top_builddir/tests/$t" >"$t-$v.out" 2>&1 ||
            { cat "$t-$v.out"; fail "$t with GRADPROOF_SIMD=$v"; }
        echo "ok - $t with GRADPROOF_SIMD=$v: $(tail -1 "$t-$v.out")"
        rm -f "$t-$v.out"
    done
done
