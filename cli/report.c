/* report.c: the comparison report shared by compare and replay: the printed table and
 * its JSON form, and the atomic JSON writer. */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "report.h"

int cli_write_json(const char *cmd, const char *opt, const json_t *v, const char *path) {
    char err[GP_IDX_ERRLEN] = "";
    char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t n = text ? strlen(text) : 0;
    int r;
    if (text == NULL)
        return cli_input_error(NULL, "out of memory");
    text[n] = '\n'; /* json_dumps leaves room for its NUL: the newline replaces it */
    r = gp_atomic_write(path, text, n + 1, err, sizeof err);
    free(text);
    return r ? cli_write_error(cmd, opt, path, err) : 0;
}

const char *verdict_word(const gp_fcheck_report *r, const gp_dump_verdict *v) {
    if (v && v->certified)
        return v->verdict == GP_VERDICT_DISAGREE       ? "DISAGREE"
               : v->verdict == GP_VERDICT_INCONCLUSIVE ? "inconclusive"
                                                       : "agree";
    return r->n_failed ? "DISAGREE" : "agree";
}

/* The rule that decided and, for the certified rule, the entry counts and diagnosis. */
static void print_rule(FILE *f, const gp_dump_verdict *v) {
    if (!v)
        return;
    if (!v->certified) {
        fprintf(f, "rule: fixed tolerances (%s)\n", v->reason);
        return;
    }
    fprintf(f,
            "rule: certified (an entry disagrees beyond the worst-case rounding bound of "
            "its precision plus the oracle's own; agrees within the probabilistic "
            "bound, failure probability <= %.1e; doc/bounds.md)\n"
            "entries: %zu agree, %zu inconclusive, %zu disagree\n",
            v->prob_fail, v->n_agree, v->n_inconclusive, v->n_disagree);
    if (v->diagnosis.kind != GP_DIAG_NONE)
        fprintf(f, "diagnosis: %s\n", v->diagnosis.text);
    else if (v->verdict == GP_VERDICT_DISAGREE)
        fprintf(f, "diagnosis: none of the named hypotheses explains it\n");
}

static const char *tensor_word(const gp_fcheck_tensor *s, const gp_dump_verdict *v,
                               size_t t) {
    if (v && v->certified)
        return v->t[t].verdict == GP_VERDICT_DISAGREE       ? "DISAGREE"
               : v->t[t].verdict == GP_VERDICT_INCONCLUSIVE ? "inconclusive"
                                                            : "agree";
    return s->n_failed ? "FAIL" : "ok";
}

void print_report(FILE *f, const gp_fcheck_report *r, const gp_precision *prec,
                  const gp_dump_verdict *v, const char *ref_name, const char *cand_name) {
    int cert = v && v->certified;
    fprintf(f, "%-10s %9s %7s %7s %12s %12s %11s %9s  %s\n", "tensor", "entries",
            "failed", "inconcl", "max abs err", "max rel err", "scale", "precision",
            "verdict");
    const char *first = NULL;
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        char inc[24] = "-";
        if (cert)
            snprintf(inc, sizeof inc, "%zu", v->t[t].counts.n_inconclusive);
        fprintf(f, "%-10s %9zu %7zu %7s %12.3e %12.3e %11.3e %9s  %s\n", s->name,
                s->n_checked, s->n_failed, inc, s->max_abs_error, s->max_rel_error,
                s->scale, prec ? gp_precision_name(prec[t]) : "-", tensor_word(s, v, t));
        if (s->n_failed && !first)
            first = s->name;
    }
    if (r->n_worst && r->worst[0].score > 1) {
        fprintf(f, "worst offenders:\n  %-16s %24s %24s %10s %10s %10s\n", "entry",
                ref_name, cand_name, "abs err", "rel err", cert ? "bound" : "allowed");
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
    print_rule(f, v);
}

/* The certified verdict's parts of the JSON report. */
static void json_verdict(json_t *o, const gp_dump_verdict *v) {
    json_object_set_new(o, "rule",
                        json_string(v && v->certified ? "certified" : "fixed"));
    if (!v || !v->certified)
        return;
    json_t *ts = json_object_get(o, "tensors");
    for (size_t t = 0; t < v->n && t < json_array_size(ts); t++) {
        const gp_dump_tensor_verdict *x = &v->t[t];
        json_t *j = json_array_get(ts, t);
        json_object_set_new(j, "verdict", json_string(gp_verdict_name(x->verdict)));
        json_object_set_new(j, "n_agree", json_integer((json_int_t)x->counts.n_agree));
        json_object_set_new(j, "n_inconclusive",
                            json_integer((json_int_t)x->counts.n_inconclusive));
        json_object_set_new(j, "n_disagree",
                            json_integer((json_int_t)x->counts.n_disagree));
        if (isfinite(x->counts.max_ratio))
            json_object_set_new(j, "max_error_to_bound", json_real(x->counts.max_ratio));
    }
    json_object_set_new(o, "verdict", json_string(gp_verdict_name(v->verdict)));
    json_object_set_new(o, "prob_fail", json_real(v->prob_fail));
    if (v->diagnosis.kind != GP_DIAG_NONE)
        json_object_set_new(o, "diagnosis",
                            json_pack("{s:s, s:s, s:s, s:f, s:f, s:I}", "kind",
                                      gp_diag_kind_name(v->diagnosis.kind), "tensor",
                                      v->diagnosis.tensor, "text", v->diagnosis.text,
                                      "residual", v->diagnosis.residual, "param",
                                      v->diagnosis.param, "index",
                                      (json_int_t)v->diagnosis.index));
}

/* x as JSON; a non-finite x as its string, "inf" or "nan" (JSON has neither). */
static json_t *json_number(double x) {
    char b[32];
    snprintf(b, sizeof b, "%g", x);
    return isfinite(x) ? json_real(x) : json_string(b);
}

/* One worst offender as JSON; non-finite values as strings (json_number). */
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
    for (int k = 0; k < 6; k++)
        json_object_set_new(w, keys[k], json_number(vals[k]));
    json_object_set_new(w, "failed", json_boolean(e->score > 1));
    return w;
}

json_t *json_report(const gp_fcheck_report *r, const gp_precision *prec,
                    const gp_dump_verdict *v) {
    json_t *o = json_object(), *ts = json_array(), *ws = json_array();
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        json_t *j = json_pack(
            "{s:s, s:I, s:I, s:o, s:o, s:f, s:b}", "tensor", s->name, "entries",
            (json_int_t)s->n_checked, "failed", (json_int_t)s->n_failed, "max_abs_error",
            json_number(s->max_abs_error), "max_rel_error", json_number(s->max_rel_error),
            "scale", s->scale, "ok", s->n_failed == 0);
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
    json_verdict(o, v);
    return o;
}
