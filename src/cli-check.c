/* cli-check.c: `gradproof check`, the derivation checks on random networks. */
#include <config.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "cli-record.h"

#define CMD "check"

/* The check engine's formulas (gp_formula), as the table prints them. */
static const char *const formula_names[GP_N_FORMULAS] = {
    "delta^l = dC/dz^l [BP1,BP2]", "dC/dW, dC/db [BP3,BP4]", "+ L2 + L1 gradient"};

static int usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " " CMD " [OPTIONS]\n"
        "Check every analytic gradient (delta^l, dC/dW, dC/db, with and without L2/L1)\n"
        "against gsl_deriv_central on random networks (1-4 layers, widths 1-10,\n"
        "batches 1-16, weight scales 1e-3..10). Exit status 1 on any failure.\n\n"
        "  -n, --cases=N     random networks per cost [200]\n"
        "  -s, --seed=S      base seed; case i uses seed S*1000003+i [1]\n"
        "  -c, --cost=NAME   only this cost: quadratic, quadratic-linear,\n"
        "                    cross-entropy, log-likelihood [all]\n"
        "  -i, --case=I      run only case I (to rerun a reported failure)\n"
        "  -r, --record=FILE on the first failure, shrink the case (fewer layers,\n"
        "                    narrower layers, fewer samples, simpler values) and write "
        "it\n"
        "                    as a failure record ('" CLI_NAME " replay FILE' reruns it)\n"
        "  -h, --help        show this help\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

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
    static const struct option longopts[] = {{"cases", required_argument, NULL, 'n'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"cost", required_argument, NULL, 'c'},
                                             {"case", required_argument, NULL, 'i'},
                                             {"record", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    size_t cases = 200, only = (size_t)-1;
    unsigned long seed = 1;
    const gp_cost_type *only_cost = NULL;
    const char *record = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:s:c:i:r:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_size(CMD, "--cases", optarg, 1, 100000000, &cases))
                return 1;
            break;
        case 's':
            if (cli_ulong(CMD, "--seed", optarg, &seed))
                return 1;
            break;
        case 'c':
            if (cli_cost(CMD, optarg, &only_cost))
                return 1;
            break;
        case 'i':
            if (cli_size(CMD, "--case", optarg, 0, 100000000, &only))
                return 1;
            break;
        case 'r':
            record = optarg;
            break;
        case 'h':
            return usage(stdout);
        default: /* ':' (missing value) or '?' (unknown option) */
            return cli_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return cli_error(CMD, "unexpected argument '%s'", argv[optind]);

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
