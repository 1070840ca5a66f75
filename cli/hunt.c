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

/* What one run of the candidate on one case gave. */
typedef enum { RUN_AGREE, RUN_DISAGREE, RUN_CRASH, RUN_TIMEOUT, RUN_GARBAGE } run_kind;

static const char *run_kind_name(run_kind k) {
    static const char *n[] = {"agree", "disagree", "crash", "timeout", "garbage"};
    return n[k];
}

typedef struct {
    char **argv; /* CMD ARGS... */
    size_t argc;
    const char *dir;
    double timeout;
    int precision;         /* index in formats[], or -1: inferred per case */
    gp_regularization reg; /* of the current case (meta.json) */
    size_t runs;           /* candidate runs so far */
    /* the last run's details */
    run_kind kind;
    char tensor[32];
    char detail[256];
} hunter;

static const char *const formats[] = {"float64", "float32", "bfloat16", "float16", NULL};

/* ---- the case on disk ---- */

static int write_case(const char *dir, const gp_network *net, const gsl_matrix *X,
                      const gsl_matrix *Y, const gp_regularization *reg, char *err,
                      size_t len) {
    char p[4096];
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, len, "cannot create '%s': %s", dir, strerror(errno));
        return 1;
    }
    snprintf(p, sizeof p, "%s/network.json", dir);
    if (gp_netio_save(net, p, err, len))
        return 1;
    snprintf(p, sizeof p, "%s/x.npy", dir);
    if (gp_npy_write_matrix(p, X, err, len))
        return 1;
    snprintf(p, sizeof p, "%s/y.npy", dir);
    if (gp_npy_write_matrix(p, Y, err, len))
        return 1;
    snprintf(p, sizeof p, "%s/meta.json", dir);
    FILE *f = fopen(p, "w");
    if (!f ||
        fprintf(f, "{\"lambda\": %.17g, \"l1\": %.17g, \"n\": %zu}\n", reg->lambda,
                reg->l1, reg->n ? reg->n : X->size2) < 0 ||
        fclose(f)) {
        snprintf(err, len, "cannot write '%.300s': %s", p, strerror(errno));
        return 1;
    }
    return 0;
}

static void clear_dir(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return;
}

/* ---- running the candidate ---- */

/* Run CMD with {in}/{out} substituted (or appended); RUN_AGREE here means "ran". */
static run_kind run_command(hunter *h, char *in, char *out) {
    char **av = calloc(h->argc + 3, sizeof *av);
    size_t n = 0;
    int subst = 0;
    for (size_t i = 0; i < h->argc; i++) {
        subst |= !strcmp(h->argv[i], "{in}") || !strcmp(h->argv[i], "{out}");
        av[n++] = !strcmp(h->argv[i], "{in}")    ? in
                  : !strcmp(h->argv[i], "{out}") ? out
                                                 : h->argv[i];
    }
    if (!subst) {
        av[n++] = in;
        av[n++] = out;
    }
    char log[4096];
    snprintf(log, sizeof log, "%s/candidate.log", h->dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
            _exit(126);
        execvp(av[0], av);
        _exit(127);
    }
    free(av);
    h->runs++;
    if (pid < 0) {
        snprintf(h->detail, sizeof h->detail, "fork failed: %s", strerror(errno));
        return RUN_CRASH;
    }
    int st = 0;
    struct timespec t0, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) + 1e-9 * (now.tv_nsec - t0.tv_nsec) > h->timeout) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            snprintf(h->detail, sizeof h->detail, "no answer within %g s (killed)",
                     h->timeout);
            return RUN_TIMEOUT;
        }
        nanosleep(&nap, NULL);
    }
    if (WIFSIGNALED(st) || WEXITSTATUS(st) != 0) {
        snprintf(h->detail, sizeof h->detail, "%s %d (output in %.200s)",
                 WIFSIGNALED(st) ? "killed by signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), log);
        return RUN_CRASH;
    }
    return RUN_AGREE;
}

/* ---- the oracle's tensors and the candidate's ---- */

/* The candidate's NAME.npy files for the oracle's names; dW and db are required. A
 * 1 x n row for an n x 1 vector is taken as the column. */
static run_kind read_candidate(hunter *h, const char *out, const gp_dump *o, gp_dump *c) {
    gp_dump_init(c, o->L);
    for (size_t i = 0; i < o->n; i++) {
        char p[4096], err[512];
        c->t[i] = NULL;
        snprintf(p, sizeof p, "%.4000s/%.31s.npy", out, o->name[i]);
        if (access(p, F_OK)) {
            if (!strncmp(o->name[i], "dW", 2) || !strncmp(o->name[i], "db", 2)) {
                snprintf(h->detail, sizeof h->detail, "no %s.npy in its output",
                         o->name[i]);
                snprintf(h->tensor, sizeof h->tensor, "%s", o->name[i]);
                return RUN_GARBAGE;
            }
            continue;
        }
        if (gp_npy_read(p, 0, &c->t[i], NULL, err, sizeof err)) {
            snprintf(h->detail, sizeof h->detail, "%.250s", err);
            snprintf(h->tensor, sizeof h->tensor, "%s", o->name[i]);
            return RUN_GARBAGE;
        }
        gsl_matrix *t = c->t[i];
        if (t->size1 == 1 && o->t[i]->size2 == 1 && t->size2 == o->t[i]->size1) {
            gsl_matrix *col = gsl_matrix_alloc(t->size2, 1);
            gsl_matrix_transpose_memcpy(col, t);
            gsl_matrix_free(t);
            c->t[i] = col;
        }
    }
    return RUN_AGREE;
}

static int all_float32(const gp_dump *c) {
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; c->t[i] && j < c->t[i]->size1; j++)
            for (size_t k = 0; k < c->t[i]->size2; k++) {
                double v = gsl_matrix_get(c->t[i], j, k);
                if (isfinite(v) && (double)(float)v != v)
                    return 0;
            }
    return 1;
}

/* The certified rule on every tensor the candidate gave, in computation order. */
static run_kind judge(hunter *h, const gp_network *net, const gsl_matrix *X,
                      const gsl_matrix *Y, const gp_dump *o, const gp_dump *c) {
    gp_bounds_model mc, mo;
    const char *fmt = h->precision >= 0 ? formats[h->precision]
                      : all_float32(c)  ? "float32"
                                        : "float64";
    gp_bounds_model_init(&mc, fmt);
    gp_bounds_model_init(&mo, "float64");
    gp_bounds *bc = gp_bounds_alloc(net, X->size2), *bo = gp_bounds_alloc(net, X->size2);
    run_kind k = RUN_AGREE;
    if (!bc || !bo || gp_bounds_compute(net, X, Y, &h->reg, &mc, bc) ||
        gp_bounds_compute(net, X, Y, &h->reg, &mo, bo)) {
        snprintf(h->detail, sizeof h->detail, "the bounds could not be computed");
        k = RUN_GARBAGE;
    }
    for (size_t i = 0; i < o->n && k == RUN_AGREE; i++) {
        const gsl_matrix *a = o->t[i], *b = c->t[i];
        gp_verdict_counts v;
        if (!b)
            continue;
        snprintf(h->tensor, sizeof h->tensor, "%s", o->name[i]);
        if (b->size1 != a->size1 || b->size2 != a->size2) {
            snprintf(h->detail, sizeof h->detail,
                     "%s has shape %zu x %zu, expected %zu x %zu", o->name[i], b->size1,
                     b->size2, a->size1, a->size2);
            k = RUN_DISAGREE;
        } else if (!gp_bounds_compare_tensor(bc, bo, o->name[i], b, a, &v) &&
                   v.n_disagree) {
            snprintf(h->detail, sizeof h->detail,
                     "%s (%s): %zu of %zu entries beyond the worst-case bound, largest "
                     "error/bound %.3g at [%zu][%zu] (candidate %.9g, oracle %.17g)",
                     o->name[i], fmt, v.n_disagree,
                     v.n_agree + v.n_inconclusive + v.n_disagree, v.max_ratio, v.worst_i,
                     v.worst_j, gsl_matrix_get(b, v.worst_i, v.worst_j),
                     gsl_matrix_get(a, v.worst_i, v.worst_j));
            k = RUN_DISAGREE;
        }
    }
    gp_bounds_free(bc);
    gp_bounds_free(bo);
    return k;
}

/* Write the case, run the candidate, judge its dump; c (if not NULL) keeps its tensors.
 */
static run_kind run_case(hunter *h, const gp_network *net, const gsl_matrix *X,
                         const gsl_matrix *Y, gp_dump *keep) {
    char in[4096], out[4096], err[512];
    gp_dump o, c;
    gp_dump_init(&o, net->p.L);
    gp_dump_init(&c, net->p.L);
    snprintf(in, sizeof in, "%s/case", h->dir);
    snprintf(out, sizeof out, "%s/out", h->dir);
    h->tensor[0] = h->detail[0] = 0;
    clear_dir(out);
    if (write_case(in, net, X, Y, &h->reg, err, sizeof err) || mkdir(out, 0755)) {
        snprintf(h->detail, sizeof h->detail, "cannot write the case: %.220s", err);
        return h->kind = RUN_CRASH;
    }
    run_kind k = run_command(h, in, out);
    if (k == RUN_AGREE && gp_dump_compute(net, X, Y, &h->reg, &o))
        k = RUN_GARBAGE;
    if (k == RUN_AGREE)
        k = read_candidate(h, out, &o, &c);
    if (k == RUN_AGREE)
        k = judge(h, net, X, Y, &o, &c);
    gp_dump_free(&o);
    if (keep)
        *keep = c;
    else
        gp_dump_free(&c);
    return h->kind = k;
}

/* ---- shrinking, the record, the report ---- */

typedef struct {
    hunter *h;
    run_kind want;
} shrink_ctx;

/* The shrinker's property: the candidate still fails in the same way. */
static int still_fails(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       void *params) {
    shrink_ctx *s = params;
    return run_case(s->h, net, X, Y, NULL) == s->want;
}

static void describe_case(char *b, size_t len, const gp_network *net, const gsl_matrix *X,
                          const gp_regularization *reg) {
    size_t n = (size_t)snprintf(b, len, "sizes [");
    for (size_t l = 0; l <= net->p.L && n < len; l++)
        n += (size_t)snprintf(b + n, len - n, "%s%zu", l ? "," : "", net->p.sizes[l]);
    if (n < len)
        n += (size_t)snprintf(b + n, len - n, "] m=%zu cost=%s params=%zu", X->size2,
                              net->cost->name, net->p.n_params);
    if (n < len && (reg->lambda > 0 || reg->l1 > 0))
        snprintf(b + n, len - n, " lambda=%.3g l1=%.3g n=%zu", reg->lambda, reg->l1,
                 reg->n ? reg->n : X->size2);
}

static void print_values(const gp_network *net, const gsl_matrix *X,
                         const gsl_matrix *Y) {
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

/* Diagnose the first disagreeing tensor of the (minimal) case: one more run. */
static void diagnose_case(hunter *h, const gp_network *net, const gsl_matrix *X,
                          const gsl_matrix *Y, char *text, size_t len) {
    gp_dump c;
    gp_dump_init(&c, net->p.L);
    snprintf(text, len, "none");
    if (run_case(h, net, X, Y, &c) != RUN_DISAGREE)
        return;
    gp_diag *d = gp_diag_alloc(net, X, Y, &h->reg);
    for (size_t i = 0; d && i < c.n; i++)
        if (c.t[i] && !strcmp(c.name[i], h->tensor)) {
            gp_diagnosis out;
            if (!gp_diag_tensor(d, h->tensor, c.t[i], 0, &out))
                snprintf(text, len, "%s", out.text);
        }
    gp_diag_free(d);
    gp_dump_free(&c);
}

/* DIR/failure: the case (network.json, x.npy, y.npy, meta.json) and hunt.json. */
static int write_record(hunter *h, const gp_network *net, const gsl_matrix *X,
                        const gsl_matrix *Y, size_t index, unsigned long seed,
                        const char *diag, char *path, size_t len) {
    char err[512], p[4200];
    snprintf(path, len, "%s/failure", h->dir);
    clear_dir(path);
    if (write_case(path, net, X, Y, &h->reg, err, sizeof err)) {
        fprintf(stderr, CLI_NAME ": %s\n", err);
        return 1;
    }
    snprintf(p, sizeof p, "%s/hunt.json", path);
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "format",
                          "gradproof-hunt", "seed", (json_int_t)seed, "case",
                          (json_int_t)index, "verdict", run_kind_name(h->kind), "tensor",
                          h->tensor, "detail", h->detail, "diagnosis", diag);
    json_t *cmd = json_array();
    for (size_t i = 0; i < h->argc; i++)
        json_array_append_new(cmd, json_string(h->argv[i]));
    json_object_set_new(o, "command", cmd);
    int st = json_dump_file(o, p, JSON_INDENT(2));
    json_decref(o);
    if (st)
        fprintf(stderr, CLI_NAME ": cannot write '%s'\n", p);
    return st != 0;
}

/* ---- the command ---- */

static const cli_option opt_cases = {
    "cases", 0, CLI_SIZE, "N", 1, 1e9, 0, NULL, "100", NULL, "random cases to try", NULL};
static const cli_option opt_budget = {
    "time-budget",
    0,
    CLI_REAL,
    "SEC",
    0,
    1e9,
    0,
    NULL,
    "0",
    NULL,
    "stop drawing new cases after SEC seconds (0: no limit)",
    NULL};
static const cli_option opt_timeout = {
    "timeout",
    0,
    CLI_REAL,
    "SEC",
    0,
    1e6,
    1,
    NULL,
    "60",
    NULL,
    "a run of the candidate taking longer is killed and reported as a hang",
    NULL};
static const char *const precision_words[] = {"float64", "float32", "bfloat16",
                                              "float16", "auto",    NULL};
static const cli_option opt_precision = {
    "precision",
    0,
    CLI_CHOICE,
    "P",
    0,
    0,
    0,
    precision_words,
    "auto",
    NULL,
    "the candidate's arithmetic: float64, float32, bfloat16, float16 or auto "
    "(float32 when every value it writes is a float32 value)",
    NULL};
static const cli_option opt_dir = {"dir",
                                   0,
                                   CLI_STRING,
                                   "DIR",
                                   0,
                                   0,
                                   0,
                                   NULL,
                                   "hunt.out",
                                   NULL,
                                   "where cases, the candidate's output and the "
                                   "failure record go",
                                   NULL};
static const cli_option opt_shrink = {"shrink-evals",
                                      0,
                                      CLI_SIZE,
                                      "N",
                                      0,
                                      1e6,
                                      0,
                                      NULL,
                                      "500",
                                      NULL,
                                      "at most N candidate runs while shrinking",
                                      NULL};
static const cli_option opt_max_width = {"max-width",
                                         0,
                                         CLI_SIZE,
                                         "N",
                                         1,
                                         4096,
                                         0,
                                         NULL,
                                         "10",
                                         NULL,
                                         "widest layer of a random case",
                                         NULL};
static const cli_option opt_replay = {
    "replay",
    0,
    CLI_STRING,
    "DIR",
    0,
    0,
    0,
    NULL,
    NULL,
    "none",
    "run the candidate once on the case in DIR (a failure record) and judge it",
    NULL};

static const cli_option opt_no_reg = {
    "no-reg",
    0,
    CLI_FLAG,
    NULL,
    0,
    0,
    0,
    NULL,
    NULL,
    NULL,
    "cases without regularisation (else half the cases draw lambda, l1 and n)",
    NULL};

static const cli_option opt_batch = {
    "batch",
    0,
    CLI_SIZE,
    "M",
    1,
    100000,
    0,
    NULL,
    "10",
    NULL,
    "samples per case with --sizes (random cases draw 1 to 16)",
    NULL};

/* A case of fixed sizes: network2.py's default initialisation, inputs N(0, 1), targets
 * fitting the cost (gp_case_fill_target). */
static int fixed_case(gsl_rng *r, const gp_cost_type *c, const cli_layers *s, size_t m,
                      gp_network **net, gsl_matrix **X, gsl_matrix **Y) {
    *net = gp_network_alloc(s->n, s->sizes, c);
    *X = gsl_matrix_alloc(s->sizes[0], m);
    *Y = gsl_matrix_alloc(s->sizes[s->n - 1], m);
    if (!*net || !*X || !*Y || gp_network_init(*net, GP_INIT_DEFAULT, r))
        return GSL_ENOMEM;
    for (size_t j = 0; j < (*X)->size1; j++)
        for (size_t i = 0; i < m; i++)
            gsl_matrix_set(*X, j, i, gsl_ran_gaussian(r, 1.0));
    for (size_t i = 0; i < m; i++) {
        gsl_vector_view y = gsl_matrix_column(*Y, i);
        gp_case_fill_target(r, c, &y.vector);
    }
    return GSL_SUCCESS;
}

/* Regularisation of a case, drawn after the case from the same generator: none half
 * the time, else lambda log-uniform in [1e-3, 10), L1 (a third of those) in
 * [1e-3, 1), n = k m for k in 1..10 (n is the training-set size, m the batch). */
static void draw_reg(gsl_rng *r, size_t m, gp_regularization *reg) {
    reg->lambda = reg->l1 = 0;
    reg->n = 0;
    if (gsl_rng_uniform(r) < 0.5)
        return;
    reg->lambda = pow(10, -3 + 4 * gsl_rng_uniform(r));
    if (gsl_rng_uniform(r) < 1.0 / 3)
        reg->l1 = pow(10, -3 + 3 * gsl_rng_uniform(r));
    reg->n = m * (1 + gsl_rng_uniform_int(r, 10));
}

static unsigned long case_seed(unsigned long seed, size_t i) {
    /* splitmix64 of (seed, i): case i depends on nothing else */
    unsigned long long z = (unsigned long long)seed * 0x9e3779b97f4a7c15ULL + i + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned long)((z ^ (z >> 31)) & 0xffffffffUL) | 1UL;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* Shrink a failing case, write the record, print the minimal case and diagnosis. */
static int report_failure(hunter *h, gp_network *net, gsl_matrix *X, gsl_matrix *Y,
                          size_t index, unsigned long seed, size_t shrink_evals) {
    char before[256], after[256], diag[256], rec[4096];
    run_kind want = h->kind;
    describe_case(before, sizeof before, net, X, &h->reg);
    printf("case %zu (%s): %s: %s\n", index, before, run_kind_name(want), h->detail);
    shrink_ctx s = {h, want};
    size_t steps = 0, runs0 = h->runs;
    int st = gp_shrink_case(still_fails, &s, shrink_evals, &net, &X, &Y, &steps);
    describe_case(after, sizeof after, net, X, &h->reg);
    printf("shrunk in %zu steps (%zu candidate runs): %s -> %s%s\n", steps,
           h->runs - runs0, before, after, st ? " (shrinking stopped early)" : "");
    run_case(h, net, X, Y, NULL);
    printf("minimal case: %s: %s\n", run_kind_name(h->kind), h->detail);
    if (net->p.n_params + X->size1 * X->size2 <= 64)
        print_values(net, X, Y);
    diagnose_case(h, net, X, Y, diag, sizeof diag);
    if (h->kind == RUN_DISAGREE)
        printf("diagnosis: %s\n", diag);
    run_case(h, net, X, Y, NULL);
    if (!write_record(h, net, X, Y, index, seed, diag, rec, sizeof rec))
        printf("record: %s (replay: " CLI_NAME " hunt --replay %s -- CMD ARGS...)\n", rec,
               rec);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return CLI_EXIT_FAIL;
}

static int replay(hunter *h, const char *dir) {
    char err[512];
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    if (gp_dump_read_inputs(dir, &net, &X, &Y, &h->reg, err, sizeof err))
        return cli_input_error(CMD, "%s", err);
    run_kind k = run_case(h, net, X, Y, NULL);
    printf("replay %s: %s%s%s\n", dir, run_kind_name(k), h->detail[0] ? ": " : "",
           h->detail);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return k == RUN_AGREE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* Cases 0, 1, ... until one fails, cases are done or the budget is spent. */
static int hunt_loop(hunter *h, size_t cases, unsigned long seed, double budget,
                     const gp_cost_type *cost, const cli_layers *sizes, size_t batch,
                     size_t max_width, size_t shrink_evals, int with_reg) {
    int st;
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.max_width = max_width;
    co.min_width = GSL_MIN(co.min_width, max_width);
    double t0 = now_s();
    size_t i;
    for (i = 0; i < cases && (budget == 0 || now_s() - t0 < budget); i++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gp_network *net;
        gsl_matrix *X, *Y;
        if (!r)
            return cli_error(CMD, "out of memory");
        gsl_rng_set(r, case_seed(seed, i));
        const gp_cost_type *c = cost ? cost : gp_cost_types[gsl_rng_uniform_int(r, 4)];
        net = NULL;
        X = Y = NULL;
        st = sizes ? fixed_case(r, c, sizes, batch, &net, &X, &Y)
                   : gp_case_random(r, c, &co, &net, &X, &Y, NULL);
        if (!st && with_reg)
            draw_reg(r, X->size2, &h->reg);
        gsl_rng_free(r);
        if (st)
            return cli_error(CMD, "cannot draw case %zu: %s", i, gsl_strerror(st));
        if (run_case(h, net, X, Y, NULL) != RUN_AGREE)
            return report_failure(h, net, X, Y, i, seed, shrink_evals);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    double t = now_s() - t0;
    printf("hunt: %zu cases in %.2f s (%.1f cases/s), seed %lu: every case agreed\n", i,
           t, t > 0 ? i / t : 0.0, seed);
    return CLI_EXIT_OK;
}

int cmd_hunt(int argc, char **argv) {
    size_t cases, shrink_evals, max_width, batch;
    cli_layers sizes;
    int sizes_set = 0, cost_set = 0;
    unsigned long seed;
    double budget, timeout;
    int prec, no_reg = 0;
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
        {.opt = &opt_dir, .dest = &dir},
        {.opt = &opt_replay, .dest = &replay_dir},
    };
    cli_command cmd = {
        CMD,
        "[OPTIONS] -- CMD ARGS...",
        "Property tests of another implementation. Each random case (network, batch,\n"
        "targets) is written as network.json, x.npy, y.npy, meta.json into DIR/case;\n"
        "CMD ARGS... runs with the case directory and an output directory ({in} and\n"
        "{out} in ARGS, else appended) and writes the oracle's layout (cost.npy,\n"
        "z1.npy, ..., dW1.npy, db1.npy). Its values are judged by the certified rule:\n"
        "a tensor disagrees when an entry lies beyond the worst-case rounding bound of\n"
        "its precision (doc/bounds.md). A failing case is shrunk, re-running CMD, to a\n"
        "minimal one, written to DIR/failure and diagnosed. A crash, a hang or\n"
        "unreadable output is reported with its case.\n"
        "Exit status: 0 every case agreed, 1 a failing case, 2 unusable --replay.\n",
        args,
        sizeof args / sizeof args[0],
        1,
        4096,
        NULL,
        0};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    hunter h = {cmd.operands,
                cmd.n_operands,
                dir,
                timeout,
                prec == 4 ? -1 : prec,
                {0, 0, 0},
                0,
                RUN_AGREE,
                "",
                ""};
    if (mkdir(dir, 0755) && errno != EEXIST)
        return cli_error(CMD, "cannot create --dir '%s': %s", dir, strerror(errno));
    if (replay_dir)
        return replay(&h, replay_dir);
    return hunt_loop(&h, cases, seed, budget, cost_set ? cost : NULL,
                     sizes_set ? &sizes : NULL, batch, max_width, shrink_evals, !no_reg);
}
