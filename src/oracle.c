/* oracle.c: the full gradient check of a network by incremental re-evaluation
 * (see oracle.h for the idea). */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>

#include "internal.h"

struct gp_oracle {
    gp_network *net;        /* a private copy */
    size_t L, m, n0, width; /* width: the widest layer */
    gp_regularization reg;
    size_t reg_n; /* the n of the regularisation terms */
    double *X;    /* n_0 x m, row-major: row k is input k over the samples */
    double *YT;   /* m x n_L: sample i's target contiguous */
    double **z;   /* z[l-1]: n_l x m, row-major */
    double **zt;  /* zt[l-1]: m x n_l, sample i's z^l contiguous */
    double **a;   /* a[l-1]: n_l x m (hidden layers) */
    double *c;    /* per-sample cost C_x */
    double data_cost, reg_cost;
    double *zz, *zz2, *da, *wcol; /* scratch, width entries each */
    double *zb, *yb, *work;       /* m x n_L: moved samples' z^L and y; scratch */
    double *cb;                   /* m: the moved samples' perturbed C_x */
    double *uz, *ua;              /* m: the moved unit's z and a per moved sample */
    size_t *moved;                /* m: which samples moved */
    double *ones;                 /* m ones: the "input" of a bias */
};

void gp_oracle_free(gp_oracle *o) {
    if (!o)
        return;
    for (size_t l = 0; o->z && l < o->L; l++)
        free(o->z[l]);
    for (size_t l = 0; o->a && l < o->L; l++)
        free(o->a[l]);
    for (size_t l = 0; o->zt && l < o->L; l++)
        free(o->zt[l]);
    free(o->z);
    free(o->zt);
    free(o->a);
    free(o->wcol);
    free(o->zb);
    free(o->yb);
    free(o->work);
    free(o->cb);
    free(o->uz);
    free(o->ua);
    free(o->moved);
    free(o->X);
    free(o->YT);
    free(o->c);
    free(o->zz);
    free(o->zz2);
    free(o->da);
    free(o->ones);
    gp_network_free(o->net);
    free(o);
}

/* The oracle's copies of the inputs, targets (sample-major), z (both orders) and a of the
 * forward pass in w, and the unperturbed costs. */
static void fill_state(gp_oracle *o, const gp_network *net, const gsl_matrix *X,
                       const gsl_matrix *Y, const gp_backprop_workspace *w,
                       const gp_regularization *reg) {
    size_t L = o->L, m = o->m, nL = net->p.sizes[L];
    for (size_t k = 0; k < o->n0; k++)
        for (size_t i = 0; i < m; i++)
            o->X[k * m + i] = gsl_matrix_get(X, k, i);
    for (size_t i = 0; i < m; i++) {
        o->ones[i] = 1.0;
        for (size_t j = 0; j < nL; j++)
            o->YT[i * nL + j] = gsl_matrix_get(Y, j, i);
    }
    for (size_t l = 0; l < L; l++)
        for (size_t j = 0; j < net->p.sizes[l + 1]; j++)
            for (size_t i = 0; i < m; i++) {
                o->z[l][j * m + i] = gsl_matrix_get(w->z[l], j, i);
                o->zt[l][i * net->p.sizes[l + 1] + j] = gsl_matrix_get(w->z[l], j, i);
                o->a[l][j * m + i] = gsl_matrix_get(w->a[l], j, i);
            }
    /* Per-sample costs by gpi_cost_samples, as slot_cost computes the perturbed ones
     * (bit-identical: the difference at t = w0 is exactly 0), summed in the order
     * gp_total_cost sums them. */
    gpi_cost_samples(net->cost, o->zt[L - 1], o->YT, nL, m, o->work, o->c);
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += o->c[i];
    o->data_cost = s / (double)m;
    o->reg_cost = gp_regularization_cost(net, reg, m);
}

/* The inputs gp_oracle_alloc refuses, with their status (GSL_EBADLEN, GSL_EDOM), so
 * that gp_oracle_check_network can return it. */
static int oracle_inputs_check(const gp_network *net, const gsl_matrix *X,
                               const gsl_matrix *Y, const gp_regularization *reg) {
    size_t L = net->p.L, m = X->size2;
    if (m == 0 || X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[L] ||
        Y->size2 != m)
        GSL_ERROR("X, Y and the network disagree in shape", GSL_EBADLEN);
    return reg ? gpi_reg_check(reg->lambda, reg->l1) : GSL_SUCCESS;
}

gp_oracle *gp_oracle_alloc(const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, const gp_regularization *reg) {
    GPI_NONNULL(net, NULL);
    GPI_NONNULL(X, NULL);
    GPI_NONNULL(Y, NULL);
    size_t L = net->p.L, m = X->size2;
    if (oracle_inputs_check(net, X, Y, reg))
        return NULL;
    gp_oracle *o = calloc(1, sizeof *o);
    gp_backprop_workspace *w = NULL;
    if (!o)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    o->L = L;
    o->m = m;
    o->n0 = net->p.sizes[0];
    if (reg)
        o->reg = *reg;
    o->reg_n = o->reg.n ? o->reg.n : m;
    for (size_t l = 0; l <= L; l++)
        if (net->p.sizes[l] > o->width)
            o->width = net->p.sizes[l];
    size_t nL = net->p.sizes[L];
    o->net = gp_network_clone(net);
    o->z = calloc(L, sizeof *o->z);
    o->zt = calloc(L, sizeof *o->zt);
    o->a = calloc(L, sizeof *o->a);
    o->X = malloc(o->n0 * m * sizeof *o->X);
    o->YT = malloc(nL * m * sizeof *o->YT);
    o->c = malloc(m * sizeof *o->c);
    o->zz = malloc(o->width * sizeof *o->zz);
    o->zz2 = malloc(o->width * sizeof *o->zz2);
    o->da = malloc(o->width * sizeof *o->da);
    o->wcol = malloc(o->width * sizeof *o->wcol);
    o->zb = malloc(nL * m * sizeof *o->zb);
    o->yb = malloc(nL * m * sizeof *o->yb);
    o->work = malloc(nL * m * sizeof *o->work);
    o->cb = malloc(m * sizeof *o->cb);
    o->uz = malloc(m * sizeof *o->uz);
    o->ua = malloc(m * sizeof *o->ua);
    o->moved = malloc(m * sizeof *o->moved);
    o->ones = malloc(m * sizeof *o->ones);
    w = gp_backprop_workspace_alloc(net, m);
    if (!o->net || !o->z || !o->zt || !o->a || !o->X || !o->YT || !o->c || !o->zz ||
        !o->zz2 || !o->da || !o->wcol || !o->zb || !o->yb || !o->work || !o->cb ||
        !o->uz || !o->ua || !o->moved || !o->ones || !w)
        goto nomem;
    for (size_t l = 0; l < L; l++) {
        o->z[l] = malloc(net->p.sizes[l + 1] * m * sizeof(double));
        o->zt[l] = malloc(net->p.sizes[l + 1] * m * sizeof(double));
        o->a[l] = malloc(net->p.sizes[l + 1] * m * sizeof(double));
        if (!o->z[l] || !o->zt[l] || !o->a[l])
            goto nomem;
    }
    int status = gp_feedforward(net, X, w);
    if (status) {
        gp_backprop_workspace_free(w);
        gp_oracle_free(o);
        GSL_ERROR_NULL("forward pass failed", status);
    }
    fill_state(o, net, X, Y, w, reg);
    gp_backprop_workspace_free(w);
    return o;
nomem:
    gp_backprop_workspace_free(w);
    gp_oracle_free(o);
    GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
}

double gp_oracle_cost(const gp_oracle *o) {
    GPI_NONNULL(o, NAN);
    return o->data_cost + o->reg_cost;
}

/* The parameter being varied: layer l (1-based), row j, and the per-sample factor v by
 * which dt moves z^l_j (row k of a^{l-1}, or ones for a bias). */
typedef struct {
    gp_oracle *o;
    size_t index, l, j;
    int is_w;
    const double *v;
    double w0;
} param_slot;

static void slot_set(gp_oracle *o, size_t i, param_slot *s) {
    size_t l, j, k;
    int is_w;
    gp_params_locate(&o->net->p, i, &l, &is_w, &j, &k);
    s->o = o;
    s->index = i;
    s->l = l;
    s->j = j;
    s->is_w = is_w;
    s->v = !is_w ? o->ones : l == 1 ? o->X + k * o->m : o->a[l - 2] + k * o->m;
    s->w0 = gsl_vector_get(o->net->p.params, i);
    if (l < o->L) { /* column j of W^{l+1}, contiguous for downstream */
        const gsl_matrix *W = o->net->p.w[l];
        for (size_t q = 0; q < W->size1; q++)
            o->wcol[q] = W->data[q * W->tda + j];
    }
}

/* The samples in which unit j of layer l moves when the parameter moves by dt, into
 * o->moved[0..count): for l = L its new z in o->uz, else its activation's change in
 * o->ua (a' - a by the batch form f_n, which also gave the stored a: 0 at dt = 0). */
static size_t moved_unit(gp_oracle *o, const param_slot *s, double dt) {
    size_t m = o->m, l = s->l, j = s->j, nm = 0, kept = 0;
    const double *z = o->z[l - 1] + j * m;
    for (size_t i = 0; i < m; i++)
        if (s->v[i] != 0) { /* else z^l_j of this sample does not move */
            o->moved[nm] = i;
            o->uz[nm++] = z[i] + dt * s->v[i];
        }
    if (l == o->L || nm == 0)
        return nm;
    const gp_activation *act = gp_network_activation(o->net, l);
    act->f_n(act, o->uz, o->ua, NULL, nm);
    for (size_t r = 0; r < nm; r++) {
        size_t i = o->moved[r];
        double du = o->ua[r] - o->a[l - 1][j * m + i];
        if (du != 0) { /* else saturated: nothing downstream moves */
            o->moved[kept] = i;
            o->ua[kept++] = du;
        }
    }
    return kept;
}

/* z^L of sample i into zo after the unit of slot s moved by du (o->uz / o->ua). */
static void downstream(gp_oracle *o, const param_slot *s, size_t i, double du,
                       double *zo) {
    const gp_params *p = &o->net->p;
    size_t L = o->L, l = s->l, m = o->m;
    if (l == L) {
        memcpy(zo, o->zt[L - 1] + i * p->sizes[L], p->sizes[L] * sizeof *zo);
        zo[s->j] = du;
        return;
    }
    /* Layer l+1: a rank-one change through column j of W^{l+1}. */
    size_t n = p->sizes[l + 1];
    double *restrict cur = l + 1 == L ? zo : o->zz;
    const double *restrict base = o->zt[l] + i * n, *restrict wc = o->wcol;
    for (size_t q = 0; q < n; q++)
        cur[q] = base[q] + wc[q] * du;
    /* Later layers: z^{r+1}' = z^{r+1} + W^{r+1} (a^r' - a^r). */
    for (size_t r = l + 1; r < L; r++) {
        size_t nr = p->sizes[r];
        const gp_activation *ar = gp_network_activation(o->net, r);
        const gsl_matrix *Wn = p->w[r];
        double *da = o->da, *next = r + 1 == L ? zo : cur == o->zz ? o->zz2 : o->zz;
        ar->f_n(ar, cur, da, NULL, nr);
        for (size_t q = 0; q < nr; q++)
            da[q] -= o->a[r - 1][q * m + i];
        for (size_t q = 0; q < Wn->size1; q++) {
            const double *row = Wn->data + q * Wn->tda;
            double acc = o->zt[r][i * Wn->size1 + q];
            for (size_t u = 0; u < nr; u++)
                acc += row[u] * da[u];
            next[q] = acc;
        }
        cur = next;
    }
}

/* C(t) - C(w0) over the data, divided by m at the end: the moved samples' z^L, then
 * their costs in one call (the cross-entropy's exp and log1p run on full vectors), each
 * minus its unperturbed cost (nearly equal: the difference is exact, Sterbenz). */
static double slot_cost(const param_slot *s, double t) {
    gp_oracle *o = s->o;
    size_t nL = o->net->p.sizes[o->L];
    double dt = t - s->w0, sum = 0;
    size_t nm = dt != 0 ? moved_unit(o, s, dt) : 0;
    const double *du = s->l == o->L ? o->uz : o->ua;
    for (size_t r = 0; r < nm; r++) {
        size_t i = o->moved[r];
        downstream(o, s, i, du[r], o->zb + r * nL);
        memcpy(o->yb + r * nL, o->YT + i * nL, nL * sizeof *o->yb);
    }
    gpi_cost_samples(o->net->cost, o->zb, o->yb, nL, nm, o->work, o->cb);
    for (size_t r = 0; r < nm; r++)
        sum += o->cb[r] - o->c[o->moved[r]];
    double c = o->data_cost + sum / (double)o->m + o->reg_cost;
    if (s->is_w && (o->reg.lambda != 0 || o->reg.l1 != 0)) {
        /* L2 and L1 terms of this one weight: (lambda/2n)(t^2 - w0^2) + (l1/n)(|t| -
         * |w0|). */
        double n = (double)o->reg_n;
        c += o->reg.lambda / (2 * n) * (t - s->w0) * (t + s->w0) +
             o->reg.l1 / n * (fabs(t) - fabs(s->w0));
    }
    return c;
}

int gp_oracle_perturbed_cost(gp_oracle *o, size_t i, double t, double *cost) {
    GPI_NONNULL(o, GSL_EINVAL);
    GPI_NONNULL(cost, GSL_EINVAL);
    if (i >= o->net->p.n_params)
        GSL_ERROR("parameter index out of range", GSL_EINVAL);
    param_slot s;
    slot_set(o, i, &s);
    *cost = slot_cost(&s, t);
    return GSL_SUCCESS;
}

gp_fcheck_report *gp_oracle_report_alloc(const gp_network *net) {
    GPI_NONNULL(net, NULL);
    return gp_formula_report_alloc(GP_FORMULA_PARAMS, net, 0);
}

typedef struct {
    gp_oracle *o;
    param_slot s;
    size_t evals;
} slot_fn;

static double eval_slot(double t, void *vp) {
    slot_fn *f = vp;
    f->evals++;
    return slot_cost(&f->s, t);
}

/* The engine's coordinate derivative (gpi_check_tensor): parameter i by the cached,
 * downstream-only re-evaluation. */
static int slot_deriv(void *ctx, size_t i, const gp_fcheck_opts *opts, double *result,
                      double *abserr) {
    slot_fn *f = ctx;
    slot_set(f->o, i, &f->s);
    gp_fcheck_opts local = *opts;
    local.h = gpi_l1_step(opts->h, f->s.w0, f->s.is_w, &f->o->reg);
    gsl_function F = {eval_slot, f};
    gpi_deriv(&F, f->s.w0, &local, result, abserr);
    return GSL_SUCCESS;
}

int gp_oracle_check(gp_oracle *o, const gp_gradient *candidate,
                    const gp_fcheck_opts *opts, gp_fcheck_report *r, size_t *n_evals) {
    GPI_NONNULL(o, GSL_EINVAL);
    GPI_NONNULL(candidate, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    int status = gpi_params_fit(o->net, candidate, r);
    slot_fn f = {o, {0}, 0};
    for (size_t t = 0; t < r->n_tensors && !status; t++)
        status = gpi_check_tensor(r, opts, t, NULL, r->tensors[t].length,
                                  candidate->params, slot_deriv, &f);
    if (n_evals)
        *n_evals += f.evals;
    return status;
}

int gp_oracle_numeric(gp_oracle *o, const gp_fcheck_opts *opts, size_t lo, size_t hi,
                      double *num, size_t *n_evals) {
    GPI_NONNULL(o, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(num, GSL_EINVAL);
    if (lo > hi || hi > o->net->p.n_params)
        GSL_ERROR("parameter range out of bounds", GSL_EINVAL);
    if (gp_fcheck_opts_check(opts))
        return GSL_EINVAL;
    slot_fn f = {o, {0}, 0};
    for (size_t i = lo; i < hi; i++)
        slot_deriv(&f, i, opts, &num[2 * (i - lo)], &num[2 * (i - lo) + 1]);
    if (n_evals)
        *n_evals += f.evals;
    return GSL_SUCCESS;
}

int gp_oracle_check_given(gp_oracle *o, const gp_gradient *candidate,
                          const gp_fcheck_opts *opts, const double *num,
                          gp_fcheck_report *r) {
    GPI_NONNULL(o, GSL_EINVAL);
    GPI_NONNULL(candidate, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(num, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    slot_fn f = {o, {0}, 0};
    return gpi_params_given(o->net, candidate, opts, num, 0, slot_deriv, &f, r);
}

int gp_oracle_check_network(const gp_network *net, const gsl_matrix *X,
                            const gsl_matrix *Y, const gp_regularization *reg,
                            const gp_gradient *candidate, const gp_fcheck_opts *opts,
                            gp_fcheck_report *r) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(candidate, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    int status = oracle_inputs_check(net, X, Y, reg); /* not all GSL_EFAILED */
    if (status)
        return status;
    gp_oracle *o = gp_oracle_alloc(net, X, Y, reg);
    if (!o)
        return GSL_ENOMEM;
    status = gp_oracle_check(o, candidate, opts, r, NULL);
    gp_oracle_free(o);
    return status;
}

void gp_oracle_opts_default(gp_fcheck_opts *opts, gp_precision p) {
    GPI_NONNULL(opts, );
    gp_fcheck_opts_default(opts, p);
    if (p == GP_FLOAT64)
        opts->h = 2e-6;
}

/* ---- shrinking ---- */

typedef struct {
    gp_network *net;
    gsl_matrix *X, *Y;
} shrink_case;

static void case_free(shrink_case *c) {
    gp_network_free(c->net);
    gsl_matrix_free(c->X);
    gsl_matrix_free(c->Y);
    c->net = NULL;
    c->X = c->Y = NULL;
}

/* Copy of A without row `dr` and column `dc` ((size_t)-1: none), or NULL. */
static gsl_matrix *drop(const gsl_matrix *A, size_t dr, size_t dc) {
    size_t r = A->size1 - (dr < A->size1), c = A->size2 - (dc < A->size2);
    if (r == 0 || c == 0)
        return NULL;
    gsl_matrix *B = gsl_matrix_alloc(r, c);
    for (size_t i = 0, ii = 0; B && i < A->size1; i++) {
        if (i == dr)
            continue;
        for (size_t j = 0, jj = 0; j < A->size2; j++)
            if (j != dc)
                gsl_matrix_set(B, ii, jj++, gsl_matrix_get(A, i, j));
        ii++;
    }
    return B;
}

/* The case without sample i. */
static int without_sample(const shrink_case *c, size_t i, shrink_case *out) {
    out->net = gp_network_clone(c->net);
    out->X = drop(c->X, (size_t)-1, i);
    out->Y = drop(c->Y, (size_t)-1, i);
    return out->net && out->X && out->Y ? 0 : GSL_ENOMEM;
}

/* The case without neuron j of layer l (0 = an input, L = an output). */
static int without_neuron(const shrink_case *c, size_t l, size_t j, shrink_case *out) {
    const gp_params *p = &c->net->p;
    size_t L = p->L, sizes[GP_MAX_LAYERS + 1];
    memcpy(sizes, p->sizes, (L + 1) * sizeof *sizes);
    sizes[l]--;
    out->net = gp_network_alloc(L + 1, sizes, c->net->cost);
    out->X =
        l == 0 ? drop(c->X, j, (size_t)-1) : gsl_matrix_alloc(c->X->size1, c->X->size2);
    out->Y =
        l == L ? drop(c->Y, j, (size_t)-1) : gsl_matrix_alloc(c->Y->size1, c->Y->size2);
    if (!out->net || !out->X || !out->Y)
        return GSL_ENOMEM;
    if (l != 0)
        gsl_matrix_memcpy(out->X, c->X);
    if (l != L)
        gsl_matrix_memcpy(out->Y, c->Y);
    for (size_t q = 1; q < L; q++) /* the hidden activations stay */
        gp_network_set_activation(out->net, q, gp_network_activation(c->net, q));
    for (size_t q = 1; q <= L; q++) {
        size_t dr = q == l ? j : (size_t)-1, dc = q == l + 1 ? j : (size_t)-1;
        gsl_matrix *W = drop(p->w[q - 1], dr, dc);
        if (!W)
            return GSL_ENOMEM;
        gsl_matrix_memcpy(out->net->p.w[q - 1], W);
        gsl_matrix_free(W);
        for (size_t k = 0, kk = 0; k < p->sizes[q]; k++)
            if (k != dr)
                gsl_vector_set(out->net->p.b[q - 1], kk++,
                               gsl_vector_get(p->b[q - 1], k));
    }
    return GSL_SUCCESS;
}

/* The case without hidden layer l (1 <= l < L): W^{l+1} cut or zero-padded to
 * n_{l+1} x n_{l-1}. */
static int without_layer(const shrink_case *c, size_t l, shrink_case *out) {
    const gp_params *p = &c->net->p;
    size_t L = p->L, sizes[GP_MAX_LAYERS + 1], n = 0;
    for (size_t q = 0; q <= L; q++)
        if (q != l)
            sizes[n++] = p->sizes[q];
    out->net = gp_network_alloc(n, sizes, c->net->cost);
    out->X = gsl_matrix_alloc(c->X->size1, c->X->size2);
    out->Y = gsl_matrix_alloc(c->Y->size1, c->Y->size2);
    if (!out->net || !out->X || !out->Y)
        return GSL_ENOMEM;
    gsl_matrix_memcpy(out->X, c->X);
    gsl_matrix_memcpy(out->Y, c->Y);
    for (size_t q = 1, qq = 1; q <= L; q++) {
        if (q == l)
            continue;
        gsl_matrix *Wn = out->net->p.w[qq - 1];
        const gsl_matrix *W = p->w[q - 1];
        gsl_matrix_set_zero(Wn);
        for (size_t i = 0; i < Wn->size1 && i < W->size1; i++)
            for (size_t k = 0; k < Wn->size2 && k < W->size2; k++)
                gsl_matrix_set(Wn, i, k, gsl_matrix_get(W, i, k));
        gsl_vector_memcpy(out->net->p.b[qq - 1], p->b[q - 1]);
        /* hidden layer q keeps its activation as layer qq (the last layer has none) */
        if (q < L)
            gp_network_set_activation(out->net, qq, gp_network_activation(c->net, q));
        qq++;
    }
    return GSL_SUCCESS;
}

typedef struct {
    gp_case_property prop;
    void *params;
    size_t evals, max_evals, steps;
    int error;
} shrinker;

/* Try a candidate: keep it (freeing the current case) if it still fails. */
static int try_case(shrinker *s, shrink_case *cur, shrink_case *cand, int status) {
    if (status || s->evals >= s->max_evals) {
        case_free(cand);
        return 0;
    }
    s->evals++;
    int r = s->prop(cand->net, cand->X, cand->Y, s->params);
    if (r < 0)
        s->error = 1;
    if (r == 1) {
        case_free(cur);
        *cur = *cand;
        s->steps++;
        return 1;
    }
    case_free(cand);
    return 0;
}

/* Simpler values for x: 0, the nearest integer, one decimal (those that differ). */
static size_t simpler(double x, double out[3]) {
    size_t n = 0;
    double c[3] = {0.0, round(x), round(10 * x) / 10};
    for (int i = 0; i < 3; i++)
        if (c[i] != x && (n == 0 || c[i] != out[n - 1]))
            out[n++] = c[i];
    return n;
}

/* Replace *slot (a parameter or an input of cur) by the first simpler value after which
 * the case still fails; 1 if one was kept. */
static int try_simpler(shrinker *s, const shrink_case *cur, double *slot) {
    double x = *slot, cands[3];
    size_t n = simpler(x, cands);
    for (size_t q = 0; q < n && s->evals < s->max_evals; q++) {
        *slot = cands[q];
        s->evals++;
        int r = s->prop(cur->net, cur->X, cur->Y, s->params);
        if (r < 0)
            s->error = 1;
        if (r == 1) {
            s->steps++;
            return 1;
        }
        *slot = x;
    }
    return 0;
}

int gp_shrink_case(gp_case_property prop, void *params, size_t max_evals,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, size_t *steps) {
    if (!prop || !net || !X || !Y || !*net || !*X || !*Y)
        GSL_ERROR("shrinking needs a property and a case", GSL_EINVAL);
    shrinker s = {prop, params, 0, max_evals, 0, 0};
    shrink_case cur = {*net, *X, *Y};
    const size_t *sz = cur.net->p.sizes;
    /* the shrinking steps cut rows of X and Y as they cut units: shapes must fit */
    if (cur.X->size1 != sz[0] || cur.Y->size1 != sz[cur.net->p.L] ||
        cur.Y->size2 != cur.X->size2)
        GSL_ERROR("X and Y do not fit the network (n_0 x m, n_L x m)", GSL_EBADLEN);
    int r0 = prop(cur.net, cur.X, cur.Y, params);
    if (r0 < 0)
        GSL_ERROR("the property failed to run", GSL_EFAILED);
    if (r0 != 1)
        GSL_ERROR("the case to shrink does not fail", GSL_EINVAL);
    int changed = 1;
    while (changed && s.evals < max_evals && !s.error) {
        changed = 0;
        /* Fewer samples. */
        for (size_t i = cur.X->size2; i-- > 0 && cur.X->size2 > 1;) {
            shrink_case cand = {NULL, NULL, NULL};
            changed |= try_case(&s, &cur, &cand, without_sample(&cur, i, &cand));
        }
        /* Fewer hidden layers. */
        for (size_t l = cur.net->p.L; l-- > 1;) {
            shrink_case cand = {NULL, NULL, NULL};
            changed |= try_case(&s, &cur, &cand, without_layer(&cur, l, &cand));
        }
        /* Narrower layers. */
        for (size_t l = 0; l <= cur.net->p.L; l++) {
            for (size_t j = cur.net->p.sizes[l]; j-- > 0;) {
                size_t L = cur.net->p.L, n = cur.net->p.sizes[l];
                if (l > L || j >= cur.net->p.sizes[l] || n < 2)
                    continue;
                if (l == L && cur.net->cost->output == GP_OUTPUT_SOFTMAX) {
                    int used = n <= 2;
                    for (size_t i = 0; i < cur.Y->size2; i++)
                        used |= gsl_matrix_get(cur.Y, j, i) != 0;
                    if (used)
                        continue;
                }
                shrink_case cand = {NULL, NULL, NULL};
                changed |= try_case(&s, &cur, &cand, without_neuron(&cur, l, j, &cand));
            }
        }
        /* Simpler values: parameters, then inputs. */
        gsl_vector *pv = cur.net->p.params;
        for (size_t i = 0; i < pv->size && s.evals < max_evals; i++)
            changed |= try_simpler(&s, &cur, gsl_vector_ptr(pv, i));
        for (size_t i = 0; i < cur.X->size1 * cur.X->size2 && s.evals < max_evals; i++) {
            size_t r = i / cur.X->size2, c = i % cur.X->size2;
            changed |= try_simpler(&s, &cur, gsl_matrix_ptr(cur.X, r, c));
        }
    }
    *net = cur.net;
    *X = cur.X;
    *Y = cur.Y;
    if (steps)
        *steps = s.steps;
    if (s.error)
        GSL_ERROR("the property failed to run", GSL_EFAILED);
    return GSL_SUCCESS;
}
