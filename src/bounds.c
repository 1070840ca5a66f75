/* bounds.c: running error analysis of the forward and backward passes (bounds.h,
 * doc/bounds.md). Every bound is absolute and per entry. Notation: for a quantity v the
 * oracle holds v (float64, treated as exact: its own error is O(n u_64) relative and is
 * absorbed by the final inflation INFLATE), Ev bounds |v_hat - v| for the implementation
 * being modelled, and |v| + Ev bounds |v_hat|. ui is the rounding of the inputs
 * (u or 0), so |W_hat - W| <= ui |W| and |W_hat| <= (1 + ui) |W|. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>

#include <gradproof/bounds.h>

#include "internal.h"

/* Relative inflation of every final bound: covers the float64 evaluation of the bounds
 * and the oracle's own rounding in the values the bounds are built from. */
#define INFLATE (1.0 + 1e-6)

typedef struct {
    const gp_bounds_model *m;
    int prob;           /* 1: probabilistic gamma for inner products */
    double ui;          /* input rounding, u or 0 */
    double gs;          /* one sigmoid: gamma_{4K+2}; 6u at K = 1 is proofs/FloatBounds.v
                         * sigmoid_fl_error (see sig_bound) */
    double ge;          /* relative error of one exp or log: gamma_{2K} */
    const gp_dump *pin; /* a candidate's dump whose z pins f' at a kink, or NULL */
} ctx;

double gp_bounds_gamma(double n, double u) {
    return n * u < 1 ? n * u / (1 - n * u) : INFINITY;
}

double gp_bounds_gamma_prob(double n, double u, double lambda) {
    double t = expm1(lambda * sqrt(n) * u + n * u * u / (1 - u));
    return fmin(t, gp_bounds_gamma(n, u));
}

double gp_bounds_prob_fail(double n, double u, double lambda) {
    return fmin(1.0, 2 * n * exp(-lambda * lambda * (1 - u) * (1 - u) / 2));
}

int gp_bounds_model_init(gp_bounds_model *model, const char *format) {
    GPI_NONNULL(model, GSL_EINVAL);
    GPI_NONNULL(format, GSL_EINVAL);
    static const struct {
        const char *name;
        double u, tiny;
    } f[] = {{"float64", 0x1p-53, 0x1p-1022},
             {"float32", 0x1p-24, 0x1p-126},
             {"bfloat16", 0x1p-8, 0x1p-126},
             {"float16", 0x1p-11, 0x1p-14}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (format && !strcmp(format, f[i].name)) {
            model->u = f[i].u;
            model->tiny = f[i].tiny;
            model->libm_ulps = 1;
            model->lambda = 6;
            model->round_inputs = i != 0;
            return GSL_SUCCESS;
        }
    GSL_ERROR("unknown format: expected float64, float32, bfloat16 or float16",
              GSL_EINVAL);
}

/* gamma for an inner product or sum of n terms: worst case (proofs/FloatBounds.v
 * dot_gamma_n) or probabilistic. */
static double gam(const ctx *c, double n) {
    return c->prob ? gp_bounds_gamma_prob(n, c->m->u, c->m->lambda)
                   : gp_bounds_gamma(n, c->m->u);
}

/* ---- allocation ---- */

static void layer_free(gp_bounds_layer *t) {
    gsl_matrix_free(t->z);
    gsl_matrix_free(t->a);
    gsl_matrix_free(t->delta);
    gsl_matrix_free(t->dW);
    gsl_matrix_free(t->db);
}

void gp_bounds_free(gp_bounds *b) {
    if (!b)
        return;
    for (size_t l = 0; l < b->L; l++) {
        if (b->worst)
            layer_free(&b->worst[l]);
        if (b->prob)
            layer_free(&b->prob[l]);
    }
    free(b->worst);
    free(b->prob);
    free(b);
}

static int layer_alloc(gp_bounds_layer *t, size_t n, size_t n_in, size_t m) {
    t->z = gsl_matrix_calloc(n, m);
    t->a = gsl_matrix_calloc(n, m);
    t->delta = gsl_matrix_calloc(n, m);
    t->dW = gsl_matrix_calloc(n, n_in);
    t->db = gsl_matrix_calloc(n, 1);
    return t->z && t->a && t->delta && t->dW && t->db ? GSL_SUCCESS : GSL_ENOMEM;
}

gp_bounds *gp_bounds_alloc(const gp_network *net, size_t m) {
    if (!net || m == 0)
        GSL_ERROR_NULL("bounds need a network and m > 0", GSL_EINVAL);
    /* n_l x m doubles past SIZE_MAX bytes wrapped in gsl_block_alloc: a few bytes
     * were taken for the whole matrix, and NULL was not returned */
    for (size_t l = 1; l <= net->p.L; l++)
        if (net->p.sizes[l] > SIZE_MAX / sizeof(double) / m)
            GSL_ERROR_NULL("bounds: the batch is too large", GSL_EINVAL);
    gp_bounds *b = calloc(1, sizeof *b);
    if (!b)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    b->L = net->p.L;
    b->m = m;
    b->worst = calloc(b->L, sizeof *b->worst);
    b->prob = calloc(b->L, sizeof *b->prob);
    int status = b->worst && b->prob ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t l = 1; l <= b->L && !status; l++) {
        size_t n = net->p.sizes[l], n_in = net->p.sizes[l - 1];
        status = layer_alloc(&b->worst[l - 1], n, n_in, m) ||
                 layer_alloc(&b->prob[l - 1], n, n_in, m);
    }
    if (status) {
        gp_bounds_free(b);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    return b;
}

/* ---- element bounds of the activations ---- */

/* max of sigma' = sigma (1 - sigma) over [lo, hi]: 1/4 at 0, decreasing in |z|; an
 * upper bound attained on [lo, hi] (proofs/FloatStep.v sp_max_is_max). */
static double sp_max(double lo, double hi) {
    if (lo <= 0 && hi >= 0)
        return 0.25;
    return gp_sigmoid_prime(fabs(lo) < fabs(hi) ? lo : hi);
}

static double spp_abs(double z) {
    double s = gp_sigmoid(z);
    return s * (1 - s) * fabs(1 - 2 * s);
}

/* max of |sigma''| = sigma'|1 - 2 sigma| over [lo, hi]: it increases in |z| up to
 * z* = ln(2 + sqrt 3) (where sigma''' = 0) and decreases after; an upper bound attained
 * on [lo, hi] (proofs/FloatStep.v spp_max_is_max, over the reals with the exact z*; zs
 * is a double within an ulp of it, and the float64 evaluation is in INFLATE). */
static double spp_max(double lo, double hi) {
    const double zs = 1.3169578969248167; /* ln(2 + sqrt(3)) */
    if ((lo <= zs && hi >= zs) || (lo <= -zs && hi >= -zs))
        return spp_abs(zs);
    return fmax(spp_abs(lo), spp_abs(hi));
}

/* a = sigma(z) and sp = sigma'(z) from z_hat with |z_hat - z| <= ez. The computed
 * sigma(z_hat) = 1/(1 + e^{-z}) (or e^z/(1 + e^z)) has relative error gs: the exp
 * contributes 2K u (K ulp), the sum and the division u each, doubled for the second
 * form's two uses of e. Mean value theorem over [z - ez, z + ez] for the rest
 * (proofs/FloatPass.v layer_forward_error, sigma_lipschitz).
 * sp is a_hat (1 - a_hat) rounded twice: |a(1-a) - s(1-s)| = |a - s||1 - a - s|
 * <= d (1 + d) with d = |a_hat - sigma(z_hat)|, the two roundings gamma_2, and
 * |sigma'(z_hat) - sigma'(z)| <= lip2 ez for lip2 >= |sigma''| on the interval:
 * esp is proofs/FloatStep.v sigma'_from_s_error (with sigma'_lipschitz_on and
 * sigma'_le_quarter, spb >= sigma'(z_hat)); lip and lip2 are the maxima of sigma' and
 * |sigma''| on the interval (sp_max, spp_max).
 * A form from its own exponential has relative error gamma_{4K+4} sigma' <= d + gamma_2
 * sigma' and is covered too. */
static void sig_bound(const ctx *c, double z, double ez, double *ea, double *esp) {
    double lo = z - ez, hi = z + ez, lip = sp_max(lo, hi), lip2 = spp_max(lo, hi);
    double shat = fmin(1.0, gp_sigmoid(z) + lip * ez);
    double d = c->gs * shat, g2 = gp_bounds_gamma(2, c->m->u);
    double spb = fmin(0.25, gp_sigmoid_prime(z) + lip2 * ez);
    *ea = lip * ez + d + 4 * c->m->tiny;
    if (esp)
        *esp = lip2 * ez + d * (1 + d) * (1 + g2) + g2 * spb + 4 * c->m->tiny;
}

/* tanh(z): f' = 1 - tanh^2 <= 1, largest at the smallest |z| of the interval; libm's
 * tanh within K ulp is relative error ge. f' as 1 - a_hat^2: with e = |a_hat - t|,
 * |a_hat^2 - t^2| <= e (2|t| + e), then the square and the difference round (u each). */
static void tanh_bound(const ctx *c, double z, double ez, double *ea, double *esp) {
    double lo = z - ez, hi = z + ez, t = fabs(tanh(z)), u = c->m->u;
    double tm = lo <= 0 && hi >= 0 ? 0.0 : tanh(fmin(fabs(lo), fabs(hi)));
    double lip = 1 - tm * tm, tb = fmin(1.0, t + lip * ez), ab = tb * (1 + c->ge);
    *ea = lip * ez + c->ge * tb + 4 * c->m->tiny;
    *esp =
        *ea * (2 * t + *ea) + u * ab * ab + u * (1 + ab * ab * (1 + u)) + 4 * c->m->tiny;
}

/* Leaky ReLU (ReLU: alpha = 0): Lipschitz 1; alpha z rounds (u) and alpha is an input
 * rounded like W (ui). f' is 1 or alpha_hat; where z_hat can lie on either side of the
 * kink (|z| <= Ez) the derivative is a convention: the worst case allows the other
 * side (|1 - alpha|), the probabilistic bound does not, so such an entry is
 * "inconclusive", never "disagree" (doc/bounds.md, the kink). pinned: the candidate's
 * own z_hat is exactly on the kink, where a correct implementation takes the
 * convention f'(0) = f'(0-) (alpha), so the other side is not allowed. */
static void leaky_bound(const ctx *c, double alpha, double z, double ez, int pinned,
                        double *ea, double *esp) {
    int neg = z - ez <= 0, either = neg && z + ez >= 0 && !pinned;
    double ua = alpha * (c->ui + c->m->u * (1 + c->ui));
    *ea = ez + (neg ? ua * (fabs(z) + ez) : 0.0) + 2 * c->m->tiny;
    *esp = (neg ? c->ui * alpha : 0.0) + (either && !c->prob ? fabs(1 - alpha) : 0.0);
}

/* softplus ln(1 + e^z) in the stable form max(z, 0) + log1p(e^{-|z|}) (gamma_{4K+1},
 * as the cross-entropy's term): f' = sigma <= sigma(z + Ez); f' = sigma(z) itself is
 * bounded by sig_bound. */
static void softplus_bound(const ctx *c, double z, double ez, double *ea, double *esp) {
    double hi = z + ez, g = gp_bounds_gamma(4 * c->m->libm_ulps + 1, c->m->u);
    *ea = gp_sigmoid(hi) * ez + g * gp_softplus(hi) + 4 * c->m->tiny;
    sig_bound(c, z, ez, esp, NULL);
}

/* a = f(z) and f'(z) of a hidden activation from the bound Ez on z (doc/bounds.md,
 * table of activations). GSL_EUNIMPL for a kind not modelled. */
static int hidden_bound(const ctx *c, const gp_activation *act, double z, double ez,
                        int pinned, double *ea, double *esp) {
    const char *k = act->name;
    if (!strcmp(k, "sigmoid"))
        sig_bound(c, z, ez, ea, esp);
    else if (!strcmp(k, "tanh"))
        tanh_bound(c, z, ez, ea, esp);
    else if (!strcmp(k, "relu") || !strcmp(k, "leaky-relu"))
        leaky_bound(c, act->alpha, z, ez, pinned, ea, esp);
    else if (!strcmp(k, "softplus"))
        softplus_bound(c, z, ez, ea, esp);
    else if (!strcmp(k, "identity")) {
        *ea = ez;
        *esp = 0;
    } else
        GSL_ERROR("bounds: hidden activation not modelled", GSL_EUNIMPL);
    return GSL_SUCCESS;
}

/* Softmax column: a_j(z + dz) / a_j(z) = e^{dz_j} / sum_k a_k e^{dz_k} lies in
 * [e^{-2E}, e^{2E}] for |dz| <= E, so |da_j| <= a_j (e^{2E} - 1). The candidate's
 * shift z_k - max rounds with error u |z_k - max| <= u (R + 2E) (R the range), an
 * argument error of the same kind; the exps (2K u each), the sum of n positive terms
 * (gamma_{n-1}) and the division (u) multiply a_j by at most (1 + g). */
static void softmax_bound(const ctx *c, const gsl_vector *z, const gsl_vector *ez,
                          const gsl_vector *a, gsl_vector *ea) {
    size_t n = z->size;
    double E = gsl_vector_max(ez), R = gsl_vector_max(z) - gsl_vector_min(z);
    double arg = E + c->m->u * (R + 2 * E);
    double g = (1 + gam(c, (double)n)) * (1 + 2 * c->ge) * (1 + c->m->u) - 1;
    double rel = (1 + expm1(2 * arg)) * (1 + g) - 1;
    for (size_t j = 0; j < n; j++)
        gsl_vector_set(ea, j, gsl_vector_get(a, j) * rel + (n + 4) * c->m->tiny);
}

/* ---- the oracle's values, shared by both bounds ---- */

typedef struct {
    const gp_network *net;
    const gsl_matrix *X, *Y;
    size_t m;
    double lambda, l1, n;     /* regularisation, n its divisor */
    gp_backprop_workspace *w; /* z, a, delta of the batch */
    gp_gradient *g;           /* unregularised gradient */
    gsl_matrix **sp;          /* f'(z^l), every layer l (output: sigma') */
    gsl_matrix *ea0;          /* ui |X|: the inputs' rounding */
    gsl_matrix **ez, **ea;    /* the bound being computed (views of its z, a) */
    gsl_matrix **esp;         /* bound on sigma'(z^l) */
    double cost_data, cost_reg;
} state;

static _gsl_matrix_const_view cols(const gsl_matrix *M, size_t m) {
    return gsl_matrix_const_submatrix(M, 0, 0, M->size1, m);
}

static gsl_matrix *abs_copy(const gsl_matrix *M, double scale, const gsl_matrix *plus) {
    gsl_matrix *r = gsl_matrix_alloc(M->size1, M->size2);
    if (r)
        for (size_t i = 0; i < M->size1; i++)
            for (size_t j = 0; j < M->size2; j++)
                gsl_matrix_set(r, i, j,
                               scale * fabs(gsl_matrix_get(M, i, j)) +
                                   (plus ? gsl_matrix_get(plus, i, j) : 0.0));
    return r;
}

/* z^l = W a + b, n + 1 terms per entry (Higham eq. (3.5), any order; left to right:
 * proofs/FloatPass.v layer_z_error):
 * |z_hat - z| <= gamma_{n+1} (|W_hat| |a_hat| + |b_hat|) + |W_hat - W| |a_hat|
 *              + |W| |a_hat - a| + |b_hat - b|,  with |a_hat| <= |a| + Ea. */
static int z_bound(const ctx *c, const gsl_matrix *W, const gsl_vector *b,
                   const gsl_matrix *A, const gsl_matrix *EA, gsl_matrix *EZ) {
    size_t n = W->size2;
    gsl_matrix *aW = abs_copy(W, 1, NULL), *Ap = abs_copy(A, 1, EA);
    gsl_matrix *P2 = gsl_matrix_alloc(EZ->size1, EZ->size2);
    int status = aW && Ap && P2 ? GSL_SUCCESS : GSL_ENOMEM;
    if (!status)
        status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1, aW, Ap, 0, EZ) ||
                 gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1, aW, EA, 0, P2);
    double g = gam(c, (double)n + 1), ui = c->ui;
    for (size_t j = 0; j < EZ->size1 && !status; j++) {
        double bj = fabs(gsl_vector_get(b, j));
        for (size_t i = 0; i < EZ->size2; i++) {
            double p1 = gsl_matrix_get(EZ, j, i), p2 = gsl_matrix_get(P2, j, i);
            gsl_matrix_set(EZ, j, i,
                           g * (1 + ui) * (p1 + bj) + ui * (p1 + bj) + p2 +
                               (n + 3) * c->m->tiny);
        }
    }
    gsl_matrix_free(aW);
    gsl_matrix_free(Ap);
    gsl_matrix_free(P2);
    return status;
}

/* The pinning candidate's z^l when layer l has a kink and the candidate dumped z^l in
 * the oracle's shape (n_l x m), else NULL; *at: the kink. */
static const gsl_matrix *pin_z(const ctx *c, const state *s, size_t l, double *at) {
    char nm[32];
    snprintf(nm, sizeof nm, "z%zu", l);
    int k = c->pin && l < s->net->p.L ? gp_dump_find(c->pin, nm) : -1;
    const gsl_matrix *zc = k < 0 ? NULL : c->pin->t[k];
    if (!zc || zc->size1 != s->net->p.sizes[l] || zc->size2 != s->m ||
        !gp_activation_kink(gp_network_activation(s->net, l), at))
        return NULL;
    return zc;
}

/* a^l and sigma'(z^l) of layer l from the bound on z^l. */
static void act_bound(const ctx *c, const state *s, size_t l) {
    const gsl_matrix *EZ = s->ez[l - 1];
    gsl_matrix_const_view Z = cols(s->w->z[l - 1], s->m), A = cols(s->w->a[l - 1], s->m);
    gp_output out = l < s->net->p.L ? GP_OUTPUT_SIGMOID : s->net->cost->output;
    if (out == GP_OUTPUT_LINEAR) {
        gsl_matrix_memcpy(s->ea[l - 1], EZ);
        gsl_matrix_set_zero(s->esp[l - 1]);
    } else if (out == GP_OUTPUT_SOFTMAX) {
        gsl_matrix_set_zero(s->esp[l - 1]);
        for (size_t i = 0; i < s->m; i++) {
            gsl_vector_const_view z = gsl_matrix_const_column(&Z.matrix, i),
                                  ez = gsl_matrix_const_column(EZ, i),
                                  a = gsl_matrix_const_column(&A.matrix, i);
            gsl_vector_view ea = gsl_matrix_column(s->ea[l - 1], i);
            softmax_bound(c, &z.vector, &ez.vector, &a.vector, &ea.vector);
        }
    } else {
        const gp_activation *act =
            l < s->net->p.L ? gp_network_activation(s->net, l) : &gp_activation_sigmoid;
        double at = 0;
        const gsl_matrix *zc = pin_z(c, s, l, &at);
        for (size_t j = 0; j < EZ->size1; j++)
            for (size_t i = 0; i < s->m; i++) {
                double ea, esp;
                int pinned = zc && gsl_matrix_get(zc, j, i) == at;
                hidden_bound(c, act, gsl_matrix_get(&Z.matrix, j, i),
                             gsl_matrix_get(EZ, j, i), pinned, &ea, &esp);
                gsl_matrix_set(s->ea[l - 1], j, i, ea);
                gsl_matrix_set(s->esp[l - 1], j, i, esp);
            }
    }
}

/* ---- the cost ---- */

/* Quadratic: sum of N = n_L m terms (1/2)(a - y)^2, then / m. With d = a - y,
 * Ed = Ea + Ey + u (|d| + Ea + Ey); each term moves by at most |d| Ed + Ed^2 / 2 and the
 * nonnegative sum, squares, halving and 1/m round within gamma_{N+4} of their total. */
static double quad_cost_bound(const ctx *c, const state *s, const gsl_matrix *A,
                              const gsl_matrix *EA) {
    double P = 0, S = 0, u = c->m->u;
    for (size_t j = 0; j < A->size1; j++)
        for (size_t i = 0; i < s->m; i++) {
            double y = gsl_matrix_get(s->Y, j, i), ey = c->ui * fabs(y);
            double d = fabs(gsl_matrix_get(A, j, i) - y), ea = gsl_matrix_get(EA, j, i);
            double ed = ea + ey + u * (d + ea + ey);
            P += d * ed + ed * ed / 2;
            S += (d + ed) * (d + ed) / 2;
        }
    double N = (double)(A->size1 * s->m);
    return (P + gam(c, N + 4) * S + (N + 4) * c->m->tiny) / s->m;
}

/* Cross-entropy in its stable form softplus(z) - y z (the oracle's fn_z): dt/dz =
 * sigma(z) - y, bounded over the interval by |a - y| + max sigma' Ez; dt/dy = -z.
 * softplus = max(z,0) + log1p(e^{-|z|}) rounds within gamma_{4K+1}, y z and the
 * difference add u each: gamma_{4K+3} (softplus + |y z|) per term; then the sum. */
static double xent_cost_bound(const ctx *c, const state *s, const gsl_matrix *Z,
                              const gsl_matrix *A, const gsl_matrix *EZ) {
    double P = 0, R = 0, T = 0, K = c->m->libm_ulps;
    double gt = gp_bounds_gamma(4 * K + 3, c->m->u);
    for (size_t j = 0; j < Z->size1; j++)
        for (size_t i = 0; i < s->m; i++) {
            double z = gsl_matrix_get(Z, j, i), ez = gsl_matrix_get(EZ, j, i);
            double y = gsl_matrix_get(s->Y, j, i), ey = c->ui * fabs(y);
            double lip = fabs(gsl_matrix_get(A, j, i) - y) + sp_max(z - ez, z + ez) * ez;
            double zp = fabs(z) + ez;
            P += lip * ez + ey * zp;
            R += gt * (gp_softplus(zp) + (fabs(y) + ey) * zp) + 8 * c->m->tiny;
            T += fabs(gp_softplus(z) - y * z);
        }
    double N = (double)(Z->size1 * s->m);
    return (P + R + gam(c, N + 2) * (T + P + R)) / s->m;
}

/* Log-likelihood sum_j y_j (lse(z) - z_j): |grad_z (lse - z_j)|_1 <= 2, so a term moves
 * by at most 2 max Ez. lse = M + ln sum e^{z_k - M}: the shifts (u |z_k - M| <= u R),
 * the exps (2K u), the sum (gamma_{n-1}), the log (2K u), the additions of M and -z_j
 * give at most gamma_{n+4K+4} (1 + R + |M| + ln n + |lse| + |z_j|). */
static double ll_cost_bound(const ctx *c, const state *s, const gsl_matrix *Z,
                            const gsl_matrix *EZ) {
    double P = 0, R = 0, T = 0, K = c->m->libm_ulps;
    size_t n = Z->size1;
    double gl = gp_bounds_gamma((double)n + 4 * K + 4, c->m->u);
    for (size_t i = 0; i < s->m; i++) {
        gsl_vector_const_view z = gsl_matrix_const_column(Z, i),
                              ez = gsl_matrix_const_column(EZ, i);
        double E = gsl_vector_max(&ez.vector), M = gsl_vector_max(&z.vector);
        double Rg = M - gsl_vector_min(&z.vector), lse = gp_log_sum_exp(&z.vector);
        for (size_t j = 0; j < n; j++) {
            double y = fabs(gsl_matrix_get(s->Y, j, i)),
                   zj = gsl_vector_get(&z.vector, j);
            if (y == 0)
                continue;
            P += y * (2 * E + c->ui);
            R += y * gl *
                 (1 + Rg + fabs(M) + log((double)n) + fabs(lse) + fabs(zj) + 6 * E);
            T += y * fabs(lse - zj);
        }
    }
    return (P + R + gam(c, (double)s->m + 2) * (T + P + R) + (n + 8) * c->m->tiny) / s->m;
}

/* Regularisation (lambda/2n) sum w^2 + (l1/n) sum |w| with |W_hat - W| <= ui |W|:
 * propagated (lambda/2n) sum (2 |w| Ew + Ew^2) + (l1/n) sum Ew, rounded (the sums of
 * N_w terms, lambda and l1 themselves, the divisions) within gamma_{N_w+6}. */
static double reg_cost_bound(const ctx *c, const state *s) {
    double P = 0, S = 0, Nw = 0;
    if (s->lambda == 0 && s->l1 == 0)
        return 0;
    for (size_t l = 0; l < s->net->p.L; l++) {
        const gsl_matrix *W = s->net->p.w[l];
        for (size_t j = 0; j < W->size1; j++)
            for (size_t k = 0; k < W->size2; k++) {
                double w = fabs(gsl_matrix_get(W, j, k)), ew = c->ui * w;
                P += s->lambda / (2 * s->n) * (2 * w * ew + ew * ew) + s->l1 / s->n * ew;
                S += s->lambda / (2 * s->n) * (w + ew) * (w + ew) +
                     s->l1 / s->n * (w + ew);
            }
        Nw += (double)(W->size1 * W->size2);
    }
    return P + gam(c, Nw + 6) * S + (Nw + 6) * c->m->tiny;
}

/* The total cost: data term + regularisation, the final addition rounding by u. */
static double cost_bound(const ctx *c, const state *s) {
    size_t L = s->net->p.L;
    gsl_matrix_const_view Z = cols(s->w->z[L - 1], s->m), A = cols(s->w->a[L - 1], s->m);
    const gp_cost_type *cost = s->net->cost;
    double e;
    if (cost->output == GP_OUTPUT_SOFTMAX)
        e = ll_cost_bound(c, s, &Z.matrix, s->ez[L - 1]);
    else if (cost == &gp_cost_cross_entropy)
        e = xent_cost_bound(c, s, &Z.matrix, &A.matrix, s->ez[L - 1]);
    else
        e = quad_cost_bound(c, s, &A.matrix, s->ea[L - 1]);
    double er = reg_cost_bound(c, s);
    return e + er + c->m->u * (fabs(s->cost_data) + fabs(s->cost_reg) + e + er);
}

/* ---- the backward pass ---- */

/* |x_hat y_hat - x y| for |x_hat - x| <= ex, |y_hat - y| <= ey, the product rounded:
 * proofs/FloatStep.v prod_entry_error. */
static double prod_bound(const ctx *c, double x, double ex, double y, double ey) {
    x = fabs(x);
    y = fabs(y);
    return ex * (y + ey) + x * ey + c->m->u * (x + ex) * (y + ey) + 2 * c->m->tiny;
}

/* BP1: delta^L = a - y (cross-entropy, log-likelihood, quadratic-linear) or
 * (a - y) sigma'(z^L) (quadratic with sigmoid output, [65]). An implementation by
 * automatic differentiation gets delta as m times the gradient of the batch mean:
 * two more roundings (the 1/m and the m), gamma_2 relative, allowed here.
 * proofs/FloatPass.v bp1_xent_entry_error */
static void deltaL_bound(const ctx *c, const state *s, gsl_matrix *ED) {
    size_t L = s->net->p.L;
    int times_sp = s->net->cost == &gp_cost_quadratic;
    for (size_t j = 0; j < ED->size1; j++)
        for (size_t i = 0; i < s->m; i++) {
            double y = gsl_matrix_get(s->Y, j, i), ey = c->ui * fabs(y);
            double d = fabs(gsl_matrix_get(s->w->a[L - 1], j, i) - y);
            double ea = gsl_matrix_get(s->ea[L - 1], j, i);
            double ed = ea + ey + c->m->u * (d + ea + ey) + c->m->tiny;
            if (times_sp) {
                double sp = gsl_matrix_get(s->sp[L - 1], j, i);
                ed = prod_bound(c, d, ed, sp, gsl_matrix_get(s->esp[L - 1], j, i));
                d *= sp;
            }
            gsl_matrix_set(ED, j, i, ed + gam(c, 2) * (d + ed));
        }
}

/* BP2: delta^{l-1} = ((W^l)^T delta^l) sigma'(z^{l-1}); the product W^T delta is an
 * inner product of n_l terms, bounded as z is in z_bound (proofs/FloatPass.v
 * bp2_entry_error). */
static int bp2_bound(const ctx *c, const state *s, size_t l, const gsl_matrix *ED,
                     gsl_matrix *EDm) {
    const gsl_matrix *W = s->net->p.w[l - 1];
    gsl_matrix_const_view D = cols(s->w->delta[l - 1], s->m);
    gsl_matrix *aW = abs_copy(W, 1, NULL), *Dp = abs_copy(&D.matrix, 1, ED);
    gsl_matrix *Q2 = gsl_matrix_alloc(EDm->size1, s->m),
               *G = gsl_matrix_alloc(EDm->size1, s->m);
    int status = aW && Dp && Q2 && G ? GSL_SUCCESS : GSL_ENOMEM;
    if (!status)
        status = gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, aW, Dp, 0, EDm) ||
                 gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, aW, ED, 0, Q2) ||
                 gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, W, &D.matrix, 0, G);
    double g = gam(c, (double)W->size1), ui = c->ui;
    for (size_t k = 0; k < EDm->size1 && !status; k++)
        for (size_t i = 0; i < s->m; i++) {
            double q1 = gsl_matrix_get(EDm, k, i);
            double eg = g * (1 + ui) * q1 + ui * q1 + gsl_matrix_get(Q2, k, i) +
                        (W->size1 + 2) * c->m->tiny;
            double sp = gsl_matrix_get(s->sp[l - 2], k, i), gk = gsl_matrix_get(G, k, i);
            double ed = prod_bound(c, gk, eg, sp, gsl_matrix_get(s->esp[l - 2], k, i));
            /* automatic differentiation: this delta times m, one more rounding */
            gsl_matrix_set(EDm, k, i, ed + c->m->u * (fabs(gk * sp) + ed));
        }
    gsl_matrix_free(aW);
    gsl_matrix_free(Dp);
    gsl_matrix_free(Q2);
    gsl_matrix_free(G);
    return status;
}

/* Regularisation gradient (lambda/n) w + (l1/n) sgn w added to the data gradient:
 * w rounded (ui |w|, sign kept), the coefficients and the product (gamma_4), the
 * addition (u). This expression, term for term, is proofs/FloatStep.v
 * reg_grad_fl_error (gamma_4: four_roundings_gamma4). */
static double reg_grad_bound(const ctx *c, const state *s, double w, double dw,
                             double edw) {
    double r = s->lambda / s->n, r1 = s->l1 / s->n, ew = c->ui * fabs(w);
    double g4 = gp_bounds_gamma(4, c->m->u);
    double er = r * ew + g4 * (r * (fabs(w) + ew) + r1);
    return edw + er + c->m->u * (fabs(dw) + edw + r * (fabs(w) + ew) + r1 + er);
}

/* BP3, BP4: dW = (1/m) delta (a^{l-1})^T and db = (1/m) delta 1, inner products of
 * m terms, the 1/m rounding once more (gamma_{m+2}): (g S + S2) / m is
 * proofs/FloatStep.v batch_mean_error, and (g sd + se) / m is
 * proofs/FloatStep.v batch_mean_bias_error. Then the regularisation (reg_grad_bound). */
static int grad_bound(const ctx *c, const state *s, size_t l, const gsl_matrix *ED,
                      gp_bounds_layer *out) {
    gsl_matrix_const_view D = cols(s->w->delta[l - 1], s->m);
    gsl_matrix_const_view A = cols(l == 1 ? s->X : s->w->a[l - 2], s->m);
    const gsl_matrix *EA = l == 1 ? s->ea0 : s->ea[l - 2];
    gsl_matrix *Dp = abs_copy(&D.matrix, 1, ED), *Ap = abs_copy(&A.matrix, 1, EA);
    gsl_matrix *aD = abs_copy(&D.matrix, 1, NULL), *S = out->dW;
    gsl_matrix *S2 = gsl_matrix_alloc(S->size1, S->size2);
    int status = Dp && Ap && aD && S2 ? GSL_SUCCESS : GSL_ENOMEM;
    if (!status)
        status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1, Dp, Ap, 0, S) ||
                 gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1, ED, Ap, 0, S2) ||
                 gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1, aD, EA, 1, S2);
    double g = gam(c, (double)s->m + 2), m = (double)s->m;
    for (size_t j = 0; j < S->size1 && !status; j++) {
        double sd = 0, se = 0;
        for (size_t k = 0; k < S->size2; k++) {
            double e = (g * gsl_matrix_get(S, j, k) + gsl_matrix_get(S2, j, k) +
                        (m + 4) * c->m->tiny) /
                       m;
            if (s->lambda != 0 || s->l1 != 0)
                e = reg_grad_bound(c, s, gsl_matrix_get(s->net->p.w[l - 1], j, k),
                                   gsl_matrix_get(s->g->w[l - 1], j, k), e);
            gsl_matrix_set(S, j, k, e);
        }
        for (size_t i = 0; i < s->m; i++) {
            sd += gsl_matrix_get(Dp, j, i);
            se += gsl_matrix_get(ED, j, i);
        }
        gsl_matrix_set(out->db, j, 0, (g * sd + se + (m + 4) * c->m->tiny) / m);
    }
    gsl_matrix_free(Dp);
    gsl_matrix_free(Ap);
    gsl_matrix_free(aD);
    gsl_matrix_free(S2);
    return status;
}

/* ---- driver ---- */

static void inflate(gsl_matrix *M) {
    gsl_matrix_scale(M, INFLATE);
}

/* One bound (worst case or probabilistic) into out[0..L-1] and *cost. The layers are
 * composed numerically, entry by entry; proofs/FloatDeep.v forward_pass_error is the
 * closed form of the same induction on depth with row-sum norms (coarser). */
static int run(const ctx *c, state *s, gp_bounds_layer *out, double *cost) {
    size_t L = s->net->p.L;
    int status = GSL_SUCCESS;
    for (size_t l = 1; l <= L; l++) {
        s->ez[l - 1] = out[l - 1].z;
        s->ea[l - 1] = out[l - 1].a;
    }
    for (size_t l = 1; l <= L && !status; l++) {
        gsl_matrix_const_view A = cols(l == 1 ? s->X : s->w->a[l - 2], s->m);
        status = z_bound(c, s->net->p.w[l - 1], s->net->p.b[l - 1], &A.matrix,
                         l == 1 ? s->ea0 : s->ea[l - 2], s->ez[l - 1]);
        if (!status)
            act_bound(c, s, l);
    }
    if (status)
        return status;
    *cost = cost_bound(c, s) * INFLATE;
    deltaL_bound(c, s, out[L - 1].delta);
    for (size_t l = L; l >= 2 && !status; l--)
        status = bp2_bound(c, s, l, out[l - 1].delta, out[l - 2].delta);
    for (size_t l = 1; l <= L && !status; l++)
        status = grad_bound(c, s, l, out[l - 1].delta, &out[l - 1]);
    for (size_t l = 0; l < L; l++) {
        inflate(out[l].z);
        inflate(out[l].a);
        inflate(out[l].delta);
        inflate(out[l].dW);
        inflate(out[l].db);
    }
    return status;
}

static void state_free(state *s) {
    gp_backprop_workspace_free(s->w);
    gp_gradient_free(s->g);
    gsl_matrix_free(s->ea0);
    for (size_t l = 0; l < s->net->p.L; l++) {
        if (s->sp)
            gsl_matrix_free(s->sp[l]);
        if (s->esp)
            gsl_matrix_free(s->esp[l]);
    }
    free(s->sp);
    free(s->esp);
    free(s->ez);
    free(s->ea);
}

/* The oracle's forward and backward passes, sigma'(z^l) and the two cost terms. */
static int state_init(state *s, const ctx *c) {
    size_t L = s->net->p.L;
    s->w = gp_backprop_workspace_alloc(s->net, s->m);
    s->g = gp_gradient_alloc(s->net);
    s->ea0 = abs_copy(s->X, c->ui, NULL);
    s->sp = calloc(L, sizeof *s->sp);
    s->esp = calloc(L, sizeof *s->esp);
    s->ez = calloc(L, sizeof *s->ez);
    s->ea = calloc(L, sizeof *s->ea);
    if (!s->w || !s->g || !s->ea0 || !s->sp || !s->esp || !s->ez || !s->ea)
        return GSL_ENOMEM;
    int status = gp_total_cost(s->net, s->X, s->Y, NULL, s->w, &s->cost_data);
    if (!status)
        status = gp_backprop_batch(s->net, s->X, s->Y, s->w, s->g);
    for (size_t l = 0; l < L && !status; l++) {
        s->sp[l] = gsl_matrix_alloc(s->net->p.sizes[l + 1], s->m);
        s->esp[l] = gsl_matrix_alloc(s->net->p.sizes[l + 1], s->m);
        if (!s->sp[l] || !s->esp[l])
            return GSL_ENOMEM;
        const gp_activation *act =
            l + 1 < L ? gp_network_activation(s->net, l + 1) : &gp_activation_sigmoid;
        for (size_t j = 0; j < s->sp[l]->size1; j++)
            for (size_t i = 0; i < s->m; i++)
                gsl_matrix_set(s->sp[l], j, i,
                               act->df(act, gsl_matrix_get(s->w->z[l], j, i)));
    }
    return status;
}

/* Longest sum any gamma above is applied to, for the stated failure probability. */
static double longest_sum(const gp_network *net, size_t m) {
    size_t L = net->p.L, n = net->p.sizes[L] * m + 4, nw = 6;
    for (size_t l = 1; l <= L; l++) {
        n = GSL_MAX(n, net->p.sizes[l - 1] + 1);
        n = GSL_MAX(n, net->p.sizes[l]);
        nw += net->p.sizes[l] * net->p.sizes[l - 1];
    }
    return (double)GSL_MAX(GSL_MAX(n, m + 2), nw);
}

int gp_bounds_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, const gp_bounds_model *model,
                      gp_bounds *b) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(model, GSL_EINVAL);
    GPI_NONNULL(b, GSL_EINVAL);
    return gpi_bounds_compute_pinned(net, X, Y, reg, model, NULL, b);
}

int gpi_bounds_compute_pinned(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_regularization *reg,
                              const gp_bounds_model *model, const gp_dump *pin,
                              gp_bounds *b) {
    size_t L = net->p.L, m = X->size2;
    int fit = b->L == L && b->m == m && Y->size2 == m && X->size1 == net->p.sizes[0] &&
              Y->size1 == net->p.sizes[L];
    /* bounds of another network of the same depth (gp_bounds_alloc's shapes) */
    for (size_t l = 1; fit && l <= L; l++)
        fit = b->worst[l - 1].dW->size1 == net->p.sizes[l] &&
              b->worst[l - 1].dW->size2 == net->p.sizes[l - 1];
    if (!fit)
        GSL_ERROR("bounds: shapes of X, Y or the bounds do not fit the network",
                  GSL_EBADLEN);
    /* an infinite tiny or libm_ulps made every bound NaN, with status 0 */
    if (!(model->u > 0 && model->u < 0.25) || !(model->tiny >= 0) ||
        !(model->libm_ulps >= 0) || !(model->lambda > 0) || !isfinite(model->tiny) ||
        !isfinite(model->libm_ulps) || !isfinite(model->lambda))
        GSL_ERROR("bounds: bad model (u in (0, 1/4), tiny, libm_ulps >= 0, lambda > 0, "
                  "all finite)",
                  GSL_EDOM);
    if (reg && gpi_reg_check(reg->lambda, reg->l1)) /* as gp_dump_compute refuses it */
        return GSL_EDOM;
    for (size_t l = 1; l < L; l++) {
        double ea, esp;
        ctx probe = {model, 0, 0, 0, 0, NULL};
        if (hidden_bound(&probe, gp_network_activation(net, l), 0, 0, 0, &ea, &esp))
            return GSL_EUNIMPL;
    }
    double K = model->libm_ulps;
    ctx c = {model,
             0,
             model->round_inputs ? model->u : 0.0,
             gp_bounds_gamma(4 * K + 2, model->u),
             gp_bounds_gamma(2 * K, model->u),
             pin};
    state s = {0};
    s.net = net;
    s.X = X;
    s.Y = Y;
    s.m = m;
    s.lambda = reg ? reg->lambda : 0;
    s.l1 = reg ? reg->l1 : 0;
    s.n = reg && reg->n ? (double)reg->n : (double)m;
    int status = state_init(&s, &c);
    if (!status && reg)
        s.cost_reg = gp_regularization_cost(net, reg, m);
    if (!status)
        status = run(&c, &s, b->worst, &b->cost_worst);
    c.prob = 1;
    if (!status)
        status = run(&c, &s, b->prob, &b->cost_prob);
    b->prob_fail = gp_bounds_prob_fail(longest_sum(net, m), model->u, model->lambda);
    state_free(&s);
    return status;
}

/* ---- the three-way verdict ---- */

const char *gp_verdict_name(gp_verdict v) {
    return v == GP_VERDICT_AGREE          ? "agree"
           : v == GP_VERDICT_INCONCLUSIVE ? "inconclusive"
                                          : "disagree";
}

gp_verdict gp_bounds_verdict(double c, double o, double bw, double bp, double bo) {
    double d = fabs(c - o);
    if (!isfinite(c) || !(d <= bw + bo))
        return GP_VERDICT_DISAGREE;
    return d <= bp + bo ? GP_VERDICT_AGREE : GP_VERDICT_INCONCLUSIVE;
}

/* The matrix of tensor `name` in a bounds layer array, or NULL (cost: *is_cost = 1). */
static const gsl_matrix *tensor_of(const gp_bounds *b, const gp_bounds_layer *t,
                                   const char *name, int *is_cost) {
    static const char *pre[] = {"delta", "dW", "db", "z", "a"};
    *is_cost = !strcmp(name, "cost");
    for (size_t q = 0; q < 5 && !*is_cost; q++) {
        size_t n = strlen(pre[q]);
        char *end;
        if (strncmp(name, pre[q], n) || name[n] < '1' || name[n] > '9')
            continue;
        unsigned long l = strtoul(name + n, &end, 10);
        if (*end || l < 1 || l > b->L)
            return NULL;
        const gp_bounds_layer *y = &t[l - 1];
        return q == 0 ? y->delta : q == 1 ? y->dW : q == 2 ? y->db : q == 3 ? y->z : y->a;
    }
    return NULL;
}

int gp_bounds_entry(const gp_bounds *b, const char *name, size_t i, size_t j,
                    double *worst, double *prob) {
    int is_cost;
    if (!b || !name || !worst || !prob)
        GSL_ERROR("bounds: NULL bounds, name or result", GSL_EINVAL);
    const gsl_matrix *w = tensor_of(b, b->worst, name, &is_cost);
    const gsl_matrix *p = tensor_of(b, b->prob, name, &is_cost);
    if (is_cost && i == 0 && j == 0) {
        *worst = b->cost_worst;
        *prob = b->cost_prob;
        return GSL_SUCCESS;
    }
    if (!w || i >= w->size1 || j >= w->size2)
        GSL_ERROR("bounds: unknown tensor or entry", GSL_EINVAL);
    *worst = gsl_matrix_get(w, i, j);
    *prob = gsl_matrix_get(p, i, j);
    return GSL_SUCCESS;
}

int gp_bounds_compare_tensor(const gp_bounds *bc, const gp_bounds *bo, const char *name,
                             const gsl_matrix *cand, const gsl_matrix *oracle,
                             gp_verdict_counts *out) {
    GPI_NONNULL(bc, GSL_EINVAL);
    GPI_NONNULL(bo, GSL_EINVAL);
    GPI_NONNULL(name, GSL_EINVAL);
    GPI_NONNULL(cand, GSL_EINVAL);
    GPI_NONNULL(oracle, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    return gpi_bounds_compare_tensor(bc, bo, name, cand, oracle, out, NULL, 0, 0);
}

int gpi_bounds_compare_tensor(const gp_bounds *bc, const gp_bounds *bo, const char *name,
                              const gsl_matrix *cand, const gsl_matrix *oracle,
                              gp_verdict_counts *out, gp_fcheck_report *rep, size_t t,
                              size_t n_worst) {
    memset(out, 0, sizeof *out);
    if (cand->size1 != oracle->size1 || cand->size2 != oracle->size2)
        GSL_ERROR("bounds: candidate and oracle shapes differ", GSL_EBADLEN);
    for (size_t i = 0; i < cand->size1; i++)
        for (size_t j = 0; j < cand->size2; j++) {
            double bw, bp, ow, op;
            if (gp_bounds_entry(bc, name, i, j, &bw, &bp) ||
                gp_bounds_entry(bo, name, i, j, &ow, &op))
                GSL_ERROR("bounds: unknown tensor or shape", GSL_EINVAL);
            double c = gsl_matrix_get(cand, i, j), o = gsl_matrix_get(oracle, i, j);
            /* agree within both probabilistic bounds, disagree beyond both worst
             * cases: a kink the oracle's own z may straddle widens only the latter */
            gp_verdict v = gp_bounds_verdict(c, o, bw + ow, bp + op, 0.0);
            out->n_agree += v == GP_VERDICT_AGREE;
            out->n_inconclusive += v == GP_VERDICT_INCONCLUSIVE;
            out->n_disagree += v == GP_VERDICT_DISAGREE;
            if (rep)
                gpi_fcheck_add_allowed(rep, n_worst, t, i * cand->size2 + j, c, o, 0.0,
                                       bw + ow, v != GP_VERDICT_DISAGREE);
            double r = isfinite(c) ? fabs(c - o) / (bw + ow) : INFINITY;
            if (r > out->max_ratio || (i == 0 && j == 0)) {
                out->max_ratio = r;
                out->worst_i = i;
                out->worst_j = j;
            }
        }
    return GSL_SUCCESS;
}
