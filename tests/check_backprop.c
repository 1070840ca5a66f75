/* tests/check_backprop.c: backpropagation BP1-BP4 against numerical derivatives, on
 * random networks (SPEC "Backpropagation"). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <jansson.h>

#include "testrecord.h"
#include "testutil.h"

#define TU_PROG "check_backprop"

/* Case counts per cost (times GP_CASES_MULT). */
#define N_GRAD 400
#define N_DELTA 400
#define N_REG 300
#define N_EXACT 300

static const gp_regularization no_reg = {0.0, 0.0, 0};

/* One random case of property `salt` for cost _i; NULL-safe to free. */
static tu_case *new_case(unsigned long salt, size_t i, const gp_cost_type *cost,
                         const tu_shape *shape, gsl_rng **rp) {
    tu_shape def;
    tu_case *c;
    if (shape == NULL) {
        tu_shape_default(&def);
        shape = &def;
    }
    *rp = tu_rng_for_case(salt, i);
    c = tu_case_alloc(*rp, cost, shape);
    ck_assert_msg(c != NULL, "case %zu: allocation failed", i);
    return c;
}

#define FAIL_FMT "%s (%s), case %zu seed %lu, %s: %s; " TU_RERUN_FMT
#define FAIL_ARGS(what, c, i, salt, msg)                                                 \
    (what), (c)->net->cost->name, (size_t)(i), tu_case_seed((salt), (i)), (c)->desc,     \
        (msg), TU_RERUN_ARGS((i), "Properties")

/* ---------------------------------------------------------------- Core */

/* [1,1,1] network by the chain rule written out with scalars. */
START_TEST(test_backprop_known_chain_rule) {
    const size_t sizes[] = {1, 1, 1};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 1);
    gp_gradient *g = gp_gradient_alloc(net);
    gsl_vector *x = gsl_vector_alloc(1), *y = gsl_vector_alloc(1);
    double w1 = 0.3817, b1 = -0.2113, w2 = 1.4142, b2 = 0.1234, xv = 0.731, yv = 0.25;
    double z1, a1, z2, a2, d2, d1;
    gsl_matrix_set(net->p.w[0], 0, 0, w1);
    gsl_vector_set(net->p.b[0], 0, b1);
    gsl_matrix_set(net->p.w[1], 0, 0, w2);
    gsl_vector_set(net->p.b[1], 0, b2);
    gsl_vector_set(x, 0, xv);
    gsl_vector_set(y, 0, yv);
    z1 = w1 * xv + b1;
    a1 = 1 / (1 + exp(-z1));
    z2 = w2 * a1 + b2;
    a2 = 1 / (1 + exp(-z2));
    d2 = (a2 - yv) * a2 * (1 - a2);
    d1 = w2 * d2 * a1 * (1 - a1);
    ck_assert_int_eq(gp_backprop(net, x, y, w, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[1], 0, 0), d2 * a1, 1e-15);
    ck_assert_double_eq_tol(gsl_vector_get(g->b[1], 0), d2, 1e-15);
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[0], 0, 0), d1 * xv, 1e-15);
    ck_assert_double_eq_tol(gsl_vector_get(g->b[0], 0), d1, 1e-15);
    ck_assert_double_eq_tol(gsl_matrix_get(w->delta[1], 0, 0), d2, 1e-15);
    ck_assert_double_eq_tol(gsl_matrix_get(w->delta[0], 0, 0), d1, 1e-15);
    ck_assert_double_eq_tol(gsl_matrix_get(w->z[0], 0, 0), z1, 1e-15);
    ck_assert_double_eq_tol(gsl_matrix_get(w->a[1], 0, 0), a2, 1e-15);
    ck_assert_uint_eq(w->m, 1);
    gsl_vector_free(y);
    gsl_vector_free(x);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
}
END_TEST

/* L2 (lambda/2n) sum w^2 and L1 (lambda_1/n) sum |w|, weights only, at known values. */
START_TEST(test_regularization_known_values) {
    const size_t sizes[] = {2, 2};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_gradient *g = gp_gradient_alloc(net);
    gp_regularization reg = {0.5, 0.25, 0};
    double wv[] = {1.0, -2.0, 0.0, 3.0};
    size_t k;
    for (k = 0; k < 4; k++)
        gsl_matrix_set(net->p.w[0], k / 2, k % 2, wv[k]);
    gsl_vector_set_all(net->p.b[0], 100.0); /* biases are not regularised */
    /* n = 4 from the call: 0.5/8 * 14 + 0.25/4 * 6 */
    ck_assert_double_eq_tol(gp_regularization_cost(net, &reg, 4), 0.875 + 0.375, 1e-15);
    reg.n = 2; /* reg->n overrides the call's n */
    ck_assert_double_eq_tol(gp_regularization_cost(net, &reg, 4), 1.75 + 0.75, 1e-15);
    ck_assert_int_eq(gp_regularization_gradient(net, &reg, 4, g), GSL_SUCCESS);
    /* (lambda/n) w + (lambda_1/n) sgn(w), sgn(0) = 0 */
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[0], 0, 0), 0.25 + 0.125, 1e-16);
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[0], 0, 1), -0.5 - 0.125, 1e-16);
    ck_assert_double_eq(gsl_matrix_get(g->w[0], 1, 0), 0.0);
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[0], 1, 1), 0.75 + 0.125, 1e-16);
    ck_assert(gsl_vector_isnull(g->b[0]));
    /* it adds: twice gives twice */
    ck_assert_int_eq(gp_regularization_gradient(net, &reg, 4, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_matrix_get(g->w[0], 1, 1), 2 * (0.75 + 0.125), 1e-15);
    ck_assert_double_eq(gp_regularization_cost(net, NULL, 4), 0.0);
    gp_gradient_free(g);
    gp_network_free(net);
}
END_TEST

/* gp_backprop takes any sample vector, including a column of a data matrix (stride m):
 * the header promises "x has n_0 entries", not unit stride. */
START_TEST(test_backprop_accepts_strided_sample) {
    const size_t sizes[] = {3, 4, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 5);
    gp_gradient *g1 = gp_gradient_alloc(net), *g2 = gp_gradient_alloc(net);
    gsl_rng *r = tu_rng_for_case(0x57D, 0);
    gsl_matrix *X = gsl_matrix_alloc(3, 5), *Y = gsl_matrix_alloc(2, 5);
    gsl_vector *x = gsl_vector_alloc(3), *y = gsl_vector_alloc(2);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    size_t j, k;
    gp_network_init(net, GP_INIT_LARGE, r);
    for (j = 0; j < 3; j++)
        for (k = 0; k < 5; k++)
            gsl_matrix_set(X, j, k, gsl_ran_gaussian(r, 1.0));
    for (j = 0; j < 2; j++)
        for (k = 0; k < 5; k++)
            gsl_matrix_set(Y, j, k, gsl_rng_uniform(r));
    {
        gsl_vector_const_view xc = gsl_matrix_const_column(X, 2);
        gsl_vector_const_view yc = gsl_matrix_const_column(Y, 2);
        gsl_matrix_get_col(x, X, 2);
        gsl_matrix_get_col(y, Y, 2);
        ck_assert_int_eq(gp_backprop(net, x, y, w, g1), GSL_SUCCESS);
        ck_assert_int_eq(gp_backprop(net, &xc.vector, &yc.vector, w, g2), GSL_SUCCESS);
        ck_assert(gsl_vector_equal(g1->params, g2->params));
    }
    gsl_set_error_handler(old);
    gsl_vector_free(y);
    gsl_vector_free(x);
    gsl_matrix_free(Y);
    gsl_matrix_free(X);
    gsl_rng_free(r);
    gp_gradient_free(g2);
    gp_gradient_free(g1);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
}
END_TEST

/* ---------------------------------------------------------------- Properties */

/* A wrong output error, for the record test: quadratic delta without sigma'. */
static int wrong_quad_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                            gsl_vector *delta) {
    (void)z;
    gsl_vector_memcpy(delta, a);
    return gsl_vector_sub(delta, y);
}

/* A failed property: shrink and record the case, and say where in the message. */
static void note_record(char *msg, size_t len, gp_formula f, const gp_regularization *reg,
                        const tu_case *c, unsigned long salt, size_t i) {
    size_t k = strlen(msg);
    snprintf(msg + k, len - k, "; %s", tu_record(TU_PROG, f, reg, c, salt, i));
}

/* A failed property leaves a failure record: the case is shrunk (here from a random
 * network to a smaller one that still fails) and written as the versioned JSON that
 * `gradproof replay` reads, with the failing entries. */
START_TEST(test_failed_property_writes_shrunk_record) {
    gp_cost_type wrong = gp_cost_quadratic;
    gp_fcheck_opts opts;
    gp_fcheck_report *rep;
    tu_shape sh;
    json_error_t jerr;
    char path[600];
    wrong.delta = wrong_quad_delta;
    tu_shape_default(&sh);
    sh.min_layers = 2;
    sh.min_width = 3;
    sh.min_batch = 3;
    sh.scale_min = 0.1;
    sh.scale_max = 1.0;
    gsl_rng *r = tu_rng_for_case(0x5EC0, 0);
    tu_case *c = tu_case_alloc(r, &wrong, &sh);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad), GSL_SUCCESS);
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, NULL, c->grad, &opts, rep),
                     GSL_SUCCESS);
    ck_assert_uint_gt(rep->n_failed, 0);
    gp_fcheck_report_free(rep);
    tu_tmpdir_make("check_backprop-record");
    setenv("GP_RECORD_DIR", tu_tmpdir(), 1);
    const char *note = tu_record(TU_PROG, GP_FORMULA_PARAMS, NULL, c, 0x5EC0, 0);
    unsetenv("GP_RECORD_DIR");
    ck_assert_msg(strncmp(note, "record: shrunk", 14) == 0, "%s", note);
    snprintf(path, sizeof path, "%s/%s-5ec0-0.json", tu_tmpdir(), TU_PROG);
    json_t *rec = json_load_file(path, 0, &jerr);
    ck_assert_msg(rec != NULL, "%s: %s", path, jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "format")),
                     "gradproof-record");
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "version")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "kind")), "check");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "formula")), "params");
    ck_assert_uint_gt(json_array_size(json_object_get(rec, "failures")), 0);
    /* shrunk: no more layers and no wider than the case that failed */
    const json_t *sizes = json_object_get(json_object_get(rec, "network"), "sizes");
    ck_assert_uint_le(json_array_size(sizes), c->net->p.L + 1);
    for (size_t l = 0; l < json_array_size(sizes); l++)
        ck_assert_int_ge(json_integer_value(json_array_get(sizes, l)), 1);
    ck_assert_uint_le((size_t)json_integer_value(json_array_get(sizes, 0)),
                      c->net->p.sizes[0]);
    json_decref(rec);
    tu_tmpdir_remove();
    tu_case_free(c);
    gsl_rng_free(r);
}
END_TEST

/* BP3, BP4: every dC/dW^l_jk and dC/db^l_j of the batch cost equals gsl_deriv_central. */
START_TEST(test_backprop_gradients_match_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i];
    const unsigned long salt = 0xB340 + (unsigned long)_i;
    size_t n = tu_cases(N_GRAD), i, with_signal = 0;
    gp_fcheck_opts opts;
    tu_stat st;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    tu_stat_init(&st, "backprop_dC/dW,dC/db", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        gp_fcheck_report *rep;
        char msg[2048];
        if (!tu_case_selected(i))
            continue;
        c = new_case(salt, i, cost, NULL, &r);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
        ck_assert_int_eq(
            gp_gradcheck_params(c->net, c->X, c->Y, &no_reg, c->grad, &opts, rep),
            GSL_SUCCESS);
        tu_describe_worst(rep, msg, sizeof msg);
        if (rep->n_failed)
            note_record(msg, sizeof msg, GP_FORMULA_PARAMS, NULL, c, salt, i);
        ck_assert_msg(rep->n_failed == 0, FAIL_FMT,
                      FAIL_ARGS("dC/dW,dC/db", c, i, salt, msg));
        ck_assert_uint_eq(rep->n_checked, c->net->p.n_params);
        with_signal += rep->sum_abs_numeric > 1e-6;
        tu_stat_report(&st, rep);
        st.cases++;
        gp_fcheck_report_free(rep);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    /* saturated cases may see no signal at all; most must */
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(with_signal * 4 >= n * 3,
                      "only %zu of %zu cases had sum|numeric| > 1e-6", with_signal, n);
    tu_stat_print(&st);
}
END_TEST

/* BP1, BP2: every delta^l_j of every sample in the workspace equals dC_x/dz^l_j. */
START_TEST(test_backprop_deltas_match_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i];
    const unsigned long salt = 0xDE1 + (unsigned long)_i;
    size_t n = tu_cases(N_DELTA), i;
    gp_fcheck_opts opts;
    tu_stat st;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    tu_stat_init(&st, "backprop_delta^l", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        gp_fcheck_report *rep;
        char msg[2048];
        size_t expect = 0, l;
        if (!tu_case_selected(i))
            continue;
        c = new_case(salt, i, cost, NULL, &r);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        rep = gp_formula_report_alloc(GP_FORMULA_DELTA, c->net, c->m);
        ck_assert_int_eq(gp_gradcheck_deltas(c->net, c->X, c->Y, c->w->delta, &opts, rep),
                         GSL_SUCCESS);
        tu_describe_worst(rep, msg, sizeof msg);
        if (rep->n_failed)
            note_record(msg, sizeof msg, GP_FORMULA_DELTA, NULL, c, salt, i);
        ck_assert_msg(rep->n_failed == 0, FAIL_FMT,
                      FAIL_ARGS("delta^l", c, i, salt, msg));
        for (l = 1; l <= c->net->p.L; l++)
            expect += c->net->p.sizes[l] * c->m;
        ck_assert_uint_eq(rep->n_checked, expect);
        tu_stat_report(&st, rep);
        st.cases++;
        gp_fcheck_report_free(rep);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* The total gradient with L2, L1 and both (gp_total_gradient) equals the numerical
 * gradient of gp_total_cost, with n from the batch or a training-set size. */
START_TEST(test_total_gradient_regularized_matches_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i];
    const unsigned long salt = 0x4E6 + (unsigned long)_i;
    size_t n = tu_cases(N_REG), i;
    gp_fcheck_opts opts;
    tu_stat st;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    tu_stat_init(&st, "total_gradient+L2/L1", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        gp_fcheck_report *rep;
        gp_regularization reg;
        char msg[2048], what[128];
        int kind = (int)(i % 3); /* 0: L2, 1: L1, 2: both */
        if (!tu_case_selected(i))
            continue;
        c = new_case(salt, i, cost, NULL, &r);
        reg.lambda = kind != 1 ? tu_log_uniform(r, 1e-2, 10.0) : 0.0;
        reg.l1 = kind != 0 ? tu_log_uniform(r, 1e-2, 10.0) : 0.0;
        reg.n = gsl_rng_uniform(r) < 0.5 ? 0 : tu_int(r, 1, 100);
        ck_assert_int_eq(gp_total_gradient(c->net, c->X, c->Y, &reg, c->w, c->grad),
                         GSL_SUCCESS);
        rep = gp_formula_report_alloc(GP_FORMULA_REG, c->net, c->m);
        ck_assert_int_eq(
            gp_gradcheck_params(c->net, c->X, c->Y, &reg, c->grad, &opts, rep),
            GSL_SUCCESS);
        tu_describe_worst(rep, msg, sizeof msg);
        if (rep->n_failed)
            note_record(msg, sizeof msg, GP_FORMULA_REG, &reg, c, salt, i);
        snprintf(what, sizeof what, "total gradient, lambda=%g l1=%g n=%zu", reg.lambda,
                 reg.l1, reg.n);
        ck_assert_msg(rep->n_failed == 0, FAIL_FMT, FAIL_ARGS(what, c, i, salt, msg));
        ck_assert_msg(rep->sum_abs_numeric > 0, "no signal: " TU_RERUN_FMT,
                      TU_RERUN_ARGS(i, "Properties"));
        tu_stat_report(&st, rep);
        st.cases++;
        gp_fcheck_report_free(rep);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* Entry-wise comparison "to rounding": |u - v| <= 1e-10 scale_e + 1e-14 max scale, where
 * scale_e is the mean |per-sample gradient| of that entry. Returns the worst ratio of
 * |u - v| to the allowance (<= 1 passes); *where gets the index. */
static double rounding_ratio_tol(const gsl_vector *u, const gsl_vector *v,
                                 const gsl_vector *scale, double rtol, size_t *where) {
    double smax = gsl_vector_max(scale), worst = 0.0;
    size_t k;
    *where = 0;
    for (k = 0; k < u->size; k++) {
        double d = fabs(gsl_vector_get(u, k) - gsl_vector_get(v, k));
        double allow = rtol * gsl_vector_get(scale, k) + 1e-14 * smax + 1e-300;
        if (!(d / allow <= worst)) {
            worst = d / allow;
            *where = k;
        }
    }
    return worst;
}

/* Per-sample gradients by gp_backprop; fills mean and mean |.|. */
static void per_sample_mean(tu_case *c, gsl_vector *mean, gsl_vector *absmean) {
    gsl_vector *x = gsl_vector_alloc(c->X->size1), *y = gsl_vector_alloc(c->Y->size1);
    gp_gradient *g = gp_gradient_alloc(c->net);
    size_t i, k;
    gsl_vector_set_zero(mean);
    gsl_vector_set_zero(absmean);
    for (i = 0; i < c->m; i++) {
        gsl_matrix_get_col(x, c->X, i);
        gsl_matrix_get_col(y, c->Y, i);
        ck_assert_int_eq(gp_backprop(c->net, x, y, c->w, g), GSL_SUCCESS);
        for (k = 0; k < mean->size; k++) {
            double gk = gsl_vector_get(g->params, k);
            *gsl_vector_ptr(mean, k) += gk / (double)c->m;
            *gsl_vector_ptr(absmean, k) += fabs(gk) / (double)c->m;
        }
    }
    gp_gradient_free(g);
    gsl_vector_free(y);
    gsl_vector_free(x);
}

/* got equals ref within rtol of the mean |per-sample gradient| (rounding_ratio_tol);
 * st's worst_rel is the worst |difference| / that mean. */
static void expect_close(tu_stat *st, const char *what, const gsl_vector *got,
                         const gsl_vector *ref, const gsl_vector *absmean, double rtol,
                         const tu_case *c, size_t i) {
    size_t k;
    double ratio = rounding_ratio_tol(got, ref, absmean, rtol, &k);
    ck_assert_msg(ratio <= 1.0,
                  "%s: %s: %.17g vs %.17g at param %zu (ratio %.3g), %s; " TU_RERUN_FMT,
                  c->net->cost->name, what, gsl_vector_get(got, k),
                  gsl_vector_get(ref, k), k, ratio, c->desc,
                  TU_RERUN_ARGS(i, "Properties"));
    st->worst_rel = fmax(st->worst_rel, ratio * rtol);
    st->checked += got->size;
    st->cases++;
}

/* gp_total_gradient and gp_total_cost through a workspace of chunk < m columns equal
 * the whole batch's gradient and the mean of fn_z over the columns. */
static void expect_chunked(tu_stat *st, const tu_case *c, size_t chunk,
                           const gsl_vector *absmean, gp_gradient *g2, size_t i) {
    gp_backprop_workspace *w2 = gp_backprop_workspace_alloc(c->net, chunk);
    double cost_total, cost_ref = 0.0;
    size_t k;
    ck_assert_int_eq(gp_total_gradient(c->net, c->X, c->Y, &no_reg, w2, g2), GSL_SUCCESS);
    expect_close(st, "chunks vs batch", g2->params, c->grad->params, absmean, 1e-10, c,
                 i);
    ck_assert_int_eq(gp_total_cost(c->net, c->X, c->Y, &no_reg, w2, &cost_total),
                     GSL_SUCCESS);
    ck_assert_int_eq(gp_feedforward(c->net, c->X, c->w), GSL_SUCCESS);
    for (k = 0; k < c->m; k++) {
        gsl_vector_const_view z = gsl_matrix_const_column(c->w->z[c->net->p.L - 1], k);
        gsl_vector_const_view y = gsl_matrix_const_column(c->Y, k);
        cost_ref += c->net->cost->fn_z(&z.vector, &y.vector) / (double)c->m;
    }
    ck_assert_msg(fabs(cost_total - cost_ref) <= 1e-13 * (1 + fabs(cost_ref)),
                  "total cost %.17g vs mean fn_z %.17g (chunks of %zu); " TU_RERUN_FMT,
                  cost_total, cost_ref, chunk, TU_RERUN_ARGS(i, "Properties"));
    gp_backprop_workspace_free(w2);
}

/* The mini-batch gradient is the mean of the per-sample gradients, to rounding; the
 * _rows layout, the chunked gp_total_gradient and the test's own backprop agree too. */
START_TEST(test_minibatch_equals_mean_of_samples) {
    const gp_cost_type *cost = gp_cost_types[_i];
    const unsigned long salt = 0x3EA + (unsigned long)_i;
    size_t n = tu_cases(N_EXACT), i;
    tu_stat st, st_rows, st_chunk, st_manual;
    tu_stat_init(&st, "minibatch=mean(samples)", cost->name);
    tu_stat_init(&st_rows, "backprop_batch_rows=batch", cost->name);
    tu_stat_init(&st_chunk, "total_gradient_chunked=batch", cost->name);
    tu_stat_init(&st_manual, "test_backprop=library", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        if (!tu_case_selected(i))
            continue;
        tu_case *c = new_case(salt, i, cost, NULL, &r);
        gsl_vector *mean = gsl_vector_alloc(c->net->p.n_params),
                   *absmean = gsl_vector_alloc(c->net->p.n_params);
        gp_gradient *g2 = gp_gradient_alloc(c->net);
        per_sample_mean(c, mean, absmean);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        expect_close(&st, "batch vs mean of samples", c->grad->params, mean, absmean,
                     1e-10, c, i);

        /* samples as rows: X^T (m x n_0), Y still n_L x m (backprop.h) */
        gsl_matrix *XT = gsl_matrix_alloc(c->m, c->X->size1);
        gsl_matrix_transpose_memcpy(XT, c->X);
        ck_assert_int_eq(gp_backprop_batch_rows(c->net, XT, c->Y, c->w, g2), GSL_SUCCESS);
        expect_close(&st_rows, "rows vs columns", g2->params, c->grad->params, absmean,
                     1e-10, c, i);
        expect_chunked(&st_chunk, c, tu_int(r, 1, c->m), absmean, g2, i);

        /* the test's own backpropagation (the mutants' control) equals the library's,
         * to rounding: both form the hidden sigma' from z without cancellation (the
         * library as e^{-|z|}/(1+e^{-|z|})^2, the test as sigma(z)sigma(-z)). */
        ck_assert_int_eq(tu_manual_backprop(c->net, c->X, c->Y, 0, g2), GSL_SUCCESS);
        expect_close(&st_manual, "test backprop vs library", g2->params, c->grad->params,
                     absmean, 1e-12, c, i);

        gsl_matrix_free(XT);
        gp_gradient_free(g2);
        gsl_vector_free(absmean);
        gsl_vector_free(mean);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    /* worst_rel here is the worst |difference| / (mean |per-sample gradient|) */
    tu_stat_print(&st);
    tu_stat_print(&st_rows);
    tu_stat_print(&st_chunk);
    tu_stat_print(&st_manual);
}
END_TEST

/* The step's products over the shapes where their register blocks change (internal
 * matmul.c: 4 rows and 16 columns a block, columns masked to the matrix): widths 1 to
 * 37 and batches 1 to 40 (the random cases above stay at 10 and 16), against the test's
 * own backpropagation on the BLAS (to 1e-12), and the L2 step, the only product that
 * adds to its output (W <- decay W + alpha delta a^T), against decay W - eta g. */
START_TEST(test_products_at_block_edges) {
    static const size_t widths[] = {1, 3, 4, 5, 8, 9, 16, 17, 37};
    static const size_t batches[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 40};
    const size_t nw = sizeof widths / sizeof *widths,
                 nb = sizeof batches / sizeof *batches;
    const gp_cost_type *cost = gp_cost_types[_i];
    tu_stat st;
    tu_stat_init(&st, "batch products=test backprop", cost->name);
    for (size_t i = 0; i < nw * nb; i++) {
        tu_shape shape;
        gsl_rng *r;
        size_t k;
        tu_shape_default(&shape);
        shape.min_layers = shape.max_layers = 3; /* two hidden layers: every product */
        shape.min_width = widths[i % nw] < 3 ? 1 : widths[i % nw] - 2;
        shape.max_width = widths[i % nw];
        shape.min_batch = shape.max_batch = batches[i / nw];
        tu_case *c = new_case(0xB10C + (unsigned long)_i, i, cost, &shape, &r);
        gp_gradient *g = gp_gradient_alloc(c->net);
        gsl_vector *mean = gsl_vector_alloc(c->net->p.n_params),
                   *absmean = gsl_vector_alloc(c->net->p.n_params);
        per_sample_mean(c, mean, absmean);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        ck_assert_int_eq(tu_manual_backprop(c->net, c->X, c->Y, 0, g), GSL_SUCCESS);
        double ratio = rounding_ratio_tol(c->grad->params, g->params, absmean, 1e-12, &k);
        ck_assert_msg(ratio <= 1.0,
                      "%s: library %.17g vs test backprop %.17g at param %zu; %s",
                      cost->name, gsl_vector_get(c->grad->params, k),
                      gsl_vector_get(g->params, k), k, c->desc);
        /* one L2 step: each weight decay w - eta g, to the rounding of both terms */
        gp_network *stepped = gp_network_clone(c->net);
        gp_sgd_params p = {0.5, 5.0, 0.0, 100};
        double decay = 1.0 - p.eta * p.lambda / (double)p.n;
        ck_assert_int_eq(gp_sgd_step(stepped, c->X, 0, c->Y, &p, c->w), GSL_SUCCESS);
        for (size_t l = 0; l < c->net->p.L; l++) {
            const gsl_matrix *W0 = c->net->p.w[l], *W1 = stepped->p.w[l];
            for (size_t e = 0; e < W0->size1 * W0->size2; e++) {
                size_t at = (size_t)(W0->data - c->net->p.params->data) + e;
                double w0 = W0->data[e], got = W1->data[e];
                double want = decay * w0 - p.eta * gsl_vector_get(g->params, at);
                double allow = 1e-12 * fabs(decay * w0) +
                               1e-10 * p.eta * gsl_vector_get(absmean, at) + 1e-300;
                ck_assert_msg(fabs(got - want) <= allow,
                              "L2 step: W^%zu entry %zu %.17g, want %.17g; %s", l + 1, e,
                              got, want, c->desc);
            }
        }
        st.checked += mean->size;
        st.cases++;
        st.worst_rel = fmax(st.worst_rel, ratio * 1e-12);
        gp_network_free(stepped);
        gsl_vector_free(absmean);
        gsl_vector_free(mean);
        gp_gradient_free(g);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* The workspace holds z^l = W^l a^{l-1} + b^l and a^l = sigma(z^l) (output activation at
 * l = L), computed here one sample at a time. */
START_TEST(test_feedforward_matches_definition) {
    const gp_cost_type *cost = gp_cost_types[_i];
    size_t n = tu_cases(100), i, l, s, j;
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        if (!tu_case_selected(i))
            continue;
        c = new_case(0xFEED + (unsigned long)_i, i, cost, NULL, &r);
        ck_assert_int_eq(gp_feedforward(c->net, c->X, c->w), GSL_SUCCESS);
        ck_assert_uint_eq(c->w->m, c->m);
        for (s = 0; s < c->m; s++) {
            gsl_vector *aprev = gsl_vector_alloc(c->X->size1);
            gsl_matrix_get_col(aprev, c->X, s);
            for (l = 1; l <= c->net->p.L; l++) {
                gsl_vector *z = gsl_vector_alloc(c->net->p.sizes[l]);
                gsl_vector *a = gsl_vector_alloc(c->net->p.sizes[l]);
                gsl_vector_memcpy(z, c->net->p.b[l - 1]);
                gsl_blas_dgemv(CblasNoTrans, 1.0, c->net->p.w[l - 1], aprev, 1.0, z);
                gp_activate(l == c->net->p.L ? cost->output : GP_OUTPUT_SIGMOID, z, a);
                for (j = 0; j < z->size; j++) {
                    double zw = gsl_matrix_get(c->w->z[l - 1], j, s);
                    double aw = gsl_matrix_get(c->w->a[l - 1], j, s);
                    ck_assert_msg(
                        fabs(zw - gsl_vector_get(z, j)) <=
                                1e-13 * (1 + fabs(gsl_vector_get(z, j))) &&
                            fabs(aw - gsl_vector_get(a, j)) <=
                                1e-13 * (1 + fabs(gsl_vector_get(a, j))),
                        "layer %zu neuron %zu sample %zu: z %.17g vs %.17g, a %.17g "
                        "vs %.17g; %s; " TU_RERUN_FMT,
                        l, j, s, zw, gsl_vector_get(z, j), aw, gsl_vector_get(a, j),
                        c->desc, TU_RERUN_ARGS(i, "Properties"));
                }
                gsl_vector_free(aprev);
                gsl_vector_free(z);
                aprev = a;
            }
            gsl_vector_free(aprev);
        }
        tu_case_free(c);
        gsl_rng_free(r);
    }
}
END_TEST

/* The hidden activation is the network's object, read by the forward pass and by BP2:
 * with a test activation (tanh, its batch form a loop over f and df) the forward pass
 * gives a^l = tanh(z^l), and gp_sgd_step is the numerical gradient step of that
 * network's cost; with an object whose df is wrong (sigma instead of sigma') the same
 * property rejects the step on >= 90 % of the cases (a mutation control: BP2 uses the
 * network's f'). Random networks with at least one hidden layer, every cost. */
START_TEST(test_step_reads_the_networks_activation) {
    const gp_cost_type *cost = gp_cost_types[_i];
    const unsigned long salt = 0xAC70 + (unsigned long)_i;
    size_t n = tu_cases(40), cases = 0, rejected = 0;
    tu_shape shape;
    tu_shape_default(&shape);
    shape.min_layers = 2;
    shape.max_layers = 3;
    shape.scale_min = 0.1;
    shape.scale_max = 2;
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r;
        char msg[300] = "";
        double sum_abs;
        if (!tu_case_selected(i))
            continue;
        tu_case *c = new_case(salt, i, cost, &shape, &r);
        gp_sgd_params p = {0.1 + gsl_rng_uniform(r), 0, 0, c->m + tu_int(r, 0, 50)};
        if (i % 2) {
            p.lambda = 2 * gsl_rng_uniform(r);
            p.l1 = 0.5 * gsl_rng_uniform(r);
        }
        tu_set_hidden_activation(c->net, &tu_activation_tanh);
        ck_assert_int_eq(gp_feedforward(c->net, c->X, c->w), GSL_SUCCESS);
        for (size_t j = 0; j < c->net->p.sizes[1]; j++)
            for (size_t k = 0; k < c->m; k++)
                ck_assert_double_eq(gsl_matrix_get(c->w->a[0], j, k),
                                    tanh(gsl_matrix_get(c->w->z[0], j, k)));
        gp_network *stepped = gp_network_clone(c->net);
        ck_assert_str_eq(gp_network_activation(stepped, 1)->name, "test-tanh");
        ck_assert_int_eq(gp_sgd_step(stepped, c->X, 0, c->Y, &p, c->w), GSL_SUCCESS);
        size_t bad = tu_sgd_step_violations(c->net, c->X, c->Y, &p, stepped, msg,
                                            sizeof msg, &sum_abs, NULL);
        ck_assert_msg(bad == 0, "tanh, case %zu (%s): %s; " TU_RERUN_FMT, i, c->desc, msg,
                      TU_RERUN_ARGS(i, "Properties"));
        ck_assert(sum_abs > 0);
        /* the mutant */
        tu_set_hidden_activation(c->net, &tu_activation_wrong_df);
        gsl_vector_memcpy(stepped->p.params, c->net->p.params);
        tu_set_hidden_activation(stepped, &tu_activation_wrong_df);
        ck_assert_int_eq(gp_sgd_step(stepped, c->X, 0, c->Y, &p, c->w), GSL_SUCCESS);
        cases++;
        rejected += tu_sgd_step_violations(c->net, c->X, c->Y, &p, stepped, msg,
                                           sizeof msg, &sum_abs, NULL) > 0;
        gp_network_free(stepped);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    printf("GP-STAT backprop/mutant[wrong activation df, %s]: rejected %zu of %zu\n",
           cost->name, rejected, cases);
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(rejected * 10 >= cases * 9 && cases >= 20,
                      "wrong df rejected on only %zu of %zu cases", rejected, cases);
}
END_TEST

/* ---------------------------------------------------------------- Activations */

#define N_ACT 60 /* cases per activation x cost (times GP_CASES_MULT) */

static size_t n_activations(void) {
    size_t n = 0;
    while (gp_activations[n])
        n++;
    return n;
}

/* Hidden units whose z is exactly a kink, over every sample (gp_feedforward, the pass
 * backprop uses): the generator's GP_CASE_KINK_ON should leave exactly one. */
static size_t units_on_kink(tu_case *c) {
    size_t n = 0;
    double at;
    ck_assert_int_eq(gp_feedforward(c->net, c->X, c->w), GSL_SUCCESS);
    for (size_t l = 1; l < c->net->p.L; l++)
        if (gp_activation_kink(gp_network_activation(c->net, l), &at))
            for (size_t j = 0; j < c->net->p.sizes[l]; j++)
                for (size_t i = 0; i < c->m; i++)
                    n += gsl_matrix_get(c->w->z[l - 1], j, i) == at;
    return n;
}

/* Cases of activation _i / n_costs and cost _i % n_costs: 2-4 weight layers, every
 * hidden layer the activation (leaky ReLU with a random alpha); BP1-BP4 (delta, params
 * and params+reg) checked by gp_check_formula against gsl_deriv_central. ReLU and leaky
 * ReLU: case i = 1 mod 4 has a unit exactly on its kink, i = 3 mod 4 one near it
 * (gp_case_kink), as `gradproof check` draws them; none may fail. */
START_TEST(test_every_activation_every_cost) {
    size_t nc = tu_n_costs();
    const gp_activation *kind = gp_activations[(size_t)_i / nc];
    const gp_cost_type *cost = gp_cost_types[(size_t)_i % nc];
    const unsigned long salt = 0xAC7000 + (unsigned long)_i;
    size_t n = tu_cases(N_ACT), kink_on = 0, on_units = 0, at_kink = 0;
    tu_stat st[GP_N_FORMULAS];
    char row[64];
    snprintf(row, sizeof row, "%s,%s", kind->name, cost->name);
    for (int f = 0; f < GP_N_FORMULAS; f++)
        tu_stat_init(&st[f], gp_formula_name((gp_formula)f), row);
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r;
        tu_shape shape;
        gp_activation act = *kind;
        if (!tu_case_selected(i))
            continue;
        tu_shape_default(&shape);
        shape.min_layers = 2;
        shape.scale_max = 3;
        shape.activation = &act;
        shape.kink = i % 2 == 0   ? GP_CASE_KINK_NONE
                     : i % 4 == 1 ? GP_CASE_KINK_ON
                                  : GP_CASE_KINK_NEAR;
        r = tu_rng_for_case(salt, i);
        if (strcmp(act.name, "leaky-relu") == 0)
            ck_assert_int_eq(gp_activation_set_alpha(&act, tu_log_uniform(r, 1e-3, 0.5)),
                             GSL_SUCCESS);
        tu_case *c = tu_case_alloc(r, cost, &shape);
        ck_assert_ptr_nonnull(c);
        ck_assert_double_eq(gp_network_activation(c->net, 1)->alpha, act.alpha);
        if (gp_activation_kink(&act, NULL) && shape.kink == GP_CASE_KINK_ON) {
            size_t on = units_on_kink(c);
            kink_on += on >= 1;
            on_units += on;
        }
        gp_regularization reg = {2 * gsl_rng_uniform(r), gsl_rng_uniform(r),
                                 c->m + tu_int(r, 0, 50)};
        for (int f = 0; f < GP_N_FORMULAS; f++) {
            gp_fcheck_opts opts;
            char msg[2048];
            gp_fcheck_opts_default(&opts, GP_FLOAT64);
            gp_fcheck_report *rep = gp_formula_report_alloc((gp_formula)f, c->net, c->m);
            ck_assert_ptr_nonnull(rep);
            ck_assert_int_eq(
                gp_check_formula((gp_formula)f, c->net, c->X, c->Y, &reg, &opts, rep),
                GSL_SUCCESS);
            tu_describe_worst(rep, msg, sizeof msg);
            ck_assert_msg(rep->n_failed == 0, "%s %s alpha=%g, " FAIL_FMT, kind->name,
                          gp_formula_name((gp_formula)f), act.alpha,
                          FAIL_ARGS("formula", c, i, salt, msg));
            tu_stat_report(&st[f], rep);
            st[f].cases++;
            at_kink += rep->n_at_kink;
            gp_fcheck_report_free(rep);
        }
        tu_case_free(c);
        gsl_rng_free(r);
    }
    for (int f = 0; f < GP_N_FORMULAS; f++)
        tu_stat_print(&st[f]);
    if (gp_activation_kink(kind, NULL)) {
        printf(
            "GP-STAT backprop/kink_cases[%s]: %zu cases asked on a kink, %zu of them "
            "with z = 0 exactly (%zu units), %zu entries checked at a kink, 0 failed\n",
            row, (n + 2) / 4, kink_on, on_units, at_kink);
        if (getenv("GP_CASE") == NULL) /* all of them, up to a rare rounding miss */
            ck_assert_uint_ge(kink_on * 10, ((n + 2) / 4) * 9);
    }
}
END_TEST

/* Mutants of f' (the controls), each paired with the activation it corrupts. */
static double mut_tanh_df(const gp_activation *a, double z) { /* 1 - f, not 1 - f^2 */
    return 1.0 - gp_activation_tanh.f(a, z);
}
static double mut_f_as_df(const gp_activation *a, double z) { /* f' = f */
    return a->f(a, z);
}
static double mut_leaky_df(const gp_activation *a, double z) { /* slope alpha dropped */
    (void)a;
    return z > 0 ? 1.0 : 0.0;
}
static void mut_loop_f_n(const gp_activation *a, const double *z, double *out, double *fp,
                         size_t n) {
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        if (fp)
            fp[i] = a->df(a, zi);
        out[i] = a->f(a, zi);
    }
}

typedef struct {
    const char *what;
    const gp_activation *base;
    double (*df)(const gp_activation *, double);
} mutant;

static const mutant mutants[] = {
    {"tanh' = 1 - f", &gp_activation_tanh, mut_tanh_df},
    {"relu' = f", &gp_activation_relu, mut_f_as_df},
    {"softplus' = f", &gp_activation_softplus, mut_f_as_df},
    {"leaky-relu slope dropped", &gp_activation_leaky_relu, mut_leaky_df},
};

/* Does the mutant's gradient differ from the correct one beyond rounding
 * (1e-6 of the largest entry, plus 1e-9)? */
static int gradient_changed(const gp_gradient *good, const gp_gradient *bad) {
    double big = 0, diff = 0;
    for (size_t k = 0; k < good->n_params; k++) {
        double g = gsl_vector_get(good->params, k), b = gsl_vector_get(bad->params, k);
        big = fmax(big, fabs(g));
        diff = fmax(diff, isnan(b) ? INFINITY : fabs(g - b));
    }
    return diff > 1e-6 * big + 1e-9;
}

/* Each mutant of f' (mutants[_i / n_costs]) on random cases of cost _i % n_costs: the
 * gradient check (params) rejects it on every case where its gradient differs from the
 * correct one; the rate is printed. */
START_TEST(test_activation_mutants_rejected) {
    size_t nc = tu_n_costs();
    const mutant *mu = &mutants[(size_t)_i / nc];
    const gp_cost_type *cost = gp_cost_types[(size_t)_i % nc];
    const unsigned long salt = 0x3A7000 + (unsigned long)_i;
    size_t n = tu_cases(N_ACT), changed = 0, rejected = 0, cases = 0;
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r;
        tu_shape shape;
        gp_activation bad = *mu->base;
        gp_fcheck_opts opts;
        if (!tu_case_selected(i))
            continue;
        tu_shape_default(&shape);
        shape.min_layers = 2;
        shape.scale_max = 3;
        shape.activation = mu->base;
        r = tu_rng_for_case(salt, i);
        tu_case *c = tu_case_alloc(r, cost, &shape);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        gp_gradient *good = gp_gradient_alloc(c->net);
        gsl_vector_memcpy(good->params, c->grad->params);
        bad.df = mu->df;
        bad.f_n = mut_loop_f_n;
        tu_set_hidden_activation(c->net, &bad);
        ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad),
                         GSL_SUCCESS);
        int ch = gradient_changed(good, c->grad);
        gp_fcheck_opts_default(&opts, GP_FLOAT64);
        gp_fcheck_report *rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
        ck_assert_int_eq(
            gp_gradcheck_params(c->net, c->X, c->Y, NULL, c->grad, &opts, rep),
            GSL_SUCCESS);
        cases++;
        changed += ch;
        rejected += ch && rep->n_failed > 0;
        ck_assert_msg(!ch || rep->n_failed > 0,
                      "mutant %s survived, %s case %zu (%s); " TU_RERUN_FMT, mu->what,
                      cost->name, i, c->desc, TU_RERUN_ARGS(i, "Activations"));
        gp_fcheck_report_free(rep);
        gp_gradient_free(good);
        tu_case_free(c);
        gsl_rng_free(r);
    }
    printf("GP-STAT backprop/mutant[%s, %s]: rejected %zu of %zu cases where the "
           "gradient changed (%zu cases)\n",
           mu->what, cost->name, rejected, changed, cases);
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(changed * 2 >= cases, "the mutant changed only %zu of %zu cases",
                      changed, cases);
}
END_TEST

/* f'(0) = 1 (ReLU's and leaky ReLU's, alpha kept below 0): the convention PyTorch does
 * not use, a mutant that differs only on kinks. */
static double mut_df_at0(const gp_activation *a, double z) {
    return z >= 0 ? 1.0 : a->alpha;
}

/* Cases on ReLU / leaky-ReLU kinks, built on purpose by gp_case_random (gp_case_kink):
 * one unit of one sample, in one hidden layer, has z exactly 0 (even cases: exactly one
 * such unit, checked) or within 1e-9 .. 1e-5 of it (odd cases: none exactly on it).
 * No formula fails; exact cases are reported "at a kink"; and with f'(0) = 1 claimed
 * (relu' mutant) the params check fails on every exact case where that changes the
 * gradient. */
/* Every formula passes on a kink case (case i: odd near a kink, even on one); returns
 * the entries reported at a kink. */
static size_t kink_formulas_pass(tu_case *c, size_t i, unsigned long salt) {
    size_t kinks = 0;
    for (int f = 0; f < GP_N_FORMULAS; f++) {
        gp_fcheck_opts opts;
        char msg[2048];
        gp_regularization reg = {0.5, 0.1, c->m};
        gp_fcheck_opts_default(&opts, GP_FLOAT64);
        gp_fcheck_report *rep = gp_formula_report_alloc((gp_formula)f, c->net, c->m);
        ck_assert_int_eq(
            gp_check_formula((gp_formula)f, c->net, c->X, c->Y, &reg, &opts, rep),
            GSL_SUCCESS);
        tu_describe_worst(rep, msg, sizeof msg);
        ck_assert_msg(rep->n_failed == 0, "kink case (%s) %s: " FAIL_FMT,
                      i % 2 ? "near" : "exact", gp_formula_name((gp_formula)f),
                      FAIL_ARGS("formula", c, i, salt, msg));
        kinks += rep->n_at_kink;
        gp_fcheck_report_free(rep);
    }
    return kinks;
}

/* The wrong convention f'(0) = 1 on an exact kink case: 0 if it leaves the gradient
 * unchanged, 1 if it changes it and the parameter check rejects it (a change it
 * accepts fails the test). */
static int wrong_kink_rejected(tu_case *c, const gp_activation *act, size_t i) {
    gp_gradient *good = gp_gradient_alloc(c->net);
    ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, good), GSL_SUCCESS);
    gp_activation bad = *act;
    bad.df = mut_df_at0;
    bad.f_n = mut_loop_f_n;
    tu_set_hidden_activation(c->net, &bad);
    ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad), GSL_SUCCESS);
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, NULL, c->grad, &opts, rep),
                     GSL_SUCCESS);
    int ch = gradient_changed(good, c->grad);
    ck_assert_msg(!ch || rep->n_failed > 0,
                  "f'(0) = 1 accepted, %s case %zu (%s); " TU_RERUN_FMT,
                  c->net->cost->name, i, c->desc, TU_RERUN_ARGS(i, "Activations"));
    gp_fcheck_report_free(rep);
    gp_gradient_free(good);
    return ch;
}

START_TEST(test_kinks_on_purpose) {
    const gp_cost_type *cost = gp_cost_types[(size_t)_i % tu_n_costs()];
    int leaky = (size_t)_i >= tu_n_costs();
    const unsigned long salt = 0x61AC + (unsigned long)_i;
    size_t n = tu_cases(40), exact = 0, at_kink = 0, changed = 0, rejected = 0, cases = 0;
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r;
        tu_shape shape;
        if (!tu_case_selected(i))
            continue;
        tu_shape_default(&shape);
        shape.min_layers = 2;
        shape.scale_min = 0.05;
        shape.scale_max = 2;
        shape.activation = leaky ? &gp_activation_leaky_relu : &gp_activation_relu;
        /* one unit of one sample in a random hidden layer, by the shared generator (two
         * units at kinks can cross in opposite directions: gp_gradcheck_params' weaker
         * midpoint case) */
        shape.kink = i % 2 ? GP_CASE_KINK_NEAR : GP_CASE_KINK_ON;
        r = tu_rng_for_case(salt, i);
        tu_case *c = tu_case_alloc(r, cost, &shape);
        ck_assert_ptr_nonnull(c);
        int all_exact = units_on_kink(c) >= 1;
        if (i % 2)
            ck_assert_uint_eq(units_on_kink(c), 0);
        size_t kinks_here = kink_formulas_pass(c, i, salt);
        cases++;
        if (i % 2 == 0 && all_exact) {
            exact++;
            at_kink += kinks_here > 0;
            int ch = wrong_kink_rejected(c, shape.activation, i);
            changed += ch;
            rejected += ch; /* (a change it accepted failed the test) */
        }
        tu_case_free(c);
        gsl_rng_free(r);
    }
    printf("GP-STAT backprop/kinks[%s, %s]: %zu cases (%zu exact, %zu of them reported "
           "at a kink, %zu near); f'(0) = 1 rejected %zu of %zu exact cases where it "
           "changed the gradient\n",
           leaky ? "leaky-relu" : "relu", cost->name, cases, exact, at_kink,
           cases - (n + 1) / 2, rejected, changed);
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(exact * 10 >= (n / 2) * 9 && at_kink * 10 >= exact * 9,
                      "only %zu of %zu exact cases, %zu at a kink", exact, n / 2,
                      at_kink);
}
END_TEST

/* ---------------------------------------------------------------- Errors */

/* NULL for a required pointer is GSL_EINVAL, raised (each was dereferenced). */
START_TEST(test_backprop_rejects_null_arguments) {
    const size_t sizes[] = {3, 4, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 4);
    gp_gradient *g = gp_gradient_alloc(net);
    gsl_matrix *X = gsl_matrix_calloc(3, 4), *Y = gsl_matrix_calloc(2, 4);
    gsl_vector *x = gsl_vector_calloc(3), *y = gsl_vector_calloc(2);
    gp_regularization reg = {1.0, 0.0, 0};
    double c;
    tu_errors_record();
    ck_assert_int_eq(gp_backprop_batch(NULL, X, Y, w, g), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch(net, NULL, Y, w, g), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch(net, X, NULL, w, g), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, NULL, g), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch_rows(net, NULL, Y, w, g), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop(net, NULL, y, w, g), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop(net, x, NULL, w, g), GSL_EINVAL);
    ck_assert_int_eq(gp_feedforward(net, X, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_total_cost(net, NULL, Y, NULL, w, &c), GSL_EINVAL);
    ck_assert_int_eq(gp_total_cost(net, X, Y, NULL, w, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_total_gradient(net, X, Y, NULL, NULL, g), GSL_EINVAL);
    ck_assert_int_eq(gp_regularization_gradient(net, &reg, 4, NULL), GSL_EINVAL);
    tu_errors_record();
    ck_assert(isnan(gp_regularization_cost(NULL, &reg, 4)));
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, g), GSL_SUCCESS);
    gsl_vector_free(x);
    gsl_vector_free(y);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
}
END_TEST

START_TEST(test_backprop_rejects_bad_shapes) {
    const size_t sizes[] = {3, 4, 2}, other[] = {3, 5, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_network *net2 = gp_network_alloc(3, other, &gp_cost_quadratic);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 4);
    gp_gradient *g = gp_gradient_alloc(net), *g2 = gp_gradient_alloc(net2);
    gsl_matrix *X = gsl_matrix_calloc(3, 4), *Y = gsl_matrix_calloc(2, 4);
    gsl_matrix *Xbad = gsl_matrix_calloc(2, 4), *Ybad = gsl_matrix_calloc(3, 4);
    gsl_matrix *Y3 = gsl_matrix_calloc(2, 3), *X5 = gsl_matrix_calloc(3, 5),
               *Y5 = gsl_matrix_calloc(2, 5);
    gsl_vector *x = gsl_vector_calloc(3), *xbad = gsl_vector_calloc(4),
               *y = gsl_vector_calloc(2);
    gp_regularization neg = {-1.0, 0.0, 0};
    gp_fcheck_opts opts;
    gp_fcheck_report *rep;
    double cst;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, net, 4);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, g), GSL_SUCCESS);
    ck_assert_int_eq(gp_backprop_batch(net, Xbad, Y, w, g), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop_batch(net, X, Ybad, w, g), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop_batch(net, X, Y3, w, g), GSL_EBADLEN);
    ck_assert_int_ne(gp_backprop_batch(net, X5, Y5, w, g),
                     GSL_SUCCESS); /* m > max_batch */
    ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, g2), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop_batch_rows(net, X, Y, w, g),
                     GSL_EBADLEN); /* X is 3 x 4 */
    ck_assert_int_eq(gp_backprop(net, xbad, y, w, g), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop(net, x, x, w, g), GSL_EBADLEN);
    ck_assert_int_eq(gp_feedforward(net, Xbad, w), GSL_EBADLEN);
    ck_assert_int_eq(gp_total_cost(net, X, Y3, NULL, w, &cst), GSL_EBADLEN);
    ck_assert_int_eq(gp_total_gradient(net, X, Y3, NULL, w, g), GSL_EBADLEN);
    ck_assert_int_ne(gp_total_gradient(net, X, Y, &neg, w, g), GSL_SUCCESS);
    ck_assert_int_ne(gp_gradcheck_params(net, X, Y, NULL, g2, &opts, rep), GSL_SUCCESS);
    ck_assert_int_eq(gp_gradcheck_deltas(net, X, Y3, w->delta, &opts, rep), GSL_EBADLEN);
    /* A report laid out for another formula is refused, not misread. */
    ck_assert_int_eq(gp_gradcheck_deltas(net, X, Y, w->delta, &opts, rep), GSL_EBADLEN);
    gp_fcheck_report_free(rep);
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_log_likelihood, x, 0.0, X, y, x, &cst),
                     GSL_EINVAL);
    gsl_vector_free(y);
    gsl_vector_free(xbad);
    gsl_vector_free(x);
    gsl_matrix_free(Y5);
    gsl_matrix_free(X5);
    gsl_matrix_free(Y3);
    gsl_matrix_free(Ybad);
    gsl_matrix_free(Xbad);
    gsl_matrix_free(Y);
    gsl_matrix_free(X);
    gp_gradient_free(g2);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(net2);
    gp_network_free(net);
}
END_TEST

/* A workspace of another network of the same depth is refused: a wider one was read as
 * a silently wrong gradient (db1 = 0), a narrower one written past its end (SIGSEGV). */
START_TEST(test_refuses_another_networks_workspace_or_gradient) {
    const size_t narrow[] = {3, 2, 2}, wide[] = {3, 50, 2};
    gp_network *n = gp_network_alloc(3, narrow, &gp_cost_quadratic);
    gp_network *wd = gp_network_alloc(3, wide, &gp_cost_quadratic);
    gp_backprop_workspace *wn = gp_backprop_workspace_alloc(n, 4);
    gp_backprop_workspace *ww = gp_backprop_workspace_alloc(wd, 4);
    gp_gradient *gn = gp_gradient_alloc(n), *gw = gp_gradient_alloc(wd);
    gsl_matrix *X = gsl_matrix_calloc(3, 4), *Y = gsl_matrix_calloc(2, 4);
    gp_sgd_params p = {0.1, 0.0, 0.0, 10};
    double c;
    ck_assert_int_eq(gp_backprop_batch(n, X, Y, ww, gn), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop_batch(wd, X, Y, wn, gw), GSL_EBADLEN);
    ck_assert_int_eq(gp_feedforward(wd, X, wn), GSL_EBADLEN);
    ck_assert_int_eq(gp_total_cost(wd, X, Y, NULL, wn, &c), GSL_EBADLEN);
    ck_assert_int_eq(gp_sgd_step(wd, X, 0, Y, &p, wn), GSL_EBADLEN);
    ck_assert_int_eq(gp_backprop_batch(wd, X, Y, ww, gw), GSL_SUCCESS);
    /* and a gradient of another layout (it was written past the end of gn) */
    gp_regularization reg = {1.0, 0.5, 10};
    ck_assert_int_eq(gp_regularization_gradient(wd, &reg, 0, gn), GSL_EBADLEN);
    ck_assert_int_eq(gp_regularization_gradient(n, &reg, 0, gw), GSL_EBADLEN);
    ck_assert_int_eq(gp_regularization_gradient(n, &reg, 0, gn), GSL_SUCCESS);
    gsl_matrix_free(Y);
    gsl_matrix_free(X);
    gp_gradient_free(gw);
    gp_gradient_free(gn);
    gp_backprop_workspace_free(ww);
    gp_backprop_workspace_free(wn);
    gp_network_free(wd);
    gp_network_free(n);
}
END_TEST

static Suite *make_backprop_suite(void) {
    Suite *s = suite_create("backprop");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors"), *acts = tcase_create("Activations");
    int nc = (int)tu_n_costs();
    tcase_add_test(core, test_backprop_known_chain_rule);
    tcase_add_test(core, test_regularization_known_values);
    tcase_add_test(core, test_backprop_accepts_strided_sample);
    tcase_set_timeout(props, 300);
    tcase_add_test(props, test_failed_property_writes_shrunk_record);
    tcase_add_loop_test(props, test_backprop_gradients_match_numeric, 0, nc);
    tcase_add_loop_test(props, test_backprop_deltas_match_numeric, 0, nc);
    tcase_add_loop_test(props, test_total_gradient_regularized_matches_numeric, 0, nc);
    tcase_add_loop_test(props, test_minibatch_equals_mean_of_samples, 0, nc);
    tcase_add_loop_test(props, test_products_at_block_edges, 0, nc);
    tcase_add_loop_test(props, test_feedforward_matches_definition, 0, nc);
    tcase_add_loop_test(props, test_step_reads_the_networks_activation, 0, nc);
    tcase_set_timeout(acts, 300);
    tcase_add_loop_test(acts, test_every_activation_every_cost, 0,
                        (int)(n_activations() * tu_n_costs()));
    tcase_add_loop_test(acts, test_activation_mutants_rejected, 0,
                        (int)(sizeof mutants / sizeof mutants[0] * tu_n_costs()));
    tcase_add_loop_test(acts, test_kinks_on_purpose, 0, (int)(2 * tu_n_costs()));
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_backprop_rejects_bad_shapes);
    tcase_add_test(errs, test_backprop_rejects_null_arguments);
    tcase_add_test(errs, test_refuses_another_networks_workspace_or_gradient);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, acts);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_backprop_suite());
}
