/* tests/check_cost.c: the cost objects (SPEC cost table; identities 2-5). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "testutil.h"

#define TU_PROG "check_cost"

#define EXP_M700 9.8596765437597708567e-305

static int close_to(double a, double b, double rtol, double atol) {
    return fabs(a - b) <= atol + rtol * fmax(fabs(a), fabs(b));
}

/* A reference softplus written independently of the library: ln(1 + e^x). */
static double ref_softplus(double x) {
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* Binary entropy with 0 ln 0 = 0. */
static double binary_entropy(double y) {
    double h = 0.0;
    if (y > 0)
        h -= y * log(y);
    if (y < 1)
        h -= (1 - y) * log1p(-y);
    return h;
}

static gsl_vector *vec(size_t n, const double *v) {
    gsl_vector *x = gsl_vector_alloc(n);
    size_t j;
    for (j = 0; j < n; j++)
        gsl_vector_set(x, j, v[j]);
    return x;
}

/* ---------------------------------------------------------------- Core */

START_TEST(test_cost_table_and_lookup) {
    ck_assert_uint_eq(tu_n_costs(), 4);
    ck_assert_ptr_eq(gp_cost_types[0], &gp_cost_quadratic);
    ck_assert_ptr_eq(gp_cost_types[1], &gp_cost_quadratic_linear);
    ck_assert_ptr_eq(gp_cost_types[2], &gp_cost_cross_entropy);
    ck_assert_ptr_eq(gp_cost_types[3], &gp_cost_log_likelihood);
    ck_assert_ptr_null(gp_cost_types[4]);
    ck_assert_str_eq(gp_cost_quadratic.name, "quadratic");
    ck_assert_str_eq(gp_cost_quadratic_linear.name, "quadratic-linear");
    ck_assert_str_eq(gp_cost_cross_entropy.name, "cross-entropy");
    ck_assert_str_eq(gp_cost_log_likelihood.name, "log-likelihood");
    ck_assert_int_eq(gp_cost_quadratic.output, GP_OUTPUT_SIGMOID);
    ck_assert_int_eq(gp_cost_quadratic_linear.output, GP_OUTPUT_LINEAR);
    ck_assert_int_eq(gp_cost_cross_entropy.output, GP_OUTPUT_SIGMOID);
    ck_assert_int_eq(gp_cost_log_likelihood.output, GP_OUTPUT_SOFTMAX);
    ck_assert_ptr_eq(gp_cost_lookup("quadratic"), &gp_cost_quadratic);
    ck_assert_ptr_eq(gp_cost_lookup("quadratic-linear"), &gp_cost_quadratic_linear);
    ck_assert_ptr_eq(gp_cost_lookup("cross-entropy"), &gp_cost_cross_entropy);
    ck_assert_ptr_eq(gp_cost_lookup("log-likelihood"), &gp_cost_log_likelihood);
    ck_assert_ptr_eq(gp_cost_lookup("QuadraticCost"), &gp_cost_quadratic);
    ck_assert_ptr_eq(gp_cost_lookup("CrossEntropyCost"), &gp_cost_cross_entropy);
    ck_assert_ptr_eq(gp_cost_lookup("LogLikelihoodCost"), &gp_cost_log_likelihood);
    /* The list in error messages names every accepted name, and only those. */
    const char *names[] = {"quadratic",        "quadratic-linear", "cross-entropy",
                           "log-likelihood",   "QuadraticCost",    "CrossEntropyCost",
                           "LogLikelihoodCost"};
    for (size_t q = 0; q < sizeof names / sizeof names[0]; q++) {
        ck_assert_ptr_nonnull(gp_cost_lookup(names[q]));
        ck_assert_ptr_nonnull(strstr(gp_cost_names(), names[q]));
    }
    ck_assert_ptr_null(gp_cost_lookup("no-such-cost"));
    ck_assert_ptr_null(gp_cost_lookup(""));
}
END_TEST

START_TEST(test_cost_known_values) {
    const double z2[] = {0.0, -log(3.0)}, a2[] = {0.5, 0.25}, y2[] = {0.0, 1.0};
    const double zl[] = {1.0, -2.0}, yl[] = {0.5, 0.5};
    const double a3[] = {0.2, 0.5, 0.3}, e1[] = {0.0, 1.0, 0.0};
    gsl_vector *z = vec(2, z2), *a = vec(2, a2), *y = vec(2, y2),
               *g = gsl_vector_alloc(2);
    gsl_vector *zlv = vec(2, zl), *ylv = vec(2, yl);
    gsl_vector *a3v = vec(3, a3), *e1v = vec(3, e1), *g3 = gsl_vector_alloc(3);
    /* quadratic: 1/2 (0.25 + 0.5625) */
    ck_assert_double_eq_tol(gp_cost_quadratic.fn_a(a, y), 0.40625, 1e-16);
    ck_assert_double_eq_tol(gp_cost_quadratic.fn_z(z, y), 0.40625, 1e-15);
    ck_assert_int_eq(gp_cost_quadratic.dfda(a, y, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(g, 0), 0.5, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g, 1), -0.75, 1e-16);
    /* [65]: (a - y) sigma'(z): 0.5 * 0.25, -0.75 * 0.1875 */
    ck_assert_int_eq(gp_cost_quadratic.delta(z, a, y, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(g, 0), 0.125, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g, 1), -0.140625, 1e-15);
    /* quadratic-linear: a = z; 1/2 (0.25 + 6.25); delta = z - y  [68-70] */
    ck_assert_double_eq_tol(gp_cost_quadratic_linear.fn_z(zlv, ylv), 3.25, 1e-15);
    ck_assert_double_eq_tol(gp_cost_quadratic_linear.fn_a(zlv, ylv), 3.25, 1e-15);
    ck_assert_int_eq(gp_cost_quadratic_linear.delta(zlv, zlv, ylv, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(g, 0), 0.5, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g, 1), -2.5, 1e-16);
    /* cross-entropy [57]: y = (0,1), a = (0.5, 0.25): ln 2 + ln 4 */
    ck_assert_double_eq_tol(gp_cost_cross_entropy.fn_a(a, y), 3 * M_LN2, 1e-15);
    ck_assert_double_eq_tol(gp_cost_cross_entropy.fn_z(z, y), 3 * M_LN2, 1e-15);
    ck_assert_int_eq(gp_cost_cross_entropy.dfda(a, y, g), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(g, 0), 0.5 / 0.25, 1e-15);
    ck_assert_double_eq_tol(gsl_vector_get(g, 1), -0.75 / 0.1875, 1e-15);
    ck_assert_int_eq(gp_cost_cross_entropy.delta(z, a, y, g), GSL_SUCCESS); /* [66] */
    ck_assert_double_eq_tol(gsl_vector_get(g, 0), 0.5, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g, 1), -0.75, 1e-16);
    /* log-likelihood [80]: -ln a_y; dC/da = -1/a_y at y; delta = a - e_y [84] */
    ck_assert_double_eq_tol(gp_cost_log_likelihood.fn_a(a3v, e1v), M_LN2, 1e-15);
    ck_assert_int_eq(gp_cost_log_likelihood.dfda(a3v, e1v, g3), GSL_SUCCESS);
    ck_assert_double_eq(gsl_vector_get(g3, 0), 0.0);
    ck_assert_double_eq_tol(gsl_vector_get(g3, 1), -2.0, 1e-15);
    ck_assert_double_eq(gsl_vector_get(g3, 2), 0.0);
    ck_assert_int_eq(gp_cost_log_likelihood.delta(a3v, a3v, e1v, g3), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(g3, 0), 0.2, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g3, 1), -0.5, 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(g3, 2), 0.3, 1e-16);
    gsl_vector_free(g3);
    gsl_vector_free(e1v);
    gsl_vector_free(a3v);
    gsl_vector_free(ylv);
    gsl_vector_free(zlv);
    gsl_vector_free(g);
    gsl_vector_free(y);
    gsl_vector_free(a);
    gsl_vector_free(z);
}
END_TEST

/* The stable fn_z at |z| = 700, where e^{|z|} overflows (SPEC "Numerically stable"). */
START_TEST(test_cost_extreme_z_known_values) {
    gsl_vector *z1 = gsl_vector_alloc(1), *y1 = gsl_vector_alloc(1);
    gsl_vector *z3 = gsl_vector_alloc(3), *y3 = gsl_vector_calloc(3);
    double c;
    struct {
        double z, y, want, rtol;
    } xe[] = {
        {700.0, 0.0, 700.0, 1e-15},     /* softplus(700) */
        {-700.0, 1.0, 700.0, 1e-15},    /* softplus(700) */
        {700.0, 1.0, EXP_M700, 1e-13},  /* softplus(-700) = e^{-700}, not 0 */
        {-700.0, 0.0, EXP_M700, 1e-13}, /* likewise */
        {700.0, 0.5, 350.0 + 0.5 * EXP_M700, 1e-15},
        {0.3817, 0.3, 0.78758954662023904, 1e-15}, /* mpmath */
    };
    size_t t;
    for (t = 0; t < sizeof xe / sizeof xe[0]; t++) {
        gsl_vector_set(z1, 0, xe[t].z);
        gsl_vector_set(y1, 0, xe[t].y);
        c = gp_cost_cross_entropy.fn_z(z1, y1);
        ck_assert_msg(isfinite(c) && close_to(c, xe[t].want, xe[t].rtol, 0),
                      "cross-entropy fn_z(z=%g, y=%g) = %.17g, want %.17g", xe[t].z,
                      xe[t].y, c, xe[t].want);
    }
    /* quadratic with saturated sigmoid: a = 1 and a = e^{-700} */
    gsl_vector_set(z1, 0, 700.0);
    gsl_vector_set(y1, 0, 0.0);
    ck_assert_double_eq_tol(gp_cost_quadratic.fn_z(z1, y1), 0.5, 1e-16);
    gsl_vector_set(z1, 0, -700.0);
    ck_assert(gp_cost_quadratic.fn_z(z1, y1) >= 0.0 &&
              gp_cost_quadratic.fn_z(z1, y1) < 1e-300);
    /* log-likelihood via log-sum-exp: z = (700, 0, -700) */
    gsl_vector_set(z3, 0, 700.0);
    gsl_vector_set(z3, 1, 0.0);
    gsl_vector_set(z3, 2, -700.0);
    gsl_vector_set(y3, 1, 1.0);
    c = gp_cost_log_likelihood.fn_z(z3, y3);
    ck_assert_msg(close_to(c, 700.0, 1e-15, 0), "LL(y=1) = %.17g, want 700", c);
    gsl_vector_set_basis(y3, 2);
    c = gp_cost_log_likelihood.fn_z(z3, y3);
    ck_assert_msg(close_to(c, 1400.0, 1e-15, 0), "LL(y=2) = %.17g, want 1400", c);
    /* C = ln(1 + e^{-700} + e^{-1400}) ~ e^{-700}: lse(z) - z_y is accurate to absolute
     * rounding of lse (ulp(700) ~ 1e-13), not relatively, when y is the arg max. */
    gsl_vector_set_basis(y3, 0);
    c = gp_cost_log_likelihood.fn_z(z3, y3);
    ck_assert_msg(c >= 0.0 && fabs(c - EXP_M700) <= 1e-13, "LL(y=0) = %.17g, want e^-700",
                  c);
    gsl_vector_free(y3);
    gsl_vector_free(z3);
    gsl_vector_free(y1);
    gsl_vector_free(z1);
}
END_TEST

/* Documented behaviour: the book's form fn_a is +inf where the cost is infinite. */
START_TEST(test_xent_fn_a_infinite_at_wrong_certainty) {
    gsl_vector *a = gsl_vector_alloc(1), *y = gsl_vector_alloc(1);
    double c;
    gsl_vector_set(a, 0, 0.0);
    gsl_vector_set(y, 0, 1.0);
    c = gp_cost_cross_entropy.fn_a(a, y);
    ck_assert_msg(isinf(c) && c > 0, "CE(a=0, y=1) = %g, want +inf", c);
    gsl_vector_set(a, 0, 1.0);
    gsl_vector_set(y, 0, 0.0);
    c = gp_cost_cross_entropy.fn_a(a, y);
    ck_assert_msg(isinf(c) && c > 0, "CE(a=1, y=0) = %g, want +inf", c);
    gsl_vector_set(a, 0, 0.0);
    gsl_vector_set(y, 0, 0.3);
    c = gp_cost_cross_entropy.fn_a(a, y);
    ck_assert_msg(isinf(c) && c > 0, "CE(a=0, y=0.3) = %g, want +inf", c);
    gsl_vector_set(y, 0, 1.0);
    c = gp_cost_log_likelihood.fn_a(a, y);
    ck_assert_msg(isinf(c) && c > 0, "LL(a_y=0) = %g, want +inf", c);
    gsl_vector_free(y);
    gsl_vector_free(a);
}
END_TEST

/* ---------------------------------------------------------------- Properties */

typedef struct {
    const gp_cost_type *cost;
    const gsl_vector *x0, *y;
    gsl_vector *xt;
    size_t j;
    int by_z; /* 1: fn_z(z), 0: fn_a(a) */
} cost_param;

static double cost_of_coord(double v, void *params) {
    cost_param *p = params;
    gsl_vector_memcpy(p->xt, p->x0);
    gsl_vector_set(p->xt, p->j, v);
    return p->by_z ? p->cost->fn_z(p->xt, p->y) : p->cost->fn_a(p->xt, p->y);
}

/* The report of g = dC_x/dx against gsl_deriv_central of C_x in each coordinate of x
 * (x = z and C_x = fn_z when by_z, else x = a and fn_a), with the step opts->h; for a,
 * the step keeps sigmoid outputs in (0,1) and softmax outputs positive, the domains of
 * the logarithms. The caller frees the report. */
static gp_fcheck_report *coord_report(const gp_cost_type *cost, const gsl_vector *x,
                                      const gsl_vector *y, int by_z, const gsl_vector *g,
                                      const gp_fcheck_opts *opts) {
    cost_param p = {cost, x, y, gsl_vector_alloc(x->size), 0, by_z};
    gsl_function F = {cost_of_coord, &p};
    gp_fcheck_report *rep = gp_fcheck_report_alloc(NULL, x->size);
    for (p.j = 0; p.j < x->size; p.j++) {
        double num, abserr, xj = gsl_vector_get(x, p.j), h = opts->h;
        if (!by_z && cost->output == GP_OUTPUT_SOFTMAX)
            h = fmin(h, 0.25 * xj);
        else if (!by_z && cost->output == GP_OUTPUT_SIGMOID)
            h = fmin(h, 0.25 * fmin(xj, 1 - xj));
        gsl_deriv_central(&F, xj, h, &num, &abserr);
        gp_fcheck_add(rep, opts, 0, p.j, gsl_vector_get(g, p.j), num, abserr);
    }
    gsl_vector_free(p.xt);
    return rep;
}

/* BP1: delta^L = dC_x/dz^L, for every cost object, against gsl_deriv_central of the
 * stable fn_z; and fn_z(z) = fn_a(output(z)) where fn_a is accurate. */
START_TEST(test_cost_delta_matches_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i];
    size_t n = tu_cases(300), i, j;
    gp_fcheck_opts opts;
    tu_stat st;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    tu_stat_init(&st, "cost_delta", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *a, *y, *delta;
        size_t len;
        double scale;
        gp_fcheck_report *rep;
        char msg[512];
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0xDE17A0 + (unsigned long)_i, i);
        len = tu_int(r, 1, 10);
        scale = tu_log_uniform(r, 1e-3, 30.0);
        z = gsl_vector_alloc(len);
        a = gsl_vector_alloc(len);
        y = gsl_vector_alloc(len);
        delta = gsl_vector_alloc(len);
        for (j = 0; j < len; j++)
            gsl_vector_set(z, j, scale * gsl_ran_gaussian(r, 1.0));
        tu_fill_target(r, cost, y);
        ck_assert_int_eq(gp_activate(cost->output, z, a), GSL_SUCCESS);
        ck_assert_int_eq(cost->delta(z, a, y, delta), GSL_SUCCESS);
        rep = coord_report(cost, z, y, 1, delta, &opts);
        tu_describe_worst(rep, msg, sizeof msg);
        ck_assert_msg(rep->n_failed == 0, "%s delta, len %zu scale %g: %s; " TU_RERUN_FMT,
                      cost->name, len, scale, msg, TU_RERUN_ARGS(i, "Properties"));
        tu_stat_report(&st, rep);
        gp_fcheck_report_free(rep);
        /* the two forms of C_x agree where the book's form loses nothing */
        if (scale < 3.0) {
            double cz = cost->fn_z(z, y), ca = cost->fn_a(a, y);
            ck_assert_msg(close_to(cz, ca, 1e-9, 1e-14),
                          "%s fn_z %.17g fn_a %.17g; " TU_RERUN_FMT, cost->name, cz, ca,
                          TU_RERUN_ARGS(i, "Properties"));
        }
        st.cases++;
        gsl_vector_free(delta);
        gsl_vector_free(y);
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* dC_x/da of the book's form fn_a, against gsl_deriv_central. */
START_TEST(test_cost_dfda_matches_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i];
    size_t n = tu_cases(300), i, j;
    gp_fcheck_opts opts;
    tu_stat st;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    tu_stat_init(&st, "cost_dfda", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *a, *y, *g, *z;
        size_t len;
        gp_fcheck_report *rep;
        char msg[512];
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0xDFDA00 + (unsigned long)_i, i);
        len = tu_int(r, 1, 10);
        a = gsl_vector_alloc(len);
        z = gsl_vector_alloc(len);
        y = gsl_vector_alloc(len);
        g = gsl_vector_alloc(len);
        tu_fill_target(r, cost, y);
        for (j = 0; j < len; j++)
            gsl_vector_set(z, j, tu_uniform(r, -3.0, 3.0));
        if (cost->output == GP_OUTPUT_LINEAR)
            for (j = 0; j < len; j++)
                gsl_vector_set(a, j, 3.0 * gsl_ran_gaussian(r, 1.0));
        else /* sigmoid outputs in (0.05, 0.95); softmax entries >= e^{-6}/10 */
            gp_activate(cost->output, z, a);
        ck_assert_int_eq(cost->dfda(a, y, g), GSL_SUCCESS);
        rep = coord_report(cost, a, y, 0, g, &opts);
        tu_describe_worst(rep, msg, sizeof msg);
        ck_assert_msg(rep->n_failed == 0, "%s dC/da, len %zu: %s; " TU_RERUN_FMT,
                      cost->name, len, msg, TU_RERUN_ARGS(i, "Properties"));
        ck_assert(rep->sum_abs_numeric > 0);
        tu_stat_report(&st, rep);
        gp_fcheck_report_free(rep);
        st.cases++;
        gsl_vector_free(g);
        gsl_vector_free(y);
        gsl_vector_free(z);
        gsl_vector_free(a);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* The cross-entropy's fn_z where its exp and log1p matter (|z| < 8; the SIMD variants use
 * libmvec's, within 4 ulp each): within (n + 8) eps of a long double sum of libm's
 * softplus terms, for lengths crossing the vector blocks and their masked tails; a
 * strided view (a matrix column) gives the same bits as a contiguous one. */
START_TEST(test_xent_fn_z_within_ulps_of_libm) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 0x5EED16);
    for (size_t c = 0; c < 2000; c++) {
        size_t len = 1 + gsl_rng_uniform_int(r, 40);
        gsl_matrix *Z = gsl_matrix_alloc(len, 3), *Y = gsl_matrix_alloc(len, 3);
        gsl_vector *z = gsl_vector_alloc(len), *y = gsl_vector_alloc(len);
        long double ref = 0;
        for (size_t j = 0; j < len; j++) {
            double zj = 16 * gsl_rng_uniform(r) - 8, yj = gsl_rng_uniform(r);
            gsl_vector_set(z, j, zj);
            gsl_vector_set(y, j, yj);
            gsl_matrix_set(Z, j, 1, zj);
            gsl_matrix_set(Y, j, 1, yj);
            ref += (long double)(yj * ref_softplus(-zj) + (1 - yj) * ref_softplus(zj));
        }
        double cz = gp_cost_cross_entropy.fn_z(z, y);
        gsl_vector_const_view zc = gsl_matrix_const_column(Z, 1);
        gsl_vector_const_view yc = gsl_matrix_const_column(Y, 1);
        double cs = gp_cost_cross_entropy.fn_z(&zc.vector, &yc.vector);
        ck_assert_msg(
            fabs(cz - (double)ref) <= (double)(len + 8) * DBL_EPSILON * (double)ref,
            "len %zu: fn_z %.17g, libm terms %.17Lg (%s)", len, cz, ref, gp_simd());
        ck_assert_msg(cs == cz, "strided %.17g != contiguous %.17g", cs, cz);
        gsl_matrix_free(Z);
        gsl_matrix_free(Y);
        gsl_vector_free(z);
        gsl_vector_free(y);
    }
    gsl_rng_free(r);
}
END_TEST

/* fn_z stays finite, non-negative and accurate for |z| up to 700, against reference
 * forms written here (softplus, log-sum-exp, plain squares). */
START_TEST(test_cost_fn_z_stable_for_large_z) {
    const gp_cost_type *cost = gp_cost_types[_i];
    size_t n = tu_cases(300), i, j;
    tu_stat st;
    tu_stat_init(&st, "cost_fn_z_vs_reference", cost->name);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *y;
        size_t len;
        double c, ref = 0.0, zmax = -INFINITY, s = 0.0;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x57AB00 + (unsigned long)_i, i);
        len = tu_int(r, 1, 10);
        z = gsl_vector_alloc(len);
        y = gsl_vector_alloc(len);
        for (j = 0; j < len; j++)
            gsl_vector_set(z, j, tu_uniform(r, -700.0, 700.0));
        tu_fill_target(r, cost, y);
        c = cost->fn_z(z, y);
        if (cost == &gp_cost_cross_entropy) {
            for (j = 0; j < len; j++) {
                double zj = gsl_vector_get(z, j), yj = gsl_vector_get(y, j);
                ref += yj * ref_softplus(-zj) + (1 - yj) * ref_softplus(zj);
            }
        } else if (cost == &gp_cost_log_likelihood) {
            for (j = 0; j < len; j++)
                zmax = fmax(zmax, gsl_vector_get(z, j));
            for (j = 0; j < len; j++)
                s += exp(gsl_vector_get(z, j) - zmax);
            /* -ln a_y; when z_y is the maximum, log1p of the other terms keeps relative
             * accuracy (e.g. e^{-700}, which the difference form rounds to 0). */
            for (j = 0; j < len; j++)
                if (gsl_vector_get(y, j) == 1.0) {
                    double zy = gsl_vector_get(z, j), t = 0.0;
                    size_t k;
                    if (zy < zmax) {
                        ref = zmax + log(s) - zy;
                        continue;
                    }
                    for (k = 0; k < len; k++)
                        if (k != j)
                            t += exp(gsl_vector_get(z, k) - zy);
                    ref = log1p(t);
                }
        } else {
            for (j = 0; j < len; j++) {
                double zj = gsl_vector_get(z, j);
                double aj =
                    cost->output == GP_OUTPUT_LINEAR ? zj : 1.0 / (1.0 + exp(-zj));
                ref += 0.5 * (aj - gsl_vector_get(y, j)) * (aj - gsl_vector_get(y, j));
            }
        }
        ck_assert_msg(isfinite(c) && c >= 0.0 && close_to(c, ref, 1e-13, 1e-300),
                      "%s fn_z = %.17g, reference %.17g (len %zu); " TU_RERUN_FMT,
                      cost->name, c, ref, len, TU_RERUN_ARGS(i, "Properties"));
        tu_stat_value(&st, c, ref, 1e-300);
        st.cases++;
        gsl_vector_free(y);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

static double xent1(double a, double y) {
    gsl_vector_view av = gsl_vector_view_array(&a, 1), yv = gsl_vector_view_array(&y, 1);
    return gp_cost_cross_entropy.fn_a(&av.vector, &yv.vector);
}

/* Identities 2 and 3: CE >= H(y) >= 0 with equality exactly at a = y; for y in {0,1}
 * the cost tends to 0 as a -> y. */
START_TEST(test_xent_nonnegative_and_minimal_at_target) {
    size_t n = tu_cases(2000), i, k;
    tu_stat st;
    tu_stat_init(&st, "xent_min_is_binary_entropy", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        double y, a, h, c, cy, prev;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x3417, i);
        y = (i % 4 == 0) ? (double)(i % 8 == 0) : gsl_rng_uniform(r);
        a = tu_uniform(r, 1e-6, 1 - 1e-6);
        h = binary_entropy(y);
        c = xent1(a, y);
        ck_assert_msg(c >= 0.0 && c >= h - 1e-14 * (1 + h),
                      "CE(a=%.17g, y=%.17g) = %.17g < H(y) = %.17g; " TU_RERUN_FMT, a, y,
                      c, h, TU_RERUN_ARGS(i, "Properties"));
        if (fabs(a - y) > 1e-3)
            ck_assert_msg(c > h, "CE(a=%.17g, y=%.17g) = %.17g not above H(y) = %.17g", a,
                          y, c, h);
        if (y > 0 && y < 1) {
            /* minimum at a = y, with the binary-entropy value; neighbours are higher */
            cy = xent1(y, y);
            ck_assert_msg(close_to(cy, h, 1e-14, 1e-15),
                          "CE(y, y) = %.17g, H(y) = %.17g (y=%.17g); " TU_RERUN_FMT, cy,
                          h, y, TU_RERUN_ARGS(i, "Properties"));
            tu_stat_value(&st, cy, h, 1e-300);
            if (y > 1e-3 && y < 1 - 1e-3) {
                ck_assert(xent1(y * (1 + 1e-3), y) > cy);
                ck_assert(xent1(y * (1 - 1e-3), y) > cy);
            }
        } else {
            /* y in {0,1}: C -> 0 monotonically as a -> y */
            prev = INFINITY;
            for (k = 1; k <= 15; k++) {
                double d = pow(10.0, -(double)k);
                double ck = xent1(y == 1.0 ? 1.0 - d : d, y);
                ck_assert(ck >= 0.0 && ck < prev);
                prev = ck;
            }
            ck_assert_msg(prev < 2e-15, "CE(a=y +- 1e-15, y=%g) = %g does not tend to 0",
                          y, prev);
            ck_assert_double_eq(xent1(y, y), 0.0);
        }
        st.cases++;
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* Identity 5: ln(1 + e^{-y s}) for y in {-1,+1} is the {0,1} cross-entropy of sigma(s)
 * with target (y+1)/2. */
START_TEST(test_xent_label_pm1_form) {
    size_t n = tu_cases(2000), i;
    tu_stat st;
    gsl_vector *z = gsl_vector_alloc(1), *t = gsl_vector_alloc(1),
               *a = gsl_vector_alloc(1);
    tu_stat_init(&st, "xent_label_pm1", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        double s, ylab, L, cz;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x9311, i);
        s = (i % 10 == 0) ? tu_uniform(r, -700.0, 700.0) : tu_uniform(r, -40.0, 40.0);
        ylab = (gsl_rng_uniform(r) < 0.5) ? -1.0 : 1.0;
        L = ref_softplus(-ylab * s); /* ln(1 + e^{-y s}) */
        gsl_vector_set(z, 0, s);
        gsl_vector_set(t, 0, (ylab + 1) / 2);
        cz = gp_cost_cross_entropy.fn_z(z, t);
        ck_assert_msg(close_to(cz, L, 1e-14, 1e-300),
                      "s=%.17g y=%g: CE %.17g, ln(1+e^{-ys}) %.17g; " TU_RERUN_FMT, s,
                      ylab, cz, L, TU_RERUN_ARGS(i, "Properties"));
        ck_assert(close_to(gp_softplus(-ylab * s), L, 1e-14, 1e-300));
        /* the book's form of the same cost, where sigma(s) is not rounded to 0 or 1 */
        if (fabs(s) < 15) {
            double ca;
            gsl_vector_set(a, 0, gp_sigmoid(s));
            ca = gp_cost_cross_entropy.fn_a(a, t);
            ck_assert_msg(close_to(ca, L, 1e-8, 1e-15),
                          "s=%.17g y=%g: fn_a %.17g vs %.17g", s, ylab, ca, L);
            /* y = 1: ln(1+e^{-s}); y = 0 in {0,1} form: ln(1+e^{s}) */
            ck_assert(close_to(ylab > 0 ? log1p(exp(-s)) : log1p(exp(s)), L, 1e-14, 0));
        }
        tu_stat_value(&st, cz, L, 1e-300);
        st.cases++;
        gsl_rng_free(r);
    }
    gsl_vector_free(a);
    gsl_vector_free(t);
    gsl_vector_free(z);
    tu_stat_print(&st);
}
END_TEST

typedef struct {
    double y;
    gsl_vector *av, *yv, *g;
} dcda_param;

/* The integrand dC/da from the library's own dfda (identity 4's derivative). */
static double xent_dcda(double a, void *params) {
    dcda_param *p = params;
    gsl_vector_set(p->av, 0, a);
    gsl_vector_set(p->yv, 0, p->y);
    gp_cost_cross_entropy.dfda(p->av, p->yv, p->g);
    return gsl_vector_get(p->g, 0);
}

/* Identity 4 [71-76]: integrating dC/da = (a - y)/(a(1 - a)) from a1 to a2 gives
 * C(a2) - C(a1), so cross-entropy is that antiderivative up to a constant. */
START_TEST(test_xent_recovered_by_integrating_dcda) {
    size_t n = tu_cases(500), i;
    tu_stat st;
    dcda_param p;
    gsl_function F = {xent_dcda, &p};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    p.av = gsl_vector_alloc(1);
    p.yv = gsl_vector_alloc(1);
    p.g = gsl_vector_alloc(1);
    tu_stat_init(&st, "xent_integral_of_dcda", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        double a1, a2, result, abserr, diff, formula;
        int status;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x1D7E, i);
        p.y = (i % 5 == 0) ? (double)(i % 10 == 0) : gsl_rng_uniform(r);
        a1 = tu_uniform(r, 1e-3, 1 - 1e-3);
        a2 = tu_uniform(r, 1e-3, 1 - 1e-3);
        /* the integrand is the book's closed form */
        formula = (a1 - p.y) / (a1 * (1 - a1));
        ck_assert(close_to(xent_dcda(a1, &p), formula, 1e-14, 1e-14));
        status =
            gsl_integration_qags(&F, a1, a2, 1e-13, 1e-11, 1000, ws, &result, &abserr);
        ck_assert_int_eq(status, GSL_SUCCESS);
        diff = xent1(a2, p.y) - xent1(a1, p.y);
        ck_assert_msg(fabs(result - diff) <= 4 * abserr + 1e-11 * (1 + fabs(diff)),
                      "y=%.17g a1=%.17g a2=%.17g: integral %.17g (+-%.3g), C(a2)-C(a1) "
                      "%.17g; " TU_RERUN_FMT,
                      p.y, a1, a2, result, abserr, diff, TU_RERUN_ARGS(i, "Properties"));
        tu_stat_value(&st, result, diff, 1e-9);
        st.cases++;
        gsl_rng_free(r);
    }
    gsl_vector_free(p.g);
    gsl_vector_free(p.yv);
    gsl_vector_free(p.av);
    gsl_integration_workspace_free(ws);
    tu_stat_print(&st);
}
END_TEST

/* ---------------------------------------------------------------- Errors */

START_TEST(test_cost_rejects_mismatched_lengths) {
    const gp_cost_type *cost = gp_cost_types[_i];
    gsl_vector *a3 = gsl_vector_alloc(3), *y3 = gsl_vector_calloc(3),
               *g2 = gsl_vector_alloc(2), *g3 = gsl_vector_alloc(3),
               *y2 = gsl_vector_calloc(2);
    gsl_vector_set_all(a3, 0.25);
    gsl_vector_set(y3, 0, 1.0);
    gsl_vector_set(y2, 0, 1.0);
    ck_assert_int_eq(cost->dfda(a3, y3, g2), GSL_EBADLEN);
    ck_assert_int_eq(cost->dfda(a3, y2, g3), GSL_EBADLEN);
    ck_assert_int_eq(cost->delta(a3, a3, y3, g2), GSL_EBADLEN);
    ck_assert_int_eq(cost->delta(a3, a3, y2, g3), GSL_EBADLEN);
    ck_assert_int_eq(cost->delta(g2, a3, y3, g3), GSL_EBADLEN);
    /* fn_a, fn_z: NaN (they read past y2, or summed only two terms of y3) */
    ck_assert(isnan(cost->fn_a(a3, y2)) && isnan(cost->fn_z(a3, y2)));
    gsl_vector_set_all(g2, 0.25);
    ck_assert(isnan(cost->fn_a(g2, y3)) && isnan(cost->fn_z(g2, y3)));
    gsl_vector_free(y2);
    gsl_vector_free(g3);
    gsl_vector_free(g2);
    gsl_vector_free(y3);
    gsl_vector_free(a3);
}
END_TEST

static Suite *make_cost_suite(void) {
    Suite *s = suite_create("cost");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors");
    int nc = (int)tu_n_costs();
    tcase_add_test(core, test_cost_table_and_lookup);
    tcase_add_test(core, test_cost_known_values);
    tcase_add_test(core, test_cost_extreme_z_known_values);
    tcase_add_test(core, test_xent_fn_a_infinite_at_wrong_certainty);
    tcase_set_timeout(props, 120);
    tcase_add_loop_test(props, test_cost_delta_matches_numeric, 0, nc);
    tcase_add_loop_test(props, test_cost_dfda_matches_numeric, 0, nc);
    tcase_add_loop_test(props, test_cost_fn_z_stable_for_large_z, 0, nc);
    tcase_add_test(props, test_xent_fn_z_within_ulps_of_libm);
    tcase_add_test(props, test_xent_nonnegative_and_minimal_at_target);
    tcase_add_test(props, test_xent_label_pm1_form);
    tcase_add_test(props, test_xent_recovered_by_integrating_dcda);
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_loop_test(errs, test_cost_rejects_mismatched_lengths, 0, nc);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_cost_suite());
}
