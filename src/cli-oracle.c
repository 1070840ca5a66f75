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

#include "cli-dump.h"
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
        "                      .npy (float64, float32 or uint8) or JSON nested lists\n"
        "  --rows              --x/--y hold one sample per row (m x n) instead\n"
        "  --idx-images=FILE, --idx-labels=FILE, --range=A:B\n"
        "                      samples A..B-1 of MNIST-style IDX files (pixels / 255,\n"
        "                      one-hot targets)\n"
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

static int input_error(const char *msg) {
    fprintf(stderr, CLI_NAME ": %s\n", msg);
    return CLI_EXIT_INPUT;
}

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
                    size_t nL, gsl_matrix **X, gsl_matrix **Y) {
    char err[GP_IDX_ERRLEN] = "";
    gp_idx_images *im = NULL;
    gp_idx_labels *lb = NULL;
    int r = 0;
    if (gp_idx_read_images(images, &im, err, sizeof err) ||
        gp_idx_read_labels(labels, 255, &lb, err, sizeof err))
        r = input_error(err);
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

    char err[GP_IDX_ERRLEN] = "";
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    cli_dump d;
    memset(&d, 0, sizeof d);
    int status = 0;
    if (gp_netio_load(netpath, &net, err, sizeof err))
        return input_error(err);
    size_t n0 = net->p.sizes[0], nL = net->p.sizes[net->p.L];
    if (use_idx)
        status = load_idx(images, labels, first, last, nL, &X, &Y);
    else if (matrix_read(xpath, &X, err, sizeof err) ||
             matrix_read(ypath, &Y, err, sizeof err))
        status = input_error(err);
    else if (rows) {
        X = transposed(X);
        Y = transposed(Y);
    }
    if (!status && X->size1 != n0) {
        snprintf(err, sizeof err, "%s: %zu rows, expected n_0 = %zu (sizes[0] of %s)%s",
                 use_idx ? images : xpath, X->size1, n0, netpath,
                 rows ? "" : "; samples are columns (--rows for one sample per row)");
        status = input_error(err);
    } else if (!status && (Y->size1 != nL || Y->size2 != X->size2)) {
        snprintf(err, sizeof err, "%s: shape %zu x %zu, expected %zu x %zu (n_L x m)",
                 use_idx ? labels : ypath, Y->size1, Y->size2, nL, X->size2);
        status = input_error(err);
    }
    if (!status) {
        int s = dump_compute(net, X, Y, &reg, &d);
        if (s) {
            snprintf(err, sizeof err, "oracle: %s", gsl_strerror(s));
            status = input_error(err);
        }
    }
    if (!status && self_check) {
        gp_gradient *g = gp_gradient_alloc(net);
        gp_fcheck_report *r = gp_oracle_report_alloc(net);
        gp_fcheck_opts opts;
        gp_oracle_opts_default(&opts, GP_FLOAT64);
        for (size_t l = 1; g && l <= net->p.L; l++) {
            char nm[32];
            snprintf(nm, sizeof nm, "dW%zu", l);
            for (size_t i = 0; i < d.n; i++)
                if (!strcmp(d.name[i], nm))
                    gsl_matrix_memcpy(g->w[l - 1], d.t[i]);
            snprintf(nm, sizeof nm, "db%zu", l);
            for (size_t i = 0; i < d.n; i++)
                if (!strcmp(d.name[i], nm)) {
                    gsl_vector_view col = gsl_matrix_column(d.t[i], 0);
                    gsl_vector_memcpy(g->b[l - 1], &col.vector);
                }
        }
        if (!g || !r || gp_oracle_check_network(net, X, Y, &reg, g, &opts, r))
            status = input_error("oracle: self-check could not run");
        else {
            printf("self-check: %zu parameters against gsl_deriv_central, %zu failed, "
                   "max rel err %.3g\n",
                   r->n_checked, r->n_failed, r->max_rel_error);
            if (r->n_failed)
                status = 1;
        }
        gp_fcheck_report_free(r);
        gp_gradient_free(g);
    }
    if (!status) {
        if (out ? dump_write_json(out, &d, net, X, Y, &reg, err, sizeof err)
                : dump_write_dir(outdir, &d, net, X, Y, &reg, err, sizeof err))
            status = input_error(err);
    }
    dump_free(&d);
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
        "  --precision=P   float32 or float64 [inferred: float32 when every candidate\n"
        "                  value is a float32 value, as from a float32 array]\n"
        "  --worst=N       worst offenders to list [10]\n"
        "  --report=FILE   also write the verdict, per-tensor summary and worst\n"
        "                  offenders as JSON\n"
        "  --record=FILE   on disagreement, write a self-contained failure record\n"
        "                  ('" CLI_NAME " replay FILE' reproduces the verdict)\n"
        "  -h, --help      show this help\n"
        "Exit status: 0 agreement, 1 disagreement, 2 unusable input.\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

int compare_dumps(const cli_dump *o, const cli_dump *cd, const gp_fcheck_opts *opts,
                  gp_fcheck_report **rep, double **cand, double **ref) {
    gp_tensor_range t[DUMP_MAX_TENSORS];
    size_t nt = 0, total = 0;
    for (size_t i = 0; i < o->n; i++)
        if (cd->t[i]) {
            t[nt].name = o->name[i];
            t[nt].offset = total;
            t[nt].length = o->t[i]->size1 * o->t[i]->size2;
            t[nt].cols = o->t[i]->size2 > 1 ? o->t[i]->size2 : 0;
            total += t[nt++].length;
        }
    *cand = malloc((total ? total : 1) * sizeof **cand);
    *ref = malloc((total ? total : 1) * sizeof **ref);
    *rep = gp_fcheck_report_alloc(t, nt);
    if (!*cand || !*ref || !*rep)
        return GSL_ENOMEM;
    for (size_t i = 0, q = 0; i < o->n; i++)
        if (cd->t[i])
            for (size_t k = 0; k < o->t[i]->size1 * o->t[i]->size2; k++, q++) {
                size_t cols = o->t[i]->size2;
                (*ref)[q] = gsl_matrix_get(o->t[i], k / cols, k % cols);
                (*cand)[q] = gsl_matrix_get(cd->t[i], k / cols, k % cols);
            }
    return gp_fcheck_compare(*cand, *ref, opts, *rep);
}

/* "W1[3][5]" style position of a report entry. */
void entry_position(const gp_fcheck_report *r, const gp_fcheck_entry *e, char *buf,
                    size_t len) {
    const gp_fcheck_tensor *t = &r->tensors[e->tensor];
    if (t->cols)
        snprintf(buf, len, "%s[%zu][%zu]", t->name, e->index / t->cols,
                 e->index % t->cols);
    else if (t->length == 1)
        snprintf(buf, len, "%s", t->name);
    else
        snprintf(buf, len, "%s[%zu]", t->name, e->index);
}

void print_report(FILE *f, const gp_fcheck_report *r, const char *ref_name,
                  const char *cand_name) {
    fprintf(f, "%-10s %9s %7s %12s %12s %11s  %s\n", "tensor", "entries", "failed",
            "max abs err", "max rel err", "scale", "verdict");
    const char *first = NULL;
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        fprintf(f, "%-10s %9zu %7zu %12.3e %12.3e %11.3e  %s\n", s->name, s->n_checked,
                s->n_failed, s->max_abs_error, s->max_rel_error, s->scale,
                s->n_failed ? "FAIL" : "ok");
        if (s->n_failed && !first)
            first = s->name;
    }
    if (r->n_worst && r->worst[0].score > 1) {
        fprintf(f, "worst offenders:\n  %-16s %24s %24s %10s %10s %10s\n", "entry",
                ref_name, cand_name, "abs err", "rel err", "allowed");
        for (size_t q = 0; q < r->n_worst && r->worst[q].score > 1; q++) {
            const gp_fcheck_entry *e = &r->worst[q];
            char pos[64];
            entry_position(r, e, pos, sizeof pos);
            fprintf(f, "  %-16s %24.17g %24.17g %10.3e %10.3e %10.3e\n", pos, e->numeric,
                    e->analytic, e->error, e->rel_error, e->allowed);
        }
    }
    if (first)
        fprintf(f, "first disagreement in computation order: %s\n", first);
}

json_t *json_report(const gp_fcheck_report *r) {
    json_t *o = json_object(), *ts = json_array(), *ws = json_array();
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        json_array_append_new(
            ts,
            json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:b}", "tensor", s->name, "entries",
                      (json_int_t)s->n_checked, "failed", (json_int_t)s->n_failed,
                      "max_abs_error", s->max_abs_error, "max_rel_error",
                      isfinite(s->max_rel_error) ? s->max_rel_error : -1.0, "scale",
                      s->scale, "ok", s->n_failed == 0));
    }
    for (size_t q = 0; q < r->n_worst; q++) {
        const gp_fcheck_entry *e = &r->worst[q];
        const gp_fcheck_tensor *s = &r->tensors[e->tensor];
        json_t *w =
            json_pack("{s:s, s:I}", "tensor", s->name, "index", (json_int_t)e->index);
        if (s->cols) {
            json_object_set_new(w, "row", json_integer((json_int_t)(e->index / s->cols)));
            json_object_set_new(w, "col", json_integer((json_int_t)(e->index % s->cols)));
        }
        /* JSON has no NaN: non-finite values are written as strings. */
        double vals[6] = {e->numeric,   e->analytic, e->error,
                          e->rel_error, e->allowed,  e->abserr};
        const char *keys[6] = {"expected",  "actual",  "abs_error",
                               "rel_error", "allowed", "error_estimate"};
        for (int k = 0; k < 6; k++) {
            char b[32];
            snprintf(b, sizeof b, "%g", vals[k]);
            json_object_set_new(w, keys[k],
                                isfinite(vals[k]) ? json_real(vals[k]) : json_string(b));
        }
        json_object_set_new(w, "failed", json_boolean(e->score > 1));
        json_array_append_new(ws, w);
    }
    json_object_set_new(o, "agree", json_boolean(r->n_failed == 0));
    json_object_set_new(o, "checked", json_integer((json_int_t)r->n_checked));
    json_object_set_new(o, "failed", json_integer((json_int_t)r->n_failed));
    json_object_set_new(o, "tensors", ts);
    json_object_set_new(o, "worst", ws);
    for (size_t t = 0; t < r->n_tensors; t++)
        if (r->tensors[t].n_failed) {
            json_object_set_new(o, "first_disagreement", json_string(r->tensors[t].name));
            break;
        }
    return o;
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
    char err[GP_IDX_ERRLEN] = "";
    cli_dump o, cd;
    if (dump_read(opath, NULL, &o, err, sizeof err))
        return input_error(err);
    if (dump_read(cpath, &o, &cd, err, sizeof err)) {
        dump_free(&o);
        return input_error(err);
    }
    if (!have_prec)
        prec = cd.f32 ? GP_FLOAT32 : GP_FLOAT64;
    gp_fcheck_opts opts;
    gp_fcheck_opts_compare(&opts, prec);
    opts.n_worst = worst;
    gp_fcheck_report *r = NULL;
    double *cand = NULL, *ref = NULL;
    int status = compare_dumps(&o, &cd, &opts, &r, &cand, &ref) ? CLI_EXIT_INPUT : 0;
    if (status)
        input_error("compare: out of memory");
    else {
        printf(
            "compare %s (oracle) with %s: %s tolerances%s, %zu values in %zu tensors\n",
            opath, cpath, gp_precision_name(prec), have_prec ? "" : " (inferred)",
            r->n_checked, r->n_tensors);
        print_report(stdout, r, "oracle", "candidate");
        printf("%s\n", r->n_failed ? "DISAGREE" : "agree");
        status = r->n_failed ? 1 : 0;
        if (report) {
            json_t *j = json_report(r);
            json_object_set_new(j, "oracle", json_string(opath));
            json_object_set_new(j, "candidate", json_string(cpath));
            json_object_set_new(j, "precision", json_string(gp_precision_name(prec)));
            if (json_write_atomic(j, report, err, sizeof err))
                status = input_error(err);
            json_decref(j);
        }
        if (record && r->n_failed &&
            record_write_compare(record, opath, prec, r, err, sizeof err))
            status = input_error(err);
    }
    free(cand);
    free(ref);
    gp_fcheck_report_free(r);
    dump_free(&o);
    dump_free(&cd);
    return status;
}
