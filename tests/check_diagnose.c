/* check_diagnose.c: the diagnosis names each planted bug (diagnose.h).
 *
 * Each property plants one bug in the oracle's own tensors (computed here from the
 * library's backprop; the buggy backward pass is written here, independently of
 * src/diagnose.c), finds the first tensor that disagrees in computation order, and
 * asserts that gp_diag_tensor names the bug (and its sample, factor or layer). The
 * correct tensors, exact or rounded to float32, get no diagnosis. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>

#include <gradproof/diagnose.h>
#include <gradproof/hunt.h>

#include "testutil.h"

#define TU_PROG "check_diagnose"
#define MAXT (5 * 8 + 1)

/* A dump in computation order: z1 a1 ... zL aL cost deltaL dWL dbL ... db1. */
typedef struct {
    size_t n;
    char name[MAXT][16];
    gsl_matrix *t[MAXT];
} tdump;

static gsl_matrix *mcopy(const gsl_matrix *M, size_t cols) {
    gsl_matrix *c = gsl_matrix_alloc(M->size1, cols);
    gsl_matrix_const_view v = gsl_matrix_const_submatrix(M, 0, 0, M->size1, cols);
    gsl_matrix_memcpy(c, &v.matrix);
    return c;
}

static void put(tdump *d, const char *nm, gsl_matrix *M) {
    snprintf(d->name[d->n], sizeof d->name[0], "%s", nm);
    d->t[d->n++] = M;
}

static gsl_matrix **slot(tdump *d, const char *nm) {
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->name[i], nm))
            return &d->t[i];
    ck_abort_msg("no tensor %s", nm);
    return NULL;
}

static void tdump_free(tdump *d) {
    for (size_t i = 0; i < d->n; i++)
        gsl_matrix_free(d->t[i]);
    d->n = 0;
}

enum { G_PRIME, G_ONE, G_TWICE, G_SIGMA };

/* BP2-BP4 with sigma'(z) of the hidden layers replaced as g says, divided by q, with
 * sample `skip` left out and `dup` counted twice, plus reg * (coef2 lambda w +
 * coef1 l1 sgn w). Writes deltaL..delta1, dW, db of every layer into d. */
static void backward(const gp_network *net, const gsl_matrix *X,
                     const gp_backprop_workspace *w, int g, double q, size_t skip,
                     size_t dup, double coef2, double coef1, const gp_regularization *reg,
                     tdump *d) {
    size_t L = net->p.L, m = X->size2;
    gsl_matrix *delta[8] = {0};
    delta[L - 1] = mcopy(w->delta[L - 1], m);
    for (size_t l = L - 1; l >= 1; l--) {
        delta[l - 1] = gsl_matrix_alloc(net->p.sizes[l], m);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1, net->p.w[l], delta[l], 0,
                       delta[l - 1]);
        for (size_t j = 0; j < delta[l - 1]->size1; j++)
            for (size_t i = 0; i < m; i++) {
                double z = gsl_matrix_get(w->z[l - 1], j, i), s = gp_sigmoid(z);
                double f = g == G_PRIME   ? s * (1 - s)
                           : g == G_ONE   ? 1
                           : g == G_TWICE ? s * (1 - s) * s * (1 - s)
                                          : s;
                *gsl_matrix_ptr(delta[l - 1], j, i) *= f;
            }
    }
    double nn = reg && reg->n ? (double)reg->n : (double)m;
    for (size_t l = L; l >= 1; l--) {
        const gsl_matrix *A = l == 1 ? X : w->a[l - 2];
        gsl_matrix *dW = gsl_matrix_calloc(net->p.sizes[l], net->p.sizes[l - 1]);
        gsl_matrix *db = gsl_matrix_calloc(net->p.sizes[l], 1);
        for (size_t i = 0; i < m; i++) {
            double wt = (i == skip ? 0 : 1) + (i == dup ? 1 : 0);
            for (size_t j = 0; j < dW->size1; j++) {
                double dj = wt * gsl_matrix_get(delta[l - 1], j, i) / q;
                *gsl_matrix_ptr(db, j, 0) += dj;
                for (size_t k = 0; k < dW->size2; k++)
                    *gsl_matrix_ptr(dW, j, k) += dj * gsl_matrix_get(A, k, i);
            }
        }
        for (size_t j = 0; reg && j < dW->size1; j++)
            for (size_t k = 0; k < dW->size2; k++) {
                double wv = gsl_matrix_get(net->p.w[l - 1], j, k);
                *gsl_matrix_ptr(dW, j, k) += coef2 * reg->lambda / nn * wv +
                                             coef1 * reg->l1 / nn * ((wv > 0) - (wv < 0));
            }
        char nm[16];
        snprintf(nm, sizeof nm, "delta%zu", l);
        put(d, nm, delta[l - 1]);
        snprintf(nm, sizeof nm, "dW%zu", l);
        put(d, nm, dW);
        snprintf(nm, sizeof nm, "db%zu", l);
        put(d, nm, db);
    }
}

/* The forward part of the dump and the cost (the library's), then backward(). */
static void make_dump(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, int g, double q, size_t skip,
                      size_t dup, double coef2, double coef1, tdump *d) {
    size_t L = net->p.L, m = X->size2;
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
    double c;
    ck_assert_int_eq(gp_total_cost(net, X, Y, reg, w, &c), GSL_SUCCESS);
    gp_gradient *gr = gp_gradient_alloc(net);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, gr), GSL_SUCCESS);
    gp_gradient_free(gr);
    d->n = 0;
    for (size_t l = 1; l <= L; l++) {
        char nm[16];
        snprintf(nm, sizeof nm, "z%zu", l);
        put(d, nm, mcopy(w->z[l - 1], m));
        snprintf(nm, sizeof nm, "a%zu", l);
        put(d, nm, mcopy(w->a[l - 1], m));
    }
    gsl_matrix *cm = gsl_matrix_alloc(1, 1);
    gsl_matrix_set(cm, 0, 0, c);
    put(d, "cost", cm);
    backward(net, X, w, g, q, skip, dup, coef2, coef1, reg, d);
    gp_backprop_workspace_free(w);
}

typedef struct {
    const char *name;
    gp_diag_kind expect;
    int reg;           /* the case has L2/L1 regularisation */
    size_t min_layers; /* 2 for hidden-layer bugs, 3 for swapped layers */
    int square;        /* square hidden layers */
} bug_row;

static const bug_row bugs[] = {
    {"sum-not-mean", GP_DIAG_SCALE, 0, 1, 0},
    {"sum-not-mean-reg", GP_DIAG_SCALE_DATA, 1, 1, 0},
    {"sign-flipped", GP_DIAG_SCALE, 0, 1, 0},
    {"fprime-missing", GP_DIAG_FPRIME_MISSING, 0, 2, 0},
    {"fprime-twice", GP_DIAG_FPRIME_TWICE, 0, 2, 0},
    {"sigma-for-prime", GP_DIAG_SIGMA_FOR_PRIME, 0, 2, 0},
    {"fprime-missing-no-delta", GP_DIAG_FPRIME_MISSING, 0, 2, 0},
    {"reg-missing", GP_DIAG_REG_MISSING, 1, 1, 0},
    {"reg-on-biases", GP_DIAG_REG_ON_BIASES, 1, 1, 0},
    {"reg-lambda-m", GP_DIAG_REG_LAMBDA_M, 1, 1, 0},
    {"reg-half", GP_DIAG_REG_HALF, 1, 1, 0},
    {"sample-dropped", GP_DIAG_SAMPLE_DROPPED, 0, 1, 0},
    {"sample-duplicated", GP_DIAG_SAMPLE_DUPLICATED, 1, 1, 0},
    {"transposed", GP_DIAG_TRANSPOSED, 0, 1, 0},
    {"reshaped", GP_DIAG_RESHAPED, 0, 1, 0},
    {"layers-swapped", GP_DIAG_LAYERS_SWAPPED, 0, 3, 1},
    {"cost-summed", GP_DIAG_SCALE, 0, 1, 0},
    {"cost-l2-half-dropped", GP_DIAG_REG_HALF, 1, 1, 0},
};

static gsl_matrix *transposed(const gsl_matrix *M) {
    gsl_matrix *t = gsl_matrix_alloc(M->size2, M->size1);
    gsl_matrix_transpose_memcpy(t, M);
    return t;
}

/* Plant bug b into cand (the oracle's dump o is built alongside). Returns 0 when the
 * case cannot show the bug (a square dW for "transposed"), else 1; *param and *index
 * receive what the diagnosis should report. */
static int plant(size_t b, const gp_network *net, const gsl_matrix *X,
                 const gsl_matrix *Y, const gp_regularization *reg, size_t s, tdump *cand,
                 double *param) {
    size_t L = net->p.L, m = X->size2;
    double nn = reg->n ? (double)reg->n : (double)m, q = (double)m;
    const char *nm = bugs[b].name;
    char t[16];
    int g = !strcmp(nm, "fprime-missing") || !strcmp(nm, "fprime-missing-no-delta")
                ? G_ONE
            : !strcmp(nm, "fprime-twice")    ? G_TWICE
            : !strcmp(nm, "sigma-for-prime") ? G_SIGMA
                                             : G_PRIME;
    double c2 = !strcmp(nm, "reg-missing")    ? 0
                : !strcmp(nm, "reg-half")     ? 0.5
                : !strcmp(nm, "reg-lambda-m") ? nn / m
                                              : 1;
    double c1 = !strcmp(nm, "reg-missing") ? 0 : !strcmp(nm, "reg-lambda-m") ? nn / m : 1;
    if (!strncmp(nm, "sum-not-mean", 12))
        q = 1;
    make_dump(net, X, Y, reg, g, q, !strcmp(nm, "sample-dropped") ? s : (size_t)-1,
              !strcmp(nm, "sample-duplicated") ? s : (size_t)-1, c2, c1, cand);
    *param = !strncmp(nm, "sum-not-mean", 12) || !strcmp(nm, "cost-summed") ? (double)m
             : !strcmp(nm, "sign-flipped")                                  ? -1
                                                                            : 0;
    snprintf(t, sizeof t, "dW%zu", L);
    gsl_matrix **dW = slot(cand, t);
    if (!strcmp(nm, "sign-flipped"))
        for (size_t i = 0; i < cand->n; i++)
            if (strncmp(cand->name[i], "z", 1) && strncmp(cand->name[i], "a", 1) &&
                strcmp(cand->name[i], "cost"))
                gsl_matrix_scale(cand->t[i], -1);
    if (!strcmp(nm, "fprime-missing-no-delta"))
        for (size_t i = 0; i < cand->n; i++)
            if (!strncmp(cand->name[i], "delta", 5)) {
                gsl_matrix_free(cand->t[i]);
                cand->t[i] = NULL;
            }
    if (!strcmp(nm, "reg-on-biases"))
        for (size_t l = 1; l <= L; l++) {
            snprintf(t, sizeof t, "db%zu", l);
            gsl_matrix **db = slot(cand, t);
            for (size_t j = 0; j < (*db)->size1; j++)
                *gsl_matrix_ptr(*db, j, 0) +=
                    reg->lambda / nn * gsl_vector_get(net->p.b[l - 1], j);
        }
    if (!strcmp(nm, "transposed") || !strcmp(nm, "reshaped")) {
        size_t r = (*dW)->size1, c = (*dW)->size2;
        if (r == c || (!strcmp(nm, "reshaped") && (r == 1 || c == 1)))
            return 0;
        gsl_matrix *T = transposed(*dW);
        gsl_matrix_free(*dW);
        *dW = T;
        if (!strcmp(nm, "reshaped")) {
            gsl_matrix_view v = gsl_matrix_view_array(T->data, r, c);
            *dW = gsl_matrix_alloc(r, c);
            gsl_matrix_memcpy(*dW, &v.matrix);
            gsl_matrix_free(T);
        }
    }
    if (!strcmp(nm, "layers-swapped")) {
        snprintf(t, sizeof t, "dW%zu", L - 1);
        gsl_matrix **other = slot(cand, t), *tmp = *dW;
        *dW = *other;
        *other = tmp;
    }
    if (!strcmp(nm, "cost-summed"))
        gsl_matrix_scale(*slot(cand, "cost"), (double)m);
    if (!strcmp(nm, "cost-l2-half-dropped")) {
        double s2 = 0;
        for (size_t l = 0; l < L; l++)
            for (size_t j = 0; j < net->p.w[l]->size1; j++)
                for (size_t k = 0; k < net->p.w[l]->size2; k++)
                    s2 += gsl_pow_2(gsl_matrix_get(net->p.w[l], j, k));
        *gsl_matrix_ptr(*slot(cand, "cost"), 0, 0) += reg->lambda / (2 * nn) * s2;
    }
    if (!strncmp(nm, "sample-", 7))
        *param = (double)s;
    return 1;
}

/* Index of the first tensor of cand that differs from o (shape or value). */
static int first_disagreement(const tdump *o, const tdump *cand) {
    for (size_t i = 0; i < o->n; i++) {
        const gsl_matrix *a = o->t[i], *c = cand->t[i];
        if (!c)
            continue;
        if (a->size1 != c->size1 || a->size2 != c->size2)
            return (int)i;
        double scale = 1e-300;
        for (size_t j = 0; j < a->size1 * a->size2; j++)
            scale = fmax(scale, fabs(a->data[(j / a->size2) * a->tda + j % a->size2]));
        for (size_t j = 0; j < a->size1; j++)
            for (size_t k = 0; k < a->size2; k++)
                if (fabs(gsl_matrix_get(a, j, k) - gsl_matrix_get(c, j, k)) >
                    1e-9 * scale)
                    return (int)i;
    }
    return -1;
}

static void draw_case(gsl_rng *r, size_t b, const gp_cost_type *cost, gp_network **net,
                      gsl_matrix **X, gsl_matrix **Y, gp_regularization *reg) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = bugs[b].min_layers;
    co.max_layers = GSL_MAX(co.min_layers, 3);
    co.min_width = 2;
    co.max_width = 8;
    co.min_batch = 3;
    co.max_batch = 12;
    co.scale_min = 0.3;
    co.scale_max = 2;
    co.square_hidden = bugs[b].square;
    ck_assert_int_eq(gp_case_random(r, cost, &co, net, X, Y, NULL), GSL_SUCCESS);
    memset(reg, 0, sizeof *reg);
    if (bugs[b].reg) {
        reg->lambda = tu_uniform(r, 0.5, 5);
        reg->l1 = gsl_rng_uniform(r) < 0.5 ? tu_uniform(r, 0.1, 1) : 0;
        /* n != m, so that lambda/m is visible; n != 2m, where on the cost lambda/m
         * and the 1/2 dropped from the L2 term coincide (with l1 = 0) */
        reg->n = (*X)->size2 + tu_int(r, 3, 50);
        reg->n += reg->n == 2 * (*X)->size2;
    }
}

/* Property: each planted bug is named on the first disagreeing tensor. */
START_TEST(test_planted_bug_is_named) {
    size_t n = tu_cases(20), ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0xd1a0u + (unsigned)_i, i);
        gp_network *net;
        gsl_matrix *X, *Y;
        gp_regularization reg;
        const gp_cost_type *cost = gp_cost_types[i % tu_n_costs()];
        draw_case(r, (size_t)_i, cost, &net, &X, &Y, &reg);
        size_t s = tu_int(r, 0, X->size2 - 1);
        gsl_rng_free(r);
        tdump o = {0}, cand = {0};
        double param = 0;
        make_dump(net, X, Y, &reg, G_PRIME, (double)X->size2, (size_t)-1, (size_t)-1, 1,
                  1, &o);
        if (plant((size_t)_i, net, X, Y, &reg, s, &cand, &param)) {
            ran++;
            int f = first_disagreement(&o, &cand);
            ck_assert_msg(f >= 0, "%s: nothing disagrees; " TU_RERUN_FMT, bugs[_i].name,
                          TU_RERUN_ARGS(i, "Properties"));
            gp_diag *d = gp_diag_alloc(net, X, Y, &reg);
            gp_diagnosis out;
            ck_assert_ptr_nonnull(d);
            ck_assert_int_eq(gp_diag_tensor(d, o.name[f], cand.t[f], 0, &out),
                             GSL_SUCCESS);
            ck_assert_msg(out.kind == bugs[_i].expect,
                          "%s (%s): diagnosed %s: %s; " TU_RERUN_FMT, bugs[_i].name,
                          cost->name, gp_diag_kind_name(out.kind), out.text,
                          TU_RERUN_ARGS(i, "Properties"));
            if (out.kind == GP_DIAG_SCALE || out.kind == GP_DIAG_SCALE_DATA)
                ck_assert_double_eq(out.param, param);
            if (!strncmp(bugs[_i].name, "sample-", 7))
                ck_assert_uint_eq(out.index, (size_t)param);
            if (out.kind == GP_DIAG_LAYERS_SWAPPED) {
                char want[16];
                snprintf(want, sizeof want, "dW%zu", net->p.L - 1);
                ck_assert_str_eq(out.other, want);
            }
            if (i == 0)
                printf("GP-STAT diagnose/%s: %s\n", bugs[_i].name, out.text);
            gp_diag_free(d);
        }
        tdump_free(&o);
        tdump_free(&cand);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    ck_assert_msg(ran >= n / 2 || !getenv("GP_CASE"), "%s: only %zu of %zu cases apply",
                  bugs[_i].name, ran, n);
}
END_TEST

/* A correct candidate, exact or rounded to float32, gets no diagnosis on any tensor. */
START_TEST(test_correct_candidate_gets_no_diagnosis) {
    size_t n = tu_cases(20);
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r = tu_rng_for_case(0xd1c0u, i);
        gp_network *net;
        gsl_matrix *X, *Y;
        gp_regularization reg;
        draw_case(r, (size_t)(i % 2 ? 1 : 0), gp_cost_types[i % tu_n_costs()], &net, &X,
                  &Y, &reg);
        gsl_rng_free(r);
        tdump o = {0};
        make_dump(net, X, Y, &reg, G_PRIME, (double)X->size2, (size_t)-1, (size_t)-1, 1,
                  1, &o);
        gp_diag *d = gp_diag_alloc(net, X, Y, &reg);
        ck_assert_ptr_nonnull(d);
        for (size_t k = 0; k < o.n; k++)
            for (int f32 = 0; f32 < 2; f32++) {
                gsl_matrix *c = mcopy(o.t[k], o.t[k]->size2);
                for (size_t j = 0; f32 && j < c->size1 * c->size2; j++)
                    c->data[j] = (float)c->data[j];
                gp_diagnosis out;
                ck_assert_int_eq(gp_diag_tensor(d, o.name[k], c, 0, &out), GSL_SUCCESS);
                ck_assert_msg(out.kind == GP_DIAG_NONE, "%s%s: %s; " TU_RERUN_FMT,
                              o.name[k], f32 ? " (float32)" : "", out.text,
                              TU_RERUN_ARGS(i, "Properties"));
                gsl_matrix_free(c);
            }
        gp_diag_free(d);
        tdump_free(&o);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
}
END_TEST

/* A [2,3] quadratic network of zero parameters on 4 zero samples, its diagnosis and a
 * zero candidate dW1 (c). */
typedef struct {
    gp_network *net;
    gsl_matrix *X, *Y, *c;
    gp_diag *d;
} zero_case;

static void zero_case_alloc(zero_case *z) {
    size_t sizes[] = {2, 3};
    z->net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    z->X = gsl_matrix_calloc(2, 4);
    z->Y = gsl_matrix_calloc(3, 4);
    z->c = gsl_matrix_calloc(3, 2);
    z->d = gp_diag_alloc(z->net, z->X, z->Y, NULL);
    ck_assert_ptr_nonnull(z->d);
}

static void zero_case_free(zero_case *z) {
    gp_diag_free(z->d);
    gp_network_free(z->net);
    gsl_matrix_free(z->X);
    gsl_matrix_free(z->Y);
    gsl_matrix_free(z->c);
}

START_TEST(test_diag_rejects_bad_input) {
    zero_case z;
    zero_case_alloc(&z);
    gsl_matrix *Xbad = gsl_matrix_calloc(3, 4);
    ck_assert_ptr_null(gp_diag_alloc(z.net, Xbad, z.Y, NULL));
    gp_diagnosis out;
    ck_assert_int_eq(gp_diag_tensor(z.d, "dW2", z.c, 0, &out), GSL_EINVAL);
    ck_assert_int_eq(gp_diag_tensor(z.d, "W1", z.c, 0, &out), GSL_EINVAL);
    ck_assert_int_eq(gp_diag_tensor(z.d, "dW1x", z.c, 0, &out), GSL_EINVAL);
    ck_assert_str_eq(gp_diag_kind_name(GP_DIAG_RESHAPED), "reshaped");
    gp_diag_free(NULL);
    gsl_matrix_free(Xbad);
    zero_case_free(&z);
}
END_TEST

/* hunt's cases (gradproof/hunt.h) depend on (seed, index) alone, so they can be dealt
 * to workers by index: drawn in reverse they are the same bits, another seed gives
 * another case 0; about half are regularised (none with regularise = 0); fixed sizes
 * are kept. */
static int same_case(const gp_network *a, const gp_network *b) {
    return a->p.n_params == b->p.n_params &&
           !memcmp(a->p.params->data, b->p.params->data, a->p.n_params * sizeof(double));
}

START_TEST(test_hunt_case_by_index) {
    gp_hunt_opts o;
    gp_network *net[40], *n2;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    size_t n_reg = 0;
    gp_hunt_opts_default(&o);
    for (size_t i = 0; i < 40; i++) {
        ck_assert_int_eq(gp_hunt_case(&o, i, &net[i], &X, &Y, &reg), 0);
        n_reg += reg.lambda > 0;
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    ck_assert_msg(n_reg >= 10 && n_reg <= 30, "%zu of 40 regularised", n_reg);
    ck_assert(!same_case(net[0], net[1]));
    for (size_t i = 40; i-- > 0;) {
        ck_assert_int_eq(gp_hunt_case(&o, i, &n2, &X, &Y, &reg), 0);
        ck_assert_msg(same_case(net[i], n2), "case %zu differs when drawn again", i);
        gp_network_free(n2);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    o.seed = 2;
    o.regularise = 0;
    ck_assert_int_eq(gp_hunt_case(&o, 0, &n2, &X, &Y, &reg), 0);
    ck_assert(!same_case(net[0], n2));
    ck_assert(reg.lambda == 0 && reg.l1 == 0);
    gp_network_free(n2);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    o.n_sizes = 3;
    o.sizes[0] = 7, o.sizes[1] = 5, o.sizes[2] = 3;
    o.batch = 4;
    ck_assert_int_eq(gp_hunt_case(&o, 3, &n2, &X, &Y, &reg), 0);
    ck_assert_uint_eq(n2->p.sizes[1], 5);
    ck_assert_uint_eq(X->size1, 7);
    ck_assert_uint_eq(X->size2, 4);
    ck_assert_uint_eq(Y->size1, 3);
    gp_network_free(n2);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    for (size_t i = 0; i < 40; i++)
        gp_network_free(net[i]);
}
END_TEST

/* ---- hunt with a candidate function (gp_hunt_run_candidate) ---- */

/* The planted bugs of the C candidates: none, dW summed over the batch instead of
 * averaged, weight decay on the biases, a crash. The correct and the summing candidate
 * round every value to float32 (a float32 implementation's answer: the certified rule
 * must take it); weight decay on the biases stays float64 (after shrinking the decay
 * term is a 1e-6 part of db, which float32 rounding would hide from the diagnosis). */
enum { CAND_OK, CAND_SUM, CAND_DECAY_BIAS, CAND_CRASH, CAND_NAN, CAND_IO, CAND_FLAKY };
static size_t flaky_runs; /* CAND_FLAKY: dW1 doubled on its first run only */

static gp_hunt_kind c_candidate(void *ctx, const gp_network *net, const gsl_matrix *X,
                                const gsl_matrix *Y, const gp_regularization *reg,
                                gp_dump *out, char *detail, size_t len) {
    int bug = *(const int *)ctx;
    size_t L = net->p.L, m = X->size2, n = reg->n ? reg->n : m;
    if (bug == CAND_CRASH || bug == CAND_IO) {
        snprintf(detail, len, bug == CAND_IO ? "cannot write 'x'" : "planted crash");
        return bug == CAND_IO ? GP_HUNT_IO_ERROR : GP_HUNT_CRASH;
    }
    if (gp_dump_compute(net, X, Y, reg, out))
        return GP_HUNT_GARBAGE;
    for (size_t l = 1; l <= L; l++) {
        char name[16];
        snprintf(name, sizeof name, "dW%zu", l);
        if (bug == CAND_SUM)
            gsl_matrix_scale(out->t[gp_dump_find(out, name)], (double)m);
        snprintf(name, sizeof name, "db%zu", l);
        gsl_matrix *db = out->t[gp_dump_find(out, name)];
        for (size_t j = 0; bug == CAND_DECAY_BIAS && j < db->size1; j++)
            gsl_matrix_set(db, j, 0,
                           gsl_matrix_get(db, j, 0) +
                               reg->lambda / n * gsl_vector_get(net->p.b[l - 1], j));
    }
    for (size_t i = 0; bug != CAND_DECAY_BIAS && i < out->n; i++)
        for (size_t k = 0; out->t[i] && k < out->t[i]->size1 * out->t[i]->size2; k++)
            out->t[i]->data[k] = (float)out->t[i]->data[k];
    if (bug == CAND_NAN)
        gsl_matrix_set(out->t[gp_dump_find(out, "dW1")], 0, 0, NAN);
    if (bug == CAND_FLAKY && flaky_runs++ == 0)
        gsl_matrix_scale(out->t[gp_dump_find(out, "dW1")], 2.0);
    return GP_HUNT_AGREE;
}

static const int hunt_bugs[] = {CAND_SUM, CAND_DECAY_BIAS};
static const gp_diag_kind hunt_diag[] = {GP_DIAG_SCALE, GP_DIAG_REG_ON_BIASES};

/* A correct float32 candidate passes 60 cases; each planted bug is found, shrunk to a
 * network of at most 4 parameters, named by the diagnosis, and its record replays (it
 * still fails, and the correct candidate passes it). */
START_TEST(test_hunt_candidate_finds_and_shrinks) {
    gp_hunt_opts o;
    gp_hunt_result r;
    int ok = CAND_OK, bug = hunt_bugs[_i];
    gp_hunt_opts_default(&o);
    o.dir = NULL;
    o.cases = 60;
    ck_assert_int_eq(gp_hunt_run_candidate(&o, c_candidate, &ok, &r), 0);
    ck_assert_msg(r.kind == GP_HUNT_AGREE, "correct candidate: %s", r.detail);
    ck_assert_uint_eq(r.n_cases, 60);
    ck_assert_uint_eq(r.runs, 60);
    tu_tmpdir_make("hunt");
    o.dir = tu_tmpdir();
    ck_assert_int_eq(gp_hunt_run_candidate(&o, c_candidate, &bug, &r), 0);
    ck_assert_msg(r.kind == GP_HUNT_DISAGREE, "bug %d: %s", bug, r.detail);
    ck_assert_msg(r.diagnosis.kind == hunt_diag[_i], "bug %d: %s", bug, r.diagnosis.text);
    ck_assert(r.shrink_steps > 0 && r.record[0]);
    printf("GP-STAT hunt-candidate/%s: case %zu, %zu shrink steps (%zu runs) to %s: %s\n",
           bug == CAND_SUM ? "sum" : "decay-bias", r.failing_case, r.shrink_steps,
           r.shrink_runs, r.minimal, r.diagnosis.text);
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    char err[256];
    ck_assert_int_eq(gp_dump_read_inputs(r.record, &net, &X, &Y, &reg, err, sizeof err),
                     0);
    ck_assert_msg(net->p.n_params <= 4, "minimal case: %s", r.minimal);
    ck_assert(bug != CAND_SUM || r.diagnosis.param == (double)X->size2);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    char rec[4096];
    snprintf(rec, sizeof rec, "%s", r.record);
    ck_assert_int_eq(gp_hunt_replay_candidate(rec, &o, c_candidate, &bug, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_DISAGREE);
    ck_assert_int_eq(gp_hunt_replay_candidate(rec, &o, c_candidate, &ok, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_AGREE);
    const char *files[] = {"network.json", "x.npy", "y.npy", "meta.json", "hunt.json"};
    for (size_t i = 0; i < 5; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", rec, files[i]);
        ck_assert_int_eq(remove(p), 0);
    }
    ck_assert_int_eq(remove(rec), 0);
    tu_tmpdir_remove();
}
END_TEST

/* gp_hunt_run_candidate of c_candidate with bug, the default options, no record. */
static int hunt_c(int bug, size_t shrink_evals, gp_hunt_result *r) {
    gp_hunt_opts o;
    gp_hunt_opts_default(&o);
    o.dir = NULL;
    o.shrink_evals = shrink_evals;
    return gp_hunt_run_candidate(&o, c_candidate, &bug, r);
}

/* A failure that does not repeat (a flaky candidate) is reported, not shrunk; run with
 * GSL's default handler: the shrinker's re-check raised GSL_EINVAL and aborted. */
START_TEST(test_hunt_flaky_candidate_is_not_shrunk) {
    gp_hunt_result r;
    flaky_runs = 0;
    ck_assert_int_eq(hunt_c(CAND_FLAKY, 500, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_DISAGREE);
    ck_assert_uint_eq(r.failing_case, 0);
    ck_assert_uint_eq(r.shrink_steps, 0);
    ck_assert_uint_eq(r.shrink_runs, 1);
    ck_assert_int_eq(r.shrink_stopped, 0);
    ck_assert_str_eq(r.minimal, r.found);
    ck_assert_msg(strstr(r.minimal_detail, "not shrunk: the failure did not repeat") ==
                      r.minimal_detail,
                  "%s", r.minimal_detail);
}
END_TEST

/* A shrink that the run budget ends says so (shrink_stopped was 0 whatever ended it);
 * one that ends by itself does not. */
START_TEST(test_hunt_shrink_budget) {
    gp_hunt_result r;
    ck_assert_int_eq(hunt_c(CAND_SUM, 2, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_DISAGREE);
    ck_assert_uint_eq(r.shrink_runs, 3); /* the re-run and 2 */
    ck_assert_int_eq(r.shrink_stopped, 1);
    ck_assert_int_eq(hunt_c(CAND_SUM, 500, &r), 0);
    ck_assert_msg(r.shrink_runs < 500 && !r.shrink_stopped, "%zu runs", r.shrink_runs);
}
END_TEST

/* A candidate's own failure is reported with its reason, and shrunk too. */
START_TEST(test_hunt_candidate_crash) {
    gp_hunt_opts o;
    gp_hunt_result r;
    int crash = CAND_CRASH;
    gp_hunt_opts_default(&o);
    o.dir = NULL;
    ck_assert_int_eq(gp_hunt_run_candidate(&o, c_candidate, &crash, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_CRASH);
    ck_assert_str_eq(r.detail, "planted crash");
    ck_assert_str_eq(r.record, "");
    ck_assert_uint_eq(r.failing_case, 0);
    ck_assert_int_eq(gp_hunt_run_candidate(&o, NULL, NULL, &r), GSL_EINVAL);
    ck_assert_int_eq(gp_hunt_run(&o, NULL, 0, &r), GSL_EINVAL);
}
END_TEST

/* The hunt's own I/O error is not the candidate's: the hunt stops at once, GSL_EFAILED,
 * kind io-error, nothing shrunk (it was reported as a crash and shrunk). */
START_TEST(test_hunt_io_error_is_not_the_candidates) {
    gp_hunt_opts o;
    gp_hunt_result r;
    int io = CAND_IO;
    char err[256], file[4200];
    gp_hunt_opts_default(&o);
    o.dir = NULL;
    ck_assert_int_eq(gp_hunt_run_candidate(&o, c_candidate, &io, &r), GSL_EFAILED);
    ck_assert_int_eq(r.kind, GP_HUNT_IO_ERROR);
    ck_assert_str_eq(gp_hunt_kind_name(r.kind), "io-error");
    ck_assert_str_eq(r.detail, "cannot write 'x'");
    ck_assert_uint_eq(r.runs, 1);
    ck_assert_uint_eq(r.shrink_runs, 0);
    /* the command candidate: DIR/case a regular file */
    tu_tmpdir_make("hunt-io");
    snprintf(file, sizeof file, "%s/case", tu_tmpdir());
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    char cmd[] = "true", *argv[] = {cmd};
    o.dir = tu_tmpdir();
    ck_assert_int_eq(gp_hunt_run(&o, argv, 1, &r), GSL_EFAILED);
    ck_assert_int_eq(r.kind, GP_HUNT_IO_ERROR);
    ck_assert_msg(strstr(r.detail, "/case': Not a directory") != NULL, "%s", r.detail);
    ck_assert_uint_eq(r.n_cases, 1);
    ck_assert_uint_eq(r.shrink_runs, 0);
    ck_assert_int_eq(gp_hunt_make_dir(file, err, sizeof err), GSL_EFAILED);
    ck_assert_msg(strstr(err, "/case': Not a directory") != NULL, "%s", err);
    ck_assert_int_eq(gp_hunt_make_dir(tu_tmpdir(), err, sizeof err), GSL_SUCCESS);
    tu_tmpdir_remove();
}
END_TEST

/* A candidate entry that is NaN or infinite: the diagnosis names it; it said "dW1: no
 * named hypothesis (relative residual nan)", directly and through hunt. */
START_TEST(test_diag_nonfinite_candidate) {
    zero_case z;
    zero_case_alloc(&z);
    gp_diagnosis out;
    const double bad[] = {NAN, INFINITY, -INFINITY};
    const char *const text[] = {"dW1[1][0] is nan: the candidate's values are not finite",
                                "dW1[1][0] is inf: the candidate's values are not finite",
                                "dW1[1][0] is -inf: the candidate's values are not "
                                "finite"};
    for (size_t k = 0; k < 3; k++) {
        gsl_matrix_set(z.c, 1, 0, bad[k]);
        ck_assert_int_eq(gp_diag_tensor(z.d, "dW1", z.c, 0, &out), GSL_SUCCESS);
        ck_assert_int_eq(out.kind, GP_DIAG_NONE);
        ck_assert_msg(strstr(out.text, text[k]) == out.text, "%s", out.text);
    }
    gp_hunt_opts o;
    gp_hunt_result r;
    int nan_bug = CAND_NAN;
    gp_hunt_opts_default(&o);
    o.dir = NULL;
    o.shrink_evals = 5;
    ck_assert_int_eq(gp_hunt_run_candidate(&o, c_candidate, &nan_bug, &r), 0);
    ck_assert_int_eq(r.kind, GP_HUNT_DISAGREE);
    ck_assert_msg(strstr(r.diagnosis.text, "dW1[0][0] is nan: the candidate's values "
                                           "are not finite") == r.diagnosis.text,
                  "%s", r.diagnosis.text);
    zero_case_free(&z);
}
END_TEST

static Suite *make_diagnose_suite(void) {
    Suite *s = suite_create("diagnose");
    TCase *props = tcase_create("Properties"), *errs = tcase_create("Errors");
    tcase_add_loop_test(props, test_planted_bug_is_named, 0,
                        (int)(sizeof bugs / sizeof bugs[0]));
    tcase_add_test(props, test_correct_candidate_gets_no_diagnosis);
    tcase_add_test(props, test_hunt_case_by_index);
    tcase_add_test(props, test_hunt_flaky_candidate_is_not_shrunk);
    tcase_add_test(props, test_hunt_shrink_budget);
    tcase_add_loop_test(props, test_hunt_candidate_finds_and_shrinks, 0,
                        (int)(sizeof hunt_bugs / sizeof hunt_bugs[0]));
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_hunt_candidate_crash);
    tcase_add_test(errs, test_hunt_io_error_is_not_the_candidates);
    tcase_add_test(errs, test_diag_rejects_bad_input);
    tcase_add_test(errs, test_diag_nonfinite_candidate);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_diagnose_suite());
}
