/* cli-oracle.c: `gradproof oracle` (the reference dump of a network on samples) and
 * `gradproof compare` (a candidate's dump against it, tensor by tensor). */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/idx.h>
#include <gradproof/netio.h>

#include "cli-record.h"

/* ---- oracle ---- */

static int oracle_usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " oracle --net NET.json (--x X --y Y | --idx-images F\n"
        "         --idx-labels F --range A:B) (--out FILE.json | --out-dir DIR) "
        "[OPTIONS]\n"
        "Write the reference values of a network on a batch of m samples, in float64:\n"
        "the cost C = (1/m) sum_x C_x (+ L2/L1 terms) and, for every layer l = 1..L\n"
        "(1-based, as in the book), z^l, a^l and delta^l = dC_x/dz^l (n_l x m, one\n"
        "column per sample, delta not divided by m), dC/dW^l (n_l x n_{l-1}) and "
        "dC/db^l\n"
        "(n_l), the gradient of C.\n\n"
        "  --net=FILE          network in network2.py's JSON (sizes, weights, biases,\n"
        "                      cost: QuadraticCost, CrossEntropyCost or a gradproof "
        "name)\n"
        "  --x=FILE, --y=FILE  inputs (n_0 x m) and targets (n_L x m), samples as "
        "columns:\n"
        "                      .npy (float64, float32 or uint8) or JSON nested lists;\n"
        "                      uint8 inputs are pixels, scaled by 1/255 as IDX images\n"
        "                      are (uint8 targets are taken as they are)\n"
        "  --rows              --x/--y hold one sample per row (m x n) instead\n"
        "  --idx-images=FILE, --idx-labels=FILE, --range=A:B\n"
        "                      samples A..B-1 of MNIST-style IDX files (pixels / 255,\n"
        "                      one-hot targets; both files must hold the same count)\n"
        "  --lambda=REAL       L2 strength [0]      --l1=REAL  L1 strength [0]\n"
        "  --n=N               n of the regularisation terms [m]\n"
        "  --out=FILE.json     one JSON object: cost, z1, a1, delta1, dW1, db1, ...\n"
        "                      (db flat lists), and the inputs: network, x, y, lambda, "
        "l1, n\n"
        "  --out-dir=DIR       one .npy file per tensor: cost.npy (shape ()), z1.npy,\n"
        "                      a1.npy, delta1.npy, dW1.npy, db1.npy (shape (n_1,)), "
        "z2.npy,\n"
        "                      ..., plus network.json, x.npy, y.npy and meta.json\n"
        "  --self-check        also check the dump's gradient against gsl_deriv_central\n"
        "                      (every parameter; exit status 1 if it fails)\n"
        "  -h, --help          show this help\n"
        "Files are written to a temporary name and renamed: no partial output is left.\n"
        "Exit status: 0 written, 1 usage error or failed self-check, 2 unusable "
        "input.\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define input_error(msg) cli_input_error(NULL, "%s", (msg))

static gsl_matrix *transposed(gsl_matrix *m) {
    gsl_matrix *t = gsl_matrix_alloc(m->size2, m->size1);
    if (t)
        gsl_matrix_transpose_memcpy(t, m);
    gsl_matrix_free(m);
    return t;
}

static int parse_range(const char *s, size_t *a, size_t *b) {
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return 1;
    unsigned long x = strtoul(s, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9')
        return 1;
    unsigned long y = strtoul(end + 1, &end, 10);
    if (*end || y <= x || y - x > GP_MAX_WIDTH)
        return 1;
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
        snprintf(err, sizeof err, "%s: %zu labels, but %s holds %zu images", labels,
                 lb->n, images, im->n);
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
    return 0;
}

/* --self-check: the dump's dW, db against gsl_deriv_central through the oracle. */
static int run_self_check(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                          const gp_regularization *reg, const gp_dump *d) {
    gp_gradient *g = gp_gradient_alloc(net);
    gp_fcheck_report *r = gp_oracle_report_alloc(net);
    gp_fcheck_opts opts;
    int status = 0;
    gp_oracle_opts_default(&opts, GP_FLOAT64);
    for (size_t l = 1; g && l <= net->p.L; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "dW%zu", l);
        gsl_matrix_memcpy(g->w[l - 1], d->t[gp_dump_find(d, nm)]);
        snprintf(nm, sizeof nm, "db%zu", l);
        gsl_vector_view col = gsl_matrix_column(d->t[gp_dump_find(d, nm)], 0);
        gsl_vector_memcpy(g->b[l - 1], &col.vector);
    }
    if (!g || !r || gp_oracle_check_network(net, X, Y, reg, g, &opts, r))
        status = input_error("oracle: self-check could not run");
    else {
        printf("self-check: %zu parameters against gsl_deriv_central, %zu failed, "
               "max rel err %.3g\n",
               r->n_checked, r->n_failed, r->max_rel_error);
        status = r->n_failed ? 1 : 0;
    }
    gp_fcheck_report_free(r);
    gp_gradient_free(g);
    return status;
}

int cmd_oracle(int argc, char **argv) {
    static const struct option longopts[] = {{"net", required_argument, NULL, 'N'},
                                             {"x", required_argument, NULL, 'x'},
                                             {"y", required_argument, NULL, 'y'},
                                             {"rows", no_argument, NULL, 'R'},
                                             {"idx-images", required_argument, NULL, 'I'},
                                             {"idx-labels", required_argument, NULL, 'J'},
                                             {"range", required_argument, NULL, 'r'},
                                             {"lambda", required_argument, NULL, 'l'},
                                             {"l1", required_argument, NULL, '1'},
                                             {"n", required_argument, NULL, 'n'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"out-dir", required_argument, NULL, 'd'},
                                             {"self-check", no_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *netpath = NULL, *xpath = NULL, *ypath = NULL, *images = NULL,
               *labels = NULL, *out = NULL, *outdir = NULL;
    size_t first = 0, last = 0;
    int rows = 0, self_check = 0, have_range = 0, c;
    gp_regularization reg = {0, 0, 0};
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'N':
            netpath = optarg;
            break;
        case 'x':
            xpath = optarg;
            break;
        case 'y':
            ypath = optarg;
            break;
        case 'R':
            rows = 1;
            break;
        case 'I':
            images = optarg;
            break;
        case 'J':
            labels = optarg;
            break;
        case 'r':
            if (parse_range(optarg, &first, &last))
                return cli_error("oracle",
                                 "invalid --range '%s': expected A:B with A < B", optarg);
            have_range = 1;
            break;
        case 'l':
            if (cli_double("oracle", "--lambda", optarg, 0, 1e12, &reg.lambda))
                return 1;
            break;
        case '1':
            if (cli_double("oracle", "--l1", optarg, 0, 1e12, &reg.l1))
                return 1;
            break;
        case 'n':
            if (cli_size("oracle", "--n", optarg, 1, 1000000000, &reg.n))
                return 1;
            break;
        case 'o':
            out = optarg;
            break;
        case 'd':
            outdir = optarg;
            break;
        case 'S':
            self_check = 1;
            break;
        case 'h':
            return oracle_usage(stdout);
        default: /* ':' (missing value) or '?' (unknown option) */
            return cli_bad_option("oracle", c, argv);
        }
    }
    if (optind < argc)
        return cli_error("oracle", "unexpected argument '%s'", argv[optind]);
    if (!netpath)
        return cli_error("oracle", "--net is required");
    if (!out == !outdir)
        return cli_error("oracle", "give exactly one of --out and --out-dir");
    int use_idx = images || labels || have_range;
    if (use_idx ? !(images && labels && have_range) || xpath || ypath : !(xpath && ypath))
        return cli_error("oracle", "give --x and --y, or --idx-images, --idx-labels and "
                                   "--range");

    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_dump d;
    char err[GP_IDX_ERRLEN] = "";
    gp_dump_init(&d, 1);
    if (gp_netio_load(netpath, &net, err, sizeof err))
        return input_error(err);
    const oracle_inputs in = {netpath, xpath, ypath, images, labels, first, last, rows};
    int status = load_inputs(&in, net, &X, &Y);
    if (!status && gp_dump_compute(net, X, Y, &reg, &d))
        status = input_error("oracle: the dump could not be computed");
    if (!status && self_check)
        status = run_self_check(net, X, Y, &reg, &d);
    if (!status &&
        (out ? gp_dump_write_json(out, &d, net, X, Y, &reg, err, sizeof err)
             : gp_dump_write_dir(outdir, &d, net, X, Y, &reg, err, sizeof err)))
        status = input_error(err);
    gp_dump_free(&d);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}

/* ---- compare ---- */

static int compare_usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " compare ORACLE CANDIDATE [OPTIONS]\n"
        "Compare a candidate's dump with the oracle's (both a JSON file or a directory "
        "of\n"
        ".npy files in the layout of '" CLI_NAME
        " oracle'), tensor by tensor. dW and db\n"
        "of every layer are required; cost, z, a and delta are compared when present.\n"
        "An entry agrees when |candidate - oracle| <= atol + rtol max(|c|, |o|) +\n"
        "stol scale, scale = max |oracle| over its tensor, with atol = 8 eps,\n"
        "rtol = 4 sqrt(eps), stol = 64 eps for the unit roundoff eps of the precision\n"
        "(float64: 1.8e-15, 6.0e-8, 1.4e-14; float32: 9.5e-7, 1.4e-3, 7.6e-6).\n\n"
        "  --precision=P   float32 or float64 for every tensor [inferred per tensor:\n"
        "                  float32 for a tensor whose every value is a float32 value,\n"
        "                  as from a float32 array; the table shows each one]\n"
        "  --worst=N       worst offenders to list [10]\n"
        "  --report=FILE   also write the verdict, per-tensor summary and worst\n"
        "                  offenders as JSON\n"
        "  --record=FILE   on disagreement, write a self-contained failure record\n"
        "                  ('" CLI_NAME " replay FILE' reproduces the verdict)\n"
        "  -h, --help      show this help\n"
        "ORACLE must be the oracle's dump: when only CANDIDATE carries the oracle's\n"
        "mark (meta.json, or \"format\": \"gradproof-oracle\"), the arguments are\n"
        "taken to be swapped and compare stops (exit 1).\n"
        "Exit status: 0 agreement, 1 disagreement or usage error, 2 unusable input.\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --report and --record of a finished comparison; 0 or CLI_EXIT_INPUT. */
static int compare_outputs(const char *opath, const char *cpath, const char *report,
                           const char *record, const gp_fcheck_report *r,
                           const gp_precision *prec) {
    char err[GP_IDX_ERRLEN] = "";
    int status = 0;
    if (report) {
        json_t *j = json_report(r, prec);
        json_object_set_new(j, "oracle", json_string(opath));
        json_object_set_new(j, "candidate", json_string(cpath));
        status = cli_write_json(j, report);
        json_decref(j);
    }
    if (!status && record && r->n_failed) {
        gp_network *net;
        gsl_matrix *X, *Y;
        gp_regularization reg;
        if (gp_dump_read_inputs(opath, &net, &X, &Y, &reg, err, sizeof err) ||
            gp_record_write_compare(record, net, X, Y, &reg, r, prec, err, sizeof err))
            status = input_error(err);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
    }
    return status;
}

/* Read both dumps, refusing swapped arguments; 0, 1 (swapped) or CLI_EXIT_INPUT. */
static int read_dumps(const char *opath, const char *cpath, gp_dump *o, gp_dump *cd) {
    char err[GP_IDX_ERRLEN] = "";
    gp_dump_init(o, 1);
    gp_dump_init(cd, 1);
    if (!gp_dump_is_oracle(opath) && gp_dump_is_oracle(cpath))
        return cli_error("compare",
                         "'%s' is the oracle's dump and '%s' is not: arguments swapped? "
                         "(expected ORACLE CANDIDATE)",
                         cpath, opath);
    if (gp_dump_read(opath, NULL, o, err, sizeof err))
        return input_error(err);
    if (gp_dump_read(cpath, o, cd, err, sizeof err)) {
        gp_dump_free(o);
        return input_error(err);
    }
    return 0;
}

int cmd_compare(int argc, char **argv) {
    static const struct option longopts[] = {{"precision", required_argument, NULL, 'p'},
                                             {"worst", required_argument, NULL, 'w'},
                                             {"report", required_argument, NULL, 'r'},
                                             {"record", required_argument, NULL, 'R'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *report = NULL, *record = NULL;
    int have_prec = 0, c;
    gp_precision prec = GP_FLOAT64;
    size_t worst = 10;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (gp_precision_lookup(optarg, &prec))
                return cli_error("compare",
                                 "invalid --precision '%s': expected float32 or float64",
                                 optarg);
            have_prec = 1;
            break;
        case 'w':
            if (cli_size("compare", "--worst", optarg, 1, GP_GRADCHECK_MAX_WORST, &worst))
                return 1;
            break;
        case 'r':
            report = optarg;
            break;
        case 'R':
            record = optarg;
            break;
        case 'h':
            return compare_usage(stdout);
        default: /* ':' (missing value) or '?' (unknown option) */
            return cli_bad_option("compare", c, argv);
        }
    }
    if (argc - optind != 2)
        return cli_error("compare", "expected ORACLE and CANDIDATE");
    const char *opath = argv[optind], *cpath = argv[optind + 1];
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_precision prec_t[GP_DUMP_MAX_TENSORS];
    gp_fcheck_report *r = NULL;
    int status = read_dumps(opath, cpath, &o, &cd);
    if (status)
        return status;
    gp_dump_compare_opts_default(&opts);
    opts.n_worst = worst;
    for (size_t i = 0; have_prec && i < GP_DUMP_MAX_TENSORS; i++)
        opts.precision[i] = (int)prec;
    if (gp_dump_compare(&o, &cd, &opts, &r, prec_t))
        status = input_error("compare: out of memory");
    else {
        size_t n32 = 0;
        for (size_t t = 0; t < r->n_tensors; t++)
            n32 += prec_t[t] == GP_FLOAT32;
        const char *how = have_prec || n32 == 0
                              ? gp_precision_name(have_prec ? prec : GP_FLOAT64)
                          : n32 == r->n_tensors ? "float32"
                                                : "mixed (see each tensor)";
        printf(
            "compare %s (oracle) with %s: %s tolerances%s, %zu values in %zu tensors\n",
            opath, cpath, how, have_prec ? "" : " (inferred per tensor)", r->n_checked,
            r->n_tensors);
        print_report(stdout, r, prec_t, "oracle", "candidate");
        printf("%s\n", r->n_failed ? "DISAGREE" : "agree");
        status = compare_outputs(opath, cpath, report, record, r, prec_t);
        if (!status)
            status = r->n_failed ? 1 : 0;
    }
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    return status;
}
