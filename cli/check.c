/* check.c: `gradproof check`, the derivation checks on random networks. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

#include "mpi.h" /* the CLI's layer (cli/mpi.h), not Open MPI's <mpi.h> */
#include "report.h"

#define CMD "check"

/* The check engine's formulas (gp_formula), as the table prints them. */
static const char *const formula_names[GP_N_FORMULAS] = {
    "delta^l = dC/dz^l [BP1,BP2]", "dC/dW, dC/db [BP3,BP4]", "+ L2 + L1 gradient"};

static const cli_option opt_cases = {.name = "cases",
                                     .short_name = 'n',
                                     .kind = CLI_SIZE,
                                     .arg = "N",
                                     .lo = 1,
                                     .hi = 1e9,
                                     .def = "200",
                                     .help = "random networks per cost"};
static const cli_option opt_case = {.name = "case",
                                    .short_name = 'i',
                                    .kind = CLI_SIZE,
                                    .arg = "I",
                                    .hi = 1e9,
                                    .unset = "all",
                                    .help =
                                        "run only case I (to rerun a reported failure)",
                                    .more = "I below --cases, when given"};
static const cli_option opt_record = {
    .name = "record",
    .short_name = 'r',
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "on the first failure, shrink the case (fewer layers, narrower layers, fewer "
            "samples, simpler values) and write it to FILE as a failure record",
    .more = "(gradproof replay FILE reruns it)"};

static const cli_option opt_budget = {
    .name = "time-budget",
    .kind = CLI_REAL,
    .arg = "SECONDS",
    .hi = 1e9,
    .lo_open = 1,
    .unset = "none",
    .help = "soak: stop after the first block of cases that ends past SECONDS",
    .more =
        "--cases then defaults to 1000000000; cases 0..N-1 are done for every cost, the "
        "report names N, and --cases N reproduces it exactly; not with --case"};
static const cli_option opt_progress = {
    .name = "progress",
    .kind = CLI_REAL,
    .arg = "SECONDS",
    .hi = 1e9,
    .def = "60",
    .help = "a progress line on stderr every SECONDS (0: none); the blocks of cases "
            "are sized to end by it",
    .more = "(a line comes about one case index per rank late, as a budgeted run "
            "ends; a SECONDS shorter than one case index gives a line after each)"};
static const cli_option opt_tol_scale = {
    .name = "tol-scale",
    .kind = CLI_REAL,
    .arg = "F",
    .hi = 1e6,
    .lo_open = 1,
    .def = "1",
    .help = "multiply every tolerance of the pass rule by F (F < 1 tightens the check)",
    .more = "abserr factor, atol, rtol and stol alike (gp_fcheck_rule)"};

/* One property (a cost and a formula) over the cases this rank ran: counts, the worst
 * relative error and its first failure (the lowest failing case index) as one line;
 * with --noise the inconclusive entries and the fewest digits of any entry. */
typedef struct {
    size_t cases, coords, failed, failing_cases, at_kink, inconclusive;
    double worst_rel, min_digits;
    size_t first; /* SIZE_MAX: none */
    char line[512];
} tally;

#define MAX_ROWS 64
/* A run of check: the options, and a tally per row (a cost and a hidden activation)
 * and formula. */
typedef struct {
    size_t cases, only;
    unsigned long seed;
    const gp_cost_type *only_cost;
    const char *record, *only_act;
    gp_activation act_opt; /* --activation */
    double budget, progress, tol_scale;
    int n_rows, with_budget, noise;
    const gp_cost_type *cost[MAX_ROWS];
    const gp_activation *act[MAX_ROWS];
    char act_name[MAX_ROWS][64];
    tally tl[MAX_ROWS][GP_N_FORMULAS];
} check_run;

static void tally_add(tally *t, const gp_fcheck_report *r) {
    t->cases++;
    t->coords += r->n_checked;
    t->failed += r->n_failed;
    t->failing_cases += r->n_failed > 0;
    t->at_kink += r->n_at_kink;
    t->inconclusive += r->n_inconclusive;
    if (r->min_digits < t->min_digits)
        t->min_digits = r->min_digits;
    if (r->max_rel_error > t->worst_rel)
        t->worst_rel = r->max_rel_error;
}

/* The failure line of case i: the worst entry and the command that reruns the case. */
static void failure_line(const check_run *c, int k, const gp_network *net, gp_formula f,
                         size_t i, const gp_fcheck_report *r, char *buf, size_t len) {
    const gp_fcheck_entry *e = &r->worst[0];
    char name[64], sizes[64], tol[64] = "";
    size_t at = 0;
    gp_fcheck_entry_name(r, e, name, sizeof name);
    for (size_t l = 0; l <= net->p.L && at < sizeof sizes; l++)
        at += (size_t)snprintf(sizes + at, sizeof sizes - at, "%s%zu", l ? "," : "",
                               net->p.sizes[l]);
    if (c->tol_scale != 1)
        snprintf(tol, sizeof tol, " --tol-scale %.17g", c->tol_scale);
    if (c->noise)
        strcat(tol, " --noise");
    snprintf(buf, len,
             CLI_NAME ": FAIL %s %s %s, case %zu, sizes [%s]: %s analytic %.17g numeric "
                      "%.17g abserr %.3g (rerun: " CLI_NAME " " CMD
                      " --cost %s --activation %s --seed %lu --case %zu%s)",
             net->cost->name, c->act_name[k], formula_names[f], i, sizes, name,
             e->analytic, e->numeric, e->abserr, net->cost->name, c->act_name[k], c->seed,
             i, tol);
}

/* A failing formula of case i: its line kept if it is this rank's first failure of the
 * property, and (with --record, one process) the first failure found shrunk and
 * recorded. */
static void on_failure(check_run *c, int k, const gp_network *net, const gsl_matrix *X,
                       const gsl_matrix *Y, const gp_regularization *reg, gp_formula f,
                       size_t i, const gp_fcheck_report *r) {
    tally *t = &c->tl[k][f];
    if (t->first == SIZE_MAX) {
        t->first = i;
        failure_line(c, k, net, f, i, r, t->line, sizeof t->line);
    }
    if (!c->record)
        return;
    char msg[512];
    int rc = gp_record_check_failure(c->record, f, reg, net, X, Y, c->seed, i, msg,
                                     sizeof msg);
    fprintf(stderr, CLI_NAME ": %s%s\n", rc ? "--record: " : "", msg);
    c->record = NULL; /* one record: the first failure found */
}

/* Case i of row k (gp_case_random with the row's cost and hidden activation, seeded
 * with seed * 1000003 + i, so the shapes and weights depend on i alone; with ReLU or
 * leaky ReLU, in case i = 1 mod 4 one unit of one sample sits exactly on its kink, in
 * case i = 3 mod 4 near it (gp_case_kink), so the checker takes one-sided derivatives
 * or shrinks its step): each formula checked by gp_check_formula, the L2/L1 strengths
 * drawn after the case, the reports added to the tallies. Returns a GSL status
 * (GSL_FAILURE is a failed formula, not an error). */
static int run_case(check_run *c, gsl_rng *rng, int k, size_t i,
                    const gp_fcheck_opts *go) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.activation = c->act[k];
    co.kink = i % 2 == 0   ? GP_CASE_KINK_NONE
              : i % 4 == 1 ? GP_CASE_KINK_ON
                           : GP_CASE_KINK_NEAR;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_regularization reg = {0, 0, 0};
    gp_fcheck_report *rep[GP_N_FORMULAS] = {NULL};
    gsl_rng_set(rng, c->seed * 1000003UL + i);
    int status = gp_case_random(rng, c->cost[k], &co, &net, &X, &Y, NULL);
    for (int f = 0; f < GP_N_FORMULAS && !status; f++) {
        if (f == GP_FORMULA_REG) {
            reg.lambda = gsl_rng_uniform(rng) * 5;
            reg.l1 = gsl_rng_uniform(rng);
            reg.n = 1 + gsl_rng_uniform_int(rng, 100);
        }
        rep[f] = gp_formula_report_alloc((gp_formula)f, net, X->size2);
        status = rep[f] ? gp_check_formula((gp_formula)f, net, X, Y, &reg, go, rep[f])
                        : GSL_ENOMEM;
    }
    for (int f = 0; f < GP_N_FORMULAS && !status; f++) {
        tally_add(&c->tl[k][f], rep[f]);
        if (rep[f]->n_failed)
            on_failure(c, k, net, X, Y, &reg, (gp_formula)f, i, rep[f]);
    }
    for (int f = 0; f < GP_N_FORMULAS; f++)
        gp_fcheck_report_free(rep[f]);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}

/* Cases lo..hi-1 of every cost that fall to this rank (case i: rank i mod K).
 * Returns 1 after printing the error if a check could not run. */
static int run_block(check_run *c, gsl_rng *rng, size_t lo, size_t hi) {
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    go.abserr_factor *= c->tol_scale;
    go.atol *= c->tol_scale;
    go.rtol *= c->tol_scale;
    go.stol *= c->tol_scale;
    if (c->noise)
        go.noise = GP_NOISE_FULL; /* else the default: the noise of failing entries */
    for (int k = 0; k < c->n_rows; k++)
        for (size_t i = lo; i < hi; i++) {
            if (!cli_mpi_owns(i) || (c->only != SIZE_MAX && i != c->only))
                continue;
            int status = run_case(c, rng, k, i, &go);
            if (status)
                return cli_error(CMD, "%s %s case %zu: %s", c->cost[k]->name,
                                 c->act_name[k], i, gsl_strerror(status));
        }
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The tallies of all ranks, on every rank (collective): counts add up, the worst error
 * is the maximum, the fewest digits the minimum (the maximum of its negation) and the
 * first failure the one of lowest case index, so the result is the single process's
 * for any number of ranks. Returns 0, or 1 after an error. */
static int reduce(check_run *c) {
    static size_t v[6 * MAX_ROWS * GP_N_FORMULAS];
    double w[2 * MAX_ROWS * GP_N_FORMULAS];
    size_t n = (size_t)c->n_rows * GP_N_FORMULAS;
    tally *t = &c->tl[0][0];
    for (size_t p = 0; p < n; p++) {
        size_t *q = &v[6 * p];
        q[0] = t[p].cases, q[1] = t[p].coords, q[2] = t[p].failed;
        q[3] = t[p].failing_cases, q[4] = t[p].at_kink, q[5] = t[p].inconclusive;
        w[2 * p] = t[p].worst_rel, w[2 * p + 1] = -t[p].min_digits;
    }
    if (cli_mpi_sum(v, 6 * n) || cli_mpi_max(w, 2 * n))
        return 1;
    for (size_t p = 0; p < n; p++) {
        t[p].cases = v[6 * p], t[p].coords = v[6 * p + 1], t[p].failed = v[6 * p + 2];
        t[p].failing_cases = v[6 * p + 3], t[p].at_kink = v[6 * p + 4];
        t[p].inconclusive = v[6 * p + 5];
        t[p].worst_rel = w[2 * p], t[p].min_digits = -w[2 * p + 1];
        if (cli_mpi_first(&t[p].first, t[p].line, sizeof t[p].line))
            return 1;
    }
    return 0;
}

/* Rank 0, every --progress seconds: cases done per cost (of total, without a budget),
 * failing cases so far. */
static int progress(check_run *c, size_t done, size_t total, double elapsed) {
    size_t fails[MAX_ROWS * GP_N_FORMULAS], n = (size_t)c->n_rows * GP_N_FORMULAS,
                                            props = 0;
    for (size_t p = 0; p < n; p++)
        fails[p] = (&c->tl[0][0])[p].failing_cases;
    if (cli_mpi_sum(fails, n))
        return 1;
    for (size_t p = 0; p < n; p++)
        props += fails[p] > 0;
    if (cli_mpi_rank() == 0) {
        fprintf(stderr, CLI_NAME ": " CMD ": progress: %zu %s per cost in %.1f s", done,
                cli_plural(done, "case", "cases"), elapsed);
        if (c->with_budget)
            fprintf(stderr, " (time budget %g s)", c->budget);
        else
            fprintf(stderr, " (of %zu)", total);
        fprintf(stderr, ", %zu failing %s\n", props,
                cli_plural(props, "property", "properties"));
    }
    return 0;
}

/* Case indices per rank in the next block: 32, or fewer to end by the next deadline,
 * the time budget or the next progress line (elapsed seconds next_line). Rank 0 sizes
 * the block from the mean time per case index so far, between 1 and 32 indices per rank
 * and at most twice the last: the run stops, or the line is printed, at the first block
 * end past the deadline, about one case index (every cost and activation) per rank
 * after it. */
static size_t next_block(const check_run *c, size_t last, size_t done, double elapsed,
                         double next_line) {
    double left = c->with_budget ? c->budget - elapsed : INFINITY;
    if (c->progress > 0)
        left = GSL_MIN(left, next_line - elapsed);
    if (isinf(left))
        return 32;
    double per_index = done ? elapsed / ((double)done / cli_mpi_size()) : 0;
    double fit = per_index > 0 ? left / per_index : 32;
    size_t b = fit >= 32 ? 32 : fit >= 1 ? (size_t)fit : 1;
    return GSL_MIN(b, 2 * last);
}

/* Cases in blocks of index order (next_block); after each block the ranks agree (rank
 * 0's clock and block size) whether to stop, whether to print progress and how long the
 * next block is, so the cases done are always 0..N-1. With a deadline (a budget or
 * --progress) the first block is one case index per rank, which times the next. */
static int run_all(check_run *c, size_t *done) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return cli_error(CMD, "out of memory");
    size_t K = (size_t)cli_mpi_size(), lo = 0, end = c->cases, first;
    size_t per_rank = c->with_budget || c->progress > 0 ? 1 : 32;
    if (c->only != SIZE_MAX) { /* one case: its block alone */
        lo = c->only;
        end = c->only + 1;
    }
    first = lo; /* a progress line counts the cases of this run */
    double start = now(), last = start;
    int st = 0;
    for (*done = lo; lo < end && !st; lo = *done) {
        *done = end - lo < per_rank * K ? end : lo + per_rank * K;
        double flag[4] = {run_block(c, rng, lo, *done), 0, 0, 0}, t = now();
        if (cli_mpi_rank() == 0) {
            flag[1] = c->with_budget && t - start >= c->budget && *done < end;
            flag[2] = c->progress > 0 && t - last >= c->progress;
            double line = (flag[2] ? t : last) + c->progress - start;
            flag[3] = (double)next_block(c, per_rank, *done, t - start, line);
        }
        if (cli_mpi_max(flag, 4) || flag[0])
            st = 1;
        else if (flag[2] &&
                 (last = t, progress(c, *done - first, end - first, t - start)))
            st = 1;
        else if (flag[1])
            break;
        per_rank = (size_t)flag[3];
    }
    gsl_rng_free(rng);
    return st;
}

/* One row of the table; with --noise two more columns before the verdict: the
 * inconclusive entries and the fewest digits of any reference. */
static void report_row(const check_run *c, int k, int f) {
    const tally *t = &c->tl[k][f];
    printf("%-16s %-12s %-28s %7zu %9zu %7zu %14.3e  ", c->cost[k]->name, c->act_name[k],
           formula_names[f], t->cases, t->coords, t->at_kink, t->worst_rel);
    if (c->noise)
        printf("%7zu %6.1f  ", t->inconclusive, t->min_digits);
    printf("%s\n", t->failed ? "FAIL" : t->inconclusive ? "inconclusive" : "ok");
}

/* The table on stdout, then the first failure of each failing property on stderr. */
static int report(const check_run *c, size_t done) {
    int failed = 0;
    size_t inconclusive = 0;
    printf("%-16s %-12s %-28s %7s %9s %7s %14s  ", "cost", "activation", "formula",
           "cases", "coords", "at kink", "worst rel err");
    if (c->noise)
        printf("%7s %6s  ", "inconcl", "digits");
    printf("verdict\n");
    for (int k = 0; k < c->n_rows; k++)
        for (int f = 0; f < GP_N_FORMULAS; f++) {
            report_row(c, k, f);
            failed |= c->tl[k][f].failed != 0;
            inconclusive += c->tl[k][f].inconclusive;
        }
    fflush(stdout);
    if (inconclusive)
        fprintf(stderr,
                CLI_NAME ": " CMD ": %zu %s inconclusive: the measured noise of the "
                         "cost leaves their finite differences unable to resolve them "
                         "(not failures)\n",
                inconclusive, cli_plural(inconclusive, "entry", "entries"));
    for (int k = 0; k < c->n_rows; k++)
        for (int f = 0; f < GP_N_FORMULAS; f++)
            if (c->tl[k][f].failed)
                fprintf(stderr, "%s; failing cases: %zu of %zu, the first shown\n",
                        c->tl[k][f].line, c->tl[k][f].failing_cases, c->tl[k][f].cases);
    if (c->with_budget && done < c->cases)
        fprintf(stderr,
                CLI_NAME ": " CMD ": time budget reached after %zu %s per cost; "
                         "--cases %zu gives the same report\n",
                done, cli_plural(done, "case", "cases"), done);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int check_all(check_run *c) {
    /* A record is the shrunk first failure; one rank cannot know it is the first. */
    if (c->record && cli_mpi_size() > 1)
        return cli_mpi_rank() == 0
                   ? cli_error(CMD, "--record runs in one process: rerun the failing "
                                    "case alone (--cost NAME --case I --record FILE)")
                   : EXIT_FAILURE;
    /* Fail early, not after a soak's hours, when the record cannot be written. */
    if (c->record && cli_probe_writable(CMD, "--record", c->record))
        return EXIT_FAILURE;
    /* Rows: every hidden activation (or --activation's), every cost within it. */
    for (size_t a = 0; gp_activations[a] && (!c->only_act || a == 0); a++)
        for (size_t t = 0; gp_cost_types[t] && c->n_rows < MAX_ROWS; t++)
            if (!c->only_cost || gp_cost_types[t] == c->only_cost) {
                int k = c->n_rows++;
                c->cost[k] = gp_cost_types[t];
                c->act[k] = c->only_act ? &c->act_opt : gp_activations[a];
                gp_activation_format(c->act[k], c->act_name[k], sizeof c->act_name[k]);
            }
    for (int k = 0; k < c->n_rows; k++)
        for (int f = 0; f < GP_N_FORMULAS; f++) {
            c->tl[k][f].first = SIZE_MAX;
            c->tl[k][f].min_digits = GP_FCHECK_MAX_DIGITS;
        }
    size_t done = 0;
    if (run_all(c, &done) || reduce(c))
        return EXIT_FAILURE;
    return cli_mpi_rank() == 0 ? report(c, done) : EXIT_SUCCESS;
}

int cmd_check(int argc, char **argv) {
    static check_run c;
    int cases_set = 0;
    memset(&c, 0, sizeof c);
    c.only = SIZE_MAX;
    const cli_arg args[] = {
        {.opt = &opt_cases, .dest = &c.cases, .seen = &cases_set},
        {.opt = &cli_opt_seed, .dest = &c.seed, .note = "case i uses seed S*1000003+i"},
        {.opt = &cli_opt_cost,
         .dest = &c.only_cost,
         .unset = "all",
         .note = "only this cost"},
        {.opt = &cli_opt_activation,
         .dest = &c.only_act,
         .unset = "all",
         .arg = "NAME",
         .note = "only this one, in every hidden layer of every case"},
        {.opt = &opt_case, .dest = &c.only},
        {.opt = &opt_record, .dest = &c.record},
        {.opt = &opt_tol_scale, .dest = &c.tol_scale},
        {.opt = &cli_opt_noise, .dest = &c.noise},
        {.heading = "Soak runs:"},
        {.opt = &opt_budget, .dest = &c.budget, .seen = &c.with_budget},
        {.opt = &opt_progress, .dest = &c.progress},
    };
    cli_command cmd = {
        .name = CMD,
        .synopsis = "[OPTIONS]",
        .about =
            "Check every analytic gradient (delta^l, dC/dW, dC/db, with and without "
            "L2/L1)\n"
            "against gsl_deriv_central on random networks (1-4 layers, widths 1-10,\n"
            "batches 1-16, weight scales 1e-3..10), for every cost and hidden "
            "activation.\n"
            "For relu and leaky-relu, every other case puts one unit on its kink z = 0\n"
            "(exactly, or within 1e-9..1e-5); entries checked there against the "
            "one-sided\n"
            "derivative are counted under 'at kink'. Exit status 1 on any failure, with "
            "the\n"
            "first failing case of each cost, activation and formula. An entry failing\n"
            "the one-ulp rule has the cost's noise measured; where that noise hides the\n"
            "difference it is inconclusive. With --noise every entry's noise is "
            "measured\n"
            "and the table adds the inconclusive entries and the fewest digits;\n"
            "inconclusive entries are not failures (exit status 0 if nothing fails).\n"
            "Under mpirun -np K, case i runs on rank i mod K and the report is the\n"
            "single process's.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0]};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    if (c.only_act && cli_activation_one(CMD, c.only_act, &c.act_opt))
        return EXIT_FAILURE;
    /* one case is one block, which the budget cannot cut: it was ignored, and the run
     * ended saying the budget was reached after cases it had not run */
    if (c.with_budget && c.only != SIZE_MAX)
        return cli_error(CMD, "--time-budget goes with a run of cases, not --case: one "
                              "case runs whole whatever the budget");
    if (c.with_budget && !cases_set)
        c.cases = 1000000000;
    /* --case alone: the rerun a failure prints (without --cases), whatever its index (a
     * soak's or a larger --cases' case passes the default) */
    if (c.only != SIZE_MAX && !cases_set && c.only >= c.cases)
        c.cases = c.only + 1;
    /* a case past --cases ran nothing and passed */
    if (c.only != SIZE_MAX && c.only >= c.cases)
        return cli_error(CMD, "invalid --case '%zu': must be below --cases %zu", c.only,
                         c.cases);
    if (c.record && (c.tol_scale != 1 || c.noise))
        return cli_error(CMD, "--record checks with the default options: drop %s",
                         c.noise ? "--noise" : "--tol-scale");
    if (cli_mpi_init(&argc, &argv))
        return EXIT_FAILURE;
    st = check_all(&c);
    /* One status for the job: a failure seen by rank 0 is the job's. */
    st = cli_mpi_any(st != EXIT_SUCCESS) ? EXIT_FAILURE : EXIT_SUCCESS;
    cli_mpi_finalize();
    return st;
}
