/* tests/check_gradcheck.c: the oracle itself, and mutation controls: the same checker
 * must reject deliberately wrong formulas on a clear majority of random cases while the
 * right formula passes on all of them. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "testutil.h"

#define TU_PROG "check_gradcheck"

/* Random cases per mutant, and the rejection rate each must reach. */
#define N_MUTANT_CASES 200
#define MIN_REJECTION 0.90

/* ---------------------------------------------------------------- Core */

/* ECnoise on f(t) = sin(1 + t) + e(t), e uniform in [-a, a] (standard deviation
 * a / sqrt 3), 9 values at spacing h = 1e-6 (well above the noise's resolution, well
 * below f's curvature): the estimate is within a factor 2 of the truth in at least 90 %
 * of the draws (More and Wild report factors near 1); h = 0.5 (f's own variation) is
 * "too large" and a constant f "too small". Teeth: with the noise halved, the same
 * draws' estimates fall (the estimate follows the noise, not the function). */
START_TEST(test_ecnoise_estimates_injected_noise) {
    size_t n = tu_cases(200), within = 0;
    double a = 1e-9, truth = a / sqrt(3.0), worst = 1, f[9];
    for (size_t c = 0; c < n; c++) {
        gsl_rng *r = tu_rng_for_case(0xec0u, c);
        double f2[9], est, est2;
        for (int i = 0; i < 9; i++) {
            double e = tu_uniform(r, -a, a), t = (i - 4) * 1e-6;
            f[i] = sin(1 + t) + e;
            f2[i] = sin(1 + t) + e / 2;
        }
        gsl_rng_free(r);
        ck_assert_int_eq(gp_fcheck_noise(f, 9, &est), GSL_SUCCESS);
        ck_assert_int_eq(gp_fcheck_noise(f2, 9, &est2), GSL_SUCCESS);
        ck_assert(est2 < est);
        within += est > truth / 2 && est < truth * 2;
        worst = fmax(worst, fmax(est / truth, truth / est));
    }
    printf(
        "GP-STAT gradcheck/ecnoise: %zu/%zu estimates within a factor 2 of the injected "
        "noise, worst factor %.3g\n",
        within, n, worst);
    ck_assert_msg(within >= 0.9 * n, "only %zu/%zu within a factor 2", within, n);
    double est;
    for (int i = 0; i < 9; i++)
        f[i] = sin(1 + (i - 4) * 0.5);
    ck_assert_int_eq(gp_fcheck_noise(f, 9, &est), GSL_ERANGE);
    for (int i = 0; i < 9; i++)
        f[i] = 3.0;
    ck_assert_int_eq(gp_fcheck_noise(f, 9, &est), GSL_ETOL);
    ck_assert(est == 0);
    gsl_error_handler_t *h = gsl_set_error_handler_off();
    ck_assert_int_eq(gp_fcheck_noise(f, 3, &est), GSL_EINVAL);
    gsl_set_error_handler(h);
}
END_TEST

START_TEST(test_gradcheck_opts_defaults) {
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    ck_assert_int_eq(o.precision, GP_FLOAT64);
    ck_assert_double_eq(o.h, 1e-4);
    ck_assert_double_eq(o.abserr_factor, 4.0);
    ck_assert_double_eq(o.atol, 1e-8);
    ck_assert_double_eq(o.rtol, 1e-6);
    ck_assert_double_eq(o.stol, 64 * DBL_EPSILON);
    ck_assert_uint_eq(o.n_worst, 5);
}
END_TEST

/* The one rule: |g - d| <= factor abserr + atol + rtol max(|g|,|d|) + stol scale. */
START_TEST(test_fcheck_rule_is_the_documented_bound) {
    gp_fcheck_opts o;
    double allowed;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    o.stol = 1e-3;
    ck_assert_int_eq(gp_fcheck_rule(&o, 1.0, 1.0 + 5e-7, 0.0, 0.0, &allowed), 1);
    ck_assert_double_eq_tol(allowed, 1e-8 + 1e-6 * (1.0 + 5e-7), 1e-22);
    ck_assert_int_eq(gp_fcheck_rule(&o, 1.0, 1.0 + 2e-6, 0.0, 0.0, NULL), 0);
    /* the scale term alone lets it through */
    ck_assert_int_eq(gp_fcheck_rule(&o, 1.0, 1.0 + 2e-6, 0.0, 1e-2, &allowed), 1);
    ck_assert_double_eq_tol(allowed, 1e-8 + 1e-6 * (1.0 + 2e-6) + 1e-5, 1e-20);
    /* and the error estimate, weighted by abserr_factor */
    ck_assert_int_eq(gp_fcheck_rule(&o, 0.0, 1e-6, 2.5e-7, 0.0, NULL), 1);
    ck_assert_int_eq(gp_fcheck_rule(&o, 0.0, 1e-6, 2.2e-7, 0.0, NULL), 0);
    ck_assert_int_eq(gp_fcheck_rule(&o, NAN, 0.5, 0.0, 0.0, NULL), 0);
    ck_assert_int_eq(gp_fcheck_rule(&o, 0.5, NAN, 0.0, 0.0, NULL), 0);
    ck_assert_int_eq(gp_fcheck_rule(&o, 0.5, 0.5, NAN, 0.0, NULL), 0);
}
END_TEST

/* Reports: tallies, NaN fails, worst offenders sorted, entries named and located. */
START_TEST(test_fcheck_add_report) {
    gp_fcheck_opts o;
    gp_tensor_range t[3] = {{"W1", 0, 6, 3, GP_TENSOR_W, 1},
                            {"b2", 6, 5, 0, GP_TENSOR_B, 2},
                            {"z1", 11, 16, 8, GP_TENSOR_Z, 1}};
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    gp_fcheck_report *r = gp_fcheck_report_alloc(t, 3);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->n_checked, 0);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 0, 0, 1.0, 1.0 + 5e-7, 0.0), 1);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 0, 1, 1.0, 1.0 + 2e-6, 0.0), 0);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 1, 3, 0.0, 1e-6, 1e-6), 1);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 1, 4, 0.0, 5e-9, 0.0), 1);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 2, 15, 0.5, -0.5, 0.0), 0);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 2, 5, NAN, 0.5, 0.0), 0);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 2, 6, 0.5, NAN, 0.0), 0);
    /* a tensor the report has not: refused, nothing written (it wrote past tensors) */
    tu_handler_off();
    gp_fcheck_set_scale(r, 3, 1.0);
    ck_assert_int_eq(gp_fcheck_add(r, &o, 3, 0, 1.0, 1.0, 0.0), 0);
    tu_handler_restore();
    ck_assert_uint_eq(r->n_checked, 7);
    ck_assert_uint_eq(r->n_failed, 4);
    ck_assert_uint_eq(r->tensors[0].n_failed, 1);
    ck_assert_uint_eq(r->tensors[1].n_failed, 0);
    ck_assert_uint_eq(r->tensors[2].n_failed, 3);
    ck_assert_double_eq_tol(r->sum_abs_numeric,
                            1.0 + 5e-7 + 1.0 + 2e-6 + 1e-6 + 5e-9 + 0.5 + 0.5, 1e-12);
    ck_assert_uint_eq(r->n_worst, 5);
    /* the NaNs score infinity; then the sign flip (0.5 vs -0.5) */
    ck_assert(isinf(r->worst[0].score) && isinf(r->worst[1].score));
    const gp_fcheck_entry *e = &r->worst[2];
    gp_tensor kind;
    size_t layer, row, col;
    char name[32];
    gp_fcheck_entry_locate(r, e, &kind, &layer, &row, &col);
    ck_assert(kind == GP_TENSOR_Z);
    ck_assert_uint_eq(layer, 1);
    ck_assert_uint_eq(row, 1);
    ck_assert_uint_eq(col, 7);
    ck_assert_uint_eq(e->coord, 11 + 15);
    gp_fcheck_entry_name(r, e, name, sizeof name);
    ck_assert_str_eq(name, "z1[1][7]");
    gp_fcheck_entry_name(r, &r->worst[3], name, sizeof name);
    ck_assert_str_eq(name, "W1[0][1]");
    ck_assert_double_eq(e->error, 1.0);
    ck_assert(r->worst[2].score > 1.0 && r->worst[3].score > 1.0 &&
              r->worst[4].score <= 1.0);
    ck_assert(r->worst[2].score >= r->worst[3].score &&
              r->worst[3].score >= r->worst[4].score);
    gp_fcheck_report_free(r);
}
END_TEST

/* The formulas' reports: W1, b1, ... over the params block; z1 .. zL of n_l x m. */
START_TEST(test_formula_reports_name_the_tensors) {
    size_t sizes[3] = {3, 4, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_fcheck_report *p = gp_formula_report_alloc(GP_FORMULA_PARAMS, net, 5),
                     *d = gp_formula_report_alloc(GP_FORMULA_DELTA, net, 5);
    gp_formula f;
    ck_assert(net && p && d);
    ck_assert_uint_eq(p->n_tensors, 4);
    ck_assert_str_eq(p->tensors[2].name, "W2");
    ck_assert(p->tensors[2].kind == GP_TENSOR_W && p->tensors[2].layer == 2);
    ck_assert_uint_eq(p->tensors[2].offset, gp_params_offset(&net->p, 2, 1));
    ck_assert_uint_eq(p->tensors[2].length, 8);
    ck_assert_uint_eq(p->tensors[2].cols, 4);
    ck_assert_str_eq(p->tensors[3].name, "b2");
    ck_assert(p->tensors[3].kind == GP_TENSOR_B);
    size_t total = 0;
    for (size_t t = 0; t < p->n_tensors; t++)
        total += p->tensors[t].length;
    ck_assert_uint_eq(total, net->p.n_params);
    ck_assert_uint_eq(d->n_tensors, 2);
    ck_assert_str_eq(d->tensors[1].name, "z2");
    ck_assert(d->tensors[1].kind == GP_TENSOR_Z && d->tensors[1].layer == 2);
    ck_assert_uint_eq(d->tensors[1].offset, 4 * 5);
    ck_assert_uint_eq(d->tensors[1].length, 2 * 5);
    ck_assert_uint_eq(d->tensors[1].cols, 5);
    for (int q = 0; q < GP_N_FORMULAS; q++) {
        ck_assert_int_eq(gp_formula_lookup(gp_formula_name((gp_formula)q), &f), 0);
        ck_assert_int_eq(f, q);
    }
    /* refused: a formula that is none (it got the parameters' report), no samples, and
     * n_l m entries past SIZE_MAX (the lengths wrapped) */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    ck_assert_ptr_null(gp_formula_report_alloc((gp_formula)GP_N_FORMULAS, net, 5));
    ck_assert_ptr_null(gp_formula_report_alloc(GP_FORMULA_DELTA, net, 0));
    ck_assert_ptr_null(gp_formula_report_alloc(GP_FORMULA_DELTA, net, SIZE_MAX / 2));
    gsl_set_error_handler(old);
    gp_fcheck_report_free(p);
    gp_fcheck_report_free(d);
    gp_network_free(net);
}
END_TEST

static int mut_quad_no_sigma_prime(const gsl_vector *z, const gsl_vector *a,
                                   const gsl_vector *y, gsl_vector *delta);
static int mut_ll_sign_flip(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                            gsl_vector *delta);
static int mut_xent_extra_sigma_prime(const gsl_vector *z, const gsl_vector *a,
                                      const gsl_vector *y, gsl_vector *delta);

/* gp_check_formula: the right formulas pass, a wrong output delta fails both delta and
 * params (the checker's numeric side uses fn_z, not delta). */
START_TEST(test_check_formula_right_and_wrong) {
    const gp_cost_type *cost = gp_cost_types[_i % tu_n_costs()];
    gp_cost_type wrong = *cost;
    /* A wrong delta for each cost (quadratic-linear's a - y is its right one). */
    wrong.delta = cost == &gp_cost_cross_entropy    ? mut_xent_extra_sigma_prime
                  : cost == &gp_cost_log_likelihood ? mut_ll_sign_flip
                                                    : mut_quad_no_sigma_prime;
    tu_shape sh;
    gp_fcheck_opts o;
    gp_regularization reg = {0.3817, 0.1729, 40};
    tu_shape_default(&sh);
    sh.min_batch = 2;
    sh.scale_min = 0.1;
    sh.scale_max = 2;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    gsl_rng *r = tu_rng_for_case(0xF0A1, (size_t)_i);
    tu_case *c = tu_case_alloc(r, cost, &sh);
    ck_assert_ptr_nonnull(c);
    for (int q = 0; q < GP_N_FORMULAS; q++) {
        gp_formula f = (gp_formula)q;
        gp_fcheck_report *rep = gp_formula_report_alloc(f, c->net, c->m);
        char msg[512];
        ck_assert_int_eq(gp_check_formula(f, c->net, c->X, c->Y, &reg, &o, rep), 0);
        tu_describe_worst(rep, msg, sizeof msg);
        ck_assert_msg(rep->n_failed == 0, "%s %s: %s", gp_formula_name(f), c->desc, msg);
        ck_assert(rep->sum_abs_numeric > 0);
        size_t expect = f == GP_FORMULA_DELTA ? 0 : c->net->p.n_params;
        for (size_t l = 1; f == GP_FORMULA_DELTA && l <= c->net->p.L; l++)
            expect += c->net->p.sizes[l] * c->m;
        ck_assert_uint_eq(rep->n_checked, expect);
        if (cost->output != GP_OUTPUT_LINEAR) { /* linear: a - y is right */
            c->net->cost = &wrong;
            gp_fcheck_report_reset(rep);
            ck_assert_int_eq(gp_check_formula(f, c->net, c->X, c->Y, &reg, &o, rep), 0);
            ck_assert_msg(rep->n_failed > 0, "wrong delta passed %s on %s",
                          gp_formula_name(f), c->desc);
            c->net->cost = cost;
        }
        gp_fcheck_report_free(rep);
    }
    tu_case_free(c);
    gsl_rng_free(r);
}
END_TEST

/* The shared generator: shapes within the limits, targets fitting the cost, and
 * cross-entropy's ends 0 and 1 drawn (which `gradproof check` never drew before). */
START_TEST(test_case_random_targets_fit_the_cost) {
    const gp_cost_type *cost = gp_cost_types[_i];
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = 2;
    co.max_layers = 3;
    co.min_width = 2;
    co.max_width = 5;
    size_t zeros = 0, ones = 0, inside = 0, outside = 0;
    for (size_t i = 0; i < 50; i++) {
        gsl_rng *r = tu_rng_for_case(0xCA5E + (unsigned long)_i, i);
        gp_network *net;
        gsl_matrix *X, *Y;
        double scale;
        ck_assert_int_eq(gp_case_random(r, cost, &co, &net, &X, &Y, &scale), 0);
        ck_assert(net->p.L >= 2 && net->p.L <= 3);
        ck_assert(scale >= co.scale_min && scale < co.scale_max);
        for (size_t l = 0; l <= net->p.L; l++)
            ck_assert(net->p.sizes[l] >= 2 && net->p.sizes[l] <= 5);
        ck_assert(X->size2 >= 1 && X->size2 <= 16 && Y->size2 == X->size2);
        for (size_t s = 0; s < Y->size2; s++) {
            double sum = 0;
            for (size_t j = 0; j < Y->size1; j++) {
                double y = gsl_matrix_get(Y, j, s);
                sum += y;
                zeros += y == 0.0;
                ones += y == 1.0;
                inside += y > 0 && y < 1;
                outside += y < 0 || y > 1;
            }
            if (cost->output == GP_OUTPUT_SOFTMAX)
                ck_assert_double_eq(sum, 1.0);
        }
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
        gsl_rng_free(r);
    }
    if (cost == &gp_cost_cross_entropy)
        ck_assert(zeros > 0 && ones > 0 && inside > 0 && outside == 0);
    else if (cost->output == GP_OUTPUT_SOFTMAX)
        ck_assert(inside == 0 && outside == 0 && ones > 0);
    else
        ck_assert(outside > 0); /* quadratic costs take any real target */
    co.min_width = 6;           /* min > max */
    gsl_rng *r = tu_rng_for_case(0xCA5E, 0);
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    ck_assert_int_eq(gp_case_random(r, cost, &co, &net, &X, &Y, NULL), GSL_EINVAL);
    co.min_width = 2; /* wider than GP_MAX_WIDTH: drawn as the minimum, status 0 */
    co.max_width = SIZE_MAX;
    ck_assert_int_eq(gp_case_random(r, cost, &co, &net, &X, &Y, NULL), GSL_EINVAL);
    co.max_width = 5;
    co.max_batch = (size_t)1 << 40;
    ck_assert_int_eq(gp_case_random(r, cost, &co, &net, &X, &Y, NULL), GSL_EINVAL);
    gsl_set_error_handler(old);
    gsl_rng_free(r);
}
END_TEST

/* A tensor index the report has not: gp_fcheck_entry_locate and _name read past
 * r->tensors; now GSL_EINVAL, nothing written ("" for the name). gp_fcheck_compare
 * refuses NULL values (GSL_EINVAL), a range past the arrays' n doubles and one that
 * wraps past SIZE_MAX (GSL_EBADLEN, nothing read: cand[offset + i] was read past or
 * before the arrays). */
START_TEST(test_fcheck_entry_and_compare_refuse_bad_indices) {
    double ref[6] = {1, 2, 3, 4, 5, 6}, cand[6] = {1, 2, 3, 4, 5, 6};
    gp_tensor_range t[2] = {{"dW1", 0, 4, 2, GP_TENSOR_W, 1},
                            {"db1", 4, 2, 0, GP_TENSOR_B, 1}};
    gp_fcheck_report *r = gp_fcheck_report_alloc(t, 2);
    gp_fcheck_entry e = {.tensor = 2, .index = 1};
    size_t row = 99, col = 99, layer = 99;
    char buf[32] = "unchanged";
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    tu_handler_off();
    tu_errors_record();
    gp_fcheck_entry_locate(r, &e, NULL, &layer, &row, &col);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert(row == 99 && col == 99 && layer == 99);
    tu_errors_record();
    gp_fcheck_entry_name(r, &e, buf, sizeof buf);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_str_eq(buf, "");
    tu_errors_record();
    gp_fcheck_entry_name(r, NULL, buf, sizeof buf);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    tu_errors_record();
    e.tensor = 0, e.index = 3;
    gp_fcheck_entry_name(r, &e, buf, sizeof buf);
    ck_assert_str_eq(buf, "dW1[1][1]");
    e.tensor = GP_FCHECK_DIRECTIONS;
    gp_fcheck_entry_name(r, &e, buf, sizeof buf);
    ck_assert_str_eq(buf, "directions[3]");
    ck_assert_int_eq(tu_last_error(), 0);
    ck_assert_int_eq(gp_fcheck_compare(NULL, ref, 6, &o, r), GSL_EINVAL);
    ck_assert_int_eq(gp_fcheck_compare(cand, NULL, 6, &o, r), GSL_EINVAL);
    ck_assert_int_eq(gp_fcheck_compare(cand, ref, 6, &o, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_fcheck_compare(cand, ref, 6, &o, r), GSL_SUCCESS);
    ck_assert_uint_eq(r->n_checked, 6);
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_compare(cand, ref, 5, &o, r), GSL_EBADLEN);
    ck_assert_uint_eq(r->n_checked, 0);
    gp_fcheck_report_free(r);
    t[1].offset = SIZE_MAX - 1;
    r = gp_fcheck_report_alloc(t, 2);
    ck_assert_int_eq(gp_fcheck_compare(cand, ref, SIZE_MAX, &o, r), GSL_EBADLEN);
    ck_assert_uint_eq(r->n_checked, 0);
    tu_handler_restore();
    gp_fcheck_report_free(r);
}
END_TEST

/* A NULL generator, cost, options or result pointer is GSL_EINVAL (each was
 * dereferenced); scale may be NULL. */
START_TEST(test_case_random_rejects_null) {
    gsl_rng *r = tu_rng_for_case(0xCA5F, 0);
    const gp_cost_type *c = &gp_cost_quadratic;
    gp_case_opts co;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_case_opts_default(&co);
    tu_handler_off();
    tu_errors_record();
    ck_assert_int_eq(gp_case_random(NULL, c, &co, &net, &X, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(gp_case_random(r, NULL, &co, &net, &X, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_case_random(r, c, NULL, &net, &X, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_case_random(r, c, &co, NULL, &X, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_case_random(r, c, &co, &net, NULL, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_case_random(r, c, &co, &net, &X, NULL, NULL), GSL_EINVAL);
    ck_assert(net == NULL && X == NULL && Y == NULL);
    ck_assert_int_eq(gp_case_random(r, c, &co, &net, &X, &Y, NULL), GSL_SUCCESS);
    tu_handler_restore();
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(r);
}
END_TEST

/* gp_cost_from_z(l, z^l) of the unperturbed z^l is the sample's cost, at every layer. */
START_TEST(test_cost_from_z_matches_forward) {
    const gp_cost_type *cost = gp_cost_types[_i];
    size_t n = tu_cases(50), i, l, s;
    tu_shape sh;
    tu_shape_default(&sh);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0xC0F2 + (unsigned long)_i, i);
        c = tu_case_alloc(r, cost, &sh);
        ck_assert_int_eq(gp_feedforward(c->net, c->X, c->w), GSL_SUCCESS);
        for (s = 0; s < c->m; s++) {
            gsl_vector_const_view zL =
                gsl_matrix_const_column(c->w->z[c->net->p.L - 1], s);
            gsl_vector_const_view y = gsl_matrix_const_column(c->Y, s);
            double want = cost->fn_z(&zL.vector, &y.vector);
            for (l = 1; l <= c->net->p.L; l++) {
                gsl_vector *zl = gsl_vector_alloc(c->net->p.sizes[l]);
                double got;
                gsl_matrix_get_col(zl, c->w->z[l - 1], s);
                ck_assert_int_eq(gp_cost_from_z(c->net, l, zl, &y.vector, &got),
                                 GSL_SUCCESS);
                ck_assert_msg(fabs(got - want) <= 1e-12 * (1 + fabs(want)),
                              "layer %zu sample %zu: %.17g vs %.17g; %s; " TU_RERUN_FMT,
                              l, s, got, want, c->desc, TU_RERUN_ARGS(i, "Core"));
                gsl_vector_free(zl);
            }
        }
        tu_case_free(c);
        gsl_rng_free(r);
    }
}
END_TEST

/* ---------------------------------------------------------------- Mutants */

/* Quadratic delta without sigma': a - y instead of (a - y) sigma'(z). */
static int mut_quad_no_sigma_prime(const gsl_vector *z, const gsl_vector *a,
                                   const gsl_vector *y, gsl_vector *delta) {
    (void)z;
    gsl_vector_memcpy(delta, a);
    return gsl_vector_sub(delta, y);
}

/* Quadratic delta with sigma instead of sigma': (a - y) sigma(z). */
static int mut_quad_sigma_not_prime(const gsl_vector *z, const gsl_vector *a,
                                    const gsl_vector *y, gsl_vector *delta) {
    size_t j;
    for (j = 0; j < a->size; j++)
        gsl_vector_set(delta, j,
                       (gsl_vector_get(a, j) - gsl_vector_get(y, j)) *
                           gp_sigmoid(gsl_vector_get(z, j)));
    return GSL_SUCCESS;
}

/* Cross-entropy delta with an extra sigma': (a - y) sigma'(z) instead of a - y. */
static int mut_xent_extra_sigma_prime(const gsl_vector *z, const gsl_vector *a,
                                      const gsl_vector *y, gsl_vector *delta) {
    size_t j;
    for (j = 0; j < a->size; j++)
        gsl_vector_set(delta, j,
                       (gsl_vector_get(a, j) - gsl_vector_get(y, j)) *
                           gp_sigmoid_prime(gsl_vector_get(z, j)));
    return GSL_SUCCESS;
}

/* Softmax/log-likelihood delta with the sign flipped: y - a instead of a - y. */
static int mut_ll_sign_flip(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                            gsl_vector *delta) {
    (void)z;
    gsl_vector_memcpy(delta, y);
    return gsl_vector_sub(delta, a);
}

typedef enum {
    M_QUAD_NO_SIGMA_PRIME,
    M_XENT_EXTRA_SIGMA_PRIME,
    M_LL_SIGN_FLIP,
    M_NO_TRANSPOSE,
    M_L2_NO_1_OVER_N,
    M_L1_NO_SIGN,
    M_HIDDEN_SIGMA_NOT_PRIME,
    M_OUTPUT_SIGMA_NOT_PRIME,
    M_SUM_NOT_MEAN,
    N_MUTANTS
} mutant_kind;

static const char *const mutant_names[N_MUTANTS] = {
    "quadratic delta without sigma'",
    "cross-entropy delta with an extra sigma'",
    "log-likelihood delta with the sign flipped",
    "hidden delta with W instead of W^T",
    "L2 gradient without its 1/n",
    "L1 gradient without sgn(w)",
    "hidden delta with sigma instead of sigma'",
    "quadratic output delta with sigma instead of sigma'",
    "mini-batch gradient summed, not averaged",
};

/* The cost a mutant runs on; rotates over the table for the cost-independent ones. */
static const gp_cost_type *mutant_base_cost(mutant_kind k, size_t i) {
    switch (k) {
    case M_QUAD_NO_SIGMA_PRIME:
    case M_OUTPUT_SIGMA_NOT_PRIME:
        return &gp_cost_quadratic;
    case M_XENT_EXTRA_SIGMA_PRIME:
        return &gp_cost_cross_entropy;
    case M_LL_SIGN_FLIP:
        return &gp_cost_log_likelihood;
    default:
        return gp_cost_types[i % tu_n_costs()];
    }
}

/* Case shape of a mutant: moderate scales (1e-2..3) and batches >= 2 so that each
 * mistake is visible at all (m = 1 makes sum = mean; saturated units hide sigma'). */
static void mutant_shape(mutant_kind k, tu_shape *s, int full_scale) {
    tu_shape_default(s);
    s->min_batch = 2;
    if (!full_scale) {
        s->scale_min = 1e-2;
        s->scale_max = 3.0;
    }
    if (k == M_NO_TRANSPOSE) {
        s->min_layers = 2;
        s->min_width = 2;
        s->square_hidden = 1;
    }
    if (k == M_HIDDEN_SIGMA_NOT_PRIME)
        s->min_layers = 2;
}

/* Add a wrong regularisation gradient to grad (the L2 and L1 mutants). */
static void add_wrong_reg(mutant_kind k, const gp_network *net,
                          const gp_regularization *reg, gp_gradient *grad) {
    size_t l, j, q;
    for (l = 0; l < net->p.L; l++)
        for (j = 0; j < net->p.w[l]->size1; j++)
            for (q = 0; q < net->p.w[l]->size2; q++) {
                double x = gsl_matrix_get(net->p.w[l], j, q);
                *gsl_matrix_ptr(grad->w[l], j, q) +=
                    k == M_L2_NO_1_OVER_N ? reg->lambda * x : reg->l1 / (double)reg->n;
            }
}

typedef struct {
    size_t cases, rejected, correct_failed, no_signal;
} mutant_tally;

/* The mutant's gradient of case c into c->grad. */
static int mutant_gradient(mutant_kind k, tu_case *c, const gp_cost_type *base,
                           const gp_regularization *reg) {
    gp_cost_type mut = *base;
    int status;
    switch (k) {
    case M_QUAD_NO_SIGMA_PRIME:
    case M_XENT_EXTRA_SIGMA_PRIME:
    case M_LL_SIGN_FLIP:
    case M_OUTPUT_SIGMA_NOT_PRIME:
        mut.delta = k == M_QUAD_NO_SIGMA_PRIME      ? mut_quad_no_sigma_prime
                    : k == M_XENT_EXTRA_SIGMA_PRIME ? mut_xent_extra_sigma_prime
                    : k == M_LL_SIGN_FLIP           ? mut_ll_sign_flip
                                                    : mut_quad_sigma_not_prime;
        c->net->cost = &mut; /* the library's backprop runs the wrong delta */
        status = gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad);
        c->net->cost = base; /* the checker's cost is the true one */
        return status;
    case M_NO_TRANSPOSE:
        return tu_manual_backprop(c->net, c->X, c->Y, TU_BP_NO_TRANSPOSE, c->grad);
    case M_HIDDEN_SIGMA_NOT_PRIME:
        return tu_manual_backprop(c->net, c->X, c->Y, TU_BP_SIGMA_NOT_PRIME, c->grad);
    case M_SUM_NOT_MEAN:
        return tu_manual_backprop(c->net, c->X, c->Y, TU_BP_SUM, c->grad);
    case M_L2_NO_1_OVER_N:
    case M_L1_NO_SIGN:
    default:
        status = gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad);
        add_wrong_reg(k, c->net, reg, c->grad);
        return status;
    }
}

/* One case: the right formula (must pass) and the mutant (should fail), same checker. */
static void run_mutant_case(mutant_kind k, size_t i, int full_scale, mutant_tally *t) {
    const gp_cost_type *base = mutant_base_cost(k, i);
    tu_shape sh;
    gsl_rng *r =
        tu_rng_for_case(0x30A7 + 16 * (unsigned long)k + (unsigned long)full_scale, i);
    tu_case *c;
    gp_regularization reg = {0.0, 0.0, 0};
    gp_fcheck_opts opts;
    gp_fcheck_report *good, *bad;
    char msg[512];
    int status;
    mutant_shape(k, &sh, full_scale);
    c = tu_case_alloc(r, base, &sh);
    ck_assert_ptr_nonnull(c);
    if (k == M_L2_NO_1_OVER_N)
        reg.lambda = tu_log_uniform(r, 0.1, 5.0);
    if (k == M_L1_NO_SIGN)
        reg.l1 = tu_log_uniform(r, 0.1, 5.0);
    reg.n = tu_int(r, 2, 100);
    gp_fcheck_opts_default(&opts, GP_FLOAT64);

    /* the right formula */
    ck_assert_int_eq(gp_total_gradient(c->net, c->X, c->Y, &reg, c->w, c->grad),
                     GSL_SUCCESS);
    good = gp_formula_report_alloc(GP_FORMULA_REG, c->net, c->m);
    bad = gp_formula_report_alloc(GP_FORMULA_REG, c->net, c->m);
    ck_assert(good && bad);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, &reg, c->grad, &opts, good),
                     GSL_SUCCESS);
    tu_describe_worst(good, msg, sizeof msg);
    ck_assert_msg(good->n_failed == 0,
                  "control for mutant '%s' failed, %s: %s; " TU_RERUN_FMT,
                  mutant_names[k], c->desc, msg, TU_RERUN_ARGS(i, "Mutants"));
    if (full_scale && good->sum_abs_numeric == 0) {
        /* Fully saturated (scale up to 10): the cost is flat in floating point, so no
         * formula can be told from another. Counted apart, not as a case. */
        t->no_signal++;
        gp_fcheck_report_free(good);
        gp_fcheck_report_free(bad);
        tu_case_free(c);
        gsl_rng_free(r);
        return;
    }
    ck_assert_msg(good->sum_abs_numeric > 0, "no signal in %s; " TU_RERUN_FMT, c->desc,
                  TU_RERUN_ARGS(i, "Mutants"));

    /* the mutant */
    status = mutant_gradient(k, c, base, &reg);
    ck_assert_int_eq(status, GSL_SUCCESS);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, &reg, c->grad, &opts, bad),
                     GSL_SUCCESS);
    ck_assert(bad->sum_abs_numeric > 0);
    t->cases++;
    t->rejected += bad->n_failed > 0;
    t->correct_failed += good->n_failed > 0;
    gp_fcheck_report_free(good);
    gp_fcheck_report_free(bad);
    tu_case_free(c);
    gsl_rng_free(r);
}

static mutant_tally run_mutant(mutant_kind k, int full_scale) {
    size_t n = tu_cases(N_MUTANT_CASES), i;
    mutant_tally t = {0, 0, 0, 0};
    for (i = 0; i < n; i++)
        if (tu_case_selected(i))
            run_mutant_case(k, i, full_scale, &t);
    return t;
}

/* Each mutant is rejected on >= 90 % of cases (and at least once); the right formula
 * passes on all. The rate on the full default scale range (1e-3..10, where saturated
 * units can hide a mistake) is printed too, for information. */
START_TEST(test_mutants_are_rejected) {
    mutant_kind k = (mutant_kind)_i;
    mutant_tally t = run_mutant(k, 0), full = run_mutant(k, 1);
    double rate = t.cases ? (double)t.rejected / (double)t.cases : 0.0;
    printf(
        "GP-MUTANT %-52s rejected %3zu/%zu = %5.1f%% (scale 1e-2..3); "
        "full scale 1e-3..10: %zu/%zu = %.1f%% (+%zu flat); correct formula failed %zu\n",
        mutant_names[k], t.rejected, t.cases, 100 * rate, full.rejected, full.cases,
        full.cases ? 100.0 * (double)full.rejected / (double)full.cases : 0.0,
        full.no_signal, t.correct_failed + full.correct_failed);
    fflush(stdout);
    ck_assert_uint_eq(t.correct_failed + full.correct_failed, 0);
    ck_assert_msg(t.rejected >= 1 || getenv("GP_CASE") != NULL,
                  "mutant '%s' was never rejected", mutant_names[k]);
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(rate >= MIN_REJECTION,
                      "mutant '%s' rejected on only %zu of %zu cases", mutant_names[k],
                      t.rejected, t.cases);
}
END_TEST

/* An all-zero "gradient" must not pass: the checker sees the signal. */
START_TEST(test_zero_gradient_is_rejected) {
    size_t n = tu_cases(100), i, rejected = 0, cases = 0;
    tu_shape sh;
    mutant_shape(M_SUM_NOT_MEAN, &sh, 0);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        tu_case *c;
        gp_fcheck_opts opts;
        gp_fcheck_report *rep;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x2E20, i);
        c = tu_case_alloc(r, gp_cost_types[i % tu_n_costs()], &sh);
        gp_fcheck_opts_default(&opts, GP_FLOAT64);
        rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
        gsl_vector_set_zero(c->grad->params);
        ck_assert_int_eq(
            gp_gradcheck_params(c->net, c->X, c->Y, NULL, c->grad, &opts, rep),
            GSL_SUCCESS);
        ck_assert(rep->sum_abs_numeric > 0);
        rejected += rep->n_failed > 0;
        gp_fcheck_report_free(rep);
        cases++;
        tu_case_free(c);
        gsl_rng_free(r);
    }
    printf("GP-MUTANT %-52s rejected %3zu/%zu\n", "all-zero gradient", rejected, cases);
    if (getenv("GP_CASE") == NULL)
        ck_assert_uint_ge(rejected * 10, cases * 9);
}
END_TEST

/* Options no check can use are refused before any entry is checked: h = 0 made every
 * entry of a right gradient fail with status 0, an infinite tolerance passed all. Every
 * formula check and the oracle take the same refusal; the defaults pass. */
START_TEST(test_fcheck_opts_refused) {
    tu_shape sh;
    tu_shape_default(&sh);
    gsl_rng *r = tu_rng_for_case(0x0B75, 0);
    tu_case *c = tu_case_alloc(r, &gp_cost_quadratic, &sh);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad), 0);
    gp_fcheck_opts bad[9];
    for (int k = 0; k < 9; k++)
        gp_fcheck_opts_default(&bad[k], GP_FLOAT64);
    bad[0].h = 0, bad[1].h = NAN, bad[2].h = INFINITY, bad[3].rtol = -1e-6;
    bad[4].atol = INFINITY, bad[5].abserr_factor = NAN, bad[6].stol = -1;
    bad[7].precision = (gp_precision)7, bad[8].n_worst = GP_GRADCHECK_MAX_WORST + 1;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    for (int k = 0; k < 10; k++) {
        gp_fcheck_opts o;
        gp_fcheck_opts_default(&o, GP_FLOAT64);
        const gp_fcheck_opts *op = k < 9 ? &bad[k] : &o;
        int want = k < 9 ? GSL_EINVAL : GSL_SUCCESS;
        gp_regularization reg = {0.5, 0.25, 20};
        for (int q = 0; q < GP_N_FORMULAS; q++) {
            gp_fcheck_report *rep = gp_formula_report_alloc((gp_formula)q, c->net, c->m);
            ck_assert_int_eq(
                gp_check_formula((gp_formula)q, c->net, c->X, c->Y, &reg, op, rep), want);
            ck_assert_uint_eq(rep->n_failed, 0);
            ck_assert(want ? rep->n_checked == 0 : rep->n_checked > 0);
            gp_fcheck_report_free(rep);
        }
        gp_fcheck_report *rep = gp_formula_report_alloc(GP_FORMULA_PARAMS, c->net, c->m);
        ck_assert_int_eq(
            gp_oracle_check_network(c->net, c->X, c->Y, NULL, c->grad, op, rep), want);
        ck_assert_uint_eq(rep->n_failed, 0);
        gp_fcheck_report_free(rep);
        ck_assert_int_eq(gp_fcheck_opts_check(op), want);
    }
    ck_assert_int_eq(gp_fcheck_opts_check(NULL), GSL_EINVAL);
    /* the params+reg check without a regularisation: it ran the params check */
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    gp_fcheck_report *rep = gp_formula_report_alloc(GP_FORMULA_REG, c->net, c->m);
    ck_assert_int_eq(gp_check_formula(GP_FORMULA_REG, c->net, c->X, c->Y, NULL, &o, rep),
                     GSL_EINVAL);
    ck_assert_uint_eq(rep->n_checked, 0);
    gp_fcheck_report_free(rep);
    gsl_set_error_handler(old);
    tu_case_free(c);
    gsl_rng_free(r);
}
END_TEST

static Suite *make_gradcheck_suite(void) {
    Suite *s = suite_create("gradcheck");
    TCase *core = tcase_create("Core"), *muts = tcase_create("Mutants");
    tcase_add_test(core, test_gradcheck_opts_defaults);
    tcase_add_test(core, test_ecnoise_estimates_injected_noise);
    tcase_add_test(core, test_fcheck_rule_is_the_documented_bound);
    tcase_add_test(core, test_fcheck_add_report);
    tcase_add_test(core, test_fcheck_opts_refused);
    tcase_add_test(core, test_formula_reports_name_the_tensors);
    tcase_add_test(core, test_case_random_rejects_null);
    tcase_add_test(core, test_fcheck_entry_and_compare_refuse_bad_indices);
    tcase_add_loop_test(core, test_case_random_targets_fit_the_cost, 0,
                        (int)tu_n_costs());
    tcase_add_loop_test(core, test_check_formula_right_and_wrong, 0,
                        3 * (int)tu_n_costs());
    tcase_set_timeout(core, 60);
    tcase_add_loop_test(core, test_cost_from_z_matches_forward, 0, (int)tu_n_costs());
    tcase_set_timeout(muts, 300);
    tcase_add_loop_test(muts, test_mutants_are_rejected, 0, N_MUTANTS);
    tcase_add_test(muts, test_zero_gradient_is_rejected);
    suite_add_tcase(s, core);
    suite_add_tcase(s, muts);
    return s;
}

int main(void) {
    return tu_run_suite(make_gradcheck_suite());
}
