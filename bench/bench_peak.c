/* bench_peak: this core's clock and double-precision peak, measured, for
 * scripts/bench-train.sh's "% of peak". /proc/cpuinfo's MHz is the nominal (TSC) rate in
 * a VM, not the rate the core runs at: on the AVX-512 VM it said 2096 MHz while a chain
 * of dependent adds ran at 3.5 GHz. Prints one line:
 *   clock <GHz> GHz, peak <GFLOP/s> GFLOP/s (<flops/cycle> flops/cycle, <ISA>)
 * The clock is a chain of dependent integer adds (one a cycle); the peak is twelve
 * independent chains of FMAs on the widest vectors the CPU has (AVX-512, else AVX2 with
 * FMA), enough to cover the FMA latency on two pipes. Median of 5 runs each. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define RUNS 5
#define N 100000000L

#if defined(__x86_64__)
/* Seconds for N dependent adds. */
static double adds(void) {
    unsigned long x = 0;
    double t0 = now();
    for (long i = 0; i < N; i++)
        __asm__ volatile("add $1, %0" : "+r"(x));
    return now() - t0;
}

/* Seconds for N x 12 FMAs of the given register width ("zmm" or "ymm"). */
#define FMA12(r)                                                                         \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "3\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "4\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "5\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "6\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "7\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "8\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "9\n\t"                                       \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "10\n\t"                                      \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "11\n\t"                                      \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "12\n\t"                                      \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "13\n\t"                                      \
    "vfmadd231pd %%" r "1, %%" r "2, %%" r "14\n\t"
#define CLOBBER                                                                          \
    "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",     \
        "xmm11", "xmm12", "xmm13", "xmm14"

__attribute__((target("avx512f"))) static double fma_zmm(void) {
    double t0 = now();
    for (long i = 0; i < N; i++)
        __asm__ volatile(FMA12("zmm")::: CLOBBER);
    return now() - t0;
}

__attribute__((target("avx2,fma"))) static double fma_ymm(void) {
    double t0 = now();
    for (long i = 0; i < N; i++)
        __asm__ volatile(FMA12("ymm")::: CLOBBER);
    return now() - t0;
}

static double median(double (*f)(void)) {
    double t[RUNS];
    for (int r = 0; r < RUNS; r++)
        t[r] = f();
    qsort(t, RUNS, sizeof *t, cmp);
    return t[RUNS / 2];
}

int main(void) {
    __builtin_cpu_init();
    int z = __builtin_cpu_supports("avx512f");
    if (!z && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        fprintf(stderr, "bench_peak: this CPU has neither AVX-512 nor AVX2 with FMA\n");
        return 1;
    }
    double ghz = (double)N / median(adds) / 1e9;
    double fmas = 12.0 * (double)N / median(z ? fma_zmm : fma_ymm);
    double gflops = fmas * (z ? 8 : 4) * 2 / 1e9;
    printf("clock %.2f GHz, peak %.1f GFLOP/s (%.1f flops/cycle, %s)\n", ghz, gflops,
           gflops / ghz, z ? "AVX-512" : "AVX2+FMA");
    return 0;
}
#else
int main(void) {
    fprintf(stderr, "bench_peak: x86-64 only\n");
    return 1;
}
#endif
