/* tests/check_neuron.c: the single sigmoid neuron's closed forms [61,62] and the
 * quadratic ones, against numerical derivatives and against backprop on [n,1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "testutil.h"

#define TU_PROG "check_neuron"

/* ---------------------------------------------------------------- Core */

/* The learning-slowdown starting points (SPEC "Experiments"): x = 1, y = 0. The
 * cross-entropy gradient is a itself; the quadratic one carries sigma'(z) = a(1-a). */
START_TEST(test_neuron_learning_slowdown_start) {
    static const double wb[][2] = {{0.6, 0.9}, {2.0, 2.0}};
    gsl_matrix *X = gsl_matrix_alloc(1, 1);
    gsl_vector *w = gsl_vector_alloc(1), *y = gsl_vector_calloc(1),
               *dw = gsl_vector_alloc(1);
    size_t t;
    gsl_matrix_set(X, 0, 0, 1.0);
    for (t = 0; t < 2; t++) {
        double a = 1.0 / (1.0 + exp(-(wb[t][0] + wb[t][1]))), db, c;
        gsl_vector_set(w, 0, wb[t][0]);
        ck_assert_int_eq(
            gp_neuron_gradient(&gp_cost_cross_entropy, w, wb[t][1], X, y, dw, &db),
            GSL_SUCCESS);
        ck_assert_double_eq_tol(gsl_vector_get(dw, 0), a, 1e-15);
        ck_assert_double_eq_tol(db, a, 1e-15);
        ck_assert_int_eq(gp_neuron_cost(&gp_cost_cross_entropy, w, wb[t][1], X, y, &c),
                         GSL_SUCCESS);
        ck_assert_double_eq_tol(c, -log(1 - a), 1e-13);
        ck_assert_int_eq(
            gp_neuron_gradient(&gp_cost_quadratic, w, wb[t][1], X, y, dw, &db),
            GSL_SUCCESS);
        ck_assert_double_eq_tol(gsl_vector_get(dw, 0), a * a * (1 - a), 1e-15);
        ck_assert_double_eq_tol(db, a * a * (1 - a), 1e-15);
        ck_assert_int_eq(gp_neuron_cost(&gp_cost_quadratic, w, wb[t][1], X, y, &c),
                         GSL_SUCCESS);
        ck_assert_double_eq_tol(c, 0.5 * a * a, 1e-15);
    }
    /* w = b = 2: the quadratic gradient is ~50 times smaller (the slowdown) */
    ck_assert(gsl_vector_get(dw, 0) < 1.0 / 50);
    gsl_vector_free(dw);
    gsl_vector_free(y);
    gsl_vector_free(w);
    gsl_matrix_free(X);
}
END_TEST

/* ---------------------------------------------------------------- Properties */

typedef struct {
    const gp_cost_type *cost;
    gsl_vector *w;
    double b;
    const gsl_matrix *X;
    const gsl_vector *y;
    size_t j; /* w_j, or the bias when j == w->size */
} neuron_param;

static double neuron_cost_of(double t, void *vp) {
    neuron_param *p = vp;
    double c = NAN, saved;
    if (p->j == p->w->size) {
        gp_neuron_cost(p->cost, p->w, t, p->X, p->y, &c);
        return c;
    }
    saved = gsl_vector_get(p->w, p->j);
    gsl_vector_set(p->w, p->j, t);
    gp_neuron_cost(p->cost, p->w, p->b, p->X, p->y, &c);
    gsl_vector_set(p->w, p->j, saved);
    return c;
}

/* One drawn neuron: parameters, samples, targets and gp_neuron_gradient's answer. */
typedef struct {
    const gp_cost_type *cost;
    const char *name;
    size_t i, n_in, m;
    unsigned long salt;
    double scale, b, db;
    gsl_vector *w, *y, *dw;
    gsl_matrix *X;
} neuron_case;

static void neuron_case_draw(neuron_case *c, gsl_rng *r) {
    size_t j, s;
    c->n_in = tu_int(r, 1, 10);
    c->m = tu_int(r, 1, 16);
    c->scale = tu_log_uniform(r, 1e-3, 10.0);
    c->w = gsl_vector_alloc(c->n_in);
    c->dw = gsl_vector_alloc(c->n_in);
    c->y = gsl_vector_alloc(c->m);
    c->X = gsl_matrix_alloc(c->n_in, c->m);
    for (j = 0; j < c->n_in; j++)
        gsl_vector_set(c->w, j, c->scale * gsl_ran_gaussian(r, 1.0));
    c->b = c->scale * gsl_ran_gaussian(r, 1.0);
    for (j = 0; j < c->n_in; j++)
        for (s = 0; s < c->m; s++)
            gsl_matrix_set(c->X, j, s, gsl_ran_gaussian(r, 1.0));
    tu_fill_target(r, c->cost, c->y);
    ck_assert_int_eq(gp_neuron_gradient(c->cost, c->w, c->b, c->X, c->y, c->dw, &c->db),
                     GSL_SUCCESS);
}

static void neuron_case_free(neuron_case *c) {
    gsl_matrix_free(c->X);
    gsl_vector_free(c->y);
    gsl_vector_free(c->dw);
    gsl_vector_free(c->w);
}

/* dC/dw_j for j < n_in, dC/db for j == n_in */
static double neuron_grad(const neuron_case *c, size_t j) {
    return j < c->n_in ? gsl_vector_get(c->dw, j) : c->db;
}

/* The book's formulas written out here: dC/dz = a - y for cross-entropy [61,62],
 * (a - y) sigma'(z) for the quadratic cost. */
static void neuron_check_closed_form(const neuron_case *c, tu_stat *st) {
    gsl_vector *fw = gsl_vector_calloc(c->n_in);
    double fb = 0.0;
    size_t j, s;
    for (s = 0; s < c->m; s++) {
        gsl_vector_const_view x = gsl_matrix_const_column(c->X, s);
        double z, a, dz;
        gsl_blas_ddot(c->w, &x.vector, &z);
        z += c->b;
        a = 1.0 / (1.0 + exp(-z));
        dz = c->cost == &gp_cost_cross_entropy
                 ? a - gsl_vector_get(c->y, s)                         /* [61,62] */
                 : (a - gsl_vector_get(c->y, s)) * a / (1.0 + exp(z)); /* sigma' */
        for (j = 0; j < c->n_in; j++)
            *gsl_vector_ptr(fw, j) += dz * gsl_vector_get(&x.vector, j) / (double)c->m;
        fb += dz / (double)c->m;
    }
    for (j = 0; j <= c->n_in; j++) {
        double g1 = neuron_grad(c, j), g2 = j < c->n_in ? gsl_vector_get(fw, j) : fb;
        ck_assert_msg(fabs(g1 - g2) <= 1e-12 * (fabs(g2) + 1e-3),
                      "%s: %s %.17g vs closed form %.17g (n_in %zu, m %zu, scale "
                      "%g); " TU_RERUN_FMT,
                      c->name, j < c->n_in ? "dC/dw" : "dC/db", g1, g2, c->n_in, c->m,
                      c->scale, TU_RERUN_ARGS(c->i, "Properties"));
        tu_stat_value(st, g1, g2, 1e-5);
    }
    gsl_vector_free(fw);
}

/* Every parameter against gsl_deriv_central of gp_neuron_cost. */
static void neuron_check_numeric(neuron_case *c, tu_stat *st) {
    gp_fcheck_opts opts;
    neuron_param p = {c->cost, c->w, c->b, c->X, c->y, 0};
    gsl_function F = {neuron_cost_of, &p};
    gp_fcheck_report *rep = gp_fcheck_report_alloc(NULL, c->n_in + 1);
    char msg[512];
    size_t j;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    for (j = 0; j <= c->n_in; j++) {
        double num, abserr, x0 = j < c->n_in ? gsl_vector_get(c->w, j) : c->b;
        p.j = j;
        gsl_deriv_central(&F, x0, opts.h, &num, &abserr);
        gp_fcheck_add(rep, &opts, 0, j, neuron_grad(c, j), num, abserr);
    }
    tu_describe_worst(rep, msg, sizeof msg);
    ck_assert_msg(rep->n_failed == 0,
                  "%s vs numeric (n_in %zu, m %zu, scale %g, seed %lu): "
                  "%s; " TU_RERUN_FMT,
                  c->name, c->n_in, c->m, c->scale, tu_case_seed(c->salt, c->i), msg,
                  TU_RERUN_ARGS(c->i, "Properties"));
    tu_stat_report(st, rep);
    gp_fcheck_report_free(rep);
}

/* Backpropagation and the total cost on the [n_in, 1] network with the same
 * parameters. */
static void neuron_check_backprop(const neuron_case *c, tu_stat *st) {
    size_t sizes[2] = {c->n_in, 1}, j;
    gp_network *net = gp_network_alloc(2, sizes, c->cost);
    gp_backprop_workspace *ws = gp_backprop_workspace_alloc(net, c->m);
    gp_gradient *g = gp_gradient_alloc(net);
    gsl_matrix *Y = gsl_matrix_alloc(1, c->m);
    double cost_nb, cost_net;
    gsl_matrix_set_row(Y, 0, c->y);
    gsl_matrix_set_row(net->p.w[0], 0, c->w);
    gsl_vector_set(net->p.b[0], 0, c->b);
    ck_assert_int_eq(gp_backprop_batch(net, c->X, Y, ws, g), GSL_SUCCESS);
    for (j = 0; j <= c->n_in; j++) {
        double g1 = neuron_grad(c, j), g2 = j < c->n_in ? gsl_matrix_get(g->w[0], 0, j)
                                                        : gsl_vector_get(g->b[0], 0);
        ck_assert_msg(fabs(g1 - g2) <= 1e-12 * (fabs(g2) + 1e-3),
                      "%s: closed form %.17g vs backprop %.17g; " TU_RERUN_FMT, c->name,
                      g1, g2, TU_RERUN_ARGS(c->i, "Properties"));
        tu_stat_value(st, g1, g2, 1e-5);
    }
    ck_assert_int_eq(gp_neuron_cost(c->cost, c->w, c->b, c->X, c->y, &cost_nb),
                     GSL_SUCCESS);
    ck_assert_int_eq(gp_total_cost(net, c->X, Y, NULL, ws, &cost_net), GSL_SUCCESS);
    ck_assert_msg(fabs(cost_nb - cost_net) <= 1e-13 * (1 + fabs(cost_net)),
                  "%s: neuron cost %.17g vs network %.17g", c->name, cost_nb, cost_net);
    gsl_matrix_free(Y);
    gp_gradient_free(g);
    gp_backprop_workspace_free(ws);
    gp_network_free(net);
}

/* One neuron case: closed form in the test, numeric, and backprop on [n_in, 1]. */
static void neuron_property(const gp_cost_type *cost, unsigned long salt,
                            const char *name) {
    size_t n = tu_cases(400), i;
    tu_stat st_num, st_form, st_bp;
    tu_stat_init(&st_num, name, "numeric");
    tu_stat_init(&st_form, name, "closed form");
    tu_stat_init(&st_bp, name, "backprop [n,1]");
    for (i = 0; i < n; i++) {
        neuron_case c = {.cost = cost, .name = name, .i = i, .salt = salt};
        gsl_rng *r;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(salt, i);
        neuron_case_draw(&c, r);
        neuron_check_closed_form(&c, &st_form);
        neuron_check_numeric(&c, &st_num);
        neuron_check_backprop(&c, &st_bp);
        st_num.cases++;
        st_form.cases++;
        st_bp.cases++;
        neuron_case_free(&c);
        gsl_rng_free(r);
    }
    tu_stat_print(&st_num);
    tu_stat_print(&st_form);
    tu_stat_print(&st_bp);
}

/* [61,62]: dC/dw_j = (1/n) sum_x x_j (sigma(z) - y), dC/db = (1/n) sum_x (sigma(z) - y).
 */
START_TEST(test_neuron_xent_formulas_61_62) {
    neuron_property(&gp_cost_cross_entropy, 0x6162, "neuron_xent_[61,62]");
}
END_TEST

/* [55,56]: dC/dw = (a - y) sigma'(z) x, dC/db = (a - y) sigma'(z), batch-averaged. */
START_TEST(test_neuron_quadratic_formulas) {
    neuron_property(&gp_cost_quadratic, 0x5556, "neuron_quadratic");
}
END_TEST

/* ---------------------------------------------------------------- Errors */

START_TEST(test_neuron_rejects_bad_input) {
    gsl_vector *w = gsl_vector_calloc(2), *w3 = gsl_vector_calloc(3),
               *y = gsl_vector_calloc(4), *y3 = gsl_vector_calloc(3);
    gsl_matrix *X = gsl_matrix_calloc(2, 4);
    double db, c;
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_log_likelihood, w, 0, X, y, w, &db),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_quadratic_linear, w, 0, X, y, w, &db),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_neuron_cost(&gp_cost_log_likelihood, w, 0, X, y, &c), GSL_EINVAL);
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_cross_entropy, w3, 0, X, y, w3, &db),
                     GSL_EBADLEN);
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_cross_entropy, w, 0, X, y3, w, &db),
                     GSL_EBADLEN);
    ck_assert_int_eq(gp_neuron_gradient(&gp_cost_cross_entropy, w, 0, X, y, w3, &db),
                     GSL_EBADLEN);
    ck_assert_int_eq(gp_neuron_cost(&gp_cost_quadratic, w, 0, X, y3, &c), GSL_EBADLEN);
    gsl_matrix_free(X);
    gsl_vector_free(y3);
    gsl_vector_free(y);
    gsl_vector_free(w3);
    gsl_vector_free(w);
}
END_TEST

static Suite *make_neuron_suite(void) {
    Suite *s = suite_create("neuron");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors");
    tcase_add_test(core, test_neuron_learning_slowdown_start);
    tcase_set_timeout(props, 120);
    tcase_add_test(props, test_neuron_xent_formulas_61_62);
    tcase_add_test(props, test_neuron_quadratic_formulas);
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_neuron_rejects_bad_input);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_neuron_suite());
}
