/* hunt.c: `gradproof hunt [OPTIONS] -- CMD ARGS...`, property tests of another
 * implementation. Case i of a hunt is drawn by the library's random-case generator
 * (gp_case_random) from a generator seeded by (seed, i) alone, so cases can be dealt to
 * workers by index. Each case is written as network.json, x.npy, y.npy (and meta.json:
 * lambda 0, l1 0, n = m) into DIR/case; CMD ARGS... runs with the input and output
 * directories ({in} and {out} in ARGS, else appended); its dump (cost.npy, z1.npy, ...,
 * dW1.npy, db1.npy, ...) is judged by the certified rule (bounds.h): a tensor disagrees
 * when an entry lies beyond the worst-case bound of the candidate's precision plus the
 * oracle's own. A failing case is shrunk (gp_shrink_case), re-running the candidate, and
 * written to DIR/failure as a replayable case; the first disagreeing tensor of the
 * minimal case is diagnosed (diagnose.h). */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <jansson.h>

#include "cli.h"

#define CMD "hunt"

/* ---- the command ---- */

static const cli_option opt_cases = {.name = "cases",
                                     .kind = CLI_SIZE,
                                     .arg = "N",
                                     .lo = 1,
                                     .hi = 1e9,
                                     .def = "100",
                                     .help = "random cases to try"};
static const cli_option opt_budget = {
    .name = "time-budget",
    .kind = CLI_REAL,
    .arg = "SEC",
    .hi = 1e9,
    .def = "0",
    .help = "stop drawing new cases after SEC seconds (0: no limit)"};
static const cli_option opt_timeout = {
    .name = "timeout",
    .kind = CLI_REAL,
    .arg = "SEC",
    .hi = 1e6,
    .lo_open = 1,
    .def = "60",
    .help = "a run of the candidate taking longer is killed and reported as a hang"};
static const char *const precision_words[] = {"float64", "float32", "bfloat16",
                                              "float16", "auto",    NULL};
static const cli_option opt_precision = {
    .name = "precision",
    .kind = CLI_CHOICE,
    .arg = "P",
    .choices = precision_words,
    .def = "auto",
    .help = "the candidate's arithmetic: float64, float32, bfloat16, float16 or auto "
            "(float32 when every value it writes is a float32 value)"};
static const cli_option opt_dir = {.name = "dir",
                                   .kind = CLI_STRING,
                                   .arg = "DIR",
                                   .def = "hunt.out",
                                   .help = "where cases, the candidate's output and the "
                                           "failure record go"};
static const cli_option opt_shrink = {.name = "shrink-evals",
                                      .kind = CLI_SIZE,
                                      .arg = "N",
                                      .hi = 1e6,
                                      .def = "500",
                                      .help = "at most N candidate runs while shrinking"};
static const cli_option opt_max_width = {.name = "max-width",
                                         .kind = CLI_SIZE,
                                         .arg = "N",
                                         .lo = 1,
                                         .hi = 4096,
                                         .def = "10",
                                         .help = "widest layer of a random case"};
static const cli_option opt_replay = {
    .name = "replay",
    .kind = CLI_STRING,
    .arg = "DIR",
    .unset = "none",
    .help = "run the candidate once on the case in DIR (a failure record) and judge it"};

static const cli_option opt_no_reg = {
    .name = "no-reg",
    .kind = CLI_FLAG,
    .help = "cases without regularisation (else half the cases draw lambda, l1 and n)"};

static const cli_option opt_target = {
    .name = "target",
    .kind = CLI_FLAG,
    .help = "targeted mode: every other case is the case with the largest "
            "error-to-bound ratio so far, its parameters (and inputs) scaled up toward "
            "saturation (as Hypothesis's target()); finds bugs that hide where |z| is "
            "large"};

static const cli_option opt_batch = {
    .name = "batch",
    .kind = CLI_SIZE,
    .arg = "M",
    .lo = 1,
    .hi = 100000,
    .def = "10",
    .help = "samples per case with --sizes (random cases draw 1 to 16)"};

/* The minimal case's values, when it is small enough to read. */
static void print_values(const char *dir) {
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    char err[256];
    if (gp_dump_read_inputs(dir, &net, &X, &Y, &reg, err, sizeof err))
        return;
    if (net->p.n_params + X->size1 * X->size2 <= 64) {
        for (size_t l = 0; l < net->p.L; l++) {
            printf("  W%zu =", l + 1);
            for (size_t j = 0; j < net->p.w[l]->size1; j++)
                for (size_t k = 0; k < net->p.w[l]->size2; k++)
                    printf(" %.6g", gsl_matrix_get(net->p.w[l], j, k));
            printf("\n  b%zu =", l + 1);
            for (size_t j = 0; j < net->p.b[l]->size; j++)
                printf(" %.6g", gsl_vector_get(net->p.b[l], j));
            printf("\n");
        }
        const gsl_matrix *M[2] = {X, Y};
        for (int q = 0; q < 2; q++) {
            printf("  %s =", q ? "y" : "x");
            for (size_t j = 0; j < M[q]->size1; j++)
                for (size_t i = 0; i < M[q]->size2; i++)
                    printf(" %.6g", gsl_matrix_get(M[q], j, i));
            printf("\n");
        }
    }
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}

/* What gp_hunt_run found: the failing case, its shrinking, diagnosis and record. */
static int print_result(const gp_hunt_opts *o, const gp_hunt_result *r) {
    if (r->kind == GP_HUNT_AGREE) {
        printf("hunt: %zu cases in %.2f s (%.1f cases/s), seed %lu: every case agreed\n",
               r->n_cases, r->seconds, r->seconds > 0 ? r->n_cases / r->seconds : 0.0,
               o->seed);
        return CLI_EXIT_OK;
    }
    const char *k = gp_hunt_kind_name(r->kind);
    printf("case %zu (%s): %s: %s\n", r->failing_case, r->found, k, r->detail);
    printf("shrunk in %zu steps (%zu candidate runs): %s -> %s%s\n", r->shrink_steps,
           r->shrink_runs, r->found, r->minimal,
           r->shrink_stopped ? " (shrinking stopped early)" : "");
    printf("minimal case: %s: %s\n", k, r->minimal_detail);
    if (r->record[0])
        print_values(r->record);
    if (r->kind == GP_HUNT_DISAGREE)
        printf("diagnosis: %s\n", r->diagnosis.text);
    if (r->record[0])
        printf("record: %s (replay: " CLI_NAME " hunt --replay %s -- CMD ARGS...)\n",
               r->record, r->record);
    else
        fprintf(stderr, CLI_NAME ": hunt: the failure record could not be written\n");
    return CLI_EXIT_FAIL;
}

static const char about[] =
    "Property tests of another implementation. Each random case (network, batch,\n"
    "targets) is written as network.json, x.npy, y.npy, meta.json into DIR/case;\n"
    "CMD ARGS... runs with the case directory and an output directory ({in} and\n"
    "{out} in ARGS, else appended) and writes the oracle's layout (cost.npy,\n"
    "z1.npy, ..., dW1.npy, db1.npy). Its values are judged by the certified rule:\n"
    "a tensor disagrees when an entry lies beyond the worst-case rounding bound of\n"
    "its precision (doc/bounds.md). A failing case is shrunk, re-running CMD, to a\n"
    "minimal one, written to DIR/failure and diagnosed. A crash, a hang or\n"
    "unreadable output is reported with its case.\n"
    "Exit status: 0 every case agreed, 1 a failing case, 2 unusable --replay.\n";

/* --replay DIR: the recorded case judged again with CMD's output. */
static int replay(const char *dir, const gp_hunt_opts *o, const cli_command *cmd) {
    gp_hunt_result r;
    if (gp_hunt_replay(dir, o, cmd->operands, cmd->n_operands, &r))
        return cli_input_error(CMD, "%s", r.detail);
    printf("replay %s: %s%s%s\n", dir, gp_hunt_kind_name(r.kind), r.detail[0] ? ": " : "",
           r.detail);
    if (r.kind == GP_HUNT_DISAGREE)
        printf("diagnosis: %s\n", r.diagnosis.text);
    return r.kind == GP_HUNT_AGREE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_hunt(int argc, char **argv) {
    size_t cases, shrink_evals, max_width, batch;
    cli_layers sizes;
    int sizes_set = 0, cost_set = 0;
    unsigned long seed;
    double budget, timeout;
    int prec, no_reg = 0, target = 0;
    const char *dir, *replay_dir = NULL;
    const gp_cost_type *cost = NULL;
    const cli_arg args[] = {
        {.opt = &opt_cases, .dest = &cases},
        {.opt = &cli_opt_seed,
         .dest = &seed,
         .def = "1",
         .note = "case i is drawn from (seed, i) alone"},
        {.opt = &opt_budget, .dest = &budget},
        {.opt = &cli_opt_cost,
         .dest = &cost,
         .seen = &cost_set,
         .unset = "a random cost per case",
         .note = "given: every case has this cost; else a random cost per case"},
        {.opt = &opt_precision, .dest = &prec},
        {.opt = &opt_timeout, .dest = &timeout},
        {.opt = &opt_max_width, .dest = &max_width},
        {.opt = &cli_opt_sizes,
         .dest = &sizes,
         .seen = &sizes_set,
         .note = "every case has these sizes (else random: 1-4 layers)"},
        {.opt = &opt_batch, .dest = &batch},
        {.opt = &opt_shrink, .dest = &shrink_evals},
        {.opt = &opt_no_reg, .dest = &no_reg},
        {.opt = &opt_target, .dest = &target},
        {.opt = &opt_dir, .dest = &dir},
        {.opt = &opt_replay, .dest = &replay_dir},
    };
    cli_command cmd = {.name = CMD,
                       .synopsis = "[OPTIONS] -- CMD ARGS...",
                       .about = about,
                       .args = args,
                       .n_args = sizeof args / sizeof args[0],
                       .min_operands = 1,
                       .max_operands = 4096};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    static const char *const fmt[] = {"float64", "float32", "bfloat16", "float16"};
    gp_hunt_opts o;
    gp_hunt_result r;
    gp_hunt_opts_default(&o);
    o.cases = cases;
    o.seed = seed;
    o.time_budget = budget;
    o.timeout = timeout;
    o.cost = cost_set ? cost : NULL;
    o.precision = prec < 4 ? fmt[prec] : NULL;
    o.n_sizes = sizes_set ? sizes.n : 0;
    for (size_t l = 0; l < o.n_sizes; l++)
        o.sizes[l] = sizes.sizes[l];
    o.batch = batch;
    o.max_width = max_width;
    o.shrink_evals = shrink_evals;
    o.regularise = !no_reg;
    o.target = target;
    o.dir = dir;
    if (replay_dir)
        return replay(replay_dir, &o, &cmd);
    if (gp_hunt_run(&o, cmd.operands, cmd.n_operands, &r))
        return cli_error(CMD, "%s", r.detail);
    return print_result(&o, &r);
}
