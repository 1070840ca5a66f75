/* cost.c: the four cost objects of SPEC's cost table. Each row pairs C_x with its
 * output activation; fn_z is the numerically stable form used for totals. */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

static int check3(const gsl_vector *a, const gsl_vector *y, const gsl_vector *out) {
    GPI_CHECK_LEN(a->size, y->size);
    GPI_CHECK_LEN(a->size, out->size);
    return GSL_SUCCESS;
}

/* fn_a and fn_z return a value, not a status: NaN, with GSL_EBADLEN raised, when a (or
 * z) and y differ in length (read past the shorter one, or a partial sum otherwise). */
#define CHECK_LEN_NAN(a, y)                                                              \
    do {                                                                                 \
        if ((a)->size != (y)->size)                                                      \
            GSL_ERROR_VAL("a cost's a (or z) and y differ in length", GSL_EBADLEN, NAN); \
    } while (0)

/* ---- quadratic: C_x = 1/2 ||a - y||^2  [6, 55] ---- */

static double quad_fn_a(const gsl_vector *a, const gsl_vector *y) {
    CHECK_LEN_NAN(a, y);
    double s = 0;
    for (size_t j = 0; j < a->size; j++) {
        double d = gsl_vector_get(a, j) - gsl_vector_get(y, j);
        s += d * d;
    }
    return 0.5 * s;
}

/* sigma is bounded, so the value from z needs no special form. */
static double quad_fn_z(const gsl_vector *z, const gsl_vector *y) {
    CHECK_LEN_NAN(z, y);
    double s = 0;
    for (size_t j = 0; j < z->size; j++) {
        double d = gp_sigmoid(gsl_vector_get(z, j)) - gsl_vector_get(y, j);
        s += d * d;
    }
    return 0.5 * s;
}

/* dC/da = a - y for both quadratic rows; proofs/OutputError.v quad_dCda. */
static int quad_dfda(const gsl_vector *a, const gsl_vector *y, gsl_vector *g) {
    int status = check3(a, y, g);
    if (status)
        return status;
    gsl_vector_memcpy(g, a);
    return gsl_vector_sub(g, y);
}

/* delta^L = (a - y) ⊙ sigma'(z^L)  [65] (BP1); proofs/OutputError.v
 * output_error_quad_sigmoid. */
static int quad_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                      gsl_vector *delta) {
    int status = check3(a, y, delta);
    if (status)
        return status;
    GPI_CHECK_LEN(z->size, a->size);
    for (size_t j = 0; j < a->size; j++)
        gsl_vector_set(delta, j,
                       (gsl_vector_get(a, j) - gsl_vector_get(y, j)) *
                           gp_sigmoid_prime(gsl_vector_get(z, j)));
    return GSL_SUCCESS;
}

const gp_cost_type gp_cost_quadratic = {"quadratic", GP_OUTPUT_SIGMOID, quad_fn_a,
                                        quad_fn_z,   quad_dfda,         quad_delta};

/* ---- quadratic with a linear output: a = z, so C_x = 1/2 ||z - y||^2  [68-70] ---- */

static double quadlin_fn_z(const gsl_vector *z, const gsl_vector *y) {
    return quad_fn_a(z, y);
}

/* delta^L = a - y: the identity has derivative 1  [70]; proofs/OutputError.v
 * output_error_quad_linear. */
static int quadlin_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                         gsl_vector *delta) {
    GPI_CHECK_LEN(z->size, a->size);
    return quad_dfda(a, y, delta);
}

const gp_cost_type gp_cost_quadratic_linear = {"quadratic-linear", GP_OUTPUT_LINEAR,
                                               quad_fn_a,          quadlin_fn_z,
                                               quad_dfda,          quadlin_delta};

/* ---- cross-entropy: C_x = -sum_j [y_j ln a_j + (1-y_j) ln(1-a_j)]  [57, 63] ---- */

/* The book's form from a. Terms with a zero coefficient are dropped (0 ln 0 = 0, the
 * limit), so a = y in {0,1} costs 0; a = 0 with y = 1 costs +inf. */
static double xent_fn_a(const gsl_vector *a, const gsl_vector *y) {
    CHECK_LEN_NAN(a, y);
    double s = 0;
    for (size_t j = 0; j < a->size; j++) {
        double aj = gsl_vector_get(a, j), yj = gsl_vector_get(y, j);
        if (yj != 0)
            s -= yj * log(aj);
        if (yj != 1)
            s -= (1 - yj) * log1p(-aj);
    }
    return s;
}

/* The terms of C_x: t_i = y_i sp(-z_i) + (1-y_i) sp(z_i), i < n, with sp(z) = max(z,0)
 * + l and l = log1p(e^{-|z|}) shared by sp(z) and sp(-z) (gp_softplus's form): one exp
 * and one log1p per entry, libm's (bit-identical to two gp_softplus calls). */
static void xent_terms_scalar(const double *z, const double *y, double *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double zj = z[i], yj = y[i], l = log1p(exp(-fabs(zj)));
        t[i] = yj * ((zj < 0 ? -zj : 0.0) + l) + (1 - yj) * ((zj > 0 ? zj : 0.0) + l);
    }
}

#if defined(GPI_HAVE_SOFTPLUS_SIMD)
/* The same formulas 8 (AVX-512) or 4 (AVX2) at a time with libmvec's exp and log1p
 * (-|z| by setting the sign bit): only l differs from the scalar form, by a few ulp
 * (glibc: <= 4 ulp each; l <= ln 2 and exp's error enters scaled by e^{-|z|}/(1 +
 * e^{-|z|}) <= 1/2), so each term is within a few ulp of the scalar one. */
__attribute__((target("avx512f,avx512dq"))) static void
xent_terms_avx512(const double *z, const double *y, double *t, size_t n) {
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    for (size_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d zv = _mm512_maskz_loadu_pd(k, z + i),
                yv = _mm512_maskz_loadu_pd(k, y + i);
        __m512d l = _ZGVeN8v_log1p(_ZGVeN8v_exp(_mm512_or_pd(zv, _mm512_set1_pd(-0.0))));
        __m512d neg = _mm512_add_pd(_mm512_max_pd(_mm512_sub_pd(zero, zv), zero), l);
        __m512d pos = _mm512_add_pd(_mm512_max_pd(zv, zero), l);
        _mm512_mask_storeu_pd(t + i, k,
                              _mm512_add_pd(_mm512_mul_pd(yv, neg),
                                            _mm512_mul_pd(_mm512_sub_pd(one, yv), pos)));
    }
}

/* 4 at a time; the tail through zero-padded copies. */
__attribute__((target("avx2"))) static __m256d xent_terms4(__m256d zv, __m256d yv) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    __m256d l = _ZGVdN4v_log1p(_ZGVdN4v_exp(_mm256_or_pd(zv, _mm256_set1_pd(-0.0))));
    __m256d neg = _mm256_add_pd(_mm256_max_pd(_mm256_sub_pd(zero, zv), zero), l);
    __m256d pos = _mm256_add_pd(_mm256_max_pd(zv, zero), l);
    return _mm256_add_pd(_mm256_mul_pd(yv, neg),
                         _mm256_mul_pd(_mm256_sub_pd(one, yv), pos));
}

__attribute__((target("avx2"))) static void
xent_terms_avx2(const double *z, const double *y, double *t, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(t + i,
                         xent_terms4(_mm256_loadu_pd(z + i), _mm256_loadu_pd(y + i)));
    if (i < n) {
        double zt[4] = {0, 0, 0, 0}, yt[4] = {0, 0, 0, 0}, tt[4];
        memcpy(zt, z + i, (n - i) * sizeof *zt);
        memcpy(yt, y + i, (n - i) * sizeof *yt);
        _mm256_storeu_pd(tt, xent_terms4(_mm256_loadu_pd(zt), _mm256_loadu_pd(yt)));
        memcpy(t + i, tt, (n - i) * sizeof *tt);
    }
}
#endif

static void xent_terms(const double *z, const double *y, double *t, size_t n) {
#if defined(GPI_HAVE_SOFTPLUS_SIMD)
    switch (gpi_simd_level()) {
    case GPI_SIMD_AVX512:
        xent_terms_avx512(z, y, t, n);
        return;
    case GPI_SIMD_AVX2:
        xent_terms_avx2(z, y, t, n);
        return;
    default:
        break;
    }
#endif
    xent_terms_scalar(z, y, t, n);
}

/* From z: ln sigma(z) = -softplus(-z) and ln(1 - sigma(z)) = -softplus(z)
 * (proofs/CrossEntropy.v xent_sigmoid_softplus), so
 * C_x = sum_j [y_j softplus(-z_j) + (1-y_j) softplus(z_j)] (proofs/Stable.v
 * xent_fn_z_form), finite for every finite z (the naive form gives ln 0 = -inf once
 * sigma(z) rounds to 0 or 1, near |z| = 37). One term is within 13u for y in [0,1]
 * (proofs/FloatBounds.v xent_term_fl_error) with libm's correctly-rounded-within-1-ulp
 * exp and log1p (the baseline variant); libmvec's 4 ulp each add to that bound through
 * l <= ln 2 (tested: test_xent_fn_z_within_ulps_of_libm).
 * The terms a block at a time, summed in order (as gpi_cost_samples sums them). */
#define XENT_BLOCK 16
static double xent_fn_z(const gsl_vector *z, const gsl_vector *y) {
    CHECK_LEN_NAN(z, y);
    double s = 0, zb[XENT_BLOCK], yb[XENT_BLOCK], t[XENT_BLOCK];
    for (size_t j0 = 0; j0 < z->size; j0 += XENT_BLOCK) {
        size_t nb = z->size - j0 < XENT_BLOCK ? z->size - j0 : XENT_BLOCK;
        for (size_t q = 0; q < nb; q++) {
            zb[q] = z->data[(j0 + q) * z->stride];
            yb[q] = y->data[(j0 + q) * y->stride];
        }
        xent_terms(zb, yb, t, nb);
        for (size_t q = 0; q < nb; q++)
            s += t[q];
    }
    return s;
}

/* dC/da = (a - y) / (a(1 - a))  [71-76]; proofs/CrossEntropy.v xent_dCda, and
 * proofs/Derivation.v cross_entropy_is_forced. Infinite at a in {0,1}. */
static int xent_dfda(const gsl_vector *a, const gsl_vector *y, gsl_vector *g) {
    int status = check3(a, y, g);
    if (status)
        return status;
    for (size_t j = 0; j < a->size; j++) {
        double aj = gsl_vector_get(a, j);
        gsl_vector_set(g, j, (aj - gsl_vector_get(y, j)) / (aj * (1 - aj)));
    }
    return GSL_SUCCESS;
}

/* delta^L = a - y: sigma'(z) cancels against dC/da  [66]; proofs/OutputError.v
 * output_error_xent_sigmoid. */
static int xent_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                      gsl_vector *delta) {
    GPI_CHECK_LEN(z->size, a->size);
    return quad_dfda(a, y, delta);
}

const gp_cost_type gp_cost_cross_entropy = {
    "cross-entropy", GP_OUTPUT_SIGMOID, xent_fn_a, xent_fn_z, xent_dfda, xent_delta};

/* ---- log-likelihood with softmax: C_x = -ln a_y  [80] ----
 * Written for a target distribution y (one-hot gives -ln a_y): C_x = -sum_j y_j ln a_j.
 */

static double ll_fn_a(const gsl_vector *a, const gsl_vector *y) {
    CHECK_LEN_NAN(a, y);
    double s = 0;
    for (size_t j = 0; j < a->size; j++) {
        double yj = gsl_vector_get(y, j);
        if (yj != 0)
            s -= yj * log(gsl_vector_get(a, j));
    }
    return s;
}

/* -ln a_j = logsumexp(z) - z_j, finite for every finite z (e^{z} alone overflows at
 * z > 709). When z_j is the maximum, -ln a_j = log1p(sum_{k != j} e^{z_k - z_j}) keeps
 * full relative accuracy for a confident, correct output (the difference form would
 * round e^{-700} to 0); otherwise every term is at least of order z_max - z_j.
 * Both forms are exact: proofs/Stable.v neg_log_softmax_log1p, proofs/Stable.v
 * neg_log_softmax_lse. */
static double neg_log_softmax(const gsl_vector *z, size_t j, double zmax, double lse) {
    double zj = gsl_vector_get(z, j);
    if (zj < zmax)
        return lse - zj;
    double s = 0;
    for (size_t k = 0; k < z->size; k++)
        if (k != j)
            s += exp(gsl_vector_get(z, k) - zj);
    return log1p(s);
}

static double ll_fn_z(const gsl_vector *z, const gsl_vector *y) {
    CHECK_LEN_NAN(z, y);
    if (z->size == 0)
        return 0.0;
    double zmax = gsl_vector_max(z), lse = gpi_log_sum_exp_at(z, zmax), s = 0;
    for (size_t j = 0; j < z->size; j++) {
        double yj = gsl_vector_get(y, j);
        if (yj != 0)
            s += yj * neg_log_softmax(z, j, zmax, lse);
    }
    return s;
}

/* dC/da_j = -y_j / a_j: -1/a_y at the target class, 0 elsewhere; proofs/OutputError.v
 * loglik_dCda. */
static int ll_dfda(const gsl_vector *a, const gsl_vector *y, gsl_vector *g) {
    int status = check3(a, y, g);
    if (status)
        return status;
    for (size_t j = 0; j < a->size; j++) {
        double yj = gsl_vector_get(y, j);
        gsl_vector_set(g, j, yj == 0 ? 0.0 : -yj / gsl_vector_get(a, j));
    }
    return GSL_SUCCESS;
}

/* delta^L = a - e_y  [81, 82, 84]: the softmax Jacobian a_j(1[j=k] - a_k) contracted
 * with -y_k/a_k gives a_j sum_k y_k - y_j = a_j - y_j when sum y = 1;
 * proofs/OutputError.v output_error_loglik_softmax (Jacobian: proofs/Softmax.v
 * softmax_jacobian); for any target with sum y = 1: proofs/Stable.v
 * output_grad_loglik_soft. */
static int ll_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                    gsl_vector *delta) {
    GPI_CHECK_LEN(z->size, a->size);
    return quad_dfda(a, y, delta);
}

const gp_cost_type gp_cost_log_likelihood = {
    "log-likelihood", GP_OUTPUT_SOFTMAX, ll_fn_a, ll_fn_z, ll_dfda, ll_delta};

int gp_cost_target_misfit(const gp_cost_type *cost, const gsl_matrix *Y, size_t *col,
                          double *sum) {
    GPI_NONNULL(cost, 0);
    GPI_NONNULL(Y, 0);
    for (size_t k = 0; cost->output == GP_OUTPUT_SOFTMAX && k < Y->size2; k++) {
        double s = 0, mag = 0;
        for (size_t j = 0; j < Y->size1; j++) {
            s += gsl_matrix_get(Y, j, k);
            mag += fabs(gsl_matrix_get(Y, j, k));
        }
        if (!(fabs(s - 1) <= (double)Y->size1 * DBL_EPSILON * fmax(mag, 1))) {
            if (col)
                *col = k;
            if (sum)
                *sum = s;
            return 1;
        }
    }
    return 0;
}

const gp_cost_type *const gp_cost_types[] = {
    &gp_cost_quadratic, &gp_cost_quadratic_linear, &gp_cost_cross_entropy,
    &gp_cost_log_likelihood, NULL};

const gp_cost_type *gp_cost_lookup(const char *name) {
    static const struct {
        const char *alias;
        const gp_cost_type *cost;
    } aliases[] = {{"QuadraticCost", &gp_cost_quadratic},
                   {"CrossEntropyCost", &gp_cost_cross_entropy},
                   {"LogLikelihoodCost", &gp_cost_log_likelihood}};
    if (name == NULL)
        return NULL;
    for (size_t i = 0; gp_cost_types[i]; i++)
        if (strcmp(name, gp_cost_types[i]->name) == 0)
            return gp_cost_types[i];
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            return aliases[i].cost;
    return NULL;
}

const char *gp_cost_names(void) {
    /* Kept in step with the table and the aliases by check_cost's lookup test. */
    return "quadratic, quadratic-linear, cross-entropy, log-likelihood (or "
           "QuadraticCost, "
           "CrossEntropyCost, LogLikelihoodCost)";
}

void gpi_cost_samples(const gp_cost_type *cost, const double *z, const double *y,
                      size_t n, size_t m, double *work, double *c) {
    if (cost == &gp_cost_cross_entropy) { /* all m n terms at once, then as fn_z */
        xent_terms(z, y, work, n * m);
        for (size_t i = 0; i < m; i++) {
            double s = 0;
            for (size_t q = 0; q < n; q++)
                s += work[i * n + q];
            c[i] = s;
        }
        return;
    }
    /* the views built in place (gsl_vector_const_view_array is a call per view, and
     * these run once per sample of every perturbed cost) */
    gsl_vector zv = {n, 1, NULL, NULL, 0}, yv = zv;
    for (size_t i = 0; i < m; i++) {
        zv.data = (double *)(uintptr_t)(z + i * n);
        yv.data = (double *)(uintptr_t)(y + i * n);
        c[i] = cost->fn_z(&zv, &yv);
    }
}

/* Transposed to sample-major so that gpi_cost_samples takes all m columns in one pass
 * (for cross-entropy, its terms in vectors across samples). */
double gpi_cost_columns(double sum, const gp_cost_type *cost, const gsl_matrix *Z,
                        const gsl_matrix *Y, size_t m, double *buf) {
    size_t n = Z->size1;
    double *zt = buf, *yt = zt + n * m, *work = yt + n * m, *c = work + n * m;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++) {
            zt[i * n + j] = Z->data[j * Z->tda + i];
            yt[i * n + j] = Y->data[j * Y->tda + i];
        }
    gpi_cost_samples(cost, zt, yt, n, m, work, c);
    for (size_t i = 0; i < m; i++)
        sum += c[i];
    return sum;
}

double gpi_cost_column(const gp_cost_type *cost, const gsl_matrix *Z, const gsl_matrix *Y,
                       size_t i) {
    gsl_vector_const_view z = gsl_matrix_const_column(Z, i);
    gsl_vector_const_view y = gsl_matrix_const_column(Y, i);
    return cost->fn_z(&z.vector, &y.vector);
}
