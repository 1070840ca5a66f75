/* tests/check_gradcheck.c: the oracle itself, and mutation controls: the same checker
 * must reject deliberately wrong formulas on a clear majority of random cases while the
 * right formula passes on all of them. */
#include <math.h>
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

START_TEST(test_gradcheck_opts_defaults) {
    gp_gradcheck_opts o;
    gp_gradcheck_opts_default(&o);
    ck_assert_double_eq(o.h, 1e-4);
    ck_assert_double_eq(o.abserr_factor, 4.0);
    ck_assert_double_eq(o.atol, 1e-8);
    ck_assert_double_eq(o.rtol, 1e-6);
    ck_assert_uint_eq(o.n_worst, 5);
}
END_TEST

/* |g - d| <= factor abserr + atol + rtol max(|g|,|d|); worst offenders sorted; NaN fails.
 */
START_TEST(test_gradcheck_add_pass_rule) {
    gp_gradcheck_opts o;
    gp_gradcheck_report r;
    gp_gradcheck_opts_default(&o);
    gp_gradcheck_report_init(&r);
    ck_assert_uint_eq(r.n_checked, 0);
    ck_assert_uint_eq(r.n_worst, 0);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_W, 1, 0, 0, 1.0, 1.0 + 5e-7, 0.0),
                     1);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_W, 1, 0, 1, 1.0, 1.0 + 2e-6, 0.0),
                     0);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_B, 2, 3, 0, 0.0, 1e-6, 1e-6), 1);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_B, 2, 4, 0, 0.0, 5e-9, 0.0), 1);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_Z, 1, 2, 7, 0.5, -0.5, 0.0), 0);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_Z, 1, 5, 0, NAN, 0.5, 0.0), 0);
    ck_assert_int_eq(gp_gradcheck_add(&r, &o, GP_TENSOR_Z, 1, 6, 0, 0.5, NAN, 0.0), 0);
    ck_assert_uint_eq(r.n_checked, 7);
    ck_assert_uint_eq(r.n_failed, 4);
    ck_assert(r.max_abs_error >= 1.0 || isnan(r.max_abs_error));
    ck_assert_double_eq_tol(r.sum_abs_numeric,
                            1.0 + 5e-7 + 1.0 + 2e-6 + 1e-6 + 5e-9 + 0.5 + 0.5, 1e-12);
    ck_assert_uint_eq(r.n_worst, 5);
    /* the NaNs score infinity; then the sign flip (0.5 vs -0.5) */
    ck_assert(isinf(r.worst[0].score) && isinf(r.worst[1].score));
    ck_assert_uint_eq(r.worst[2].j, 2);
    ck_assert_uint_eq(r.worst[2].k, 7);
    ck_assert(r.worst[2].tensor == GP_TENSOR_Z);
    ck_assert_double_eq(r.worst[2].error, 1.0);
    ck_assert(r.worst[2].score > 1.0 && r.worst[3].score > 1.0 &&
              r.worst[4].score <= 1.0);
    ck_assert(r.worst[2].score >= r.worst[3].score &&
              r.worst[3].score >= r.worst[4].score);
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
        s->min_scale = 1e-2;
        s->max_scale = 3.0;
    }
    if (k == M_NO_TRANSPOSE) {
        s->min_L = 2;
        s->min_width = 2;
        s->square_hidden = 1;
    }
    if (k == M_HIDDEN_SIGMA_NOT_PRIME)
        s->min_L = 2;
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

/* One case: the right formula (must pass) and the mutant (should fail), same checker. */
static void run_mutant_case(mutant_kind k, size_t i, int full_scale, mutant_tally *t) {
    const gp_cost_type *base = mutant_base_cost(k, i);
    gp_cost_type mut = *base;
    tu_shape sh;
    gsl_rng *r =
        tu_rng_for_case(0x30A7 + 16 * (unsigned long)k + (unsigned long)full_scale, i);
    tu_case *c;
    gp_regularization reg = {0.0, 0.0, 0};
    gp_gradcheck_opts opts;
    gp_gradcheck_report good, bad;
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
    gp_gradcheck_opts_default(&opts);

    /* the right formula */
    ck_assert_int_eq(gp_total_gradient(c->net, c->X, c->Y, &reg, c->w, c->grad),
                     GSL_SUCCESS);
    gp_gradcheck_report_init(&good);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, &reg, c->grad, &opts, &good),
                     GSL_SUCCESS);
    tu_describe_worst(&good, msg, sizeof msg);
    ck_assert_msg(good.n_failed == 0,
                  "control for mutant '%s' failed, %s: %s; " TU_RERUN_FMT,
                  mutant_names[k], c->desc, msg, TU_RERUN_ARGS(i, "Mutants"));
    if (full_scale && good.sum_abs_numeric == 0) {
        /* Fully saturated (scale up to 10): the cost is flat in floating point, so no
         * formula can be told from another. Counted apart, not as a case. */
        t->no_signal++;
        tu_case_free(c);
        gsl_rng_free(r);
        return;
    }
    ck_assert_msg(good.sum_abs_numeric > 0, "no signal in %s; " TU_RERUN_FMT, c->desc,
                  TU_RERUN_ARGS(i, "Mutants"));

    /* the mutant */
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
        break;
    case M_NO_TRANSPOSE:
        status = tu_manual_backprop(c->net, c->X, c->Y, TU_BP_NO_TRANSPOSE, c->grad);
        break;
    case M_HIDDEN_SIGMA_NOT_PRIME:
        status = tu_manual_backprop(c->net, c->X, c->Y, TU_BP_SIGMA_NOT_PRIME, c->grad);
        break;
    case M_SUM_NOT_MEAN:
        status = tu_manual_backprop(c->net, c->X, c->Y, TU_BP_SUM, c->grad);
        break;
    case M_L2_NO_1_OVER_N:
    case M_L1_NO_SIGN:
    default:
        status = gp_backprop_batch(c->net, c->X, c->Y, c->w, c->grad);
        add_wrong_reg(k, c->net, &reg, c->grad);
        break;
    }
    ck_assert_int_eq(status, GSL_SUCCESS);
    gp_gradcheck_report_init(&bad);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, &reg, c->grad, &opts, &bad),
                     GSL_SUCCESS);
    ck_assert(bad.sum_abs_numeric > 0);
    t->cases++;
    t->rejected += bad.n_failed > 0;
    t->correct_failed += good.n_failed > 0;
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
        gp_gradcheck_opts opts;
        gp_gradcheck_report rep;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x2E20, i);
        c = tu_case_alloc(r, gp_cost_types[i % tu_n_costs()], &sh);
        gp_gradcheck_opts_default(&opts);
        gp_gradcheck_report_init(&rep);
        gsl_vector_set_zero(c->grad->params);
        ck_assert_int_eq(
            gp_gradcheck_params(c->net, c->X, c->Y, NULL, c->grad, &opts, &rep),
            GSL_SUCCESS);
        ck_assert(rep.sum_abs_numeric > 0);
        rejected += rep.n_failed > 0;
        cases++;
        tu_case_free(c);
        gsl_rng_free(r);
    }
    printf("GP-MUTANT %-52s rejected %3zu/%zu\n", "all-zero gradient", rejected, cases);
    if (getenv("GP_CASE") == NULL)
        ck_assert_uint_ge(rejected * 10, cases * 9);
}
END_TEST

static Suite *make_gradcheck_suite(void) {
    Suite *s = suite_create("gradcheck");
    TCase *core = tcase_create("Core"), *muts = tcase_create("Mutants");
    tcase_add_test(core, test_gradcheck_opts_defaults);
    tcase_add_test(core, test_gradcheck_add_pass_rule);
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
