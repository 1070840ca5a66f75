/* cli-record.c: failure records (versioned JSON, self-contained) and `gradproof replay`.
 */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli-record.h"

static double num_value(const json_t *v) {
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return json_number_value(v);
}

/* ---- replay ---- */

static int replay_usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " replay RECORD\n"
        "Reproduce the verdict of a failure record written by 'compare --record' or\n"
        "'check --record': the oracle (or the checked formula) is recomputed from the\n"
        "record's network and samples and the recorded entries are judged again.\n"
        "Exit status: 1 if it still fails, 0 if it now passes, 2 unusable record.\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int bad_record(const char *path, const char *what) {
    fprintf(stderr, CLI_NAME ": %s: %s\n", path, what);
    return CLI_EXIT_INPUT;
}

/* A compare record: recompute the oracle and judge the candidate's recorded values. */
static int replay_compare(const char *path, const json_t *rec, const gp_network *net,
                          const gsl_matrix *X, const gsl_matrix *Y,
                          const gp_regularization *reg) {
    gp_precision prec;
    const json_t *fs = json_object_get(rec, "failures");
    if (gp_precision_lookup(json_string_value(json_object_get(rec, "precision")),
                            &prec) ||
        !json_is_array(fs) || json_array_size(fs) == 0)
        return bad_record(path, "no precision or no failures");
    cli_dump d;
    if (dump_compute(net, X, Y, reg, &d))
        return bad_record(path, "the oracle could not be computed");
    gp_fcheck_opts opts;
    gp_fcheck_opts_compare(&opts, prec);
    opts.n_worst = GP_GRADCHECK_MAX_WORST;
    size_t nf = json_array_size(fs);
    gp_tensor_range *t = calloc(nf, sizeof *t);
    size_t *which = calloc(nf, sizeof *which);
    int status = 0;
    gp_fcheck_report *r = NULL;
    if (!t || !which) {
        status = bad_record(path, "out of memory");
        goto done;
    }
    for (size_t q = 0; q < nf; q++) {
        const json_t *f = json_array_get(fs, q);
        const char *name = json_string_value(json_object_get(f, "tensor"));
        size_t i = d.n;
        for (size_t k = 0; name && k < d.n; k++)
            if (!strcmp(d.name[k], name))
                i = k;
        json_int_t idx = json_integer_value(json_object_get(f, "index"));
        if (i == d.n || idx < 0 || (size_t)idx >= d.t[i]->size1 * d.t[i]->size2) {
            status = bad_record(path, "a failure names an unknown tensor or index");
            goto done;
        }
        which[q] = i;
        t[q].name = d.name[i];
        t[q].length = d.t[i]->size1 * d.t[i]->size2;
        t[q].cols = d.t[i]->size2 > 1 ? d.t[i]->size2 : 0;
    }
    r = gp_fcheck_report_alloc(t, nf);
    for (size_t q = 0; r && q < nf; q++) {
        const json_t *f = json_array_get(fs, q);
        const gsl_matrix *M = d.t[which[q]];
        size_t idx = (size_t)json_integer_value(json_object_get(f, "index")),
               cols = M->size2;
        double scale = 0;
        for (size_t k = 0; k < M->size1 * cols; k++)
            scale = fmax(scale, fabs(gsl_matrix_get(M, k / cols, k % cols)));
        gp_fcheck_set_scale(r, q, scale);
        gp_fcheck_add(r, &opts, q, idx, num_value(json_object_get(f, "actual")),
                      gsl_matrix_get(M, idx / cols, idx % cols), 0.0);
    }
    if (!r) {
        status = bad_record(path, "out of memory");
        goto done;
    }
    printf("replay %s: compare record, %s tolerances, %zu recorded entries\n", path,
           gp_precision_name(prec), nf);
    print_report(stdout, r, "oracle", "candidate");
    printf("%s\n", r->n_failed ? "still fails" : "now passes");
    status = r->n_failed ? 1 : 0;
done:
    gp_fcheck_report_free(r);
    free(t);
    free(which);
    dump_free(&d);
    return status;
}

/* A check record: gradproof's own formulas on the recorded network, fully checked by
 * the check engine (gp_check_formula); "params" carries the record's L2/L1 terms. */
static int replay_check(const char *path, const json_t *rec, const gp_network *net,
                        const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *reg) {
    const char *formula = json_string_value(json_object_get(rec, "formula"));
    if (!formula || (strcmp(formula, "delta") && strcmp(formula, "params")))
        return bad_record(path, "formula must be \"delta\" or \"params\"");
    gp_formula f = strcmp(formula, "delta") ? GP_FORMULA_REG : GP_FORMULA_DELTA;
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_fcheck_report *r = gp_formula_report_alloc(f, net, X->size2);
    int s = r ? gp_check_formula(f, net, X, Y, reg, &go, r) : GSL_ENOMEM;
    if (s) {
        gp_fcheck_report_free(r);
        return bad_record(path, gsl_strerror(s));
    }
    printf("replay %s: check record (%s), %zu entries checked, %zu failed\n", path,
           formula, r->n_checked, r->n_failed);
    if (r->n_failed) {
        const gp_fcheck_entry *e = &r->worst[0];
        char name[64];
        gp_fcheck_entry_name(r, e, name, sizeof name);
        printf("worst: %s analytic %.17g numeric %.17g abserr %.3g\n", name, e->analytic,
               e->numeric, e->abserr);
    }
    printf("%s\n", r->n_failed ? "still fails" : "now passes");
    int failed = r->n_failed != 0;
    gp_fcheck_report_free(r);
    return failed;
}

int cmd_replay(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return replay_usage(stdout);
    if (argc != 2 || argv[1][0] == '-')
        return argc == 2 ? cli_error("replay", "unknown option '%s'", argv[1])
                         : cli_error("replay", "expected one RECORD");
    const char *path = argv[1];
    json_error_t je;
    json_t *rec = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    char err[GP_IDX_ERRLEN], msg[GP_IDX_ERRLEN + 64];
    if (!rec) {
        snprintf(msg, sizeof msg, "not JSON: %s (line %d)", je.text, je.line);
        return bad_record(path, msg);
    }
    const char *fmt = json_string_value(json_object_get(rec, "format"));
    json_int_t version = json_integer_value(json_object_get(rec, "version"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    int status;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_regularization reg = {0, 0, 0};
    if (!fmt || strcmp(fmt, RECORD_FORMAT)) {
        status = bad_record(path, "not a gradproof record (format)");
        goto done;
    }
    if (version != RECORD_VERSION) {
        snprintf(msg, sizeof msg, "record version %lld, this gradproof reads %d",
                 (long long)version, RECORD_VERSION);
        status = bad_record(path, msg);
        goto done;
    }
    if (network_from_json(json_object_get(rec, "network"), path, &net, err, sizeof err)) {
        status = bad_record(path, strchr(err, ' ') ? strchr(err, ' ') + 1 : err);
        goto done;
    }
    snprintf(msg, sizeof msg, "%s: x", path);
    if (matrix_from_json(json_object_get(rec, "x"), msg, &X, err, sizeof err) ||
        (snprintf(msg, sizeof msg, "%s: y", path),
         matrix_from_json(json_object_get(rec, "y"), msg, &Y, err, sizeof err))) {
        fprintf(stderr, CLI_NAME ": %s\n", err);
        status = CLI_EXIT_INPUT;
        goto done;
    }
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[net->p.L] ||
        Y->size2 != X->size2) {
        status = bad_record(path, "x and y do not fit the network");
        goto done;
    }
    reg.lambda = json_number_value(json_object_get(rec, "lambda"));
    reg.l1 = json_number_value(json_object_get(rec, "l1"));
    reg.n = (size_t)json_integer_value(json_object_get(rec, "n"));
    if (!(reg.lambda >= 0) || !(reg.l1 >= 0)) {
        status = bad_record(path, "lambda and l1 must be >= 0");
        goto done;
    }
    if (kind && !strcmp(kind, "compare"))
        status = replay_compare(path, rec, net, X, Y, &reg);
    else if (kind && !strcmp(kind, "check"))
        status = replay_check(path, rec, net, X, Y, &reg);
    else
        status = bad_record(path, "kind must be \"compare\" or \"check\"");
done:
    json_decref(rec);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}
