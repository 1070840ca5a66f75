/* tests/check_activation.c: sigmoid, softmax and friends (SPEC identities 1, 6-11). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "testutil.h"

#define TU_PROG "check_activation"

/* e^{-700}, the value of sigma(-700) and softplus(-700) to 17 digits (mpmath). */
#define EXP_M700 9.8596765437597708567e-305

/* Relative closeness with an absolute floor. */
static int close_to(double a, double b, double rtol, double atol) {
    return fabs(a - b) <= atol + rtol * fmax(fabs(a), fabs(b));
}

/* ---------------------------------------------------------------- Core */

START_TEST(test_sigmoid_known_values) {
    ck_assert_double_eq(gp_sigmoid(0.0), 0.5);
    ck_assert_double_eq_tol(gp_sigmoid(0.3817), 0.59428305674215831, 1e-16);
    ck_assert_double_eq(gp_sigmoid(700.0), 1.0);
    ck_assert_msg(close_to(gp_sigmoid(-700.0), EXP_M700, 1e-13, 0),
                  "sigma(-700) = %.17g, want %.17g", gp_sigmoid(-700.0), EXP_M700);
    ck_assert(isfinite(gp_sigmoid(-1e6)) && gp_sigmoid(-1e6) >= 0.0);
    ck_assert(gp_sigmoid(1e6) == 1.0);
    ck_assert_double_eq(gp_sigmoid_prime(0.0), 0.25);
    ck_assert_msg(close_to(gp_sigmoid_prime(-700.0), EXP_M700, 1e-13, 0),
                  "sigma'(-700) = %.17g", gp_sigmoid_prime(-700.0));
    ck_assert_msg(close_to(gp_sigmoid_prime(700.0), EXP_M700, 1e-13, 0),
                  "sigma'(700) = %.17g (1 - sigma(z) computed naively loses it)",
                  gp_sigmoid_prime(700.0));
    ck_assert_double_eq_tol(gp_softplus(0.0), M_LN2, 1e-16);
    ck_assert_msg(close_to(gp_softplus(700.0), 700.0, 1e-15, 0), "softplus(700) = %.17g",
                  gp_softplus(700.0));
    ck_assert_msg(close_to(gp_softplus(-700.0), EXP_M700, 1e-13, 0),
                  "softplus(-700) = %.17g", gp_softplus(-700.0));
    ck_assert_msg(close_to(gp_softplus(-30.0), log1p(exp(-30.0)), 1e-15, 0),
                  "softplus(-30) = %.17g", gp_softplus(-30.0));
    ck_assert_msg(close_to(gp_softplus(1e6), 1e6, 1e-15, 0),
                  "softplus(1e6) must not overflow");
}
END_TEST

START_TEST(test_softmax_known_values) {
    gsl_vector *z = gsl_vector_alloc(3), *a = gsl_vector_alloc(3);
    gsl_vector_set(z, 0, 0.0);
    gsl_vector_set(z, 1, M_LN2);
    gsl_vector_set(z, 2, log(3.0));
    ck_assert_int_eq(gp_softmax(z, a), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(a, 0), 1.0 / 6, 1e-15);
    ck_assert_double_eq_tol(gsl_vector_get(a, 1), 2.0 / 6, 1e-15);
    ck_assert_double_eq_tol(gsl_vector_get(a, 2), 3.0 / 6, 1e-15);
    /* log-sum-exp keeps e^{700} from overflowing */
    gsl_vector_set(z, 0, 700.0);
    gsl_vector_set(z, 1, 0.0);
    gsl_vector_set(z, 2, -700.0);
    ck_assert_int_eq(gp_softmax(z, a), GSL_SUCCESS);
    ck_assert_double_eq(gsl_vector_get(a, 0), 1.0);
    ck_assert_msg(close_to(gsl_vector_get(a, 1), EXP_M700, 1e-13, 0), "a_1 = %.17g",
                  gsl_vector_get(a, 1));
    ck_assert_double_eq(gsl_vector_get(a, 2), 0.0);
    ck_assert_msg(close_to(gp_log_sum_exp(z), 700.0, 1e-15, 0), "lse = %.17g",
                  gp_log_sum_exp(z));
    ck_assert_int_eq(gp_log_softmax(z, a), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(a, 0), 0.0, 1e-300);
    ck_assert_double_eq_tol(gsl_vector_get(a, 1), -700.0, 1e-12);
    ck_assert_double_eq_tol(gsl_vector_get(a, 2), -1400.0, 1e-12);
    gsl_vector_set_all(z, 700.0);
    ck_assert_msg(close_to(gp_log_sum_exp(z), 700.0 + log(3.0), 1e-15, 0), "lse = %.17g",
                  gp_log_sum_exp(z));
    /* in place */
    ck_assert_int_eq(gp_softmax(z, z), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_vector_get(z, 1), 1.0 / 3, 1e-15);
    gsl_vector_free(z);
    gsl_vector_free(a);
}
END_TEST

/* Units in the last place between two doubles of the same sign (0 if equal, both NaN). */
static double ulp_distance(double u, double v) {
    if (u == v || (isnan(u) && isnan(v)))
        return 0;
    if (isnan(u) || isnan(v) || (u < 0) != (v < 0))
        return INFINITY;
    int64_t a, b;
    memcpy(&a, &u, sizeof a);
    memcpy(&b, &v, sizeof b);
    return fabs((double)(a - b));
}

/* The batch forms of sigma (gp_activate_matrix) and sigma' (the workspace of
 * gp_backprop_batch) use a vector exp on AVX-512 machines (glibc libmvec, within 4 ulp):
 * within 8 ulp of gp_sigmoid and 16 of gp_sigmoid_prime, z from -750 to 750 in steps of
 * 1/16 and the special values, rows of lengths 1..17 (every masked tail; sigma' on a
 * few). */
START_TEST(test_batch_sigmoid_within_ulps_of_scalar) {
    static const double special[] = {0.0,     -0.0,   1e-300,   -1e-300,   5e-324,
                                     -5e-324, 36.7,   -36.7,    709.0,     -709.0,
                                     745.2,   -745.2, INFINITY, -INFINITY, NAN};
    size_t nz = 24001 + sizeof special / sizeof special[0];
    double *zs = malloc(nz * sizeof *zs), worst_a = 0, worst_sp = 0;
    for (size_t k = 0; k < 24001; k++)
        zs[k] = -750.0 + (double)k / 16.0;
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        zs[24001 + k] = special[k];
    /* sigma' through a [1, n, 1] network: W^1 = 0, x = 1, so z^1 = b^1 exactly */
    size_t n = 64, sizes[] = {1, 64, 1};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_gradient *g = gp_gradient_alloc(net);
    for (size_t len = 1; len <= 17; len++) {
        gsl_matrix *Z = gsl_matrix_alloc(3, len), *A = gsl_matrix_alloc(3, len);
        gsl_matrix *X = gsl_matrix_alloc(1, len), *Y = gsl_matrix_calloc(1, len);
        gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, len);
        gsl_matrix_set_all(X, 1.0);
        for (size_t k0 = 0; k0 < nz; k0 += 3 * len) {
            for (size_t k = k0; k < k0 + 3 * len && k < nz; k++)
                gsl_matrix_set(Z, (k - k0) / len, (k - k0) % len, zs[k]);
            ck_assert_int_eq(gp_activate_matrix(GP_OUTPUT_SIGMOID, Z, A), GSL_SUCCESS);
            for (size_t k = k0; k < k0 + 3 * len && k < nz; k++) {
                double got = gsl_matrix_get(A, (k - k0) / len, (k - k0) % len);
                double d = ulp_distance(got, gp_sigmoid(zs[k]));
                worst_a = fmax(worst_a, d);
                ck_assert_msg(d <= 8, "sigma(%.17g): batch %.17g, gp_sigmoid %.17g",
                              zs[k], got, gp_sigmoid(zs[k]));
            }
        }
        for (size_t k0 = 0; (len == 1 || len == 8 || len == 13) && k0 < nz; k0 += n) {
            for (size_t j = 0; j < n; j++)
                gsl_vector_set(net->p.b[0], j, zs[k0 + j < nz ? k0 + j : 0]);
            ck_assert_int_eq(gp_backprop_batch(net, X, Y, w, g), GSL_SUCCESS);
            for (size_t j = 0; j < n && k0 + j < nz; j++) {
                double z = zs[k0 + j], want = gp_sigmoid_prime(z);
                for (size_t i = 0; i < len; i++) {
                    double got = gsl_matrix_get(w->sp[0], j, i);
                    double d = ulp_distance(got, want);
                    /* below ~1e-300 both forms lose bits to subnormals: compare there
                     * absolutely */
                    if (fabs(want) < 1e-290)
                        d = fabs(got - want) <= 1e-300 ? 0 : d;
                    worst_sp = fmax(worst_sp, d);
                    ck_assert_msg(d <= 16,
                                  "sigma'(%.17g): batch %.17g, gp_sigmoid_prime %.17g", z,
                                  got, want);
                }
            }
        }
        gp_backprop_workspace_free(w);
        gsl_matrix_free(Z);
        gsl_matrix_free(A);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    printf("GP-STAT activation/batch_sigmoid_ulps: sigma %g ulp, sigma' %g ulp\n",
           worst_a, worst_sp);
    gp_gradient_free(g);
    gp_network_free(net);
    free(zs);
}
END_TEST

/* The sigmoid activation object: f and df are gp_sigmoid and gp_sigmoid_prime to the
 * bit; its batch form f_n within 8 ulp of f and 16 of df (the vector exp on AVX-512,
 * the scalar formulas elsewhere) on z from -750 to 750 in steps of 1/8 and the special
 * values, in runs of every length 1..17 (every masked tail), a with and without fp, and
 * in place (a == z). The table is NULL-terminated and every entry looks itself up. */
START_TEST(test_activation_object_matches_sigmoid) {
    static const double special[] = {0.0,   -0.0,  1e-300, -1e-300,  36.7,
                                     -36.7, 745.2, -745.2, INFINITY, -INFINITY};
    const gp_activation *act = gp_activation_lookup("sigmoid");
    ck_assert_ptr_eq(act, &gp_activation_sigmoid);
    ck_assert_str_eq(act->name, "sigmoid");
    ck_assert_double_eq(act->alpha, 0);
    size_t nz = 12001 + sizeof special / sizeof special[0];
    double *z = malloc(nz * sizeof *z), *a = malloc(nz * sizeof *a),
           *fp = malloc(nz * sizeof *fp), *a2 = malloc(nz * sizeof *a2);
    for (size_t k = 0; k < 12001; k++)
        z[k] = -750.0 + (double)k / 8.0;
    memcpy(z + 12001, special, sizeof special);
    for (size_t k = 0; k < nz; k++) {
        ck_assert(act->f(act, z[k]) == gp_sigmoid(z[k]));
        ck_assert(act->df(act, z[k]) == gp_sigmoid_prime(z[k]));
    }
    for (size_t len = 1; len <= 17; len++)
        for (size_t k0 = 0; k0 < nz; k0 += len) {
            size_t n = k0 + len <= nz ? len : nz - k0;
            act->f_n(act, z + k0, a + k0, fp + k0, n);
            act->f_n(act, z + k0, a2 + k0, NULL, n);
        }
    for (size_t k = 0; k < nz; k++) {
        double want = gp_sigmoid_prime(z[k]), dsp = ulp_distance(fp[k], want);
        if (fabs(want) < 1e-290) /* subnormal territory: compare absolutely */
            dsp = fabs(fp[k] - want) <= 1e-300 ? 0 : dsp;
        ck_assert_msg(ulp_distance(a[k], gp_sigmoid(z[k])) <= 8 && dsp <= 16,
                      "z = %.17g: f_n gives %.17g, %.17g", z[k], a[k], fp[k]);
        ck_assert(a2[k] == a[k]);
    }
    memcpy(a2, z, nz * sizeof *z);
    act->f_n(act, a2, a2, NULL, nz); /* in place */
    ck_assert_mem_eq(a2, a, nz * sizeof *a);
    size_t count = 0;
    for (; gp_activations[count]; count++)
        ck_assert_ptr_eq(gp_activation_lookup(gp_activations[count]->name),
                         gp_activations[count]);
    ck_assert_uint_ge(count, 1);
    ck_assert_ptr_null(gp_activation_lookup("sigmoid "));
    ck_assert_ptr_null(gp_activation_lookup("tanh-not-yet"));
    ck_assert_ptr_null(gp_activation_lookup(NULL));
    free(z);
    free(a);
    free(fp);
    free(a2);
}
END_TEST

/* How far a batch form f_n may stray from f and df (scalar libm): in ulp of the scalar
 * value, or (f_abs, df_abs > 0) absolutely; below 1e-290 both are compared absolutely
 * (subnormal territory, where libmvec's exp and libm's round differently). */
typedef struct {
    const char *name;
    double f_ulp, df_ulp, df_abs;
} batch_bound;

static const batch_bound batch_bounds[] = {
    {"sigmoid", 8, 16, 0}, {"tanh", 8, 0, 20 * DBL_EPSILON},
    {"relu", 0, 0, 0},     {"leaky-relu", 0, 0, 0},
    {"softplus", 8, 8, 0}, {"identity", 0, 0, 0}};

/* Distance of got from want in the bound's units (ulp, or multiples of abs). */
static double batch_miss(double got, double want, double ulp, double abs) {
    if (abs > 0)
        return isnan(got) == isnan(want) && !(fabs(got - want) > 0)
                   ? 0
                   : fabs(got - want) / abs;
    double d = ulp_distance(got, want);
    if (fabs(want) < 1e-290 && fabs(got - want) <= 1e-300)
        d = 0;
    return ulp == 0 ? (d > 0 ? INFINITY : 0) : d / ulp;
}

/* Every activation's batch form f_n (libmvec's tanh, exp and log1p in the AVX-512 and
 * AVX2 variants; GRADPROOF_SIMD selects one) against f and df within batch_bounds, on z
 * from -750 to 750 in steps of 1/8, +-10^(k/4) from 1e-300 to 1e308, the subnormals,
 * +-0, +-inf and NaN, in runs of every length 1..17 (every masked or padded tail), with
 * and without fp, and in place (a == z): bit-identical values in all three ways. */
START_TEST(test_activation_batch_within_bounds_of_scalar) {
    const gp_activation *act = gp_activations[_i];
    const batch_bound *bd = &batch_bounds[_i];
    ck_assert_str_eq(act->name, bd->name);
    static const double special[] = {0.0,       -0.0,     5e-324,    -5e-324, 2.2e-308,
                                     -2.2e-308, INFINITY, -INFINITY, NAN};
    size_t nz = 12001 + 2 * 2433 + sizeof special / sizeof special[0], k = 0;
    double *z = malloc(nz * sizeof *z), *a = malloc(nz * sizeof *a),
           *fp = malloc(nz * sizeof *fp), *a2 = malloc(nz * sizeof *a2);
    for (; k < 12001; k++)
        z[k] = -750.0 + (double)k / 8.0;
    for (int e = -1200; e <= 1232; e++) {
        z[k++] = pow(10, e / 4.0);
        z[k++] = -pow(10, e / 4.0);
    }
    memcpy(z + k, special, sizeof special);
    for (size_t len = 1; len <= 17; len++)
        for (size_t k0 = 0; k0 < nz; k0 += len) {
            size_t n = k0 + len <= nz ? len : nz - k0;
            act->f_n(act, z + k0, a + k0, fp + k0, n);
            act->f_n(act, z + k0, a2 + k0, NULL, n);
        }
    double worst_f = 0, worst_df = 0;
    for (k = 0; k < nz; k++) {
        double f = act->f(act, z[k]), df = act->df(act, z[k]);
        double mf = batch_miss(a[k], f, bd->f_ulp, 0);
        double mdf = batch_miss(fp[k], df, bd->df_ulp, bd->df_abs);
        ck_assert_msg(mf <= 1 && mdf <= 1,
                      "%s at z = %.17g: f_n gives %.17g, %.17g; f, df give %.17g, %.17g",
                      act->name, z[k], a[k], fp[k], f, df);
        ck_assert(a2[k] == a[k] || (isnan(a2[k]) && isnan(a[k])));
        worst_f = fmax(worst_f, mf * fmax(bd->f_ulp, 1));
        worst_df = fmax(worst_df, mdf * (bd->df_abs > 0 ? bd->df_abs / DBL_EPSILON
                                                        : fmax(bd->df_ulp, 1)));
    }
    memcpy(a2, z, nz * sizeof *z);
    act->f_n(act, a2, a2, NULL, nz); /* in place */
    for (k = 0; k < nz; k++)
        ck_assert(a2[k] == a[k] || (isnan(a2[k]) && isnan(a[k])));
    printf("GP-STAT activation/batch_ulps[%s]: %zu values, f_n within %g ulp of f, "
           "f' within %g %s of df\n",
           act->name, nz, worst_f, worst_df, bd->df_abs > 0 ? "eps (absolute)" : "ulp");
    free(z);
    free(a);
    free(fp);
    free(a2);
}
END_TEST

START_TEST(test_activate_matches_vector_forms) {
    /* gp_activate_matrix acts column by column, and agrees with the vector functions. */
    gsl_rng *r = tu_rng_for_case(0xAC7, (size_t)_i);
    gp_output out = (gp_output)_i;
    gsl_matrix *Z = gsl_matrix_alloc(4, 5), *A = gsl_matrix_alloc(4, 5);
    gsl_vector *a = gsl_vector_alloc(4);
    size_t i, j;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 5; j++)
            gsl_matrix_set(Z, i, j, 3.0 * gsl_ran_gaussian(r, 1.0));
    ck_assert_int_eq(gp_activate_matrix(out, Z, A), GSL_SUCCESS);
    for (j = 0; j < 5; j++) {
        gsl_vector_const_view zc = gsl_matrix_const_column(Z, j);
        ck_assert_int_eq(gp_activate(out, &zc.vector, a), GSL_SUCCESS);
        for (i = 0; i < 4; i++) {
            double zij = gsl_matrix_get(Z, i, j), want;
            /* the matrix form's sigmoid may use a vector exp: within a few ulp */
            ck_assert_double_eq_tol(gsl_vector_get(a, i), gsl_matrix_get(A, i, j),
                                    8 * DBL_EPSILON * fabs(gsl_vector_get(a, i)));
            if (out == GP_OUTPUT_LINEAR)
                want = zij;
            else if (out == GP_OUTPUT_SIGMOID)
                want = gp_sigmoid(zij);
            else
                want = exp(zij - gp_log_sum_exp(&zc.vector));
            ck_assert_double_eq_tol(gsl_vector_get(a, i), want, 1e-15);
        }
    }
    ck_assert_str_eq(gp_output_name(GP_OUTPUT_SIGMOID), "sigmoid");
    ck_assert_str_eq(gp_output_name(GP_OUTPUT_SOFTMAX), "softmax");
    ck_assert_str_eq(gp_output_name(GP_OUTPUT_LINEAR), "linear");
    gsl_vector_free(a);
    gsl_matrix_free(A);
    gsl_matrix_free(Z);
    gsl_rng_free(r);
}
END_TEST

/* ---------------------------------------------------------------- Properties */

static double sigmoid_fn(double z, void *params) {
    (void)params;
    return gp_sigmoid(z);
}

/* Identity 1: sigma' = sigma (1 - sigma), and sigma' is the derivative of sigma. */
START_TEST(test_sigmoid_prime_is_sigma_times_one_minus_sigma) {
    size_t n = tu_cases(2000), i;
    tu_stat st, st_num;
    gsl_function F = {sigmoid_fn, NULL};
    tu_stat_init(&st, "sigmoid_prime=sigma(1-sigma)", "");
    tu_stat_init(&st_num, "sigmoid_prime=numeric", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        double z, s, sp, num, abserr;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x51, i);
        /* mostly moderate z, some out to where e^{-z} overflows */
        z = (i % 10 == 0) ? tu_uniform(r, -745.0, 745.0) : tu_uniform(r, -40.0, 40.0);
        s = gp_sigmoid(z);
        sp = gp_sigmoid_prime(z);
        /* 1 - sigma(z) = sigma(-z) exactly, so sigma(z) sigma(-z) is the accurate form;
         * the naive sigma(z)(1 - sigma(z)) agrees to absolute rounding. */
        ck_assert_msg(close_to(sp, s * gp_sigmoid(-z), 1e-13, 1e-300) &&
                          fabs(sp - s * (1.0 - s)) <= 2 * DBL_EPSILON,
                      "z=%.17g: sigma'=%.17g sigma(1-sigma)=%.17g; " TU_RERUN_FMT, z, sp,
                      s * (1.0 - s), TU_RERUN_ARGS(i, "Properties"));
        ck_assert(sp >= 0.0 && sp <= 0.25);
        tu_stat_value(&st, sp, s * gp_sigmoid(-z), 1e-300);
        if (fabs(z) < 40) {
            gsl_deriv_central(&F, z, 1e-3, &num, &abserr);
            ck_assert_msg(
                fabs(sp - num) <= 4 * abserr + 1e-10,
                "z=%.17g: sigma'=%.17g numeric=%.17g abserr=%.3g; " TU_RERUN_FMT, z, sp,
                num, abserr, TU_RERUN_ARGS(i, "Properties"));
            tu_stat_value(&st_num, sp, num, 1e-8);
        }
        st.cases++;
        st_num.cases++;
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
    tu_stat_print(&st_num);
}
END_TEST

static gsl_vector *random_z(gsl_rng *r, size_t n, double spread) {
    gsl_vector *z = gsl_vector_alloc(n);
    size_t j;
    for (j = 0; j < n; j++)
        gsl_vector_set(z, j, spread * gsl_ran_gaussian(r, 1.0));
    return z;
}

/* Identity 6 [79]. */
START_TEST(test_softmax_positive_and_sums_to_one) {
    size_t n = tu_cases(1000), i, j;
    tu_stat st;
    tu_stat_init(&st, "softmax_sum=1", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *a;
        size_t len;
        double spread, sum = 0.0;
        int extreme = (i % 5 == 0);
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x50F7, i);
        len = tu_int(r, 1, 10);
        /* Moderate spreads keep every e^{z_j - max} representable, so "positive" is
         * testable in floating point; extreme cases go to |z| ~ 700 and only need
         * a >= 0, finite, summing to 1. */
        spread = extreme ? 300.0 : tu_log_uniform(r, 1e-3, 60.0);
        z = random_z(r, len, spread);
        a = gsl_vector_alloc(len);
        ck_assert_int_eq(gp_softmax(z, a), GSL_SUCCESS);
        for (j = 0; j < len; j++) {
            double aj = gsl_vector_get(a, j);
            ck_assert_msg(isfinite(aj) && (extreme ? aj >= 0.0 : aj > 0.0) && aj <= 1.0,
                          "a_%zu = %.17g (len %zu spread %g); " TU_RERUN_FMT, j, aj, len,
                          spread, TU_RERUN_ARGS(i, "Properties"));
            sum += aj;
        }
        ck_assert_msg(fabs(sum - 1.0) <= 4 * len * DBL_EPSILON,
                      "sum a = %.17g (len %zu spread %g); " TU_RERUN_FMT, sum, len,
                      spread, TU_RERUN_ARGS(i, "Properties"));
        tu_stat_value(&st, sum, 1.0, 0);
        st.cases++;
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

typedef struct {
    const gsl_vector *z;
    gsl_vector *zt, *at;
    size_t j, k;
} softmax_param;

/* a_j as a function of z_k, the rest of z fixed. */
static double softmax_jk(double zk, void *params) {
    softmax_param *p = params;
    gsl_vector_memcpy(p->zt, p->z);
    gsl_vector_set(p->zt, p->k, zk);
    gp_softmax(p->zt, p->at);
    return gsl_vector_get(p->at, p->j);
}

/* Identity 7: d a_j / d z_k = a_j (1[j=k] - a_k), positive on the diagonal and negative
 * off it. */
START_TEST(test_softmax_jacobian_matches_numeric_and_signs) {
    size_t n = tu_cases(300), i, j, k;
    tu_stat st;
    tu_stat_init(&st, "softmax_jacobian", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *a;
        softmax_param p;
        gsl_function F = {softmax_jk, &p};
        size_t len;
        double sum_num = 0.0;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x7AC0, i);
        len = tu_int(r, 2, 10);
        z = random_z(r, len, tu_log_uniform(r, 1e-2, 5.0));
        a = gsl_vector_alloc(len);
        p.z = z;
        p.zt = gsl_vector_alloc(len);
        p.at = gsl_vector_alloc(len);
        gp_softmax(z, a);
        for (j = 0; j < len; j++)
            for (k = 0; k < len; k++) {
                double aj = gsl_vector_get(a, j), ak = gsl_vector_get(a, k);
                double g = aj * ((j == k) - ak), num, abserr;
                p.j = j;
                p.k = k;
                gsl_deriv_central(&F, gsl_vector_get(z, k), 1e-4, &num, &abserr);
                ck_assert_msg(fabs(g - num) <= 4 * abserr + 1e-10,
                              "da_%zu/dz_%zu: formula %.17g numeric %.17g abserr %.3g "
                              "(len %zu); " TU_RERUN_FMT,
                              j, k, g, num, abserr, len, TU_RERUN_ARGS(i, "Properties"));
                /* signs: the formula's always; the numeric one's where it is resolved */
                ck_assert(j == k ? g > 0 : g < 0);
                if (fabs(num) > 10 * (4 * abserr + 1e-10))
                    ck_assert_msg(
                        j == k ? num > 0 : num < 0,
                        "numeric da_%zu/dz_%zu = %g has the wrong sign; " TU_RERUN_FMT, j,
                        k, num, TU_RERUN_ARGS(i, "Properties"));
                sum_num += fabs(num);
                tu_stat_value(&st, g, num, 1e-8);
            }
        ck_assert(sum_num > 0);
        st.cases++;
        gsl_vector_free(p.at);
        gsl_vector_free(p.zt);
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* Identity 9: softmax(z + C) = softmax(z), and z_j = ln a_j + C with C = lse(z). */
START_TEST(test_softmax_shift_invariant_and_invertible) {
    size_t n = tu_cases(1000), i, j;
    tu_stat st;
    tu_stat_init(&st, "softmax_shift_inverse", "");
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *zs, *a, *as, *la;
        size_t len;
        double c, lse, c0 = 0.0;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x5F1F, i);
        len = tu_int(r, 1, 10);
        z = random_z(r, len, tu_log_uniform(r, 1e-2, 20.0));
        c = tu_uniform(r, -100.0, 100.0);
        zs = gsl_vector_alloc(len);
        a = gsl_vector_alloc(len);
        as = gsl_vector_alloc(len);
        la = gsl_vector_alloc(len);
        gsl_vector_memcpy(zs, z);
        gsl_vector_add_constant(zs, c);
        gp_softmax(z, a);
        gp_softmax(zs, as);
        gp_log_softmax(z, la);
        lse = gp_log_sum_exp(z);
        for (j = 0; j < len; j++) {
            double aj = gsl_vector_get(a, j), asj = gsl_vector_get(as, j);
            double cj = gsl_vector_get(z, j) - log(aj); /* z_j = ln a_j + C */
            ck_assert_msg(close_to(aj, asj, 1e-11, 0),
                          "shift by %g: a_%zu %.17g vs %.17g; " TU_RERUN_FMT, c, j, aj,
                          asj, TU_RERUN_ARGS(i, "Properties"));
            tu_stat_value(&st, aj, asj, 0);
            if (j == 0)
                c0 = cj;
            ck_assert_msg(close_to(cj, c0, 0, 1e-12 * (1 + fabs(lse))) &&
                              close_to(cj, lse, 0, 1e-12 * (1 + fabs(lse))),
                          "z_%zu - ln a_%zu = %.17g, z_0 - ln a_0 = %.17g, lse = "
                          "%.17g; " TU_RERUN_FMT,
                          j, j, cj, c0, lse, TU_RERUN_ARGS(i, "Properties"));
            ck_assert_msg(close_to(gsl_vector_get(la, j), gsl_vector_get(z, j) - lse, 0,
                                   1e-12 * (1 + fabs(lse))),
                          "log_softmax_%zu = %.17g, z - lse = %.17g", j,
                          gsl_vector_get(la, j), gsl_vector_get(z, j) - lse);
        }
        st.cases++;
        gsl_vector_free(la);
        gsl_vector_free(as);
        gsl_vector_free(a);
        gsl_vector_free(zs);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    tu_stat_print(&st);
}
END_TEST

/* Identity 8: changing one z_k changes every a_j. */
START_TEST(test_softmax_nonlocal) {
    size_t n = tu_cases(1000), i, j;
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *a, *a2;
        size_t len, k;
        double d;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x1071, i);
        len = tu_int(r, 2, 10);
        z = random_z(r, len, tu_uniform(r, 0.1, 3.0));
        a = gsl_vector_alloc(len);
        a2 = gsl_vector_alloc(len);
        k = tu_int(r, 0, len - 1);
        d = tu_uniform(r, 0.1, 2.0) * (gsl_rng_uniform(r) < 0.5 ? -1 : 1);
        gp_softmax(z, a);
        gsl_vector_set(z, k, gsl_vector_get(z, k) + d);
        gp_softmax(z, a2);
        for (j = 0; j < len; j++) {
            double a1j = gsl_vector_get(a, j), a2j = gsl_vector_get(a2, j);
            ck_assert_msg(a1j != a2j,
                          "a_%zu did not change when z_%zu moved by %g; " TU_RERUN_FMT, j,
                          k, d, TU_RERUN_ARGS(i, "Properties"));
            /* and in the direction identity 7 says: a_k moves with z_k, the others
             * against */
            ck_assert((j == k) == ((a2j > a1j) == (d > 0)));
        }
        gsl_vector_free(a2);
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    printf("GP-STAT softmax_nonlocal: cases=%zu\n", n);
}
END_TEST

/* Identity 10: softmax with temperature c is a distribution, and tends to the indicator
 * of the arg max (shared equally among ties) as c grows; the distance to the limit never
 * increases with c. */
START_TEST(test_softmax_temperature_limit) {
    static const double cs[] = {0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 1e3, 1e4};
    size_t n = tu_cases(500), i, j, t;
    double worst_final = 0.0;
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        gsl_vector *z, *a, *lim;
        size_t len, ties = 0;
        double zmax = -INFINITY, prev = INFINITY;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x7E39, i);
        len = tu_int(r, 1, 10);
        z = gsl_vector_alloc(len);
        a = gsl_vector_alloc(len);
        lim = gsl_vector_alloc(len);
        /* z on a grid of quarters, so ties happen and the gap to the runner-up is >= 1/4
         */
        for (j = 0; j < len; j++) {
            double zj = (double)((long)tu_int(r, 0, 12) - 6) / 4.0;
            gsl_vector_set(z, j, zj);
            zmax = fmax(zmax, zj);
        }
        for (j = 0; j < len; j++)
            ties += gsl_vector_get(z, j) == zmax;
        for (j = 0; j < len; j++)
            gsl_vector_set(lim, j,
                           gsl_vector_get(z, j) == zmax ? 1.0 / (double)ties : 0.0);
        for (t = 0; t < sizeof cs / sizeof cs[0]; t++) {
            double dist = 0.0, sum = 0.0;
            ck_assert_int_eq(gp_softmax_temp(z, cs[t], a), GSL_SUCCESS);
            for (j = 0; j < len; j++) {
                double aj = gsl_vector_get(a, j);
                ck_assert(aj >= 0.0 && aj <= 1.0);
                sum += aj;
                dist += fabs(aj - gsl_vector_get(lim, j));
            }
            ck_assert_msg(fabs(sum - 1.0) <= 4 * len * DBL_EPSILON, "c=%g: sum %.17g",
                          cs[t], sum);
            ck_assert_msg(dist <= prev + 8 * len * DBL_EPSILON,
                          "c=%g: distance to the arg-max indicator grew, %.17g > %.17g "
                          "(len %zu, %zu ties); " TU_RERUN_FMT,
                          cs[t], dist, prev, len, ties, TU_RERUN_ARGS(i, "Properties"));
            prev = dist;
        }
        /* c = 1e4 with a gap >= 1/4: the rest weigh e^{-2500} = 0 */
        ck_assert_msg(
            prev <= 4 * len * DBL_EPSILON,
            "c=1e4: distance %.17g to the indicator (%zu ties of %zu); " TU_RERUN_FMT,
            prev, ties, len, TU_RERUN_ARGS(i, "Properties"));
        worst_final = fmax(worst_final, prev);
        /* c = 1 is plain softmax */
        gp_softmax_temp(z, 1.0, a);
        gp_softmax(z, lim);
        for (j = 0; j < len; j++)
            ck_assert_double_eq_tol(gsl_vector_get(a, j), gsl_vector_get(lim, j), 1e-15);
        gsl_vector_free(lim);
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    printf("GP-STAT softmax_temperature_limit: cases=%zu worst_dist_at_c=1e4=%.3g\n", n,
           worst_final);
}
END_TEST

/* Identity 11: a sigmoid layer's outputs need not sum to 1 (softmax's always do). */
START_TEST(test_sigmoid_layer_need_not_sum_to_one) {
    size_t n = tu_cases(200), i, counter = 0, j;
    gsl_vector *z = gsl_vector_calloc(3), *a = gsl_vector_alloc(3);
    /* the counterexample of the proof: z = 0 in three neurons gives 3/2 */
    ck_assert_int_eq(gp_sigmoid_vector(z, a), GSL_SUCCESS);
    ck_assert_double_eq(
        gsl_vector_get(a, 0) + gsl_vector_get(a, 1) + gsl_vector_get(a, 2), 1.5);
    gsl_vector_free(a);
    gsl_vector_free(z);
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        size_t len;
        double sum = 0.0, ssum = 0.0;
        gsl_vector *s;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x5160, i);
        len = tu_int(r, 1, 10);
        z = random_z(r, len, 2.0);
        a = gsl_vector_alloc(len);
        s = gsl_vector_alloc(len);
        gp_sigmoid_vector(z, a);
        gp_softmax(z, s);
        for (j = 0; j < len; j++) {
            sum += gsl_vector_get(a, j);
            ssum += gsl_vector_get(s, j);
        }
        ck_assert(sum > 0.0 && sum < (double)len);
        ck_assert(fabs(ssum - 1.0) <= 4 * len * DBL_EPSILON);
        counter += fabs(sum - 1.0) > 1e-3;
        gsl_vector_free(s);
        gsl_vector_free(a);
        gsl_vector_free(z);
        gsl_rng_free(r);
    }
    if (getenv("GP_CASE") == NULL)
        ck_assert_msg(counter > n / 2, "only %zu of %zu random sigmoid layers miss 1",
                      counter, n);
    printf("GP-STAT sigmoid_layer_need_not_sum_to_one: cases=%zu counterexamples=%zu\n",
           n, counter);
}
END_TEST

/* ---------------------------------------------------------------- Errors */

START_TEST(test_activation_rejects_mismatched_lengths) {
    gsl_vector *z = gsl_vector_calloc(3), *a = gsl_vector_alloc(2);
    gsl_matrix *Z = gsl_matrix_calloc(3, 4), *A = gsl_matrix_alloc(3, 5),
               *B = gsl_matrix_alloc(2, 4);
    ck_assert_int_eq(gp_sigmoid_vector(z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_softmax(z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_log_softmax(z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_softmax_temp(z, 2.0, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate(GP_OUTPUT_SIGMOID, z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate(GP_OUTPUT_SOFTMAX, z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate(GP_OUTPUT_LINEAR, z, a), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate_matrix(GP_OUTPUT_SOFTMAX, Z, A), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate_matrix(GP_OUTPUT_SIGMOID, Z, B), GSL_EBADLEN);
    ck_assert_int_eq(gp_activate_matrix(GP_OUTPUT_LINEAR, Z, B), GSL_EBADLEN);
    gsl_matrix_free(B);
    gsl_matrix_free(A);
    gsl_matrix_free(Z);
    gsl_vector_free(a);
    gsl_vector_free(z);
}
END_TEST

START_TEST(test_softmax_temp_rejects_bad_temperature) {
    gsl_vector *z = gsl_vector_calloc(3), *a = gsl_vector_alloc(3);
    ck_assert_int_eq(gp_softmax_temp(z, 0.0, a), GSL_EDOM);
    ck_assert_int_eq(gp_softmax_temp(z, -1.0, a), GSL_EDOM);
    ck_assert_int_eq(gp_softmax_temp(z, INFINITY, a), GSL_EDOM);
    ck_assert_int_eq(gp_softmax_temp(z, NAN, a), GSL_EDOM);
    gsl_vector_free(a);
    gsl_vector_free(z);
}
END_TEST

/* "leaky-relu:ALPHA" reads ALPHA as the CLI reads a number: plain decimal, nothing
 * before or after it; a malformed one is GSL_EINVAL, out of [0, 1) GSL_EDOM. */
START_TEST(test_activation_parse_reads_plain_decimals_only) {
    gp_activation a = gp_activation_sigmoid;
    ck_assert_int_eq(gp_activation_parse("leaky-relu:0.5", &a), GSL_SUCCESS);
    ck_assert_double_eq(a.alpha, 0.5);
    ck_assert_int_eq(gp_activation_parse("leaky-relu:.25", &a), GSL_SUCCESS);
    ck_assert_int_eq(gp_activation_parse("leaky-relu:+2.5e-1", &a), GSL_SUCCESS);
    ck_assert_double_eq(a.alpha, 0.25);
    const char *bad[] = {"leaky-relu: 0.5", "leaky-relu:0x1p-1", "leaky-relu:0X.8",
                         "leaky-relu:0.5 ", "leaky-relu:",       "leaky-relu:inf",
                         "leaky-relu:nan",  "leaky-relu:0.5x",   "leaky-relu:\t0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = gp_activation_sigmoid;
        ck_assert_msg(gp_activation_parse(bad[i], &a) == GSL_EINVAL, "'%s' accepted",
                      bad[i]);
        ck_assert_str_eq(a.name, "sigmoid"); /* out untouched on failure */
    }
    ck_assert_int_eq(gp_activation_parse("leaky-relu:1.5", &a), GSL_EDOM);
    ck_assert_int_eq(gp_activation_parse("leaky-relu:-0.5", &a), GSL_EDOM);
    ck_assert_int_eq(gp_activation_parse("leaky-relu:1e-400", &a), GSL_EDOM);
    ck_assert_int_eq(gp_activation_parse("relu:0.5", &a), GSL_EINVAL);
}
END_TEST

/* gp_decimal_parse, the one number grammar (ALPHA and the CLI's options): what it
 * reads, what it refuses as malformed (GSL_EINVAL) or as a non-zero number rounding to
 * 0 (GSL_EUNDRFLW), *out untouched on failure. */
START_TEST(test_decimal_parse_grammar) {
    const struct {
        const char *s;
        double v;
    } good[] = {{"0.5", 0.5},   {".5", 0.5},        {"-5e-1", -0.5},
                {"+2", 2.0},    {"1e-320", 1e-320}, {"0", 0.0},
                {"-0.0", -0.0}, {"1e308", 1e308},   {"007", 7.0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = NAN;
        ck_assert_msg(gp_decimal_parse(good[i].s, &v) == GSL_SUCCESS, "'%s' refused",
                      good[i].s);
        ck_assert_msg(v == good[i].v && signbit(v) == signbit(good[i].v), "'%s' read %g",
                      good[i].s, v);
    }
    const char *bad[] = {"",    " 0.5",  "0.5 ", "0x1p-1", "0X.8", "inf", "-inf",
                         "nan", "1e999", ".",    "e5",     "1.5e", "5,0", "\t1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42;
        ck_assert_msg(gp_decimal_parse(bad[i], &v) == GSL_EINVAL, "'%s' accepted",
                      bad[i]);
        ck_assert_double_eq(v, 42);
    }
    double v = 42;
    ck_assert_int_eq(gp_decimal_parse("1e-400", &v), GSL_EUNDRFLW);
    ck_assert_int_eq(gp_decimal_parse("-1e-400", &v), GSL_EUNDRFLW);
    ck_assert_double_eq(v, 42);
}
END_TEST

static Suite *make_activation_suite(void) {
    Suite *s = suite_create("activation");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors");
    tcase_add_test(core, test_sigmoid_known_values);
    tcase_add_test(core, test_softmax_known_values);
    tcase_add_loop_test(core, test_activate_matches_vector_forms, 0, 3);
    tcase_add_test(core, test_batch_sigmoid_within_ulps_of_scalar);
    tcase_add_test(core, test_activation_object_matches_sigmoid);
    tcase_add_loop_test(core, test_activation_batch_within_bounds_of_scalar, 0,
                        (int)(sizeof batch_bounds / sizeof batch_bounds[0]));
    tcase_set_timeout(core, 60); /* a loaded machine: wall time, not work */
    tcase_set_timeout(props, 60);
    tcase_add_test(props, test_sigmoid_prime_is_sigma_times_one_minus_sigma);
    tcase_add_test(props, test_softmax_positive_and_sums_to_one);
    tcase_add_test(props, test_softmax_jacobian_matches_numeric_and_signs);
    tcase_add_test(props, test_softmax_shift_invariant_and_invertible);
    tcase_add_test(props, test_softmax_nonlocal);
    tcase_add_test(props, test_softmax_temperature_limit);
    tcase_add_test(props, test_sigmoid_layer_need_not_sum_to_one);
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_activation_rejects_mismatched_lengths);
    tcase_add_test(errs, test_softmax_temp_rejects_bad_temperature);
    tcase_add_test(errs, test_activation_parse_reads_plain_decimals_only);
    tcase_add_test(errs, test_decimal_parse_grammar);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_activation_suite());
}
