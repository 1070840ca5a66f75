/* record.c: writing failure records (versioned, self-contained JSON), and shrinking a
 * failed derivation check before recording it. Prints nothing: shared by the CLI and the
 * Check suites. `gradproof replay` (cli-record.c) reads the records back. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli-record.h"

static json_t *record_base(const char *kind, const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, const gp_regularization *reg) {
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string(RECORD_FORMAT));
    json_object_set_new(o, "version", json_integer(RECORD_VERSION));
    json_object_set_new(o, "gradproof", json_string(gp_version()));
    json_object_set_new(o, "kind", json_string(kind));
    return json_inputs(o, net, X, Y, reg);
}

static json_t *num(double x) {
    char b[32];
    snprintf(b, sizeof b, "%g", x);
    return isfinite(x) ? json_real(x) : json_string(b);
}

int record_write_compare(const char *path, const char *oracle, gp_precision prec,
                         const gp_fcheck_report *r, char *err, size_t errlen) {
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization reg;
    if (dump_read_inputs(oracle, &net, &X, &Y, &reg, err, errlen))
        return 1;
    json_t *o = record_base("compare", net, X, Y, &reg), *fs = json_array();
    json_object_set_new(o, "precision", json_string(gp_precision_name(prec)));
    json_object_set_new(o, "seed", json_null());
    for (size_t q = 0; q < r->n_worst && r->worst[q].score > 1; q++) {
        const gp_fcheck_entry *e = &r->worst[q];
        const gp_fcheck_tensor *t = &r->tensors[e->tensor];
        json_t *f =
            json_pack("{s:s, s:I}", "tensor", t->name, "index", (json_int_t)e->index);
        json_object_set_new(f, "expected", num(e->numeric));
        json_object_set_new(f, "actual", num(e->analytic));
        json_object_set_new(f, "abs_error", num(e->error));
        json_object_set_new(f, "error_estimate", num(e->abserr));
        json_array_append_new(fs, f);
    }
    json_object_set_new(o, "failures", fs);
    int rc = json_write_atomic(o, path, err, errlen);
    json_decref(o);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return rc;
}

int record_write_check(const char *path, const char *formula, const gp_network *net,
                       const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg, unsigned long seed,
                       size_t case_index, const gp_fcheck_report *r, char *err,
                       size_t errlen) {
    json_t *o = record_base("check", net, X, Y, reg), *fs = json_array();
    json_object_set_new(o, "formula", json_string(formula));
    json_object_set_new(o, "precision", json_string("float64"));
    json_object_set_new(o, "seed", json_integer((json_int_t)seed));
    json_object_set_new(o, "case", json_integer((json_int_t)case_index));
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
    json_object_set_new(o, "failures", fs);
    int rc = json_write_atomic(o, path, err, errlen);
    json_decref(o);
    return rc;
}

/* One formula's check on one case, as a property for gp_shrink_case: 1 if it fails. */
typedef struct {
    record_formula formula;
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

int record_check_failure(const char *path, record_formula formula,
                         const gp_regularization *reg, const gp_network *net,
                         const gsl_matrix *X, const gsl_matrix *Y, unsigned long seed,
                         size_t case_index, char *msg, size_t len) {
    formula_prop p = {formula, reg ? *reg : (gp_regularization){0, 0, 0}, NULL};
    gp_network *n = gp_network_clone(net);
    gsl_matrix *Xs = gsl_matrix_alloc(X->size1, X->size2),
               *Ys = gsl_matrix_alloc(Y->size1, Y->size2);
    size_t steps = 0;
    int rc = 1;
    if (!n || !Xs || !Ys) {
        snprintf(msg, len, "out of memory");
        goto done;
    }
    gsl_matrix_memcpy(Xs, X);
    gsl_matrix_memcpy(Ys, Y);
    if (gp_shrink_case(formula_fails, &p, 2000, &n, &Xs, &Ys, &steps) ||
        formula_fails(n, Xs, Ys, &p) != 1) {
        snprintf(msg, len, "the failure did not reproduce");
        goto done;
    }
    if (record_write_check(path, formula == GP_FORMULA_DELTA ? "delta" : "params", n, Xs,
                           Ys, formula == GP_FORMULA_REG ? &p.reg : NULL, seed,
                           case_index, p.rep, msg, len))
        goto done;
    int k = snprintf(msg, len, "shrunk in %zu steps to sizes [", steps);
    for (size_t l = 0; l <= n->p.L && k > 0 && (size_t)k < len; l++)
        k += snprintf(msg + k, len - (size_t)k, "%s%zu", l ? "," : "", n->p.sizes[l]);
    if (k > 0 && (size_t)k < len)
        snprintf(msg + k, len - (size_t)k, "], %zu samples; recorded in %s", Xs->size2,
                 path);
    rc = 0;
done:
    gp_fcheck_report_free(p.rep);
    gp_network_free(n);
    gsl_matrix_free(Xs);
    gsl_matrix_free(Ys);
    return rc;
}
