/* sparse-kernels.h: the layer-1 kernels of sparse.c, a template included once per SIMD
 * variant (as GSL's templates_on.h instantiates its sources per type). Before each
 * inclusion sparse.c defines
 *   KSFX     the variant's name suffix (baseline, avx2, avx512),
 *   KTARGET  its function attribute (target ISA), possibly empty,
 *   KVL      doubles per vector register: 8 (AVX-512), 4 (AVX2), 2 (SSE2), or 1 (plain
 *            C), so that every vector operation maps to one instruction;
 * and PANEL (16), PANEL_AT. Each variant sums in its own fixed order, so results agree
 * between variants to rounding and within a variant to the bit. */

#define KCAT2(a, b) a##_##b
#define KCAT(a, b) KCAT2(a, b)
#define KNAME(name) KCAT(name, KSFX)
#define KNV (PANEL / KVL)           /* vectors per panel row */
#define KU (KNV >= 8 ? 1 : 8 / KNV) /* accumulator sets: 8 accumulators in all */

#if KVL > 1
typedef double KNAME(vec) __attribute__((vector_size(KVL * sizeof(double))));
#else
typedef double KNAME(vec);
#endif
#define KV KNAME(vec)
#define KLOAD(p) (*(const KV *)(const void *)(p))
#define KSTORE(p, v) (*(KV *)(void *)(p) = (v))

/* out[0 .. PANEL) = sum_t val[t] WT[idx[t]] over one panel. KU independent sets of
 * accumulators (t mod KU) keep eight multiply-adds in flight, enough to cover the FMA
 * latency on two pipes; the loops have constant bounds and are unrolled, so the
 * accumulators stay in registers. */
KTARGET static inline __attribute__((always_inline)) void
KNAME(forward_panel)(const double *wt, const uint32_t *idx, const double *val, size_t nnz,
                     double *out) {
    KV acc[KU][KNV];
#pragma GCC unroll 16
    for (int k = 0; k < KU; k++)
#pragma GCC unroll 16
        for (int v = 0; v < KNV; v++)
            acc[k][v] = (KV){0};
    size_t t = 0;
    for (; t + KU <= nnz; t += KU)
#pragma GCC unroll 16
        for (int k = 0; k < KU; k++) {
            const double *w = wt + idx[t + (size_t)k] * PANEL;
            double x = val[t + (size_t)k];
#pragma GCC unroll 16
            for (int v = 0; v < KNV; v++)
                acc[k][v] += x * KLOAD(w + v * KVL);
        }
    for (; t < nnz; t++) {
        const double *w = wt + idx[t] * PANEL;
#pragma GCC unroll 16
        for (int v = 0; v < KNV; v++)
            acc[0][v] += val[t] * KLOAD(w + v * KVL);
    }
    /* pairwise: ((set 0 + set 1) + (set 2 + set 3)) ... */
#pragma GCC unroll 16
    for (int step = 1; step < KU; step *= 2)
#pragma GCC unroll 16
        for (int k = 0; k + step < KU; k += 2 * step)
#pragma GCC unroll 16
            for (int v = 0; v < KNV; v++)
                acc[k][v] += acc[k + step][v];
#pragma GCC unroll 16
    for (int v = 0; v < KNV; v++)
        KSTORE(out + v * KVL, acc[0][v]);
}

/* WT[idx[t]] += val[t] d over one panel, for every t (BP4 for one sample, d = alpha
 * delta^1 of the sample). */
KTARGET static inline __attribute__((always_inline)) void
KNAME(update_panel)(double *wt, const uint32_t *idx, const double *val, size_t nnz,
                    const double *d) {
    KV dv[KNV];
#pragma GCC unroll 16
    for (int v = 0; v < KNV; v++)
        dv[v] = KLOAD(d + v * KVL);
    for (size_t t = 0; t < nnz; t++) {
        double *w = wt + idx[t] * PANEL, x = val[t];
#pragma GCC unroll 16
        for (int v = 0; v < KNV; v++)
            KSTORE(w + v * KVL, KLOAD(w + v * KVL) + x * dv[v]);
    }
}

/* Z[r][i] = z^1_r of sample i for panels [p0, p1), rows r < r_end only; Z has row
 * stride tda. A panel takes the whole batch before the next: the rows of W^1 that
 * consecutive images share (a digit's strokes overlap) are then still in L1, which cut
 * the epoch by a tenth against one image through every panel. */
KTARGET static void KNAME(forward_rows)(FORWARD_ARGS) {
    double out[PANEL] __attribute__((aligned(64)));
    for (size_t p = p0; p < p1; p++) {
        size_t c = p * PANEL, end = c + PANEL < r_end ? c + PANEL : r_end;
        for (size_t i = 0; i < X->m; i++) {
            const uint32_t *idx;
            const double *val;
            size_t nnz = sample(X, i, &idx, &val);
            KNAME(forward_panel)(PANEL_AT(wt, n0, p), idx, val, nnz, out);
            /* (W x) + b, the order of the dense forward pass. */
            for (size_t r = c; r < end; r++)
                Z[r * tda + i] = out[r - c] + b[r];
        }
    }
}

/* BP4 on panels [p0, p1) for every sample of the batch, a panel at a time as in
 * forward_rows (each weight still takes its terms in sample order); D is delta^1 (row
 * stride tda), known for rows < r_end; lanes from r_end on get 0, so the padding stays
 * 0. */
KTARGET static void KNAME(update_rows)(UPDATE_ARGS) {
    double d[PANEL] __attribute__((aligned(64)));
    for (size_t p = p0; p < p1; p++) {
        size_t c = p * PANEL;
        for (size_t i = 0; i < X->m; i++) {
            const uint32_t *idx;
            const double *val;
            size_t nnz = sample(X, i, &idx, &val);
            for (size_t r = c; r < c + PANEL; r++)
                d[r - c] = r < r_end ? alpha * D[r * tda + i] : 0.0;
            KNAME(update_panel)(PANEL_AT(wt, n0, p), idx, val, nnz, d);
        }
    }
}

/* W <- decay (W - shrink sgn W) on panels [p0, p1) (L2 and L1 of the SGD step;
 * sgn(0) = 0 keeps the padding 0). The panels are contiguous. shrink sgn W is exact
 * (sgn W is -1, 0 or 1); the two roundings that remain are in the bound of
 * proofs/FloatStep.v sgd_step_sparse_l1_fl_error. */
KTARGET static void KNAME(decay_rows)(DECAY_ARGS) {
    double *w = PANEL_AT(wt, n0, p0);
    size_t len = (p1 - p0) * n0 * PANEL;
    if (shrink != 0)
        for (size_t k = 0; k < len; k++)
            w[k] = decay * (w[k] - shrink * (double)((w[k] > 0) - (w[k] < 0)));
    else
        for (size_t k = 0; k < len; k++)
            w[k] *= decay;
}

/* ---- dense inputs: the batch's m samples as rows of X (row stride ldx) ----
 * Each weight is read once per block of KMB samples instead of once per sample: a
 * sub-panel of KDV vectors and KMB samples keep KMB x KDV accumulators in registers (24
 * of AVX-512's 32, 12 of the other variants' 16). */
#define KDV (KNV < 2 ? KNV : 2) /* vectors per sub-panel */
#define KSUB (KNV / KDV)        /* sub-panels per panel */
#define KMB (KVL == 8 ? 12 : 6) /* samples per block */
#define KSW (KDV * KVL)         /* lanes per sub-panel */

/* out[k][0 .. KSW) = sum_j x[k ldx + j] w[j PANEL + 0 .. KSW) for the mb <= KMB samples k
 * of a block (out's rows PANEL apart): every input, zeros too, in order j = 0 .. n0-1,
 * one accumulator per sample and vector. mb is a constant where it is inlined. */
KTARGET static inline __attribute__((always_inline)) void
KNAME(dense_forward_block)(const double *w, const double *x, size_t ldx, size_t n0,
                           int mb, double *out) {
    KV acc[KMB][KDV];
#pragma GCC unroll 16
    for (int k = 0; k < KMB; k++)
#pragma GCC unroll 16
        for (int v = 0; v < KDV; v++)
            acc[k][v] = (KV){0};
    for (size_t j = 0; j < n0; j++) {
        const double *wj = w + j * PANEL;
#pragma GCC unroll 16
        for (int k = 0; k < KMB; k++)
            if (k < mb) {
                double xk = x[(size_t)k * ldx + j];
#pragma GCC unroll 16
                for (int v = 0; v < KDV; v++)
                    acc[k][v] += xk * KLOAD(wj + v * KVL);
            }
    }
#pragma GCC unroll 16
    for (int k = 0; k < KMB; k++)
        if (k < mb)
#pragma GCC unroll 16
            for (int v = 0; v < KDV; v++)
                KSTORE(out + k * PANEL + v * KVL, acc[k][v]);
}

/* w[j PANEL + 0 .. KSW) += sum_k x[k ldx + j] d[k PANEL + 0 .. KSW) for every input j
 * (BP4; d = alpha delta^1 of the block's samples, held in registers): each weight is
 * loaded and stored once per block, and takes its samples' terms one at a time in
 * sample order, as update_panel does (a zero input adds an exact zero). */
KTARGET static inline __attribute__((always_inline)) void
KNAME(dense_update_block)(double *w, const double *x, size_t ldx, size_t n0, int mb,
                          const double *d) {
    KV dv[KMB][KDV];
#pragma GCC unroll 16
    for (int k = 0; k < KMB; k++)
        if (k < mb)
#pragma GCC unroll 16
            for (int v = 0; v < KDV; v++)
                dv[k][v] = KLOAD(d + k * PANEL + v * KVL);
    for (size_t j = 0; j < n0; j++) {
        double *wj = w + j * PANEL;
        KV acc[KDV];
#pragma GCC unroll 16
        for (int v = 0; v < KDV; v++)
            acc[v] = KLOAD(wj + v * KVL);
#pragma GCC unroll 16
        for (int k = 0; k < KMB; k++)
            if (k < mb) {
                double xk = x[(size_t)k * ldx + j];
#pragma GCC unroll 16
                for (int v = 0; v < KDV; v++)
                    acc[v] = acc[v] + xk * dv[k][v];
            }
#pragma GCC unroll 16
        for (int v = 0; v < KDV; v++)
            KSTORE(wj + v * KVL, acc[v]);
    }
}

/* A block of mb samples with mb a constant in each case, so that the accumulators'
 * loops unroll (cases above KMB do not occur). */
#define KBLOCKS(block, w, x, ldx, n0, mb, io)                                            \
    switch (mb) {                                                                        \
    case 1:                                                                              \
        block(w, x, ldx, n0, 1, io);                                                     \
        break;                                                                           \
    case 2:                                                                              \
        block(w, x, ldx, n0, 2, io);                                                     \
        break;                                                                           \
    case 3:                                                                              \
        block(w, x, ldx, n0, 3, io);                                                     \
        break;                                                                           \
    case 4:                                                                              \
        block(w, x, ldx, n0, 4, io);                                                     \
        break;                                                                           \
    case 5:                                                                              \
        block(w, x, ldx, n0, 5, io);                                                     \
        break;                                                                           \
        KBLOCKS_WIDE(block, w, x, ldx, n0, io)                                           \
    default:                                                                             \
        block(w, x, ldx, n0, KMB, io);                                                   \
        break;                                                                           \
    }
#if KMB > 6
#define KBLOCKS_WIDE(block, w, x, ldx, n0, io)                                           \
    case 6:                                                                              \
        block(w, x, ldx, n0, 6, io);                                                     \
        break;                                                                           \
    case 7:                                                                              \
        block(w, x, ldx, n0, 7, io);                                                     \
        break;                                                                           \
    case 8:                                                                              \
        block(w, x, ldx, n0, 8, io);                                                     \
        break;                                                                           \
    case 9:                                                                              \
        block(w, x, ldx, n0, 9, io);                                                     \
        break;                                                                           \
    case 10:                                                                             \
        block(w, x, ldx, n0, 10, io);                                                    \
        break;                                                                           \
    case 11:                                                                             \
        block(w, x, ldx, n0, 11, io);                                                    \
        break;
#else
#define KBLOCKS_WIDE(block, w, x, ldx, n0, io)
#endif

/* Z[r][i] = z^1_r of sample i over every input, for panels [p0, p1), rows r < r_end;
 * Z has row stride tda. */
KTARGET static void KNAME(dense_forward_rows)(DENSE_FORWARD_ARGS) {
    double out[KMB * PANEL] __attribute__((aligned(64)));
    for (size_t p = p0; p < p1; p++) {
        size_t c = p * PANEL, end = c + PANEL < r_end ? c + PANEL : r_end;
        for (size_t i0 = 0; i0 < m; i0 += KMB) {
            int mb = (int)(m - i0 < KMB ? m - i0 : KMB);
            for (int q = 0; q < KSUB; q++) {
                const double *w = PANEL_AT(wt, n0, p) + q * KSW;
                KBLOCKS(KNAME(dense_forward_block), w, X + i0 * ldx, ldx, n0, mb,
                        out + q * KSW)
            }
            /* (W x) + b, the order of the dense forward pass. */
            for (int k = 0; k < mb; k++)
                for (size_t r = c; r < end; r++)
                    Z[r * tda + i0 + (size_t)k] = out[k * PANEL + (int)(r - c)] + b[r];
        }
    }
}

/* BP4 over every input on panels [p0, p1), samples in order; D is delta^1 (row stride
 * tda), known for rows < r_end; lanes from r_end on get 0, so the padding stays 0. */
KTARGET static void KNAME(dense_update_rows)(DENSE_UPDATE_ARGS) {
    double d[KMB * PANEL] __attribute__((aligned(64)));
    for (size_t p = p0; p < p1; p++) {
        size_t c = p * PANEL;
        for (size_t i0 = 0; i0 < m; i0 += KMB) {
            int mb = (int)(m - i0 < KMB ? m - i0 : KMB);
            for (int k = 0; k < mb; k++)
                for (size_t r = c; r < c + PANEL; r++)
                    d[k * PANEL + (int)(r - c)] =
                        r < r_end ? alpha * D[r * tda + i0 + (size_t)k] : 0.0;
            for (int q = 0; q < KSUB; q++) {
                double *w = PANEL_AT(wt, n0, p) + q * KSW;
                KBLOCKS(KNAME(dense_update_block), w, X + i0 * ldx, ldx, n0, mb,
                        d + q * KSW)
            }
        }
    }
}

#undef KBLOCKS
#undef KBLOCKS_WIDE
#undef KSW
#undef KMB
#undef KSUB
#undef KDV
#undef KV
#undef KLOAD
#undef KSTORE
#undef KU
#undef KNV
#undef KNAME
#undef KCAT
#undef KCAT2
#undef KSFX
#undef KTARGET
#undef KVL
