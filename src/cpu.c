/* cpu.c: which SIMD variant of the kernels runs (sparse.c, activation.c). The best the
 * CPU supports, unless the environment variable GRADPROOF_SIMD caps it (baseline, avx2
 * or avx512: tests run every variant on one machine; an unknown value caps nothing). */
#include <config.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const names[] = {"baseline", "avx2", "avx512"};

static gpi_simd cpu_level(void) {
#if defined(HAVE_X86_SIMD)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("fma"))
        return GPI_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return GPI_SIMD_AVX2;
#endif
    return GPI_SIMD_BASELINE;
}

gpi_simd gpi_simd_level(void) {
    static atomic_int known = -1;
    int level = atomic_load_explicit(&known, memory_order_relaxed);
    if (level < 0) {
        level = (int)cpu_level();
        const char *cap = getenv("GRADPROOF_SIMD");
        for (int k = 0; cap && k < level; k++)
            if (strcmp(cap, names[k]) == 0)
                level = k;
        atomic_store_explicit(&known, level, memory_order_relaxed);
    }
    return (gpi_simd)level;
}

const char *gp_simd(void) {
    return names[gpi_simd_level()];
}
