/* hunt.c: property tests of another implementation (gradproof/hunt.h). Case i is drawn
 * from a generator seeded by (seed, i) alone; the candidate runs as a child process with
 * a timeout; its dump is judged by the certified rule (bounds.h); a failing case is
 * shrunk (gp_shrink_case), recorded in DIR/failure and diagnosed (diagnose.h). */
#define _XOPEN_SOURCE 700
#include <config.h>

#include <errno.h>
#include <fcntl.h>
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
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include <gradproof/gradproof.h>
#include <gradproof/hunt.h>

#include "internal.h"
#include "ioutil.h"

/* What one run of the candidate on one case gave. */
typedef gp_hunt_kind run_kind;
#define RUN_AGREE GP_HUNT_AGREE
#define RUN_DISAGREE GP_HUNT_DISAGREE
#define RUN_CRASH GP_HUNT_CRASH
#define RUN_TIMEOUT GP_HUNT_TIMEOUT
#define RUN_GARBAGE GP_HUNT_GARBAGE
#define RUN_IO GP_HUNT_IO_ERROR

const char *gp_hunt_kind_name(gp_hunt_kind k) {
    static const char *n[] = {"agree",   "disagree", "crash",
                              "timeout", "garbage",  "io-error"};
    return k <= GP_HUNT_IO_ERROR ? n[k] : "unknown";
}
#define run_kind_name gp_hunt_kind_name

typedef struct {
    gp_hunt_candidate fn; /* the candidate */
    void *ctx;
    char *const *argv; /* the command, for the record (NULL: a callback) */
    size_t argc;
    const char *dir;       /* the record's parent (NULL: no record) */
    const char *precision; /* a format name, or NULL: inferred per case */
    gp_regularization reg; /* of the current case */
    size_t runs;           /* candidate runs so far */
    int io_failed;         /* a run hit the hunt's own I/O error: no run after it */
    /* the last run's details */
    run_kind kind;
    char tensor[32];
    char detail[256];
    double ratio; /* its largest |c - o| / (worst-case bound + oracle's) */
} hunter;

/* The command candidate's context. */
typedef struct {
    char *const *argv; /* CMD ARGS... */
    size_t argc;
    const char *dir;
    double timeout;
} command;

/* ---- the case on disk ---- */

/* mkdir(dir), or dir is a directory already: 0; else -1 with errno (ENOTDIR for a file,
 * which EEXIST alone let stand for the directory). */
static int make_dir_at(const char *dir) {
    struct stat st;
    if (mkdir(dir, 0755) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    errno = ENOTDIR;
    return -1;
}

int gp_hunt_make_dir(const char *dir, char *detail, size_t len) {
    GPI_NONNULL(dir, GSL_EINVAL);
    if (!make_dir_at(dir))
        return GSL_SUCCESS;
    snprintf(detail, len, "cannot create '%s': %s", dir, strerror(errno));
    return GSL_EFAILED;
}

static int write_case(const char *dir, const gp_network *net, const gsl_matrix *X,
                      const gsl_matrix *Y, const gp_regularization *reg, char *err,
                      size_t len) {
    char p[4096];
    if (gp_hunt_make_dir(dir, err, len))
        return 1;
    char why[512]; /* the writers' "PATH: reason" */
    snprintf(p, sizeof p, "%s/network.json", dir);
    int st = gp_netio_save(net, p, why, sizeof why);
    snprintf(p, sizeof p, "%s/x.npy", dir);
    st = st || gp_npy_write_matrix(p, X, why, sizeof why);
    snprintf(p, sizeof p, "%s/y.npy", dir);
    st = st || gp_npy_write_matrix(p, Y, why, sizeof why);
    if (st) {
        snprintf(err, len, "cannot write %.400s", why);
        return 1;
    }
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

/* ---- the command candidate ---- */

/* Run CMD with {in}/{out} substituted (or appended); RUN_AGREE here means "ran". */
static run_kind run_command(const command *c, char *in, char *out, char *detail,
                            size_t len) {
    char **av = calloc(c->argc + 3, sizeof *av);
    size_t n = 0;
    int subst = 0;
    if (!av) {
        snprintf(detail, len, "out of memory");
        return RUN_CRASH;
    }
    for (size_t i = 0; i < c->argc; i++) {
        subst |= !strcmp(c->argv[i], "{in}") || !strcmp(c->argv[i], "{out}");
        av[n++] = !strcmp(c->argv[i], "{in}")    ? in
                  : !strcmp(c->argv[i], "{out}") ? out
                                                 : c->argv[i];
    }
    if (!subst) {
        av[n++] = in;
        av[n++] = out;
    }
    char log[4096];
    snprintf(log, sizeof log, "%s/candidate.log", c->dir);
    /* opened here: a log the hunt cannot write is its own error, not the candidate's */
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(detail, len, "cannot write '%.3800s': %s", log, strerror(errno));
        free(av);
        return RUN_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        execvp(av[0], av);
        _exit(127);
    }
    close(fd);
    free(av);
    if (pid < 0) {
        snprintf(detail, len, "fork failed: %s", strerror(errno));
        return RUN_CRASH;
    }
    int st = 0;
    struct timespec t0, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) + 1e-9 * (now.tv_nsec - t0.tv_nsec) > c->timeout) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            snprintf(detail, len, "no answer within %g s (killed)", c->timeout);
            return RUN_TIMEOUT;
        }
        nanosleep(&nap, NULL);
    }
    if (WIFSIGNALED(st) || WEXITSTATUS(st) != 0) {
        snprintf(detail, len, "%s %d (output in %.200s)",
                 WIFSIGNALED(st) ? "killed by signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), log);
        return RUN_CRASH;
    }
    return RUN_AGREE;
}

/* The candidate's NAME.npy files for the dump's names (absent ones stay NULL). */
static run_kind read_candidate(const char *out, gp_dump *c, char *detail, size_t len) {
    for (size_t i = 0; i < c->n; i++) {
        char p[4096], err[512];
        snprintf(p, sizeof p, "%.4000s/%.31s.npy", out, c->name[i]);
        if (access(p, F_OK))
            continue;
        if (gp_npy_read(p, 0, &c->t[i], NULL, err, sizeof err)) {
            snprintf(detail, len, "%.250s", err);
            return RUN_GARBAGE;
        }
    }
    return RUN_AGREE;
}

/* The command as a candidate: write the case to DIR/case, run CMD DIR/case DIR/out,
 * read DIR/out. What the hunt cannot write itself is RUN_IO, never the candidate's. */
static gp_hunt_kind command_candidate(void *ctx, const gp_network *net,
                                      const gsl_matrix *X, const gsl_matrix *Y,
                                      const gp_regularization *reg, gp_dump *out,
                                      char *detail, size_t len) {
    const command *c = ctx;
    char in[4096], dir[4096], err[512] = "";
    snprintf(in, sizeof in, "%.4000s/case", c->dir);
    snprintf(dir, sizeof dir, "%.4000s/out", c->dir);
    gpi_remove_tree(dir);
    if (write_case(in, net, X, Y, reg, err, sizeof err)) {
        snprintf(detail, len, "%s", err);
        return RUN_IO;
    }
    if (mkdir(dir, 0755)) { /* a fresh one: gpi_remove_tree failed if it exists */
        snprintf(detail, len, "cannot create '%.200s': %s", dir, strerror(errno));
        return RUN_IO;
    }
    run_kind k = run_command(c, in, dir, detail, len);
    return k == RUN_AGREE ? read_candidate(dir, out, detail, len) : k;
}

/* ---- the oracle's tensors and the candidate's ---- */

/* dW and db are required; a 1 x n row for an n x 1 vector is taken as the column. */
static run_kind check_candidate(hunter *h, const gp_dump *o, gp_dump *c) {
    for (size_t i = 0; i < o->n; i++) {
        gsl_matrix *t = c->t[i];
        if (!t && (!strncmp(o->name[i], "dW", 2) || !strncmp(o->name[i], "db", 2))) {
            snprintf(h->detail, sizeof h->detail, "no %s in its output", o->name[i]);
            snprintf(h->tensor, sizeof h->tensor, "%s", o->name[i]);
            return RUN_GARBAGE;
        }
        if (t && t->size1 == 1 && o->t[i]->size2 == 1 && t->size2 == o->t[i]->size1) {
            gsl_matrix *col = gsl_matrix_alloc(t->size2, 1);
            if (!col)
                return RUN_GARBAGE;
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

/* The certified rule on one tensor of the right shape: counts into v, h->ratio. */
static run_kind judge_tensor(hunter *h, const char *fmt, const gp_bounds *bc,
                             const gp_bounds *bo, const char *name, const gsl_matrix *b,
                             const gsl_matrix *a) {
    gp_verdict_counts v;
    if (gp_bounds_compare_tensor(bc, bo, name, b, a, &v))
        return RUN_AGREE;
    h->ratio = fmax(h->ratio, v.max_ratio);
    if (!v.n_disagree)
        return RUN_AGREE;
    size_t n_all = v.n_agree + v.n_inconclusive + v.n_disagree;
    snprintf(h->detail, sizeof h->detail,
             "%s (%s): %zu of %zu %s beyond the worst-case bound, largest "
             "error/bound %.3g at [%zu][%zu] (candidate %.9g, oracle %.17g)",
             name, fmt, v.n_disagree, n_all, GPI_PLURAL(n_all, "entry", "entries"),
             v.max_ratio, v.worst_i, v.worst_j, gsl_matrix_get(b, v.worst_i, v.worst_j),
             gsl_matrix_get(a, v.worst_i, v.worst_j));
    return RUN_DISAGREE;
}

/* The certified rule on every tensor the candidate gave, in computation order. */
static run_kind judge(hunter *h, const gp_network *net, const gsl_matrix *X,
                      const gsl_matrix *Y, const gp_dump *o, const gp_dump *c) {
    gp_bounds_model mc, mo;
    const char *fmt = h->precision     ? h->precision
                      : all_float32(c) ? "float32"
                                       : "float64";
    gp_bounds_model_init(&mc, fmt);
    gp_bounds_model_init(&mo, "float64");
    gp_bounds *bc = gp_bounds_alloc(net, X->size2), *bo = gp_bounds_alloc(net, X->size2);
    run_kind k = RUN_AGREE;
    if (!bc || !bo || gpi_bounds_compute_pinned(net, X, Y, &h->reg, &mc, c, bc) ||
        gpi_bounds_compute_pinned(net, X, Y, &h->reg, &mo, c, bo)) {
        snprintf(h->detail, sizeof h->detail, "the bounds could not be computed");
        k = RUN_GARBAGE;
    }
    gp_dump adj;
    gp_network *sided = NULL;
    size_t flips = 0;
    gp_dump_init(&adj, net->p.L);
    /* at a kink the candidate's own z decides which one-sided f' is expected: the
     * oracle and its bounds on the candidate's sides; exactly on the kink only the
     * convention f'(0) = f'(0-) (the bounds pinned by c) */
    if (k == RUN_AGREE && gpi_case_candidate_sides(net, X, bc, bo, o, c, &sided, &flips))
        k = RUN_GARBAGE;
    if (flips && (gpi_bounds_compute_pinned(sided, X, Y, &h->reg, &mc, c, bc) ||
                  gpi_bounds_compute_pinned(sided, X, Y, &h->reg, &mo, c, bo) ||
                  gp_dump_compute(sided, X, Y, &h->reg, &adj)))
        k = RUN_GARBAGE;
    if (flips)
        o = &adj;
    for (size_t i = 0; i < o->n && k == RUN_AGREE; i++) {
        const gsl_matrix *a = o->t[i], *b = c->t[i];
        if (!b)
            continue;
        snprintf(h->tensor, sizeof h->tensor, "%s", o->name[i]);
        if (b->size1 != a->size1 || b->size2 != a->size2) {
            snprintf(h->detail, sizeof h->detail,
                     "%s has shape %zu x %zu, expected %zu x %zu", o->name[i], b->size1,
                     b->size2, a->size1, a->size2);
            k = RUN_DISAGREE;
        } else
            k = judge_tensor(h, fmt, bc, bo, o->name[i], b, a);
    }
    gp_dump_free(&adj);
    gp_network_free(sided);
    gp_bounds_free(bc);
    gp_bounds_free(bo);
    return k;
}

/* Run the candidate on the case and judge its dump; keep (if not NULL) receives its
 * tensors. */
static run_kind run_case(hunter *h, const gp_network *net, const gsl_matrix *X,
                         const gsl_matrix *Y, gp_dump *keep) {
    gp_dump o, c;
    gp_dump_init(&o, net->p.L);
    gp_dump_init(&c, net->p.L);
    h->tensor[0] = 0;
    h->ratio = 0;
    if (h->io_failed) /* h->detail keeps the I/O error */
        return h->kind = RUN_IO;
    h->detail[0] = 0;
    h->runs++;
    run_kind k = h->fn(h->ctx, net, X, Y, &h->reg, &c, h->detail, sizeof h->detail);
    h->io_failed = k == RUN_IO;
    if (k != RUN_AGREE && !h->detail[0])
        snprintf(h->detail, sizeof h->detail, "the candidate reported %s",
                 run_kind_name(k));
    if (k == RUN_AGREE && gp_dump_compute(net, X, Y, &h->reg, &o)) {
        snprintf(h->detail, sizeof h->detail, "the oracle could not evaluate the case");
        k = RUN_GARBAGE;
    }
    if (k == RUN_AGREE)
        k = check_candidate(h, &o, &c);
    if (k == RUN_AGREE)
        k = judge(h, net, X, Y, &o, &c);
    gp_dump_free(&o);
    if (keep)
        *keep = c;
    else
        gp_dump_free(&c);
    return h->kind = k > RUN_IO ? RUN_CRASH : k;
}

/* ---- shrinking, the record, the report ---- */

typedef struct {
    hunter *h;
    run_kind want;
    int known; /* 1: the next call answers 1 without a run (the case was just re-run) */
} shrink_ctx;

/* The shrinker's property: the candidate still fails in the same way. */
static int still_fails(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       void *params) {
    shrink_ctx *s = params;
    if (s->known) {
        s->known = 0;
        return 1;
    }
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
        n += (size_t)snprintf(b + n, len - n, " lambda=%.3g l1=%.3g n=%zu", reg->lambda,
                              reg->l1, reg->n ? reg->n : X->size2);
    char act[64];
    if (n < len && net->p.L > 1 && gp_network_activation(net, 1) != NULL &&
        strcmp(gp_network_activation(net, 1)->name, "sigmoid") &&
        !gp_activation_format(gp_network_activation(net, 1), act, sizeof act))
        snprintf(b + n, len - n, " activation=%s", act);
}

/* Diagnose the first disagreeing tensor of the (minimal) case: one more run. */
static void diagnose_case(hunter *h, const gp_network *net, const gsl_matrix *X,
                          const gsl_matrix *Y, gp_diagnosis *out) {
    gp_dump c;
    memset(out, 0, sizeof *out);
    snprintf(out->text, sizeof out->text, "none");
    gp_dump_init(&c, net->p.L);
    if (run_case(h, net, X, Y, &c) != RUN_DISAGREE) {
        gp_dump_free(&c); /* a flaky candidate's re-run agrees */
        return;
    }
    gp_diag *d = gp_diag_alloc(net, X, Y, &h->reg);
    int i = gp_dump_find(&c, h->tensor);
    if (d && i >= 0 && c.t[i])
        gp_diag_tensor(d, h->tensor, c.t[i], 0, out);
    gp_diag_free(d);
    gp_dump_free(&c);
}

/* DIR/failure: the case (network.json, x.npy, y.npy, meta.json) and hunt.json. */
static int write_record(hunter *h, const gp_network *net, const gsl_matrix *X,
                        const gsl_matrix *Y, size_t index, unsigned long seed,
                        const char *diag, char *path, size_t len) {
    char err[512], p[4200];
    path[0] = 0;
    if (!h->dir)
        return 0;
    snprintf(path, len, "%s/failure", h->dir);
    gpi_remove_tree(path);
    if (write_case(path, net, X, Y, &h->reg, err, sizeof err)) {
        path[0] = 0;
        return 1;
    }
    snprintf(p, sizeof p, "%s/hunt.json", path);
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "format",
                          "gradproof-hunt", "seed", (json_int_t)seed, "case",
                          (json_int_t)index, "verdict", run_kind_name(h->kind), "tensor",
                          h->tensor, "detail", h->detail, "diagnosis", diag);
    json_t *cmd = json_array();
    for (size_t i = 0; h->argv && i < h->argc; i++)
        json_array_append_new(cmd, json_string(h->argv[i]));
    json_object_set_new(o, "command", h->argv ? cmd : json_null());
    if (!h->argv)
        json_decref(cmd);
    int st = json_dump_file(o, p, JSON_INDENT(2));
    json_decref(o);
    if (st)
        path[0] = 0;
    return st != 0;
}

/* A case of fixed sizes: network2.py's default initialisation, inputs N(0, 1), targets
 * fitting the cost (gp_case_fill_target). */
static int fixed_case(gsl_rng *r, const gp_cost_type *c, const gp_hunt_opts *o,
                      gp_network **net, gsl_matrix **X, gsl_matrix **Y) {
    size_t m = o->batch;
    *net = gp_network_alloc(o->n_sizes, o->sizes, c);
    *X = gsl_matrix_alloc(o->sizes[0], m);
    *Y = gsl_matrix_alloc(o->sizes[o->n_sizes - 1], m);
    if (!*net || !*X || !*Y || gp_network_init(*net, GP_INIT_DEFAULT, r))
        return GSL_ENOMEM;
    for (size_t l = 1; o->activation && l + 1 < o->n_sizes; l++)
        if (gp_network_set_activation(*net, l, o->activation))
            return GSL_EINVAL;
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

void gp_hunt_opts_default(gp_hunt_opts *opts) {
    GPI_NONNULL(opts, );
    memset(opts, 0, sizeof *opts);
    opts->cases = 100;
    opts->seed = 1;
    opts->timeout = 60;
    opts->batch = 10;
    opts->max_width = 10;
    opts->shrink_evals = 500;
    opts->regularise = 1;
    opts->dir = "hunt.out";
    opts->shard_stride = 1;
}

int gp_hunt_case(const gp_hunt_opts *opts, size_t index, gp_network **net, gsl_matrix **X,
                 gsl_matrix **Y, gp_regularization *reg) {
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(reg, GSL_EINVAL);
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.max_width = opts->max_width;
    co.min_width = GSL_MIN(co.min_width, opts->max_width);
    co.activation = opts->activation;
    /* kinked hidden layers (relu, leaky-relu): on / near a kink, as check does */
    co.kink = index % 4 == 1   ? GP_CASE_KINK_ON
              : index % 4 == 3 ? GP_CASE_KINK_NEAR
                               : GP_CASE_KINK_NONE;
    *net = NULL;
    *X = *Y = NULL;
    memset(reg, 0, sizeof *reg);
    if (opts->n_sizes == 1 || opts->n_sizes > GP_MAX_LAYERS)
        GSL_ERROR("hunt: a network needs 2 to GP_MAX_LAYERS sizes", GSL_EINVAL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    gsl_rng_set(r, case_seed(opts->seed, index));
    const gp_cost_type *c =
        opts->cost ? opts->cost : gp_cost_types[gsl_rng_uniform_int(r, 4)];
    int st = opts->n_sizes ? fixed_case(r, c, opts, net, X, Y)
                           : gp_case_random(r, c, &co, net, X, Y, NULL);
    if (!st && opts->regularise)
        draw_reg(r, (*X)->size2, reg);
    gsl_rng_free(r);
    if (st) {
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        *net = NULL;
        *X = *Y = NULL;
    }
    return st;
}

/* Shrink a failing case, diagnose it, write the record; res gets all of it. */
static void shrink_failure(hunter *h, gp_network *net, gsl_matrix *X, gsl_matrix *Y,
                           size_t index, unsigned long seed, size_t shrink_evals,
                           gp_hunt_result *res) {
    run_kind want = h->kind;
    res->kind = want;
    res->failing_case = index;
    describe_case(res->found, sizeof res->found, net, X, &h->reg);
    snprintf(res->detail, sizeof res->detail, "%s", h->detail);
    shrink_ctx s = {h, want, 0};
    size_t runs0 = h->runs;
    /* A failure that does not repeat (a flaky candidate) is not shrunk: gp_shrink_case
     * would raise GSL_EINVAL ("does not fail"), an abort under GSL's default handler. */
    int again = still_fails(net, X, Y, &s);
    s.known = again;
    res->shrink_steps = 0;
    int st = again ? gp_shrink_case(still_fails, &s, shrink_evals, &net, &X, &Y,
                                    &res->shrink_steps)
                   : GSL_SUCCESS;
    res->shrink_runs = h->runs - runs0;
    /* the budget counts the shrinker's runs after the re-run */
    res->shrink_stopped = st != GSL_SUCCESS || res->shrink_runs > shrink_evals;
    describe_case(res->minimal, sizeof res->minimal, net, X, &h->reg);
    diagnose_case(h, net, X, Y, &res->diagnosis);
    run_case(h, net, X, Y, NULL);
    snprintf(res->minimal_detail, sizeof res->minimal_detail, "%s%.200s",
             again ? "" : "not shrunk: the failure did not repeat when re-run; ",
             h->detail);
    snprintf(res->tensor, sizeof res->tensor, "%s", h->tensor);
    if (!h->io_failed) /* else no record: the hunt stops with its I/O error */
        write_record(h, net, X, Y, index, seed, res->diagnosis.text, res->record,
                     sizeof res->record);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}

static void hunter_init(hunter *h, const gp_hunt_opts *opts, gp_hunt_candidate fn,
                        void *ctx, gp_hunt_result *res) {
    memset(h, 0, sizeof *h);
    memset(res, 0, sizeof *res);
    h->fn = fn;
    h->ctx = ctx;
    h->dir = opts->dir;
    h->precision = opts->precision;
}

/* The hunt's own I/O error (h->detail names the path) as its result: GSL_EFAILED. */
static int io_error(const hunter *h, gp_hunt_result *res) {
    res->kind = GP_HUNT_IO_ERROR;
    res->runs = h->runs;
    snprintf(res->detail, sizeof res->detail, "%s", h->detail);
    GSL_ERROR("hunt: cannot write its files", GSL_EFAILED);
}

/* Create opts->dir (if given). */
static int make_dir(hunter *h, const gp_hunt_opts *opts, gp_hunt_result *res) {
    if (opts->dir && gp_hunt_make_dir(opts->dir, h->detail, sizeof h->detail))
        return io_error(h, res);
    return GSL_SUCCESS;
}

int gp_hunt_replay_candidate(const char *dir, const gp_hunt_opts *opts,
                             gp_hunt_candidate fn, void *ctx, gp_hunt_result *res) {
    GPI_NONNULL(dir, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(fn, GSL_EINVAL);
    GPI_NONNULL(res, GSL_EINVAL);
    hunter h;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    hunter_init(&h, opts, fn, ctx, res);
    if (make_dir(&h, opts, res))
        return GSL_EFAILED;
    if (gp_dump_read_inputs(dir, &net, &X, &Y, &h.reg, res->detail, sizeof res->detail))
        GSL_ERROR("hunt: unreadable case", GSL_EINVAL);
    res->kind = run_case(&h, net, X, Y, NULL);
    if (res->kind == RUN_IO) {
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
        return io_error(&h, res);
    }
    snprintf(res->detail, sizeof res->detail, "%s", h.detail);
    snprintf(res->tensor, sizeof res->tensor, "%s", h.tensor);
    if (res->kind == RUN_DISAGREE)
        diagnose_case(&h, net, X, Y, &res->diagnosis);
    res->runs = h.runs;
    res->n_cases = 1;
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return GSL_SUCCESS;
}

int gp_hunt_replay(const char *dir, const gp_hunt_opts *opts, char *const *argv,
                   size_t argc, gp_hunt_result *res) {
    GPI_NONNULL(dir, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(argv, GSL_EINVAL);
    GPI_NONNULL(res, GSL_EINVAL);
    command c = {argv, argc, opts->dir, opts->timeout};
    if (!opts->dir)
        GSL_ERROR("hunt: a command needs opts->dir", GSL_EINVAL);
    return gp_hunt_replay_candidate(dir, opts, command_candidate, &c, res);
}

/* The best case so far of a targeted hunt (largest error-to-bound ratio). */
typedef struct {
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    double ratio;
} best_case;

static void best_free(best_case *b) {
    gp_network_free(b->net);
    gsl_matrix_free(b->X);
    gsl_matrix_free(b->Y);
    memset(b, 0, sizeof *b);
}

/* Targeted mode (Hypothesis's target()): case i (odd) is the best case so far with
 * its parameters scaled by a factor in [1.5, 3) and, every other time, its inputs
 * too: |z| grows toward saturation, where a formula's float32 evaluation may break. */
static int mutate_best(const best_case *b, const gp_hunt_opts *opts, size_t i,
                       gp_network **net, gsl_matrix **X, gsl_matrix **Y,
                       gp_regularization *reg) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    *net = gp_network_clone(b->net);
    *X = gsl_matrix_alloc(b->X->size1, b->X->size2);
    *Y = gsl_matrix_alloc(b->Y->size1, b->Y->size2);
    if (!r || !*net || !*X || !*Y) {
        gsl_rng_free(r);
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    gsl_rng_set(r, case_seed(opts->seed ^ 0x7a7a7a7aUL, i));
    gsl_matrix_memcpy(*X, b->X);
    gsl_matrix_memcpy(*Y, b->Y);
    gsl_vector_scale((*net)->p.params, 1.5 + 1.5 * gsl_rng_uniform(r));
    if (gsl_rng_uniform(r) < 0.5)
        gsl_matrix_scale(*X, 1.5 + 1.5 * gsl_rng_uniform(r));
    *reg = b->reg;
    gsl_rng_free(r);
    return GSL_SUCCESS;
}

/* Keep the case as the best one when its ratio is at least the best's (ties go to the
 * newer, more saturated case); the case is taken over (or freed). */
static void best_offer(best_case *b, gp_network *net, gsl_matrix *X, gsl_matrix *Y,
                       const gp_regularization *reg, double ratio, int target) {
    if (!target || (b->net && ratio < b->ratio)) {
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
        return;
    }
    best_free(b);
    *b = (best_case){net, X, Y, *reg, ratio};
}

/* Cases 0, 1, ... (this worker's share) until one fails, cases are done, the budget is
 * spent or opts->stop says so. */
static int hunt_loop(hunter *h, const gp_hunt_opts *opts, gp_hunt_result *res) {
    double t0 = now_s();
    best_case best = {0};
    size_t stride = opts->shard_stride ? opts->shard_stride : 1;
    for (size_t i = opts->shard_offset;
         i < opts->cases &&
         (opts->time_budget == 0 || now_s() - t0 < opts->time_budget) &&
         !(opts->stop && opts->stop(opts->stop_ctx, i, 0));
         i += stride) {
        gp_network *net;
        gsl_matrix *X, *Y;
        int st = opts->target && best.net && i % 2
                     ? mutate_best(&best, opts, i, &net, &X, &Y, &h->reg)
                     : gp_hunt_case(opts, i, &net, &X, &Y, &h->reg);
        if (st) {
            best_free(&best);
            snprintf(res->detail, sizeof res->detail, "cannot draw case %zu: %s", i,
                     gsl_strerror(st));
            GSL_ERROR("hunt: cannot draw a case", st);
        }
        res->n_cases++;
        run_kind k = run_case(h, net, X, Y, NULL);
        if (k == RUN_IO) {
            gp_network_free(net);
            gsl_matrix_free(X);
            gsl_matrix_free(Y);
            best_free(&best);
            return io_error(h, res);
        }
        /* dropped: another worker found an earlier failing case */
        int dropped = k != RUN_AGREE && opts->stop && opts->stop(opts->stop_ctx, i, 1);
        if (k != RUN_AGREE && !dropped) {
            best_free(&best);
            res->seconds = now_s() - t0;
            shrink_failure(h, net, X, Y, i, opts->seed, opts->shrink_evals, res);
            res->runs = h->runs;
            return h->io_failed ? io_error(h, res) : GSL_SUCCESS;
        }
        if (dropped) {
            gp_network_free(net);
            gsl_matrix_free(X);
            gsl_matrix_free(Y);
            break;
        }
        best_offer(&best, net, X, Y, &h->reg, h->ratio, opts->target);
    }
    best_free(&best);
    res->seconds = now_s() - t0;
    res->runs = h->runs;
    return GSL_SUCCESS;
}

int gp_hunt_run_candidate(const gp_hunt_opts *opts, gp_hunt_candidate fn, void *ctx,
                          gp_hunt_result *res) {
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(fn, GSL_EINVAL);
    GPI_NONNULL(res, GSL_EINVAL);
    hunter h;
    hunter_init(&h, opts, fn, ctx, res);
    if (!fn)
        GSL_ERROR("hunt: no candidate", GSL_EINVAL);
    if (make_dir(&h, opts, res))
        return GSL_EFAILED;
    return hunt_loop(&h, opts, res);
}

int gp_hunt_run(const gp_hunt_opts *opts, char *const *argv, size_t argc,
                gp_hunt_result *res) {
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(argv, GSL_EINVAL);
    GPI_NONNULL(res, GSL_EINVAL);
    command c = {argv, argc, opts->dir, opts->timeout};
    hunter h;
    hunter_init(&h, opts, command_candidate, &c, res);
    h.argv = argv;
    h.argc = argc;
    if (!opts->dir || !argc)
        GSL_ERROR("hunt: a command and opts->dir are needed", GSL_EINVAL);
    if (make_dir(&h, opts, res))
        return GSL_EFAILED;
    return hunt_loop(&h, opts, res);
}
