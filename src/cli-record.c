/* cli-record.c: `gradproof replay`, and the report printing shared with compare. */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli-record.h"

int cli_write_json(const json_t *v, const char *path) {
    char err[GP_IDX_ERRLEN] = "";
    char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t n = text ? strlen(text) : 0;
    int r;
    if (text == NULL)
        return cli_input_error(NULL, "out of memory");
    text[n] = '\n'; /* json_dumps leaves room for its NUL: the newline replaces it */
    r = gp_atomic_write(path, text, n + 1, err, sizeof err);
    free(text);
    return r ? cli_input_error(NULL, "%s", err) : 0;
}

void print_report(FILE *f, const gp_fcheck_report *r, const gp_precision *prec,
                  const char *ref_name, const char *cand_name) {
    fprintf(f, "%-10s %9s %7s %12s %12s %11s %9s  %s\n", "tensor", "entries", "failed",
            "max abs err", "max rel err", "scale", "precision", "verdict");
    const char *first = NULL;
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        fprintf(f, "%-10s %9zu %7zu %12.3e %12.3e %11.3e %9s  %s\n", s->name,
                s->n_checked, s->n_failed, s->max_abs_error, s->max_rel_error, s->scale,
                prec ? gp_precision_name(prec[t]) : "-", s->n_failed ? "FAIL" : "ok");
        if (s->n_failed && !first)
            first = s->name;
    }
    if (r->n_worst && r->worst[0].score > 1) {
        fprintf(f, "worst offenders:\n  %-16s %24s %24s %10s %10s %10s\n", "entry",
                ref_name, cand_name, "abs err", "rel err", "allowed");
        for (size_t q = 0; q < r->n_worst && r->worst[q].score > 1; q++) {
            const gp_fcheck_entry *e = &r->worst[q];
            char pos[64];
            gp_fcheck_entry_name(r, e, pos, sizeof pos);
            fprintf(f, "  %-16s %24.17g %24.17g %10.3e %10.3e %10.3e\n", pos, e->numeric,
                    e->analytic, e->error, e->rel_error, e->allowed);
        }
    }
    if (first)
        fprintf(f, "first disagreement in computation order: %s\n", first);
}

/* One worst offender as JSON; non-finite values as strings (JSON has no NaN). */
static json_t *json_entry(const gp_fcheck_report *r, const gp_fcheck_entry *e) {
    const gp_fcheck_tensor *s = &r->tensors[e->tensor];
    json_t *w = json_pack("{s:s, s:I}", "tensor", s->name, "index", (json_int_t)e->index);
    if (s->cols) {
        json_object_set_new(w, "row", json_integer((json_int_t)(e->index / s->cols)));
        json_object_set_new(w, "col", json_integer((json_int_t)(e->index % s->cols)));
    }
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
    return w;
}

json_t *json_report(const gp_fcheck_report *r, const gp_precision *prec) {
    json_t *o = json_object(), *ts = json_array(), *ws = json_array();
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        json_t *j =
            json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:b}", "tensor", s->name, "entries",
                      (json_int_t)s->n_checked, "failed", (json_int_t)s->n_failed,
                      "max_abs_error", s->max_abs_error, "max_rel_error",
                      isfinite(s->max_rel_error) ? s->max_rel_error : -1.0, "scale",
                      s->scale, "ok", s->n_failed == 0);
        if (prec)
            json_object_set_new(j, "precision", json_string(gp_precision_name(prec[t])));
        json_array_append_new(ts, j);
    }
    for (size_t q = 0; q < r->n_worst; q++)
        json_array_append_new(ws, json_entry(r, &r->worst[q]));
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

/* ---- replay ---- */

static int replay_usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " replay RECORD [--candidate DUMP] [--precision P]\n"
        "Rerun a failure record written by 'compare --record' or 'check --record'.\n"
        "Every record carries its network, samples x, y and lambda, l1, n; the oracle\n"
        "is always recomputed from them (nothing is trusted from the record's numbers\n"
        "but the candidate's).\n"
        "  compare record, alone: the recorded candidate values of the failing entries\n"
        "      are judged again by compare's rule (each entry in the precision it was\n"
        "      recorded with): reproduces the verdict; it passes only if the record's\n"
        "      values are edited.\n"
        "  compare record, --candidate DUMP: a fresh candidate dump of the recorded\n"
        "      case (a JSON file or .npy directory in compare's CANDIDATE layout, e.g.\n"
        "      from your fixed code on the record's network and x, y) is compared with\n"
        "      the recomputed oracle exactly as 'compare' does, every tensor it has,\n"
        "      precision inferred per tensor unless --precision is given.\n"
        "  check record: gradproof's own formula (\"delta\" or \"params\") is checked\n"
        "      again on the recorded case against gsl_deriv_central, every entry.\n"
        "      --candidate does not apply (usage error).\n\n"
        "  --candidate=DUMP  a fresh candidate dump (compare records)\n"
        "  --precision=P     float32 or float64 for every tensor of --candidate\n"
        "  -h, --help        show this help\n"
        "Exit status: 0 passes now, 1 still fails or usage error, 2 unusable record or\n"
        "candidate.\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int replay_compare(const char *path, const gp_record *rec, const char *cpath,
                          const gp_dump_compare_opts *opts) {
    char err[GP_IDX_ERRLEN] = "";
    gp_dump o, cd;
    gp_fcheck_report *r = NULL;
    gp_precision prec[GP_DUMP_MAX_TENSORS];
    int s;
    gp_dump_init(&o, 1);
    gp_dump_init(&cd, 1);
    if (cpath) {
        /* The oracle's shapes are needed to read the candidate. */
        if (gp_dump_compute(rec->net, rec->X, rec->Y, &rec->reg, &o))
            return cli_input_error(NULL, "replay: the oracle could not be computed");
        if (gp_dump_read(cpath, &o, &cd, err, sizeof err)) {
            gp_dump_free(&o);
            return cli_input_error(NULL, "%s", err);
        }
    }
    s = gp_record_replay_compare(rec, cpath ? &cd : NULL, opts, &r, prec);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    if (s) {
        gp_fcheck_report_free(r);
        snprintf(err, sizeof err, "%s: %s", path, gsl_strerror(s));
        return cli_input_error(NULL, "%s", err);
    }
    printf("replay %s: compare record, %s%s, %zu values in %zu tensors\n", path,
           cpath ? "fresh candidate " : "recorded entries", cpath ? cpath : "",
           r->n_checked, r->n_tensors);
    print_report(stdout, r, prec, "oracle", "candidate");
    printf("%s\n", r->n_failed ? "still fails" : "now passes");
    s = r->n_failed ? 1 : 0;
    gp_fcheck_report_free(r);
    return s;
}

/* A check record: gradproof's own formula on the recorded case, fully checked by the
 * check engine (gp_check_formula); "params" carries the record's L2/L1 terms. */
static int replay_check(const char *path, const gp_record *rec) {
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_fcheck_report *r = gp_formula_report_alloc(rec->formula, rec->net, rec->X->size2);
    int s =
        r ? gp_check_formula(rec->formula, rec->net, rec->X, rec->Y, &rec->reg, &go, r)
          : GSL_ENOMEM;
    if (s) {
        gp_fcheck_report_free(r);
        return cli_input_error(NULL, "%s", gsl_strerror(s));
    }
    printf("replay %s: check record (%s), %zu entries checked, %zu failed\n", path,
           rec->formula == GP_FORMULA_DELTA ? "delta" : "params", r->n_checked,
           r->n_failed);
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
    static const struct option longopts[] = {{"candidate", required_argument, NULL, 'c'},
                                             {"precision", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *cpath = NULL;
    gp_dump_compare_opts opts;
    gp_precision prec;
    int c, have_prec = 0;
    gp_dump_compare_opts_default(&opts);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'c')
            cpath = optarg;
        else if (c == 'p') {
            if (gp_precision_lookup(optarg, &prec))
                return cli_error("replay",
                                 "invalid --precision '%s': expected float32 or float64",
                                 optarg);
            for (size_t i = 0; i < GP_DUMP_MAX_TENSORS; i++)
                opts.precision[i] = (int)prec;
            have_prec = 1;
        } else if (c == 'h')
            return replay_usage(stdout);
        else
            return cli_bad_option("replay", c, argv);
    }
    if (argc - optind != 1)
        return cli_error("replay", "expected one RECORD");
    if (have_prec && !cpath)
        return cli_error("replay", "--precision applies to --candidate only");
    const char *path = argv[optind];
    char err[GP_IDX_ERRLEN] = "";
    gp_record *rec = NULL;
    if (gp_record_read(path, &rec, err, sizeof err))
        return cli_input_error(NULL, "%s", err);
    int status;
    if (rec->kind == GP_RECORD_CHECK && cpath)
        status = cli_error("replay",
                           "--candidate applies to compare records; %s is a "
                           "check record",
                           path);
    else if (rec->kind == GP_RECORD_CHECK)
        status = replay_check(path, rec);
    else
        status = replay_compare(path, rec, cpath, &opts);
    gp_record_free(rec);
    return status;
}
