/* tests/check_network.c: allocation, parameter layout and initialisation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>

#include "testutil.h"

#define TU_PROG "check_network"

/* ---------------------------------------------------------------- Core */

START_TEST(test_network_alloc_layout_and_free) {
    const size_t sizes[] = {3, 5, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_gradient *g;
    size_t l;
    ck_assert_ptr_nonnull(net);
    ck_assert_uint_eq(net->p.L, 2);
    ck_assert_uint_eq(net->p.n_params, 5 * 3 + 5 + 2 * 5 + 2);
    ck_assert_ptr_eq(net->cost, &gp_cost_cross_entropy);
    for (l = 0; l <= 2; l++)
        ck_assert_uint_eq(net->p.sizes[l], sizes[l]);
    ck_assert_ptr_ne(net->p.sizes, sizes); /* a copy */
    for (l = 1; l <= 2; l++) {
        ck_assert_uint_eq(net->p.w[l - 1]->size1, sizes[l]);
        ck_assert_uint_eq(net->p.w[l - 1]->size2, sizes[l - 1]);
        ck_assert_uint_eq(net->p.b[l - 1]->size, sizes[l]);
    }
    /* W^1, b^1, W^2, b^2 contiguous in params */
    ck_assert_uint_eq(gp_params_offset(&net->p, 1, 1), 0);
    ck_assert_uint_eq(gp_params_offset(&net->p, 1, 0), 15);
    ck_assert_uint_eq(gp_params_offset(&net->p, 2, 1), 20);
    ck_assert_uint_eq(gp_params_offset(&net->p, 2, 0), 30);
    ck_assert_ptr_eq(gsl_matrix_ptr(net->p.w[0], 0, 0), gsl_vector_ptr(net->p.params, 0));
    ck_assert_ptr_eq(gsl_vector_ptr(net->p.b[0], 0), gsl_vector_ptr(net->p.params, 15));
    ck_assert_ptr_eq(gsl_matrix_ptr(net->p.w[1], 0, 0),
                     gsl_vector_ptr(net->p.params, 20));
    ck_assert_ptr_eq(gsl_vector_ptr(net->p.b[1], 1), gsl_vector_ptr(net->p.params, 31));
    /* parameters start at zero, and the views alias the block */
    ck_assert(gsl_vector_isnull(net->p.params));
    gsl_matrix_set(net->p.w[1], 1, 4, 0.3817);
    ck_assert_double_eq(gsl_vector_get(net->p.params, 20 + 1 * 5 + 4), 0.3817);
    g = gp_gradient_alloc(net);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g->L, 2);
    ck_assert_uint_eq(g->n_params, net->p.n_params);
    ck_assert(gsl_vector_isnull(g->params));
    gp_gradient_free(g);
    gp_network_free(net);
    /* _free(NULL) does nothing */
    gp_network_free(NULL);
    gp_gradient_free(NULL);
    gp_backprop_workspace_free(NULL);
}
END_TEST

START_TEST(test_network_clone_is_deep) {
    const size_t sizes[] = {4, 3, 3, 2};
    gp_network *net = gp_network_alloc(4, sizes, &gp_cost_log_likelihood), *c;
    gsl_rng *r = tu_rng_for_case(0xC10E, 0);
    size_t l;
    ck_assert_ptr_nonnull(net);
    gp_network_init(net, GP_INIT_DEFAULT, r);
    c = gp_network_clone(net);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_eq(c->cost, net->cost);
    ck_assert_uint_eq(c->p.L, net->p.L);
    ck_assert_uint_eq(c->p.n_params, net->p.n_params);
    for (l = 0; l <= net->p.L; l++)
        ck_assert_uint_eq(c->p.sizes[l], net->p.sizes[l]);
    ck_assert(gsl_vector_equal(c->p.params, net->p.params));
    ck_assert_ptr_ne(c->p.params->data, net->p.params->data);
    /* the clone's views point into the clone's block */
    ck_assert_ptr_eq(gsl_matrix_ptr(c->p.w[1], 0, 0),
                     gsl_vector_ptr(c->p.params, gp_params_offset(&c->p, 2, 1)));
    gsl_matrix_set(c->p.w[0], 0, 0, 123.0);
    ck_assert_double_ne(gsl_matrix_get(net->p.w[0], 0, 0), 123.0);
    gp_network_free(c);
    gp_network_free(net);
    gsl_rng_free(r);
}
END_TEST

/* ---------------------------------------------------------------- Properties */

/* Every hidden layer starts sigmoid; an activation set on one layer is a copy (its
 * alpha can differ per network, and changing the source later changes nothing), the
 * other layers keep theirs, and a clone carries them over. */
START_TEST(test_network_activations_default_set_and_clone) {
    size_t sizes[] = {3, 4, 5, 2};
    gp_network *net = gp_network_alloc(4, sizes, &gp_cost_cross_entropy);
    ck_assert_ptr_nonnull(net);
    for (size_t l = 1; l <= 2; l++) {
        const gp_activation *a = gp_network_activation(net, l);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->name, "sigmoid");
        ck_assert(a->f == gp_activation_sigmoid.f && a->df == gp_activation_sigmoid.df &&
                  a->f_n == gp_activation_sigmoid.f_n);
    }
    gp_activation mine = gp_activation_sigmoid;
    mine.name = "mine";
    mine.alpha = 0.3817;
    ck_assert_int_eq(gp_network_set_activation(net, 2, &mine), GSL_SUCCESS);
    mine.alpha = 7;
    ck_assert_double_eq(gp_network_activation(net, 2)->alpha, 0.3817);
    ck_assert_str_eq(gp_network_activation(net, 2)->name, "mine");
    ck_assert_str_eq(gp_network_activation(net, 1)->name, "sigmoid");
    gp_network *c = gp_network_clone(net);
    ck_assert_str_eq(gp_network_activation(c, 2)->name, "mine");
    ck_assert_double_eq(gp_network_activation(c, 2)->alpha, 0.3817);
    ck_assert_str_eq(gp_network_activation(c, 1)->name, "sigmoid");
    ck_assert_ptr_ne(gp_network_activation(c, 2), gp_network_activation(net, 2));
    gp_network_free(c);
    gp_network_free(net);
}
END_TEST

/* gp_params_locate and gp_params_offset are inverse to each other, and to the views,
 * over every index of random layouts. */
START_TEST(test_params_locate_offset_round_trip) {
    size_t n = tu_cases(100), i, idx;
    for (i = 0; i < n; i++) {
        gsl_rng *r;
        size_t sizes[9], L, l, total = 0;
        gp_network *net;
        if (!tu_case_selected(i))
            continue;
        r = tu_rng_for_case(0x10CA, i);
        L = tu_int(r, 1, 8);
        for (l = 0; l <= L; l++)
            sizes[l] = tu_int(r, 1, 12);
        for (l = 1; l <= L; l++)
            total += sizes[l] * (sizes[l - 1] + 1);
        net = gp_network_alloc(L + 1, sizes, &gp_cost_quadratic);
        ck_assert_ptr_nonnull(net);
        ck_assert_uint_eq(net->p.n_params, total);
        for (idx = 0; idx < net->p.n_params; idx++) {
            size_t ll, j, k;
            int is_w;
            double *slot;
            ck_assert_int_eq(gp_params_locate(&net->p, idx, &ll, &is_w, &j, &k),
                             GSL_SUCCESS);
            ck_assert(ll >= 1 && ll <= L);
            if (is_w) {
                ck_assert(j < sizes[ll] && k < sizes[ll - 1]);
                ck_assert_uint_eq(
                    gp_params_offset(&net->p, ll, 1) + j * sizes[ll - 1] + k, idx);
                slot = gsl_matrix_ptr(net->p.w[ll - 1], j, k);
            } else {
                ck_assert(j < sizes[ll] && k == 0);
                ck_assert_uint_eq(gp_params_offset(&net->p, ll, 0) + j, idx);
                slot = gsl_vector_ptr(net->p.b[ll - 1], j);
            }
            ck_assert_msg(
                slot == gsl_vector_ptr(net->p.params, idx),
                "index %zu located at layer %zu %s[%zu,%zu], another slot; " TU_RERUN_FMT,
                idx, ll, is_w ? "W" : "b", j, k, TU_RERUN_ARGS(i, "Properties"));
        }
        gp_network_free(net);
        gsl_rng_free(r);
    }
    printf("GP-STAT params_locate_offset_round_trip: cases=%zu\n", n);
}
END_TEST

/* Sample mean and variance of one layer's weights (or biases). */
static void layer_stats(const gsl_matrix *W, double *mean, double *var) {
    size_t n = W->size1 * W->size2;
    *mean = gsl_stats_mean(W->data, 1, n); /* views are contiguous: tda == size2 */
    *var = gsl_stats_variance_m(W->data, 1, n, 0.0);
}

/* Initialisation statistics: large N(0,1); default N(0, 1/n_in) weights, N(0,1) biases.
 * Bounds are about 6 standard errors, so a wrong variance (1 instead of 1/n_in, or
 * 1/n_out) fails while a right one passes for any seed. */
START_TEST(test_network_init_statistics) {
    const size_t sizes[] = {400, 100, 25};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gsl_rng *r = tu_rng_for_case(0x1A17, 0);
    double mean, var, bm, bv;
    size_t l, nb = 0;
    double bsum = 0, bsq = 0;
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gp_network_init(net, GP_INIT_LARGE, r), GSL_SUCCESS);
    for (l = 0; l < 2; l++) {
        size_t cnt = net->p.w[l]->size1 * net->p.w[l]->size2;
        double se = sqrt(2.0 / (double)cnt);
        layer_stats(net->p.w[l], &mean, &var);
        ck_assert_msg(fabs(mean) < 6.0 / sqrt((double)cnt), "large: layer %zu mean %g",
                      l + 1, mean);
        ck_assert_msg(fabs(var - 1.0) < 6 * se, "large: layer %zu var %g", l + 1, var);
        printf("GP-STAT init_large: layer %zu weights=%zu mean=%.4f var=%.4f\n", l + 1,
               cnt, mean, var);
    }
    ck_assert_int_eq(gp_network_init(net, GP_INIT_DEFAULT, r), GSL_SUCCESS);
    for (l = 0; l < 2; l++) {
        size_t cnt = net->p.w[l]->size1 * net->p.w[l]->size2, j;
        double n_in = (double)sizes[l], se = sqrt(2.0 / (double)cnt);
        layer_stats(net->p.w[l], &mean, &var);
        ck_assert_msg(fabs(mean) < 6.0 / sqrt(n_in * (double)cnt),
                      "default: layer %zu mean %g", l + 1, mean);
        ck_assert_msg(fabs(var * n_in - 1.0) < 6 * se, "default: layer %zu var*n_in = %g",
                      l + 1, var * n_in);
        printf("GP-STAT init_default: layer %zu weights=%zu mean=%.5f var*n_in=%.4f\n",
               l + 1, cnt, mean, var * n_in);
        for (j = 0; j < net->p.b[l]->size; j++) {
            double v = gsl_vector_get(net->p.b[l], j);
            bsum += v;
            bsq += v * v;
            nb++;
        }
    }
    bm = bsum / (double)nb;
    bv = bsq / (double)nb - bm * bm;
    ck_assert_msg(fabs(bm) < 6.0 / sqrt((double)nb) &&
                      fabs(bv - 1.0) < 6 * sqrt(2.0 / (double)nb),
                  "default: biases mean %g var %g (want N(0,1))", bm, bv);
    gp_network_free(net);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_network_init_same_seed_same_network) {
    size_t n = tu_cases(20), i;
    for (i = 0; i < n; i++) {
        const size_t sizes[] = {6, 4, 3};
        gp_network *a, *b;
        gsl_rng *r1, *r2, *r3;
        gp_init kind = (i % 2) ? GP_INIT_LARGE : GP_INIT_DEFAULT;
        if (!tu_case_selected(i))
            continue;
        a = gp_network_alloc(3, sizes, &gp_cost_quadratic);
        b = gp_network_alloc(3, sizes, &gp_cost_quadratic);
        r1 = tu_rng_for_case(0x5EED, i);
        r2 = tu_rng_for_case(0x5EED, i);
        r3 = tu_rng_for_case(0x5EED, i + n);
        gp_network_init(a, kind, r1);
        gp_network_init(b, kind, r2);
        ck_assert(gsl_vector_equal(a->p.params, b->p.params));
        gp_network_init(b, kind, r3);
        ck_assert(!gsl_vector_equal(a->p.params, b->p.params));
        gsl_rng_free(r3);
        gsl_rng_free(r2);
        gsl_rng_free(r1);
        gp_network_free(b);
        gp_network_free(a);
    }
}
END_TEST

/* ---------------------------------------------------------------- Errors */

START_TEST(test_network_alloc_rejects_bad_sizes) {
    size_t ok[] = {3, 4, 2}, zero0[] = {0, 4, 2}, zero1[] = {3, 0, 2},
           zero2[] = {3, 4, 0};
    size_t huge[] = {3, SIZE_MAX / 2, 2}, huge2[] = {SIZE_MAX / 2, SIZE_MAX / 2};
    size_t wide[] = {3, GP_MAX_WIDTH + 1};
    size_t many[GP_MAX_LAYERS + 2];
    size_t l;
    for (l = 0; l < GP_MAX_LAYERS + 2; l++)
        many[l] = 2;
    ck_assert_ptr_null(gp_network_alloc(1, ok, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(0, ok, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(3, NULL, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(3, ok, NULL));
    ck_assert_ptr_null(gp_network_alloc(3, zero0, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(3, zero1, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(3, zero2, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(3, huge, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(2, huge2, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(2, wide, &gp_cost_quadratic));
    ck_assert_ptr_null(gp_network_alloc(GP_MAX_LAYERS + 2, many, &gp_cost_quadratic));
    /* no network: refused as a NULL cost is (each dereferenced it: SIGSEGV) */
    ck_assert_ptr_null(gp_network_clone(NULL));
    ck_assert_ptr_null(gp_gradient_alloc(NULL));
    ck_assert_ptr_null(gp_backprop_workspace_alloc(NULL, 4));
    ck_assert_int_eq(gp_network_init(NULL, GP_INIT_DEFAULT, NULL), GSL_EINVAL);
    /* and the limits themselves are fine */
    {
        gp_network *net = gp_network_alloc(3, ok, &gp_cost_quadratic);
        ck_assert_ptr_nonnull(net);
        gp_network_free(net);
    }
}
END_TEST

/* Hidden layers are 1 .. L-1: layer 0, the output layer and beyond have no activation
 * object; an object without f, df or f_n is refused and changes nothing; a NULL network
 * is refused (it crashed). */
START_TEST(test_network_activation_rejects_bad_layers_and_objects) {
    size_t sizes[] = {3, 4, 2}, one[] = {3, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_network *flat = gp_network_alloc(2, one, &gp_cost_quadratic);
    ck_assert_ptr_null(gp_network_activation(net, 0));
    ck_assert_ptr_null(gp_network_activation(net, 2));
    ck_assert_ptr_null(gp_network_activation(flat, 1));
    ck_assert_int_eq(gp_network_set_activation(net, 0, &gp_activation_sigmoid),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_network_set_activation(net, 2, &gp_activation_sigmoid),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_network_set_activation(flat, 1, &gp_activation_sigmoid),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_network_set_activation(net, 1, NULL), GSL_EINVAL);
    ck_assert_ptr_null(gp_network_activation(NULL, 1));
    ck_assert_int_eq(gp_network_set_activation(NULL, 1, &gp_activation_sigmoid),
                     GSL_EINVAL);
    gp_activation bad = gp_activation_sigmoid;
    bad.name = "bad";
    bad.f_n = NULL;
    ck_assert_int_eq(gp_network_set_activation(net, 1, &bad), GSL_EINVAL);
    bad = gp_activation_sigmoid;
    bad.df = NULL;
    ck_assert_int_eq(gp_network_set_activation(net, 1, &bad), GSL_EINVAL);
    ck_assert_str_eq(gp_network_activation(net, 1)->name, "sigmoid");
    gp_network *c = gp_network_clone(flat); /* no hidden layer to copy */
    ck_assert_ptr_nonnull(c);
    gp_network_free(c);
    gp_network_free(net);
    gp_network_free(flat);
}
END_TEST

START_TEST(test_params_locate_rejects_out_of_range) {
    const size_t sizes[] = {2, 3};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    size_t l, j, k;
    int is_w;
    ck_assert_int_eq(gp_params_locate(&net->p, net->p.n_params, &l, &is_w, &j, &k),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_params_locate(&net->p, SIZE_MAX, &l, &is_w, &j, &k), GSL_EINVAL);
    ck_assert_int_eq(gp_params_locate(&net->p, net->p.n_params - 1, &l, &is_w, &j, &k),
                     GSL_SUCCESS);
    ck_assert(!is_w && l == 1 && j == 2);
    ck_assert_ptr_null(gp_backprop_workspace_alloc(net, 0));
    gp_network_free(net);
}
END_TEST

/* Layers 1..L only: l = 0 and l > L read p->sizes out of bounds (l = 0 for W was 0, a
 * real offset); now SIZE_MAX with GSL_EINVAL raised. */
START_TEST(test_params_offset_rejects_bad_layer) {
    const size_t sizes[] = {2, 3, 4};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    tu_errors_record();
    ck_assert_uint_eq(gp_params_offset(&net->p, 0, 1), SIZE_MAX);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_uint_eq(gp_params_offset(&net->p, 0, 0), SIZE_MAX);
    ck_assert_uint_eq(gp_params_offset(&net->p, 3, 1), SIZE_MAX);
    ck_assert_uint_eq(gp_params_offset(&net->p, SIZE_MAX, 0), SIZE_MAX);
    ck_assert_uint_eq(gp_params_offset(NULL, 1, 1), SIZE_MAX);
    tu_errors_record();
    ck_assert_uint_eq(gp_params_offset(&net->p, 1, 1), 0);
    ck_assert_uint_eq(gp_params_offset(&net->p, 1, 0), 6);
    ck_assert_uint_eq(gp_params_offset(&net->p, 2, 1), 9);
    ck_assert_uint_eq(gp_params_offset(&net->p, 2, 0), 21);
    ck_assert_int_eq(tu_last_error(), 0);
    gp_network_free(net);
}
END_TEST

static Suite *make_network_suite(void) {
    Suite *s = suite_create("network");
    TCase *core = tcase_create("Core"), *props = tcase_create("Properties"),
          *errs = tcase_create("Errors");
    tcase_add_test(core, test_network_alloc_layout_and_free);
    tcase_add_test(core, test_network_clone_is_deep);
    tcase_add_test(core, test_network_activations_default_set_and_clone);
    tcase_set_timeout(props, 60);
    tcase_add_test(props, test_params_locate_offset_round_trip);
    tcase_add_test(props, test_network_init_statistics);
    tcase_add_test(props, test_network_init_same_seed_same_network);
    tcase_add_checked_fixture(errs, tu_handler_off, tu_handler_restore);
    tcase_add_test(errs, test_network_alloc_rejects_bad_sizes);
    tcase_add_test(errs, test_params_locate_rejects_out_of_range);
    tcase_add_test(errs, test_params_offset_rejects_bad_layer);
    tcase_add_test(errs, test_network_activation_rejects_bad_layers_and_objects);
    suite_add_tcase(s, core);
    suite_add_tcase(s, props);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_network_suite());
}
