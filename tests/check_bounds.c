/* check_bounds.c: the running error analysis (bounds.h) against a float32
 * implementation of the same formulas written here, in four summation orders.
 *
 * Properties: every entry of z, a, delta, dW, db and the cost computed in float32 lies
 * within the worst-case bound of float32 plus the oracle's own float64 bound, on random
 * cases of every cost, with and without regularisation (the fraction inside the
 * probabilistic bound is printed as GP-STAT). Teeth: the same bounds computed with
 * u/16 are exceeded (the containment is not vacuous), and planted bugs in the float32
 * implementation (missing sigma', 1/m missing, weight decay on biases, a dropped
 * sample, the forward matmuls in bfloat16, an epsilon inside the log; tanh' as 1 - f,
 * relu' and softplus' as f, leaky ReLU's slope dropped) are "disagree". Every hidden
 * activation is covered; at a ReLU kink a flipped f' is "inconclusive". */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_errno.h>

#include <gradproof/bounds.h>

#include "testutil.h"

#define TU_PROG "check_bounds"
#define MAXL 8

enum { ORD_FWD, ORD_REV, ORD_PAIR, ORD_FMA, N_ORD };
enum {
    BUG_NONE = 0,
    BUG_NO_SP = 1,     /* hidden delta without sigma'(z) */
    BUG_SUM = 2,       /* dW, db summed instead of averaged */
    BUG_DECAY_B = 4,   /* weight decay applied to the biases too */
    BUG_DROP = 8,      /* the last sample left out of dW, db */
    BUG_BF16 = 16,     /* forward matmuls with W and a rounded to bfloat16 */
    BUG_LOG_EPS = 32,  /* cost with log(a + 1e-7) */
    BUG_TANH_1MF = 64, /* tanh' as 1 - f instead of 1 - f^2 */
    BUG_RELU_F = 128,  /* relu' as f (the value, not the step) */
    BUG_SP_F = 256,    /* softplus' as f instead of sigma */
    BUG_NO_SLOPE = 512 /* leaky ReLU with its slope alpha dropped (ReLU) */
};

/* The case in float32, row-major, samples as columns ([j * m + i]). */
typedef struct {
    size_t L, m, n[MAXL + 1];
    float *W[MAXL], *b[MAXL], *X, *Y;
    float *z[MAXL], *a[MAXL], *sp[MAXL], *delta[MAXL], *dW[MAXL], *db[MAXL];
    float cost, lambda, l1, nreg;
    const gp_cost_type *ct;
    const gp_activation *act[MAXL]; /* hidden layers' (borrowed from the network) */
} f32net;

static float *fcopy(const gsl_matrix *M) {
    float *f = malloc(M->size1 * M->size2 * sizeof *f);
    for (size_t j = 0; j < M->size1; j++)
        for (size_t k = 0; k < M->size2; k++)
            f[j * M->size2 + k] = (float)gsl_matrix_get(M, j, k);
    return f;
}

static float bf16(float x) {
    /* round to nearest even on the upper 16 bits */
    unsigned int v;
    memcpy(&v, &x, 4);
    v = (v + 0x7fffu + ((v >> 16) & 1u)) & 0xffff0000u;
    memcpy(&x, &v, 4);
    return x;
}

static float pairwise(const float *t, size_t n) {
    if (n == 1)
        return t[0];
    size_t h = n / 2;
    return pairwise(t, h) + pairwise(t + h, n - h);
}

/* init + sum_k x[k sx] y[k sy] (y NULL: the x alone) in the given order. */
static float fdot(const float *x, size_t sx, const float *y, size_t sy, size_t n,
                  float init, int ord) {
    float s = init;
    if (ord == ORD_PAIR) {
        float *t = malloc((n + 1) * sizeof *t);
        t[0] = init;
        for (size_t k = 0; k < n; k++)
            t[k + 1] = y ? x[k * sx] * y[k * sy] : x[k * sx];
        s = pairwise(t, n + 1);
        free(t);
    } else
        for (size_t q = 0; q < n; q++) {
            size_t k = ord == ORD_REV ? n - 1 - q : q;
            float yk = y ? y[k * sy] : 1.0f;
            s = ord == ORD_FMA ? fmaf(x[k * sx], yk, s) : s + x[k * sx] * yk;
        }
    return s;
}

static float sigf(float z, int ord) {
    if (ord == ORD_REV || z >= 0)
        return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* Hidden activation act in float32: a = f(z), sp = f'(z), the formulas of the
 * peers (ord picks between two forms where there are two), with the planted bugs. */
static void f32_act(const gp_activation *act, float z, int ord, int bugs, float *a,
                    float *sp) {
    const char *k = act->name;
    if (!strcmp(k, "tanh")) {
        *a = tanhf(z);
        *sp = (bugs & BUG_TANH_1MF) ? 1.0f - *a
              : ord == ORD_FMA      ? fmaf(-*a, *a, 1.0f)
                                    : 1.0f - *a * *a;
    } else if (!strcmp(k, "relu") || !strcmp(k, "leaky-relu")) {
        float al = (bugs & BUG_NO_SLOPE) ? 0.0f : (float)act->alpha;
        *a = z > 0 ? z : al * z;
        *sp = (bugs & BUG_RELU_F) ? *a : z > 0 ? 1.0f : al;
    } else if (!strcmp(k, "softplus")) {
        /* PyTorch's form (linear above 20) or the stable one */
        *a = ord == ORD_REV ? (z > 20 ? z : log1pf(expf(z)))
                            : fmaxf(z, 0) + log1pf(expf(-fabsf(z)));
        *sp = (bugs & BUG_SP_F) ? *a : sigf(z, ord);
    } else if (!strcmp(k, "identity")) {
        *a = z;
        *sp = 1.0f;
    } else {
        *a = sigf(z, ord);
        *sp = *a * (1.0f - *a);
    }
}

static void f32_alloc(f32net *f, const gp_network *net, const gsl_matrix *X,
                      const gsl_matrix *Y, const gp_regularization *reg) {
    memset(f, 0, sizeof *f);
    f->L = net->p.L;
    f->m = X->size2;
    f->ct = net->cost;
    for (size_t l = 1; l < f->L; l++)
        f->act[l - 1] = gp_network_activation(net, l);
    for (size_t l = 0; l <= f->L; l++)
        f->n[l] = net->p.sizes[l];
    for (size_t l = 0; l < f->L; l++) {
        gsl_matrix_const_view bv =
            gsl_matrix_const_view_vector(net->p.b[l], net->p.b[l]->size, 1);
        f->W[l] = fcopy(net->p.w[l]);
        f->b[l] = fcopy(&bv.matrix);
        size_t s = f->n[l + 1] * f->m;
        f->z[l] = calloc(s, 4);
        f->a[l] = calloc(s, 4);
        f->sp[l] = calloc(s, 4);
        f->delta[l] = calloc(s, 4);
        f->dW[l] = calloc(f->n[l + 1] * f->n[l], 4);
        f->db[l] = calloc(f->n[l + 1], 4);
    }
    f->X = fcopy(X);
    f->Y = fcopy(Y);
    f->lambda = reg ? (float)reg->lambda : 0;
    f->l1 = reg ? (float)reg->l1 : 0;
    f->nreg = (float)(reg && reg->n ? reg->n : f->m);
}

static void f32_free(f32net *f) {
    for (size_t l = 0; l < f->L; l++) {
        free(f->W[l]);
        free(f->b[l]);
        free(f->z[l]);
        free(f->a[l]);
        free(f->sp[l]);
        free(f->delta[l]);
        free(f->dW[l]);
        free(f->db[l]);
    }
    free(f->X);
    free(f->Y);
}

/* Forward pass: z = W a + b (n + 1 terms in order ord), hidden and sigmoid outputs
 * a = sigma(z) with sp = a (1 - a), softmax with the maximum subtracted. */
static void f32_forward(f32net *f, int ord, int bugs) {
    size_t m = f->m;
    for (size_t l = 0; l < f->L; l++) {
        size_t n = f->n[l + 1], k = f->n[l];
        float *W = malloc(n * k * 4), *A = malloc(k * m * 4);
        memcpy(W, f->W[l], n * k * 4);
        memcpy(A, l ? f->a[l - 1] : f->X, k * m * 4);
        for (size_t q = 0; (bugs & BUG_BF16) && q < n * k; q++)
            W[q] = bf16(W[q]);
        for (size_t q = 0; (bugs & BUG_BF16) && q < k * m; q++)
            A[q] = bf16(A[q]);
        gp_output out = l + 1 < f->L ? GP_OUTPUT_SIGMOID : f->ct->output;
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < m; i++) {
                float z = fdot(&W[j * k], 1, &A[i], m, k, f->b[l][j], ord);
                f->z[l][j * m + i] = z;
                f->a[l][j * m + i] = out == GP_OUTPUT_SIGMOID ? sigf(z, ord) : z;
                float a = f->a[l][j * m + i];
                f->sp[l][j * m + i] = a * (1.0f - a);
                if (l + 1 < f->L)
                    f32_act(f->act[l], z, ord, bugs, &f->a[l][j * m + i],
                            &f->sp[l][j * m + i]);
            }
        for (size_t i = 0; out == GP_OUTPUT_SOFTMAX && i < m; i++) {
            float M = -INFINITY, *a = f->a[l];
            for (size_t j = 0; j < n; j++)
                M = fmaxf(M, f->z[l][j * m + i]);
            for (size_t j = 0; j < n; j++)
                a[j * m + i] = expf(f->z[l][j * m + i] - M);
            float s = fdot(&a[i], m, NULL, 0, n, 0, ord);
            for (size_t j = 0; j < n; j++)
                a[j * m + i] = a[j * m + i] / s;
        }
        free(W);
        free(A);
    }
}

/* The cost terms per entry (stable forms, as the oracle's fn_z), their sum / m, then
 * the regularisation. */
static float f32_cost(f32net *f, int ord, int bugs) {
    size_t L = f->L - 1, n = f->n[f->L], m = f->m, N = n * m;
    float *t = calloc(N, 4), *z = f->z[L], *a = f->a[L], *Y = f->Y;
    for (size_t i = 0; i < m; i++) {
        float M = -INFINITY, s = 0;
        for (size_t j = 0; j < n; j++)
            M = fmaxf(M, z[j * m + i]);
        for (size_t j = 0; j < n; j++)
            s += expf(z[j * m + i] - M);
        float lse = M + logf(s);
        for (size_t j = 0; j < n; j++) {
            size_t q = j * m + i;
            float y = Y[q], eps = (bugs & BUG_LOG_EPS) ? 1e-7f : 0.0f;
            if (f->ct->output == GP_OUTPUT_SOFTMAX)
                t[q] =
                    y == 0 ? 0.0f : (eps != 0 ? -y * logf(a[q] + eps) : y * (lse - z[q]));
            else if (f->ct == &gp_cost_cross_entropy)
                t[q] = eps != 0 ? -(y * logf(a[q] + eps) + (1 - y) * logf(1 - a[q] + eps))
                                : fmaxf(z[q], 0) + log1pf(expf(-fabsf(z[q]))) - y * z[q];
            else
                t[q] = 0.5f * (a[q] - y) * (a[q] - y);
        }
    }
    float c = fdot(t, 1, NULL, 0, N, 0, ord) / (float)m, s2 = 0, s1 = 0;
    free(t);
    for (size_t l = 0; l < f->L; l++) {
        size_t nw = f->n[l + 1] * f->n[l];
        s2 += fdot(f->W[l], 1, f->W[l], 1, nw, 0, ord);
        for (size_t q = 0; q < nw; q++)
            s1 += fabsf(f->W[l][q]);
    }
    return c + f->lambda / (2 * f->nreg) * s2 + f->l1 / f->nreg * s1;
}

/* BP1-BP4 and the regularisation gradient. */
static void f32_backward(f32net *f, int ord, int bugs) {
    size_t L = f->L, m = f->m, mm = (bugs & BUG_DROP) && m > 1 ? m - 1 : m;
    for (size_t q = 0; q < f->n[L] * m; q++) {
        float d = f->a[L - 1][q] - f->Y[q];
        f->delta[L - 1][q] = f->ct == &gp_cost_quadratic ? d * f->sp[L - 1][q] : d;
    }
    for (size_t l = L - 1; l >= 1; l--)
        for (size_t k = 0; k < f->n[l]; k++)
            for (size_t i = 0; i < m; i++) {
                float g =
                    fdot(&f->W[l][k], f->n[l], &f->delta[l][i], m, f->n[l + 1], 0, ord);
                f->delta[l - 1][k * m + i] =
                    (bugs & BUG_NO_SP) ? g : g * f->sp[l - 1][k * m + i];
            }
    float dm = (bugs & BUG_SUM) ? 1.0f : (float)m;
    for (size_t l = 0; l < L; l++) {
        const float *A = l ? f->a[l - 1] : f->X;
        for (size_t j = 0; j < f->n[l + 1]; j++) {
            for (size_t k = 0; k < f->n[l]; k++) {
                float w = f->W[l][j * f->n[l] + k];
                float g = fdot(&f->delta[l][j * m], 1, &A[k * m], 1, mm, 0, ord) / dm;
                g += f->lambda / f->nreg * w;
                g += f->l1 / f->nreg * (float)((w > 0) - (w < 0));
                f->dW[l][j * f->n[l] + k] = g;
            }
            float g = fdot(&f->delta[l][j * m], 1, NULL, 0, mm, 0, ord) / dm;
            if (bugs & BUG_DECAY_B)
                g += f->lambda / f->nreg * f->b[l][j];
            f->db[l][j] = g;
        }
    }
}

/* ---- comparison with the oracle ---- */

typedef struct {
    size_t entries, outside, inside_prob, old_fail;
    double worst_ratio; /* max |f - o| / worst-case allowance */
    char where[160];
} tally;

/* Fold one tensor: f (float32, row-major rows x cols) against the oracle O with the
 * float32 bounds BW, BP and the oracle's own float64 bound B64. */
static void tally_tensor(tally *t, const char *name, const float *f, const gsl_matrix *O,
                         const gsl_matrix *BW, const gsl_matrix *BP,
                         const gsl_matrix *B64, const gsl_matrix *B64P, size_t rows,
                         size_t cols) {
    gp_fcheck_opts old;
    gp_fcheck_opts_compare(&old, GP_FLOAT32);
    double scale = 0;
    for (size_t j = 0; j < rows; j++)
        for (size_t i = 0; i < cols; i++)
            scale = fmax(scale, fabs(gsl_matrix_get(O, j, i)));
    for (size_t j = 0; j < rows; j++)
        for (size_t i = 0; i < cols; i++) {
            double o = gsl_matrix_get(O, j, i), v = f[j * cols + i];
            double b64 = gsl_matrix_get(B64, j, i), d = fabs(v - o);
            double bw = gsl_matrix_get(BW, j, i) + b64,
                   bp = gsl_matrix_get(BP, j, i) + gsl_matrix_get(B64P, j, i);
            t->entries++;
            t->inside_prob += d <= bp;
            t->old_fail += !gp_fcheck_rule(&old, v, o, 0, scale, NULL);
            if (!(d <= bw)) {
                if (!t->outside++)
                    snprintf(t->where, sizeof t->where,
                             "%s[%zu][%zu]: f32 %.9g oracle %.17g bound %.3g", name, j, i,
                             v, o, bw);
            }
            if (bw > 0)
                t->worst_ratio = fmax(t->worst_ratio, d / bw);
        }
}

static void tally_case(tally *t, const f32net *f, const gp_backprop_workspace *w,
                       const gp_gradient *g, double cost, const gp_bounds *b32,
                       const gp_bounds *b64) {
    for (size_t l = 0; l < f->L; l++) {
        size_t n = f->n[l + 1], m = f->m, k = f->n[l];
        gsl_matrix_const_view db = gsl_matrix_const_view_vector(g->b[l], n, 1);
        tally_tensor(t, "z", f->z[l], w->z[l], b32->worst[l].z, b32->prob[l].z,
                     b64->worst[l].z, b64->prob[l].z, n, m);
        tally_tensor(t, "a", f->a[l], w->a[l], b32->worst[l].a, b32->prob[l].a,
                     b64->worst[l].a, b64->prob[l].a, n, m);
        tally_tensor(t, "delta", f->delta[l], w->delta[l], b32->worst[l].delta,
                     b32->prob[l].delta, b64->worst[l].delta, b64->prob[l].delta, n, m);
        tally_tensor(t, "dW", f->dW[l], g->w[l], b32->worst[l].dW, b32->prob[l].dW,
                     b64->worst[l].dW, b64->prob[l].dW, n, k);
        tally_tensor(t, "db", f->db[l], &db.matrix, b32->worst[l].db, b32->prob[l].db,
                     b64->worst[l].db, b64->prob[l].db, n, 1);
    }
    gsl_matrix *o = gsl_matrix_alloc(1, 1), *bw = gsl_matrix_alloc(1, 1),
               *bp = gsl_matrix_alloc(1, 1), *bq = gsl_matrix_alloc(1, 1),
               *bqp = gsl_matrix_alloc(1, 1);
    gsl_matrix_set(o, 0, 0, cost);
    gsl_matrix_set(bw, 0, 0, b32->cost_worst);
    gsl_matrix_set(bp, 0, 0, b32->cost_prob);
    gsl_matrix_set(bq, 0, 0, b64->cost_worst);
    gsl_matrix_set(bqp, 0, 0, b64->cost_prob);
    tally_tensor(t, "cost", &f->cost, o, bw, bp, bq, bqp, 1, 1);
    gsl_matrix_free(o);
    gsl_matrix_free(bw);
    gsl_matrix_free(bp);
    gsl_matrix_free(bq);
    gsl_matrix_free(bqp);
}

/* One case: the oracle, its bounds (format fmt with u scaled by u_scale, and float64),
 * the float32 implementation in order ord with bugs, folded into t. Returns how many
 * hidden z^l entries of float32 lie on the other side of 0 than the oracle's. */
static size_t eval_case(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *rg, int ord, int bugs, const char *fmt,
                        double u_scale, tally *t) {
    gp_regularization reg = *rg;
    size_t m = X->size2, flips = 0;
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
    gp_gradient *g = gp_gradient_alloc(net);
    gp_bounds *b32 = gp_bounds_alloc(net, m), *b64 = gp_bounds_alloc(net, m);
    gp_bounds_model m32, m64;
    double c;
    ck_assert(w && g && b32 && b64);
    ck_assert_int_eq(gp_bounds_model_init(&m32, fmt), GSL_SUCCESS);
    ck_assert_int_eq(gp_bounds_model_init(&m64, "float64"), GSL_SUCCESS);
    m32.u *= u_scale;
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, &reg, &m32, b32), GSL_SUCCESS);
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, &reg, &m64, b64), GSL_SUCCESS);
    ck_assert_int_eq(gp_total_cost(net, X, Y, &reg, w, &c), GSL_SUCCESS);
    ck_assert_int_eq(gp_total_gradient(net, X, Y, &reg, w, g), GSL_SUCCESS);
    f32net f;
    f32_alloc(&f, net, X, Y, &reg);
    f32_forward(&f, ord, bugs);
    f.cost = f32_cost(&f, ord, bugs);
    f32_backward(&f, ord, bugs);
    tally_case(t, &f, w, g, c, b32, b64);
    for (size_t l = 0; l + 1 < f.L; l++)
        for (size_t q = 0; q < f.n[l + 1] * m; q++)
            flips += (f.z[l][q] > 0) != (gsl_matrix_get(w->z[l], q / m, q % m) > 0);
    f32_free(&f);
    gp_bounds_free(b32);
    gp_bounds_free(b64);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    return flips;
}

/* A random case (regularised if want_reg) through eval_case. */
static void run_case(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *co,
                     int want_reg, int ord, int bugs, const char *fmt, double u_scale,
                     tally *t) {
    gp_network *net;
    gsl_matrix *X, *Y;
    ck_assert_int_eq(gp_case_random(r, cost, co, &net, &X, &Y, NULL), GSL_SUCCESS);
    gp_regularization reg = {0, 0, 0};
    if (want_reg) {
        reg.lambda = tu_uniform(r, 0.1, 5);
        reg.l1 = gsl_rng_uniform(r) < 0.5 ? tu_uniform(r, 0, 1) : 0;
        reg.n = gsl_rng_uniform(r) < 0.5 ? tu_int(r, 1, 100) : 0;
    }
    eval_case(net, X, Y, &reg, ord, bugs, fmt, u_scale, t);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}

static const gp_cost_type *cost_of(int i) {
    return gp_cost_types[i];
}

/* A hidden activation's copy for a case: leaky ReLU's alpha log-uniform in
 * [1e-3, 0.5). */
static void draw_activation(gsl_rng *r, const gp_activation *act, gp_activation *copy) {
    *copy = *act;
    if (act == &gp_activation_leaky_relu)
        ck_assert_int_eq(
            gp_activation_set_alpha(copy, exp(tu_uniform(r, log(1e-3), log(0.5)))),
            GSL_SUCCESS);
}

/* The containment property on n small cases (widths <= 10), then nw wide ones (widths
 * 100-300, where the probabilistic bound is well below the worst case), each in every
 * summation order: cost (NULL: the costs in turn), hidden activation act (NULL:
 * sigmoid; leaky ReLU's alpha drawn per case). Prints the GP-STAT line under label. */
static void containment(const char *label, const gp_cost_type *cost,
                        const gp_activation *act, unsigned seed, size_t n, size_t nw) {
    gp_activation copy;
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = act ? 2 : co.min_layers;
    co.activation = act ? &copy : NULL;
    tally all = {0};
    size_t old_cases = 0, ncase = 0;
    for (size_t i = 0; i < n + nw; i++)
        for (int ord = 0; ord < N_ORD && tu_case_selected(i); ord++) {
            tally t = {0};
            gsl_rng *r = tu_rng_for_case(seed, i);
            if (act)
                draw_activation(r, act, &copy);
            if (i == n) {
                co.min_width = 100;
                co.max_width = 300;
                co.max_layers = act ? 3 : 2;
                co.max_batch = 8;
            }
            run_case(r, cost ? cost : cost_of((int)(i % tu_n_costs())), &co, (int)(i % 2),
                     ord, BUG_NONE, "float32", 1.0, &t);
            gsl_rng_free(r);
            ck_assert_msg(t.outside == 0,
                          "%s order %d: %zu entries outside, first %s; " TU_RERUN_FMT,
                          label, ord, t.outside, t.where, TU_RERUN_ARGS(i, "Properties"));
            all.entries += t.entries;
            all.inside_prob += t.inside_prob;
            all.worst_ratio = fmax(all.worst_ratio, t.worst_ratio);
            old_cases += t.old_fail > 0;
            ncase++;
        }
    printf("GP-STAT bounds/f32_inside_worst[%s]: cases=%zu entries=%zu outside=0 "
           "outside_prob=%zu max_err/bound=%.3g old_rule_false_alarms=%zu/%zu\n",
           label, ncase, all.entries, all.entries - all.inside_prob, all.worst_ratio,
           old_cases, ncase);
}

/* Property: a correct float32 implementation, in every summation order, lands inside
 * the worst-case bound on every entry of every case (sigmoid hidden layers). */
START_TEST(test_f32_inside_worst_bound) {
    containment(cost_of(_i)->name, cost_of(_i), NULL, 0xb0u + (unsigned)_i, tu_cases(40),
                tu_cases(2));
}
END_TEST

/* Teeth of the containment: bounds computed for u/16 are too small for float32, so the
 * same implementation must exceed them somewhere (the bounds are not vacuous). */
START_TEST(test_bound_for_smaller_u_is_exceeded) {
    const gp_cost_type *cost = cost_of(_i);
    gp_case_opts co;
    gp_case_opts_default(&co);
    size_t outside = 0, n = tu_cases(40);
    for (size_t i = 0; i < n; i++) {
        tally t = {0};
        gsl_rng *r = tu_rng_for_case(0xb0u + (unsigned)_i, i);
        run_case(r, cost, &co, (int)(i % 2), ORD_FWD, BUG_NONE, "float32", 1.0 / 16, &t);
        gsl_rng_free(r);
        outside += t.outside > 0;
    }
    printf("GP-STAT bounds/u_over_16_exceeded[%s]: %zu/%zu cases\n", cost->name, outside,
           n);
    ck_assert_msg(outside > 0, "%s: bounds for u/16 never exceeded in %zu cases",
                  cost->name, n);
}
END_TEST

static const struct {
    const char *name;
    int bug;
    const gp_activation *act; /* hidden activation; NULL: sigmoid */
    double min_rate; /* certified detection rate asserted (measured rate in the log) */
} bugs[] = {{"missing-sigma-prime", BUG_NO_SP, NULL, 0.9},
            {"sum-not-mean", BUG_SUM, NULL, 0.9},
            {"decay-on-biases", BUG_DECAY_B, NULL, 0.9},
            {"dropped-sample", BUG_DROP, NULL, 0.9},
            {"bfloat16-matmul", BUG_BF16, NULL, 0.9},
            {"epsilon-in-log", BUG_LOG_EPS, NULL, 0.02},
            {"tanh'-as-1-f", BUG_TANH_1MF, &gp_activation_tanh, 0.9},
            {"relu'-as-f", BUG_RELU_F, &gp_activation_relu, 0.9},
            {"softplus'-as-f", BUG_SP_F, &gp_activation_softplus, 0.9},
            {"leaky-slope-dropped", BUG_NO_SLOPE, &gp_activation_leaky_relu, 0.9}};

/* Cases for planted bugs: 2-4 layers, m >= 2, weight scales in [0.1, 3). */
static void planted_opts(gp_case_opts *co) {
    gp_case_opts_default(co);
    co->min_layers = 2;
    co->min_batch = 2;
    co->scale_min = 0.1;
    co->scale_max = 3;
}

/* Planted bugs are "disagree" (some entry beyond the worst-case bound) at the rate
 * printed; the old fixed rule's rate on the same cases is printed beside it. */
START_TEST(test_planted_bug_disagrees) {
    gp_case_opts co;
    planted_opts(&co);
    gp_activation copy;
    co.activation = bugs[_i].act ? &copy : NULL;
    size_t n = tu_cases(40), cert = 0, old = 0;
    for (size_t i = 0; i < n; i++) {
        /* epsilon-in-log only changes the cross-entropy and log-likelihood costs */
        int ci = bugs[_i].bug == BUG_LOG_EPS ? 2 + (int)(i % 2) : (int)(i % 4);
        tally t = {0};
        gsl_rng *r = tu_rng_for_case(0xbb0u + (unsigned)_i, i);
        if (bugs[_i].act)
            draw_activation(r, bugs[_i].act, &copy);
        run_case(r, cost_of(ci), &co, bugs[_i].bug == BUG_DECAY_B || i % 2, ORD_FWD,
                 bugs[_i].bug, "float32", 1.0, &t);
        gsl_rng_free(r);
        cert += t.outside > 0;
        old += t.old_fail > 0;
    }
    printf("GP-STAT bounds/planted[%s]: certified disagree %zu/%zu, old rule %zu/%zu\n",
           bugs[_i].name, cert, n, old, n);
    ck_assert_msg(cert >= bugs[_i].min_rate * n, "%s: only %zu/%zu cases disagree",
                  bugs[_i].name, cert, n);
}
END_TEST

/* The epsilon inside the log (1e-7 in float32: about u) is below float32's rounding
 * unless the output saturates, so its rate grows with the weight scale: 20 cases per
 * scale (2-4 layers, cross-entropy and log-likelihood in turn), the certified and the
 * old rule's rates printed. The certified rule catches it in most saturated cases (at
 * scale 30 at least half) and at least as often as the old rule at every scale. */
START_TEST(test_epsilon_in_log_by_weight_scale) {
    static const double scales[] = {0.1, 1, 3, 10, 30};
    size_t n = tu_cases(20), cert[5] = {0}, old[5] = {0};
    for (size_t k = 0; k < 5; k++) {
        gp_case_opts co;
        planted_opts(&co);
        co.scale_min = scales[k];
        co.scale_max = scales[k] * 1.001;
        for (size_t i = 0; i < n; i++) {
            tally t = {0};
            gsl_rng *r = tu_rng_for_case(0xe1a0u + (unsigned)k, i);
            run_case(r, cost_of(2 + (int)(i % 2)), &co, i % 2, ORD_FWD, BUG_LOG_EPS,
                     "float32", 1.0, &t);
            gsl_rng_free(r);
            cert[k] += t.outside > 0;
            old[k] += t.old_fail > 0;
        }
        printf("GP-STAT bounds/epsilon-in-log[scale %g]: certified disagree %zu/%zu, old "
               "rule %zu/%zu\n",
               scales[k], cert[k], n, old[k], n);
        ck_assert_uint_ge(cert[k], old[k]);
    }
    ck_assert_msg(2 * cert[4] >= n, "scale 30: only %zu/%zu disagree", cert[4], n);
}
END_TEST

/* Property: every other hidden activation (tanh, ReLU, leaky ReLU, softplus, identity)
 * with every cost, in every summation order, lands inside the worst-case bound. */
START_TEST(test_f32_activation_inside_worst_bound) {
    containment(gp_activations[_i + 1]->name, NULL, gp_activations[_i + 1],
                0xac0u + (unsigned)_i, tu_cases(24), tu_cases(1));
}
END_TEST

/* The kink: hidden ReLU units placed exactly at z = 0 in the oracle, where float32's
 * z_hat falls on either side and f' is 0 or 1 by convention. No entry disagrees; the
 * flipped ones are inconclusive (outside the probabilistic bound, which leaves the
 * flip out) and counted. */
START_TEST(test_relu_kink_inconclusive) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = co.max_layers = 3;
    co.min_width = 3;
    co.min_batch = 2;
    co.activation = &gp_activation_relu;
    size_t n = tu_cases(30), flips = 0, inconclusive = 0;
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r = tu_rng_for_case(0xcc0u, i);
        gp_network *net;
        gsl_matrix *X, *Y;
        ck_assert_int_eq(
            gp_case_random(r, gp_cost_types[i % tu_n_costs()], &co, &net, &X, &Y, NULL),
            GSL_SUCCESS);
        int exact = 0;
        for (size_t j = 0; j < net->p.sizes[1]; j++)
            ck_assert_int_eq(gp_case_place_kink(net, X, 1, j, j % X->size2, 0.0, &exact),
                             GSL_SUCCESS);
        tally t = {0};
        gp_regularization reg = {0, 0, 0};
        flips +=
            eval_case(net, X, Y, &reg, (int)(i % N_ORD), BUG_NONE, "float32", 1.0, &t);
        ck_assert_msg(t.outside == 0,
                      "kink case: %zu entries outside, first %s; " TU_RERUN_FMT,
                      t.outside, t.where, TU_RERUN_ARGS(i, "Properties"));
        inconclusive += t.entries - t.inside_prob;
        gsl_rng_free(r);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    printf(
        "GP-STAT bounds/relu_kink: cases=%zu float32_flips=%zu inconclusive_entries=%zu "
        "disagree=0\n",
        n, flips, inconclusive);
    ck_assert_msg(flips > 0, "no float32 z_hat left the kink in %zu cases", n);
    ck_assert_msg(inconclusive > 0, "%zu flips at the kink, none inconclusive", flips);
}
END_TEST

/* The planted "matmul in bfloat16" (W and a rounded to bfloat16 before each forward
 * product, float32 otherwise) is what a bfloat16 candidate may do: inside the bfloat16
 * worst-case bound on every entry, beyond float32's (test_planted_bug_disagrees). */
START_TEST(test_bf16_matmul_inside_bf16_bound) {
    gp_case_opts co;
    planted_opts(&co);
    size_t n = tu_cases(40), inside_prob = 0, entries = 0, cert32 = 0;
    for (size_t i = 0; i < n; i++) {
        tally t = {0}, t32 = {0};
        gsl_rng *r = tu_rng_for_case(0xbf0u, i), *r2 = tu_rng_for_case(0xbf0u, i);
        run_case(r, cost_of((int)(i % 4)), &co, (int)(i % 2), (int)(i % N_ORD), BUG_BF16,
                 "bfloat16", 1.0, &t);
        run_case(r2, cost_of((int)(i % 4)), &co, (int)(i % 2), (int)(i % N_ORD), BUG_BF16,
                 "float32", 1.0, &t32);
        gsl_rng_free(r);
        gsl_rng_free(r2);
        ck_assert_msg(t.outside == 0,
                      "bfloat16 matmul outside bfloat16's bound: %s; " TU_RERUN_FMT,
                      t.where, TU_RERUN_ARGS(i, "Properties"));
        inside_prob += t.inside_prob;
        entries += t.entries;
        cert32 += t32.outside > 0;
    }
    printf("GP-STAT bounds/bf16_matmul: bfloat16 bound: cases=%zu entries=%zu outside=0 "
           "outside_prob=%zu; float32 bound: disagree %zu/%zu\n",
           n, entries, entries - inside_prob, cert32, n);
    ck_assert_msg(cert32 >= 0.9 * n, "bfloat16 matmul disagrees with float32 in %zu/%zu",
                  cert32, n);
}
END_TEST

START_TEST(test_gamma_values) {
    double u = 0x1p-24;
    ck_assert_double_eq_tol(gp_bounds_gamma(10, u), 10 * u / (1 - 10 * u), 1e-22);
    ck_assert(isinf(gp_bounds_gamma(1 / u, u)));
    /* the probabilistic gamma grows like sqrt(n): below gamma_n for long sums */
    ck_assert(gp_bounds_gamma_prob(1e4, u, 3) < 0.05 * gp_bounds_gamma(1e4, u));
    ck_assert(gp_bounds_gamma_prob(2, u, 3) <= gp_bounds_gamma(2, u));
    ck_assert_double_eq_tol(gp_bounds_prob_fail(10, u, 3),
                            20 * exp(-4.5 * (1 - u) * (1 - u)), 1e-12);
    gp_bounds_model m;
    ck_assert_int_eq(gp_bounds_model_init(&m, "bfloat16"), GSL_SUCCESS);
    ck_assert(m.u == 0x1p-8 && m.round_inputs == 1);
    ck_assert_int_eq(gp_bounds_model_init(&m, "float64"), GSL_SUCCESS);
    ck_assert(m.u == 0x1p-53 && m.round_inputs == 0);
}
END_TEST

/* A single neuron with exact data: z = w x + b = 0.5 * 3 + 0.25 in float64 is exact, so
 * the float64 bound of z is gamma_2 (|w x| + |b|) and nothing else (no input rounding).
 */
START_TEST(test_z_bound_single_neuron) {
    size_t sizes[] = {1, 1};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic_linear);
    gsl_matrix *X = gsl_matrix_alloc(1, 1), *Y = gsl_matrix_alloc(1, 1);
    gsl_matrix_set(net->p.w[0], 0, 0, 0.5);
    gsl_vector_set(net->p.b[0], 0, 0.25);
    gsl_matrix_set(X, 0, 0, 3);
    gsl_matrix_set(Y, 0, 0, 1);
    gp_bounds *b = gp_bounds_alloc(net, 1);
    gp_bounds_model m;
    gp_bounds_model_init(&m, "float64");
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m, b), GSL_SUCCESS);
    double want = gp_bounds_gamma(2, m.u) * 1.75;
    ck_assert_double_eq_tol(gsl_matrix_get(b->worst[0].z, 0, 0), want, 1e-6 * want);
    /* float32 adds the rounding of w, x, b: u |w| |x| twice over (W and x) and u |b| */
    gp_bounds_model_init(&m, "float32");
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m, b), GSL_SUCCESS);
    ck_assert(gsl_matrix_get(b->worst[0].z, 0, 0) > 3 * m.u * 1.5);
    gp_bounds_free(b);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}
END_TEST

/* A single linear neuron z = 0.5 x + 0.25, m = 3 samples, and its bounds in `format`. */
static const double nx[] = {3, -2, 0.375}, ny[] = {1, 0.5, -0.25};
#define NM 3

static gp_bounds *neuron_bounds(const char *format, const gp_regularization *reg,
                                gp_bounds_model *md) {
    size_t sizes[] = {1, 1};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic_linear);
    gsl_matrix *X = gsl_matrix_alloc(1, NM), *Y = gsl_matrix_alloc(1, NM);
    gsl_matrix_set(net->p.w[0], 0, 0, 0.5);
    gsl_vector_set(net->p.b[0], 0, 0.25);
    for (size_t i = 0; i < NM; i++) {
        gsl_matrix_set(X, 0, i, nx[i]);
        gsl_matrix_set(Y, 0, i, ny[i]);
    }
    gp_bounds *b = gp_bounds_alloc(net, NM);
    ck_assert_int_eq(gp_bounds_model_init(md, format), GSL_SUCCESS);
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, reg, md, b), GSL_SUCCESS);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return b;
}

/* BP4 and BP3 of the neuron: proofs/FloatStep.v batch_mean_error and
 * batch_mean_bias_error on the delta bound ed and the input bound ea = ui |x|:
 * (gamma_{m+2} sum (|d| + ed)(|x| + ea) + sum (ed (|x| + ea) + |d| ea)) / m and
 * (gamma_{m+2} sum (|d| + ed) + sum ed) / m. */
static void batch_mean_want(const gp_bounds *b, const gp_bounds_model *md, double *want_w,
                            double *want_b) {
    double g = gp_bounds_gamma(NM + 2, md->u), ui = md->round_inputs ? md->u : 0;
    double sw = 0, pw = 0, sb = 0, pb = 0;
    for (size_t i = 0; i < NM; i++) {
        double d = fabs(0.5 * nx[i] + 0.25 - ny[i]), x = fabs(nx[i]), ea = ui * x,
               ed = gsl_matrix_get(b->worst[0].delta, 0, i);
        ck_assert(ed > 0);
        sw += (d + ed) * (x + ea);
        pw += ed * (x + ea) + d * ea;
        sb += d + ed;
        pb += ed;
    }
    *want_w = (g * sw + pw) / NM;
    *want_b = (g * sb + pb) / NM;
}

START_TEST(test_grad_bound_is_batch_mean_theorem) {
    gp_bounds_model md;
    gp_bounds *b = neuron_bounds("float64", NULL, &md);
    double want_w, want_b;
    batch_mean_want(b, &md, &want_w, &want_b);
    /* 1e-5: the bounds' own inflation (1 + 1e-6) and the underflow allowances */
    ck_assert_double_eq_tol(gsl_matrix_get(b->worst[0].dW, 0, 0), want_w, 1e-5 * want_w);
    ck_assert_double_eq_tol(gsl_matrix_get(b->worst[0].db, 0, 0), want_b, 1e-5 * want_b);
    gp_bounds_free(b);
}
END_TEST

/* The regularised dW of the neuron, lambda = 4, l1 = 2, n = 3 (r = lambda/n, r1 = l1/n,
 * w = 0.5): proofs/FloatStep.v reg_grad_fl_error's bound edw + er + u (|dw| + edw +
 * r (|w| + ew) + r1 + er), er = r ew + gamma_4 (r (|w| + ew) + r1), ew = ui |w|, on
 * the batch-mean bound edw; float64 (ui = 0) and float32 (ui = u, inputs rounded). */
START_TEST(test_reg_grad_bound_is_theorem) {
    const char *formats[] = {"float64", "float32"};
    gp_regularization reg = {4, 2, 3};
    for (size_t f = 0; f < 2; f++) {
        gp_bounds_model md;
        gp_bounds *b = neuron_bounds(formats[f], &reg, &md);
        double edw, want_b, dw = 0, w = 0.5, u = md.u, ui = md.round_inputs ? u : 0;
        batch_mean_want(b, &md, &edw, &want_b);
        for (size_t i = 0; i < NM; i++)
            dw += (0.5 * nx[i] + 0.25 - ny[i]) * nx[i] / NM;
        double r = reg.lambda / reg.n, r1 = reg.l1 / reg.n, ew = ui * w;
        double er = r * ew + gp_bounds_gamma(4, u) * (r * (w + ew) + r1);
        double want = edw + er + u * (fabs(dw) + edw + r * (w + ew) + r1 + er);
        ck_assert_msg(fabs(gsl_matrix_get(b->worst[0].dW, 0, 0) - want) <= 1e-5 * want,
                      "%s: dW bound %.17g, theorem %.17g", formats[f],
                      gsl_matrix_get(b->worst[0].dW, 0, 0), want);
        /* biases are not regularised */
        ck_assert_double_eq_tol(gsl_matrix_get(b->worst[0].db, 0, 0), want_b,
                                1e-5 * want_b);
        gp_bounds_free(b);
    }
}
END_TEST

START_TEST(test_verdict_three_way) {
    ck_assert_int_eq(gp_bounds_verdict(1.0, 1.0 + 5e-8, 1e-6, 1e-7, 1e-16),
                     GP_VERDICT_AGREE);
    ck_assert_int_eq(gp_bounds_verdict(1.0, 1.0 + 5e-7, 1e-6, 1e-7, 1e-16),
                     GP_VERDICT_INCONCLUSIVE);
    ck_assert_int_eq(gp_bounds_verdict(1.0, 1.0 + 2e-6, 1e-6, 1e-7, 1e-16),
                     GP_VERDICT_DISAGREE);
    /* the oracle's own bound widens both thresholds */
    ck_assert_int_eq(gp_bounds_verdict(1.0, 1.0 + 2e-6, 1e-6, 1e-7, 2e-6),
                     GP_VERDICT_AGREE);
    ck_assert_int_eq(gp_bounds_verdict(NAN, 1.0, 1e-6, 1e-7, 0), GP_VERDICT_DISAGREE);
    ck_assert_int_eq(gp_bounds_verdict(INFINITY, 1.0, INFINITY, 1e-7, 0),
                     GP_VERDICT_DISAGREE);
    ck_assert_str_eq(gp_verdict_name(GP_VERDICT_INCONCLUSIVE), "inconclusive");
}
END_TEST

/* gp_bounds_compare_tensor on the float32 implementation's dW and cost: no disagreement
 * when correct, a disagreement when the 1/m is missing, and the same counts as the
 * entry rule applied by hand. */
START_TEST(test_compare_tensor_counts) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_batch = 2;
    for (int bug = 0; bug < 2; bug++) {
        gsl_rng *r = tu_rng_for_case(0xbc0u, (size_t)_i);
        gp_network *net;
        gsl_matrix *X, *Y;
        ck_assert_int_eq(
            gp_case_random(r, gp_cost_types[_i % 4], &co, &net, &X, &Y, NULL),
            GSL_SUCCESS);
        gsl_rng_free(r);
        size_t m = X->size2, L = net->p.L, disagree = 0;
        gp_bounds *bc = gp_bounds_alloc(net, m), *bo = gp_bounds_alloc(net, m);
        gp_bounds_model m32, m64;
        gp_bounds_model_init(&m32, "float32");
        gp_bounds_model_init(&m64, "float64");
        ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m32, bc), GSL_SUCCESS);
        ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m64, bo), GSL_SUCCESS);
        gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
        gp_gradient *g = gp_gradient_alloc(net);
        ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, g), GSL_SUCCESS);
        f32net f;
        f32_alloc(&f, net, X, Y, NULL);
        f32_forward(&f, ORD_PAIR, 0);
        f32_backward(&f, ORD_PAIR, bug ? BUG_SUM : 0);
        for (size_t l = 1; l <= L; l++) {
            char nm[16];
            gsl_matrix *c = gsl_matrix_alloc(f.n[l], f.n[l - 1]);
            size_t hand = 0;
            for (size_t j = 0; j < c->size1; j++)
                for (size_t k = 0; k < c->size2; k++) {
                    double v = f.dW[l - 1][j * c->size2 + k],
                           o = gsl_matrix_get(g->w[l - 1], j, k);
                    gsl_matrix_set(c, j, k, v);
                    hand += fabs(v - o) > gsl_matrix_get(bc->worst[l - 1].dW, j, k) +
                                              gsl_matrix_get(bo->worst[l - 1].dW, j, k);
                }
            gp_verdict_counts vc;
            snprintf(nm, sizeof nm, "dW%zu", l);
            ck_assert_int_eq(gp_bounds_compare_tensor(bc, bo, nm, c, g->w[l - 1], &vc),
                             GSL_SUCCESS);
            ck_assert_uint_eq(vc.n_disagree, hand);
            ck_assert_uint_eq(vc.n_agree + vc.n_inconclusive + vc.n_disagree,
                              c->size1 * c->size2);
            disagree += vc.n_disagree;
            gsl_matrix_free(c);
        }
        if (bug)
            ck_assert_msg(disagree > 0, "sum-not-mean not seen; " TU_RERUN_FMT,
                          TU_RERUN_ARGS(_i, "Properties"));
        else
            ck_assert_msg(disagree == 0, "a correct float32 dW disagrees; " TU_RERUN_FMT,
                          TU_RERUN_ARGS(_i, "Properties"));
        double bw, bp;
        ck_assert_int_eq(gp_bounds_entry(bc, "cost", 0, 0, &bw, &bp), GSL_SUCCESS);
        ck_assert(bw == bc->cost_worst && bp == bc->cost_prob);
        gsl_error_handler_t *h = gsl_set_error_handler_off();
        ck_assert_int_eq(gp_bounds_entry(bc, "dW9", 0, 0, &bw, &bp), GSL_EINVAL);
        gsl_set_error_handler(h);
        f32_free(&f);
        gp_gradient_free(g);
        gp_backprop_workspace_free(w);
        gp_bounds_free(bc);
        gp_bounds_free(bo);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
}
END_TEST

/* gp_bounds_entry: NULL bounds, name or result pointer is GSL_EINVAL, raised (each
 * was dereferenced); so are an unknown name and an entry out of range. */
START_TEST(test_bounds_entry_rejects_null) {
    size_t sizes[] = {2, 3};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    gp_bounds *b = gp_bounds_alloc(net, 4);
    double w, p;
    tu_errors_record();
    ck_assert_int_eq(gp_bounds_entry(b, NULL, 0, 0, &w, &p), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(NULL, "z1", 0, 0, &w, &p), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "z1", 0, 0, NULL, &p), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "z1", 0, 0, &w, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "cost", 0, 0, &w, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "z2", 0, 0, &w, &p), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "z1", 3, 0, &w, &p), GSL_EINVAL);
    ck_assert_int_eq(gp_bounds_entry(b, "z1", 2, 3, &w, &p), GSL_SUCCESS);
    gp_bounds_free(b);
    gp_network_free(net);
}
END_TEST

START_TEST(test_bounds_reject_bad_input) {
    size_t sizes[] = {2, 3};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_calloc(2, 4), *Y = gsl_matrix_calloc(3, 4);
    gsl_matrix *Xbad = gsl_matrix_calloc(3, 4);
    gp_bounds *b = gp_bounds_alloc(net, 4);
    gp_bounds_model m;
    ck_assert_int_eq(gp_bounds_model_init(&m, "float8"), GSL_EINVAL);
    gp_bounds_model_init(&m, "float32");
    ck_assert_int_eq(gp_bounds_compute(net, Xbad, Y, NULL, &m, b), GSL_EBADLEN);
    m.u = 0.5;
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m, b), GSL_EDOM);
    gp_bounds_model_init(&m, "float32");
    m.libm_ulps = INFINITY; /* every bound came out NaN */
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &m, b), GSL_EDOM);
    /* a regularisation gp_dump_compute refuses (bounds of it were computed, status 0) */
    gp_bounds_model_init(&m, "float32");
    gp_regularization neg = {-1.0, 0.0, 0}, nan_l1 = {0.0, NAN, 0};
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, &neg, &m, b), GSL_EDOM);
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, &nan_l1, &m, b), GSL_EDOM);
    gsl_matrix_set_all(net->p.w[0], 0.5);
    ck_assert(isnan(gp_regularization_cost(net, &neg, 4))); /* was -0.1875 */
    ck_assert_ptr_null(gp_bounds_alloc(net, 0));
    ck_assert_ptr_null(gp_bounds_alloc(net, (size_t)1 << 61)); /* 3 x 2^61 doubles */
    /* bounds of another network of the same depth: a shape error (it was GSL_EDOM) */
    size_t s4[] = {2, 4, 3}, s5[] = {2, 5, 3};
    gp_network *n4 = gp_network_alloc(3, s4, &gp_cost_quadratic),
               *n5 = gp_network_alloc(3, s5, &gp_cost_quadratic);
    gp_bounds *b5 = gp_bounds_alloc(n5, 4), *b4 = gp_bounds_alloc(n4, 4);
    ck_assert_int_eq(gp_bounds_compute(n4, X, Y, NULL, &m, b5), GSL_EBADLEN);
    ck_assert_int_eq(gp_bounds_compute(n4, X, Y, NULL, &m, b4), GSL_SUCCESS);
    gp_bounds_free(b4);
    gp_bounds_free(b5);
    gp_network_free(n4);
    gp_network_free(n5);
    gp_bounds_free(NULL);
    gp_bounds_free(b);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Xbad);
    gsl_matrix_free(Y);
}
END_TEST

static Suite *make_bounds_suite(void) {
    Suite *s = suite_create("bounds");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors");
    tcase_add_test(core, test_gamma_values);
    tcase_add_test(core, test_z_bound_single_neuron);
    tcase_add_test(core, test_grad_bound_is_batch_mean_theorem);
    tcase_add_test(core, test_reg_grad_bound_is_theorem);
    tcase_add_test(core, test_verdict_three_way);
    tcase_add_loop_test(props, test_compare_tensor_counts, 0, 20);
    tcase_add_loop_test(props, test_f32_inside_worst_bound, 0, (int)tu_n_costs());
    tcase_add_loop_test(props, test_bound_for_smaller_u_is_exceeded, 0,
                        (int)tu_n_costs());
    tcase_add_test(props, test_epsilon_in_log_by_weight_scale);
    tcase_add_loop_test(props, test_planted_bug_disagrees, 0,
                        (int)(sizeof bugs / sizeof bugs[0]));
    tcase_add_loop_test(props, test_f32_activation_inside_worst_bound, 0, 5);
    tcase_add_test(props, test_relu_kink_inconclusive);
    tcase_add_test(props, test_bf16_matmul_inside_bf16_bound);
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_bounds_reject_bad_input);
    tcase_add_test(errs, test_bounds_entry_rejects_null);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_bounds_suite());
}
