/* slowdown.c: `gradproof slowdown`, the learning-slowdown experiment of the book's
 * chapter 3 (SPEC "Experiments"): one sigmoid neuron, input x = 1, target y = 0, plain
 * gradient descent, started far from (w = b = 2) and near (w = 0.6, b = 0.9) the goal. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

#define CMD "slowdown"
#define N_RUNS 4

static const cli_option opt_every = {.name = "every",
                                     .kind = CLI_SIZE,
                                     .arg = "K",
                                     .lo = 1,
                                     .hi = 1000000,
                                     .def = "1",
                                     .help = "print every K-th epoch (and the last)"};
static const cli_option opt_csv = {
    .name = "csv",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "write every epoch as CSV: epoch, then output and cost of each run"};
static const cli_option opt_plot = {
    .name = "plot",
    .kind = CLI_STRING,
    .arg = "FILE.png",
    .unset = "none",
    .help = "plot cost and output per epoch with gnuplot",
    .more = "pngcairo if available, else png; the name must end in .png"};

typedef struct {
    const gp_cost_type *cost;
    double w0, b0, eta;
} run_spec;

static const run_spec *runs(void) {
    static run_spec r[N_RUNS];
    r[0] = (run_spec){&gp_cost_quadratic, 0.6, 0.9, 0.15};
    r[1] = (run_spec){&gp_cost_quadratic, 2.0, 2.0, 0.15};
    r[2] = (run_spec){&gp_cost_cross_entropy, 0.6, 0.9, 0.005};
    r[3] = (run_spec){&gp_cost_cross_entropy, 2.0, 2.0, 0.005};
    return r;
}

/* Run gradient descent for every run: out[(e * N_RUNS + r) * 2] = output a after e
 * epochs, [.. + 1] = cost C, for e = 0..epochs. */
static int simulate(size_t epochs, double *out) {
    const run_spec *rs = runs();
    gsl_matrix *X = gsl_matrix_alloc(1, 1);
    gsl_vector *y = gsl_vector_calloc(1), *w = gsl_vector_alloc(1),
               *dw = gsl_vector_alloc(1);
    int status = GSL_ENOMEM;
    if (!X || !y || !w || !dw)
        goto done;
    gsl_matrix_set(X, 0, 0, 1.0); /* x = 1; y = 0 */
    for (size_t r = 0; r < N_RUNS; r++) {
        gsl_vector_set(w, 0, rs[r].w0);
        double b = rs[r].b0;
        for (size_t e = 0;; e++) {
            double cost, db;
            /* The output and the cost of the same objects the backprop checks use. */
            status = gp_neuron_cost(rs[r].cost, w, b, X, y, &cost);
            if (status)
                goto done;
            double *o = out + (e * N_RUNS + r) * 2;
            double z = gsl_vector_get(w, 0) + b;
            o[0] = 1.0 / (1.0 + exp(-z));
            o[1] = cost;
            if (e == epochs)
                break;
            status = gp_neuron_gradient(rs[r].cost, w, b, X, y, dw, &db);
            if (status)
                goto done;
            gsl_vector_set(w, 0,
                           gsl_vector_get(w, 0) - rs[r].eta * gsl_vector_get(dw, 0));
            b -= rs[r].eta * db;
        }
    }
    status = GSL_SUCCESS;
done:
    gsl_matrix_free(X);
    gsl_vector_free(y);
    gsl_vector_free(w);
    gsl_vector_free(dw);
    return status;
}

static void write_table(FILE *fp, const double *out, size_t epochs, size_t every,
                        const char *sep) {
    for (size_t e = 0; e <= epochs; e++) {
        if (e % every && e != epochs)
            continue;
        fprintf(fp, "%zu", e);
        for (size_t r = 0; r < N_RUNS; r++) {
            const double *o = out + (e * N_RUNS + r) * 2;
            fprintf(fp, "%s%.10g%s%.10g", sep, o[0], sep, o[1]);
        }
        fprintf(fp, "\n");
    }
}

/* The --plot name goes into gnuplot's script between quotes (the name a link points
 * to, as the PNG is written through it), and names the PNG it is. */
static int check_plot_name(const char *path) {
    if (!cli_ends_with(path, ".png"))
        return cli_error(CMD,
                         "invalid --plot '%s': the name must end in .png (a PNG is "
                         "written)",
                         path);
    char *target = gp_atomic_target(path);
    int quoted = !target || strchr(target, '\'') || strchr(target, '\n');
    free(target);
    if (quoted)
        return cli_error(CMD,
                         "invalid --plot '%s': the name (or the name it links to) must "
                         "not contain ' or a newline",
                         path);
    return 0;
}

/* --plot can be created, as a file: gnuplot writes the PNG to its temporary name, which
 * standard output or error, written directly, does not have. */
static int check_plot_file(const char *path) {
    cli_file f;
    if (cli_file_open(CMD, "--plot", path, &f))
        return 1;
    int stream = f.a->tmppath == NULL;
    cli_file_abort(&f);
    return stream ? cli_error(CMD,
                              "invalid --plot '%s': standard output or error, not a file",
                              path)
                  : 0;
}

/* gnuplot's script: the PNG to png, the curves from the data file. */
static void plot_script(FILE *gp, const char *png, const char *data) {
    const run_spec *rs = runs();
    fprintf(
        gp,
        "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
        "{ set terminal pngcairo size 900,800 } else { set terminal png size 900,800 }\n"
        "set output '%s'\n"
        "set multiplot layout 2,1 title 'Learning slowdown: one sigmoid neuron, x = 1, "
        "y = 0'\n"
        "set xlabel 'epoch'\nset grid\nset key top right\n",
        png);
    for (int panel = 0; panel < 2; panel++) {
        fprintf(gp, "set ylabel '%s'\nset key %s\nplot ", panel ? "output a" : "cost C",
                panel ? "bottom left" : "top right");
        for (size_t r = 0; r < N_RUNS; r++)
            fprintf(gp,
                    "%s'%s' using 1:%zu with lines lw 2 title '%s, w=%g b=%g, eta=%g'",
                    r ? ", " : "", data, 2 + 2 * r + (panel ? 0 : 1), rs[r].cost->name,
                    rs[r].w0, rs[r].b0, rs[r].eta);
        fprintf(gp, "\n");
    }
    fprintf(gp, "unset multiplot\nset output\n");
}

/* gnuplot: the data and the PNG written to temporary names next to the target (both
 * removed if the run is interrupted), the PNG renamed there only when gnuplot succeeds
 * (path checked before). */
static int plot(const char *path, const double *out, size_t epochs) {
    cli_file png, data;
    if (cli_file_open(CMD, "--plot", path, &png))
        return 1;
    /* Named after the PNG's temporary name, which no other file has. */
    char *dpath = malloc(strlen(png.a->tmppath) + 5);
    int oom = dpath == NULL;
    if (dpath)
        sprintf(dpath, "%s.dat", png.a->tmppath);
    int bad = oom || cli_file_open(CMD, "--plot", dpath, &data);
    free(dpath);
    if (bad) {
        cli_file_abort(&png);
        return oom ? cli_error(CMD, "out of memory") : 1;
    }
    write_table(data.fp, out, epochs, 1, " ");
    /* gnuplot opens the temporary names itself; the PNG's stream stays empty. */
    int unwritten = fflush(data.fp) != 0;
    FILE *gp = unwritten ? NULL : popen("gnuplot 2>&1", "w");
    if (!gp) {
        cli_file_abort(&png);
        cli_file_abort(&data);
        return cli_error(CMD, unwritten ? "cannot write a temporary file for --plot"
                                        : "cannot run gnuplot for --plot");
    }
    plot_script(gp, png.a->tmppath, data.a->tmppath);
    int st = pclose(gp);
    cli_file_abort(&data);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cli_file_abort(&png);
        return cli_error(CMD, "gnuplot failed (status %d) writing --plot '%s'",
                         st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, path);
    }
    return cli_file_commit(CMD, "--plot", &png);
}

static void print_table(const double *out, size_t epochs, size_t every) {
    const run_spec *rs = runs();
    for (size_t r = 0; r < N_RUNS; r++)
        printf("# run %zu: %-13s w = %g, b = %g, eta = %g\n", r + 1, rs[r].cost->name,
               rs[r].w0, rs[r].b0, rs[r].eta);
    printf("%5s", "epoch");
    for (size_t r = 0; r < N_RUNS; r++)
        printf("  %10s%zu %10s%zu", "output", r + 1, "cost", r + 1);
    printf("\n");
    for (size_t e = 0; e <= epochs; e++) {
        if (e % every && e != epochs)
            continue;
        printf("%5zu", e);
        for (size_t r = 0; r < N_RUNS; r++) {
            const double *o = out + (e * N_RUNS + r) * 2;
            printf("  %11.6f %11.6f", o[0], o[1]);
        }
        printf("\n");
    }
}

/* The book's point in two numbers per run: the epoch in which the cost fell the most
 * (the steepest point of the curve; 1 when learning is fastest at the start), and the
 * share of the whole decrease made in the first tenth of the epochs. */
static void print_summary(const double *out, size_t epochs) {
    const run_spec *rs = runs();
    for (size_t r = 0; r < N_RUNS; r++) {
        size_t steepest = 1, tenth = epochs / 10 ? epochs / 10 : 1;
        double c0 = out[r * 2 + 1], cend = out[(epochs * N_RUNS + r) * 2 + 1], drop = 0;
        for (size_t e = 1; e <= epochs; e++) {
            double d =
                out[((e - 1) * N_RUNS + r) * 2 + 1] - out[(e * N_RUNS + r) * 2 + 1];
            if (d > drop) {
                drop = d;
                steepest = e;
            }
        }
        double early = c0 - out[(tenth * N_RUNS + r) * 2 + 1];
        printf("# run %zu (%s, w = %g, b = %g): steepest fall in epoch %zu; first %zu "
               "epoch%s made %.1f%% of the total decrease\n",
               r + 1, rs[r].cost->name, rs[r].w0, rs[r].b0, steepest, tenth,
               tenth == 1 ? "" : "s", c0 > cend ? 100.0 * early / (c0 - cend) : 0.0);
    }
}

static int write_csv(const char *csv, const double *out, size_t epochs) {
    cli_file f;
    if (cli_file_open(CMD, "--csv", csv, &f))
        return 1;
    fprintf(f.fp, "epoch");
    for (size_t r = 0; r < N_RUNS; r++)
        fprintf(f.fp, ",output%zu,cost%zu", r + 1, r + 1);
    fprintf(f.fp, "\n");
    write_table(f.fp, out, epochs, 1, ",");
    return cli_file_commit(CMD, "--csv", &f);
}

int cmd_slowdown(int argc, char **argv) {
    size_t epochs, every;
    const char *csv = NULL, *png = NULL;
    const cli_arg args[] = {
        {.opt = &cli_opt_epochs,
         .dest = &epochs,
         .def = "300",
         .note = "one gradient-descent step on the one sample each"},
        {.opt = &opt_every, .dest = &every},
        {.opt = &opt_csv, .dest = &csv},
        {.opt = &opt_plot, .dest = &png},
    };
    cli_command cmd = {
        .name = CMD,
        .synopsis = "[OPTIONS]",
        .about =
            "One sigmoid neuron, input x = 1, target y = 0, plain gradient descent:\n"
            "quadratic cost (eta 0.15) and cross-entropy (eta 0.005), each started at\n"
            "w = 0.6, b = 0.9 and at w = b = 2. Prints the output a = sigma(w + b) and "
            "the\n"
            "cost C per epoch for the four runs, then the epoch of each run's steepest\n"
            "fall and the share of its decrease made in the first tenth of the epochs.\n"
            "With w = b = 2 the quadratic cost learns slowly at first (its gradient\n"
            "carries sigma'(z), tiny at z = 4); the cross-entropy does not.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0]};
    int st = cli_parse(&cmd, argc, argv);
    const char *opts[2] = {"--csv", "--plot"}, *paths[2] = {csv, png};
    if (st != CLI_RUN)
        return st;
    /* Every output refused before anything is computed or printed. */
    if (cli_distinct_outputs(CMD, 2, opts, paths) ||
        (csv && cli_probe_writable(CMD, "--csv", csv)) ||
        (png && (check_plot_name(png) || check_plot_file(png))))
        return 1;
    if (png && !cli_on_path("gnuplot"))
        return cli_error(CMD,
                         "--plot needs gnuplot, not found on PATH (Debian: gnuplot-nox)");
    double *out = malloc((epochs + 1) * N_RUNS * 2 * sizeof *out);
    if (!out)
        return cli_error(CMD, "out of memory");
    st = simulate(epochs, out);
    if (st) {
        free(out);
        return cli_error(CMD, "gradient descent failed: %s", gsl_strerror(st));
    }
    print_table(out, epochs, every);
    print_summary(out, epochs);
    int status = csv ? write_csv(csv, out, epochs) : 0;
    if (!status && png)
        status = plot(png, out, epochs);
    free(out);
    return status;
}
