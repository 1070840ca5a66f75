/* tests/check_sparse.c: the sparse-input SGD step (sparse.h). One step must be the
 * gradient step of the batch cost, taken by gsl_deriv_central on the dense batch, and
 * equal gp_sgd_step to rounding, on random networks whose layer 1 spans one to five
 * 16-row panels and whose inputs range from all zero to dense; mutation controls show
 * that the numerical property rejects a kernel that drops, misplaces or reorders work. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "testutil.h"

#define TU_PROG "check_sparse"

/* Case counts (times GP_CASES_MULT). */
#define N_NUMERIC 96
#define N_DENSE 400
#define N_MUTANT 60

/* ---- random cases ---- */

/* A dense batch and the same batch in sparse form (the zeros of X left out). */
typedef struct {
    gp_network *net;
    gsl_matrix *X, *Y; /* n_0 x m, n_L x m */
    size_t m;
    size_t *start;
    uint32_t *index;
    double *value;
    gp_sparse_batch batch;
    gp_sgd_params p;
    char desc[200];
} sp_case;

/* The sparse form of X's columns, every non-zero entry, in increasing index order
 * (shuffled when `shuffle`: any order is allowed). */
static void make_sparse(sp_case *c, gsl_rng *r, int shuffle) {
    size_t n0 = c->X->size1, k = 0;
    c->start = malloc((c->m + 1) * sizeof *c->start);
    c->index = malloc((n0 * c->m + 1) * sizeof *c->index);
    c->value = malloc((n0 * c->m + 1) * sizeof *c->value);
    ck_assert(c->start && c->index && c->value);
    c->start[0] = 0;
    for (size_t i = 0; i < c->m; i++) {
        size_t first = k;
        for (size_t j = 0; j < n0; j++)
            if (gsl_matrix_get(c->X, j, i) != 0) {
                c->index[k] = (uint32_t)j;
                c->value[k++] = gsl_matrix_get(c->X, j, i);
            }
        for (size_t a = k - first; shuffle && a > 1; a--) {
            size_t b = gsl_rng_uniform_int(r, a);
            uint32_t ti = c->index[first + a - 1];
            double tv = c->value[first + a - 1];
            c->index[first + a - 1] = c->index[first + b];
            c->value[first + a - 1] = c->value[first + b];
            c->index[first + b] = ti;
            c->value[first + b] = tv;
        }
        c->start[i + 1] = k;
    }
    c->batch = (gp_sparse_batch){c->m, c->start, c->index, c->value};
}

/* A random case: L = 1..3 weight layers, n_0 = 1..40, n_1 = 1..max_n1 (one to several
 * panels, most widths not a multiple of 16), upper widths 1..8, m = 1..26 (several
 * blocks of the dense path's samples on every SIMD variant), parameters
 * scale N(0,1) with scale log-uniform in [0.05, 2], inputs N(0,1) kept with a density
 * drawn from {0, 0.1, 0.5, 1}; SGD with eta in [0.05, 1.05), L2 and L1 on half the cases.
 */
static void sp_case_make(sp_case *c, gsl_rng *r, const gp_cost_type *cost,
                         size_t max_n1) {
    static const double densities[] = {0.0, 0.1, 0.5, 1.0};
    size_t sizes[4], L = tu_int(r, 1, 3);
    sizes[0] = tu_int(r, 1, 40);
    sizes[1] = tu_int(r, 1, max_n1);
    for (size_t l = 2; l <= L; l++)
        sizes[l] = tu_int(r, 1, 8);
    if (cost == &gp_cost_log_likelihood && sizes[L] < 2)
        sizes[L] = 2;
    c->net = gp_network_alloc(L + 1, sizes, cost);
    ck_assert_ptr_nonnull(c->net);
    double scale = tu_log_uniform(r, 0.05, 2);
    for (size_t k = 0; k < c->net->p.n_params; k++)
        gsl_vector_set(c->net->p.params, k, scale * gsl_ran_gaussian(r, 1.0));
    c->m = tu_int(r, 1, 26);
    double density = densities[gsl_rng_uniform_int(r, 4)];
    c->X = gsl_matrix_alloc(sizes[0], c->m);
    c->Y = gsl_matrix_alloc(sizes[L], c->m);
    for (size_t j = 0; j < sizes[0]; j++)
        for (size_t i = 0; i < c->m; i++)
            gsl_matrix_set(c->X, j, i,
                           gsl_rng_uniform(r) < density ? gsl_ran_gaussian(r, 1.0) : 0.0);
    for (size_t i = 0; i < c->m; i++) {
        gsl_vector_view y = gsl_matrix_column(c->Y, i);
        tu_fill_target(r, cost, &y.vector);
    }
    make_sparse(c, r, gsl_rng_uniform(r) < 0.5);
    c->p = (gp_sgd_params){0.05 + gsl_rng_uniform(r), 0, 0, c->m + tu_int(r, 0, 100)};
    if (gsl_rng_uniform(r) < 0.5) {
        c->p.lambda = 3 * gsl_rng_uniform(r);
        c->p.l1 = gsl_rng_uniform(r);
    }
    int len = snprintf(c->desc, sizeof c->desc, "sizes=[");
    for (size_t l = 0; l <= L && len < (int)sizeof c->desc; l++)
        len += snprintf(c->desc + len, sizeof c->desc - (size_t)len, "%zu%s", sizes[l],
                        l < L ? "," : "");
    if (len < (int)sizeof c->desc)
        snprintf(c->desc + len, sizeof c->desc - (size_t)len,
                 "] m=%zu nnz=%zu scale=%.3g eta=%.3g lambda=%.3g l1=%.3g cost=%s", c->m,
                 c->start[c->m], scale, c->p.eta, c->p.lambda, c->p.l1, cost->name);
}

static void sp_case_free(sp_case *c) {
    gp_network_free(c->net);
    gsl_matrix_free(c->X);
    gsl_matrix_free(c->Y);
    free(c->start);
    free(c->index);
    free(c->value);
}

/* The sparse batch X as a dense one, samples as rows (m x n_0): the input of the dense
 * layer-1 path, gp_sparse_sgd_step_rows. Caller frees. */
static gsl_matrix *rows_of(const gp_sparse_batch *X, size_t n0) {
    gsl_matrix *R = gsl_matrix_calloc(X->m, n0);
    ck_assert_ptr_nonnull(R);
    for (size_t i = 0; i < X->m; i++)
        for (size_t k = X->start[i]; k < X->start[i + 1]; k++)
            gsl_matrix_set(R, i, X->index[k], X->value[k]);
    return R;
}

/* One step on batch X by the sparse path, or (rows) by the dense path on the same
 * batch as rows, into the state s. */
static int path_step(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Y,
                     const gp_sgd_params *p, size_t n0, int rows) {
    if (!rows)
        return gp_sparse_sgd_step(s, X, Y, p);
    gsl_matrix *R = rows_of(X, n0);
    int status = gp_sparse_sgd_step_rows(s, R, Y, p);
    gsl_matrix_free(R);
    return status;
}

/* net after one step on batch X (the network is copied): gp_sparse_sgd_step, or with
 * rows gp_sparse_sgd_step_rows on the same batch as rows. */
static gp_network *path_stepped(const sp_case *c, const gp_sparse_batch *X, int rows) {
    gp_network *net = gp_network_clone(c->net);
    gp_sparse_sgd *s = gp_sparse_sgd_alloc(net, c->m);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(path_step(s, X, c->Y, &c->p, c->net->p.sizes[0], rows), GSL_SUCCESS);
    gp_sparse_sgd_sync(s);
    gp_sparse_sgd_free(s);
    return net;
}

static gp_network *sparse_stepped(const sp_case *c, const gp_sparse_batch *X) {
    return path_stepped(c, X, 0);
}

/* The numerical reference: tu_sgd_step_violations on the dense batch. */
static size_t numeric_step_violations(const sp_case *c, const gp_network *stepped,
                                      char *msg, size_t len, double *sum_abs,
                                      tu_stat *st) {
    return tu_sgd_step_violations(c->net, c->X, c->Y, &c->p, stepped, msg, len, sum_abs,
                                  st);
}

/* ---- Properties ---- */

/* One sparse step is the numerical gradient step, for every cost, on networks whose
 * layer 1 spans one to three panels, with inputs from all zero to dense; and so is
 * one step of the dense path (gp_sparse_sgd_step_rows, _i >= 4). */
START_TEST(test_sparse_step_is_numeric_gradient_step) {
    const gp_cost_type *cost = gp_cost_types[_i % 4];
    int rows = _i >= 4;
    tu_stat st;
    tu_stat_init(&st,
                 rows ? "rows_step_is_numeric_gradient_step"
                      : "sparse_step_is_numeric_gradient_step",
                 cost->name);
    for (size_t i = 0; i < tu_cases(N_NUMERIC / 4); i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0x5A0 + (unsigned long)_i, i);
        sp_case c;
        sp_case_make(&c, r, cost, 40);
        gp_network *stepped = path_stepped(&c, &c.batch, rows);
        char msg[300] = "";
        double sum_abs;
        size_t bad = numeric_step_violations(&c, stepped, msg, sizeof msg, &sum_abs, &st);
        ck_assert_msg(bad == 0,
                      "case %zu (%s): %zu parameters off, first %s; " TU_RERUN_FMT, i,
                      c.desc, bad, msg, TU_RERUN_ARGS(i, "Properties"));
        /* an all-zero update cannot pass: the biases always move */
        ck_assert_msg(sum_abs > 0, "case %zu (%s): zero gradient", i, c.desc);
        st.cases++;
        gp_network_free(stepped);
        sp_case_free(&c);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* The sparse step equals gp_sgd_step on the dense batch to rounding, on wider layers
 * (up to five panels) and more cases than the numerical property can afford; so does
 * the dense path's step (_i >= 4), which also equals the sparse step to rounding. */
START_TEST(test_sparse_step_equals_dense_step) {
    const gp_cost_type *cost = gp_cost_types[_i % 4];
    int rows = _i >= 4;
    double worst = 0, worst_sparse = 0;
    for (size_t i = 0; i < tu_cases(N_DENSE / 4); i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0x5B0 + (unsigned long)_i, i);
        sp_case c;
        sp_case_make(&c, r, cost, 70);
        gp_network *sparse = path_stepped(&c, &c.batch, rows);
        gp_network *other = rows ? sparse_stepped(&c, &c.batch) : NULL;
        gp_network *dense = gp_network_clone(c.net);
        gp_backprop_workspace *w = gp_backprop_workspace_alloc(dense, c.m);
        ck_assert_int_eq(gp_sgd_step(dense, c.X, 0, c.Y, &c.p, w), GSL_SUCCESS);
        double scale = 0, diff = 0, diff_sparse = 0;
        for (size_t k = 0; k < c.net->p.n_params; k++) {
            double u = gsl_vector_get(dense->p.params, k),
                   v = gsl_vector_get(sparse->p.params, k),
                   t = gsl_vector_get(c.net->p.params, k);
            scale = fmax(scale, fmax(fabs(u), fabs(t)));
            diff = fmax(diff, fabs(u - v));
            if (other)
                diff_sparse =
                    fmax(diff_sparse, fabs(gsl_vector_get(other->p.params, k) - v));
        }
        worst = fmax(worst, diff / scale);
        worst_sparse = fmax(worst_sparse, diff_sparse / scale);
        ck_assert_msg(diff <= 1e-12 * scale && diff_sparse <= 1e-12 * scale,
                      "case %zu (%s): %s and dense steps differ by %g, %s and sparse by "
                      "%g (scale %g); " TU_RERUN_FMT,
                      i, c.desc, rows ? "rows" : "sparse", diff, rows ? "rows" : "sparse",
                      diff_sparse, scale, TU_RERUN_ARGS(i, "Properties"));
        gp_network_free(other);
        gp_backprop_workspace_free(w);
        gp_network_free(dense);
        gp_network_free(sparse);
        sp_case_free(&c);
        gsl_rng_free(r);
    }
    printf("GP-STAT sparse/%s_step_equals_dense_step[%s]: worst_rel=%.3g "
           "(against the sparse step %.3g)\n",
           rows ? "rows" : "sparse", cost->name, worst, worst_sparse);
}
END_TEST

/* Every step of a short run: the workspace holds the step's forward pass (z^1 equals
 * the dense forward pass), and several steps in a row keep agreeing with gp_sgd_step,
 * so the transposed W^1 carries over between steps. */
START_TEST(test_sparse_steps_in_a_row_follow_dense_steps) {
    gsl_rng *r = tu_rng_for_case(0x5C0, 0);
    sp_case c;
    sp_case_make(&c, r, &gp_cost_cross_entropy, 50);
    gp_network *sparse = gp_network_clone(c.net), *dense = gp_network_clone(c.net);
    gp_sparse_sgd *s = gp_sparse_sgd_alloc(sparse, c.m);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(dense, c.m);
    for (int k = 0; k < 20; k++) {
        ck_assert_int_eq(gp_sgd_step(dense, c.X, 0, c.Y, &c.p, w), GSL_SUCCESS);
        ck_assert_int_eq(gp_sparse_sgd_step(s, &c.batch, c.Y, &c.p), GSL_SUCCESS);
        const gp_backprop_workspace *sw = gp_sparse_sgd_workspace(s);
        ck_assert_uint_eq(sw->m, c.m);
        for (size_t j = 0; j < sparse->p.sizes[1]; j++)
            for (size_t i = 0; i < c.m; i++)
                ck_assert_double_eq_tol(
                    gsl_matrix_get(sw->z[0], j, i), gsl_matrix_get(w->z[0], j, i),
                    1e-12 * (1 + fabs(gsl_matrix_get(w->z[0], j, i))));
    }
    gp_sparse_sgd_sync(s);
    for (size_t k = 0; k < c.net->p.n_params; k++)
        ck_assert_double_eq_tol(gsl_vector_get(sparse->p.params, k),
                                gsl_vector_get(dense->p.params, k),
                                1e-11 * (1 + fabs(gsl_vector_get(dense->p.params, k))));
    gp_backprop_workspace_free(w);
    gp_sparse_sgd_free(s);
    gp_network_free(sparse);
    gp_network_free(dense);
    sp_case_free(&c);
    gsl_rng_free(r);
}
END_TEST

/* gp_sparse_feedforward (and gp_sparse_feedforward_rows, _i >= 4) equals
 * gp_feedforward to rounding: z^l and a^l of every layer, on the random cases of the
 * dense-step property. */
START_TEST(test_sparse_feedforward_equals_dense) {
    const gp_cost_type *cost = gp_cost_types[_i % 4];
    int rows = _i >= 4;
    for (size_t i = 0; i < tu_cases(N_DENSE / 4); i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0x5C8 + (unsigned long)_i, i);
        sp_case c;
        sp_case_make(&c, r, cost, 70);
        gp_sparse_sgd *s = gp_sparse_sgd_alloc(c.net, c.m);
        gp_backprop_workspace *w = gp_backprop_workspace_alloc(c.net, c.m);
        gsl_matrix *R = rows_of(&c.batch, c.net->p.sizes[0]);
        ck_assert_int_eq(rows ? gp_sparse_feedforward_rows(s, R)
                              : gp_sparse_feedforward(s, &c.batch),
                         GSL_SUCCESS);
        gsl_matrix_free(R);
        ck_assert_int_eq(gp_feedforward(c.net, c.X, w), GSL_SUCCESS);
        const gp_backprop_workspace *sw = gp_sparse_sgd_workspace(s);
        ck_assert_uint_eq(sw->m, c.m);
        for (size_t l = 1; l <= c.net->p.L; l++)
            for (size_t j = 0; j < c.net->p.sizes[l]; j++)
                for (size_t k = 0; k < c.m; k++) {
                    double zs = gsl_matrix_get(sw->z[l - 1], j, k),
                           zd = gsl_matrix_get(w->z[l - 1], j, k),
                           as = gsl_matrix_get(sw->a[l - 1], j, k),
                           ad = gsl_matrix_get(w->a[l - 1], j, k);
                    ck_assert_msg(fabs(zs - zd) <= 1e-12 * (1 + fabs(zd)) &&
                                      fabs(as - ad) <= 1e-12 * (1 + fabs(ad)),
                                  "case %zu (%s): layer %zu row %zu sample %zu: z %.17g "
                                  "vs %.17g, a %.17g vs %.17g",
                                  i, c.desc, l, j, k, zs, zd, as, ad);
                }
        gp_backprop_workspace_free(w);
        gp_sparse_sgd_free(s);
        sp_case_free(&c);
        gsl_rng_free(r);
    }
}
END_TEST

/* gp_sparse_from_bytes against its definition: every byte value at every position
 * modulo 16 (each lane of the vector path), lengths 0..100 (tails of every size), and
 * random images from empty to full. Values must be x/255 exactly. */
static void check_bytes(const uint8_t *x, size_t dim, const char *what) {
    uint32_t *index = malloc((dim + 1) * sizeof *index);
    double *value = malloc((dim + 1) * sizeof *value);
    size_t n = gp_sparse_from_bytes(x, dim, index, value), k = 0;
    for (size_t j = 0; j < dim; j++) {
        if (x[j] == 0)
            continue;
        ck_assert_msg(k < n, "%s dim %zu: byte %zu (%u) missing", what, dim, j, x[j]);
        ck_assert_msg(index[k] == j, "%s dim %zu: entry %zu has index %u, expected %zu",
                      what, dim, k, index[k], j);
        ck_assert_msg(value[k] == (double)x[j] / 255.0,
                      "%s dim %zu: byte %u gives %.17g, not %u/255", what, dim, x[j],
                      value[k], x[j]);
        k++;
    }
    ck_assert_msg(n == k, "%s dim %zu: %zu entries for %zu non-zero bytes", what, dim, n,
                  k);
    free(index);
    free(value);
}

START_TEST(test_sparse_from_bytes_matches_definition) {
    uint8_t x[300];
    /* every value, at every lane: value v at position v + s for shifts 0..15 */
    for (size_t shift = 0; shift < 16; shift++) {
        memset(x, 0, sizeof x);
        for (size_t v = 0; v < 256; v++)
            x[(v + shift) % 272] = (uint8_t)v;
        check_bytes(x, 272, "all values");
    }
    gsl_rng *r = tu_rng_for_case(0x5D0, 0);
    for (size_t dim = 0; dim <= 100; dim++)
        for (int rep = 0; rep < 8; rep++) {
            double density = rep / 7.0;
            for (size_t j = 0; j < dim; j++)
                x[j] = gsl_rng_uniform(r) < density
                           ? (uint8_t)(1 + gsl_rng_uniform_int(r, 255))
                           : 0;
            check_bytes(x, dim, "random");
        }
    gsl_rng_free(r);
}
END_TEST

/* ---- Mutation controls ---- */

/* Kernel bugs the numerical property must catch, each built from the correct step:
 *   DROP_LAST   the loop over a sample's non-zeros stops one short;
 *   SHIFT_INDEX each non-zero goes to the next input's weights (a row off by one);
 *   NO_BIAS1    the BP3 update of b^1 is left out;
 *   PER_SAMPLE  W^1 is updated inside the loop over samples, so later samples see
 *               moved weights (per-sample SGD, eta/m each, instead of one batch step). */
enum { M_DROP_LAST, M_SHIFT_INDEX, M_NO_BIAS1, M_PER_SAMPLE, N_MUTANTS };
static const char *const mutant_names[N_MUTANTS] = {"drop last non-zero", "index shifted",
                                                    "no b^1 update", "per-sample update"};

static gp_network *mutant_stepped(int kind, const sp_case *c, int rows) {
    size_t nnz = c->start[c->m];
    size_t *start = malloc((c->m + 1) * sizeof *start);
    uint32_t *index = malloc((nnz + 1) * sizeof *index);
    memcpy(start, c->start, (c->m + 1) * sizeof *start);
    memcpy(index, c->index, (nnz + 1) * sizeof *index);
    gp_sparse_batch X = {c->m, start, index, c->value};
    gp_network *net;
    if (kind == M_DROP_LAST) {
        /* keep the values of the other entries in place: drop by emptying the slot */
        size_t *st = start;
        uint32_t *ix = index;
        double *val = malloc((nnz + 1) * sizeof *val);
        size_t k = 0;
        st[0] = 0;
        for (size_t i = 0; i < c->m; i++) {
            size_t a = c->start[i], b = c->start[i + 1];
            for (size_t t = a; t + 1 < b; t++) {
                ix[k] = c->index[t];
                val[k++] = c->value[t];
            }
            st[i + 1] = k;
        }
        X.value = val;
        net = path_stepped(c, &X, rows);
        free(val);
    } else if (kind == M_SHIFT_INDEX) {
        for (size_t t = 0; t < nnz; t++)
            index[t] = (uint32_t)((c->index[t] + 1) % c->net->p.sizes[0]);
        net = path_stepped(c, &X, rows);
    } else if (kind == M_NO_BIAS1) {
        net = path_stepped(c, &X, rows);
        gsl_vector_memcpy(net->p.b[0], c->net->p.b[0]);
    } else {
        /* m one-sample steps with eta/m and lambda, l1 spread the same way */
        net = gp_network_clone(c->net);
        gp_sparse_sgd *s = gp_sparse_sgd_alloc(net, 1);
        gp_sgd_params p = c->p;
        p.eta /= (double)c->m;
        for (size_t i = 0; i < c->m; i++) {
            gp_sparse_batch one = {1, c->start + i, c->index, c->value};
            gsl_matrix_const_view y =
                gsl_matrix_const_submatrix(c->Y, 0, i, c->Y->size1, 1);
            ck_assert_int_eq(path_step(s, &one, &y.matrix, &p, c->net->p.sizes[0], rows),
                             GSL_SUCCESS);
        }
        gp_sparse_sgd_sync(s);
        gp_sparse_sgd_free(s);
    }
    free(start);
    free(index);
    return net;
}

/* Each mutant is rejected on >= 90 % of the cases where it changes the result, and at
 * least 20 cases; the correct step, on the same cases, passes every one. Cases are
 * drawn so that the mutant has something to get wrong (a non-zero input per sample,
 * n_0 >= 2 for the shift, m >= 2 and a larger eta for the per-sample order). The same
 * mutants of the dense path's input (_i >= N_MUTANTS: the mutated batch as rows). */
START_TEST(test_sparse_mutants_are_rejected) {
    int kind = _i % N_MUTANTS, rows = _i >= N_MUTANTS;
    size_t cases = 0, rejected = 0;
    for (size_t i = 0; i < tu_cases(N_MUTANT); i++) {
        gsl_rng *r = tu_rng_for_case(0x5E0 + (unsigned long)kind, i);
        sp_case c;
        sp_case_make(&c, r, gp_cost_types[i % 4], 40);
        int usable = c.start[c.m] > 0 && c.net->p.sizes[0] >= 2;
        for (size_t s = 0; s < c.m; s++)
            usable = usable && c.start[s + 1] > c.start[s];
        if (kind == M_PER_SAMPLE) {
            usable = usable && c.m >= 2;
            c.p.eta = 2 + 2 * gsl_rng_uniform(r);
        }
        if (usable) {
            char msg[300] = "";
            double sum_abs;
            gp_network *right = path_stepped(&c, &c.batch, rows);
            ck_assert_msg(
                numeric_step_violations(&c, right, msg, sizeof msg, &sum_abs, NULL) == 0,
                "control for mutant '%s', case %zu (%s): %s", mutant_names[kind], i,
                c.desc, msg);
            gp_network *wrong = mutant_stepped(kind, &c, rows);
            cases++;
            rejected +=
                numeric_step_violations(&c, wrong, msg, sizeof msg, &sum_abs, NULL) > 0;
            gp_network_free(right);
            gp_network_free(wrong);
        }
        sp_case_free(&c);
        gsl_rng_free(r);
    }
    printf("GP-STAT sparse/mutant[%s%s]: rejected %zu of %zu\n", mutant_names[kind],
           rows ? ", rows" : "", rejected, cases);
    ck_assert_msg(cases >= 20, "mutant '%s': only %zu usable cases", mutant_names[kind],
                  cases);
    ck_assert_msg(rejected * 10 >= cases * 9, "mutant '%s' rejected on only %zu of %zu",
                  mutant_names[kind], rejected, cases);
}
END_TEST

/* The sparse step reads the network's hidden activation (the forward pass through
 * gpi_activate_rows, BP2 through its f'): with the test tanh it is the numerical
 * gradient step of the tanh network; with the object whose f' is sigma it is rejected
 * on >= 90 % of the cases. Cases with a hidden layer, every cost. */
START_TEST(test_sparse_step_reads_the_networks_activation) {
    size_t cases = 0, rejected = 0;
    for (size_t i = 0; i < tu_cases(N_MUTANT); i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0x5E8 + (unsigned long)_i, i);
        sp_case c;
        sp_case_make(&c, r, gp_cost_types[_i], 40);
        if (c.net->p.L >= 2 && c.start[c.m] > 0) {
            char msg[300] = "";
            double sum_abs;
            tu_set_hidden_activation(c.net, &tu_activation_tanh);
            gp_network *right = sparse_stepped(&c, &c.batch);
            ck_assert_msg(
                numeric_step_violations(&c, right, msg, sizeof msg, &sum_abs, NULL) == 0,
                "tanh, case %zu (%s): %s; " TU_RERUN_FMT, i, c.desc, msg,
                TU_RERUN_ARGS(i, "Mutants"));
            tu_set_hidden_activation(c.net, &tu_activation_wrong_df);
            gp_network *wrong = sparse_stepped(&c, &c.batch);
            cases++;
            rejected +=
                numeric_step_violations(&c, wrong, msg, sizeof msg, &sum_abs, NULL) > 0;
            gp_network_free(right);
            gp_network_free(wrong);
        }
        sp_case_free(&c);
        gsl_rng_free(r);
    }
    printf("GP-STAT sparse/mutant[wrong activation df, %s]: rejected %zu of %zu\n",
           gp_cost_types[_i]->name, rejected, cases);
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(cases >= 10 && rejected * 10 >= cases * 9,
                      "wrong df rejected on only %zu of %zu", rejected, cases);
}
END_TEST

/* ---- Core ---- */

/* The transposed copy holds W^1 exactly: sync after alloc leaves the network as it
 * was; reload picks up a changed W^1 (a step after it acts on the new weights). */
START_TEST(test_sparse_sync_and_reload_round_trip) {
    gsl_rng *r = tu_rng_for_case(0x5F0, 0);
    sp_case c;
    sp_case_make(&c, r, &gp_cost_quadratic, 40);
    gp_network *net = gp_network_clone(c.net);
    gp_sparse_sgd *s = gp_sparse_sgd_alloc(net, c.m);
    gsl_matrix_set_all(net->p.w[0], 7.0);
    gp_sparse_sgd_sync(s); /* the copy taken at alloc wins */
    ck_assert_mem_eq(net->p.params->data, c.net->p.params->data,
                     c.net->p.n_params * sizeof(double));
    /* reload, then step: the same as a fresh object on the modified network */
    gsl_matrix_scale(net->p.w[0], -0.5);
    gp_network *fresh = gp_network_clone(net);
    gp_sparse_sgd_reload(s);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &c.batch, c.Y, &c.p), GSL_SUCCESS);
    gp_sparse_sgd_sync(s);
    gp_sparse_sgd *s2 = gp_sparse_sgd_alloc(fresh, c.m);
    ck_assert_int_eq(gp_sparse_sgd_step(s2, &c.batch, c.Y, &c.p), GSL_SUCCESS);
    gp_sparse_sgd_sync(s2);
    ck_assert_mem_eq(net->p.params->data, fresh->p.params->data,
                     net->p.n_params * sizeof(double));
    gp_sparse_sgd_free(s);
    gp_sparse_sgd_free(s2);
    gp_sparse_sgd_free(NULL);
    gp_network_free(net);
    gp_network_free(fresh);
    sp_case_free(&c);
    gsl_rng_free(r);
}
END_TEST

/* ---- Errors ---- */

/* Bad batches and parameters: the documented status, and nothing changes (the
 * network, and through sync the transposed W^1). */
START_TEST(test_sparse_rejects_bad_batches) {
    size_t sizes[] = {5, 20, 3};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gsl_rng *r = tu_rng_for_case(0x600, 0);
    gp_network_init(net, GP_INIT_DEFAULT, r);
    gp_network *orig = gp_network_clone(net);
    gp_sparse_sgd *s = gp_sparse_sgd_alloc(net, 2);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(gp_sparse_sgd_alloc(net, 0));
    /* above the workspace's limit: a bad argument, not "out of memory" */
    tu_errors_record();
    ck_assert_ptr_null(gp_sparse_sgd_alloc(net, GP_MAX_WIDTH + 1));
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    gsl_set_error_handler_off();
    size_t start[] = {0, 2, 3}, bad_start[] = {0, 3, 2};
    uint32_t index[] = {0, 4, 2}, bad_index[] = {0, 5, 2};
    double value[] = {0.5, 1.0, -2.0};
    gsl_matrix *Y = gsl_matrix_calloc(3, 2), *Y1 = gsl_matrix_calloc(3, 1),
               *Ywide = gsl_matrix_calloc(4, 2);
    gp_sgd_params p = {0.5, 0, 0, 100};
    gp_sparse_batch ok = {2, start, index, value};
    gp_sparse_batch idx_bad = {2, start, bad_index, value};
    gp_sparse_batch order_bad = {2, bad_start, index, value};
    gp_sparse_batch empty = {0, start, index, value};
    gp_sparse_batch too_many = {3, start, index, value};
    ck_assert_int_eq(gp_sparse_sgd_step(s, &idx_bad, Y, &p), GSL_EINVAL);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &order_bad, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &empty, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &too_many, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &ok, Y1, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step(s, &ok, Ywide, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_feedforward(s, &idx_bad), GSL_EINVAL);
    ck_assert_int_eq(gp_sparse_feedforward(s, &order_bad), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_feedforward(s, &empty), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_feedforward(s, &too_many), GSL_EBADLEN);
    gp_sgd_params bad_p[] = {{0, 0, 0, 100},    {-1, 0, 0, 100},   {NAN, 0, 0, 100},
                             {0.5, -1, 0, 100}, {0.5, 0, -1, 100}, {0.5, 0, 0, 0},
                             {0.5, 400, 0, 100}};
    for (size_t k = 0; k < sizeof bad_p / sizeof bad_p[0]; k++)
        ck_assert_int_eq(gp_sparse_sgd_step(s, &ok, Y, &bad_p[k]), GSL_EDOM);
    /* the dense path: rows of the wrong width, too many rows, targets of the wrong
     * shape, bad parameters */
    gsl_matrix *R = gsl_matrix_calloc(2, 5), *Rnarrow = gsl_matrix_calloc(2, 4),
               *Rwide = gsl_matrix_calloc(2, 6), *Rtall = gsl_matrix_calloc(3, 5);
    ck_assert_int_eq(gp_sparse_sgd_step_rows(s, Rnarrow, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step_rows(s, Rwide, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step_rows(s, Rtall, Y, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step_rows(s, R, Y1, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_sgd_step_rows(s, R, Ywide, &p), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_feedforward_rows(s, Rnarrow), GSL_EBADLEN);
    ck_assert_int_eq(gp_sparse_feedforward_rows(s, Rtall), GSL_EBADLEN);
    for (size_t k = 0; k < sizeof bad_p / sizeof bad_p[0]; k++)
        ck_assert_int_eq(gp_sparse_sgd_step_rows(s, R, Y, &bad_p[k]), GSL_EDOM);
    gsl_matrix_free(R);
    gsl_matrix_free(Rnarrow);
    gsl_matrix_free(Rwide);
    gsl_matrix_free(Rtall);
    gp_sparse_sgd_sync(s);
    ck_assert_mem_eq(net->p.params->data, orig->p.params->data,
                     net->p.n_params * sizeof(double));
    /* and the good batch does step */
    ck_assert_int_eq(gp_sparse_sgd_step(s, &ok, Y, &p), GSL_SUCCESS);
    gp_sparse_sgd_sync(s);
    ck_assert(memcmp(net->p.params->data, orig->p.params->data,
                     net->p.n_params * sizeof(double)) != 0);
    gp_sparse_sgd_free(s);
    gsl_matrix_free(Y);
    gsl_matrix_free(Y1);
    gsl_matrix_free(Ywide);
    gp_network_free(net);
    gp_network_free(orig);
    gsl_rng_free(r);
}
END_TEST

static Suite *make_sparse_suite(void) {
    Suite *s = suite_create("sparse");
    TCase *core = tcase_create("Core"), *prop = tcase_create("Properties"),
          *muts = tcase_create("Mutants"), *err = tcase_create("Errors");
    tcase_set_timeout(prop, 300);
    tcase_set_timeout(muts, 300);
    tcase_add_test(core, test_sparse_sync_and_reload_round_trip);
    tcase_add_test(core, test_sparse_from_bytes_matches_definition);
    tcase_add_loop_test(prop, test_sparse_step_is_numeric_gradient_step, 0, 8);
    tcase_add_loop_test(prop, test_sparse_step_equals_dense_step, 0, 8);
    tcase_add_test(prop, test_sparse_steps_in_a_row_follow_dense_steps);
    tcase_add_loop_test(prop, test_sparse_feedforward_equals_dense, 0, 8);
    tcase_add_loop_test(muts, test_sparse_mutants_are_rejected, 0, 2 * N_MUTANTS);
    tcase_add_loop_test(muts, test_sparse_step_reads_the_networks_activation, 0, 4);
    tcase_add_checked_fixture(err, tu_handler_off, tu_handler_restore);
    tcase_add_test(err, test_sparse_rejects_bad_batches);
    suite_add_tcase(s, core);
    suite_add_tcase(s, prop);
    suite_add_tcase(s, muts);
    suite_add_tcase(s, err);
    return s;
}

int main(void) {
    return tu_run_suite(make_sparse_suite());
}
