/* sweep.c: `gradproof sweep`, a grid of training settings (eta x lambda) times seeds.
 * Each run is one `gradproof train` in this process (cmd_train itself, so a run's figures
 * are those of the same run alone); under mpirun rank 0 deals the runs dynamically to
 * ranks 1..K-1, otherwise they run one after the other. Every epoch's metrics go to one
 * CSV, rewritten atomically as runs finish; then a summary per setting and Welch's
 * t-test between settings. */
#include <config.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "cli.h"
#include "mpi.h"

#define CMD "sweep"
#define MAX_VALUES 64
#define MAX_TASKS 100000

/* The grid; values keep their text so each run parses exactly what the user wrote. */
typedef struct {
    char *eta[MAX_VALUES], *lambda[MAX_VALUES];
    unsigned long seed[MAX_TASKS];
    size_t n_eta, n_lambda, n_seed;
    const char *csv, *eta_text, *lambda_text, *seeds_text;
    char **train_argv; /* the options passed on to train */
    int train_argc;
    char *tmpdir;
    char *eta_buf, *lambda_buf; /* the copies eta[] and lambda[] point into */
} sweep_grid;

/* One run's result as rank 0 keeps it. */
typedef struct {
    char *rows; /* CSV lines, prefixed with task, setting and seed; NULL until done */
    double final, best; /* evaluation accuracy at the last epoch and the best one */
} run_result;

static size_t n_tasks(const sweep_grid *g) {
    return g->n_eta * g->n_lambda * g->n_seed;
}

/* Task t: setting t / n_seed (eta major, lambda minor), seed t mod n_seed. */
static void task_values(const sweep_grid *g, size_t t, char **eta, char **lambda,
                        unsigned long *seed) {
    size_t s = t / g->n_seed;
    *eta = g->eta[s / g->n_lambda];
    *lambda = g->lambda[s % g->n_lambda];
    *seed = g->seed[t % g->n_seed];
}

/* "0.1,0.5" into values checked as train checks them. */
static int parse_reals(const char *opt, char *s, double lo, double hi, int lo_open,
                       char **out, size_t *n) {
    *n = 0;
    if (cli_list_check(CMD, opt, s))
        return 1;
    double vals[MAX_VALUES];
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        double v;
        if (*n == MAX_VALUES)
            return cli_error(CMD, "invalid %s: more than %d values", opt, MAX_VALUES);
        if (cli_double(CMD, opt, tok, lo, hi, lo_open, &v))
            return 1;
        for (size_t i = 0; i < *n; i++)
            if (vals[i] == v)
                return cli_error(CMD, "invalid %s: %s and %s are the same value", opt,
                                 out[i], tok);
        vals[*n] = v;
        out[(*n)++] = tok;
    }
    return *n ? 0 : cli_error(CMD, "invalid %s: no value", opt);
}

static int cmp_seed(const void *a, const void *b) {
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return (x > y) - (x < y);
}

/* A seed listed twice would count as two independent runs in the statistics. */
static int distinct_seeds(const unsigned long *seed, size_t n) {
    unsigned long *s = malloc(n * sizeof *s);
    if (s == NULL)
        return cli_error(CMD, "out of memory");
    memcpy(s, seed, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_seed);
    size_t i = 1;
    while (i < n && s[i] != s[i - 1])
        i++;
    unsigned long twice = i < n ? s[i] : 0;
    free(s);
    return i < n ? cli_error(CMD, "invalid --seeds: seed %lu is listed twice", twice) : 0;
}

/* "1-4,9": ranges and single seeds, each within train's --seed range. */
static int parse_seeds(char *s, unsigned long *out, size_t *n) {
    *n = 0;
    if (cli_list_check(CMD, "--seeds", s))
        return 1;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        char *dash = strchr(tok, '-');
        size_t a, b;
        if (dash)
            *dash = '\0';
        if (cli_size(CMD, "--seeds", tok, 0, 2147483647, &a) ||
            cli_size(CMD, "--seeds", dash ? dash + 1 : tok, 0, 2147483647, &b))
            return 1;
        if (b < a)
            return cli_error(CMD, "invalid --seeds range '%zu-%zu': empty", a, b);
        for (size_t v = a; v <= b; v++) {
            if (*n == MAX_TASKS)
                return cli_error(CMD, "invalid --seeds: more than %d seeds", MAX_TASKS);
            out[(*n)++] = v;
        }
    }
    return *n ? distinct_seeds(out, *n) : cli_error(CMD, "invalid --seeds: no seed");
}

static const cli_option opt_etas = {.name = "eta",
                                    .kind = CLI_STRING,
                                    .arg = "LIST",
                                    .def = "0.5",
                                    .help = "learning rates, comma-separated: 0.1,0.5"};
static const cli_option opt_lambdas = {
    .name = "lambda",
    .kind = CLI_STRING,
    .arg = "LIST",
    .def = "0",
    .help = "L2 regularisation strengths, comma-separated: 0,5"};
static const cli_option opt_seeds = {
    .name = "seeds",
    .kind = CLI_STRING,
    .arg = "LIST",
    .def = "1-5",
    .help = "seeds, as ranges and single values, each once: 1-10 or 1-4,9",
    .more = "(a seed, or a value of --eta or --lambda, listed twice is refused: it would "
            "count twice in the statistics)"};
static const cli_option opt_csv = {
    .name = "csv",
    .kind = CLI_STRING,
    .arg = "FILE",
    .def = "sweep.csv",
    .help = "every epoch of every run, rewritten atomically as runs finish",
    .more =
        "columns: task, sweep_eta, sweep_lambda, seed, then those of train --metrics"};

/* sweep's own options, then the options of train that sweep sets for each run, then
 * those that would serve every run with one file. */
static const char *const own_names[] = {"--eta", "--lambda", "--seeds", "--csv"};
static const char *const set_names[] = {"--seed", "--metrics", "--save", "--checkpoint",
                                        "--resume"};
#define N_OWN (sizeof own_names / sizeof own_names[0])
#define N_NAMES (N_OWN + sizeof set_names / sizeof set_names[0])

static const char *name_at(size_t i) {
    return i < N_OWN ? own_names[i] : set_names[i - N_OWN];
}

/* The name s ("--name" or "--name=VALUE") gives in full (*full = 1) or abbreviates
 * (*full = 0: getopt_long would take "--lamb" for --lambda); NULL if none. */
static const char *option_named(const char *s, int *full) {
    size_t k = strcspn(s, "=");
    for (int pass = 1; pass >= 0; pass--) /* a name in full before a beginning */
        for (size_t i = 0; i < N_NAMES; i++) {
            size_t n = strlen(name_at(i));
            if (k > 2 && (pass ? k == n : k < n) && !strncmp(s, name_at(i), k)) {
                *full = pass;
                return name_at(i);
            }
        }
    return NULL;
}

/* Is argv[i] one of sweep's own options? Sets *with_value when its value is the next
 * word. Everything else is a train option, passed on in order. */
static int own_option(const char *s, int *with_value) {
    int full;
    const char *name = option_named(s, &full);
    *with_value = 0;
    if (!strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "--man-options"))
        return 1;
    for (size_t i = 0; full && i < N_OWN; i++)
        if (name == own_names[i]) {
            *with_value = strchr(s, '=') == NULL;
            return 1;
        }
    return 0;
}

/* Options of train that sweep sets itself for each run, or a beginning of one of its
 * names: 0, or 1 after the error. */
static int refused(const char *s) {
    int full;
    const char *name = option_named(s, &full);
    if (name && full && (!strcmp(name, "--checkpoint") || !strcmp(name, "--resume")))
        return cli_error(CMD,
                         "%s cannot be used with sweep: every run would use its one "
                         "file",
                         name);
    if (!strncmp(s, "-s", 2) || (name && full))
        return cli_error(CMD, "%s is set by sweep for each run (use --seeds, --csv)", s);
    if (name)
        return cli_error(CMD,
                         "option '%.*s' abbreviates %s: give sweep's options and --seed, "
                         "--metrics, --save in full",
                         (int)strcspn(s, "="), s, name);
    return 0;
}

/* Split argv into sweep's options (parsed here) and train's (g->train_argv). */
static int split_args(sweep_grid *g, int argc, char **argv, char **own, int *n_own) {
    *n_own = 1;
    own[0] = argv[0];
    g->train_argc = 0;
    for (int i = 1; i < argc; i++) {
        int with_value;
        if (own_option(argv[i], &with_value)) {
            own[(*n_own)++] = argv[i];
            if (with_value && i + 1 < argc)
                own[(*n_own)++] = argv[++i];
        } else if (refused(argv[i])) {
            return 1;
        } else {
            g->train_argv[g->train_argc++] = argv[i];
        }
    }
    return 0;
}

static int parse_args(sweep_grid *g, int argc, char **argv) {
    char **own = calloc((size_t)argc + 1, sizeof *own);
    g->train_argv = calloc((size_t)argc + 16, sizeof *g->train_argv);
    if (!own || !g->train_argv) {
        free(own);
        return cli_error(CMD, "out of memory");
    }
    int n_own, st = split_args(g, argc, argv, own, &n_own);
    const cli_arg args[] = {
        {.heading = "Grid (every eta with every lambda, each with every seed):"},
        {.opt = &opt_etas, .dest = &g->eta_text},
        {.opt = &opt_lambdas, .dest = &g->lambda_text},
        {.opt = &opt_seeds, .dest = &g->seeds_text},
        {.heading = "Output:"},
        {.opt = &opt_csv, .dest = &g->csv},
    };
    cli_command cmd = {
        .name = CMD,
        .synopsis = "[OPTIONS] [TRAIN OPTIONS]",
        .about = "Train every setting of a grid with several seeds, as `" CLI_NAME
                 " train` does\n"
                 "(any train option but --seed, --metrics, --save, --checkpoint and "
                 "--resume\n"
                 "is passed on), one run per task; under mpirun the tasks are dealt to "
                 "ranks\n"
                 "1..K-1 as they finish. Prints the mean, sd and range of the final and "
                 "best\n"
                 "accuracy per setting, and Welch's t-test of the final accuracies of "
                 "every two\n"
                 "settings. '" CLI_NAME " train --help' lists the train options.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0]};
    if (!st)
        st = cli_parse(&cmd, n_own, own);
    free(own);
    if (st != CLI_RUN)
        return st;
    char *e = g->eta_buf = strdup(g->eta_text),
         *l = g->lambda_buf = strdup(g->lambda_text);
    char *s = strdup(g->seeds_text);
    if (!e || !l || !s)
        st = cli_error(CMD, "out of memory");
    else if (parse_reals("--eta", e, 0, 1e6, 1, g->eta, &g->n_eta) ||
             parse_reals("--lambda", l, 0, 1e12, 0, g->lambda, &g->n_lambda) ||
             parse_seeds(s, g->seed, &g->n_seed))
        st = 1;
    else if (n_tasks(g) > MAX_TASKS)
        st = cli_error(CMD, "the grid has %zu runs: at most %d", n_tasks(g), MAX_TASKS);
    free(s);
    return st;
}

/* Read a whole small file into a malloc'ed NUL-terminated string, or NULL. */
static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *p = realloc(buf, cap);
            if (!p)
                break;
            buf = p;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(fp);
    if (buf)
        buf[len] = '\0';
    return buf ? buf : calloc(1, 1);
}

/* The metrics of train (header dropped), each line prefixed with the task's columns. */
static char *prefix_rows(const char *csv, size_t t, const char *eta, const char *lambda,
                         unsigned long seed) {
    char head[256];
    int hn = snprintf(head, sizeof head, "%zu,%s,%s,%lu,", t, eta, lambda, seed);
    const char *p = strchr(csv, '\n');
    size_t lines = 0;
    for (const char *q = p; q && *q; q++)
        lines += *q == '\n';
    char *out = malloc(strlen(csv) + lines * (size_t)hn + 1), *o = out;
    if (!out || !p)
        return out;
    for (p++; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
        memcpy(o, head, (size_t)hn);
        memcpy(o + hn, p, n);
        o += (size_t)hn + n;
        p += n;
    }
    *o = '\0';
    return out;
}

/* Task t's command line, `train ... --eta E --lambda L --seed S [--metrics PATH]`, in
 * av (train_argc + 12 entries; seed_s holds 32 bytes); its length. */
static int task_argv(const sweep_grid *g, size_t t, char *path, char **av, char *seed_s) {
    static char train[] = "train", o_eta[] = "--eta", o_lambda[] = "--lambda",
                o_seed[] = "--seed", o_metrics[] = "--metrics";
    char *eta, *lambda;
    unsigned long seed;
    task_values(g, t, &eta, &lambda, &seed);
    snprintf(seed_s, 32, "%lu", seed);
    int ac = 0;
    av[ac++] = train;
    for (int i = 0; i < g->train_argc; i++)
        av[ac++] = g->train_argv[i];
    char *tail[] = {o_eta, eta, o_lambda, lambda, o_seed, seed_s, o_metrics, path};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0] - (path ? 0 : 2); i++)
        av[ac++] = tail[i];
    return ac;
}

/* The runs' train options, data and network, refused before any run as train itself
 * refuses them (cmd_train_check), and a --csv that would replace a data file: 0, or
 * train's status (1 for the --csv, as train's own outputs). */
static int check_train_options(const sweep_grid *g) {
    char seed_s[32];
    const char *data = NULL;
    char **av = calloc((size_t)g->train_argc + 12, sizeof *av);
    if (!av)
        return cli_error(CMD, "out of memory");
    int st = cmd_train_check(task_argv(g, 0, NULL, av, seed_s), av, &data);
    free(av);
    if (!st && data && cli_spare_mnist(CMD, "--csv", g->csv, data))
        return 1;
    return st;
}

/* Run task t as `gradproof train ... --eta E --lambda L --seed S --metrics TMP.csv`,
 * its epoch lines silenced (the CSV has them); *rows gets that CSV. */
static int run_task(const sweep_grid *g, size_t t, char **rows) {
    char seed_s[32], path[4096];
    snprintf(path, sizeof path, "%s/task%zu.csv", g->tmpdir, t);
    char **av = calloc((size_t)g->train_argc + 12, sizeof *av);
    if (!av)
        return cli_error(CMD, "out of memory");
    int ac = task_argv(g, t, path, av, seed_s);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY);
    if (saved >= 0 && devnull >= 0)
        dup2(devnull, STDOUT_FILENO);
    int st = cmd_train(ac, av);
    fflush(stdout);
    if (saved >= 0 && devnull >= 0)
        dup2(saved, STDOUT_FILENO);
    if (saved >= 0)
        close(saved);
    if (devnull >= 0)
        close(devnull);
    free(av);
    *rows = st ? NULL : slurp(path);
    remove(path);
    if (!st && !*rows)
        st = cli_error(CMD, "cannot read the metrics of run %zu", t);
    return st;
}

/* Rank 0's state: the results so far and what each rank is running. */
typedef struct {
    sweep_grid *g;
    run_result *res;
    char *header; /* train's CSV header, from the first run */
    size_t done;
    int failed; /* the exit status of the first run that failed, or 0 */
} sweep_state;

/* The index of column `name` in the CSV's header line, or -1. */
static int column(const char *csv, const char *name) {
    size_t k = strlen(name), end = strcspn(csv, "\n");
    int i = 0;
    for (size_t at = 0; at < end; i++) {
        size_t n = strcspn(csv + at, ",\n");
        if (n == k && !strncmp(csv + at, name, k))
            return i;
        at += n + 1;
    }
    return -1;
}

/* Field i of the CSV line at p, as a number. */
static double field(const char *p, int i) {
    for (; i > 0 && p; i--)
        if ((p = strchr(p, ',')))
            p++;
    return p ? strtod(p, NULL) : NAN;
}

/* Final and best evaluation accuracy of a run (eval_correct / eval_n per epoch). */
static void accuracies(const char *csv, run_result *r) {
    int ic = column(csv, "eval_correct"), in = column(csv, "eval_n");
    r->final = r->best = NAN;
    if (ic < 0 || in < 0)
        return;
    for (const char *p = strchr(csv, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        double a = field(p + 1, ic) / field(p + 1, in);
        r->final = a;
        if (!(a <= r->best))
            r->best = a;
    }
}

/* Rewrite the CSV with every finished run, in task order: a reader never sees a partial
 * file, and the runs done so far survive a failure of the rest. */
static int write_csv(const sweep_state *s) {
    cli_file f;
    if (cli_file_open(CMD, "--csv", s->g->csv, &f))
        return 1;
    fputs("task,sweep_eta,sweep_lambda,seed,", f.fp);
    fwrite(s->header, 1, strcspn(s->header, "\n"), f.fp);
    fputc('\n', f.fp);
    for (size_t t = 0; t < n_tasks(s->g); t++)
        if (s->res[t].rows)
            fputs(s->res[t].rows, f.fp);
    return cli_file_commit(CMD, "--csv", &f);
}

/* A finished run: keep its rows, rewrite the CSV, print one progress line. */
static int on_result(sweep_state *s, int rank, size_t t, int status, char *csv) {
    char *eta, *lambda;
    unsigned long seed;
    task_values(s->g, t, &eta, &lambda, &seed);
    if (status || !csv) {
        fprintf(stderr,
                CLI_NAME ": " CMD ": run %zu (eta %s, lambda %s, seed %lu) on rank %d "
                         "failed with status %d\n",
                t, eta, lambda, seed, rank, status);
        if (!s->failed)
            s->failed = status ? status : CLI_EXIT_FAIL;
        return 0;
    }
    if (!s->header && !(s->header = strdup(csv)))
        return cli_error(CMD, "out of memory");
    accuracies(csv, &s->res[t]);
    s->res[t].rows = prefix_rows(csv, t, eta, lambda, seed);
    if (!s->res[t].rows)
        return cli_error(CMD, "out of memory");
    s->done++;
    printf("run %zu/%zu  eta %s  lambda %s  seed %lu  final %.2f%%  best %.2f%%  "
           "(rank %d)\n",
           s->done, n_tasks(s->g), eta, lambda, seed, 100 * s->res[t].final,
           100 * s->res[t].best, rank);
    fflush(stdout);
    return write_csv(s);
}

/* ---- a rank that dies ----
 * Without fault tolerance in MPI, mpirun ends the job when a rank dies ("process rank R
 * ... exited on signal"), sending SIGTERM to the others. Rank 0 then names the runs that
 * were in flight on each rank before it goes; the CSV keeps every finished run. */
#define MAX_RANKS 4096
static volatile long running[MAX_RANKS]; /* task on rank r, or -1 */
static volatile int n_ranks;
static volatile size_t n_done;
static struct sigaction previous;

static void put(const char *s) {
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

static void put_num(unsigned long v) {
    char buf[24], *p = buf + sizeof buf - 1;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    put(p);
}

static void on_term(int sig) {
    put(CLI_NAME ": " CMD
                 ": the job was stopped (a rank failed or was killed); in flight:");
    for (int r = 1; r < n_ranks; r++)
        if (running[r] >= 0) {
            put(" rank ");
            put_num((unsigned long)r);
            put(" task ");
            put_num((unsigned long)running[r]);
            put(";");
        }
    put(" finished runs kept in the CSV: ");
    put_num(n_done);
    put("\n");
    sigaction(sig, &previous, NULL);
    raise(sig);
}

static void watch_ranks(int size) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    n_ranks = size < MAX_RANKS ? size : MAX_RANKS;
    for (int r = 0; r < n_ranks; r++)
        running[r] = -1;
    sigaction(SIGTERM, &sa, &previous);
}

/* ---- dealing ---- */

/* No MPI, or one rank: the runs one after the other. */
static int run_sequential(sweep_state *s) {
    for (size_t t = 0; t < n_tasks(s->g) && !s->failed; t++) {
        char *csv = NULL;
        int st = run_task(s->g, t, &csv);
        st = on_result(s, 0, t, st, csv);
        free(csv);
        if (st)
            return st;
    }
    return s->failed;
}

/* Rank 0: one task to each worker, then the next task to whichever finishes first. */
static int run_master(sweep_state *s, int size) {
    size_t next = 0, busy = 0;
    watch_ranks(size);
    for (int r = 1; r < size; r++) {
        long t = next < n_tasks(s->g) ? (long)next++ : -1;
        if (cli_mpi_task_send(r, t))
            return 1;
        if (r < n_ranks)
            running[r] = t;
        busy += t >= 0;
    }
    int st = 0;
    while (busy > 0) {
        int rank, status;
        long t;
        char *csv;
        size_t len;
        if (cli_mpi_result_recv(&rank, &t, &status, &csv, &len))
            return 1;
        busy--;
        if (!st)
            st = on_result(s, rank, (size_t)t, status, csv);
        free(csv);
        n_done = s->done;
        long nt = next < n_tasks(s->g) && !st && !s->failed ? (long)next++ : -1;
        if (rank < n_ranks)
            running[rank] = nt;
        if (cli_mpi_task_send(rank, nt))
            return 1;
        busy += nt >= 0;
    }
    return st ? st : s->failed;
}

/* Ranks 1..K-1: run tasks until told to stop. */
static int run_worker(sweep_grid *g) {
    long t;
    while (!cli_mpi_task_recv(&t) && t >= 0) {
        char *csv = NULL;
        int st = run_task(g, (size_t)t, &csv);
        int sent = cli_mpi_result_send(t, st, csv ? csv : "", csv ? strlen(csv) : 0);
        free(csv);
        if (sent)
            return 1;
    }
    return 0;
}

/* ---- summary ---- */

/* Mean, sample sd, range of one setting's runs; which = 0 final, 1 best accuracy. */
typedef struct {
    size_t n;
    double mean, var, min, max;
} stats;

static stats setting_stats(const sweep_state *s, size_t setting, int which) {
    stats st = {0, 0, 0, INFINITY, -INFINITY};
    double m2 = 0;
    for (size_t k = 0; k < s->g->n_seed; k++) {
        const run_result *r = &s->res[setting * s->g->n_seed + k];
        double x = which ? r->best : r->final;
        if (!r->rows || !isfinite(x))
            continue;
        /* Welford's update: mean and sum of squared deviations in one pass. */
        double d = x - st.mean;
        st.n++;
        st.mean += d / (double)st.n;
        m2 += d * (x - st.mean);
        st.min = fmin(st.min, x);
        st.max = fmax(st.max, x);
    }
    st.var = st.n > 1 ? m2 / (double)(st.n - 1) : NAN;
    return st;
}

/* Half-width of the 95% confidence interval of a setting's mean over its seeds:
 * t_{0.975, n-1} sd / sqrt(n), Student's t (the seeds' accuracies taken as independent
 * draws of one distribution). NaN below 2 runs. */
static double ci95(const stats *st) {
    if (st->n < 2)
        return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(st->n - 1)) * sqrt(st->var / (double)st->n);
}

/* A percentage in a column of `width`; "-" where a single run has none (sd, ci95). */
static void print_pct(int width, double x) {
    if (isfinite(x))
        printf(" %*.2f", width, 100 * x);
    else
        printf(" %*s", width, "-");
}

static void print_stats(const stats *st, int with_ci) {
    printf(" ");
    print_pct(7, st->mean);
    print_pct(6, sqrt(st->var));
    print_pct(7, st->min);
    print_pct(7, st->max);
    if (with_ci)
        print_pct(7, ci95(st));
}

/* Welch's t-test of the final accuracies of settings a and b: t = (m_a - m_b) /
 * sqrt(v_a/n_a + v_b/n_b), Welch-Satterthwaite degrees of freedom, two-sided p. */
static void welch(const sweep_state *s, size_t a, size_t b) {
    stats x = setting_stats(s, a, 0), y = setting_stats(s, b, 0);
    const sweep_grid *g = s->g;
    printf("eta %s lambda %s vs eta %s lambda %s: ", g->eta[a / g->n_lambda],
           g->lambda[a % g->n_lambda], g->eta[b / g->n_lambda],
           g->lambda[b % g->n_lambda]);
    if (x.n < 2 || y.n < 2) {
        printf("too few runs for a test (2 per setting needed)\n");
        return;
    }
    double qa = x.var / (double)x.n, qb = y.var / (double)y.n, se = sqrt(qa + qb);
    double diff = 100 * (x.mean - y.mean);
    if (se == 0) {
        printf("difference %+.2f points, no seed noise at all: %s\n", diff,
               diff == 0 ? "identical" : "differ");
        return;
    }
    double t = (x.mean - y.mean) / se;
    double df = (qa + qb) * (qa + qb) /
                (qa * qa / (double)(x.n - 1) + qb * qb / (double)(y.n - 1));
    double p = 2 * gsl_cdf_tdist_Q(fabs(t), df);
    printf("difference %+.2f points, Welch t = %.3f, df = %.1f, p = %.3g: %s\n", diff, t,
           df, p, p < 0.05 ? "differ beyond seed noise (p < 0.05)" : "within seed noise");
}

static void summary(const sweep_state *s) {
    const sweep_grid *g = s->g;
    size_t n_set = g->n_eta * g->n_lambda;
    printf("\nsummary over seeds (evaluation accuracy, %%; ci95: the mean's 95%% "
           "confidence interval is mean +- ci95):\n"
           "%-10s %-10s %4s  %-39s  %-31s\n%26s  %7s %6s %7s %7s %7s  %7s %6s %7s %7s\n",
           "eta", "lambda", "runs", "final", "best", "", "mean", "sd", "min", "max",
           "ci95", "mean", "sd", "min", "max");
    for (size_t i = 0; i < n_set; i++) {
        stats f = setting_stats(s, i, 0), b = setting_stats(s, i, 1);
        printf("%-10s %-10s %4zu", g->eta[i / g->n_lambda], g->lambda[i % g->n_lambda],
               f.n);
        print_stats(&f, 1);
        print_stats(&b, 0);
        printf("\n");
    }
    if (n_set < 2)
        return;
    /* Every pair of a small grid; in a large one each setting against the first. */
    int all = n_set <= 12;
    printf("\nWelch's t-test of the final accuracies (two-sided, 5%% level)%s:\n",
           all ? "" : ", each setting against the first");
    for (size_t i = 0; i < (all ? n_set : 1); i++)
        for (size_t j = i + 1; j < n_set; j++)
            welch(s, i, j);
}

/* A private directory for the runs' metrics files (TMPDIR, else /tmp). */
static int make_tmpdir(sweep_grid *g) {
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/gradproof-sweep.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(path) || !(g->tmpdir = strdup(path))) {
        if (*path)
            rmdir(path);
        return cli_error(CMD, "cannot create a temporary directory in %s",
                         base && *base ? base : "/tmp");
    }
    cli_cleanup_dir(g->tmpdir); /* a rank killed by mpirun (SIGTERM) removes it too */
    return 0;
}

static int sweep_run(sweep_grid *g) {
    int size = cli_mpi_size();
    if (cli_mpi_rank() != 0)
        return run_worker(g);
    sweep_state s = {g, calloc(n_tasks(g), sizeof(run_result)), NULL, 0, 0};
    if (!s.res)
        return cli_error(CMD, "out of memory");
    printf("%zu %s: %zu eta x %zu lambda x %zu %s, on %d %s\n", n_tasks(g),
           cli_plural(n_tasks(g), "run", "runs"), g->n_eta, g->n_lambda, g->n_seed,
           cli_plural(g->n_seed, "seed", "seeds"), size > 1 ? size - 1 : 1,
           size > 2 ? "ranks" : "rank");
    int st = size > 1 ? run_master(&s, size) : run_sequential(&s);
    if (s.done)
        summary(&s);
    if (st && s.done)
        fprintf(stderr, CLI_NAME ": " CMD ": %zu of %zu %s finished (kept in '%s')\n",
                s.done, n_tasks(g), cli_plural(n_tasks(g), "run", "runs"), g->csv);
    else if (st)
        fprintf(stderr, CLI_NAME ": " CMD ": no run finished ('%s' not written)\n",
                g->csv);
    for (size_t t = 0; t < n_tasks(g); t++)
        free(s.res[t].rows);
    free(s.res);
    free(s.header);
    return st; /* a failed run's own status: the same as train's for the problem */
}

int cmd_sweep(int argc, char **argv) {
    sweep_grid *g = calloc(1, sizeof *g);
    if (!g)
        return cli_error(CMD, "out of memory");
    cli_hint_as(CMD); /* a train option's error too: sweep --help points on */
    int st = parse_args(g, argc, argv); /* CLI_RUN, or 0 after --help, or 1 */
    if (st == CLI_RUN) {
        st = cli_mpi_init(&argc, &argv);
        /* Only rank 0 writes the CSV; probing it first fails early on a bad path. */
        if (!st && cli_mpi_rank() == 0 && cli_probe_writable(CMD, "--csv", g->csv))
            st = 1;
        if (!st && cli_mpi_rank() == 0)
            st = check_train_options(g);
        /* the runs' metrics files: rank 0 of several only deals */
        if (!st && (cli_mpi_size() == 1 || cli_mpi_rank() != 0))
            st = make_tmpdir(g);
        /* Every rank stops when one cannot start, so none waits for it, and all with
         * the worst status: mpirun's then does not depend on which rank ends first. */
        double worst = st;
        if (cli_mpi_max(&worst, 1))
            worst = st ? st : CLI_EXIT_FAIL;
        st = worst == 0 ? sweep_run(g) : (int)worst;
        if (g->tmpdir)
            rmdir(g->tmpdir);
        cli_cleanup_dir(NULL);
        cli_mpi_finalize();
    }
    free(g->tmpdir);
    free(g->train_argv);
    free(g->eta_buf);
    free(g->lambda_buf);
    free(g);
    return st;
}
