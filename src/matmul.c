/* matmul.c: the matrix products of a step's upper layers (backprop.c), C = alpha op(A)
 * op(B) + beta C as gsl_blas_dgemm computes them. Those products are small (for
 * [784,30,10] and a mini-batch of 10: 3,000 multiply-adds each), and BLAS's packing and
 * dispatch cost several times their arithmetic; with AVX-512 they run here instead,
 * with every sum in registers, over a block of rows and 16 columns at a time. Larger
 * products (layer 1 of a dense batch), and every product without AVX-512, stay with
 * the BLAS.
 *
 * Each entry is a left-to-right sum, one FMA per term: S = (((0 + a_1 b_1) + a_2 b_2)
 * + ...), then C = alpha S (beta = 0) or C = fl(alpha S + fl(beta C)) in one FMA. That
 * is the order of proofs/FloatStep.v's model of the step, fl(fl(decay w) + fl(alpha F))
 * (sgd_step_fl_any_depth, with F any sum within its error bound), with fewer roundings:
 * each term and alpha S are not rounded on their own. The order depends on the shapes
 * only, never on the thread. */
#include <config.h>

#include <gsl/gsl_blas.h>

#include "internal.h"

#if defined(HAVE_X86_SIMD)
#include <immintrin.h>

#define MM_TARGET __attribute__((target("avx512f,avx512dq,fma")))
#define MM_ROWS 4       /* rows of C per block: 8 accumulators, two 8-lane halves each */
#define MM_SCRATCH 2048 /* doubles of B^T the NT form copies to the stack */

/* The kernel: C[r][c] = alpha sum_{j<k} L(r, j) R[j][c] (+ beta C[r][c]) for rows
 * [r0, r0 + nr), nr <= MM_ROWS, and columns [c0, c0 + 16) masked to the matrix, where
 * L(r, j) = l[r ls + j js] (A, or A^T through the strides) and R has row stride lr. */
typedef struct {
    const double *l, *r;
    size_t ls, js, lr, k;
    double alpha, beta;
    double *c;
    size_t lc;
} mm_args;

MM_TARGET static inline __attribute__((always_inline)) void
mm_block(const mm_args *a, size_t r0, int nr, size_t c0, __mmask8 m0, __mmask8 m1) {
    __m512d acc0[MM_ROWS], acc1[MM_ROWS];
    const double *l = a->l + r0 * a->ls, *r = a->r + c0;
    size_t ls = a->ls, js = a->js, lr = a->lr, k = a->k;
#pragma GCC unroll 4
    for (int q = 0; q < nr; q++)
        acc0[q] = acc1[q] = _mm512_setzero_pd();
    for (size_t j = 0; j < k; j++) {
        __m512d b0 = _mm512_maskz_loadu_pd(m0, r + j * lr);
        __m512d b1 = _mm512_maskz_loadu_pd(m1, r + j * lr + 8);
#pragma GCC unroll 4
        for (int q = 0; q < nr; q++) {
            __m512d w = _mm512_set1_pd(l[(size_t)q * ls + j * js]);
            acc0[q] = _mm512_fmadd_pd(w, b0, acc0[q]);
            acc1[q] = _mm512_fmadd_pd(w, b1, acc1[q]);
        }
    }
    __m512d alpha = _mm512_set1_pd(a->alpha), beta = _mm512_set1_pd(a->beta);
#pragma GCC unroll 4
    for (int q = 0; q < nr; q++) {
        double *cq = a->c + (r0 + (size_t)q) * a->lc + c0;
        __m512d s0 = _mm512_mul_pd(alpha, acc0[q]), s1 = _mm512_mul_pd(alpha, acc1[q]);
        if (a->beta != 0) { /* beta C rounded, then + alpha S: one FMA */
            s0 = _mm512_fmadd_pd(alpha, acc0[q],
                                 _mm512_mul_pd(beta, _mm512_maskz_loadu_pd(m0, cq)));
            s1 = _mm512_fmadd_pd(alpha, acc1[q],
                                 _mm512_mul_pd(beta, _mm512_maskz_loadu_pd(m1, cq + 8)));
        }
        _mm512_mask_storeu_pd(cq, m0, s0);
        _mm512_mask_storeu_pd(cq + 8, m1, s1);
    }
}

/* Every block of the n x m result; the row count of each block is a constant where
 * mm_block is inlined, so that its accumulators stay in registers. */
MM_TARGET static void mm_run(const mm_args *a, size_t n, size_t m) {
    for (size_t c0 = 0; c0 < m; c0 += 16) {
        size_t w = m - c0 < 16 ? m - c0 : 16;
        __mmask8 m0 = (__mmask8)(w >= 8 ? 0xff : (1u << w) - 1);
        __mmask8 m1 = (__mmask8)(w > 8 ? (1u << (w - 8)) - 1 : 0);
        size_t r0 = 0;
        for (; r0 + MM_ROWS <= n; r0 += MM_ROWS)
            mm_block(a, r0, MM_ROWS, c0, m0, m1);
        switch (n - r0) {
        case 3:
            mm_block(a, r0, 3, c0, m0, m1);
            break;
        case 2:
            mm_block(a, r0, 2, c0, m0, m1);
            break;
        case 1:
            mm_block(a, r0, 1, c0, m0, m1);
            break;
        default:
            break;
        }
    }
}

/* The kernel's share: AVX-512 and at most 65,536 multiply-adds. Below that bound, on the
 * AVX-512 VM against OpenBLAS 0.3.21 (square layers of width 8 to 64): with a batch of
 * 10 or 32 it took 0.25 to 0.6 of the BLAS's time, except the smallest update product
 * (width 8: 1.1); with a batch of 1, 0.5 to 1.2. Larger products, whose operands leave
 * L1, keep the BLAS's cache blocking. */
static int mm_small(size_t n, size_t k, size_t m) {
    return gpi_simd_level() == GPI_SIMD_AVX512 && n * k * m <= 65536;
}

/* C = alpha A B^T + beta C through R = B^T, copied (k x m, row stride m). */
static void mm_nt(mm_args *a, const gsl_matrix *B, size_t n, size_t m) {
    double bt[MM_SCRATCH];
    for (size_t j = 0; j < a->k; j++)
        for (size_t c = 0; c < m; c++)
            bt[j * m + c] = B->data[c * B->tda + j];
    a->r = bt, a->lr = m;
    mm_run(a, n, m);
}
#endif

int gpi_dgemm(CBLAS_TRANSPOSE_t ta, CBLAS_TRANSPOSE_t tb, double alpha,
              const gsl_matrix *A, const gsl_matrix *B, double beta, gsl_matrix *C) {
#if defined(HAVE_X86_SIMD)
    size_t n = C->size1, m = C->size2, k = ta == CblasNoTrans ? A->size2 : A->size1;
    size_t kb = tb == CblasNoTrans ? B->size1 : B->size2;
    size_t na = ta == CblasNoTrans ? A->size1 : A->size2;
    size_t mb = tb == CblasNoTrans ? B->size2 : B->size1;
    if (k == kb && na == n && mb == m && k > 0 && mm_small(n, k, m) &&
        (tb == CblasNoTrans || k * m <= MM_SCRATCH)) {
        mm_args a = {A->data,
                     B->data,
                     ta == CblasNoTrans ? A->tda : 1,
                     ta == CblasNoTrans ? 1 : A->tda,
                     B->tda,
                     k,
                     alpha,
                     beta,
                     C->data,
                     C->tda};
        if (tb == CblasNoTrans)
            mm_run(&a, n, m);
        else
            mm_nt(&a, B, n, m);
        return GSL_SUCCESS;
    }
#endif
    return gsl_blas_dgemm(ta, tb, alpha, A, B, beta, C);
}
