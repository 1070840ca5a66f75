/* examples/gradcheck.c: the library in one example (README "The library in one
 * example"). Build a [20,12,10] cross-entropy network, backpropagate a batch of 8
 * samples (BP1-BP4, doc/mathematics.md), and check every dC/dW, dC/db and every
 * delta^l = dC_x/dz^l against gsl_deriv_central. Prints the verdict; exits 1 if any
 * entry fails or the check saw no signal. Public API only:
 *     cc gradcheck.c $(pkg-config --cflags --libs gradproof) -o gradcheck */
#include <gradproof/gradproof.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <stdio.h>
#include <stdlib.h>

/* A batch of m samples as columns: x uniform in [0,1], y in [0,1] (cross-entropy
 * targets need not be 0 or 1, doc/mathematics.md "Costs"). */
static void fill_batch(gsl_rng *rng, gsl_matrix *X, gsl_matrix *Y) {
    for (size_t i = 0; i < X->size1; i++)
        for (size_t k = 0; k < X->size2; k++)
            gsl_matrix_set(X, i, k, gsl_rng_uniform(rng));
    for (size_t j = 0; j < Y->size1; j++)
        for (size_t k = 0; k < Y->size2; k++)
            gsl_matrix_set(Y, j, k, gsl_rng_uniform(rng));
}

static void print_report(const char *what, const gp_fcheck_report *rep) {
    printf("%-26s %zu checked, %zu failed, worst relative error %.2g\n", what,
           rep->n_checked, rep->n_failed, rep->max_rel_error);
}

int main(void) {
    gsl_set_error_handler_off(); /* the library returns status codes; we report them */
    const size_t sizes[] = {20, 12, 10}, m = 8;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_backprop_workspace *w = net ? gp_backprop_workspace_alloc(net, m) : NULL;
    gp_gradient *g = net ? gp_gradient_alloc(net) : NULL;
    gsl_matrix *X = gsl_matrix_alloc(sizes[0], m), *Y = gsl_matrix_alloc(sizes[2], m);
    /* Reports name their tensors: W1, b1, W2, b2, and z1, z2 (n_l x m). */
    gp_fcheck_report *params =
        net ? gp_formula_report_alloc(GP_FORMULA_PARAMS, net, m) : NULL;
    gp_fcheck_report *deltas =
        net ? gp_formula_report_alloc(GP_FORMULA_DELTA, net, m) : NULL;
    int ok = 0, status = GSL_ENOMEM;
    if (!rng || !w || !g || !X || !Y || !params || !deltas)
        goto done;
    gsl_rng_set(rng, 3817);
    gp_network_init(net, GP_INIT_DEFAULT, rng); /* W ~ N(0,1/n_in), b ~ N(0,1) */
    fill_batch(rng, X, Y);

    gp_fcheck_opts opts;
    gp_fcheck_opts_default(&opts, GP_FLOAT64);
    status = gp_backprop_batch(net, X, Y, w, g); /* X: 20 x m, Y: 10 x m */
    if (!status) /* every dC/dW, dC/db (BP3, BP4) vs gsl_deriv_central */
        status = gp_gradcheck_params(net, X, Y, NULL, g, &opts, params);
    if (!status) /* every delta^l (BP1, BP2) vs the numerical dC_x/dz^l */
        status = gp_gradcheck_deltas(net, X, Y, w->delta, &opts, deltas);
    if (status)
        goto done;
    print_report("dC/dW, dC/db (BP3, BP4):", params);
    print_report("delta^l (BP1, BP2):", deltas);
    /* An all-zero gradient would match a flat cost: demand a signal as well. */
    ok = params->n_failed == 0 && deltas->n_failed == 0 && params->sum_abs_numeric > 0 &&
         deltas->sum_abs_numeric > 0;
    printf("verdict: %s\n", ok ? "PASS" : "FAIL");
done:
    if (status)
        fprintf(stderr, "gradcheck: %s\n", gsl_strerror(status));
    gp_fcheck_report_free(deltas);
    gp_fcheck_report_free(params);
    gsl_matrix_free(Y);
    gsl_matrix_free(X);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
    gsl_rng_free(rng);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
