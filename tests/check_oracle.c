/* check_oracle.c: the generic checks (gp_fcheck_*) and the network oracle. */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#define N_COSTS 4
#ifndef CASES_PER_COST
#define CASES_PER_COST 40
#endif

/* ---- a network's total cost as a gp_function_fdf of its params block ---- */

typedef struct {
    gp_network *net;
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    gp_backprop_workspace *w;
    gp_gradient *g;
    double wrong; /* added to every gradient entry of the last bias (a wrong formula) */
} net_fn;

static double net_f(const gsl_vector *x, void *vp) {
    net_fn *p = vp;
    double c;
    gsl_vector_memcpy(p->net->p.params, x);
    return gp_total_cost(p->net, p->X, p->Y, p->reg, p->w, &c) ? NAN : c;
}

static int net_df(const gsl_vector *x, void *vp, gsl_vector *g) {
    net_fn *p = vp;
    gsl_vector_memcpy(p->net->p.params, x);
    int status = gp_total_gradient(p->net, p->X, p->Y, p->reg, p->w, p->g);
    gsl_vector_memcpy(g, p->g->params);
    gsl_vector_view b = gsl_vector_subvector(
        g, gp_params_offset(&p->net->p, p->net->p.L, 0), p->net->p.sizes[p->net->p.L]);
    gsl_vector_add_constant(&b.vector, p->wrong);
    return status;
}

/* One random case: network, data, regularisation (on odd seeds), rng seeded by seed. */
typedef struct {
    gsl_rng *rng;
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    gp_backprop_workspace *w;
    gp_gradient *g;
} rcase;

static void rcase_make(rcase *c, const gp_cost_type *cost, unsigned long seed) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    c->rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(c->rng, seed);
    ck_assert_int_eq(gp_case_random(c->rng, cost, &co, &c->net, &c->X, &c->Y, NULL), 0);
    memset(&c->reg, 0, sizeof c->reg);
    if (seed % 2) {
        c->reg.lambda = 0.3817 * (1 + (double)(seed % 7));
        c->reg.l1 = 0.1729 * (double)(seed % 3);
        c->reg.n = seed % 5 ? 0 : 50;
    }
    c->w = gp_backprop_workspace_alloc(c->net, c->X->size2);
    c->g = gp_gradient_alloc(c->net);
    ck_assert_ptr_nonnull(c->w);
    ck_assert_ptr_nonnull(c->g);
    ck_assert_int_eq(gp_total_gradient(c->net, c->X, c->Y, &c->reg, c->w, c->g), 0);
}

static void rcase_free(rcase *c) {
    gp_gradient_free(c->g);
    gp_backprop_workspace_free(c->w);
    gp_network_free(c->net);
    gsl_matrix_free(c->X);
    gsl_matrix_free(c->Y);
    gsl_rng_free(c->rng);
}

/* ---- the oracle's incremental cost equals a full forward pass ---- */

START_TEST(test_oracle_perturbed_cost_equals_total_cost) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9100 + (unsigned long)_i);
    gp_oracle *o = gp_oracle_alloc(c.net, c.X, c.Y, &c.reg);
    ck_assert_ptr_nonnull(o);
    double full;
    ck_assert_int_eq(gp_total_cost(c.net, c.X, c.Y, &c.reg, c.w, &full), 0);
    ck_assert_double_eq_tol(gp_oracle_cost(o), full, 1e-13 * (1 + fabs(full)));
    gp_network *pert = gp_network_clone(c.net);
    for (int q = 0; q < 30; q++) {
        size_t i = gsl_rng_uniform_int(c.rng, c.net->p.n_params);
        double w0 = gsl_vector_get(c.net->p.params, i);
        /* Small steps as in a stencil, and large ones that move saturated units. */
        double t = q % 3 == 0 ? w0 + 1e-5 * gsl_ran_gaussian(c.rng, 1.0)
                              : w0 + gsl_ran_gaussian(c.rng, q % 3 == 1 ? 1.0 : 10.0);
        double fast;
        ck_assert_int_eq(gp_oracle_perturbed_cost(o, i, t, &fast), 0);
        gsl_vector_set(pert->p.params, i, t);
        ck_assert_int_eq(gp_total_cost(pert, c.X, c.Y, &c.reg, c.w, &full), 0);
        gsl_vector_set(pert->p.params, i, w0);
        /* Rounding: both sum the same per-sample costs in different orders. */
        ck_assert_msg(fabs(fast - full) <= 1e-12 * (1 + fabs(full)),
                      "param %zu t %.17g: fast %.17g full %.17g", i, t, fast, full);
    }
    gp_network_free(pert);
    gp_oracle_free(o);
    rcase_free(&c);
}
END_TEST

START_TEST(test_oracle_check_passes_right_gradient) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9300 + (unsigned long)_i);
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(c.net);
    ck_assert_int_eq(gp_oracle_check_network(c.net, c.X, c.Y, &c.reg, c.g, &opts, r), 0);
    ck_assert_uint_eq(r->n_checked, c.net->p.n_params);
    ck_assert_msg(r->n_failed == 0,
                  "%zu failed; worst %s[%zu] analytic %.17g numeric %.17g", r->n_failed,
                  r->tensors[r->worst[0].tensor].name, r->worst[0].index,
                  r->worst[0].analytic, r->worst[0].numeric);
    ck_assert_double_gt(r->sum_abs_numeric, 0);
    gp_fcheck_report_free(r);
    rcase_free(&c);
}
END_TEST

/* A wrong entry, off by 1e-3 relative plus 1e-6 (1 + C) (the numerical derivative's
 * rounding noise grows with the cost C), is caught and named. */
START_TEST(test_oracle_check_names_wrong_entry) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9500 + (unsigned long)_i);
    size_t i = gsl_rng_uniform_int(c.rng, c.net->p.n_params);
    double cost;
    ck_assert_int_eq(gp_total_cost(c.net, c.X, c.Y, &c.reg, c.w, &cost), 0);
    double gi = gsl_vector_get(c.g->params, i);
    gsl_vector_set(c.g->params, i, gi + 1e-3 * fabs(gi) + 1e-6 * (1 + fabs(cost)));
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(c.net);
    ck_assert_int_eq(gp_oracle_check_network(c.net, c.X, c.Y, &c.reg, c.g, &opts, r), 0);
    ck_assert_uint_ge(r->n_failed, 1);
    ck_assert_uint_eq(r->worst[0].coord, i);
    size_t l, j, k;
    int is_w;
    gp_params_locate(&c.net->p, i, &l, &is_w, &j, &k);
    char name[24];
    snprintf(name, sizeof name, "%c%zu", is_w ? 'W' : 'b', l);
    ck_assert_str_eq(r->tensors[r->worst[0].tensor].name, name);
    ck_assert_uint_eq(r->tensors[r->worst[0].tensor].n_failed, r->n_failed);
    gp_fcheck_report_free(r);
    rcase_free(&c);
}
END_TEST

/* Two reports are equal entry for entry (bitwise: same numbers in the same order). */
static int reports_equal(const gp_fcheck_report *a, const gp_fcheck_report *b) {
    if (a->n_checked != b->n_checked || a->n_failed != b->n_failed ||
        a->n_inconclusive != b->n_inconclusive || a->n_worst != b->n_worst ||
        a->n_tensors != b->n_tensors ||
        memcmp(&a->max_abs_error, &b->max_abs_error, sizeof(double)) ||
        memcmp(&a->max_rel_error, &b->max_rel_error, sizeof(double)) ||
        memcmp(&a->sum_abs_numeric, &b->sum_abs_numeric, sizeof(double)) ||
        memcmp(a->worst, b->worst, a->n_worst * sizeof a->worst[0]))
        return 0;
    for (size_t t = 0; t < a->n_tensors; t++) {
        const gp_fcheck_tensor *x = &a->tensors[t], *y = &b->tensors[t];
        if (x->n_checked != y->n_checked || x->n_failed != y->n_failed ||
            memcmp(&x->scale, &y->scale, sizeof(double)) ||
            memcmp(&x->max_abs_error, &y->max_abs_error, sizeof(double)) ||
            memcmp(&x->max_rel_error, &y->max_rel_error, sizeof(double)) ||
            memcmp(&x->max_score, &y->max_score, sizeof(double)))
            return 0;
    }
    return 1;
}

/* The full check split in parameter ranges computed apart (as MPI ranks do in
 * `oracle --self-check`) and judged together gives gp_oracle_check's report; a wrong
 * entry is planted so that the report has failures. Control: one changed numerical
 * derivative changes the report. */
START_TEST(test_oracle_split_check_equals_whole) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9900 + (unsigned long)_i);
    size_t n = c.net->p.n_params, wrong = gsl_rng_uniform_int(c.rng, n);
    gsl_vector_set(c.g->params, wrong, gsl_vector_get(c.g->params, wrong) * 1.01 + 1e-3);
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    gp_oracle *o = gp_oracle_alloc(c.net, c.X, c.Y, &c.reg);
    gp_fcheck_report *whole = gp_oracle_report_alloc(c.net),
                     *split = gp_oracle_report_alloc(c.net);
    double *num = malloc(2 * n * sizeof *num);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(num);
    ck_assert_int_eq(gp_oracle_check(o, c.g, &opts, whole, NULL), 0);
    ck_assert_uint_ge(whole->n_failed, 1);
    /* Three uneven ranges, the middle one possibly empty. */
    size_t a = n / 3, b = a + (size_t)_i % (n - a + 1);
    ck_assert_int_eq(gp_oracle_numeric(o, &opts, 0, a, num, NULL), 0);
    ck_assert_int_eq(gp_oracle_numeric(o, &opts, a, b, num + 2 * a, NULL), 0);
    ck_assert_int_eq(gp_oracle_numeric(o, &opts, b, n, num + 2 * b, NULL), 0);
    ck_assert_int_eq(gp_oracle_check_given(o, c.g, &opts, num, split), 0);
    ck_assert_msg(reports_equal(whole, split), "split at %zu, %zu of %zu", a, b, n);
    num[2 * wrong] += 1e-3 * (1 + fabs(num[2 * wrong]));
    gp_fcheck_report_reset(split);
    ck_assert_int_eq(gp_oracle_check_given(o, c.g, &opts, num, split), 0);
    ck_assert(!reports_equal(whole, split));
    ck_assert_int_eq(gp_oracle_numeric(o, &opts, b, n + 1, num, NULL), GSL_EINVAL);
    free(num);
    gp_fcheck_report_free(whole);
    gp_fcheck_report_free(split);
    gp_oracle_free(o);
    rcase_free(&c);
}
END_TEST

/* The check engine's full check with the kink rule, split in parameter ranges computed
 * apart (as MPI ranks do in `oracle --self-check` of a ReLU network) and judged together
 * with the summed kink count, gives gp_gradcheck_params's report, n_at_kink included.
 * Cases of ReLU and leaky ReLU hidden layers with a unit exactly on its kink, so some
 * entries are taken at a kink. Control: one changed derivative changes the report. */
START_TEST(test_gradcheck_split_equals_whole_at_kinks) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 9500 + (unsigned long)_i);
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = 2;
    co.scale_max = 3;
    co.activation = _i % 2 ? &gp_activation_leaky_relu : &gp_activation_relu;
    co.kink = GP_CASE_KINK_ON;
    gp_network *net;
    gsl_matrix *X, *Y;
    ck_assert_int_eq(
        gp_case_random(rng, gp_cost_types[_i % N_COSTS], &co, &net, &X, &Y, NULL), 0);
    size_t n = net->p.n_params, a = n / 3, b = a + (size_t)_i % (n - a + 1), k0 = 0,
           k1 = 0;
    gp_regularization reg = {0.5, _i % 3 ? 0.25 : 0, 0};
    gp_gradient *g = gp_gradient_alloc(net);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, X->size2);
    ck_assert_int_eq(gp_total_gradient(net, X, Y, &reg, w, g), 0);
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *whole = gp_oracle_report_alloc(net),
                     *split = gp_oracle_report_alloc(net);
    double *num = malloc(2 * n * sizeof *num);
    ck_assert_int_eq(gp_gradcheck_params(net, X, Y, &reg, g, &opts, whole), 0);
    ck_assert_int_eq(gp_gradcheck_params_numeric(net, X, Y, &reg, &opts, 0, a, num, &k0),
                     0);
    ck_assert_int_eq(
        gp_gradcheck_params_numeric(net, X, Y, &reg, &opts, a, b, num + 2 * a, &k1), 0);
    ck_assert_int_eq(
        gp_gradcheck_params_numeric(net, X, Y, &reg, &opts, b, n, num + 2 * b, &k1), 0);
    ck_assert_int_eq(
        gp_gradcheck_params_given(net, X, Y, &reg, g, &opts, num, k0 + k1, split), 0);
    ck_assert_msg(reports_equal(whole, split), "split at %zu, %zu of %zu", a, b, n);
    ck_assert_uint_gt(whole->n_at_kink, 0);
    ck_assert_uint_eq(whole->n_at_kink, split->n_at_kink);
    size_t q = gsl_rng_uniform_int(rng, n);
    num[2 * q] += 1e-3 * (1 + fabs(num[2 * q]));
    gp_fcheck_report_reset(split);
    ck_assert_int_eq(
        gp_gradcheck_params_given(net, NULL, NULL, NULL, g, &opts, num, k0 + k1, split),
        0);
    ck_assert(!reports_equal(whole, split));
    ck_assert_uint_eq(split->n_failed, 1);
    /* With the case, the default derives the failing entry again (its noise measured):
     * the fresh derivative agrees with g, so the two differences cannot be told apart. */
    gp_fcheck_report_reset(split);
    ck_assert_int_eq(
        gp_gradcheck_params_given(net, X, Y, &reg, g, &opts, num, k0 + k1, split), 0);
    ck_assert_uint_eq(split->n_failed, 0);
    ck_assert_uint_eq(split->n_inconclusive, 1);
    ck_assert_int_eq(
        gp_gradcheck_params_numeric(net, X, Y, &reg, &opts, b, n + 1, num, NULL),
        GSL_EINVAL);
    free(num);
    gp_fcheck_report_free(whole);
    gp_fcheck_report_free(split);
    gp_backprop_workspace_free(w);
    gp_gradient_free(g);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

/* The oracle and the generic full check (plain gsl_deriv_central on full forward
 * passes) agree. */
START_TEST(test_oracle_agrees_with_generic_full_check) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9700 + (unsigned long)_i);
    /* The generic check knows nothing of the L1 kink at w = 0 (the oracle does). */
    c.reg.l1 = 0;
    gp_total_gradient(c.net, c.X, c.Y, &c.reg, c.w, c.g);
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r1 = gp_oracle_report_alloc(c.net),
                     *r2 = gp_oracle_report_alloc(c.net);
    ck_assert_int_eq(gp_oracle_check_network(c.net, c.X, c.Y, &c.reg, c.g, &opts, r1), 0);
    gp_network *copy = gp_network_clone(c.net);
    net_fn p = {copy, c.X, c.Y, &c.reg, c.w, gp_gradient_alloc(c.net), 0};
    gp_function_fdf F = {c.net->p.n_params, net_f, net_df, &p};
    ck_assert_int_eq(gp_fcheck_full(&F, c.net->p.params, &opts, r2), 0);
    ck_assert_uint_eq(r1->n_failed, 0);
    ck_assert_msg(r2->n_failed == 0,
                  "%zu failed; worst %s[%zu] analytic %.17g numeric %.17g abserr %g",
                  r2->n_failed, r2->tensors[r2->worst[0].tensor].name, r2->worst[0].index,
                  r2->worst[0].analytic, r2->worst[0].numeric, r2->worst[0].abserr);
    for (size_t t = 0; t < r1->n_tensors; t++)
        ck_assert_double_eq_tol(r1->tensors[t].scale, r2->tensors[t].scale,
                                1e-6 * (1e-3 + r2->tensors[t].scale));
    gp_gradient_free(p.g);
    gp_network_free(copy);
    gp_fcheck_report_free(r1);
    gp_fcheck_report_free(r2);
    rcase_free(&c);
}
END_TEST

/* ---- generic checks on a network's cost ---- */

static void net_fdf(rcase *c, net_fn *p, gp_function_fdf *F, double wrong) {
    p->net = gp_network_clone(c->net);
    p->X = c->X;
    p->Y = c->Y;
    p->reg = &c->reg;
    p->w = c->w;
    p->g = gp_gradient_alloc(c->net);
    p->wrong = wrong;
    F->n = c->net->p.n_params;
    F->f = net_f;
    F->df = net_df;
    F->params = p;
}

static void net_fdf_free(net_fn *p) {
    gp_gradient_free(p->g);
    gp_network_free(p->net);
}

START_TEST(test_sampled_check_visits_every_tensor) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9900 + (unsigned long)_i);
    net_fn p;
    gp_function_fdf F;
    net_fdf(&c, &p, &F, 0);
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(c.net),
                     *r2 = gp_oracle_report_alloc(c.net);
    size_t budget = 3;
    ck_assert_int_eq(gp_fcheck_sampled(&F, c.net->p.params, budget, 42, &opts, r), 0);
    for (size_t t = 0; t < r->n_tensors; t++)
        ck_assert_uint_ge(r->tensors[t].n_checked, 1);
    ck_assert_uint_eq(r->n_checked, budget > r->n_tensors ? budget : r->n_tensors);
    ck_assert_uint_eq(r->n_failed, 0);
    /* Same seed, same coordinates. */
    ck_assert_int_eq(gp_fcheck_sampled(&F, c.net->p.params, budget, 42, &opts, r2), 0);
    ck_assert_uint_eq(r->n_worst, r2->n_worst);
    for (size_t q = 0; q < r->n_worst; q++)
        ck_assert_uint_eq(r->worst[q].coord, r2->worst[q].coord);
    /* A budget beyond the size checks everything. */
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_sampled(&F, c.net->p.params, 1000000, 1, &opts, r), 0);
    ck_assert_uint_eq(r->n_checked, c.net->p.n_params);
    gp_fcheck_report_free(r);
    gp_fcheck_report_free(r2);
    net_fdf_free(&p);
    rcase_free(&c);
}
END_TEST

START_TEST(test_directional_check_right_and_wrong) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 10100 + (unsigned long)_i);
    net_fn p;
    gp_function_fdf F;
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(c.net);
    net_fdf(&c, &p, &F, 0);
    ck_assert_int_eq(gp_fcheck_directional(&F, c.net->p.params, 8, 7, &opts, r), 0);
    ck_assert_uint_eq(r->directions.n_checked, 8);
    ck_assert_uint_eq(r->n_failed, 0);
    net_fdf_free(&p);
    /* A constant 0.05 added to dC/db^L is wrong along almost every direction. */
    gp_fcheck_report_reset(r);
    net_fdf(&c, &p, &F, 0.05);
    ck_assert_int_eq(gp_fcheck_directional(&F, c.net->p.params, 8, 7, &opts, r), 0);
    ck_assert_uint_ge(r->directions.n_failed, 1);
    ck_assert(r->worst[0].tensor == GP_FCHECK_DIRECTIONS);
    net_fdf_free(&p);
    gp_fcheck_report_free(r);
    rcase_free(&c);
}
END_TEST

START_TEST(test_taylor_order_two_for_right_one_for_wrong) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 10300 + (unsigned long)_i);
    /* L1 makes the cost kinked at w = 0, where no order is defined. */
    c.reg.l1 = 0;
    gp_total_gradient(c.net, c.X, c.Y, &c.reg, c.w, c.g);
    net_fn p;
    gp_function_fdf F;
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_taylor_result res;
    net_fdf(&c, &p, &F, 0);
    ck_assert_int_eq(gp_fcheck_taylor(&F, c.net->p.params, 3, &opts, &res), 0);
    ck_assert_msg(res.verdict != GP_TAYLOR_FAIL, "right gradient: order %g", res.order);
    if (res.verdict == GP_TAYLOR_PASS)
        ck_assert_double_gt(res.order, 1.8);
    net_fdf_free(&p);
    net_fdf(&c, &p, &F, 0.05);
    ck_assert_int_eq(gp_fcheck_taylor(&F, c.net->p.params, 3, &opts, &res), 0);
    ck_assert_msg(res.verdict == GP_TAYLOR_FAIL, "wrong gradient: verdict %d order %g",
                  res.verdict, res.order);
    ck_assert_double_lt(fabs(res.order - 1), 0.2);
    net_fdf_free(&p);
    rcase_free(&c);
}
END_TEST

/* ---- a function of known gradient; float32 awareness ---- */

/* f(x) = sum_i sin(x_i) x_{i+1} + 0.5 x_i^2; g is rounded to float when params says so.
 */
typedef struct {
    int as_float;
    size_t bad;   /* coordinate made wrong, or (size_t)-1 */
    double scale; /* factor applied to it */
} toy;

static double toy_f(const gsl_vector *x, void *vp) {
    (void)vp;
    double s = 0;
    for (size_t i = 0; i < x->size; i++) {
        double xi = gsl_vector_get(x, i), xn = gsl_vector_get(x, (i + 1) % x->size);
        s += sin(xi) * xn + 0.5 * xi * xi;
    }
    return s;
}

static int toy_df(const gsl_vector *x, void *vp, gsl_vector *g) {
    const toy *t = vp;
    size_t n = x->size;
    for (size_t i = 0; i < n; i++) {
        double xi = gsl_vector_get(x, i), xn = gsl_vector_get(x, (i + 1) % n),
               xp = gsl_vector_get(x, (i + n - 1) % n);
        double gi = cos(xi) * xn + sin(xp) + xi;
        if (i == t->bad)
            gi *= t->scale;
        gsl_vector_set(g, i, t->as_float ? (double)(float)gi : gi);
    }
    return GSL_SUCCESS;
}

START_TEST(test_full_check_precision_aware) {
    size_t n = 12;
    gsl_vector *x = gsl_vector_alloc(n);
    for (size_t i = 0; i < n; i++)
        gsl_vector_set(x, i, 0.3817 * (double)i - 1.9);
    gp_tensor_range t[2] = {{"A", 0, 8, 4, GP_TENSOR_OTHER, 0},
                            {"c", 8, 4, 0, GP_TENSOR_OTHER, 0}};
    gp_fcheck_report *r = gp_fcheck_report_alloc(t, 2);
    gp_fcheck_opts o64, o32;
    gp_fcheck_opts_default(&o64, GP_FLOAT64);
    gp_fcheck_opts_default(&o32, GP_FLOAT32);
    toy tp = {0, (size_t)-1, 1};
    gp_function_fdf F = {n, toy_f, toy_df, &tp};
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o64, r), 0);
    ck_assert_uint_eq(r->n_checked, n);
    ck_assert_uint_eq(r->n_failed, 0);
    /* A 1e-5 relative error fails the float64 bounds and passes float32's; so does
     * float32 rounding of g. */
    tp.bad = 3;
    tp.scale = 1 + 1e-5;
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o64, r), 0);
    ck_assert_uint_eq(r->n_failed, 1);
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o32, r), 0);
    ck_assert_uint_eq(r->n_failed, 0);
    tp.as_float = 1;
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o32, r), 0);
    ck_assert_uint_eq(r->n_failed, 0);
    /* A 1% error is caught under float32 bounds and named: c[1] is coordinate 9. */
    tp.bad = 9;
    tp.scale = 1.01;
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o32, r), 0);
    ck_assert_uint_eq(r->n_failed, 1);
    ck_assert_uint_eq(r->worst[0].tensor, 1);
    ck_assert_uint_eq(r->worst[0].index, 1);
    ck_assert_str_eq(r->tensors[1].name, "c");
    ck_assert_uint_eq(r->tensors[0].n_failed, 0);
    gp_fcheck_report_free(r);
    gsl_vector_free(x);
}
END_TEST

/* ---- a noisy function: the engines with the measured noise (opts.noise) ---- */

/* f(x) = 1 + c sum_i sin(x_i) + a u(x), u uniform in [-1, 1] from a hash of x's bits:
 * deterministic computational noise of standard deviation a / sqrt(3), as a
 * simulation's (More and Wild's test problems). g = c cos(x_i), times `wrong`. */
typedef struct {
    double c, a, wrong;
} noisy;

static double noisy_f(const gsl_vector *x, void *vp) {
    const noisy *p = vp;
    uint64_t h = 0xcbf29ce484222325ULL;
    double s = 0;
    for (size_t i = 0; i < x->size; i++) {
        double xi = gsl_vector_get(x, i);
        uint64_t bits;
        memcpy(&bits, &xi, sizeof bits);
        h = (h ^ bits) * 0x100000001b3ULL;
        h ^= h >> 29;
        s += sin(xi);
    }
    h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
    double u = (double)(h >> 11) * 0x1p-53 * 2 - 1;
    return 1 + p->c * s + p->a * u;
}

static int noisy_df(const gsl_vector *x, void *vp, gsl_vector *g) {
    const noisy *p = vp;
    for (size_t i = 0; i < x->size; i++)
        gsl_vector_set(g, i, p->wrong * p->c * cos(gsl_vector_get(x, i)));
    return GSL_SUCCESS;
}

/* The engines on noisy f, fixed x (the noise is a function of x: deterministic).
 * Without opts.noise (one ulp assumed) the right gradient fails: falsely. With it:
 * (a) noise 1e-9 on a gradient of size 1: the right one passes with >= 2 digits, a 1 %
 * error and 0 fail, Taylor's order is 2 for the right one and 1 for a wrong one;
 * (b) noise 1e-4 on a gradient of size 1e-3 (a finite difference cannot resolve it):
 * right, doubled and zero gradients are all inconclusive, never pass or fail, and so
 * is Taylor's verdict; (c) the noiseless toy_f still passes, nothing inconclusive. */
static void noisy_run(noisy *p, int noise, gp_fcheck_report *r, gp_taylor_result *tr) {
    gsl_vector *x = gsl_vector_alloc(6);
    for (size_t i = 0; i < x->size; i++)
        gsl_vector_set(x, i, 0.3817 * (double)i - 0.9);
    gp_function_fdf F = {x->size, noisy_f, noisy_df, p};
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    o.noise = noise;
    gp_fcheck_report_reset(r);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o, r), 0);
    ck_assert_int_eq(gp_fcheck_directional(&F, x, 4, 3, &o, r), 0);
    ck_assert_int_eq(gp_fcheck_taylor(&F, x, 3, &o, tr), 0);
    gsl_vector_free(x);
}

/* The full check of the noiseless toy_f (12 variables, a right gradient) with the
 * given noise mode; the caller frees the report. */
static gp_fcheck_report *toy_noiseless_check(gp_noise noise) {
    gsl_vector *x = gsl_vector_alloc(12);
    for (size_t i = 0; i < 12; i++)
        gsl_vector_set(x, i, 0.3817 * (double)i - 1.9);
    gp_fcheck_report *r = gp_fcheck_report_alloc(NULL, 12);
    toy tp = {0, (size_t)-1, 1};
    gp_function_fdf F = {12, toy_f, toy_df, &tp};
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    o.noise = noise;
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o, r), 0);
    gsl_vector_free(x);
    return r;
}

START_TEST(test_noise_aware_check_right_wrong_inconclusive) {
    gp_fcheck_report *r = gp_fcheck_report_alloc(NULL, 6);
    gp_taylor_result tr;
    noisy mild = {1, 1e-9, 1}, loud = {1e-3, 1e-4, 1};
    noisy_run(&mild, 0, r, &tr);
    ck_assert_uint_gt(r->n_failed, 0); /* the old engine: a false failure */
    ck_assert_int_eq(tr.verdict, GP_TAYLOR_FAIL);
    noisy_run(&loud, 0, r, &tr);
    ck_assert_uint_gt(r->n_failed, 0);
    /* (a) */
    noisy_run(&mild, 1, r, &tr);
    ck_assert_uint_eq(r->n_checked, 10);
    ck_assert_uint_eq(r->n_failed + r->n_inconclusive, 0);
    ck_assert_double_ge(r->min_digits, 2);
    ck_assert_int_eq(tr.verdict, GP_TAYLOR_PASS);
    ck_assert_double_gt(tr.order, 1.8);
    ck_assert(tr.noise > 1e-10 && tr.noise < 1e-9);
    for (int k = 0; k < 2; k++) {
        mild.wrong = k ? 0 : 1.01;
        noisy_run(&mild, 1, r, &tr);
        ck_assert_uint_eq(r->tensors[0].n_failed, 6);
        ck_assert_int_eq(tr.verdict, GP_TAYLOR_FAIL);
    }
    /* (b) */
    for (int k = 0; k < 3; k++) {
        loud.wrong = k == 0 ? 1 : k == 1 ? 2 : 0;
        noisy_run(&loud, 1, r, &tr);
        ck_assert_uint_eq(r->n_failed, 0);
        ck_assert_uint_eq(r->n_inconclusive, 10);
        ck_assert_double_lt(r->min_digits, 1);
        ck_assert_int_eq(tr.verdict, GP_TAYLOR_INCONCLUSIVE);
    }
    size_t n_inc = r->n_inconclusive, n_all = r->n_checked;
    double loud_noise = tr.noise;
    mild.wrong = 1;
    noisy_run(&mild, 1, r, &tr);
    printf("GP-STAT oracle/noise: noise 1e-9 on |g| ~ 1: right passes, %.2f digits; "
           "noise 1e-4 on |g| ~ 1e-3: %zu/%zu inconclusive, taylor noise %.3g\n",
           r->min_digits, n_inc, n_all, loud_noise);
    gp_fcheck_report_free(r);
    /* (c) */
    r = toy_noiseless_check(GP_NOISE_FULL);
    ck_assert_uint_eq(r->n_failed + r->n_inconclusive, 0);
    ck_assert_double_ge(r->min_digits, 6);
    gp_fcheck_report_free(r);
}
END_TEST

/* The default, GP_NOISE_FAILING, on the same noisy f: the noise is measured only for
 * entries the one-ulp rule fails. (a) noise 1e-9, right gradient: the false failures of
 * the one-ulp rule become inconclusive (never pass), nothing fails, Taylor inconclusive;
 * a 1 % error or 0 still fails on all 6 coordinates and in Taylor; (b) noise 1e-4:
 * right, doubled and zero gradients are inconclusive wherever the one-ulp rule failed,
 * none fails; (c) the noiseless toy_f: nothing failing, nothing measured. */
START_TEST(test_noise_of_failing_entries_by_default) {
    gp_fcheck_report *r = gp_fcheck_report_alloc(NULL, 6);
    gp_taylor_result tr;
    noisy mild = {1, 1e-9, 1}, loud = {1e-3, 1e-4, 1};
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    ck_assert_int_eq(o.noise, GP_NOISE_FAILING);
    noisy_run(&mild, GP_NOISE_OFF, r, &tr);
    size_t one_ulp_failed = r->n_failed;
    noisy_run(&mild, GP_NOISE_FAILING, r, &tr);
    ck_assert_uint_gt(one_ulp_failed, 0);
    ck_assert_uint_eq(r->n_failed, 0);
    ck_assert_uint_eq(r->n_inconclusive, one_ulp_failed);
    ck_assert_double_ge(r->min_digits, 2); /* the inconclusive entries' digits */
    ck_assert_int_eq(tr.verdict, GP_TAYLOR_INCONCLUSIVE);
    ck_assert(tr.noise > 1e-10 && tr.noise < 1e-9);
    for (int k = 0; k < 2; k++) {
        mild.wrong = k ? 0 : 1.01;
        noisy_run(&mild, GP_NOISE_FAILING, r, &tr);
        ck_assert_uint_eq(r->tensors[0].n_failed, 6);
        ck_assert_uint_eq(r->n_inconclusive, 0);
        ck_assert_int_eq(tr.verdict, GP_TAYLOR_FAIL);
    }
    for (int k = 0; k < 3; k++) {
        loud.wrong = k == 0 ? 1 : k == 1 ? 2 : 0;
        noisy_run(&loud, GP_NOISE_OFF, r, &tr);
        one_ulp_failed = r->n_failed;
        noisy_run(&loud, GP_NOISE_FAILING, r, &tr);
        ck_assert_uint_gt(one_ulp_failed, 0);
        ck_assert_uint_eq(r->n_failed, 0);
        ck_assert_uint_eq(r->n_inconclusive, one_ulp_failed);
        ck_assert_int_ne(tr.verdict, GP_TAYLOR_PASS);
    }
    gp_fcheck_report_free(r);
    r = toy_noiseless_check(o.noise);
    ck_assert_uint_eq(r->n_failed + r->n_inconclusive, 0);
    gp_fcheck_report_free(r);
}
END_TEST

/* What the default costs: the oracle's full check of 40 random cases (every cost, half
 * regularised) counts its cost evaluations with the noise off, the default and the
 * full mode. A right gradient: the default evaluates exactly as often as the noise
 * off and gives the same verdicts (none failing, none inconclusive). One entry wrong
 * by 1e-3 relative (test_oracle_check_names_wrong_entry's): it still fails, never
 * inconclusive, and only the failing entries are derived again. */
START_TEST(test_noise_default_costs_nothing_on_right_gradients) {
    size_t evals[3] = {0}, wrong_evals[2] = {0}, n_params = 0, n_fail = 0, moved = 0;
    const gp_noise modes[3] = {GP_NOISE_OFF, GP_NOISE_FAILING, GP_NOISE_FULL};
    for (unsigned long q = 0; q < 40; q++) {
        rcase c;
        rcase_make(&c, gp_cost_types[q % N_COSTS], 12100 + q);
        gp_oracle *o = gp_oracle_alloc(c.net, c.X, c.Y, &c.reg);
        gp_fcheck_report *r = gp_oracle_report_alloc(c.net);
        gp_fcheck_opts opts;
        gp_oracle_opts_default(&opts, GP_FLOAT64);
        n_params += c.net->p.n_params;
        for (int m = 0; m < 3; m++) {
            opts.noise = modes[m];
            gp_fcheck_report_reset(r);
            ck_assert_int_eq(gp_oracle_check(o, c.g, &opts, r, &evals[m]), 0);
            if (m < 2)
                ck_assert_uint_eq(r->n_failed + r->n_inconclusive, 0);
        }
        size_t i = gsl_rng_uniform_int(c.rng, c.net->p.n_params);
        double cost, gi = gsl_vector_get(c.g->params, i);
        ck_assert_int_eq(gp_total_cost(c.net, c.X, c.Y, &c.reg, c.w, &cost), 0);
        gsl_vector_set(c.g->params, i, gi + 1e-3 * fabs(gi) + 1e-6 * (1 + fabs(cost)));
        size_t failed[2];
        for (int m = 0; m < 2; m++) {
            opts.noise = modes[m];
            gp_fcheck_report_reset(r);
            ck_assert_int_eq(gp_oracle_check(o, c.g, &opts, r, &wrong_evals[m]), 0);
            failed[m] = r->n_failed;
            ck_assert_uint_ge(r->n_failed, 1);
        }
        ck_assert_uint_eq(r->n_inconclusive, 0);
        n_fail += failed[0];
        moved += failed[0] - failed[1];
        gp_fcheck_report_free(r);
        gp_oracle_free(o);
        rcase_free(&c);
    }
    ck_assert_uint_eq(evals[1], evals[0]);
    ck_assert_uint_gt(evals[2], evals[0]);
    ck_assert_uint_eq(moved, 0);
    printf("GP-STAT oracle/noise-default: evaluations per parameter, right gradients "
           "(%zu parameters, 40 cases): off %.2f, default %.2f, full %.2f; one wrong "
           "entry per case: off %.2f, default %.2f (%zu failing entries derived again, "
           "%zu became inconclusive)\n",
           n_params, (double)evals[0] / (double)n_params,
           (double)evals[1] / (double)n_params, (double)evals[2] / (double)n_params,
           (double)wrong_evals[0] / (double)n_params,
           (double)wrong_evals[1] / (double)n_params, n_fail, moved);
}
END_TEST

static double lin_f(const gsl_vector *x, void *vp) {
    (void)vp;
    return 2 * gsl_vector_get(x, 0) - 3 * gsl_vector_get(x, 1) + 0.5;
}

static int lin_df(const gsl_vector *x, void *vp, gsl_vector *g) {
    (void)x, (void)vp;
    gsl_vector_set(g, 0, 2);
    gsl_vector_set(g, 1, -3);
    return GSL_SUCCESS;
}

START_TEST(test_taylor_flat_for_affine_function) {
    gsl_vector *x = gsl_vector_alloc(2);
    gsl_vector_set(x, 0, 0.3817);
    gsl_vector_set(x, 1, -1.25);
    gp_function_fdf F = {2, lin_f, lin_df, NULL};
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    gp_taylor_result res;
    ck_assert_int_eq(gp_fcheck_taylor(&F, x, 1, &o, &res), 0);
    ck_assert_int_eq(res.verdict, GP_TAYLOR_FLAT);
    gsl_vector_free(x);
}
END_TEST

/* lin_f with a NaN planted in f (mode 1) or in the claimed gradient (mode 2). */
static double nan_f(const gsl_vector *x, void *vp) {
    return *(int *)vp == 1 ? NAN : lin_f(x, NULL);
}

static int nan_df(const gsl_vector *x, void *vp, gsl_vector *g) {
    lin_df(x, NULL, g);
    if (*(int *)vp == 2)
        gsl_vector_set(g, 1, NAN);
    return GSL_SUCCESS;
}

/* A NaN is no evidence of order 2: FAIL, never FLAT (gp_fcheck_full fails there too). */
START_TEST(test_taylor_fails_on_nan) {
    gsl_vector *x = gsl_vector_alloc(2);
    gsl_vector_set(x, 0, 0.3817);
    gsl_vector_set(x, 1, -1.25);
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    for (int mode = 1; mode <= 2; mode++) {
        gp_function_fdf F = {2, nan_f, nan_df, &mode};
        gp_taylor_result res;
        ck_assert_int_eq(gp_fcheck_taylor(&F, x, 1, &o, &res), 0);
        ck_assert_msg(res.verdict == GP_TAYLOR_FAIL, "mode %d: verdict %d", mode,
                      (int)res.verdict);
        gp_fcheck_report *r = gp_fcheck_report_alloc(NULL, 2);
        ck_assert_int_eq(gp_fcheck_full(&F, x, &o, r), 0);
        ck_assert_uint_gt(r->n_failed, 0);
        gp_fcheck_report_free(r);
    }
    gsl_vector_free(x);
}
END_TEST

/* The sampled check spends exactly its budget (at least one coordinate per tensor). */
START_TEST(test_sampled_check_spends_its_budget) {
    rcase c;
    rcase_make(&c, gp_cost_types[_i % N_COSTS], 9950 + (unsigned long)_i);
    net_fn p;
    gp_function_fdf F;
    net_fdf(&c, &p, &F, 0);
    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(c.net);
    size_t n = c.net->p.n_params;
    for (size_t budget = 1; budget <= n + 2; budget++) {
        gp_fcheck_report_reset(r);
        ck_assert_int_eq(gp_fcheck_sampled(&F, c.net->p.params, budget, budget, &opts, r),
                         0);
        size_t expect = budget < r->n_tensors ? r->n_tensors : budget > n ? n : budget;
        ck_assert_msg(r->n_checked == expect, "budget %zu of %zu: checked %zu", budget, n,
                      r->n_checked);
        for (size_t t = 0; t < r->n_tensors; t++)
            ck_assert_uint_ge(r->tensors[t].n_checked, 1);
    }
    gp_fcheck_report_free(r);
    net_fdf_free(&p);
    rcase_free(&c);
}
END_TEST

/* The oracle's re-evaluation uses the cost objects: log-likelihood at z = [40.5, 0]
 * is e^-40.5 = 2.58e-18 (cost.c's log1p branch), not 0. */
START_TEST(test_oracle_log_likelihood_tiny_cost) {
    size_t sizes[2] = {1, 2};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_log_likelihood);
    gsl_matrix *X = gsl_matrix_alloc(1, 1), *Y = gsl_matrix_calloc(2, 1);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 1);
    ck_assert(net && X && Y && w);
    gsl_vector_set_zero(net->p.params);
    gsl_vector_set(net->p.b[0], 0, 40.5);
    gsl_matrix_set(X, 0, 0, 1.0);
    gsl_matrix_set(Y, 0, 0, 1.0);
    gp_oracle *o = gp_oracle_alloc(net, X, Y, NULL);
    ck_assert_ptr_nonnull(o);
    /* W^1_00 moves z_0 to 40.5 + t: the perturbed cost is e^-(40.5+t) to rounding. */
    size_t i = gp_params_offset(&net->p, 1, 1);
    for (double t = -0.25; t <= 0.25; t += 0.125) {
        double c_oracle, c_total;
        ck_assert_int_eq(gp_oracle_perturbed_cost(o, i, t, &c_oracle), 0);
        gsl_matrix_set(net->p.w[0], 0, 0, t);
        ck_assert_int_eq(gp_total_cost(net, X, Y, NULL, w, &c_total), 0);
        ck_assert(c_total > 1e-18 && c_total < 4e-18);
        ck_assert_double_eq_tol(c_total, exp(-(40.5 + t)), 1e-12 * c_total);
        ck_assert_double_eq_tol(c_oracle, c_total, 1e-12 * c_total);
    }
    gp_oracle_free(o);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}
END_TEST

START_TEST(test_compare_names_tensor) {
    double ref[6] = {1, 2, 3, 4, 5, 1e-9}, cand[6];
    gp_tensor_range t[2] = {{"dW1", 0, 4, 2, GP_TENSOR_W, 1},
                            {"db1", 4, 2, 0, GP_TENSOR_B, 1}};
    gp_fcheck_report *r = gp_fcheck_report_alloc(t, 2);
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT32);
    for (int i = 0; i < 6; i++)
        cand[i] = (double)(float)ref[i];
    ck_assert_int_eq(gp_fcheck_compare(cand, ref, 6, &o, r), 0);
    ck_assert_uint_eq(r->n_failed, 0);
    cand[3] *= 1.01;
    gp_fcheck_report_reset(r);
    gp_fcheck_compare(cand, ref, 6, &o, r);
    ck_assert_uint_eq(r->n_failed, 1);
    ck_assert_uint_eq(r->worst[0].tensor, 0);
    ck_assert_uint_eq(r->worst[0].index, 3);
    cand[3] = NAN;
    gp_fcheck_report_reset(r);
    gp_fcheck_compare(cand, ref, 6, &o, r);
    ck_assert_uint_eq(r->n_failed, 1);
    ck_assert(isinf(r->worst[0].score));
    gp_fcheck_report_free(r);
}
END_TEST

/* ---- shrinking ---- */

/* 1 if the full check of net rejects the gradient backprop computes on `wrong` (a
 * mutated copy of net, freed here): by the oracle (gp_oracle_check_network), or with
 * kinks the kink-aware engine (gp_gradcheck_params). -1 on error. */
static int wrong_gradient_fails(const gp_network *net, const gsl_matrix *X,
                                const gsl_matrix *Y, gp_network *wrong, int kinks) {
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, X->size2);
    gp_gradient *g = gp_gradient_alloc(net);
    gp_fcheck_report *r = gp_oracle_report_alloc(net);
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    int result = -1;
    if (wrong && w && g && r && !gp_backprop_batch(wrong, X, Y, w, g) &&
        !(kinks ? gp_gradcheck_params(net, X, Y, NULL, g, &opts, r)
                : gp_oracle_check_network(net, X, Y, NULL, g, &opts, r)))
        result = r->n_failed > 0;
    gp_fcheck_report_free(r);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(wrong);
    return result;
}

/* The classic mistake as a gradient function: quadratic cost, but delta^L = a - y
 * (sigma'(z^L) forgotten), i.e. backprop run with the cross-entropy cost object. The
 * property fails when the oracle's full check rejects that gradient. */
static int forgot_sigma_prime_fails(const gp_network *net, const gsl_matrix *X,
                                    const gsl_matrix *Y, void *params) {
    size_t *calls = params;
    (*calls)++;
    gp_network *wrong = gp_network_clone(net);
    if (wrong)
        wrong->cost = &gp_cost_cross_entropy;
    return wrong_gradient_fails(net, X, Y, wrong, 0);
}

START_TEST(test_shrink_finds_minimal_case) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gp_case_opts co;
    gp_case_opts_default(&co);
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    size_t calls = 0, steps = 0;
    /* A failing case with at least two layers and several samples. */
    for (unsigned long seed = 11000 + 100 * (unsigned long)_i;; seed++) {
        gsl_rng_set(rng, seed);
        ck_assert_int_eq(gp_case_random(rng, &gp_cost_quadratic, &co, &net, &X, &Y, NULL),
                         0);
        if (net->p.L >= 2 && X->size2 >= 3 &&
            forgot_sigma_prime_fails(net, X, Y, &calls) == 1)
            break;
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    ck_assert_int_eq(
        gp_shrink_case(forgot_sigma_prime_fails, &calls, 5000, &net, &X, &Y, &steps), 0);
    ck_assert_uint_gt(steps, 0);
    /* Minimal: one weight layer [1,1], one sample, and still failing. */
    ck_assert_uint_eq(net->p.L, 1);
    ck_assert_uint_eq(net->p.sizes[0], 1);
    ck_assert_uint_eq(net->p.sizes[1], 1);
    ck_assert_uint_eq(X->size2, 1);
    ck_assert_int_eq(forgot_sigma_prime_fails(net, X, Y, &calls), 1);
    /* Simple values: every parameter and input has at most one decimal. */
    for (size_t i = 0; i < net->p.n_params; i++) {
        double v = gsl_vector_get(net->p.params, i);
        ck_assert_double_eq_tol(v, round(10 * v) / 10, 1e-12);
    }
    ck_assert_double_eq_tol(gsl_matrix_get(X, 0, 0),
                            round(10 * gsl_matrix_get(X, 0, 0)) / 10, 1e-12);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

/* A ReLU-only bug: backprop run with every ReLU hidden layer leaking (leaky-relu 0.5,
 * forward and backward), judged by the kink-aware full check of the true network. A
 * sigmoid network cannot show it, so a shrunk case that lost its ReLU passes. */
static int relu_leaks_fails(const gp_network *net, const gsl_matrix *X,
                            const gsl_matrix *Y, void *params) {
    (void)params;
    gp_activation leaky = gp_activation_leaky_relu;
    if (gp_activation_set_alpha(&leaky, 0.5))
        return -1;
    gp_network *wrong = gp_network_clone(net);
    for (size_t l = 1; wrong && l < net->p.L; l++)
        if (!strcmp(gp_network_activation(net, l)->name, "relu"))
            gp_network_set_activation(wrong, l, &leaky);
    return wrong_gradient_fails(net, X, Y, wrong, 1);
}

/* The shrinker keeps hidden activations (without_neuron, without_layer): a ReLU-only
 * bug found on a 3-layer ReLU case shrinks to the minimal ReLU case [1,1,1], m = 1,
 * still ReLU and still failing. A shrinker that rebuilt the smaller networks with the
 * default sigmoid could not drop a neuron or a layer (every such candidate passes). */
START_TEST(test_shrink_keeps_hidden_activation) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = 3;
    co.min_width = 2;
    co.min_batch = 2;
    co.activation = &gp_activation_relu;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    size_t steps = 0;
    for (unsigned long seed = 12000 + 100 * (unsigned long)_i;; seed++) {
        gsl_rng_set(rng, seed);
        ck_assert_int_eq(gp_case_random(rng, &gp_cost_quadratic, &co, &net, &X, &Y, NULL),
                         0);
        if (relu_leaks_fails(net, X, Y, NULL) == 1)
            break;
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    ck_assert_uint_ge(net->p.L, 3);
    ck_assert_int_eq(gp_shrink_case(relu_leaks_fails, NULL, 5000, &net, &X, &Y, &steps),
                     0);
    ck_assert_uint_eq(net->p.L, 2);
    for (size_t l = 0; l <= net->p.L; l++)
        ck_assert_uint_eq(net->p.sizes[l], 1);
    ck_assert_uint_eq(X->size2, 1);
    ck_assert_str_eq(gp_network_activation(net, 1)->name, "relu");
    ck_assert_int_eq(relu_leaks_fails(net, X, Y, NULL), 1);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

static int never_fails(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       void *params) {
    (void)net, (void)X, (void)Y, (void)params;
    return 0;
}

/* ---- errors ---- */

static void errors_setup(void) {
    gsl_set_error_handler_off();
}

START_TEST(test_oracle_rejects_bad_shapes) {
    size_t sizes[] = {3, 2};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_calloc(4, 2), *Y = gsl_matrix_calloc(2, 2);
    ck_assert_ptr_null(gp_oracle_alloc(net, X, Y, NULL));
    gp_regularization bad = {-1, 0, 0};
    gsl_matrix *X3 = gsl_matrix_calloc(3, 2);
    ck_assert_ptr_null(gp_oracle_alloc(net, X3, Y, &bad));
    /* the convenience form says which: it returned GSL_EFAILED for both */
    gp_gradient *g = gp_gradient_alloc(net);
    gp_fcheck_report *r = gp_oracle_report_alloc(net);
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    ck_assert_int_eq(gp_oracle_check_network(net, X, Y, NULL, g, &opts, r), GSL_EBADLEN);
    ck_assert_int_eq(gp_oracle_check_network(net, X3, Y, &bad, g, &opts, r), GSL_EDOM);
    gp_fcheck_report_free(r);
    gp_gradient_free(g);
    gp_oracle *o = gp_oracle_alloc(net, X3, Y, NULL);
    double c;
    ck_assert_int_eq(gp_oracle_perturbed_cost(o, 8, 0.0, &c), GSL_EINVAL);
    gp_oracle_free(o);
    gp_oracle_free(NULL);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(X3);
    gsl_matrix_free(Y);
}
END_TEST

START_TEST(test_fcheck_rejects_range_outside_x) {
    gsl_vector *x = gsl_vector_calloc(2);
    gp_tensor_range t[1] = {{"big", 1, 5, 0, GP_TENSOR_OTHER, 0}};
    gp_fcheck_report *r = gp_fcheck_report_alloc(t, 1);
    gp_function_fdf F = {2, lin_f, lin_df, NULL};
    gp_fcheck_opts o;
    gp_fcheck_opts_default(&o, GP_FLOAT64);
    ck_assert_int_eq(gp_fcheck_full(&F, x, &o, r), GSL_EBADLEN);
    gp_precision p;
    ck_assert_int_eq(gp_precision_lookup("float8", &p), GSL_EINVAL);
    ck_assert_int_eq(gp_precision_lookup("f16", &p), 0);
    ck_assert_int_eq(p, GP_FLOAT16);
    ck_assert_int_eq(gp_precision_lookup("bfloat16", &p), 0);
    ck_assert_int_eq(p, GP_BFLOAT16);
    ck_assert_int_eq(gp_precision_lookup("float32", &p), 0);
    ck_assert_int_eq(p, GP_FLOAT32);
    gp_fcheck_report_free(r);
    gp_fcheck_report_free(NULL);
    gsl_vector_free(x);
}
END_TEST

START_TEST(test_shrink_rejects_passing_case) {
    size_t sizes[] = {2, 1};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_calloc(2, 1), *Y = gsl_matrix_calloc(1, 1);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, &net, &X, &Y, NULL),
                     GSL_EINVAL);
    /* X of 3 rows for n_0 = 2: refused before prop sees it (the shrinker read and cut
     * its rows as if it fitted) */
    gsl_matrix *X3 = gsl_matrix_calloc(3, 1);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, &net, &X3, &Y, NULL),
                     GSL_EBADLEN);
    gsl_matrix_free(X3);
    /* NULL for the property or any part of the case: GSL_EINVAL (it was dereferenced) */
    gp_network *none = NULL;
    ck_assert_int_eq(gp_shrink_case(NULL, NULL, 100, &net, &X, &Y, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, NULL, &X, &Y, NULL),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, &none, &X, &Y, NULL),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, &net, NULL, &Y, NULL),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_shrink_case(never_fails, NULL, 100, &net, &X, NULL, NULL),
                     GSL_EINVAL);
    ck_assert_ptr_nonnull(net);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}
END_TEST

static Suite *make_oracle_suite(void) {
    Suite *s = suite_create("oracle");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, test_full_check_precision_aware);
    tcase_add_test(core, test_noise_aware_check_right_wrong_inconclusive);
    tcase_add_test(core, test_noise_of_failing_entries_by_default);
    tcase_add_test(core, test_noise_default_costs_nothing_on_right_gradients);
    tcase_add_test(core, test_taylor_flat_for_affine_function);
    tcase_add_test(core, test_taylor_fails_on_nan);
    tcase_add_test(core, test_oracle_log_likelihood_tiny_cost);
    tcase_add_test(core, test_compare_names_tensor);
    suite_add_tcase(s, core);
    TCase *props = tcase_create("Properties");
    tcase_set_timeout(props, 60);
    int n = N_COSTS * CASES_PER_COST;
    tcase_add_loop_test(props, test_oracle_perturbed_cost_equals_total_cost, 0, n);
    tcase_add_loop_test(props, test_oracle_check_passes_right_gradient, 0, n);
    tcase_add_loop_test(props, test_oracle_check_names_wrong_entry, 0, n);
    tcase_add_loop_test(props, test_oracle_split_check_equals_whole, 0, 2 * N_COSTS);
    tcase_add_loop_test(props, test_gradcheck_split_equals_whole_at_kinks, 0,
                        2 * N_COSTS);
    tcase_add_loop_test(props, test_oracle_agrees_with_generic_full_check, 0,
                        2 * N_COSTS);
    tcase_add_loop_test(props, test_sampled_check_visits_every_tensor, 0, 2 * N_COSTS);
    tcase_add_loop_test(props, test_sampled_check_spends_its_budget, 0, 2 * N_COSTS);
    tcase_add_loop_test(props, test_directional_check_right_and_wrong, 0, 2 * N_COSTS);
    tcase_add_loop_test(props, test_taylor_order_two_for_right_one_for_wrong, 0,
                        4 * N_COSTS);
    tcase_add_loop_test(props, test_shrink_finds_minimal_case, 0, 5);
    tcase_add_loop_test(props, test_shrink_keeps_hidden_activation, 0, 4);
    suite_add_tcase(s, props);
    TCase *errors = tcase_create("Errors");
    tcase_add_unchecked_fixture(errors, errors_setup, NULL);
    tcase_add_test(errors, test_oracle_rejects_bad_shapes);
    tcase_add_test(errors, test_fcheck_rejects_range_outside_x);
    tcase_add_test(errors, test_shrink_rejects_passing_case);
    suite_add_tcase(s, errors);
    return s;
}

int main(void) {
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(make_oracle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
