/* check_cases.c: the small-MLP part of bench_gradcheck on fixed networks, so that two
 * builds are timed on the same cases (bench/bench-check-same.sh).
 *   check_cases write DIR N   bench_gradcheck's N small MLPs as DIR/c.json + DIR/c.bin
 *   check_cases time DIR N R  backprop + full check of each, best of R rounds
 * The time mode uses only API that 63ebb6d (before the redesign) already had; built
 * with -DCHECK_CASES_TIME_ONLY it compiles against such a build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#ifndef CHECK_CASES_TIME_ONLY
#include "small-mlps.h"
#endif

typedef struct {
    gp_network *net;
    gsl_matrix *X, *Y;
} bench_case;

static void fail(const char *what, const char *path) {
    fprintf(stderr, "check_cases: %s: %s\n", path, what);
    exit(2);
}

#ifndef CHECK_CASES_TIME_ONLY
static void put_matrix(FILE *f, const gsl_matrix *m, const char *path) {
    size_t rc[2] = {m->size1, m->size2};
    if (fwrite(rc, sizeof rc, 1, f) != 1)
        fail("cannot write", path);
    for (size_t i = 0; i < m->size1; i++)
        if (fwrite(gsl_matrix_const_ptr(m, i, 0), sizeof(double), m->size2, f) !=
            m->size2)
            fail("cannot write", path);
}

/* bench_gradcheck's generator and limits, case c from seed 1000 + c. */
static void write_cases(const char *dir, size_t n) {
    char path[4096], eb[512];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gp_case_opts co;
    small_mlp_opts(&co);
    for (size_t c = 0; c < n; c++) {
        bench_case k;
        gsl_rng_set(rng, 1000 + c);
        if (gp_case_random(rng, gp_cost_types[c % 4], &co, &k.net, &k.X, &k.Y, NULL))
            fail("no case", dir);
        snprintf(path, sizeof path, "%s/%zu.json", dir, c);
        if (gp_netio_save(k.net, path, eb, sizeof eb))
            fail(eb, path);
        snprintf(path, sizeof path, "%s/%zu.bin", dir, c);
        FILE *f = fopen(path, "wb");
        if (f == NULL)
            fail("cannot open", path);
        put_matrix(f, k.X, path);
        put_matrix(f, k.Y, path);
        if (fclose(f))
            fail("cannot write", path);
        gp_network_free(k.net);
        gsl_matrix_free(k.X);
        gsl_matrix_free(k.Y);
    }
    gsl_rng_free(rng);
}
#endif

static gsl_matrix *get_matrix(FILE *f, const char *path) {
    size_t rc[2];
    if (fread(rc, sizeof rc, 1, f) != 1 || rc[0] == 0 || rc[1] == 0 || rc[0] > 4096 ||
        rc[1] > 4096)
        fail("not a case file", path);
    gsl_matrix *m = gsl_matrix_alloc(rc[0], rc[1]);
    for (size_t i = 0; i < rc[0]; i++)
        if (fread(gsl_matrix_ptr(m, i, 0), sizeof(double), rc[1], f) != rc[1])
            fail("case file cut short", path);
    return m;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One round: what bench_gradcheck times per network. valgrind's callgrind counts
 * exactly this function with --toggle-collect=run_cases. */
__attribute__((noinline)) double run_cases(const bench_case *k, size_t n,
                                           const gp_fcheck_opts *opts, size_t *params);
__attribute__((noinline)) double run_cases(const bench_case *k, size_t n,
                                           const gp_fcheck_opts *opts, size_t *params) {
    double total = 0;
    *params = 0;
    for (size_t c = 0; c < n; c++) {
        double t0 = now();
        gp_backprop_workspace *ws = gp_backprop_workspace_alloc(k[c].net, k[c].X->size2);
        gp_gradient *g = gp_gradient_alloc(k[c].net);
        gp_fcheck_report *r = gp_oracle_report_alloc(k[c].net);
        gp_backprop_batch(k[c].net, k[c].X, k[c].Y, ws, g);
        gp_oracle_check_network(k[c].net, k[c].X, k[c].Y, NULL, g, opts, r);
        total += now() - t0;
        *params += r->n_checked;
        if (r->n_failed)
            fail("a correct gradient failed its check", "case");
        gp_fcheck_report_free(r);
        gp_gradient_free(g);
        gp_backprop_workspace_free(ws);
    }
    return total;
}

static void time_cases(const char *dir, size_t n, int reps) {
    char path[4096], eb[512];
    bench_case *k = calloc(n, sizeof *k);
    for (size_t c = 0; c < n; c++) {
        snprintf(path, sizeof path, "%s/%zu.json", dir, c);
        if (gp_netio_load(path, &k[c].net, eb, sizeof eb))
            fail(eb, path);
        snprintf(path, sizeof path, "%s/%zu.bin", dir, c);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            fail("cannot open", path);
        k[c].X = get_matrix(f, path);
        k[c].Y = get_matrix(f, path);
        fclose(f);
    }
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    double best = 1e30;
    size_t params = 0;
    for (int q = 0; q < reps; q++) {
        double t = run_cases(k, n, &opts, &params);
        best = t < best ? t : best;
    }
    printf("%zu networks, %.1f parameters on average, best of %d: %.4f ms per network\n",
           n, (double)params / (double)n, reps, 1e3 * best / (double)n);
    for (size_t c = 0; c < n; c++) {
        gp_network_free(k[c].net);
        gsl_matrix_free(k[c].X);
        gsl_matrix_free(k[c].Y);
    }
    free(k);
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
#ifndef CHECK_CASES_TIME_ONLY
        write_cases(argv[2], (size_t)atol(argv[3]));
        return 0;
#endif
    } else if (argc == 5 && strcmp(argv[1], "time") == 0) {
        time_cases(argv[2], (size_t)atol(argv[3]), atoi(argv[4]));
        return 0;
    }
    fprintf(stderr, "usage: check_cases write DIR N | check_cases time DIR N REPS\n");
    return 1;
}
