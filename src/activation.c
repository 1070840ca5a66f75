/* activation.c: sigmoid, softplus, softmax, log-softmax (SPEC "Network", [78]). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* sigma(z) = 1/(1+e^{-z}). For z < 0 use e^{z}/(1+e^{z}) so that e^{-z} never
 * overflows; both forms are exact rearrangements (proofs/Stable.v sigma_code_exact).
 * In binary64 within 6u of sigma(z), u = 2^-53 (proofs/FloatBounds.v
 * sigmoid_fl_error). */
double gp_sigmoid(double z) {
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* sigma'(z) = sigma(z)(1 - sigma(z)): SPEC identity 1; proofs/Sigmoid.v sigma_derivative.
 * 1 - sigma(z) = sigma(-z) avoids cancellation when sigma(z) is near 1
 * (proofs/Stable.v sigma'_product_form); within 14u (proofs/FloatBounds.v
 * sigmoid_prime_fl_error). */
double gp_sigmoid_prime(double z) {
    return gp_sigmoid(z) * gp_sigmoid(-z);
}

/* softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^{-|z|}): the exponent is never
 * positive, so nothing overflows, and log1p keeps the small tail accurate
 * (proofs/Stable.v softplus_stable); within 9u (proofs/FloatBounds.v
 * softplus_fl_error). */
double gp_softplus(double z) {
    return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

int gp_sigmoid_vector(const gsl_vector *z, gsl_vector *a) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(a, GSL_EINVAL);
    GPI_CHECK_LEN(z->size, a->size);
    for (size_t j = 0; j < z->size; j++)
        gsl_vector_set(a, j, gp_sigmoid(gsl_vector_get(z, j)));
    return GSL_SUCCESS;
}

double gp_log_sum_exp(const gsl_vector *z) {
    GPI_NONNULL(z, NAN);
    if (z->size == 0)
        return -INFINITY;
    /* ln sum e^{z_k} = m + ln sum e^{z_k - m} with m = max z (proofs/Softmax.v
     * log_softmax_stable): every exponent <= 0 and
     * one equals 0, so the sum lies in [1, n] and neither overflows nor underflows. */
    return gpi_log_sum_exp_at(z, gsl_vector_max(z));
}

double gpi_log_sum_exp_at(const gsl_vector *z, double m) {
    if (!isfinite(m))
        return m;
    double s = 0;
    for (size_t k = 0; k < z->size; k++)
        s += exp(gsl_vector_get(z, k) - m);
    return m + log(s);
}

int gp_softmax_temp(const gsl_vector *z, double c, gsl_vector *a) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(a, GSL_EINVAL);
    GPI_CHECK_LEN(z->size, a->size);
    if (!(c > 0) || !isfinite(c))
        GSL_ERROR("softmax temperature must be positive and finite", GSL_EDOM);
    if (z->size == 0)
        return GSL_SUCCESS;
    /* a_j = e^{c(z_j - m)} / sum_k e^{c(z_k - m)}, m = max z: invariant to the shift
     * (identity 9; proofs/Softmax.v softmax_shift_invariant), and the largest term is
     * e^0 = 1, so the sum is in [1, n]. A distribution for every c > 0
     * (proofs/Temperature.v softmax_temp_distribution). */
    double m = gsl_vector_max(z);
    double s = 0;
    for (size_t k = 0; k < z->size; k++) {
        double e = exp(c * (gsl_vector_get(z, k) - m));
        gsl_vector_set(a, k, e);
        s += e;
    }
    gsl_vector_scale(a, 1.0 / s);
    return GSL_SUCCESS;
}

/* Softmax [78]: positive, sums to 1 [79]; proofs/Softmax.v softmax_positive,
 * softmax_sums_to_one. */
int gp_softmax(const gsl_vector *z, gsl_vector *a) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(a, GSL_EINVAL);
    return gp_softmax_temp(z, 1.0, a);
}

int gp_log_softmax(const gsl_vector *z, gsl_vector *out) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    GPI_CHECK_LEN(z->size, out->size);
    double lse = gp_log_sum_exp(z);
    for (size_t j = 0; j < z->size; j++)
        gsl_vector_set(out, j, gsl_vector_get(z, j) - lse);
    return GSL_SUCCESS;
}

int gp_activate(gp_output out, const gsl_vector *z, gsl_vector *a) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(a, GSL_EINVAL);
    GPI_CHECK_LEN(z->size, a->size);
    switch (out) {
    case GP_OUTPUT_SIGMOID:
        return gp_sigmoid_vector(z, a);
    case GP_OUTPUT_SOFTMAX:
        return gp_softmax(z, a);
    case GP_OUTPUT_LINEAR:
        return z == a ? GSL_SUCCESS : gsl_vector_memcpy(a, z);
    }
    GSL_ERROR("unknown output activation", GSL_EINVAL);
}

/* ---- sigma over arrays ---- */

/* With e = e^{-|z|} and d = 1 + e: sigma(z) = 1/d (z >= 0) or e/d (z < 0), the two forms
 * of gp_sigmoid, and sigma'(z) = e/d^2 (identity 1, symmetric in z; full relative
 * accuracy where the neuron saturates, unlike a(1 - a)). */
static void sigmoid_n_scalar(const double *z, double *a, double *sp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double e = exp(-fabs(z[i])), d = 1.0 + e;
        a[i] = (z[i] >= 0 ? 1.0 : e) / d;
        if (sp)
            sp[i] = e / (d * d);
    }
}

#if defined(HAVE_LIBMVEC) && defined(HAVE_X86_SIMD)
#define HAVE_SIGMOID_AVX512 1
/* libmvec's _ZGVeN8v_exp (internal.h): the tests bound sigma by its 4 ulp. */

/* The same formulas, eight at a time; a masked tail. Only e differs from the scalar
 * form (libmvec's exp instead of libm's); the divisions are the same. */
__attribute__((target("avx512f,avx512dq"))) static void
sigmoid_n_avx512(const double *z, double *a, double *sp, size_t n) {
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d zv = _mm512_maskz_loadu_pd(k, z + i);
        __m512d e = _ZGVeN8v_exp(_mm512_or_pd(zv, _mm512_set1_pd(-0.0))); /* -|z| */
        __m512d d = _mm512_add_pd(one, e);
        __mmask8 nonneg = _mm512_cmp_pd_mask(zv, zero, _CMP_GE_OQ);
        _mm512_mask_storeu_pd(a + i, k,
                              _mm512_div_pd(_mm512_mask_blend_pd(nonneg, e, one), d));
        if (sp)
            _mm512_mask_storeu_pd(sp + i, k, _mm512_div_pd(e, _mm512_mul_pd(d, d)));
    }
}
#endif

void gpi_sigmoid_n(const double *z, double *a, double *sp, size_t n) {
#if defined(HAVE_SIGMOID_AVX512)
    if (gpi_simd_level() == GPI_SIMD_AVX512) {
        sigmoid_n_avx512(z, a, sp, n);
        return;
    }
#endif
    sigmoid_n_scalar(z, a, sp, n);
}

int gp_activate_matrix(gp_output out, const gsl_matrix *z, gsl_matrix *a) {
    GPI_NONNULL(z, GSL_EINVAL);
    GPI_NONNULL(a, GSL_EINVAL);
    if (z->size1 != a->size1 || z->size2 != a->size2)
        GSL_ERROR("matrix sizes differ", GSL_EBADLEN);
    if (out == GP_OUTPUT_SIGMOID) {
        /* Element-wise: walk rows, which are contiguous. */
        for (size_t j = 0; j < z->size1; j++)
            gpi_sigmoid_n(z->data + j * z->tda, a->data + j * a->tda, NULL, z->size2);
        return GSL_SUCCESS;
    }
    for (size_t i = 0; i < z->size2; i++) {
        gsl_vector_const_view zc = gsl_matrix_const_column(z, i);
        gsl_vector_view ac = gsl_matrix_column(a, i);
        int status = gp_activate(out, &zc.vector, &ac.vector);
        if (status)
            return status;
    }
    return GSL_SUCCESS;
}

const char *gp_output_name(gp_output out) {
    switch (out) {
    case GP_OUTPUT_SIGMOID:
        return "sigmoid";
    case GP_OUTPUT_SOFTMAX:
        return "softmax";
    case GP_OUTPUT_LINEAR:
        return "linear";
    }
    return "unknown";
}

/* ---- hidden activations as objects ---- */

#if defined(GPI_HAVE_TANH_SIMD) || defined(GPI_HAVE_SOFTPLUS_SIMD)
/* An AVX2 kernel of 4 values (a and fp for z) over n values: whole blocks in place, the
 * tail through zero-padded copies; fp == NULL is served by a scratch block. */
typedef void kernel4(const double *z, double *a, double *fp);

static void each4(kernel4 *k4, const double *z, double *a, double *fp, size_t n) {
    double zt[4] = {0, 0, 0, 0}, at[4], ft[4];
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        k4(z + i, a + i, fp ? fp + i : ft);
    if (i < n) {
        memcpy(zt, z + i, (n - i) * sizeof *zt);
        k4(zt, at, ft);
        memcpy(a + i, at, (n - i) * sizeof *at);
        if (fp)
            memcpy(fp + i, ft, (n - i) * sizeof *ft);
    }
}
#endif

static double sigmoid_f(const gp_activation *act, double z) {
    (void)act;
    return gp_sigmoid(z);
}

static double sigmoid_df(const gp_activation *act, double z) {
    (void)act;
    return gp_sigmoid_prime(z);
}

/* gpi_sigmoid_n: one exponential per value gives sigma and sigma' (identity 1). */
static void sigmoid_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                        size_t n) {
    (void)act;
    gpi_sigmoid_n(z, a, fp, n);
}

const gp_activation gp_activation_sigmoid = {"sigmoid", sigmoid_f, sigmoid_df,
                                             sigmoid_f_n, 0.0};

/* tanh: f' = 1 - tanh^2 (Coq: Activations.v, tanh_derivative). 1 - f^2 loses relative
 * accuracy only where f' < eps, far below any gradient check's floor. */
static double tanh_f(const gp_activation *act, double z) {
    (void)act;
    return tanh(z);
}

static double tanh_df(const gp_activation *act, double z) {
    (void)act;
    double t = tanh(z);
    return 1.0 - t * t;
}

static void tanh_n_scalar(const double *z, double *a, double *fp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = tanh(z[i]);
        a[i] = t;
        if (fp)
            fp[i] = 1.0 - t * t;
    }
}

#if defined(GPI_HAVE_TANH_SIMD)
/* The same formulas with libmvec's tanh, 8 (AVX-512) or 4 (AVX2) at a time: within 8
 * ulp of libm's tanh (tested), so 1 - t^2 within 20 eps of the scalar f' (absolute:
 * |t1^2 - t2^2| <= |t1 - t2| 2|t| with |t| <= 1). */
__attribute__((target("avx512f,avx512dq"))) static void
tanh_n_avx512(const double *z, double *a, double *fp, size_t n) {
    const __m512d one = _mm512_set1_pd(1.0);
    for (size_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d t = _ZGVeN8v_tanh(_mm512_maskz_loadu_pd(k, z + i));
        if (fp) /* before a: a may alias z */
            _mm512_mask_storeu_pd(fp + i, k, _mm512_sub_pd(one, _mm512_mul_pd(t, t)));
        _mm512_mask_storeu_pd(a + i, k, t);
    }
}

__attribute__((target("avx2"))) static void tanh4(const double *z, double *a,
                                                  double *fp) {
    __m256d t = _ZGVdN4v_tanh(_mm256_loadu_pd(z));
    _mm256_storeu_pd(fp, _mm256_sub_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(t, t)));
    _mm256_storeu_pd(a, t);
}
#endif

static void tanh_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                     size_t n) {
    (void)act;
#if defined(GPI_HAVE_TANH_SIMD)
    switch (gpi_simd_level()) {
    case GPI_SIMD_AVX512:
        tanh_n_avx512(z, a, fp, n);
        return;
    case GPI_SIMD_AVX2:
        each4(tanh4, z, a, fp, n);
        return;
    default:
        break;
    }
#endif
    tanh_n_scalar(z, a, fp, n);
}

const gp_activation gp_activation_tanh = {"tanh", tanh_f, tanh_df, tanh_f_n, 0.0};

/* Leaky ReLU f(z) = z (z > 0), alpha z (z <= 0); ReLU is alpha = 0. f'(z) = 1 for z > 0,
 * alpha for z <= 0: at the kink z = 0 the convention is the left derivative (PyTorch's:
 * relu'(0) = 0, leaky_relu'(0) = alpha). Branch-free selects, so the loop vectorises.
 * Proved: proofs/Activations.v leaky_derivative, relu_derivative (z != 0),
 * leaky_prime_0_is_left, relu_prime_0_is_left (the kink), relu_no_derivative_at_0. */
static double leaky_f(const gp_activation *act, double z) {
    return z > 0 ? z : act->alpha * z;
}

static double leaky_df(const gp_activation *act, double z) {
    return z > 0 ? 1.0 : act->alpha;
}

static void leaky_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                      size_t n) {
    const double alpha = act->alpha;
    if (fp)
        for (size_t i = 0; i < n; i++)
            fp[i] = z[i] > 0 ? 1.0 : alpha;
    for (size_t i = 0; i < n; i++) /* after fp: a may alias z */
        a[i] = z[i] > 0 ? z[i] : alpha * z[i];
}

const gp_activation gp_activation_relu = {"relu", leaky_f, leaky_df, leaky_f_n, 0.0};
const gp_activation gp_activation_leaky_relu = {"leaky-relu", leaky_f, leaky_df,
                                                leaky_f_n, GP_LEAKY_RELU_ALPHA};

/* softplus f = ln(1 + e^z) (gp_softplus, stable), f' = sigma(z)
 * (Coq: Activations.v, softplus_derivative). */
static double softplus_f(const gp_activation *act, double z) {
    (void)act;
    return gp_softplus(z);
}

/* With e = e^{-|z|}: softplus(z) = max(z, 0) + log1p(e) (gp_softplus's form) and
 * f' = sigma(z) = (z >= 0 ? 1 : e) / (1 + e) (gp_sigmoid's two forms). */
static void softplus_n_scalar(const double *z, double *a, double *fp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double e = exp(-fabs(z[i])), d = 1.0 + e, zi = z[i];
        a[i] = (zi > 0 ? zi : 0.0) + log1p(e);
        if (fp)
            fp[i] = (zi >= 0 ? 1.0 : e) / d;
    }
}

#if defined(GPI_HAVE_SOFTPLUS_SIMD)
/* The same formulas with libmvec's exp and log1p, 8 or 4 at a time (-|z| by setting the
 * sign bit); only e and log1p(e) differ from the scalar form, by a few ulp each (log1p(e)
 * <= ln 2 is added to max(z, 0) >= 0, so f is within a few ulp; tested). */
__attribute__((target("avx512f,avx512dq"))) static void
softplus_n_avx512(const double *z, double *a, double *fp, size_t n) {
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d zv = _mm512_maskz_loadu_pd(k, z + i);
        __m512d e = _ZGVeN8v_exp(_mm512_or_pd(zv, _mm512_set1_pd(-0.0)));
        __m512d d = _mm512_add_pd(one, e);
        __mmask8 nonneg = _mm512_cmp_pd_mask(zv, zero, _CMP_GE_OQ);
        if (fp) /* before a: a may alias z */
            _mm512_mask_storeu_pd(fp + i, k,
                                  _mm512_div_pd(_mm512_mask_blend_pd(nonneg, e, one), d));
        _mm512_mask_storeu_pd(a + i, k,
                              _mm512_add_pd(_mm512_max_pd(zv, zero), _ZGVeN8v_log1p(e)));
    }
}

__attribute__((target("avx2"))) static void softplus4(const double *z, double *a,
                                                      double *fp) {
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    __m256d zv = _mm256_loadu_pd(z);
    __m256d e = _ZGVdN4v_exp(_mm256_or_pd(zv, _mm256_set1_pd(-0.0)));
    __m256d nonneg = _mm256_cmp_pd(zv, zero, _CMP_GE_OQ);
    _mm256_storeu_pd(
        fp, _mm256_div_pd(_mm256_blendv_pd(e, one, nonneg), _mm256_add_pd(one, e)));
    _mm256_storeu_pd(a, _mm256_add_pd(_mm256_max_pd(zv, zero), _ZGVdN4v_log1p(e)));
}
#endif

static void softplus_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                         size_t n) {
    (void)act;
#if defined(GPI_HAVE_SOFTPLUS_SIMD)
    switch (gpi_simd_level()) {
    case GPI_SIMD_AVX512:
        softplus_n_avx512(z, a, fp, n);
        return;
    case GPI_SIMD_AVX2:
        each4(softplus4, z, a, fp, n);
        return;
    default:
        break;
    }
#endif
    softplus_n_scalar(z, a, fp, n);
}

const gp_activation gp_activation_softplus = {"softplus", softplus_f, sigmoid_f,
                                              softplus_f_n, 0.0};

/* identity: f = z, f' = 1 (a linear hidden layer; proofs/Activations.v
 * identity_derivative). */
static double identity_f(const gp_activation *act, double z) {
    (void)act;
    return z;
}

static double identity_df(const gp_activation *act, double z) {
    (void)act, (void)z;
    return 1.0;
}

static void identity_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                         size_t n) {
    (void)act;
    for (size_t i = 0; i < n; i++) {
        if (fp)
            fp[i] = 1.0;
        a[i] = z[i];
    }
}

const gp_activation gp_activation_identity = {"identity", identity_f, identity_df,
                                              identity_f_n, 0.0};

const gp_activation *const gp_activations[] = {&gp_activation_sigmoid,
                                               &gp_activation_tanh,
                                               &gp_activation_relu,
                                               &gp_activation_leaky_relu,
                                               &gp_activation_softplus,
                                               &gp_activation_identity,
                                               NULL};

const gp_activation *gp_activation_lookup(const char *name) {
    for (size_t k = 0; name && gp_activations[k]; k++)
        if (strcmp(gp_activations[k]->name, name) == 0)
            return gp_activations[k];
    return NULL;
}

int gp_activation_kink(const gp_activation *act, double *at) {
    GPI_NONNULL(act, 0); /* 0: no kink to report, the error raised */
    if (act->f != leaky_f)
        return 0;
    if (at)
        *at = 0.0;
    return 1;
}

/* strtod skips leading space and reads hexadecimal, inf and nan: none is a plain number.
 * An underflow to a subnormal is a rounding like any other, but one to 0 (ERANGE, below
 * half the least subnormal, 2^-1075) turns a non-zero number into 0 or -0, which a range
 * check would pass. */
int gp_decimal_parse(const char *s, double *out) {
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int plain = isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.';
    if (!plain || strpbrk(s, "xX") || *end != '\0' || !isfinite(v))
        GSL_ERROR("not a plain finite decimal number", GSL_EINVAL);
    if (v == 0 && errno == ERANGE)
        GSL_ERROR("a non-zero number that rounds to 0", GSL_EUNDRFLW);
    *out = v;
    return GSL_SUCCESS;
}

/* "NAME" or "leaky-relu:ALPHA" (ALPHA a plain decimal, 0 <= ALPHA < 1). */
int gp_activation_parse(const char *spec, gp_activation *out) {
    GPI_NONNULL(spec, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    char name[32];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= sizeof name)
        GSL_ERROR("unknown activation", GSL_EINVAL);
    memcpy(name, spec, len);
    name[len] = '\0';
    const gp_activation *act = gp_activation_lookup(name);
    if (act == NULL)
        GSL_ERROR("unknown activation", GSL_EINVAL);
    if (colon && act != &gp_activation_leaky_relu)
        GSL_ERROR("only leaky-relu takes a parameter", GSL_EINVAL);
    if (colon == NULL) {
        *out = *act;
        return GSL_SUCCESS;
    }
    double alpha;
    int status = gp_decimal_parse(colon + 1, &alpha);
    if (status == GSL_EINVAL)
        return status;
    /* a slope that underflows to 0 ("1e-400") is not relu's 0: out of range */
    gp_activation a = *act;
    status = gp_activation_set_alpha(&a, status == GSL_SUCCESS ? alpha : NAN);
    if (status == GSL_SUCCESS)
        *out = a;
    return status;
}

int gp_activation_set_alpha(gp_activation *act, double alpha) {
    GPI_NONNULL(act, GSL_EINVAL);
    if (strcmp(act->name, gp_activation_leaky_relu.name) != 0)
        GSL_ERROR("only leaky-relu takes a parameter", GSL_EINVAL);
    if (!(alpha >= 0 && alpha < 1))
        GSL_ERROR("leaky-relu's alpha must be in [0, 1)", GSL_EDOM);
    act->alpha = alpha;
    return GSL_SUCCESS;
}

int gp_activation_format(const gp_activation *act, char *buf, size_t len) {
    GPI_NONNULL(act, GSL_EINVAL);
    GPI_NONNULL(buf, GSL_EINVAL);
    int leaky = strcmp(act->name, gp_activation_leaky_relu.name) == 0, n = 0;
    if (!leaky || act->alpha == GP_LEAKY_RELU_ALPHA)
        n = snprintf(buf, len, "%s", act->name);
    else /* the shortest of %.15g .. %.17g that reads back to alpha exactly */
        for (int digits = 15; digits <= 17; digits++) {
            n = snprintf(buf, len, "leaky-relu:%.*g", digits, act->alpha);
            if (n < 0 || (size_t)n >= len || strtod(buf + 11, NULL) == act->alpha)
                break;
        }
    if (n < 0 || (size_t)n >= len)
        GSL_ERROR("buffer too small for the activation's name", GSL_ENOMEM);
    return GSL_SUCCESS;
}
