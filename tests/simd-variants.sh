#!/bin/sh
# tests/simd-variants.sh: the suites that run the SIMD kernels (sparse step, trainer,
# the activations' batch forms), once more for each variant below the CPU's best,
# selected with GRADPROOF_SIMD; a machine without AVX-512 or AVX2 would run those variants and nothing
# else, so they are tested here too. `gradproof --version` must name the variant asked
# for (the cap took effect), then every suite must pass.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
top_builddir=${top_builddir:-.}
best=$("$GP" --version | sed -n 's/.*SIMD: \([a-z0-9]*\)).*/\1/p')
case $best in
avx512) variants="avx2 baseline" ;;
avx2) variants="baseline" ;;
baseline) variants="" ;;
*) die "gradproof --version names no SIMD variant: $("$GP" --version)" ;;
esac
echo "best variant here: $best; testing also: ${variants:-none}"
for v in $variants; do
    got=$(GRADPROOF_SIMD=$v "$GP" --version | sed -n 's/.*SIMD: \([a-z0-9]*\)).*/\1/p')
    [ "$got" = "$v" ] || die "GRADPROOF_SIMD=$v gave the $got variant"
    # check_backprop:Activations: every activation's properties, kinks and mutation
    # controls (the batch forms f_n run libmvec's tanh, exp and log1p per variant)
    for tc in check_sparse check_train check_activation check_cost check_oracle \
        check_backprop:Activations; do
        t=${tc%%:*} case=${tc#"$t"} case=${case#:}
        if [ -n "$case" ]; then export CK_RUN_CASE="$case"; else unset CK_RUN_CASE; fi
        GRADPROOF_SIMD=$v "$top_builddir/tests/$t" >"$t-$v.out" 2>&1 ||
            { cat "$t-$v.out"; die "$tc with GRADPROOF_SIMD=$v"; }
        grep -q 'Checks: [1-9]' "$t-$v.out" || { cat "$t-$v.out"; die "$tc ran no checks"; }
        echo "ok - $tc with GRADPROOF_SIMD=$v: $(tail -1 "$t-$v.out")"
        rm -f "$t-$v.out"
    done
done
