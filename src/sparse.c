/* sparse.c: the sparse layer-1 backend of the SGD step (sgd.c). Layer 1 is the only
 * layer that sees the input, so only its two sums change form:
 *   forward  z^1_r = sum_{j : x_j != 0} W^1_{rj} x_j + b^1_r
 *   BP4      W^1_{rj} <- W^1_{rj} + alpha sum_x delta^1_r x_j, only for x_j != 0,
 * after the decay and L1 shrink that touch every weight: where x_j = 0 the gradient
 * dC/dW^1_{rj} = delta^1_r x_j is 0 (proofs/Backprop.v bp4_hidden_weight_zero_input). W^1
 * is held transposed, WT[j] = column j of W^1 (padded to a whole number of 16-double
 * panels), so that both sums read contiguous weights: each non-zero pixel costs n_1/8
 * vector multiply-adds. Layers 2..L, BP1 and BP2 are backprop.c's gpi_step_upper,
 * unchanged. A thread that owns whole panels (train.c splits layer 1 so) never shares a
 * cache line of W^1 or b^1 with the other. Dense images (more than a third non-zero)
 * take the same panels through blocked kernels over every input instead
 * (gp_sparse_sgd_step_rows): each weight is read once per block of samples, not once
 * per sample and non-zero pixel. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct gp_sparse_sgd {
    gp_network *net;          /* borrowed, updated in place (NULL: forward passes only) */
    const gp_network *cnet;   /* the same network, read */
    gp_backprop_workspace *w; /* z, a, sigma', delta of every layer */
    size_t n0, n1, np;        /* WT is np panels of n0 x PANEL (n_1 rounded up) */
    double *wt;               /* W^1 transposed, 64-byte aligned; lanes >= n1 are 0 */
    double *b1;               /* b^1, np PANEL entries, 64-byte aligned: like W^1, each
                                 panel's biases on cache lines of their own */
};

/* ---- kernels ---- */

/* Panel layout: lanes [16 p, 16 p + 16) of every row of WT form panel p, n0 x 16
 * contiguous, so that a thread owning whole panels never shares a cache line (nor,
 * through the hardware prefetchers, a neighbouring one) with the other thread. */
#define PANEL GPI_SPARSE_PANEL
#define PANEL_AT(wt, n0, p) ((wt) + (p) * (n0)*PANEL)

/* Sample i of the batch: its non-zeros' indices and values; returns how many. */
static inline __attribute__((always_inline)) size_t
sample(const gp_sparse_batch *X, size_t i, const uint32_t **idx, const double **val) {
    *idx = X->index + X->start[i];
    *val = X->value + X->start[i];
    return X->start[i + 1] - X->start[i];
}

#define FORWARD_ARGS                                                                     \
    const double *wt, size_t n0, size_t r_end, const gp_sparse_batch *X,                 \
        const double *b, double *Z, size_t tda, size_t p0, size_t p1
#define UPDATE_ARGS                                                                      \
    double *wt, size_t n0, size_t r_end, const gp_sparse_batch *X, const double *D,      \
        size_t tda, double alpha, size_t p0, size_t p1
#define DECAY_ARGS                                                                       \
    double *wt, size_t n0, double decay, double shrink, size_t p0, size_t p1
#define DENSE_FORWARD_ARGS                                                               \
    const double *wt, size_t n0, size_t r_end, const double *X, size_t ldx, size_t m,    \
        const double *b, double *Z, size_t tda, size_t p0, size_t p1
#define DENSE_UPDATE_ARGS                                                                \
    double *wt, size_t n0, size_t r_end, const double *X, size_t ldx, size_t m,          \
        const double *D, size_t tda, double alpha, size_t p0, size_t p1

/* The kernels are written once (sparse-kernels.h) and compiled for each SIMD variant:
 * the baseline (SSE2 vectors on x86-64, plain C elsewhere), AVX2 + FMA and AVX-512;
 * gpi_simd_level picks one at run time. */
#define KSFX baseline
#define KTARGET
#if defined(__GNUC__)
#define KVL 2
#else
#define KVL 1
#endif
#include "sparse-kernels.h"

#if defined(HAVE_X86_SIMD)
#define KSFX avx2
#define KTARGET __attribute__((target("avx2,fma")))
#define KVL 4
#include "sparse-kernels.h"

#define KSFX avx512
#define KTARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define KVL 8
#include "sparse-kernels.h"

#define DISPATCH(kernel, ...)                                                            \
    do {                                                                                 \
        switch (gpi_simd_level()) {                                                      \
        case GPI_SIMD_AVX512:                                                            \
            kernel##_avx512(__VA_ARGS__);                                                \
            return;                                                                      \
        case GPI_SIMD_AVX2:                                                              \
            kernel##_avx2(__VA_ARGS__);                                                  \
            return;                                                                      \
        default:                                                                         \
            kernel##_baseline(__VA_ARGS__);                                              \
        }                                                                                \
    } while (0)
#else
#define DISPATCH(kernel, ...) kernel##_baseline(__VA_ARGS__)
#endif

static void forward_rows(FORWARD_ARGS) {
    DISPATCH(forward_rows, wt, n0, r_end, X, b, Z, tda, p0, p1);
}

static void update_rows(UPDATE_ARGS) {
    DISPATCH(update_rows, wt, n0, r_end, X, D, tda, alpha, p0, p1);
}

static void decay_rows(DECAY_ARGS) {
    DISPATCH(decay_rows, wt, n0, decay, shrink, p0, p1);
}

static void dense_forward_rows(DENSE_FORWARD_ARGS) {
    DISPATCH(dense_forward_rows, wt, n0, r_end, X, ldx, m, b, Z, tda, p0, p1);
}

static void dense_update_rows(DENSE_UPDATE_ARGS) {
    DISPATCH(dense_update_rows, wt, n0, r_end, X, ldx, m, D, tda, alpha, p0, p1);
}

/* ---- sparse inputs from bytes ---- */

/* Baseline, bytes [j0, dim): eight at a time, skipping all-zero words (MNIST's
 * borders); within a word every byte is written and the count advances only past
 * non-zero ones, so there is no branch per pixel. Writes at most dim - j0 entries. */
static size_t bytes_scalar(const uint8_t *x, size_t j0, size_t dim, uint32_t *index,
                           double *value) {
    size_t n = 0, j = j0;
    for (; j + 8 <= dim; j += 8) {
        uint64_t word;
        memcpy(&word, x + j, sizeof word);
        if (word == 0)
            continue;
        for (size_t k = j; k < j + 8; k++) {
            index[n] = (uint32_t)k;
            value[n] = (double)x[k] / 255.0;
            n += x[k] != 0;
        }
    }
    for (; j < dim; j++) {
        index[n] = (uint32_t)j;
        value[n] = (double)x[j] / 255.0;
        n += x[j] != 0;
    }
    return n;
}

#if defined(HAVE_X86_SIMD)
#include <immintrin.h>
#define HAVE_BYTES_AVX512 1
/* v/255 for integers 0 <= v <= 255, correctly rounded without a division: q = v (1/255)
 * is within an ulp, the remainder v - 255 q is exact in one FMA, and one Newton step
 * q + r/255 rounds to v/255 (checked for all 256 values by the tests). */
__attribute__((target("avx512f"))) static inline __m512d div255(__m512d v) {
    const __m512d inv = _mm512_set1_pd(1.0 / 255.0), c255 = _mm512_set1_pd(255.0);
    __m512d q = _mm512_mul_pd(v, inv);
    __m512d r = _mm512_fnmadd_pd(q, c255, v);
    return _mm512_fmadd_pd(r, inv, q);
}

/* AVX-512: sixteen bytes at a time, a mask of the non-zero ones, and the indices and
 * values compressed to the front of a vector (vpcompressd); the values equal
 * bytes_scalar's (div255). No branch on the data (MNIST's zero runs are not
 * predictable enough to pay for one). Each store
 * writes 16 entries from position n <= j, so never past dim. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static size_t
bytes_avx512(const uint8_t *x, size_t dim, uint32_t *index, double *value) {
    const __m512i iota =
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    size_t n = 0, j = 0;
    for (; j + 16 <= dim; j += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(x + j));
        __mmask16 k = _mm_test_epi8_mask(b, b);
        __m512i idx = _mm512_add_epi32(iota, _mm512_set1_epi32((int)j));
        _mm512_storeu_si512((void *)(index + n), _mm512_maskz_compress_epi32(k, idx));
        __m512i v = _mm512_maskz_compress_epi32(k, _mm512_cvtepu8_epi32(b));
        int c = __builtin_popcount(k);
        _mm512_storeu_pd(value + n,
                         div255(_mm512_cvtepi32_pd(_mm512_castsi512_si256(v))));
        _mm512_storeu_pd(value + n + 8,
                         div255(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(v, 1))));
        n += (size_t)c;
    }
    return n + bytes_scalar(x, j, dim, index + n, value + n);
}
#endif

size_t gp_sparse_from_bytes(const uint8_t *x, size_t dim, uint32_t *index,
                            double *value) {
    GPI_NONNULL(x, 0);
    GPI_NONNULL(index, 0);
    GPI_NONNULL(value, 0);
#if defined(HAVE_BYTES_AVX512)
    if (gpi_simd_level() == GPI_SIMD_AVX512)
        return bytes_avx512(x, dim, index, value);
#endif
    return bytes_scalar(x, 0, dim, index, value);
}

/* x_j / 255 for every byte: the 256 quotients, each rounded once as the division
 * rounds it (constant expressions, evaluated in double by the compiler). */
#define Q1(k) (k) / 255.0
#define Q4(k) Q1(k), Q1(k + 1), Q1(k + 2), Q1(k + 3)
#define Q16(k) Q4(k), Q4(k + 4), Q4(k + 8), Q4(k + 12)
#define Q64(k) Q16(k), Q16(k + 16), Q16(k + 32), Q16(k + 48)
static const double by255[256] = {Q64(0), Q64(64), Q64(128), Q64(192)};
#undef Q64
#undef Q16
#undef Q4
#undef Q1

void gpi_dense_from_bytes(const uint8_t *x, size_t dim, double *value) {
    for (size_t j = 0; j < dim; j++)
        value[j] = by255[x[j]];
}

int gpi_dense_wins(size_t nnz, size_t len) {
    return 3 * nnz > len;
}

size_t gpi_count_nonzero(const uint8_t *x, size_t len) {
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        n += x[k] != 0;
    return n;
}

/* ---- a data set's non-zero pixels, found once ---- */

/* Image i's non-zero pixels are entries [start[i], start[i + 1]) of index (the pixel,
 * below 65,536) and value (its byte): 3 bytes an entry, against the 784 bytes the scan
 * reads per MNIST image. 16 entries of padding let the vector reads run past the last. */
struct gpi_sparse_set {
    size_t n;
    size_t *start;
    uint16_t *index;
    uint8_t *value;
};

void gpi_sparse_set_free(gpi_sparse_set *set) {
    if (set == NULL)
        return;
    free(set->start);
    free(set->index);
    free(set->value);
    free(set);
}

int gpi_sparse_set_alloc(const uint8_t *x, size_t n, size_t dim, gpi_sparse_set **out) {
    *out = NULL;
    if (dim > 65536 || n == 0)
        return GSL_SUCCESS;
    gpi_sparse_set *set = calloc(1, sizeof *set);
    uint32_t *ix = malloc(dim * sizeof *ix);
    double *v = malloc(dim * sizeof *v);
    size_t total = 0;
    int status = GSL_ENOMEM;
    if (set == NULL || ix == NULL || v == NULL ||
        (set->start = malloc((n + 1) * sizeof *set->start)) == NULL)
        goto done;
    /* Two passes of the vector scan: count, then store (the pixels, not the scan's
     * doubles, so that the values are the bytes). */
    for (size_t i = 0; i < n; i++) {
        set->start[i] = total;
        total += gp_sparse_from_bytes(x + i * dim, dim, ix, v);
    }
    set->start[n] = total;
    set->n = n;
    /* Dense images (Fashion-MNIST: half its pixels) would need more bytes than their
     * pixels: they are scanned. */
    status = GSL_SUCCESS;
    if (gpi_dense_wins(total, n * dim))
        goto done;
    status = GSL_ENOMEM;
    if ((set->index = calloc(total + 16, sizeof *set->index)) == NULL ||
        (set->value = calloc(total + 16, 1)) == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        size_t c = gp_sparse_from_bytes(x + i * dim, dim, ix, v), k0 = set->start[i];
        for (size_t k = 0; k < c; k++) {
            set->index[k0 + k] = (uint16_t)ix[k];
            set->value[k0 + k] = x[i * dim + ix[k]];
        }
    }
    *out = set;
    set = NULL;
    status = GSL_SUCCESS;
done:
    gpi_sparse_set_free(set);
    free(ix);
    free(v);
    return status;
}

void gpi_sparse_set_prefetch(const gpi_sparse_set *set, size_t i) {
#if defined(__GNUC__)
    for (size_t k = set->start[i]; k < set->start[i + 1]; k += 32)
        __builtin_prefetch(set->index + k);
    for (size_t k = set->start[i]; k < set->start[i + 1]; k += 64)
        __builtin_prefetch(set->value + k);
#else
    (void)set, (void)i;
#endif
}

/* Baseline: the same values as bytes_scalar, x / 255 rounded once. */
static size_t set_get_scalar(const uint16_t *in, const uint8_t *v, size_t c,
                             uint32_t *index, double *value) {
    for (size_t k = 0; k < c; k++) {
        index[k] = in[k];
        value[k] = (double)v[k] / 255.0;
    }
    return c;
}

#if defined(HAVE_BYTES_AVX512)
/* AVX-512: sixteen entries at a time, widened, the values through div255 (equal to
 * x / 255 rounded once); the scalar loop does the last c mod 16. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static size_t
set_get_avx512(const uint16_t *in, const uint8_t *v, size_t c, uint32_t *index,
               double *value) {
    size_t k = 0;
    for (; k + 16 <= c; k += 16) {
        __m256i i16 = _mm256_loadu_si256((const __m256i *)(const void *)(in + k));
        _mm512_storeu_si512((void *)(index + k), _mm512_cvtepu16_epi32(i16));
        __m512i b =
            _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(v + k)));
        _mm512_storeu_pd(value + k,
                         div255(_mm512_cvtepi32_pd(_mm512_castsi512_si256(b))));
        _mm512_storeu_pd(value + k + 8,
                         div255(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(b, 1))));
    }
    return k + set_get_scalar(in + k, v + k, c - k, index + k, value + k);
}
#endif

size_t gpi_sparse_set_get(const gpi_sparse_set *set, size_t i, uint32_t *index,
                          double *value) {
    size_t k = set->start[i], c = set->start[i + 1] - k;
#if defined(HAVE_BYTES_AVX512)
    if (gpi_simd_level() == GPI_SIMD_AVX512)
        return set_get_avx512(set->index + k, set->value + k, c, index, value);
#endif
    return set_get_scalar(set->index + k, set->value + k, c, index, value);
}

/* ---- the object ---- */

gp_sparse_sgd *gpi_sparse_alloc_const(const gp_network *net, size_t max_batch) {
    if (net == NULL || max_batch == 0 || max_batch > GP_MAX_WIDTH)
        GSL_ERROR_NULL("sparse SGD needs a network and 0 < max_batch <= GP_MAX_WIDTH",
                       GSL_EINVAL);
    gp_sparse_sgd *s = calloc(1, sizeof *s);
    if (s == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    s->cnet = net;
    s->n0 = net->p.sizes[0];
    s->n1 = net->p.sizes[1];
    s->np = (s->n1 + PANEL - 1) / PANEL;
    /* sizes are bounded by GP_MAX_WIDTH, so this does not overflow */
    size_t bytes = s->np * s->n0 * PANEL * sizeof(double);
    s->wt = gpi_line_alloc(bytes);
    s->b1 = gpi_line_alloc(s->np * PANEL * sizeof(double));
    s->w = gp_backprop_workspace_alloc(net, max_batch);
    if (s->wt == NULL || s->b1 == NULL || s->w == NULL) {
        gp_sparse_sgd_free(s);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    memset(s->wt, 0, bytes);
    memset(s->b1, 0, s->np * PANEL * sizeof(double));
    gp_sparse_sgd_reload(s);
    return s;
}

gp_sparse_sgd *gp_sparse_sgd_alloc(gp_network *net, size_t max_batch) {
    gp_sparse_sgd *s = gpi_sparse_alloc_const(net, max_batch);
    if (s)
        s->net = net;
    return s;
}

void gp_sparse_sgd_free(gp_sparse_sgd *s) {
    if (s == NULL)
        return;
    gp_backprop_workspace_free(s->w);
    free(s->wt);
    free(s->b1);
    free(s);
}

/* W^1_{rj}, in panel r / PANEL, row j, lane r mod PANEL. */
static double *wt_at(const gp_sparse_sgd *s, size_t j, size_t r) {
    return PANEL_AT(s->wt, s->n0, r / PANEL) + j * PANEL + r % PANEL;
}

void gp_sparse_sgd_reload(gp_sparse_sgd *s) {
    GPI_NONNULL(s, );
    const gsl_matrix *W = s->cnet->p.w[0];
    for (size_t r = 0; r < s->n1; r++)
        for (size_t j = 0; j < s->n0; j++)
            *wt_at(s, j, r) = W->data[r * W->tda + j];
    for (size_t r = 0; r < s->n1; r++)
        s->b1[r] = gsl_vector_get(s->cnet->p.b[0], r);
}

void gp_sparse_sgd_sync(gp_sparse_sgd *s) {
    GPI_NONNULL(s, );
    if (s->net == NULL)
        return;
    gsl_matrix *W = s->net->p.w[0];
    for (size_t r = 0; r < s->n1; r++)
        for (size_t j = 0; j < s->n0; j++)
            W->data[r * W->tda + j] = *wt_at(s, j, r);
    for (size_t r = 0; r < s->n1; r++)
        gsl_vector_set(s->net->p.b[0], r, s->b1[r]);
}

const gp_backprop_workspace *gp_sparse_sgd_workspace(const gp_sparse_sgd *s) {
    GPI_NONNULL(s, NULL);
    return s->w;
}

/* ---- the sparse layer-1 backend ---- */

/* The batch's shapes and indices (read only, so both threads of a step may check). The
 * largest index is found by a reduction, without an early exit, so that it vectorises:
 * the check costs little beside the step. */
static int check_batch(const gp_sparse_sgd *s, const gp_sparse_batch *X,
                       const gsl_matrix *Xd, const gsl_matrix *Y) {
    const gp_network *net = s->cnet;
    size_t L = net->p.L, m = X ? X->m : Xd->size1;
    if (m == 0 || m > s->w->max_batch)
        GSL_ERROR("batch is empty or larger than the workspace", GSL_EBADLEN);
    if (Y && (Y->size1 != net->p.sizes[L] || Y->size2 != m))
        GSL_ERROR("targets must be n_L x m", GSL_EBADLEN);
    if (X == NULL) {
        GPI_CHECK_LEN(Xd->size2, s->n0);
        return GSL_SUCCESS;
    }
    for (size_t i = 0; i < X->m; i++)
        if (X->start[i + 1] < X->start[i])
            GSL_ERROR("sparse batch offsets must not decrease", GSL_EBADLEN);
    uint32_t top = 0;
    for (size_t k = X->start[0]; k < X->start[X->m]; k++)
        top = X->index[k] > top ? X->index[k] : top;
    if (X->start[X->m] > X->start[0] && top >= s->n0)
        GSL_ERROR("sparse input index is not below n_0", GSL_EINVAL);
    return GSL_SUCCESS;
}

/* Rows [r0, r1) of layer 1 as panels [p0, p1): r0 is a multiple of PANEL. */
static void panel_range(size_t r0, size_t r1, size_t *p0, size_t *p1) {
    *p0 = r0 / PANEL;
    *p1 = (r1 + PANEL - 1) / PANEL;
}

/* z^1 of rows [r0, r1) over the non-zero inputs of X, or over every input of the rows
 * of Xd (X NULL), then the hidden activation. */
static int forward1(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Xd,
                    size_t r0, size_t r1, int want_sp) {
    size_t p0, p1, m = X ? X->m : Xd->size1;
    if (r1 <= r0)
        return GSL_SUCCESS;
    panel_range(r0, r1, &p0, &p1);
    gsl_matrix *Z = s->w->z[0];
    if (X)
        forward_rows(s->wt, s->n0, r1, X, s->b1, Z->data, Z->tda, p0, p1);
    else
        dense_forward_rows(s->wt, s->n0, r1, Xd->data, Xd->tda, m, s->b1, Z->data, Z->tda,
                           p0, p1);
    return gpi_activate_rows(s->cnet, 1, m, want_sp, s->w, r0, r1);
}

static int sparse_forward(const gpi_step *st, size_t r0, size_t r1) {
    return forward1(st->s, st->Xs, st->X, r0, r1, 1);
}

/* Decay and L1 shrink of the panels, BP4 over the non-zero inputs (or over every input
 * of a dense batch, blocked over its samples: the same terms in the same order, plus
 * exact zeros), BP3 of b^1. Over the
 * reals each weight ends as decay (w - shrink sgn w) + alpha (D X^T)_rj = w - eta dJ/dw
 * with L2 and L1 (proofs/Regularization.v sparse_row_step_at, sgd_sparse_step_any_depth;
 * sparse_row_step_subgradient at w = 0). Without FMA, the rounding error of this order
 * (the decayed weight, then one rounded term alpha delta x per sample):
 * proofs/FloatStep.v sgd_step_sparse_fl_error, and with the L1 shrink first
 * (w1 = fl(w - shrink sgn w), then fl(decay w1)): proofs/FloatStep.v
 * sgd_step_sparse_l1_fl_error. */
static void sparse_update(const gpi_step *st, size_t r0, size_t r1) {
    gp_sparse_sgd *s = st->s;
    const gp_sparse_batch *X = st->Xs;
    size_t p0, p1;
    if (r1 <= r0)
        return;
    panel_range(r0, r1, &p0, &p1);
    const gsl_matrix *D = s->w->delta[0];
    if (st->beta_w != 1 || st->shrink != 0)
        decay_rows(s->wt, s->n0, st->beta_w, st->shrink, p0, p1);
    if (X)
        update_rows(s->wt, s->n0, r1, X, D->data, D->tda, st->alpha, p0, p1);
    else
        dense_update_rows(s->wt, s->n0, r1, st->X->data, st->X->tda, st->m, D->data,
                          D->tda, st->alpha, p0, p1);
    /* BP3: b^1 += alpha sum_x delta^1_x */
    for (size_t r = r0; r < r1; r++) {
        const double *dr = D->data + r * D->tda;
        double sum = 0;
        for (size_t i = 0; i < st->m; i++)
            sum += dr[i];
        s->b1[r] += st->alpha * sum;
    }
}

static const gpi_layer1 layer1_sparse = {sparse_forward, sparse_update};

int gpi_step_sparse(gpi_step *st, gp_sparse_sgd *s, const gp_sparse_batch *X,
                    const gsl_matrix *Xd, const gsl_matrix *Y, const gp_sgd_params *p,
                    int gathered) {
    double alpha, decay, shrink;
    size_t m = X ? X->m : Xd->size1;
    if (s->net == NULL) /* only gpi_sparse_alloc_const makes these */
        GSL_ERROR("this sparse object only runs forward passes", GSL_EINVAL);
    int status = gpi_sgd_coefficients(p, m, &alpha, &decay, &shrink);
    if (!status && !gathered)
        status = check_batch(s, X, Xd, Y);
    if (status)
        return status;
    *st = (gpi_step){.layer1 = &layer1_sparse,
                     .net = s->net,
                     .T = &s->net->p,
                     .w = s->w,
                     .Y = Y,
                     .m = m,
                     .alpha = alpha,
                     .beta_w = decay,
                     .beta_b = 1.0,
                     .shrink = shrink,
                     .X = Xd,
                     .rows = 1,
                     .s = s,
                     .Xs = X};
    return GSL_SUCCESS;
}

int gp_sparse_sgd_step(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Y,
                       const gp_sgd_params *p) {
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(p, GSL_EINVAL);
    gpi_step st;
    int status = gpi_step_sparse(&st, s, X, NULL, Y, p, 0);
    return status ? status : gpi_step_run(&st, 0, s->n1, 1, NULL);
}

int gp_sparse_sgd_step_rows(gp_sparse_sgd *s, const gsl_matrix *X, const gsl_matrix *Y,
                            const gp_sgd_params *p) {
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(p, GSL_EINVAL);
    gpi_step st;
    int status = gpi_step_sparse(&st, s, NULL, X, Y, p, 0);
    return status ? status : gpi_step_run(&st, 0, s->n1, 1, NULL);
}

int gpi_sparse_forward(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Xd,
                       int gathered) {
    int status = gathered ? GSL_SUCCESS : check_batch(s, X, Xd, NULL);
    if (!status)
        status = forward1(s, X, Xd, 0, s->n1, 0);
    if (!status)
        status = gpi_forward_upper(s->cnet, s->w, X ? X->m : Xd->size1);
    return status;
}

int gp_sparse_feedforward(gp_sparse_sgd *s, const gp_sparse_batch *X) {
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    return gpi_sparse_forward(s, X, NULL, 0);
}

int gp_sparse_feedforward_rows(gp_sparse_sgd *s, const gsl_matrix *X) {
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    return gpi_sparse_forward(s, NULL, X, 0);
}
