/* check.c: `gradproof check`, the derivation checks on random networks. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

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
    fprintf(stderr, CLI_NAME ": FAIL %s %s, case %zu, sizes [", cost, formula, i);
    for (size_t l = 0; l <= net->p.L; l++)
        fprintf(stderr, "%s%zu", l ? "," : "", net->p.sizes[l]);
    fprintf(stderr,
            "]: %s analytic %.17g numeric %.17g abserr %.3g "
            "(rerun: " CLI_NAME " " CMD " --cost %s --seed %lu --case %zu)\n",
            name, e->analytic, e->numeric, e->abserr, cost, seed, i);
}

/* The first failure of a case: reported, and (with --record) shrunk and recorded. */
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
 * gp_check_formula, the L2/L1 strengths drawn after the case. rep[f] is allocated here
 * (the caller frees it). GSL_FAILURE if a formula failed. */
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

/* Cases 0 .. cases-1 (or only case `only`) of one cost, case i seeded with
 * seed * 1000003 + i; prints one row per formula. Returns 1 if a formula failed, 0 if
 * all passed, -1 (after printing the error) if a check could not run. */
static int run_cost(gsl_rng *rng, const gp_cost_type *cost, size_t cases, size_t only,
                    unsigned long seed, const char **record) {
    tally tl[GP_N_FORMULAS];
    int failed = 0;
    memset(tl, 0, sizeof tl);
    for (size_t i = 0; i < cases; i++) {
        if (only != (size_t)-1 && i != only)
            continue;
        gp_fcheck_report *rep[GP_N_FORMULAS] = {NULL};
        gsl_rng_set(rng, seed * 1000003UL + i);
        int status = run_case(rng, cost, seed, i, rep, record);
        for (int f = 0; f < GP_N_FORMULAS && (!status || status == GSL_FAILURE); f++)
            tally_add(&tl[f], rep[f]);
        for (int f = 0; f < GP_N_FORMULAS; f++)
            gp_fcheck_report_free(rep[f]);
        if (status && status != GSL_FAILURE) {
            cli_error(CMD, "%s case %zu: %s", cost->name, i, gsl_strerror(status));
            return -1;
        }
    }
    for (int f = 0; f < GP_N_FORMULAS; f++) {
        printf("%-16s %-28s %7zu %9zu %14.3e  %s\n", cost->name, formula_names[f],
               tl[f].cases, tl[f].coords, tl[f].worst_rel, tl[f].failed ? "FAIL" : "ok");
        failed |= tl[f].failed != 0;
    }
    return failed;
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

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return cli_error(CMD, "out of memory");
    int failed = 0;
    printf("%-16s %-28s %7s %9s %14s  %s\n", "cost", "formula", "cases", "coords",
           "worst rel err", "verdict");
    for (size_t t = 0; gp_cost_types[t] && failed >= 0; t++)
        if (!only_cost || gp_cost_types[t] == only_cost)
            failed |= run_cost(rng, gp_cost_types[t], cases, only, seed, &record);
    if (failed < 0) {
        gsl_rng_free(rng);
        return EXIT_FAILURE;
    }
    gsl_rng_free(rng);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
