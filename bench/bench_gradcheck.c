/* bench_gradcheck.c: timings of the oracle's full 5-point check.
 *   bench_gradcheck [REPS [NETS]]
 * 1. [784,30,10], cross-entropy, weights N(0,1/n_in), batch of 10 pixel-like inputs
 *    U(0,1): all 23,860 parameters, the best of REPS runs (and the best CPU time,
 *    less sensitive to other load; the SIMD variant that ran).
 * 2. Random small MLPs (1-4 weight layers, widths 1-8, batches 1-8, all four costs):
 *    the mean time per network of backprop + full check over NETS networks (2000;
 *    0 skips part 2, for instruction counts of part 1 alone). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#include "small-mlps.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void) {
    return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    gsl_set_error_handler_off();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {784, 30, 10};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_network_init(net, GP_INIT_DEFAULT, rng);
    gsl_matrix *X = gsl_matrix_alloc(784, 10), *Y = gsl_matrix_calloc(10, 10);
    for (size_t k = 0; k < 784; k++)
        for (size_t i = 0; i < 10; i++)
            gsl_matrix_set(X, k, i, gsl_rng_uniform(rng));
    for (size_t i = 0; i < 10; i++)
        gsl_matrix_set(Y, gsl_rng_uniform_int(rng, 10), i, 1.0);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 10);
    gp_gradient *g = gp_gradient_alloc(net);
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    gp_fcheck_report *r = gp_oracle_report_alloc(net);
    double best = 1e30, best_cpu = 1e30;
    size_t evals = 0;
    for (int q = 0; q < reps; q++) {
        double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        gp_backprop_batch(net, X, Y, w, g);
        gp_oracle *o = gp_oracle_alloc(net, X, Y, NULL);
        gp_fcheck_report_reset(r);
        evals = 0;
        gp_oracle_check(o, g, &opts, r, &evals);
        gp_oracle_free(o);
        double dt = now() - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best = dt < best ? dt : best;
        best_cpu = dc < best_cpu ? dc : best_cpu;
    }
    printf("gradproof [784,30,10] batch 10: %zu parameters, %zu cost evaluations, "
           "%zu failed, max rel err %.2e, best of %d: %.4f s (CPU time %.4f s, %s)\n",
           r->n_checked, evals, r->n_failed, r->max_rel_error, reps, best, best_cpu,
           gp_simd());
    int failed = r->n_failed != 0;
    gp_fcheck_report_free(r);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);

    /* Small random MLPs. */
    gp_case_opts co;
    small_mlp_opts(&co);
    size_t n = argc > 2 ? (size_t)atol(argv[2]) : 2000, params = 0, nfail = 0;
    if (n == 0) {
        gsl_rng_free(rng);
        return failed;
    }
    double total = 0;
    for (size_t c = 0; c < n; c++) {
        gsl_matrix *Xs, *Ys;
        gp_network *ns;
        gsl_rng_set(rng, 1000 + c);
        gp_case_random(rng, gp_cost_types[c % 4], &co, &ns, &Xs, &Ys, NULL);
        double t0 = now();
        gp_backprop_workspace *ws = gp_backprop_workspace_alloc(ns, Xs->size2);
        gp_gradient *gs = gp_gradient_alloc(ns);
        gp_fcheck_report *rs = gp_oracle_report_alloc(ns);
        gp_backprop_batch(ns, Xs, Ys, ws, gs);
        gp_oracle_check_network(ns, Xs, Ys, NULL, gs, &opts, rs);
        total += now() - t0;
        params += rs->n_checked;
        nfail += rs->n_failed != 0;
        gp_fcheck_report_free(rs);
        gp_gradient_free(gs);
        gp_backprop_workspace_free(ws);
        gp_network_free(ns);
        gsl_matrix_free(Xs);
        gsl_matrix_free(Ys);
    }
    printf("gradproof small MLPs (1-4 layers, widths 1-8, batch 1-8): %zu networks, "
           "%.1f parameters on average, %zu failed, mean %.4f ms per network\n",
           n, (double)params / (double)n, nfail, 1e3 * total / (double)n);
    gsl_rng_free(rng);
    return failed || nfail;
}
