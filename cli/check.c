/* check.c: `gradproof check`, the derivation checks on random networks. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "mpi.h" /* the CLI's layer (cli/mpi.h), not Open MPI's <mpi.h> */
#include "report.h"

#define CMD "check"

/* The check engine's formulas (gp_formula), as the table prints them. */
static const char *const formula_names[GP_N_FORMULAS] = {
    "delta^l = dC/dz^l [BP1,BP2]", "dC/dW, dC/db [BP3,BP4]", "+ L2 + L1 gradient"};

static const cli_option opt_cases = {"cases",
                                     'n',
                                     CLI_SIZE,
                                     "N",
                                     1,
                                     100000000,
                                     0,
                                     NULL,
                                     "200",
                                     NULL,
                                     "random networks per cost",
                                     NULL};
static const cli_option opt_case = {"case",
                                    'i',
                                    CLI_SIZE,
                                    "I",
                                    0,
                                    100000000,
                                    0,
                                    NULL,
                                    NULL,
                                    "all",
                                    "run only case I (to rerun a reported failure)",
                                    NULL};
static const cli_option opt_record = {
    "record",
    'r',
    CLI_STRING,
    "FILE",
    0,
    0,
    0,
    NULL,
    NULL,
    "none",
    "on the first failure, shrink the case (fewer layers, narrower layers, fewer "
    "samples, simpler values) and write it to FILE as a failure record",
    "(gradproof replay FILE reruns it)"};

typedef struct {
    size_t cases, coords, failed;
    double worst_rel;
} tally;

/* Failure lines. One process prints them to stderr as found; under mpirun each
 * rank writes them, tagged with the case index, to a buffer that rank 0 gathers
 * after each cost and prints in case order, so the report equals the
 * single-process one. */
static FILE *fail_out;
static char *fail_buf;
static size_t fail_len;

static FILE *failures(size_t i) {
    if (cli_mpi_size() == 1)
        return stderr;
    if (!fail_out)
        fail_out = open_memstream(&fail_buf, &fail_len);
    if (fail_out)
        fprintf(fail_out, "%zu\t", i);
    return fail_out ? fail_out : stderr;
}

/* Order of two tagged lines: by case index; qsort is not stable, so ties (the
 * lines of one case, all from one rank) keep their order through their
 * addresses. */
static int by_case(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    unsigned long long i = strtoull(x, NULL, 10), j = strtoull(y, NULL, 10);
    return i < j ? -1 : i > j ? 1 : x < y ? -1 : x > y;
}

/* Rank 0 prints every rank's failure lines of this cost, in case order.
 * Collective. */
static int flush_failures(void) {
    if (cli_mpi_size() == 1)
        return 0;
    if (fail_out)
        fclose(fail_out);
    fail_out = NULL;
    char *all;
    size_t len, n = 0;
    int st = cli_mpi_gather(fail_buf ? fail_buf : "", fail_len, &all, &len);
    free(fail_buf);
    fail_buf = NULL;
    fail_len = 0;
    if (st || !all)
        return st;
    for (size_t k = 0; k < len; k++)
        n += all[k] == '\n';
    char **line = malloc((n + 1) * sizeof *line);
    size_t m = 0;
    for (char *p = all; line && *p; p = strchr(p, '\n') + 1)
        line[m++] = p;
    if (line)
        qsort(line, m, sizeof *line, by_case);
    for (size_t k = 0; line && k < m; k++)
        fprintf(stderr, "%.*s",
                (int)(strchr(line[k], '\n') + 1 - strchr(line[k], '\t') - 1),
                strchr(line[k], '\t') + 1);
    free(line);
    free(all);
    return line ? 0 : cli_error(CMD, "out of memory");
}

static void tally_add(tally *t, const gp_fcheck_report *r) {
    t->cases++;
    t->coords += r->n_checked;
    t->failed += r->n_failed;
    if (r->max_rel_error > t->worst_rel)
        t->worst_rel = r->max_rel_error;
}

static void print_failure(const gp_network *net, const char *cost, const char *formula,
                          unsigned long seed, size_t i, const gp_fcheck_report *r) {
    const gp_fcheck_entry *e = &r->worst[0];
    char name[64];
    gp_fcheck_entry_name(r, e, name, sizeof name);
    FILE *out = failures(i);
    fprintf(out, CLI_NAME ": FAIL %s %s, case %zu, sizes [", cost, formula, i);
    for (size_t l = 0; l <= net->p.L; l++)
        fprintf(out, "%s%zu", l ? "," : "", net->p.sizes[l]);
    fprintf(out,
            "]: %s analytic %.17g numeric %.17g abserr %.3g "
            "(rerun: " CLI_NAME " " CMD " --cost %s --seed %lu --case %zu)\n",
            name, e->analytic, e->numeric, e->abserr, cost, seed, i);
}

/* The first failure of a case: reported, and (with --record) shrunk and
 * recorded. */
static void report_failure(const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, const gp_regularization *reg,
                           gp_formula f, unsigned long seed, size_t i,
                           const gp_fcheck_report *r, const char **record) {
    print_failure(net, net->cost->name, formula_names[f], seed, i, r);
    if (!*record)
        return;
    char msg[512];
    int rc =
        gp_record_check_failure(*record, f, reg, net, X, Y, seed, i, msg, sizeof msg);
    fprintf(stderr, CLI_NAME ": %s%s\n", rc ? "--record: " : "", msg);
    *record = NULL; /* one record: the first failure */
}

/* One random case of one cost (gp_case_random): each formula checked by
 * gp_check_formula, the L2/L1 strengths drawn after the case. rep[f] is
 * allocated here (the caller frees it). GSL_FAILURE if a formula failed. */
static int run_case(gsl_rng *rng, const gp_cost_type *cost, unsigned long seed, size_t i,
                    gp_fcheck_report *rep[GP_N_FORMULAS], const char **record) {
    gp_case_opts co;
    gp_fcheck_opts go;
    gp_case_opts_default(&co);
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_regularization reg = {0, 0, 0};
    int status = gp_case_random(rng, cost, &co, &net, &X, &Y, NULL);
    for (int f = 0; f < GP_N_FORMULAS && !status; f++) {
        if (f == GP_FORMULA_REG) {
            reg.lambda = gsl_rng_uniform(rng) * 5;
            reg.l1 = gsl_rng_uniform(rng);
            reg.n = 1 + gsl_rng_uniform_int(rng, 100);
        }
        rep[f] = gp_formula_report_alloc((gp_formula)f, net, X->size2);
        status = rep[f] ? gp_check_formula((gp_formula)f, net, X, Y, &reg, &go, rep[f])
                        : GSL_ENOMEM;
    }
    int any = 0;
    for (int f = 0; f < GP_N_FORMULAS && !status; f++)
        if (rep[f]->n_failed) {
            report_failure(net, X, Y, &reg, (gp_formula)f, seed, i, rep[f], record);
            any = 1;
        }
    if (any)
        status = GSL_FAILURE;
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}

/* The tallies of all ranks, on every rank: counts add up, the worst error is
 * the maximum (so equal to a single process's). */
static int reduce(tally tl[GP_N_FORMULAS]) {
    size_t v[3 * GP_N_FORMULAS];
    double w[GP_N_FORMULAS];
    for (int f = 0; f < GP_N_FORMULAS; f++) {
        v[3 * f] = tl[f].cases;
        v[3 * f + 1] = tl[f].coords;
        v[3 * f + 2] = tl[f].failed;
        w[f] = tl[f].worst_rel;
    }
    if (cli_mpi_sum(v, 3 * GP_N_FORMULAS) || cli_mpi_max(w, GP_N_FORMULAS))
        return 1;
    for (int f = 0; f < GP_N_FORMULAS; f++)
        tl[f] = (tally){v[3 * f], v[3 * f + 1], v[3 * f + 2], w[f]};
    return 0;
}

/* Cases 0 .. cases-1 (or only case `only`) of one cost, case i seeded with
 * seed * 1000003 + i; prints one row per formula. Returns 1 if a formula
 * failed, 0 if all passed, -1 (after printing the error) if a check could not
 * run. */
static int run_cost(gsl_rng *rng, const gp_cost_type *cost, size_t cases, size_t only,
                    unsigned long seed, const char **record) {
    tally tl[GP_N_FORMULAS];
    int failed = 0;
    memset(tl, 0, sizeof tl);
    int err = 0;
    for (size_t i = 0; i < cases && !err; i++) {
        /* Case i is dealt to rank i mod K; its seed depends on i only. */
        if ((only != (size_t)-1 && i != only) || !cli_mpi_owns(i))
            continue;
        gp_fcheck_report *rep[GP_N_FORMULAS] = {NULL};
        gsl_rng_set(rng, seed * 1000003UL + i);
        int status = run_case(rng, cost, seed, i, rep, record);
        for (int f = 0; f < GP_N_FORMULAS && (!status || status == GSL_FAILURE); f++)
            tally_add(&tl[f], rep[f]);
        for (int f = 0; f < GP_N_FORMULAS; f++)
            gp_fcheck_report_free(rep[f]);
        if (status && status != GSL_FAILURE)
            err = cli_error(CMD, "%s case %zu: %s", cost->name, i, gsl_strerror(status));
    }
    if (flush_failures() | cli_mpi_any(err) || reduce(tl))
        return -1;
    for (int f = 0; f < GP_N_FORMULAS; f++) {
        if (cli_mpi_rank() == 0)
            printf("%-16s %-28s %7zu %9zu %14.3e  %s\n", cost->name, formula_names[f],
                   tl[f].cases, tl[f].coords, tl[f].worst_rel,
                   tl[f].failed ? "FAIL" : "ok");
        failed |= tl[f].failed != 0;
    }
    return failed;
}

/* Every cost (or only_cost): the table on stdout, failures on stderr. */
static int check_all(size_t cases, size_t only, unsigned long seed,
                     const gp_cost_type *only_cost, const char *record) {
    /* A record is the shrunk first failure; one rank cannot know it is the first.
     */
    if (record && cli_mpi_size() > 1)
        return cli_mpi_rank() == 0
                   ? cli_error(CMD,
                               "--record runs in one process: rerun the failing case "
                               "alone (--cost NAME --case I --record FILE)")
                   : EXIT_FAILURE;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return cli_error(CMD, "out of memory");
    int failed = 0;
    if (cli_mpi_rank() == 0)
        printf("%-16s %-28s %7s %9s %14s  %s\n", "cost", "formula", "cases", "coords",
               "worst rel err", "verdict");
    for (size_t t = 0; gp_cost_types[t] && failed >= 0; t++)
        if (!only_cost || gp_cost_types[t] == only_cost)
            failed |= run_cost(rng, gp_cost_types[t], cases, only, seed, &record);
    gsl_rng_free(rng);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int cmd_check(int argc, char **argv) {
    size_t cases, only = (size_t)-1;
    unsigned long seed;
    const gp_cost_type *only_cost = NULL;
    const char *record = NULL;
    const cli_arg args[] = {
        {.opt = &opt_cases, .dest = &cases},
        {.opt = &cli_opt_seed, .dest = &seed, .note = "case i uses seed S*1000003+i"},
        {.opt = &cli_opt_cost,
         .dest = &only_cost,
         .unset = "all",
         .note = "only this cost"},
        {.opt = &opt_case, .dest = &only},
        {.opt = &opt_record, .dest = &record},
    };
    cli_command cmd = {
        CMD,
        "[OPTIONS]",
        "Check every analytic gradient (delta^l, dC/dW, dC/db, with and without L2/L1)\n"
        "against gsl_deriv_central on random networks (1-4 layers, widths 1-10,\n"
        "batches 1-16, weight scales 1e-3..10). Exit status 1 on any failure.\n",
        args,
        sizeof args / sizeof args[0],
        0,
        0,
        NULL,
        0};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    if (cli_mpi_init(&argc, &argv))
        return EXIT_FAILURE;
    int status = check_all(cases, only, seed, only_cost, record);
    cli_mpi_finalize();
    return status;
}
