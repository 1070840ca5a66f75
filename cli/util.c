/* util.c: pieces shared by the commands: error messages, strict number parsing, atomic
 * output files, OpenBLAS threads, loading MNIST, clocks. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static int quiet_errors;     /* cli_quiet_errors */
static const char *hint_cmd; /* cli_hint_as */

void cli_quiet_errors(int on) {
    quiet_errors = on;
}

void cli_hint_as(const char *cmd) {
    hint_cmd = cmd;
}

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    if (quiet_errors)
        return 1;
    fprintf(stderr, CLI_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (hint_cmd)
        cmd = hint_cmd;
    fprintf(stderr, "\nTry '" CLI_NAME "%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return 1;
}

int cli_bad_option(const char *cmd, int c, char **argv) {
    /* getopt_long sets optopt to a short option's letter (a long option's is 0 or its
     * val, 256 and above: options.c); it leaves optind on a cluster ("-zq") that goes
     * on after the letter, so argv[optind - 1] is then the previous argument. */
    char shortopt[3] = {'-', (char)optopt, '\0'};
    const char *opt = optopt > 0 && optopt < 256 ? shortopt : argv[optind - 1];
    if (c == ':')
        return cli_error(cmd, "option '%s' needs a value", opt);
    if (optopt >= 256) /* a known long option given "=VALUE" it does not take */
        return cli_error(cmd, "option '%s' takes no value", opt);
    return cli_error(cmd, "unknown option '%s'", opt);
}

int cli_input_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    (void)cmd;
    fprintf(stderr, CLI_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return CLI_EXIT_INPUT;
}

int cli_stdout_status(int status) {
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    if (!bad)
        return status;
    fprintf(stderr, CLI_NAME ": cannot write standard output: %s\n",
            errno ? strerror(errno) : "write error");
    return status ? status : EXIT_FAILURE;
}

int cli_cost_overflow(const char *file, const char *set) {
    return cli_input_error(
        NULL,
        "network of --load '%s': its cost on the %s set is not finite: "
        "the network's values overflow float64",
        file, set);
}

/* A decimal integer made of digits only: strtoul alone would skip leading space and
 * take a sign, so " -1" would come back as ULONG_MAX. -1 if not digits only, -2 if
 * beyond ULONG_MAX. */
static int parse_digits(const char *s, unsigned long *out) {
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0')
        return -1;
    if (errno)
        return -2;
    *out = v;
    return 0;
}

int cli_size(const char *cmd, const char *opt, const char *s, size_t lo, size_t hi,
             size_t *out) {
    unsigned long v;
    int st = parse_digits(s, &v);
    if (st == -1)
        return cli_error(cmd, "invalid %s '%s': expected a non-negative integer", opt, s);
    if (st == -2 || v < lo || v > hi) /* -2: beyond ULONG_MAX, so beyond hi too */
        return cli_error(cmd, "invalid %s '%s': must be between %zu and %zu", opt, s, lo,
                         hi);
    *out = v;
    return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               int lo_open, double *out) {
    double v;
    int status = gp_decimal_parse(s, &v);
    if (status == GSL_EUNDRFLW)
        return cli_error(cmd,
                         "invalid %s '%s': not zero, but rounds to 0 (the least positive "
                         "double is 4.9e-324)",
                         opt, s);
    if (status != GSL_SUCCESS)
        return cli_error(cmd, "invalid %s '%s': expected a finite number", opt, s);
    if (lo_open && (v <= lo || v > hi)) /* one message for every value out of (lo, hi] */
        return cli_error(cmd, "invalid %s '%s': must be greater than %g and at most %g",
                         opt, s, lo, hi);
    if (v < lo || v > hi)
        return cli_error(cmd, "invalid %s '%s': must be between %g and %g", opt, s, lo,
                         hi);
    *out = v;
    return 0;
}

int cli_sizes(const char *cmd, const char *opt, const char *s, size_t *sizes, size_t *n) {
    size_t count = 0;
    const char *p = s;
    for (;;) {
        char buf[32];
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof buf)
            return cli_error(cmd, "invalid %s '%s': expected sizes like 784,30,10", opt,
                             s);
        if (count == GP_MAX_LAYERS)
            return cli_error(cmd, "invalid %s '%s': more than %d layers", opt, s,
                             GP_MAX_LAYERS);
        memcpy(buf, p, len);
        buf[len] = '\0';
        unsigned long v;
        if (parse_digits(buf, &v) || v < 1 || v > GP_MAX_WIDTH)
            return cli_error(cmd,
                             "invalid %s '%s': each size must be an integer in 1..%d",
                             opt, s, GP_MAX_WIDTH);
        sizes[count++] = v;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (count < 2)
        return cli_error(
            cmd, "invalid %s '%s': need at least an input and an output size", opt, s);
    *n = count;
    return 0;
}

int cli_list_check(const char *cmd, const char *opt, const char *s) {
    size_t n = strlen(s);
    if (n && (s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,")))
        return cli_error(cmd, "invalid %s '%s': an empty item in the list", opt, s);
    return 0;
}

int cli_cost(const char *cmd, const char *s, const gp_cost_type **out) {
    const gp_cost_type *c = gp_cost_lookup(s);
    if (!c)
        return cli_error(cmd, "invalid --cost '%s': expected one of %s", s,
                         gp_cost_names());
    *out = c;
    return 0;
}

int cli_activations(const char *cmd, const char *spec, size_t hidden,
                    gp_activation *out) {
    char buf[1024];
    size_t n = 0;
    if (strlen(spec) >= sizeof buf)
        return cli_error(cmd, "invalid --activation: too long");
    if (cli_list_check(cmd, "--activation", spec))
        return 1;
    strcpy(buf, spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), n++) {
        gp_activation act;
        int st = gp_activation_parse(tok, &act);
        if (st)
            return cli_error(cmd,
                             "invalid --activation '%s': %s is not sigmoid, tanh, relu, "
                             "leaky-relu[:ALPHA in [0,1)], softplus or identity",
                             spec, tok);
        if (n < hidden)
            out[n] = act;
    }
    if (n == 1)
        for (size_t l = 1; l < hidden; l++)
            out[l] = out[0];
    else if (n != hidden)
        return cli_error(cmd,
                         "invalid --activation '%s': %zu names for %zu hidden %s "
                         "(give one, or one per hidden layer)",
                         spec, n, hidden, cli_plural(hidden, "layer", "layers"));
    return 0;
}

int cli_activation_one(const char *cmd, const char *spec, gp_activation *out) {
    if (strchr(spec, ','))
        return cli_error(cmd, "invalid --activation '%s': give one name", spec);
    return cli_activations(cmd, spec, 1, out) ? EXIT_FAILURE : 0;
}

/* A command's private directory (sweep's), removed by the handler once empty. */
static char cleanup_dir[4096];
static volatile sig_atomic_t have_cleanup_dir;

void cli_cleanup_dir(const char *dir) {
    have_cleanup_dir = 0;
    if (dir && strlen(dir) < sizeof cleanup_dir) {
        strcpy(cleanup_dir, dir);
        have_cleanup_dir = 1;
    }
}

/* Temporary files in flight are the library's (gradproof/atomic.h): the handler removes
 * them so that an interrupted run (Ctrl-C during training or a save) leaves neither a
 * partial output nor a stray temporary, then dies of the signal as it would have. */
static void on_signal(int sig) {
    gp_atomic_cleanup(); /* async-signal-safe, as rmdir is */
    if (have_cleanup_dir)
        rmdir(cleanup_dir);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_install_cleanup(void) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

int cli_write_error(const char *cmd, const char *opt, const char *path, const char *err) {
    size_t n = strlen(path);
    if (!strncmp(err, path, n) && !strncmp(err + n, ": ", 2))
        err += n + 2;
    return cli_error(cmd, "cannot write %s '%s': %s", opt, path, err);
}

/* cli_file: the library's atomic writer with the CLI's error message. */
int cli_file_open(const char *cmd, const char *opt, const char *path, cli_file *f) {
    char err[GP_IDX_ERRLEN];
    f->fp = NULL;
    f->path = path;
    f->a = malloc(sizeof *f->a);
    if (f->a == NULL)
        return cli_error(cmd, "out of memory");
    if (gp_atomic_open(path, f->a, err, sizeof err)) {
        free(f->a);
        f->a = NULL;
        return cli_write_error(cmd, opt, path, err);
    }
    f->fp = f->a->fp;
    return 0;
}

int cli_file_commit(const char *cmd, const char *opt, cli_file *f) {
    char err[GP_IDX_ERRLEN];
    int rc = gp_atomic_commit(f->a, err, sizeof err);
    free(f->a);
    f->a = NULL;
    f->fp = NULL;
    return rc ? cli_write_error(cmd, opt, f->path, err) : 0;
}

void cli_file_abort(cli_file *f) {
    if (f->a != NULL)
        gp_atomic_abort(f->a);
    free(f->a);
    f->a = NULL;
    f->fp = NULL;
}

int cli_probe_writable(const char *cmd, const char *opt, const char *path) {
    cli_file f;
    if (cli_file_open(cmd, opt, path, &f))
        return 1;
    cli_file_abort(&f);
    return 0;
}

int cli_probe_replaceable(const char *cmd, const char *opt, const char *path) {
    cli_file f;
    if (cli_file_open(cmd, opt, path, &f))
        return 1;
    int stream = f.a->tmppath == NULL; /* the process's stdout or stderr (atomic.h) */
    cli_file_abort(&f);
    if (stream)
        return cli_error(
            cmd,
            "invalid %s '%s': each save replaces the file, and standard output "
            "or error cannot be replaced (every save would be appended); "
            "give a file",
            opt, path);
    return 0;
}

int cli_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cli_on_path(const char *name) {
    const char *path = getenv("PATH");
    char *dirs = strdup(path && *path ? path : "/usr/bin:/bin"), *save = NULL;
    int found = 0;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *f = malloc(strlen(d) + strlen(name) + 2);
        struct stat st;
        if (f) {
            sprintf(f, "%s/%s", d, name);
            found = stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0;
        }
        free(f);
    }
    free(dirs);
    return found;
}

/* The target of path's links, its directory resolved, then its last name: one key
 * for "a.csv", "./a.csv", "d/../a.csv" and a link to a.csv (malloc'ed; NULL when the
 * directory does not resolve). */
static char *output_key(const char *name) {
    char *path = gp_atomic_target(name);
    char *d = path ? strdup(path) : NULL, *b = path ? strdup(path) : NULL, *key = NULL;
    char *dir = d ? realpath(dirname(d), NULL) : NULL;
    if (dir && b && (key = malloc(strlen(dir) + strlen(path) + 2)))
        sprintf(key, "%s/%s", dir, basename(b));
    free(d);
    free(b);
    free(dir);
    free(path);
    return key;
}

int cli_distinct_outputs(const char *cmd, size_t n, const char *const *opts,
                         const char *const *paths) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!paths[i] || !paths[j])
                continue;
            char *a = output_key(paths[i]), *b = output_key(paths[j]);
            int same = a && b ? !strcmp(a, b) : !strcmp(paths[i], paths[j]);
            free(a);
            free(b);
            if (same)
                return cli_error(cmd, "%s '%s' and %s '%s' are the same file", opts[i],
                                 paths[i], opts[j], paths[j]);
        }
    return 0;
}

/* 1 when writing path would replace the file or directory in, or a file in it. */
static int replaces(const char *path, const char *in) {
    char *key = output_key(path), *r = in ? realpath(in, NULL) : NULL;
    size_t n = r ? strlen(r) : 0;
    int hit = key && r && !strncmp(key, r, n) && (key[n] == '\0' || key[n] == '/');
    free(key);
    free(r);
    return hit;
}

int cli_spare_inputs(const char *cmd, const char *opt, const char *path, size_t n,
                     const char *const *in_opts, const char *const *ins) {
    for (size_t i = 0; path && i < n; i++)
        if (replaces(path, ins[i]))
            return cli_error(cmd, "%s '%s' would replace the input %s '%s'", opt, path,
                             in_opts[i], ins[i]);
    return 0;
}

int cli_spare_mnist(const char *cmd, const char *opt, const char *path, const char *dir) {
    static const char *const names[] = {
        "train-images-idx3-ubyte",    "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",     "t10k-labels-idx1-ubyte",
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",  "t10k-labels-idx1-ubyte.gz"};
    const char *in_opt = "--data";
    for (size_t i = 0; path && i < sizeof names / sizeof names[0]; i++) {
        char in[4096];
        const char *ins = in;
        snprintf(in, sizeof in, "%s/%s", dir, names[i]);
        if (cli_spare_inputs(cmd, opt, path, 1, &in_opt, &ins))
            return 1;
    }
    return 0;
}

int cli_check_space(const char *cmd, size_t n, const char *const *opts,
                    const char *const *paths, const size_t *bytes) {
    char err[GP_IDX_ERRLEN];
    size_t i;
    if (gp_atomic_space_all(n, paths, bytes, NULL, &i, err, sizeof err))
        return cli_write_error(cmd, opts[i], paths[i], err);
    return 0;
}

/* OpenBLAS reads OPENBLAS_NUM_THREADS when the library is loaded, before main(), so
 * setenv() comes too late; its own call does work at any time. A weak reference keeps
 * the program linkable against another CBLAS (gslcblas is single-threaded). */
extern void openblas_set_num_threads(int n) __attribute__((weak));
/* OpenBLAS (pthreads build) starts its worker threads at load time, and each spins for
 * about 2^28 cycles (0.1 s) before it sleeps: on two cores that takes a core from the
 * trainer's own two threads for the first epoch. With one BLAS thread they have no
 * work, so they are stopped; OpenBLAS starts them again if a later call asks for more
 * threads. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

int cli_set_threads(size_t n) {
    if (openblas_set_num_threads == NULL)
        return n == 1 ? 0 : -1;
    openblas_set_num_threads((int)n);
    if (n == 1 && blas_thread_shutdown_ != NULL)
        blas_thread_shutdown_();
    return 0;
}

void cli_blas_reproducible(void) {
    (void)cli_set_threads(1); /* cannot fail for one thread */
}

int cli_load_mnist(const char *cmd, const char *dir, size_t n_validation, int test_only,
                   gp_mnist **out) {
    char err[GP_IDX_ERRLEN];
    int status = test_only ? gp_mnist_load_test(dir, out, err, sizeof err)
                           : gp_mnist_load(dir, n_validation, out, err, sizeof err);
    if (status == GSL_EDOM) /* the files are fine: --validation does not fit them */
        return cli_error(cmd, "invalid --validation '%zu': %s", n_validation, err);
    if (status)
        return cli_input_error(cmd, "cannot load MNIST from --data '%s': %s", dir, err);
    return 0;
}

gp_dataset cli_dataset(const gp_idx_view *v) {
    gp_dataset d;
    d.dim = v->images->rows * v->images->cols;
    d.n = v->n;
    d.x = v->images->pixels + v->first * d.dim;
    d.labels = v->labels->labels + v->first;
    return d;
}

const char *cli_plural(size_t n, const char *one, const char *many) {
    return n == 1 ? one : many;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_fits_mnist(const char *cmd, const char *what, const char *name, size_t n0,
                   size_t nL, size_t dim) {
    if (n0 == dim && nL == 10)
        return 0;
    return cli_input_error(cmd,
                           "%s '%s': the input layer must have %zu neurons (one per "
                           "pixel) and the output layer 10 (one per digit), got %zu and "
                           "%zu",
                           what, name, dim, n0, nL);
}
