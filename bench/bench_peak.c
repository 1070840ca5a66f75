/* bench_peak: this core's clock and double-precision peak, measured, for
 * scripts/bench-train.sh's "% of peak". /proc/cpuinfo's MHz is the nominal (TSC) rate in
 * a VM, not the rate the core runs at: on the AVX-512 VM it said 2096 MHz while a chain
 * of dependent adds ran at 3.5 GHz. Prints one line:
 *   clock <GHz> GHz, peak <GFLOP/s> GFLOP/s (<flops/cycle> flops/cycle, <ISA>)
 * The clock is a chain of dependent integer adds (one a cycle); the peak is twelve
 * independent chains of FMAs on the widest vectors the CPU has (AVX-512, else AVX2 with
 * FMA), enough to cover the FMA latency on two pipes. Median of 5 runs each.
 *
 * A second line times the step of src/sparse-kernels.h's layer-1 kernels on one
 * 16-double panel row, with every row in L1 (128 rows, 16 KB), in core cycles per row:
 *   rows   the row's vectors loaded and multiply-added, rows contiguous: loads + FMAs;
 *   fwd    the forward sum's step: the row picked by an index, times a value (both
 *          loaded): two more loads per row;
 *   bp4    BP4's step: row[idx] += value d, a load and a store of each vector.
 * Their ratio to the FMAs' own time is the share of peak such a kernel can reach. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- the layer-1 step (16 doubles a row), every row in L1 ---- */
#define ROWS 128
#define ENTRIES 1024
#define PASSES 20000L
typedef double v8 __attribute__((vector_size(64)));
typedef double v4 __attribute__((vector_size(32)));
static double rows_[ROWS * 16] __attribute__((aligned(64)));
static unsigned idx_[ENTRIES];
static double val_[ENTRIES];
static volatile double sink;

/* The three steps for vectors V of W doubles (W = 8 or 4): four independent sets of
 * accumulators as the forward kernel keeps (its KU). */
#define NV (16 / W)
/* A multiply-add loop as the forward kernel's: row ROW(t) times X(t). */
#define SUM_FN(V, W, TARGET, NAME, ROW, X)                                               \
    TARGET static double NAME(void) {                                                    \
        V a[4][NV];                                                                      \
        memset(a, 0, sizeof a);                                                          \
        double t0 = now();                                                               \
        for (long r = 0; r < PASSES; r++)                                                \
            for (int t = 0; t < ENTRIES; t += 4)                                         \
                _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {                    \
                    const double *w = rows_ + (size_t)(ROW(t + k)) * 16;                 \
                    double x = X(t + k);                                                 \
                    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) a[k][v] +=      \
                        x * *(const V *)(const void *)(w + v * W);                       \
                }                                                                        \
        double dt = now() - t0;                                                          \
        sink = a[0][0][0] + a[1][NV - 1][0] + a[2][0][1] + a[3][0][0];                   \
        return dt;                                                                       \
    }
#define ROW_NEXT(t) ((t) % ROWS)
#define ROW_INDEXED(t) idx_[t]
#define X_HALF(t) 0.5
#define X_LOADED(t) val_[t]
#define STEP_FNS(V, W, TARGET, SFX)                                                      \
    SUM_FN(V, W, TARGET, rows_##SFX, ROW_NEXT, X_HALF)                                   \
    SUM_FN(V, W, TARGET, fwd_##SFX, ROW_INDEXED, X_LOADED)                               \
    TARGET static double bp4_##SFX(void) {                                               \
        V d[NV];                                                                         \
        for (int v = 0; v < NV; v++)                                                     \
            d[v] = (V){0} + 1e-300;                                                      \
        double t0 = now();                                                               \
        for (long r = 0; r < PASSES; r++)                                                \
            for (int t = 0; t < ENTRIES; t++) {                                          \
                double *w = rows_ + (size_t)idx_[t] * 16, x = val_[t];                   \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) *                   \
                    (V *)(void *)(w + v * W) += x * d[v];                                \
            }                                                                            \
        double dt = now() - t0;                                                          \
        sink = rows_[5];                                                                 \
        return dt;                                                                       \
    }
#define W 8
STEP_FNS(v8, 8, __attribute__((target("avx512f,fma"))), zmm)
#undef W
#define W 4
STEP_FNS(v4, 4, __attribute__((target("avx2,fma"))), ymm)
#undef W
#undef NV

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
    /* Rows in a scattered order, as a digit's pixels; values well inside (0, 1]. */
    for (int t = 0; t < ENTRIES; t++) {
        idx_[t] = (unsigned)((t * 37) % ROWS);
        val_[t] = (double)(t % 255 + 1) / 255.0;
    }
    double steps = (double)PASSES * ENTRIES, cyc = ghz * 1e9 / steps;
    double fma_row = 16.0 / (z ? 8 : 4) / (fmas / (ghz * 1e9)); /* cycles of FMA a row */
    double tr = median(z ? rows_zmm : rows_ymm) * cyc,
           tf = median(z ? fwd_zmm : fwd_ymm) * cyc,
           tu = median(z ? bp4_zmm : bp4_ymm) * cyc;
    printf(
        "layer-1 step, rows in L1: rows %.2f, fwd %.2f, bp4 %.2f cycles a 16-double row "
        "(FMAs alone %.2f: %.0f %%, %.0f %%, %.0f %% of peak)\n",
        tr, tf, tu, fma_row, 100 * fma_row / tr, 100 * fma_row / tf, 100 * fma_row / tu);
    return 0;
}
#else
int main(void) {
    fprintf(stderr, "bench_peak: x86-64 only\n");
    return 1;
}
#endif
