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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <jansson.h>

#include "cli.h"
#include "mpi.h" /* the CLI's layer (cli/mpi.h), not Open MPI's <mpi.h> */

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
    .help = "stop drawing new cases after SEC seconds (0: no limit)",
    .more = "the cases checked are 0..N-1, as with --cases N, for any number of MPI "
            "ranks: a rank out of time announces the first case it did not start, and "
            "the lowest such index ends every rank's share"};
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
static const cli_option opt_shrink = {
    .name = "shrink-evals",
    .kind = CLI_SIZE,
    .arg = "N",
    .hi = 1e6,
    .def = "500",
    .help = "at most N candidate runs while shrinking, after the one that "
            "confirms the failure"};
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
        printf("hunt: %zu %s in %.2f s (%.1f cases/s), seed %lu: every case agreed\n",
               r->n_cases, cli_plural(r->n_cases, "case", "cases"), r->seconds,
               r->seconds > 0 ? r->n_cases / r->seconds : 0.0, o->seed);
        if (o->time_budget > 0 && r->n_cases < o->cases)
            fprintf(stderr,
                    CLI_NAME ": " CMD ": time budget reached after %zu %s (cases 0 "
                             "to %zu - 1, as --cases %zu checks them)\n",
                    r->n_cases, cli_plural(r->n_cases, "case", "cases"), r->n_cases,
                    r->n_cases);
        return CLI_EXIT_OK;
    }
    const char *k = gp_hunt_kind_name(r->kind);
    printf("case %zu (%s): %s: %s\n", r->failing_case, r->found, k, r->detail);
    printf("shrunk in %zu %s (%zu candidate %s): %s -> %s%s\n", r->shrink_steps,
           cli_plural(r->shrink_steps, "step", "steps"), r->shrink_runs,
           cli_plural(r->shrink_runs, "run", "runs"), r->found, r->minimal,
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

/* ---- under mpirun -np K ----
 * Rank r draws cases r, r + K, ... in DIR/rank.r. The ranks announce limits (no case at
 * or above a limit is needed; the lowest known wins, cli_mpi_found_*): a rank whose case
 * i fails announces i + 1, and shrinks it; a rank whose own clock has passed the time
 * budget before it starts case i announces i, its stop index, and stops. The job's stop
 * index S is the lowest stop index announced (none: --cases), and its cases are exactly
 * 0..S-1: every rank has run its cases below S (it stopped at a limit, and no limit lies
 * below S or above the first failure), and what faster ranks ran at or above S is
 * dropped. The failing case of lowest index below S wins wherever it was found (the
 * single process's first failure with --cases S), its result goes to every rank and its
 * record, shrunk on the rank that found it, is moved to DIR/failure. */

typedef struct {
    double t0, budget; /* this rank's clock and the budget (0: none) */
    size_t stop;       /* the stop index it announced (SIZE_MAX: none) */
} rank_clock;

static int stop_at_limit(void *ctx, size_t i, int failed) {
    rank_clock *c = ctx;
    if (i >= cli_mpi_found_poll())
        return 1;
    if (failed)
        cli_mpi_found_post(i + 1);
    else if (c->budget > 0 && cli_now() - c->t0 >= c->budget) {
        c->stop = i;
        cli_mpi_found_post(i);
        return 1;
    }
    return 0;
}

/* DIR/failure replaced by the winning rank's record (the files gp_hunt_run writes). */
static int move_record(const char *dir, const char *record) {
    static const char *const files[] = {"network.json", "x.npy", "y.npy", "meta.json",
                                        "hunt.json"};
    char to[4200], p[4300];
    snprintf(to, sizeof to, "%s/failure", dir);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(p, sizeof p, "%s/%s", to, files[k]);
        unlink(p);
    }
    rmdir(to);
    if (rename(record, to))
        return cli_error(CMD, "cannot move the record '%s' to '%s': %s", record, to,
                         strerror(errno));
    return 0;
}

/* The job's result on every rank (collective), from this rank's result r and stop
 * index: the lowest stop index S (on every rank), the failing case of lowest index
 * below S, or agreement over cases 0..S-1. */
static int hunt_gather(gp_hunt_opts *o, const char *dir, size_t stop, gp_hunt_result *r) {
    size_t sum[2] = {r->n_cases, r->runs}, first = SIZE_MAX;
    double seconds = r->seconds;
    if (cli_mpi_sum(sum, 2) || cli_mpi_max(&seconds, 1) || cli_mpi_first(&stop, NULL, 0))
        return 1;
    if (r->kind != GP_HUNT_AGREE && r->failing_case < stop)
        first = r->failing_case;
    size_t mine = first;
    if (cli_mpi_first(&first, (char *)r, sizeof *r))
        return 1;
    int st =
        first != SIZE_MAX && mine == first && r->record[0] && move_record(dir, r->record);
    if (cli_mpi_any(st)) /* and rank 0 reads the record only once it is moved */
        return 1;
    if (first != SIZE_MAX && r->record[0])
        snprintf(r->record, sizeof r->record, "%s/failure", dir);
    if (first == SIZE_MAX) { /* a failure at or above S is not one of the job's cases */
        r->kind = GP_HUNT_AGREE;
        sum[0] = stop < o->cases ? stop : o->cases;
    }
    r->n_cases = sum[0], r->runs = sum[1], r->seconds = seconds;
    return 0;
}

/* The hunt on this rank's share, then the job's result on every rank (collective). */
static int hunt_ranks(gp_hunt_opts *o, const cli_command *cmd, gp_hunt_result *r) {
    char rdir[4200], err[256];
    const char *dir = o->dir;
    /* as gp_hunt_run makes it (a regular file refused); said once, by rank 0 */
    size_t bad =
        gp_hunt_make_dir(dir, err, sizeof err) ? (size_t)cli_mpi_rank() : SIZE_MAX;
    if (cli_mpi_first(&bad, err, sizeof err))
        return 1;
    if (bad != SIZE_MAX)
        return cli_mpi_rank() ? CLI_EXIT_FAIL : cli_error(CMD, "%s", err);
    snprintf(rdir, sizeof rdir, "%s/rank.%d", dir, cli_mpi_rank());
    rank_clock clock = {cli_now(), o->time_budget, SIZE_MAX};
    o->dir = rdir;
    o->shard_offset = (size_t)cli_mpi_rank();
    o->shard_stride = (size_t)cli_mpi_size();
    o->stop = stop_at_limit;
    o->stop_ctx = &clock;
    o->time_budget = 0; /* looked at by stop_at_limit, which announces the stop index */
    int st = cli_mpi_found_begin();
    if (!st && gp_hunt_run(o, cmd->operands, cmd->n_operands, r))
        st = cli_error(CMD, "rank %d: %s", cli_mpi_rank(), r->detail);
    o->dir = dir;
    o->time_budget = clock.budget;
    if (cli_mpi_any(st) || cli_mpi_found_end())
        return 1;
    return hunt_gather(o, dir, clock.stop, r);
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
    "unreadable output is reported with its case. Under mpirun -np K, rank r draws\n"
    "cases r, r + K, ... in DIR/rank.r; the failing case of lowest index wins and the\n"
    "result is the single process's. With --time-budget, the cases checked are\n"
    "0..N-1 for any K (N: the lowest case index a rank had not started when its\n"
    "clock ran out); the result is that of --cases N in one process. A file hunt\n"
    "cannot write itself (DIR, DIR/case, DIR/out, DIR/candidate.log) ends it with one\n"
    "line naming the path (exit status 1), never blamed on CMD.\n"
    "Exit status: 0 every case agreed, 1 a failing case or a file hunt cannot write,\n"
    "2 unusable --replay.\n";

/* --replay DIR: the recorded case judged again with CMD's output. */
static int replay(const char *dir, const gp_hunt_opts *o, const cli_command *cmd) {
    gp_hunt_result r;
    if (gp_hunt_replay(dir, o, cmd->operands, cmd->n_operands, &r))
        return r.kind == GP_HUNT_IO_ERROR ? cli_error(CMD, "%s", r.detail)
                                          : cli_input_error(CMD, "%s", r.detail);
    printf("replay %s: %s%s%s\n", dir, gp_hunt_kind_name(r.kind), r.detail[0] ? ": " : "",
           r.detail);
    if (r.kind == GP_HUNT_DISAGREE)
        printf("diagnosis: %s\n", r.diagnosis.text);
    return r.kind == GP_HUNT_AGREE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* Under mpirun: the hunt over all ranks, printed by rank 0. */
static int run_ranks(gp_hunt_opts *o, const cli_command *cmd, const char *replay_dir) {
    gp_hunt_result r;
    if (replay_dir)
        return cli_mpi_rank() ? CLI_EXIT_FAIL
                              : cli_error(CMD, "--replay runs in one process: run it "
                                               "without mpirun");
    /* a targeted case depends on the cases before it, not on (seed, index) alone */
    if (o->target)
        return cli_mpi_rank() ? CLI_EXIT_FAIL
                              : cli_error(CMD, "--target runs in one process: run it "
                                               "without mpirun");
    if (hunt_ranks(o, cmd, &r))
        return CLI_EXIT_FAIL;
    if (cli_mpi_rank() == 0)
        return print_result(o, &r);
    return r.kind == GP_HUNT_AGREE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_hunt(int argc, char **argv) {
    cli_layers sizes;
    int sizes_set = 0, cost_set = 0, prec, no_reg = 0, batch_set = 0, width_set = 0;
    const char *replay_dir = NULL, *act_spec = NULL;
    const gp_cost_type *cost = NULL;
    gp_activation act;
    gp_hunt_opts o;
    gp_hunt_result r;
    gp_hunt_opts_default(&o);
    const cli_arg args[] = {
        {.opt = &opt_cases, .dest = &o.cases},
        {.opt = &cli_opt_seed,
         .dest = &o.seed,
         .def = "1",
         .note = "case i is drawn from (seed, i) alone"},
        {.opt = &opt_budget, .dest = &o.time_budget},
        {.opt = &cli_opt_cost,
         .dest = &cost,
         .seen = &cost_set,
         .unset = "a random cost per case",
         .note = "given: every case has this cost; else a random cost per case"},
        {.opt = &cli_opt_activation,
         .dest = &act_spec,
         .unset = "sigmoid",
         .note =
             "one name: every hidden layer of every case; with relu and leaky-relu, "
             "case i = 1 mod 4 puts one unit exactly on its kink, i = 3 mod 4 near it"},
        {.opt = &opt_precision, .dest = &prec},
        {.opt = &opt_timeout, .dest = &o.timeout},
        {.opt = &opt_max_width, .dest = &o.max_width, .seen = &width_set},
        {.opt = &cli_opt_sizes,
         .dest = &sizes,
         .seen = &sizes_set,
         .unset = "random",
         .note = "every case has these sizes (else random: 1-4 layers)"},
        {.opt = &opt_batch, .dest = &o.batch, .seen = &batch_set},
        {.opt = &opt_shrink, .dest = &o.shrink_evals},
        {.opt = &opt_no_reg, .dest = &no_reg},
        {.opt = &opt_target, .dest = &o.target},
        {.opt = &opt_dir, .dest = &o.dir},
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
    /* Each shapes either the fixed or the random cases: the other one was ignored. */
    if (batch_set && !sizes_set)
        return cli_error(CMD, "--batch goes with --sizes (random cases draw 1 to 16)");
    if (width_set && sizes_set)
        return cli_error(CMD, "--max-width goes with random cases, not --sizes");
    if (act_spec && cli_activation_one(CMD, act_spec, &act))
        return EXIT_FAILURE;
    static const char *const fmt[] = {"float64", "float32", "bfloat16", "float16"};
    o.cost = cost_set ? cost : NULL;
    o.activation = act_spec ? &act : NULL;
    o.precision = prec < 4 ? fmt[prec] : NULL;
    o.n_sizes = sizes_set ? sizes.n : 0;
    for (size_t l = 0; l < o.n_sizes; l++)
        o.sizes[l] = sizes.sizes[l];
    o.regularise = !no_reg;
    if (cli_mpi_init(&argc, &argv))
        return CLI_EXIT_FAIL;
    if (cli_mpi_size() > 1)
        st = run_ranks(&o, &cmd, replay_dir);
    else if (replay_dir)
        st = replay(replay_dir, &o, &cmd);
    else if (gp_hunt_run(&o, cmd.operands, cmd.n_operands, &r))
        st = cli_error(CMD, "%s", r.detail);
    else
        st = print_result(&o, &r);
    cli_mpi_finalize();
    return st;
}
