/* report.c: the comparison report shared by compare and replay: the printed table and
 * its JSON form, and the atomic JSON writer. */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "report.h"

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
