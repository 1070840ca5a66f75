/* diagnose.c: named hypotheses for a disagreeing tensor (diagnose.h). Each hypothesis
 * rebuilds the tensor from the oracle's intermediates with one planted mistake; the one
 * closest to the candidate (relative Frobenius residual) names the bug. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>

#include <gradproof/diagnose.h>

#include "internal.h"

typedef enum { T_Z, T_A, T_DELTA, T_DW, T_DB, T_COST } tkind;

struct gp_diag {
    gp_network *net;
    gsl_matrix *X, *Y;
    size_t m, L;
    double lambda, l1, n;
    gp_backprop_workspace *w; /* z, a, delta of the batch (m columns) */
    gp_gradient *gd;          /* data term of the gradient (mean over samples) */
    gp_gradient *gr;          /* regularisation gradient (lambda/n) w + (l1/n) sgn w */
    double *cx;               /* per-sample costs C_x */
    double cost_reg;
    const gsl_matrix *mask; /* gpi_diag_mask: the entries that count (NULL: all) */
};

/* The hypothesis being tried and the best so far. */
typedef struct {
    gp_diag_kind kind;
    double residual, param;
    size_t index;
    char other[32];
    const gsl_matrix *mask; /* the diagnosis's (gpi_diag_mask) */
} hyp;

const char *gp_diag_kind_name(gp_diag_kind kind) {
    static const char *names[] = {"none",           "scale",
                                  "scale-data",     "transposed",
                                  "reshaped",       "fprime-missing",
                                  "fprime-twice",   "sigma-for-prime",
                                  "reg-missing",    "reg-on-biases",
                                  "reg-lambda-m",   "reg-half",
                                  "sample-dropped", "sample-duplicated",
                                  "layers-swapped", "kink-convention"};
    return (size_t)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

/* Entry (i, j) counts: no mask, or a non-zero one there. */
static int counts(const gsl_matrix *mask, size_t i, size_t j) {
    return mask == NULL || gsl_matrix_get(mask, i, j) != 0;
}

/* ||c - h|| / max(||c||, ||h||) over the entries that count. */
static double residual(const gsl_matrix *c, const gsl_matrix *h, const gsl_matrix *mask) {
    if (!h || c->size1 != h->size1 || c->size2 != h->size2)
        return INFINITY;
    double num = 0, nc = 0, nh = 0;
    for (size_t i = 0; i < c->size1; i++)
        for (size_t j = 0; j < c->size2; j++) {
            if (!counts(mask, i, j))
                continue;
            double x = gsl_matrix_get(c, i, j), y = gsl_matrix_get(h, i, j);
            num += (x - y) * (x - y);
            nc += x * x;
            nh += y * y;
        }
    double den = fmax(nc, nh);
    return den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0.0);
}

/* Fold hypothesis h (freed here) into best when it fits strictly better. */
static void consider(hyp *best, const gsl_matrix *c, gsl_matrix *h, gp_diag_kind kind,
                     double param, size_t index, const char *other) {
    double r = residual(c, h, best->mask);
    if (r < best->residual) {
        best->kind = kind;
        best->residual = r;
        best->param = param;
        best->index = index;
        snprintf(best->other, sizeof best->other, "%s", other ? other : "");
    }
    gsl_matrix_free(h);
}

static gsl_matrix *cols_copy(const gsl_matrix *M, size_t m) {
    gsl_matrix *c = gsl_matrix_alloc(M->size1, m);
    if (c) {
        gsl_matrix_const_view v = gsl_matrix_const_submatrix(M, 0, 0, M->size1, m);
        gsl_matrix_memcpy(c, &v.matrix);
    }
    return c;
}

static gsl_matrix *vec_copy(const gsl_vector *v) {
    gsl_matrix *c = gsl_matrix_alloc(v->size, 1);
    if (c)
        gsl_matrix_set_col(c, 0, v);
    return c;
}

/* The oracle's tensor of kind t at layer l (a new matrix). */
static gsl_matrix *oracle(const gp_diag *d, tkind t, size_t l) {
    gsl_matrix *r = NULL;
    switch (t) {
    case T_Z:
        return cols_copy(d->w->z[l - 1], d->m);
    case T_A:
        return cols_copy(d->w->a[l - 1], d->m);
    case T_DELTA:
        return cols_copy(d->w->delta[l - 1], d->m);
    case T_DW:
        r = gsl_matrix_alloc(d->gd->w[l - 1]->size1, d->gd->w[l - 1]->size2);
        if (r) {
            gsl_matrix_memcpy(r, d->gd->w[l - 1]);
            gsl_matrix_add(r, d->gr->w[l - 1]);
        }
        return r;
    case T_DB:
        return vec_copy(d->gd->b[l - 1]);
    case T_COST:
        r = gsl_matrix_alloc(1, 1);
        if (r) {
            double s = 0;
            for (size_t i = 0; i < d->m; i++)
                s += d->cx[i];
            gsl_matrix_set(r, 0, 0, s / d->m + d->cost_reg);
        }
        return r;
    }
    return NULL;
}

/* ---- allocation: the oracle's pass, per-sample costs, regularisation ---- */

void gpi_diag_mask(gp_diag *d, const gsl_matrix *mask) {
    d->mask = mask;
}

void gp_diag_free(gp_diag *d) {
    if (!d)
        return;
    gp_network_free(d->net);
    gsl_matrix_free(d->X);
    gsl_matrix_free(d->Y);
    gp_backprop_workspace_free(d->w);
    gp_gradient_free(d->gd);
    gp_gradient_free(d->gr);
    free(d->cx);
    free(d);
}

static gsl_matrix *mat_clone(const gsl_matrix *M) {
    gsl_matrix *c = gsl_matrix_alloc(M->size1, M->size2);
    if (c)
        gsl_matrix_memcpy(c, M);
    return c;
}

gp_diag *gp_diag_alloc(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg) {
    GPI_NONNULL(net, NULL);
    GPI_NONNULL(X, NULL);
    GPI_NONNULL(Y, NULL);
    size_t m = X->size2;
    if (m == 0 || Y->size2 != m || X->size1 != net->p.sizes[0] ||
        Y->size1 != net->p.sizes[net->p.L])
        GSL_ERROR_NULL("diagnose: X, Y do not fit the network", GSL_EBADLEN);
    gp_diag *d = calloc(1, sizeof *d);
    if (!d)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    d->m = m;
    d->L = net->p.L;
    d->lambda = reg ? reg->lambda : 0;
    d->l1 = reg ? reg->l1 : 0;
    d->n = reg && reg->n ? (double)reg->n : (double)m;
    d->net = gp_network_clone(net);
    d->X = mat_clone(X);
    d->Y = mat_clone(Y);
    d->w = gp_backprop_workspace_alloc(net, m);
    d->gd = gp_gradient_alloc(net);
    d->gr = gp_gradient_alloc(net);
    d->cx = calloc(m, sizeof *d->cx);
    int status =
        d->net && d->X && d->Y && d->w && d->gd && d->gr && d->cx ? 0 : GSL_ENOMEM;
    if (!status)
        status = gp_backprop_batch(net, X, Y, d->w, d->gd);
    for (size_t i = 0; i < m && !status; i++) {
        gsl_vector_const_view z = gsl_matrix_const_column(d->w->z[d->L - 1], i),
                              y = gsl_matrix_const_column(Y, i);
        d->cx[i] = net->cost->fn_z(&z.vector, &y.vector);
    }
    if (!status && (d->lambda != 0 || d->l1 != 0)) {
        d->cost_reg = gp_regularization_cost(net, reg, m);
        status = gp_regularization_gradient(net, reg, m, d->gr);
    }
    if (status) {
        gp_diag_free(d);
        GSL_ERROR_NULL("diagnose: the oracle's pass failed", status);
    }
    return d;
}

/* ---- hypotheses on delta^l and what follows from it ---- */

enum { V_MISSING, V_TWICE, V_SIGMA, V_KINK };

/* The factor of delta_variant v in place of f'(z) (sp); *kinks counts the entries a
 * V_KINK changes: z exactly on the kink, f'(0) taken from the right, f'(0+). */
static double variant_factor(const gp_activation *act, int v, double z, double sp,
                             size_t *kinks) {
    double at;
    if (v == V_KINK) {
        if (!gp_activation_kink(act, &at) || z != at)
            return sp;
        ++*kinks;
        return act->df(act, nextafter(at, INFINITY));
    }
    return v == V_MISSING ? 1.0 : v == V_TWICE ? sp * sp : act->f(act, z);
}

/* delta^l with sigma'(z^l) replaced by 1, sigma'^2 or sigma, or, at z^l exactly on a
 * kink, by f'(0+) (V_KINK; NULL if no entry is on a kink) (layers above correct):
 * hidden l: (W^{l+1})^T delta^{l+1} (BP2); l = L only for the quadratic cost's
 * (a - y) sigma'(z^L) (BP1). NULL when the variant does not apply. */
static gsl_matrix *delta_variant(const gp_diag *d, size_t l, int v) {
    size_t n = d->net->p.sizes[l];
    int quad_out = d->net->cost == &gp_cost_quadratic;
    if (l == d->L && !quad_out)
        return NULL;
    gsl_matrix *g = gsl_matrix_alloc(n, d->m);
    if (!g)
        return NULL;
    if (l == d->L) {
        gsl_matrix_const_view a =
            gsl_matrix_const_submatrix(d->w->a[l - 1], 0, 0, n, d->m);
        gsl_matrix_memcpy(g, &a.matrix);
        gsl_matrix_sub(g, d->Y);
    } else {
        gsl_matrix_const_view D = gsl_matrix_const_submatrix(
            d->w->delta[l], 0, 0, d->net->p.sizes[l + 1], d->m);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, d->net->p.w[l], &D.matrix, 0, g);
    }
    /* the layer's own activation f (hidden) or the output's sigmoid (quadratic) */
    const gp_activation *act =
        l < d->L ? gp_network_activation(d->net, l) : &gp_activation_sigmoid;
    size_t kinks = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < d->m; i++) {
            double z = gsl_matrix_get(d->w->z[l - 1], j, i), sp = act->df(act, z);
            double f = variant_factor(act, v, z, sp, &kinks);
            gsl_matrix_set(g, j, i, gsl_matrix_get(g, j, i) * f);
        }
    if (v == V_KINK && kinks == 0) {
        gsl_matrix_free(g);
        return NULL;
    }
    return g;
}

/* dW^l = (1/q) delta (a^{l-1})^T + reg (t = T_DW) or db^l = (1/q) delta 1 from a
 * delta^l (n_l x m); with `skip` < m that sample left out, `dup` < m counted twice. */
static gsl_matrix *grad_from(const gp_diag *d, tkind t, size_t l, const gsl_matrix *D,
                             double q, size_t skip, size_t dup) {
    size_t n = D->size1, k = d->net->p.sizes[l - 1];
    const gsl_matrix *A = l == 1 ? d->X : d->w->a[l - 2];
    gsl_matrix *g = gsl_matrix_calloc(n, t == T_DW ? k : 1);
    if (!g)
        return NULL;
    for (size_t i = 0; i < d->m; i++) {
        double wgt = (i == skip ? 0.0 : 1.0) + (i == dup ? 1.0 : 0.0);
        for (size_t j = 0; j < n && wgt != 0; j++) {
            double dj = wgt * gsl_matrix_get(D, j, i) / q;
            if (t == T_DB)
                *gsl_matrix_ptr(g, j, 0) += dj;
            else
                for (size_t c = 0; c < k; c++)
                    *gsl_matrix_ptr(g, j, c) += dj * gsl_matrix_get(A, c, i);
        }
    }
    if (t == T_DW)
        gsl_matrix_add(g, d->gr->w[l - 1]);
    return g;
}

/* The tensor t of layer l rebuilt from a delta^l variant (delta, dW or db). */
static gsl_matrix *from_delta(const gp_diag *d, tkind t, size_t l, gsl_matrix *D) {
    if (!D || t == T_DELTA)
        return D;
    gsl_matrix *g = grad_from(d, t, l, D, (double)d->m, (size_t)-1, (size_t)-1);
    gsl_matrix_free(D);
    return g;
}

/* ---- the families of hypotheses ---- */

static gsl_matrix *scaled(const gsl_matrix *o, double k, const gsl_matrix *plus) {
    gsl_matrix *h = mat_clone(o);
    if (h) {
        gsl_matrix_scale(h, k);
        if (plus)
            gsl_matrix_add(h, plus);
    }
    return h;
}

/* k x the tensor for the named k, then the least-squares k = <c,o>/<o,o>; with
 * regularisation, k x the data term plus the regularisation term too. */
static void try_scale(const gp_diag *d, hyp *best, const gsl_matrix *c,
                      const gsl_matrix *o, const gsl_matrix *data,
                      const gsl_matrix *reg) {
    double m = (double)d->m, named[] = {m, 1 / m, 2, 0.5, -1};
    for (size_t q = 0; q < sizeof named / sizeof named[0]; q++)
        consider(best, c, scaled(o, named[q], NULL), GP_DIAG_SCALE, named[q], 0, NULL);
    double co = 0, oo = 0;
    size_t n = 0;
    if (c->size1 == o->size1 && c->size2 == o->size2)
        for (size_t i = 0; i < c->size1; i++)
            for (size_t j = 0; j < c->size2; j++) {
                if (!counts(best->mask, i, j))
                    continue;
                n++;
                co += gsl_matrix_get(c, i, j) * gsl_matrix_get(o, i, j);
                oo += gsl_matrix_get(o, i, j) * gsl_matrix_get(o, i, j);
            }
    /* A fitted k says something only with a few entries to fit, and a named k that
     * fits as well is the better explanation. */
    int near_named = 0;
    for (size_t q = 0; q < sizeof named / sizeof named[0]; q++)
        near_named |= fabs(co / oo - named[q]) <= 1e-6 * fabs(named[q]);
    if (oo > 0 && n >= 3 && !near_named)
        consider(best, c, scaled(o, co / oo, NULL), GP_DIAG_SCALE, co / oo, 0, NULL);
    for (size_t q = 0; data && reg && q < sizeof named / sizeof named[0]; q++)
        consider(best, c, scaled(data, named[q], reg), GP_DIAG_SCALE_DATA, named[q], 0,
                 NULL);
}

/* The transpose, and the transpose's row-major data read as n x k ("reshaped"). */
static void try_transpose(hyp *best, const gsl_matrix *c, const gsl_matrix *o) {
    size_t n = o->size1, k = o->size2;
    gsl_matrix *t = gsl_matrix_alloc(k, n), *r = gsl_matrix_alloc(n, k);
    if (t)
        gsl_matrix_transpose_memcpy(t, o);
    for (size_t p = 0; r && t && p < n * k; p++)
        gsl_matrix_set(r, p / k, p % k, gsl_matrix_get(t, p / n, p % n));
    consider(best, c, t, GP_DIAG_TRANSPOSED, 0, 0, NULL);
    if (n != k && n > 1 && k > 1)
        consider(best, c, r, GP_DIAG_RESHAPED, 0, 0, NULL);
    else
        gsl_matrix_free(r);
}

static void try_fprime(const gp_diag *d, hyp *best, const gsl_matrix *c, tkind t,
                       size_t l) {
    static const gp_diag_kind kinds[] = {GP_DIAG_FPRIME_MISSING, GP_DIAG_FPRIME_TWICE,
                                         GP_DIAG_SIGMA_FOR_PRIME,
                                         GP_DIAG_KINK_CONVENTION};
    for (int v = V_MISSING; v <= V_KINK; v++)
        consider(best, c, from_delta(d, t, l, delta_variant(d, l, v)), kinds[v], 0, 0,
                 NULL);
}

/* data + (s2 lambda) w + (s1 l1) sgn w for the weights of layer l. */
static gsl_matrix *dw_with_reg(const gp_diag *d, size_t l, double s2, double s1) {
    const gsl_matrix *W = d->net->p.w[l - 1];
    gsl_matrix *h = mat_clone(d->gd->w[l - 1]);
    for (size_t j = 0; h && j < W->size1; j++)
        for (size_t k = 0; k < W->size2; k++) {
            double w = gsl_matrix_get(W, j, k);
            *gsl_matrix_ptr(h, j, k) +=
                s2 * d->lambda * w + s1 * d->l1 * ((w > 0) - (w < 0));
        }
    return h;
}

static double sum_sq_weights(const gp_diag *d) {
    double s = 0;
    for (size_t l = 0; l < d->L; l++)
        for (size_t j = 0; j < d->net->p.w[l]->size1; j++)
            for (size_t k = 0; k < d->net->p.w[l]->size2; k++)
                s += gsl_pow_2(gsl_matrix_get(d->net->p.w[l], j, k));
    return s;
}

static void try_reg(const gp_diag *d, hyp *best, const gsl_matrix *c, tkind t, size_t l,
                    double data_cost) {
    double n = d->n, m = (double)d->m;
    if (d->lambda == 0 && d->l1 == 0)
        return;
    if (t == T_DW) {
        consider(best, c, dw_with_reg(d, l, 0, 0), GP_DIAG_REG_MISSING, 0, 0, NULL);
        consider(best, c, dw_with_reg(d, l, 1 / m, 1 / m), GP_DIAG_REG_LAMBDA_M, 0, 0,
                 NULL);
        consider(best, c, dw_with_reg(d, l, 0.5 / n, 1 / n), GP_DIAG_REG_HALF, 0, 0,
                 NULL);
    } else if (t == T_DB) {
        gsl_matrix *h = vec_copy(d->gd->b[l - 1]);
        for (size_t j = 0; h && j < h->size1; j++)
            *gsl_matrix_ptr(h, j, 0) +=
                d->lambda / n * gsl_vector_get(d->net->p.b[l - 1], j);
        consider(best, c, h, GP_DIAG_REG_ON_BIASES, 0, 0, NULL);
    } else if (t == T_COST) {
        double l2 = d->lambda / (2 * n) * sum_sq_weights(d), l1 = d->cost_reg - l2;
        double v[] = {data_cost, data_cost + d->cost_reg * n / m,
                      data_cost + 2 * l2 + l1};
        gp_diag_kind k[] = {GP_DIAG_REG_MISSING, GP_DIAG_REG_LAMBDA_M, GP_DIAG_REG_HALF};
        for (int q = 0; q < 3; q++) {
            gsl_matrix *h = gsl_matrix_alloc(1, 1);
            if (h)
                gsl_matrix_set(h, 0, 0, v[q]);
            consider(best, c, h, k[q], 0, 0, NULL);
        }
    }
}

/* o with column s removed (dup 0) or repeated (dup 1). */
static gsl_matrix *col_edit(const gsl_matrix *o, size_t s, int dup) {
    size_t m = o->size2, m2 = dup ? m + 1 : m - 1;
    if (m2 == 0)
        return NULL;
    gsl_matrix *h = gsl_matrix_alloc(o->size1, m2);
    for (size_t i = 0, q = 0; h && i < m; i++)
        for (int rep = 0; rep < (i == s ? (dup ? 2 : 0) : 1); rep++, q++)
            for (size_t j = 0; j < o->size1; j++)
                gsl_matrix_set(h, j, q, gsl_matrix_get(o, j, i));
    return h;
}

/* One sample s left out or counted twice, divided by m or by the changed count. */
static void try_samples(const gp_diag *d, hyp *best, const gsl_matrix *c,
                        const gsl_matrix *o, tkind t, size_t l, double data_sum) {
    double m = (double)d->m;
    gsl_matrix *D = t == T_DW || t == T_DB ? oracle(d, T_DELTA, l) : NULL;
    for (size_t s = 0; s < d->m; s++) {
        double qd[] = {m, m - 1}, qu[] = {m, m + 1};
        for (int v = 0; v < 2; v++) {
            if (t == T_COST) {
                gsl_matrix *h1 = gsl_matrix_alloc(1, 1), *h2 = gsl_matrix_alloc(1, 1);
                if (h1 && h2) {
                    gsl_matrix_set(h1, 0, 0, (data_sum - d->cx[s]) / qd[v] + d->cost_reg);
                    gsl_matrix_set(h2, 0, 0, (data_sum + d->cx[s]) / qu[v] + d->cost_reg);
                }
                if (qd[v] > 0)
                    consider(best, c, h1, GP_DIAG_SAMPLE_DROPPED, qd[v], s, NULL);
                else
                    gsl_matrix_free(h1);
                consider(best, c, h2, GP_DIAG_SAMPLE_DUPLICATED, qu[v], s, NULL);
            } else if (D) {
                if (qd[v] > 0)
                    consider(best, c, grad_from(d, t, l, D, qd[v], s, (size_t)-1),
                             GP_DIAG_SAMPLE_DROPPED, qd[v], s, NULL);
                consider(best, c, grad_from(d, t, l, D, qu[v], (size_t)-1, s),
                         GP_DIAG_SAMPLE_DUPLICATED, qu[v], s, NULL);
            } else if (v == 0) {
                consider(best, c, col_edit(o, s, 0), GP_DIAG_SAMPLE_DROPPED, m - 1, s,
                         NULL);
                consider(best, c, col_edit(o, s, 1), GP_DIAG_SAMPLE_DUPLICATED, m + 1, s,
                         NULL);
            }
        }
    }
    gsl_matrix_free(D);
}

static void tensor_name(char *buf, size_t len, tkind t, size_t l) {
    static const char *pre[] = {"z", "a", "delta", "dW", "db"};
    if (t == T_COST)
        snprintf(buf, len, "cost");
    else
        snprintf(buf, len, "%s%zu", pre[t], l);
}

static void try_swap(const gp_diag *d, hyp *best, const gsl_matrix *c, tkind t,
                     size_t l) {
    for (size_t q = 1; q <= d->L && t != T_COST; q++)
        if (q != l) {
            char nm[32];
            tensor_name(nm, sizeof nm, t, q);
            consider(best, c, oracle(d, t, q), GP_DIAG_LAYERS_SWAPPED, 0, 0, nm);
        }
}

static int parse_name(const gp_diag *d, const char *name, tkind *t, size_t *l) {
    static const struct {
        const char *pre;
        tkind t;
    } p[] = {{"delta", T_DELTA}, {"dW", T_DW}, {"db", T_DB}, {"z", T_Z}, {"a", T_A}};
    *l = 0;
    if (!strcmp(name, "cost")) {
        *t = T_COST;
        return GSL_SUCCESS;
    }
    for (size_t q = 0; q < sizeof p / sizeof p[0]; q++) {
        size_t n = strlen(p[q].pre);
        if (!strncmp(name, p[q].pre, n) && name[n] >= '1' && name[n] <= '9') {
            char *end;
            unsigned long v = strtoul(name + n, &end, 10);
            if (*end == 0 && v >= 1 && v <= d->L) {
                *t = p[q].t;
                *l = v;
                return GSL_SUCCESS;
            }
        }
    }
    GSL_ERROR("diagnose: unknown tensor name", GSL_EINVAL);
}

/* ---- the report ---- */

static void describe_scale(char *b, size_t len, const char *nm, const hyp *h, size_t m) {
    double k = h->param;
    const char *what = h->kind == GP_DIAG_SCALE_DATA ? "its data term" : "the oracle";
    if (k == (double)m && m > 1)
        snprintf(b, len,
                 "%s = %zu x %s: summed instead of averaged over the batch of %zu", nm, m,
                 what, m);
    else if (k == 1.0 / (double)m && m > 1)
        snprintf(b, len, "%s = 1/%zu x %s: divided by the batch size %zu twice", nm, m,
                 what, m);
    else if (k == 2)
        snprintf(b, len, "%s = 2 x %s: a factor 1/2 dropped", nm, what);
    else if (k == 0.5)
        snprintf(b, len, "%s = 1/2 x %s: an extra factor 1/2", nm, what);
    else if (k == -1)
        snprintf(b, len, "%s = -1 x %s: sign flipped (y - a for a - y?)", nm, what);
    else
        snprintf(b, len, "%s = %.6g x %s", nm, k, what);
}

/* "delta1: relu'(0) taken as 1 where z1 = 0 exactly (7 entries), gradproof uses
 * relu'(0) = 0" (leaky: "... uses leaky-relu'(0) = alpha = 0.1"). */
static void describe_kink(char *b, size_t len, const gp_diag *d, const char *nm,
                          size_t l) {
    const gp_activation *act = gp_network_activation(d->net, l);
    double at = 0, up;
    size_t kinks = 0;
    gp_activation_kink(act, &at);
    up = act->df(act, nextafter(at, INFINITY));
    for (size_t j = 0; j < d->net->p.sizes[l]; j++)
        for (size_t i = 0; i < d->m; i++)
            kinks += gsl_matrix_get(d->w->z[l - 1], j, i) == at;
    snprintf(b, len,
             "%s: %s'(0) taken as %g where z%zu = %g exactly (%zu %s), gradproof uses "
             "%s'(0) = %s%g",
             nm, act->name, up, l, at, kinks, kinks == 1 ? "entry" : "entries", act->name,
             act->alpha != 0 ? "alpha = " : "", act->df(act, at));
}

static void describe(gp_diagnosis *out, const gp_diag *d, const hyp *h, tkind t,
                     size_t l) {
    char b[200];
    const char *nm = out->tensor;
    switch (h->kind) {
    case GP_DIAG_SCALE:
    case GP_DIAG_SCALE_DATA:
        describe_scale(b, sizeof b, nm, h, d->m);
        break;
    case GP_DIAG_TRANSPOSED:
        snprintf(b, sizeof b, "%s is transposed", nm);
        break;
    case GP_DIAG_RESHAPED:
        snprintf(b, sizeof b,
                 "%s holds the transpose's values reshaped: reshaped instead "
                 "of transposed",
                 nm);
        break;
    case GP_DIAG_FPRIME_MISSING:
    case GP_DIAG_FPRIME_TWICE:
    case GP_DIAG_SIGMA_FOR_PRIME:
        snprintf(b, sizeof b, "%s: %s in delta%zu", nm,
                 h->kind == GP_DIAG_FPRIME_MISSING ? "the factor sigma'(z) missing"
                 : h->kind == GP_DIAG_FPRIME_TWICE
                     ? "sigma'(z) applied twice"
                     : "sigma(z) used where sigma'(z) belongs",
                 l);
        break;
    case GP_DIAG_REG_MISSING:
        snprintf(b, sizeof b, "%s: regularisation missing", nm);
        break;
    case GP_DIAG_REG_ON_BIASES:
        snprintf(b, sizeof b, "%s: weight decay (lambda/n) b applied to the biases", nm);
        break;
    case GP_DIAG_REG_LAMBDA_M:
        snprintf(b, sizeof b, "%s: lambda/m (m = %zu) instead of lambda/n (n = %g)", nm,
                 d->m, d->n);
        break;
    case GP_DIAG_REG_HALF:
        snprintf(b, sizeof b, "%s: %s", nm,
                 t == T_COST
                     ? "(lambda/n) sum w^2, the factor 1/2 of the L2 term dropped"
                     : "(lambda/2n) w, the 1/2 of the L2 cost kept in the gradient");
        break;
    case GP_DIAG_SAMPLE_DROPPED:
    case GP_DIAG_SAMPLE_DUPLICATED:
        snprintf(b, sizeof b, "%s: sample %zu %s (divided by %g)", nm, h->index,
                 h->kind == GP_DIAG_SAMPLE_DROPPED ? "dropped" : "counted twice",
                 h->param);
        break;
    case GP_DIAG_LAYERS_SWAPPED:
        snprintf(b, sizeof b, "%s holds the oracle's %s: layers swapped", nm, h->other);
        break;
    case GP_DIAG_KINK_CONVENTION:
        describe_kink(b, sizeof b, d, nm, l);
        break;
    default:
        snprintf(b, sizeof b, "%s: no named hypothesis", nm);
    }
    snprintf(out->text, sizeof out->text, "%s (relative residual %.2g)", b, h->residual);
}

/* A NaN or infinite candidate entry, named in out (residual NaN): 1; else 0. No
 * hypothesis fits it, and its residual says nothing (NaN, or 0 beside a zero oracle,
 * which read "agrees with the oracle"). */
static int nonfinite(gp_diagnosis *out, const char *name, const gsl_matrix *cand) {
    size_t i, j;
    if (!gpi_matrix_nonfinite(cand, &i, &j))
        return 0;
    out->residual = NAN;
    snprintf(out->text, sizeof out->text,
             "%s[%zu][%zu] is %g: the candidate's values are not finite, so no "
             "hypothesis was tried",
             name, i, j, gsl_matrix_get(cand, i, j));
    return 1;
}

int gp_diag_tensor(gp_diag *d, const char *name, const gsl_matrix *cand, double tol,
                   gp_diagnosis *out) {
    GPI_NONNULL(d, GSL_EINVAL);
    GPI_NONNULL(name, GSL_EINVAL);
    GPI_NONNULL(cand, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    tkind t;
    size_t l;
    memset(out, 0, sizeof *out);
    int status = parse_name(d, name, &t, &l);
    if (status)
        return status;
    tol = tol > 0 ? tol : 1e-3;
    snprintf(out->tensor, sizeof out->tensor, "%s", name);
    if (nonfinite(out, name, cand))
        return GSL_SUCCESS;
    gsl_matrix *o = oracle(d, t, l);
    if (!o)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    double data_sum = 0;
    for (size_t i = 0; i < d->m; i++)
        data_sum += d->cx[i];
    hyp best = {GP_DIAG_NONE, residual(cand, o, d->mask), 0, 0, "", d->mask};
    double r0 = best.residual;
    if (r0 > 0) {
        gsl_matrix *data = t == T_DW ? mat_clone(d->gd->w[l - 1]) : NULL;
        gsl_matrix *reg = t == T_DW ? mat_clone(d->gr->w[l - 1]) : NULL;
        int has_reg = d->lambda != 0 || d->l1 != 0;
        try_scale(d, &best, cand, o, has_reg ? data : NULL, has_reg ? reg : NULL);
        try_transpose(&best, cand, o);
        if (t == T_DELTA || t == T_DW || t == T_DB)
            try_fprime(d, &best, cand, t, l);
        try_reg(d, &best, cand, t, l, data_sum / d->m);
        try_samples(d, &best, cand, o, t, l, data_sum);
        try_swap(d, &best, cand, t, l);
        gsl_matrix_free(data);
        gsl_matrix_free(reg);
    }
    gsl_matrix_free(o);
    describe(out, d, &best, t, l);
    out->residual = best.residual;
    /* A hypothesis is reported when it fits within tol and, if the correct tensor fits
     * within tol too (a small effect: one sample among many, a saturated layer), when
     * it fits a thousand times better than the correct tensor. */
    if (best.kind == GP_DIAG_NONE || best.residual > tol ||
        (r0 <= tol && !(best.residual < 1e-3 * r0))) {
        out->kind = GP_DIAG_NONE;
        char near[sizeof out->text];
        snprintf(near, sizeof near, "%s", out->text);
        if (r0 <= tol)
            snprintf(out->text, sizeof out->text,
                     "%s agrees with the oracle as a whole (relative residual %.2g)",
                     name, r0);
        else if (best.kind != GP_DIAG_NONE)
            snprintf(out->text, sizeof out->text,
                     "no named hypothesis explains %s; nearest: %.180s", name, near);
        return GSL_SUCCESS;
    }
    out->kind = best.kind;
    out->param = best.param;
    out->index = best.index;
    snprintf(out->other, sizeof out->other, "%s", best.other);
    return GSL_SUCCESS;
}
