/* oracle.c: `gradproof oracle` (the reference dump of a network on samples, through the
 * library's gp_dump). */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/idx.h>
#include <gradproof/netio.h>

#include "mpi.h" /* the CLI's layer (cli/mpi.h) */
#include "report.h"

/* ---- oracle ---- */

#define OPT(n, k, a, h, m)                                                               \
    { .name = n, .kind = k, .arg = a, .help = h, .more = m }
static const cli_option opt_net =
    OPT("net", CLI_STRING, "FILE",
        "network in network2.py's JSON (sizes, weights, biases, cost: QuadraticCost, "
        "CrossEntropyCost or a gradproof name)",
        "an optional \"activations\" list gives each hidden layer's activation (sigmoid, "
        "tanh, relu, leaky-relu[:ALPHA], softplus, identity); without it every hidden "
        "layer is sigmoid");
static const cli_option opt_x =
    OPT("x", CLI_STRING, "FILE",
        "inputs (n_0 x m), samples as columns: .npy (float64, float32 or uint8) or JSON "
        "nested lists; uint8 inputs are pixels, scaled by 1/255 as IDX images are",
        NULL);
static const cli_option opt_y =
    OPT("y", CLI_STRING, "FILE",
        "targets (n_L x m), in the same forms as --x (uint8 targets are taken as they "
        "are); a log-likelihood network's targets sum to 1 in each sample",
        NULL);
static const cli_option opt_rows =
    OPT("rows", CLI_FLAG, NULL, "--x and --y hold one sample per row (m x n) instead",
        "shape errors then name the shapes as the files hold them");
static const cli_option opt_images =
    OPT("idx-images", CLI_STRING, "FILE",
        "MNIST-style IDX images (pixels / 255), with --idx-labels and --range", NULL);
static const cli_option opt_labels =
    OPT("idx-labels", CLI_STRING, "FILE",
        "IDX labels (one-hot targets); both files must hold the same count", NULL);
static const cli_option opt_range = OPT(
    "range", CLI_STRING, "A:B",
    "samples A..B-1 of the IDX files (A < B, at most " CLI_STR(GP_MAX_WIDTH) " samples)",
    NULL);
static const cli_option opt_out =
    OPT("out", CLI_STRING, "FILE.json",
        "one JSON object: cost, z1, a1, delta1, dW1, db1, ... (db flat lists), and the "
        "inputs: network, x, y, lambda, l1, n",
        NULL);
static const cli_option opt_out_dir =
    OPT("out-dir", CLI_STRING, "DIR",
        "one .npy file per tensor: cost.npy (shape ()), z1.npy, a1.npy, delta1.npy, "
        "dW1.npy, db1.npy (shape (n_1,)), z2.npy, ..., plus network.json, x.npy, y.npy "
        "and meta.json",
        NULL);
static const cli_option opt_self_check =
    OPT("self-check", CLI_FLAG, NULL,
        "also check the dump's gradient against gsl_deriv_central (every parameter; "
        "at a ReLU or leaky-ReLU kink against the one-sided derivative, counted 'at a "
        "kink'; exit status 1 if it fails)",
        NULL);

#define input_error(msg) cli_input_error(NULL, "%s", (msg))

static gsl_matrix *transposed(gsl_matrix *m) {
    gsl_matrix *t = gsl_matrix_alloc(m->size2, m->size1);
    if (t)
        gsl_matrix_transpose_memcpy(t, m);
    gsl_matrix_free(m);
    return t;
}

/* --range A:B: 0, or 1 after the error naming what is wrong with it. */
static int parse_range(const char *s, size_t *a, size_t *b) {
    char *end;
    unsigned long x = 0, y = 0;
    int digits = s[0] >= '0' && s[0] <= '9';
    errno = 0;
    if (digits)
        x = strtoul(s, &end, 10);
    digits = digits && *end == ':' && end[1] >= '0' && end[1] <= '9';
    if (digits)
        y = strtoul(end + 1, &end, 10);
    if (digits && !*end && errno)
        return cli_error("oracle", "invalid --range '%s': a number out of range", s);
    if (!digits || *end || y <= x)
        return cli_error("oracle", "invalid --range '%s': expected A:B with A < B", s);
    if (y - x > GP_MAX_WIDTH)
        return cli_error("oracle", "invalid --range '%s': at most %d samples (B - A)", s,
                         GP_MAX_WIDTH);
    *a = x, *b = y;
    return 0;
}

static int load_idx(const char *images, const char *labels, size_t first, size_t last,
                    size_t n0, size_t nL, gsl_matrix **X, gsl_matrix **Y) {
    char err[GP_IDX_ERRLEN] = "";
    gp_idx_images *im = NULL;
    gp_idx_labels *lb = NULL;
    int r = 0;
    if (gp_idx_read_images(images, &im, err, sizeof err) ||
        gp_idx_read_labels(labels, 255, &lb, err, sizeof err))
        r = input_error(err);
    else if (im->n != lb->n) {
        /* Image i and label i must be the same sample: different counts mean the
         * files do not belong together (e.g. training images, test labels). */
        snprintf(err, sizeof err, "%s: %zu %s, but %s holds %zu %s", labels, lb->n,
                 cli_plural(lb->n, "label", "labels"), images, im->n,
                 cli_plural(im->n, "image", "images"));
        r = input_error(err);
    } else if (im->rows * im->cols != n0) {
        /* Before any conversion: the range's doubles are allocated only for a fit. */
        snprintf(err, sizeof err, "%s: images of %zu x %zu pixels, expected n_0 = %zu",
                 images, im->rows, im->cols, n0);
        r = input_error(err);
    }
    size_t m = last - first;
    if (!r && (last > im->n || last > lb->n)) {
        snprintf(err, sizeof err, "%s: --range %zu:%zu runs past the %zu images", images,
                 first, last, im->n < lb->n ? im->n : lb->n);
        r = input_error(err);
    }
    if (!r) {
        gsl_matrix *rowsX = gsl_matrix_alloc(m, im->rows * im->cols);
        gsl_matrix *rowsY = gsl_matrix_calloc(m, nL);
        if (!rowsX || !rowsY)
            r = input_error("out of memory");
        else if (gp_idx_images_to_matrix(im, first, rowsX) ||
                 gp_idx_labels_to_onehot(lb, first, rowsY)) {
            snprintf(err, sizeof err, "%s: a label in %zu:%zu is not below n_L = %zu",
                     labels, first, last, nL);
            r = input_error(err);
        }
        if (!r) {
            *X = transposed(rowsX);
            *Y = transposed(rowsY);
        } else {
            gsl_matrix_free(rowsX);
            gsl_matrix_free(rowsY);
        }
    }
    gp_idx_images_free(im);
    gp_idx_labels_free(lb);
    return r;
}

/* Where the samples come from: --x/--y (rows: one sample per row) or an IDX range. */
typedef struct {
    const char *netpath, *xpath, *ypath, *images, *labels;
    size_t first, last;
    int rows;
} oracle_inputs;

/* X (n_0 x m) and Y (n_L x m) for net. A shape error names the file and its shape as
 * the file holds it (m x n with --rows). Uint8 inputs are pixels: x / 255 (npy.h). */
static int load_inputs(const oracle_inputs *in, const gp_network *net, gsl_matrix **X,
                       gsl_matrix **Y) {
    char err[GP_IDX_ERRLEN] = "";
    size_t n0 = net->p.sizes[0], nL = net->p.sizes[net->p.L];
    int r = 0;
    if (in->images)
        r = load_idx(in->images, in->labels, in->first, in->last, n0, nL, X, Y);
    else if (gp_dump_matrix_read(in->xpath, GP_NPY_U8_UNIT, X, err, sizeof err) ||
             gp_dump_matrix_read(in->ypath, 0, Y, err, sizeof err))
        r = input_error(err);
    else if (in->rows) {
        *X = transposed(*X);
        *Y = transposed(*Y);
    }
    if (r)
        return r;
    const char *fx = in->images ? in->images : in->xpath;
    const char *fy = in->images ? in->labels : in->ypath;
    if ((*X)->size1 != n0) {
        if (in->rows)
            snprintf(err, sizeof err,
                     "%s: %zu columns, expected n_0 = %zu (sizes[0] of %s); with --rows "
                     "one sample per row",
                     fx, (*X)->size1, n0, in->netpath);
        else
            snprintf(err, sizeof err,
                     "%s: %zu rows, expected n_0 = %zu (sizes[0] of %s); samples are "
                     "columns (--rows for one sample per row)",
                     fx, (*X)->size1, n0, in->netpath);
        return input_error(err);
    }
    if ((*Y)->size1 != nL || (*Y)->size2 != (*X)->size2) {
        size_t m = (*X)->size2;
        if (in->rows)
            snprintf(err, sizeof err, "%s: shape %zu x %zu, expected %zu x %zu (m x n_L)",
                     fy, (*Y)->size2, (*Y)->size1, m, nL);
        else
            snprintf(err, sizeof err, "%s: shape %zu x %zu, expected %zu x %zu (n_L x m)",
                     fy, (*Y)->size1, (*Y)->size2, nL, m);
        return input_error(err);
    }
    size_t k;
    double sum;
    if (gp_cost_target_misfit(net->cost, *Y, &k, &sum)) {
        snprintf(err, sizeof err,
                 "%s: the targets of sample %zu sum to %.17g; log-likelihood needs "
                 "targets summing to 1 (one-hot, or a distribution)",
                 fy, k, sum);
        return input_error(err);
    }
    return 0;
}

/* What the ranks of a self-check share: the network and batch, and the oracle of a
 * smooth network (NULL with a kink). */
typedef struct {
    const gp_network *net;
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    gp_oracle *o;
    const gp_fcheck_opts *opts;
} self_check;

/* The numerical derivatives of parameters lo..hi-1: by the oracle's re-evaluation
 * (smooth), or by the check engine's kink rule on full forward passes (a stencil that
 * crosses a kink is shrunk, or one-sided derivatives taken and counted at a kink). */
static int numeric_range(const self_check *c, size_t lo, size_t hi, double *num,
                         size_t *n_at_kink) {
    return c->o ? gp_oracle_numeric(c->o, c->opts, lo, hi, num, NULL)
                : gp_gradcheck_params_numeric(c->net, c->X, c->Y, c->reg, c->opts, lo, hi,
                                              num, n_at_kink);
}

/* The numerical derivatives of every parameter, on rank 0; under mpirun -np K rank r
 * computes parameters n r / K .. n (r + 1) / K - 1 and rank 0 gathers them in rank
 * order, which is parameter order; *n_at_kink is the sum over the ranks. *num is NULL
 * on other ranks. Collective. Returns 0, or 1 after printing an error. */
static int numeric_sharded(const self_check *c, double **num, size_t *n_at_kink) {
    size_t n = c->net->p.n_params, k = (size_t)cli_mpi_size(), r = (size_t)cli_mpi_rank();
    size_t lo = n * r / k, hi = n * (r + 1) / k, len = 0;
    double *mine = malloc((hi > lo ? 2 * (hi - lo) : 1) * sizeof *mine);
    char *all = NULL;
    *n_at_kink = 0;
    int st = !mine || numeric_range(c, lo, hi, mine, n_at_kink);
    if (cli_mpi_any(st) || cli_mpi_sum(n_at_kink, 1) ||
        cli_mpi_gather((const char *)mine, 2 * (hi - lo) * sizeof *mine, &all, &len))
        st = 1;
    free(mine);
    if (!st && r == 0 && len != 2 * n * sizeof **num)
        st = 1;
    *num = st ? NULL : (double *)all;
    if (st)
        free(all);
    return st;
}

/* The dump's dW, db as a gradient of net's layout into g. */
static void dump_gradient(const gp_network *net, const gp_dump *d, gp_gradient *g) {
    for (size_t l = 1; l <= net->p.L; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "dW%zu", l);
        gsl_matrix_memcpy(g->w[l - 1], d->t[gp_dump_find(d, nm)]);
        snprintf(nm, sizeof nm, "db%zu", l);
        gsl_vector_view col = gsl_matrix_column(d->t[gp_dump_find(d, nm)], 0);
        gsl_vector_memcpy(g->b[l - 1], &col.vector);
    }
}

static int has_kink(const gp_network *net) {
    for (size_t l = 1; l < net->p.L; l++)
        if (gp_activation_kink(gp_network_activation(net, l), NULL))
            return 1;
    return 0;
}

/* --self-check: the dump's dW, db against gsl_deriv_central, every parameter. The
 * costly numerical half is spread over the MPI ranks (numeric_sharded), the verdicts
 * are rank 0's (gp_oracle_check_given, gp_gradcheck_params_given, which derive a failing
 * entry again with its noise measured), so the report is the single process's for
 * any K. Smooth networks: the oracle's derivatives. Networks with a kink (ReLU, leaky
 * ReLU): the check engine's kink rule (SPEC "Kinks"), the entries at a kink counted. */
static int run_self_check(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                          const gp_regularization *reg, const gp_dump *d, int noise) {
    int status = 0;
    gp_fcheck_opts opts;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    if (noise)
        opts.noise = GP_NOISE_FULL; /* else the default: the noise of failing entries */
    self_check c = {
        net, X, Y, reg, has_kink(net) ? NULL : gp_oracle_alloc(net, X, Y, reg), &opts};
    gp_gradient *g = gp_gradient_alloc(net);
    gp_fcheck_report *r = gp_oracle_report_alloc(net);
    double *num = NULL;
    size_t n_at_kink = 0;
    if (g)
        dump_gradient(net, d, g);
    if (cli_mpi_any(!g || !r || (!has_kink(net) && !c.o)) ||
        numeric_sharded(&c, &num, &n_at_kink) ||
        (cli_mpi_rank() == 0 &&
         (c.o ? gp_oracle_check_given(c.o, g, &opts, num, r)
              : gp_gradcheck_params_given(net, X, Y, reg, g, &opts, num, n_at_kink, r))))
        status = input_error("oracle: self-check could not run");
    else if (cli_mpi_rank() == 0) {
        printf("self-check: %zu %s against gsl_deriv_central, %zu failed, "
               "%zu at a kink, max rel err %.3g",
               r->n_checked, cli_plural(r->n_checked, "parameter", "parameters"),
               r->n_failed, r->n_at_kink, r->max_rel_error);
        if (noise || r->n_inconclusive) /* the measured-noise verdicts */
            printf(", %zu inconclusive, min digits %.1f", r->n_inconclusive,
                   r->min_digits);
        printf("\n");
        status = r->n_failed ? 1 : 0;
    }
    free(num);
    gp_oracle_free(c.o);
    gp_fcheck_report_free(r);
    gp_gradient_free(g);
    return status;
}

typedef struct {
    const char *net, *x, *y, *images, *labels, *range, *out, *outdir;
    int rows, self_check, noise;
    size_t first, last;
    gp_regularization reg;
} oracle_args;

/* The operands that go together: one network, one source of samples, one output. */
static int oracle_check_args(oracle_args *o) {
    if (o->range && parse_range(o->range, &o->first, &o->last))
        return 1;
    if (!o->net)
        return cli_error("oracle", "--net is required");
    if (!o->out == !o->outdir)
        return cli_error("oracle", "give exactly one of --out and --out-dir");
    if (o->noise && !o->self_check)
        return cli_error("oracle", "--noise goes with --self-check");
    int use_idx = o->images || o->labels || o->range;
    if (use_idx ? !(o->images && o->labels && o->range) || o->x || o->y : !(o->x && o->y))
        return cli_error("oracle", "give --x and --y, or --idx-images, --idx-labels and "
                                   "--range");
    if (use_idx && o->rows) /* was ignored (IDX files hold one sample per row) */
        return cli_error("oracle", "--rows goes with --x and --y");
    return 0;
}

/* The output replaces none of the inputs (nor a file under one). Asked once they are
 * read: an input that is a directory is unusable input (status 2), not an input the
 * output would replace (an --out under --net DIR said so, status 1). */
static int oracle_spare_inputs(const oracle_args *o) {
    const char *const in_opts[] = {"--net", "--x", "--y", "--idx-images", "--idx-labels"};
    const char *const ins[] = {o->net, o->x, o->y, o->images, o->labels};
    return cli_spare_inputs("oracle", o->out ? "--out" : "--out-dir",
                            o->out ? o->out : o->outdir, 5, in_opts, ins);
}

/* Every value of the dump finite, else an input error naming the first that is not (the
 * network's values overflow float64 on these samples): a JSON dump cannot hold it and
 * compare refuses a .npy dump with it. */
static int dump_finite(const gp_dump *d, const char *netpath) {
    size_t k, i, j;
    if (gp_dump_nonfinite(d, &k, &i, &j))
        return cli_input_error(NULL,
                               "%s: %s[%zu][%zu] is %g on these samples: the "
                               "network's values overflow float64",
                               netpath, d->name[k], i, j, gsl_matrix_get(d->t[k], i, j));
    return 0;
}

/* Load, compute the dump, optionally self-check it, write it. */
static int oracle_run(const oracle_args *o) {
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_dump d;
    char err[GP_IDX_ERRLEN] = "";
    gp_dump_init(&d, 1);
    int status = gp_netio_load(o->net, &net, err, sizeof err) ? input_error(err) : 0;
    const oracle_inputs in = {o->net,    o->x,     o->y,    o->images,
                              o->labels, o->first, o->last, o->rows};
    if (!status)
        status = load_inputs(&in, net, &X, &Y);
    if (!status)
        status = oracle_spare_inputs(o);
    if (!status && gp_dump_compute(net, X, Y, &o->reg, &d))
        status = input_error("oracle: the dump could not be computed");
    else if (!status)
        status = dump_finite(&d, o->net);
    /* Under mpirun the ranks check together only if every one has its inputs. */
    if (o->self_check && !cli_mpi_any(status))
        status = run_self_check(net, X, Y, &o->reg, &d, o->noise);
    /* Under mpirun only rank 0 writes. */
    if (!status && cli_mpi_rank() == 0 &&
        (o->out ? gp_dump_write_json(o->out, &d, net, X, Y, &o->reg, err, sizeof err)
                : gp_dump_write_dir(o->outdir, &d, net, X, Y, &o->reg, err, sizeof err)))
        status = cli_write_error("oracle", o->out ? "--out" : "--out-dir",
                                 o->out ? o->out : o->outdir, err);
    gp_dump_free(&d);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}

int cmd_oracle(int argc, char **argv) {
    oracle_args o = {0};
    const cli_arg args[] = {
        {.opt = &opt_net, .dest = &o.net, .unset = "required"},
        {.opt = &opt_x, .dest = &o.x},
        {.opt = &opt_y, .dest = &o.y},
        {.opt = &opt_rows, .dest = &o.rows},
        {.opt = &opt_images, .dest = &o.images},
        {.opt = &opt_labels, .dest = &o.labels},
        {.opt = &opt_range, .dest = &o.range},
        {.opt = &cli_opt_lambda, .dest = &o.reg.lambda},
        {.opt = &cli_opt_l1, .dest = &o.reg.l1},
        {.opt = &cli_opt_n, .dest = &o.reg.n},
        {.opt = &opt_out, .dest = &o.out},
        {.opt = &opt_out_dir, .dest = &o.outdir},
        {.opt = &opt_self_check, .dest = &o.self_check},
        {.opt = &cli_opt_noise, .dest = &o.noise, .note = "with --self-check"},
    };
    cli_command cmd = {
        .name = "oracle",
        .synopsis =
            "--net=NET.json (--x=X --y=Y | --idx-images=F --idx-labels=F --range=A:B)\n"
            "       (--out=FILE.json | --out-dir=DIR) [OPTIONS]",
        .about =
            "Write the reference values of a network on a batch of m samples, in "
            "float64:\n"
            "the cost C = (1/m) sum_x C_x (+ L2/L1 terms) and, for every layer l = 1..L\n"
            "(1-based, as in the book), z^l, a^l and delta^l = dC_x/dz^l (n_l x m, one\n"
            "column per sample, delta not divided by m), dC/dW^l (n_l x n_{l-1}) and "
            "dC/db^l\n"
            "(n_l), the gradient of C. Files are written to a temporary name and "
            "renamed:\n"
            "no partial output is left.\n"
            "Exit status: 0 written, 1 usage error or failed self-check, 2 unusable "
            "input.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0]};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    if (oracle_check_args(&o) || cli_mpi_init(&argc, &argv))
        return 1;
    /* Every rank loads the same inputs and would print the same errors: rank 0 does. */
    if (cli_mpi_rank() != 0 && !freopen("/dev/null", "w", stderr))
        return 1;
    st = oracle_run(&o);
    /* The job's status: rank 0's verdict, or any rank's error. */
    st = cli_mpi_any(st == CLI_EXIT_INPUT) ? CLI_EXIT_INPUT
         : cli_mpi_any(st != CLI_EXIT_OK)  ? CLI_EXIT_FAIL
                                           : CLI_EXIT_OK;
    cli_mpi_finalize();
    return st;
}
