/* src/record.c: failure records (see gradproof/record.h): writing, shrink-then-record,
 * reading back and replaying. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/gradproof.h>
#include <gradproof/record.h>

#include "internal.h"
#include "ioutil.h"

/* JSON has no NaN or infinity: those are written as strings and read back by strtod. */
static json_t *num(double x) {
    char b[32];
    snprintf(b, sizeof b, "%g", x);
    return isfinite(x) ? json_real(x) : json_string(b);
}

/* A recorded value: a number, or a string strtod reads whole; nonzero otherwise. */
static int num_value(const json_t *v, double *x) {
    const char *s = json_string_value(v);
    char *end = NULL;
    if (json_is_number(v))
        *x = json_number_value(v);
    else if (s != NULL && *s != '\0')
        *x = strtod(s, &end);
    return !json_is_number(v) && (end == NULL || *end != '\0');
}

static json_t *record_base(const char *kind, const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, const gp_regularization *reg,
                           char *errbuf, size_t errlen) {
    json_t *o = json_pack("{s:s, s:i, s:s, s:s}", "format", GP_RECORD_FORMAT, "version",
                          GP_RECORD_VERSION, "gradproof", gp_version(), "kind", kind);
    return gpi_dump_inputs(o, net, X, Y, reg, errbuf, errlen);
}

/* Write o (consumed) to path; "path: message" on a failure to build it. */
static int finish(json_t *o, json_t *fs, const char *path, char *errbuf, size_t errlen) {
    int status;
    if (o == NULL) {
        json_decref(fs);
        char e[256];
        snprintf(e, sizeof e, "%s", errbuf ? errbuf : "");
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: cannot record: %s", path, e);
    }
    json_object_set_new(o, "failures", fs);
    status = gpi_json_write(o, path, errbuf, errlen);
    json_decref(o);
    return status;
}

int gp_record_write_compare(const char *path, const gp_network *net, const gsl_matrix *X,
                            const gsl_matrix *Y, const gp_regularization *reg,
                            const gp_fcheck_report *r, const gp_precision *precision,
                            char *errbuf, size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    json_t *o = record_base("compare", net, X, Y, reg, errbuf, errlen),
           *fs = json_array();
    gp_precision top = GP_FLOAT64;
    for (size_t q = 0; q < r->n_worst && r->worst[q].score > 1; q++) {
        const gp_fcheck_entry *e = &r->worst[q];
        gp_precision p = precision ? precision[e->tensor] : GP_FLOAT64;
        json_t *f =
            json_pack("{s:s, s:I, s:s}", "tensor", r->tensors[e->tensor].name, "index",
                      (json_int_t)e->index, "precision", gp_precision_name(p));
        if (q == 0)
            top = p;
        json_object_set_new(f, "expected", num(e->numeric));
        json_object_set_new(f, "actual", num(e->analytic));
        json_object_set_new(f, "abs_error", num(e->error));
        json_object_set_new(f, "error_estimate", num(e->abserr));
        json_array_append_new(fs, f);
    }
    if (o != NULL) {
        /* Version 1 readers take one precision: that of the worst entry. */
        json_object_set_new(o, "precision", json_string(gp_precision_name(top)));
        json_object_set_new(o, "seed", json_null());
    }
    return finish(o, fs, path, errbuf, errlen);
}

int gp_record_write_check(const char *path, gp_formula formula, const gp_network *net,
                          const gsl_matrix *X, const gsl_matrix *Y,
                          const gp_regularization *reg, unsigned long seed,
                          size_t case_index, const gp_fcheck_report *r, char *errbuf,
                          size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    json_t *o = record_base("check", net, X, Y, formula == GP_FORMULA_REG ? reg : NULL,
                            errbuf, errlen),
           *fs = json_array();
    for (size_t q = 0; q < r->n_worst && r->worst[q].score > 1; q++) {
        const gp_fcheck_entry *e = &r->worst[q];
        gp_tensor kind;
        size_t j, k;
        gp_fcheck_entry_locate(r, e, &kind, NULL, &j, &k);
        json_t *f = json_pack("{s:s, s:I, s:I}", "tensor", r->tensors[e->tensor].name,
                              "row", (json_int_t)j,
                              kind == GP_TENSOR_Z ? "sample" : "col", (json_int_t)k);
        json_object_set_new(f, "analytic", num(e->analytic));
        json_object_set_new(f, "numeric", num(e->numeric));
        json_object_set_new(f, "error_estimate", num(e->abserr));
        json_array_append_new(fs, f);
    }
    if (o != NULL) {
        json_object_set_new(
            o, "formula", json_string(formula == GP_FORMULA_DELTA ? "delta" : "params"));
        json_object_set_new(o, "precision", json_string("float64"));
        json_object_set_new(o, "seed", json_integer((json_int_t)seed));
        json_object_set_new(o, "case", json_integer((json_int_t)case_index));
    }
    return finish(o, fs, path, errbuf, errlen);
}

/* One formula's check on one case (the check engine's gp_check_formula), as a
 * property for gp_shrink_case: 1 if it fails. */
typedef struct {
    gp_formula formula;
    gp_regularization reg;
    gp_fcheck_report *rep;
} formula_prop;

static int formula_fails(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                         void *params) {
    formula_prop *p = params;
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_fcheck_report_free(p->rep);
    p->rep = gp_formula_report_alloc(p->formula, net, X->size2);
    if (!p->rep || gp_check_formula(p->formula, net, X, Y, &p->reg, &go, p->rep))
        return -1;
    return p->rep->n_failed > 0;
}

/* "shrunk in N steps to sizes [a,b,...], m samples; recorded in PATH" */
static void summary(char *msg, size_t len, size_t steps, const gp_network *n, size_t m,
                    const char *path) {
    int k = snprintf(msg, len, "shrunk in %zu %s to sizes [", steps,
                     GPI_PLURAL(steps, "step", "steps"));
    for (size_t l = 0; l <= n->p.L && k > 0 && (size_t)k < len; l++)
        k += snprintf(msg + k, len - (size_t)k, "%s%zu", l ? "," : "", n->p.sizes[l]);
    if (k > 0 && (size_t)k < len)
        snprintf(msg + k, len - (size_t)k, "], %zu %s; recorded in %s", m,
                 GPI_PLURAL(m, "sample", "samples"), path);
}

int gp_record_check_failure(const char *path, gp_formula formula,
                            const gp_regularization *reg, const gp_network *net,
                            const gsl_matrix *X, const gsl_matrix *Y, unsigned long seed,
                            size_t case_index, char *msg, size_t len) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(msg, GSL_EINVAL);
    formula_prop p = {formula, reg ? *reg : (gp_regularization){0, 0, 0}, NULL};
    gp_network *n = gp_network_clone(net);
    gsl_matrix *Xs = gsl_matrix_alloc(X->size1, X->size2),
               *Ys = gsl_matrix_alloc(Y->size1, Y->size2);
    size_t steps = 0;
    int status;
    if (!n || !Xs || !Ys) {
        status = GPI_FAIL(msg, len, GSL_ENOMEM, "out of memory");
        goto done;
    }
    gsl_matrix_memcpy(Xs, X);
    gsl_matrix_memcpy(Ys, Y);
    if (gp_shrink_case(formula_fails, &p, 2000, &n, &Xs, &Ys, &steps) ||
        formula_fails(n, Xs, Ys, &p) != 1) {
        status = GPI_FAIL(msg, len, GSL_EFAILED, "the failure did not reproduce");
        goto done;
    }
    status = gp_record_write_check(path, formula, n, Xs, Ys, &p.reg, seed, case_index,
                                   p.rep, msg, len);
    if (!status)
        summary(msg, len, steps, n, Xs->size2, path);
done:
    gp_fcheck_report_free(p.rep);
    gp_network_free(n);
    gsl_matrix_free(Xs);
    gsl_matrix_free(Ys);
    return status;
}

void gp_record_free(gp_record *rec) {
    if (rec == NULL)
        return;
    gp_network_free(rec->net);
    gsl_matrix_free(rec->X);
    gsl_matrix_free(rec->Y);
    free(rec->failures);
    free(rec);
}

/* Format, version and kind of a record object. */
static int read_kind(const json_t *o, const char *path, gp_record *rec, char *errbuf,
                     size_t errlen) {
    const char *fmt = json_string_value(json_object_get(o, "format"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const json_t *v = json_object_get(o, "version");
    if (fmt == NULL || strcmp(fmt, GP_RECORD_FORMAT))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not a gradproof record (format)",
                        path);
    if (!json_is_integer(v))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"version\" is missing or not an integer", path);
    if (json_integer_value(v) != GP_RECORD_VERSION)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: record version %lld, this gradproof reads %d", path,
                        (long long)json_integer_value(v), GP_RECORD_VERSION);
    if (kind && !strcmp(kind, "compare"))
        rec->kind = GP_RECORD_COMPARE;
    else if (kind && !strcmp(kind, "check"))
        rec->kind = GP_RECORD_CHECK;
    else
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: kind must be \"compare\" or \"check\"", path);
    return GSL_SUCCESS;
}

/* The check fields: formula, seed, case. */
static int read_check(const json_t *o, const char *path, gp_record *rec, char *errbuf,
                      size_t errlen) {
    const char *formula = json_string_value(json_object_get(o, "formula"));
    if (formula && !strcmp(formula, "delta"))
        rec->formula = GP_FORMULA_DELTA;
    else if (formula && !strcmp(formula, "params"))
        rec->formula = GP_FORMULA_REG; /* with the record's lambda, l1 (0 if none) */
    else
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: formula must be \"delta\" or \"params\"", path);
    rec->seed = (unsigned long)json_integer_value(json_object_get(o, "seed"));
    rec->case_index = (size_t)json_integer_value(json_object_get(o, "case"));
    return GSL_SUCCESS;
}

/* The entries of the oracle's tensor `name` for rec's network and samples; 0 for a
 * name the oracle's dump does not have. */
static size_t tensor_entries(const gp_record *rec, const char *name) {
    const size_t *n = rec->net->p.sizes, m = rec->X->size2;
    char kind[8];
    size_t l;
    gp_dump d;
    gp_dump_init(&d, rec->net->p.L);
    int known = gp_dump_find(&d, name) >= 0;
    gp_dump_free(&d);
    if (!known || !strcmp(name, "cost"))
        return known;
    if (sscanf(name, "%7[a-zA-Z]%zu", kind, &l) != 2)
        return 0;
    return !strcmp(kind, "dW") ? n[l] * n[l - 1] : !strcmp(kind, "db") ? n[l] : n[l] * m;
}

/* The failures of a compare record, each with its precision (else the record's). */
static int read_failures(const json_t *o, const char *path, gp_record *rec, char *errbuf,
                         size_t errlen) {
    const json_t *fs = json_object_get(o, "failures");
    gp_precision top;
    if (gp_precision_lookup(json_string_value(json_object_get(o, "precision")), &top))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"precision\" is missing or not float64, float32, bfloat16 "
                        "or float16",
                        path);
    if (!json_is_array(fs) || json_array_size(fs) == 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: no failures", path);
    rec->n_failures = json_array_size(fs);
    rec->failures = calloc(rec->n_failures, sizeof *rec->failures);
    if (rec->failures == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    for (size_t q = 0; q < rec->n_failures; q++) {
        const json_t *f = json_array_get(fs, q);
        gp_record_entry *e = &rec->failures[q];
        const char *name = json_string_value(json_object_get(f, "tensor"));
        json_int_t idx = json_integer_value(json_object_get(f, "index"));
        const json_t *p = json_object_get(f, "precision");
        if (name == NULL || strlen(name) >= sizeof e->tensor || idx < 0 ||
            !json_is_integer(json_object_get(f, "index")) ||
            (p != NULL && gp_precision_lookup(json_string_value(p), &e->precision)))
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: failures[%zu] lacks a valid tensor, index or precision",
                            path, q);
        if ((size_t)idx >= tensor_entries(rec, name))
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: failures[%zu]: the oracle has no entry %s[%lld] for the "
                            "record's network and samples",
                            path, q, name, (long long)idx);
        if (p == NULL)
            e->precision = top;
        strcpy(e->tensor, name);
        e->index = (size_t)idx;
        if (num_value(json_object_get(f, "expected"), &e->expected) ||
            num_value(json_object_get(f, "actual"), &e->actual))
            return GPI_FAIL(
                errbuf, errlen, GSL_EINVAL,
                "%s: failures[%zu]: \"expected\" and \"actual\" must be numbers "
                "(\"nan\" and \"inf\" as strings)",
                path, q);
    }
    return GSL_SUCCESS;
}

/* The recorded case's oracle must be finite: a network whose values overflow float64
 * on the record's samples cannot be judged (the oracle refuses such a dump). */
static int case_finite(const gp_record *rec, const char *path, char *errbuf,
                       size_t errlen) {
    gp_dump d;
    size_t k, i, j;
    int r = gp_dump_compute(rec->net, rec->X, rec->Y, &rec->reg, &d);
    if (r)
        return GPI_FAIL(errbuf, errlen, r, "%s: the oracle cannot be computed: %s", path,
                        gsl_strerror(r));
    if (gp_dump_nonfinite(&d, &k, &i, &j))
        r = GPI_FAIL(errbuf, errlen, GSL_EDOM,
                     "%s: %s[%zu][%zu] is %g on the record's samples: its network's "
                     "values overflow float64",
                     path, d.name[k], i, j, gsl_matrix_get(d.t[k], i, j));
    gp_dump_free(&d);
    return r;
}

int gp_record_read(const char *path, gp_record **out, char *errbuf, size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    json_t *o = NULL;
    gp_record *rec;
    int r;
    *out = NULL;
    r = gpi_json_load(path, 0, &o, errbuf, errlen);
    if (r)
        return r;
    rec = calloc(1, sizeof *rec);
    if (rec == NULL) {
        json_decref(o);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    r = read_kind(o, path, rec, errbuf, errlen);
    r = r ? r
          : gpi_dump_inputs_from_json(o, path, &rec->net, &rec->X, &rec->Y, &rec->reg,
                                      errbuf, errlen);
    if (!r && rec->kind == GP_RECORD_CHECK)
        r = read_check(o, path, rec, errbuf, errlen);
    else if (!r)
        r = read_failures(o, path, rec, errbuf, errlen);
    r = r ? r : case_finite(rec, path, errbuf, errlen);
    json_decref(o);
    if (r)
        gp_record_free(rec);
    else
        *out = rec;
    return r;
}

/* The candidate a compare record holds: for every tensor it names, the oracle's values
 * with the recorded entries put back; opts forces each tensor's recorded precision. */
static int recorded_candidate(const gp_record *rec, const gp_dump *o, gp_dump *cand,
                              gp_dump_compare_opts *opts) {
    gp_dump_init(cand, o->L);
    for (size_t q = 0; q < rec->n_failures; q++) {
        const gp_record_entry *e = &rec->failures[q];
        int i = gp_dump_find(o, e->tensor);
        if (i < 0 || e->index >= o->t[i]->size1 * o->t[i]->size2)
            GSL_ERROR("a failure names an unknown tensor or index", GSL_EINVAL);
        if (cand->t[i] == NULL) {
            cand->t[i] = gsl_matrix_alloc(o->t[i]->size1, o->t[i]->size2);
            if (cand->t[i] == NULL)
                GSL_ERROR("out of memory", GSL_ENOMEM);
            gsl_matrix_memcpy(cand->t[i], o->t[i]);
        }
        size_t cols = o->t[i]->size2;
        gsl_matrix_set(cand->t[i], e->index / cols, e->index % cols, e->actual);
        opts->precision[i] = (int)e->precision;
    }
    return GSL_SUCCESS;
}

/* The diagnosis of the first disagreeing tensor again, from its recorded entries only
 * (gpi_diag_mask): the recorded candidate holds the oracle's values elsewhere, so a
 * diagnosis of the whole tensor would see a mix (a sum over the batch in 10 entries, the
 * mean in the rest) that no hypothesis explains. */
static void diagnose_recorded(const gp_record *rec, const gp_dump *o, const gp_dump *cand,
                              const gp_dump_compare_opts *ro) {
    gp_dump_verdict *v = ro->verdict;
    size_t q = 0, n = 0;
    while (v && v->certified && q < v->n && v->t[q].verdict != GP_VERDICT_DISAGREE)
        q++;
    int i = v && v->certified && q < v->n ? gp_dump_find(o, v->t[q].name) : -1;
    if (i < 0 || cand->t[i] == NULL)
        return;
    gsl_matrix *mask = gsl_matrix_calloc(o->t[i]->size1, o->t[i]->size2);
    gp_diag *d = mask ? gp_diag_alloc(ro->net, ro->X, ro->Y, ro->reg) : NULL;
    for (size_t k = 0; d && k < rec->n_failures; k++)
        if (!strcmp(rec->failures[k].tensor, o->name[i])) {
            mask->data[rec->failures[k].index] = 1; /* size2 == tda: calloc'ed */
            n++;
        }
    if (d) {
        gpi_diag_mask(d, mask);
        gp_diag_tensor(d, o->name[i], cand->t[i], 0, &v->diagnosis);
        char text[sizeof v->diagnosis.text];
        snprintf(text, sizeof text, "%.160s; from the %zu recorded entries of %.31s",
                 v->diagnosis.text, n, o->name[i]);
        memcpy(v->diagnosis.text, text, sizeof text);
    }
    gp_diag_free(d);
    gsl_matrix_free(mask);
}

int gp_record_replay_compare(const gp_record *rec, const gp_dump *cand,
                             const gp_dump_compare_opts *opts, gp_fcheck_report **report,
                             gp_precision *precision) {
    GPI_NONNULL(rec, GSL_EINVAL);
    GPI_NONNULL(report, GSL_EINVAL);
    gp_dump o, mine;
    gp_dump_compare_opts ro;
    int status;
    *report = NULL;
    if (rec->kind != GP_RECORD_COMPARE)
        GSL_ERROR("not a compare record", GSL_EINVAL);
    status = gp_dump_compute(rec->net, rec->X, rec->Y, &rec->reg, &o);
    if (status)
        return status;
    if (opts != NULL)
        ro = *opts;
    else
        gp_dump_compare_opts_default(&ro);
    if (ro.net == NULL) { /* the record's inputs: the certified rule, as compare */
        ro.net = rec->net;
        ro.X = rec->X;
        ro.Y = rec->Y;
        ro.reg = &rec->reg;
    }
    gp_dump_init(&mine, o.L);
    if (cand == NULL) {
        ro.n_worst = GP_GRADCHECK_MAX_WORST;
        status = recorded_candidate(rec, &o, &mine, &ro);
        cand = &mine;
    }
    if (!status)
        status = gp_dump_compare(&o, cand, &ro, report, precision);
    if (!status && cand == &mine)
        diagnose_recorded(rec, &o, &mine, &ro);
    gp_dump_free(&mine);
    gp_dump_free(&o);
    return status;
}
