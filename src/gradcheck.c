/* gradcheck.c: analytic gradients against gsl_deriv_central (GSL's 5-point rule). */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_randist.h>

#include "internal.h"

/* Insert `item` (size bytes, its double score at score_off) into `list`, kept sorted by
 * score, highest first, and at most min(cap, GP_GRADCHECK_MAX_WORST) long. A NaN score
 * sorts as the lowest. */
static void keep_worst(void *list, size_t *n, size_t cap, size_t size, size_t score_off,
                       const void *item) {
    char *base = list;
    double score;
    memcpy(&score, (const char *)item + score_off, sizeof score);
    if (cap > GP_GRADCHECK_MAX_WORST)
        cap = GP_GRADCHECK_MAX_WORST;
    size_t pos = *n;
    while (pos > 0) {
        double prev;
        memcpy(&prev, base + (pos - 1) * size + score_off, sizeof prev);
        if (prev >= score)
            break;
        pos--;
    }
    if (pos >= cap)
        return;
    size_t last = *n < cap ? *n : cap - 1;
    memmove(base + (pos + 1) * size, base + pos * size, (last - pos) * size);
    memcpy(base + pos * size, item, size);
    if (*n < cap)
        (*n)++;
}

/* ---- any function f: R^n -> R ---- */

static const struct {
    const char *name, *alias;
    double eps; /* machine epsilon = 2u */
} precisions[GP_N_PRECISIONS] = {{"float64", "f64", DBL_EPSILON},
                                 {"float32", "f32", FLT_EPSILON},
                                 {"bfloat16", "bf16", 0x1p-7},
                                 {"float16", "f16", 0x1p-10}};

const char *gp_precision_name(gp_precision p) {
    return (unsigned)p < GP_N_PRECISIONS ? precisions[p].name : "float64";
}

int gp_precision_lookup(const char *name, gp_precision *p) {
    GPI_NONNULL(name, GSL_EINVAL);
    GPI_NONNULL(p, GSL_EINVAL);
    for (int i = 0; name && i < GP_N_PRECISIONS; i++)
        if (!strcmp(name, precisions[i].name) || !strcmp(name, precisions[i].alias)) {
            *p = (gp_precision)i;
            return GSL_SUCCESS;
        }
    GSL_ERROR("precision must be float64, float32, bfloat16 or float16", GSL_EINVAL);
}

static double precision_eps(gp_precision p) {
    return (unsigned)p < GP_N_PRECISIONS ? precisions[p].eps : DBL_EPSILON;
}

void gp_fcheck_opts_default(gp_fcheck_opts *opts, gp_precision p) {
    GPI_NONNULL(opts, );
    double eps = precision_eps(p);
    opts->precision = p;
    opts->abserr_factor = 4.0;
    opts->n_worst = 5;
    /* one ulp assumed, the noise measured where that fails (doc/bounds.md) */
    opts->noise = GP_NOISE_FAILING;
    /* 64 eps = 128u per unit of scale, above the proved binary64 error of each of
     * our elementwise kernels, at most 14u of its value (proofs/FloatBounds.v
     * sigmoid_fl_error, sigmoid_prime_fl_error, softplus_fl_error,
     * xent_term_fl_error); layer sums (proofs/FloatBounds.v dot_gamma_n) are not
     * bounded by scale. h, atol and rtol cover the central difference, which no
     * theorem bounds (doc/mathematics.md); each constant's status: proofs/README.md,
     * "Tolerances". */
    opts->stol = 64 * eps;
    if (p != GP_FLOAT64) {
        opts->h = 1e-2;
        opts->atol = 8 * eps;
        opts->rtol = 4 * sqrt(eps);
    } else {
        opts->h = 1e-4;
        opts->atol = 1e-8;
        opts->rtol = 1e-6;
    }
}

int gp_fcheck_opts_check(const gp_fcheck_opts *opts) {
    if (opts == NULL)
        GSL_ERROR("check options: NULL", GSL_EINVAL);
    if ((unsigned)opts->precision >= GP_N_PRECISIONS ||
        (unsigned)opts->noise > GP_NOISE_FAILING)
        GSL_ERROR("check options: unknown precision or noise mode", GSL_EINVAL);
    /* h = 0 or NaN makes every derivative NaN, so every entry of a right gradient
     * fails; a negative or NaN tolerance fails entries, an infinite one passes all. */
    if (!(opts->h > 0) || !isfinite(opts->h))
        GSL_ERROR("check options: h must be finite and > 0", GSL_EINVAL);
    const double tol[] = {opts->abserr_factor, opts->atol, opts->rtol, opts->stol};
    for (size_t i = 0; i < sizeof tol / sizeof tol[0]; i++)
        if (!(tol[i] >= 0) || !isfinite(tol[i]))
            GSL_ERROR("check options: abserr_factor, atol, rtol and stol must be finite "
                      "and >= 0",
                      GSL_EINVAL);
    if (opts->n_worst > GP_GRADCHECK_MAX_WORST)
        GSL_ERROR("check options: n_worst above GP_GRADCHECK_MAX_WORST", GSL_EINVAL);
    return GSL_SUCCESS;
}

void gp_fcheck_opts_compare(gp_fcheck_opts *opts, gp_precision p) {
    GPI_NONNULL(opts, );
    double eps = precision_eps(p);
    gp_fcheck_opts_default(opts, p);
    /* the candidate's rounding: the oracle's own sigma' is within 14u for every z
     * (proofs/FloatBounds.v sigmoid_prime_fl_error), so the a(1 - a) cancellation rtol
     * allows for is never the oracle's */
    opts->atol = 8 * eps;
    opts->rtol = 4 * sqrt(eps);
    opts->stol = 64 * eps;
}

gp_fcheck_report *gp_fcheck_report_alloc(const gp_tensor_range *t, size_t n_tensors) {
    gp_fcheck_report *r = calloc(1, sizeof *r);
    size_t nt = t ? n_tensors : 1;
    if (r)
        r->tensors = calloc(nt ? nt : 1, sizeof *r->tensors);
    if (!r || !r->tensors) {
        gp_fcheck_report_free(r);
        GSL_ERROR_NULL("out of memory for a report", GSL_ENOMEM);
    }
    r->n_tensors = nt;
    for (size_t i = 0; i < nt; i++) {
        gp_fcheck_tensor *s = &r->tensors[i];
        const char *name = t ? t[i].name : "x";
        snprintf(s->name, sizeof s->name, "%s", name ? name : "?");
        s->offset = t ? t[i].offset : 0;
        s->length = t ? t[i].length : n_tensors;
        s->cols = t ? t[i].cols : 0;
        s->kind = t ? t[i].kind : GP_TENSOR_OTHER;
        s->layer = t ? t[i].layer : 0;
    }
    snprintf(r->directions.name, sizeof r->directions.name, "directions");
    r->min_digits = GP_FCHECK_MAX_DIGITS;
    return r;
}

void gp_fcheck_report_free(gp_fcheck_report *r) {
    if (!r)
        return;
    free(r->tensors);
    free(r);
}

static void tensor_reset(gp_fcheck_tensor *s) {
    s->n_checked = s->n_failed = 0;
    s->scale = s->max_abs_error = s->max_rel_error = s->max_score = 0;
}

void gp_fcheck_report_reset(gp_fcheck_report *r) {
    GPI_NONNULL(r, );
    for (size_t i = 0; i < r->n_tensors; i++)
        tensor_reset(&r->tensors[i]);
    tensor_reset(&r->directions);
    r->n_checked = r->n_failed = r->n_worst = r->n_at_kink = r->n_inconclusive = 0;
    r->max_abs_error = r->max_rel_error = r->sum_abs_numeric = 0;
    r->min_digits = GP_FCHECK_MAX_DIGITS;
}

/* NULL (GSL_EINVAL raised) for an index r has not: it was written past r->tensors. */
static const gp_fcheck_tensor *tensor_at(const gp_fcheck_report *r, size_t tensor) {
    if (r == NULL)
        GSL_ERROR_NULL("no report", GSL_EINVAL);
    if (tensor == GP_FCHECK_DIRECTIONS)
        return &r->directions;
    if (tensor >= r->n_tensors)
        GSL_ERROR_NULL("no such tensor in the report", GSL_EINVAL);
    return &r->tensors[tensor];
}

static gp_fcheck_tensor *tensor_of(gp_fcheck_report *r, size_t tensor) {
    const gp_fcheck_tensor *s = tensor_at(r, tensor); /* the same, writable */
    return s == NULL ? NULL : s == &r->directions ? &r->directions : &r->tensors[tensor];
}

void gp_fcheck_set_scale(gp_fcheck_report *r, size_t tensor, double scale) {
    gp_fcheck_tensor *s = tensor_of(r, tensor);
    if (s)
        s->scale = scale;
}

int gp_fcheck_rule(const gp_fcheck_opts *opts, double analytic, double numeric,
                   double abserr, double scale, double *allowed) {
    GPI_NONNULL(opts, 0); /* 0: fails, never a pass */
    double big = fmax(fabs(analytic), fabs(numeric));
    double rhs =
        opts->abserr_factor * abserr + opts->atol + opts->rtol * big + opts->stol * scale;
    if (allowed)
        *allowed = rhs;
    /* NaN anywhere fails (every comparison with NaN is false), and so does infinity:
     * rtol * inf made the allowance as infinite as the error. */
    return isfinite(analytic) && isfinite(numeric) && fabs(analytic - numeric) <= rhs;
}

/* *max = max(*max, v), where a NaN, once in, stays: a later entry's number must not
 * hide it (the error of a NaN entry is NaN). */
static void raise_max(double *max, double v) {
    if (!(v <= *max) && !isnan(*max))
        *max = v;
}

/* Fold one verdict into a tensor's or the report's tallies. */
static void tally(gp_fcheck_tensor *s, const gp_fcheck_entry *e, int pass, double big) {
    s->n_checked++;
    s->n_failed += !pass;
    raise_max(&s->max_abs_error, e->error);
    if (big >= GP_GRADCHECK_REL_FLOOR || !pass)
        raise_max(&s->max_rel_error, e->rel_error);
    raise_max(&s->max_score, e->score);
}

/* Significant digits of a reference with error estimate abserr: log10(|d| / abserr),
 * in [0, GP_FCHECK_MAX_DIGITS]; an exact reference (abserr = 0) has them all. */
static double ref_digits(double numeric, double abserr) {
    if (!(abserr > 0))
        return abserr == 0 && isfinite(numeric) ? GP_FCHECK_MAX_DIGITS : 0;
    double d = log10(fabs(numeric) / abserr);
    return d > 0 ? fmin(d, GP_FCHECK_MAX_DIGITS) : 0;
}

int gp_fcheck_add(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t tensor,
                  size_t index, double analytic, double numeric, double abserr) {
    GPI_NONNULL(r, 0); /* 0, as for a bad tensor index */
    GPI_NONNULL(opts, 0);
    const gp_fcheck_tensor *s = tensor_of(r, tensor);
    if (s == NULL)
        return 0;
    double allowed, scale = s->scale;
    int pass = gp_fcheck_rule(opts, analytic, numeric, abserr, scale, &allowed);
    gpi_fcheck_add_allowed(r, opts->n_worst, tensor, index, analytic, numeric, abserr,
                           allowed, pass);
    /* Inconclusive: the pass rests on the noise's allowance alone (it exceeds every
     * floor), and the reference is not even good to one digit, so a claimed value of
     * the wrong size, or 0, would have passed too. */
    double floors = allowed - opts->abserr_factor * abserr;
    if (pass && opts->noise == GP_NOISE_FULL && opts->abserr_factor * abserr > floors &&
        ref_digits(numeric, abserr) < 1) {
        r->n_inconclusive++;
        return 2;
    }
    return pass;
}

void gpi_fcheck_add_allowed(gp_fcheck_report *r, size_t n_worst, size_t tensor,
                            size_t index, double analytic, double numeric, double abserr,
                            double allowed, int pass) {
    gp_fcheck_tensor *s = tensor_of(r, tensor);
    gp_fcheck_entry e;
    double big = fmax(fabs(analytic), fabs(numeric));
    e.tensor = tensor;
    e.index = index;
    e.coord = tensor == GP_FCHECK_DIRECTIONS ? 0 : s->offset + index;
    e.analytic = analytic;
    e.numeric = numeric;
    e.abserr = abserr;
    e.error = fabs(analytic - numeric);
    e.rel_error = big > 0 ? e.error / big : e.error;
    e.allowed = allowed;
    e.score = isnan(e.error) || isnan(e.allowed) ? INFINITY : e.error / e.allowed;
    e.digits = ref_digits(numeric, abserr);
    if (e.digits < r->min_digits)
        r->min_digits = e.digits;
    tally(s, &e, pass, big);
    r->n_checked++;
    r->n_failed += !pass;
    if (isfinite(numeric))
        r->sum_abs_numeric += fabs(numeric);
    raise_max(&r->max_abs_error, e.error);
    if (big >= GP_GRADCHECK_REL_FLOOR || !pass)
        raise_max(&r->max_rel_error, e.rel_error);
    keep_worst(r->worst, &r->n_worst, n_worst, sizeof e, offsetof(gp_fcheck_entry, score),
               &e);
}

void gp_fcheck_entry_locate(const gp_fcheck_report *r, const gp_fcheck_entry *e,
                            gp_tensor *kind, size_t *layer, size_t *row, size_t *col) {
    const gp_fcheck_tensor *s = e ? tensor_at(r, e->tensor) : NULL;
    if (s == NULL) /* an index past r->tensors was read */
        GSL_ERROR_VOID("no such entry in the report", GSL_EINVAL);
    size_t cols = s->cols > 1 ? s->cols : 1;
    if (kind)
        *kind = s->kind;
    if (layer)
        *layer = s->layer;
    if (row)
        *row = e->index / cols;
    if (col)
        *col = e->index % cols;
}

void gp_fcheck_entry_name(const gp_fcheck_report *r, const gp_fcheck_entry *e, char *buf,
                          size_t len) {
    const gp_fcheck_tensor *s = e ? tensor_at(r, e->tensor) : NULL;
    size_t row, col;
    if (buf != NULL && len > 0)
        buf[0] = '\0';
    if (s == NULL || buf == NULL) /* an index past r->tensors was read */
        GSL_ERROR_VOID("no such entry in the report, or no buffer", GSL_EINVAL);
    gp_fcheck_entry_locate(r, e, NULL, NULL, &row, &col);
    if (s->cols)
        snprintf(buf, len, "%s[%zu][%zu]", s->name, row, col);
    else if (s->length == 1 && e->tensor != GP_FCHECK_DIRECTIONS)
        snprintf(buf, len, "%s", s->name);
    else
        snprintf(buf, len, "%s[%zu]", s->name, e->index);
}

static int check_ranges(const gp_fcheck_report *r, size_t n) {
    for (size_t t = 0; t < r->n_tensors; t++)
        if (r->tensors[t].offset > n || r->tensors[t].length > n - r->tensors[t].offset)
            GSL_ERROR("a tensor range lies outside x or the values", GSL_EBADLEN);
    return GSL_SUCCESS;
}

int gp_fcheck_compare(const double *cand, const double *ref, size_t n,
                      const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    int status = gp_fcheck_opts_check(opts);
    if (status)
        return status;
    if (!cand || !ref || !r)
        GSL_ERROR("compare: NULL values or report", GSL_EINVAL);
    if ((status = check_ranges(r, n)))
        return status;
    for (size_t t = 0; t < r->n_tensors; t++) {
        const gp_fcheck_tensor *s = &r->tensors[t];
        double scale = 0;
        for (size_t i = 0; i < s->length; i++)
            if (isfinite(ref[s->offset + i]))
                scale = fmax(scale, fabs(ref[s->offset + i]));
        gp_fcheck_set_scale(r, t, scale);
        for (size_t i = 0; i < s->length; i++)
            gp_fcheck_add(r, opts, t, i, cand[s->offset + i], ref[s->offset + i], 0.0);
    }
    return GSL_SUCCESS;
}

/* GSL's central_deriv (deriv/deriv.c) with the unit roundoff as a parameter: the
 * 5-point rule on x +- h, x +- h/2, its truncation error estimated by the difference
 * from the 3-point rule, its rounding error by eps |f| / h, or by the measured noise
 * eps_f of f when that is larger: GSL's e5 = 6 eps |f| with eps |f| -> eps_f. */
static void central_deriv_eps(const gsl_function *f, double x, double h, double eps,
                              double noise, double *result, double *round,
                              double *trunc) {
    double fm1 = GSL_FN_EVAL(f, x - h), fp1 = GSL_FN_EVAL(f, x + h);
    double fmh = GSL_FN_EVAL(f, x - h / 2), fph = GSL_FN_EVAL(f, x + h / 2);
    double r3 = 0.5 * (fp1 - fm1);
    double r5 = (4.0 / 3.0) * (fph - fmh) - (1.0 / 3.0) * r3;
    double e3 = (fabs(fp1) + fabs(fm1)) * eps;
    double e5 = fmax(2.0 * (fabs(fph) + fabs(fmh)) * eps + e3, 6.0 * noise);
    /* x + h itself is rounded: an error of eps |x| in the step. */
    double dy = fmax(fabs(r3 / h), fabs(r5 / h)) * (fabs(x) / h) * eps;
    *result = r5 / h;
    *trunc = fabs((r5 - r3) / h);
    *round = fabs(e5 / h) + dy;
}

/* gsl_deriv_central's step refinement, for any eps: one retry at the step that
 * balances the O(h^2) truncation against the O(1/h) rounding. */
static void deriv_central_eps(const gsl_function *f, double x, double h, double eps,
                              double noise, double *result, double *abserr) {
    double r0, round, trunc;
    central_deriv_eps(f, x, h, eps, noise, &r0, &round, &trunc);
    double error = round + trunc;
    if (round < trunc && round > 0 && trunc > 0) {
        double r_opt, round_opt, trunc_opt;
        double h_opt = h * pow(round / (2.0 * trunc), 1.0 / 3.0);
        central_deriv_eps(f, x, h_opt, eps, noise, &r_opt, &round_opt, &trunc_opt);
        double error_opt = round_opt + trunc_opt;
        if (error_opt < error && fabs(r_opt - r0) < 4.0 * error) {
            r0 = r_opt;
            error = error_opt;
        }
    }
    *result = r0;
    *abserr = error;
}

/* ECnoise values of f around t: 9 at spacing hn, starting at 1e-6 max(1, |t|) and never
 * above hmax / 4 (the stencil stays within t +- hmax), moved 100x down while
 * gp_fcheck_noise says "too large" and up while "too small", 4 tries (More and Wild's
 * own driver moves h the same way). Returns eps_f, or 0 if none was found; *f0 = f(t). */
#define NOISE_NF 9
static double noise_at(const gsl_function *f, double t, double hmax, double *f0) {
    double hn = fmin(1e-6 * fmax(1.0, fabs(t)), hmax / 4), fv[NOISE_NF], noise = 0;
    *f0 = GSL_FN_EVAL(f, t);
    for (int k = 0; k < 4 && hn > 0 && hn <= hmax / 4; k++) {
        for (int i = 0; i < NOISE_NF; i++)
            fv[i] = i == NOISE_NF / 2 ? *f0 : GSL_FN_EVAL(f, t + (i - NOISE_NF / 2) * hn);
        int st = gp_fcheck_noise(fv, NOISE_NF, &noise);
        if (st == GSL_SUCCESS && noise > 0)
            return noise;
        hn = st == GSL_ETOL ? hn * 100 : hn / 100;
    }
    return 0;
}

/* More and Wild's step for a noisy f (ACM TOMS 38(3), 2012, forward differences):
 * h_n = 8^(1/4) (eps_f / mu)^(1/2), mu = |f''| from the second difference at
 * h2 = eps_f^(1/4), accepted once it stands 100x above eps_f (their tau_1) with f
 * changing by at most 10 % (tau_2); else h2 x10 (3 tries). Never above hmax; hmax
 * when no curvature is resolved (f is affine at the noise's scale: a longer step
 * costs no truncation and divides the noise). */
static double noise_step(const gsl_function *f, double t, double f0, double noise,
                         double hmax) {
    double h2 = fmin(pow(noise, 0.25), hmax);
    for (int k = 0; k < 3; k++, h2 = fmin(10 * h2, hmax)) {
        double fp = GSL_FN_EVAL(f, t + h2), fm = GSL_FN_EVAL(f, t - h2);
        double d2 = fabs(fp - 2 * f0 + fm);
        if (fmax(fabs(fp - f0), fabs(fm - f0)) >
            0.1 * fmax(fabs(f0), fmax(fabs(fp), fabs(fm))))
            break;
        if (d2 >= 100 * noise)
            return fmin(pow(8.0, 0.25) * sqrt(noise * h2 * h2 / d2), hmax);
        if (h2 >= hmax)
            break;
    }
    return hmax;
}

void gpi_deriv(const gsl_function *f, double x, const gp_fcheck_opts *opts,
               double *result, double *abserr) {
    double eps = opts->precision == GP_FLOAT32 ? FLT_EPSILON : DBL_EPSILON, f0;
    if (opts->noise == GP_NOISE_OFF || opts->noise == GP_NOISE_FAILING) {
        if (opts->precision == GP_FLOAT32)
            deriv_central_eps(f, x, opts->h, FLT_EPSILON, 0, result, abserr);
        else
            gsl_deriv_central(f, x, opts->h, result, abserr);
        return;
    }
    /* The measured noise replaces one ulp in the error estimate; the step from it
     * competes with h (both never beyond x +- h, which kink and L1 callers shrink). */
    double noise = noise_at(f, x, opts->h, &f0), r2, e2;
    deriv_central_eps(f, x, opts->h, eps, noise, result, abserr);
    if (!(noise > 0))
        return;
    double hn = noise_step(f, x, f0, noise, opts->h);
    if (hn >= opts->h)
        return;
    deriv_central_eps(f, x, hn, eps, noise, &r2, &e2);
    if (e2 < *abserr) {
        *result = r2;
        *abserr = e2;
    }
}

/* f with coordinate i of a scratch copy of x replaced by t. */
typedef struct {
    const gp_function_fdf *F;
    gsl_vector *x;
    size_t i;
} coord_fn;

static double eval_coord(double t, void *vp) {
    coord_fn *c = vp;
    double *slot = gsl_vector_ptr(c->x, c->i), saved = *slot;
    *slot = t;
    double v = c->F->f(c->x, c->F->params);
    *slot = saved;
    return v;
}

/* Shared setup of the coordinate checks: the claimed gradient g at x, a scratch copy. */
static int fcheck_setup(const gp_function_fdf *F, const gsl_vector *x,
                        gp_fcheck_report *r, gsl_vector **g, gsl_vector **xs) {
    *g = *xs = NULL;
    if (x->size != F->n)
        GSL_ERROR("x does not have F->n entries", GSL_EBADLEN);
    int status = check_ranges(r, x->size);
    if (status)
        return status;
    *g = gsl_vector_alloc(F->n);
    *xs = gsl_vector_alloc(F->n);
    if (!*g || !*xs) {
        gsl_vector_free(*g);
        gsl_vector_free(*xs);
        *g = *xs = NULL;
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    gsl_vector_memcpy(*xs, x);
    status = F->df(x, F->params, *g);
    if (status) {
        gsl_vector_free(*g);
        gsl_vector_free(*xs);
        *g = *xs = NULL;
    }
    return status;
}

/* GP_NOISE_FAILING: entry i of tensor t, whose one-ulp derivative one[0] (error
 * estimate one[1]) fails against g, derived again with the noise measured; where the
 * pass rule holds with that derivative and its error estimate, the finite difference
 * cannot resolve the difference: inconclusive (returns 2), with its digits. Else the
 * failure as the one-ulp rule found it (0). */
static int add_failing(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t t,
                       size_t i, size_t coord, double g, const double *one,
                       gpi_coord_deriv deriv, void *ctx, int *status) {
    gp_fcheck_opts again = *opts;
    double v[2], allowed, scale = tensor_of(r, t)->scale;
    again.noise = GPI_NOISE_AGAIN;
    *status = deriv(ctx, coord, &again, &v[0], &v[1]);
    if (*status || !gp_fcheck_rule(opts, g, v[0], v[1], scale, &allowed))
        return gp_fcheck_add(r, opts, t, i, g, one[0], one[1]);
    gpi_fcheck_add_allowed(r, opts->n_worst, t, i, g, v[0], v[1], allowed, 1);
    r->n_inconclusive++;
    return 2;
}

/* Whether GP_NOISE_FAILING derives the entry again: it fails the one-ulp rule, and no
 * failure of the report is confirmed yet (one that is decides the verdict; the entries
 * failing after it stay as the one-ulp rule found them, unmeasured). */
static int derive_again(const gp_fcheck_report *r, const gp_fcheck_opts *opts, double g,
                        const double *one, double scale) {
    return opts->noise == GP_NOISE_FAILING && r->n_failed == 0 &&
           !gp_fcheck_rule(opts, g, one[0], one[1], scale, NULL);
}

int gpi_check_tensor(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t t,
                     const size_t *idx, size_t k, const gsl_vector *analytic,
                     gpi_coord_deriv deriv, void *ctx) {
    const gp_fcheck_tensor *s = &r->tensors[t];
    int status = gp_fcheck_opts_check(opts);
    if (status)
        return status;
    double *num = malloc((k ? k : 1) * 2 * sizeof *num), scale = 0;
    if (!num)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    for (size_t q = 0; q < k && !status; q++) {
        status = deriv(ctx, s->offset + (idx ? idx[q] : q), opts, &num[2 * q],
                       &num[2 * q + 1]);
        if (isfinite(num[2 * q]))
            scale = fmax(scale, fabs(num[2 * q]));
    }
    /* The verdicts only now: the rule needs the tensor's scale (max |numeric|). */
    gp_fcheck_set_scale(r, t, scale);
    for (size_t q = 0; q < k && !status; q++) {
        size_t i = idx ? idx[q] : q;
        double g = gsl_vector_get(analytic, s->offset + i);
        if (derive_again(r, opts, g, &num[2 * q], scale))
            add_failing(r, opts, t, i, s->offset + i, g, &num[2 * q], deriv, ctx,
                        &status);
        else
            gp_fcheck_add(r, opts, t, i, g, num[2 * q], num[2 * q + 1]);
    }
    free(num);
    return status;
}

/* d f / d x_coord of a gp_function_fdf, on the scratch copy in coord_fn. */
static int coord_deriv(void *ctx, size_t coord, const gp_fcheck_opts *opts,
                       double *result, double *abserr) {
    coord_fn *c = ctx;
    gsl_function fn = {eval_coord, c};
    c->i = coord;
    gpi_deriv(&fn, gsl_vector_get(c->x, coord), opts, result, abserr);
    return GSL_SUCCESS;
}

static int check_indices(const gp_function_fdf *F, gsl_vector *xs, const gsl_vector *g,
                         size_t t, const size_t *idx, size_t k,
                         const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    coord_fn c = {F, xs, 0};
    return gpi_check_tensor(r, opts, t, idx, k, g, coord_deriv, &c);
}

int gp_fcheck_full(const gp_function_fdf *F, const gsl_vector *x,
                   const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    GPI_NONNULL(F, GSL_EINVAL);
    GPI_NONNULL(x, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    gsl_vector *g, *xs;
    int status = fcheck_setup(F, x, r, &g, &xs);
    for (size_t t = 0; t < r->n_tensors && !status; t++)
        status = check_indices(F, xs, g, t, NULL, r->tensors[t].length, opts, r);
    gsl_vector_free(g);
    gsl_vector_free(xs);
    return status;
}

/* How many coordinates of each tensor a budget buys: one per non-empty tensor, the rest
 * (budget - n_tensors) shared in proportion to length by largest remainders, so that
 * the counts add up to the budget exactly (min(budget, total), and at least one per
 * tensor). */
static void sample_counts(const gp_fcheck_report *r, size_t budget, size_t *k) {
    size_t total = 0, nt = r->n_tensors, used = 0, nonempty = 0;
    for (size_t t = 0; t < nt; t++) {
        total += r->tensors[t].length;
        nonempty += r->tensors[t].length > 0;
    }
    size_t spare = budget > nonempty ? budget - nonempty : 0;
    for (size_t t = 0; t < nt; t++) {
        size_t len = r->tensors[t].length;
        k[t] = budget >= total ? len
               : len           ? 1 + (size_t)((double)spare * (double)len / (double)total)
                               : 0;
        if (k[t] > len)
            k[t] = len;
        used += k[t];
    }
    /* Hand out what the floors left over, largest fractional share first. */
    while (budget < total && used < budget) {
        size_t best = nt;
        double best_frac = -INFINITY;
        for (size_t t = 0; t < nt; t++) {
            double q = (double)spare * (double)r->tensors[t].length / (double)total;
            /* Tensors already given their extra coordinate come last. */
            double frac = q - floor(q) - (k[t] > 1 + (size_t)q ? 2 : 0);
            if (k[t] < r->tensors[t].length && frac > best_frac)
                best = t, best_frac = frac;
        }
        if (best == nt)
            break;
        k[best]++;
        used++;
    }
}

/* Coordinates drawn without replacement from each tensor, then checked. */
static int sample_and_check(const gp_function_fdf *F, gsl_vector *xs, const gsl_vector *g,
                            const size_t *k, gsl_rng *rng, const gp_fcheck_opts *opts,
                            gp_fcheck_report *r) {
    int status = GSL_SUCCESS;
    for (size_t t = 0; t < r->n_tensors && !status; t++) {
        size_t len = r->tensors[t].length;
        if (k[t] == 0)
            continue;
        size_t *src = malloc(len * sizeof *src), *dst = malloc(k[t] * sizeof *dst);
        if (!src || !dst)
            status = GSL_ENOMEM;
        for (size_t i = 0; !status && i < len; i++)
            src[i] = i;
        if (!status) {
            gsl_ran_choose(rng, dst, k[t], src, len, sizeof *src);
            status = check_indices(F, xs, g, t, dst, k[t], opts, r);
        }
        free(src);
        free(dst);
    }
    return status;
}

int gp_fcheck_sampled(const gp_function_fdf *F, const gsl_vector *x, size_t budget,
                      unsigned long seed, const gp_fcheck_opts *opts,
                      gp_fcheck_report *r) {
    GPI_NONNULL(F, GSL_EINVAL);
    GPI_NONNULL(x, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    gsl_vector *g, *xs;
    int status = fcheck_setup(F, x, r, &g, &xs);
    if (status)
        return status;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    size_t *k = malloc((r->n_tensors ? r->n_tensors : 1) * sizeof *k);
    if (!rng || !k)
        status = GSL_ENOMEM;
    else {
        gsl_rng_set(rng, seed);
        sample_counts(r, budget, k);
        status = sample_and_check(F, xs, g, k, rng, opts, r);
    }
    if (status == GSL_ENOMEM)
        gsl_error("out of memory", __FILE__, __LINE__, status);
    free(k);
    gsl_rng_free(rng);
    gsl_vector_free(g);
    gsl_vector_free(xs);
    return status;
}

/* f(x + t d). */
typedef struct {
    const gp_function_fdf *F;
    const gsl_vector *x, *d;
    gsl_vector *xs;
} dir_fn;

static double eval_dir(double t, void *vp) {
    dir_fn *p = vp;
    gsl_vector_memcpy(p->xs, p->x);
    gsl_blas_daxpy(t, p->d, p->xs);
    return p->F->f(p->xs, p->F->params);
}

/* The derivative along direction q of D (row q), for GP_NOISE_FAILING's second pass. */
typedef struct {
    dir_fn p;
    const gsl_matrix *D;
} dir_again;

static int dir_deriv(void *ctx, size_t q, const gp_fcheck_opts *opts, double *result,
                     double *abserr) {
    dir_again *a = ctx;
    gsl_vector_const_view row = gsl_matrix_const_row(a->D, q);
    gsl_function fn = {eval_dir, &a->p};
    a->p.d = &row.vector;
    gpi_deriv(&fn, 0.0, opts, result, abserr);
    return GSL_SUCCESS;
}

int gp_fcheck_directional(const gp_function_fdf *F, const gsl_vector *x, size_t n_dirs,
                          unsigned long seed, const gp_fcheck_opts *opts,
                          gp_fcheck_report *r) {
    GPI_NONNULL(F, GSL_EINVAL);
    GPI_NONNULL(x, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    gsl_vector *g, *xs;
    int status = gp_fcheck_opts_check(opts);
    if (status || (status = fcheck_setup(F, x, r, &g, &xs)))
        return status;
    gsl_matrix *D = gsl_matrix_alloc(n_dirs ? n_dirs : 1, F->n);
    double *res = malloc((n_dirs ? n_dirs : 1) * 3 * sizeof *res), scale = 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!D || !res || !rng) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
        goto done;
    }
    gsl_rng_set(rng, seed);
    dir_again a = {{F, x, NULL, xs}, D};
    for (size_t q = 0; q < n_dirs; q++) {
        gsl_vector_view row = gsl_matrix_row(D, q);
        gsl_ran_dir_nd(rng, F->n, row.vector.data); /* uniform on the unit sphere */
        gsl_blas_ddot(g, &row.vector, &res[3 * q]);
        dir_deriv(&a, q, opts, &res[3 * q + 1], &res[3 * q + 2]);
        if (isfinite(res[3 * q + 1]))
            scale = fmax(scale, fabs(res[3 * q + 1]));
    }
    gp_fcheck_set_scale(r, GP_FCHECK_DIRECTIONS, scale);
    for (size_t q = 0; q < n_dirs && !status; q++) {
        if (derive_again(r, opts, res[3 * q], &res[3 * q + 1], scale))
            add_failing(r, opts, GP_FCHECK_DIRECTIONS, q, q, res[3 * q], &res[3 * q + 1],
                        dir_deriv, &a, &status);
        else
            gp_fcheck_add(r, opts, GP_FCHECK_DIRECTIONS, q, res[3 * q], res[3 * q + 1],
                          res[3 * q + 2]);
    }
done:
    gsl_rng_free(rng);
    free(res);
    gsl_matrix_free(D);
    gsl_vector_free(g);
    gsl_vector_free(xs);
    return status;
}

int gp_fcheck_noise(const double *fval, size_t nf, double *noise) {
    GPI_NONNULL(fval, GSL_EINVAL);
    GPI_NONNULL(noise, GSL_EINVAL);
    double d[16], level[16], gamma = 1, lo = INFINITY, hi = -INFINITY;
    int sgn[16] = {0};
    *noise = 0;
    if (nf < 4 || nf > 16)
        GSL_ERROR("ECnoise needs 4 to 16 values", GSL_EINVAL);
    for (size_t i = 0; i < nf; i++) {
        d[i] = fval[i];
        lo = fmin(lo, fval[i]);
        hi = fmax(hi, fval[i]);
    }
    if (hi - lo > 0.1 * fmax(fabs(hi), fabs(lo)))
        return GSL_ERANGE;
    for (size_t k = 1; k < nf; k++) {
        double s = 0, emin = INFINITY, emax = -INFINITY;
        size_t zeros = 0;
        for (size_t i = 0; i + k < nf; i++) {
            d[i] = d[i + 1] - d[i];
            s += d[i] * d[i];
            zeros += d[i] == 0;
            emin = fmin(emin, d[i]);
            emax = fmax(emax, d[i]);
        }
        if (k == 1 && 2 * zeros >= nf)
            return GSL_ETOL;
        gamma *= 0.5 * (double)k / (2.0 * (double)k - 1); /* (k!)^2 / (2k)! */
        level[k] = sqrt(gamma * s / (double)(nf - k));
        sgn[k] = emin * emax < 0;
    }
    for (size_t k = 1; k + 2 < nf; k++) {
        lo = fmin(level[k], fmin(level[k + 1], level[k + 2]));
        hi = fmax(level[k], fmax(level[k + 1], level[k + 2]));
        if (hi <= 4 * lo && sgn[k]) {
            *noise = level[k];
            return GSL_SUCCESS;
        }
    }
    return GSL_ERANGE;
}

/* The sweep of gp_fcheck_taylor: r(h) at h = 2^0 .. 2^-(n-1) into res; kept[] gets the
 * points standing 100x above the level of rounding (eps of the precision times |f| and
 * h |<g,d>|, plus gx, the rounding of x + h d) and of the noise (6 eps_f: two noisy
 * values); returns their number, *n_bad the points where f was not finite. */
static size_t taylor_sweep(dir_fn *p, double f0, double gd, double gx, double eps,
                           double noise, gp_taylor_result *res, size_t *kept,
                           size_t *n_bad) {
    size_t nk = 0;
    *n_bad = 0;
    res->n = GP_TAYLOR_MAX;
    for (size_t k = 0; k < res->n; k++) {
        double h = ldexp(1.0, -(int)k), fh = eval_dir(h, p);
        double rem = fabs(fh - f0 - h * gd);
        double level = 8 * eps * (fabs(f0) + fabs(fh) + h * fabs(gd) + gx) + 6 * noise;
        res->h[k] = h;
        res->remainder[k] = rem;
        res->used[k] = 0;
        *n_bad += !isfinite(rem);
        if (isfinite(rem) && rem > 100 * level)
            kept[nk++] = k;
    }
    return nk;
}

/* The sweep at the noise level res->noise and its verdict: the observed order, or FLAT,
 * INCONCLUSIVE or FAIL when fewer than 3 points stand above rounding and noise. */
static void taylor_fit(dir_fn *p, double f0, double gd, double gx, double eps,
                       gp_taylor_result *res) {
    size_t kept[GP_TAYLOR_MAX], n_bad,
        nk = taylor_sweep(p, f0, gd, gx, eps, res->noise, res, kept, &n_bad);
    res->order = NAN;
    if (nk < 3) {
        /* FLAT only when f was finite along the whole sweep, and only when no noise
         * above rounding could have hidden the remainder. */
        res->verdict = n_bad                             ? GP_TAYLOR_FAIL
                       : res->noise > 8 * eps * fabs(f0) ? GP_TAYLOR_INCONCLUSIVE
                                                         : GP_TAYLOR_FLAT;
        return;
    }
    /* Least squares over the smallest-h window of up to 6 qualifying points: the
     * asymptotic regime, before rounding takes over. */
    size_t first = nk > 6 ? nk - 6 : 0, n = nk - first;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t q = first; q < nk; q++) {
        double lx = log(res->h[kept[q]]), ly = log(res->remainder[kept[q]]);
        res->used[kept[q]] = 1;
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    }
    res->order = ((double)n * sxy - sx * sy) / ((double)n * sxx - sx * sx);
    res->verdict = res->order > 1.5 ? GP_TAYLOR_PASS : GP_TAYLOR_FAIL;
}

int gp_fcheck_taylor(const gp_function_fdf *F, const gsl_vector *x, unsigned long seed,
                     const gp_fcheck_opts *opts, gp_taylor_result *res) {
    GPI_NONNULL(F, GSL_EINVAL);
    GPI_NONNULL(x, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(res, GSL_EINVAL);
    if (x->size != F->n)
        GSL_ERROR("x does not have F->n entries", GSL_EBADLEN);
    if (gp_fcheck_opts_check(opts))
        return GSL_EINVAL;
    double eps = precision_eps(opts->precision);
    gsl_vector *g = gsl_vector_alloc(F->n), *d = gsl_vector_alloc(F->n),
               *xs = gsl_vector_alloc(F->n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int status = GSL_SUCCESS;
    res->n = 0;
    res->order = NAN;
    res->noise = 0;
    if (!g || !d || !xs || !rng) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
        goto done;
    }
    status = F->df(x, F->params, g);
    if (status)
        goto done;
    gsl_rng_set(rng, seed);
    gsl_ran_dir_nd(rng, F->n, d->data);
    double gd, f0 = F->f(x, F->params), gx = 0;
    gsl_blas_ddot(g, d, &gd);
    /* A NaN or infinity in f(x) or the claimed gradient is no evidence of order 2:
     * it fails (as it does in gp_fcheck_add), never FLAT. */
    if (!isfinite(f0) || !isfinite(gd)) {
        res->verdict = GP_TAYLOR_FAIL;
        goto done;
    }
    /* Rounding of x + h d moves the point by about eps |x_i|: f moves by sum |g_i x_i|.
     */
    for (size_t i = 0; i < F->n; i++)
        gx += fabs(gsl_vector_get(g, i) * gsl_vector_get(x, i));
    dir_fn p = {F, x, d, xs};
    gsl_function fn = {eval_dir, &p};
    double fd0;
    if (opts->noise == GP_NOISE_FULL)
        res->noise = noise_at(&fn, 0.0, 1.0, &fd0);
    taylor_fit(&p, f0, gd, gx, eps, res);
    /* GP_NOISE_FAILING: a failure is judged again above the measured noise; where the
     * noise hid the failure it is inconclusive, never a pass. */
    if (opts->noise == GP_NOISE_FAILING && res->verdict == GP_TAYLOR_FAIL &&
        (res->noise = noise_at(&fn, 0.0, 1.0, &fd0)) > 0) {
        taylor_fit(&p, f0, gd, gx, eps, res);
        if (res->verdict != GP_TAYLOR_FAIL)
            res->verdict = GP_TAYLOR_INCONCLUSIVE;
    }
done:
    gsl_rng_free(rng);
    gsl_vector_free(g);
    gsl_vector_free(d);
    gsl_vector_free(xs);
    return status;
}

/* ---- gradproof's own formulas on one case ---- */

static const char *const formula_names[GP_N_FORMULAS] = {"delta", "params", "params+reg"};

const char *gp_formula_name(gp_formula f) {
    return (unsigned)f < GP_N_FORMULAS ? formula_names[f] : "?";
}

int gp_formula_lookup(const char *name, gp_formula *f) {
    GPI_NONNULL(name, GSL_EINVAL);
    GPI_NONNULL(f, GSL_EINVAL);
    for (int q = 0; name && q < GP_N_FORMULAS; q++)
        if (!strcmp(name, formula_names[q])) {
            *f = (gp_formula)q;
            return GSL_SUCCESS;
        }
    GSL_ERROR("formula must be delta, params or params+reg", GSL_EINVAL);
}

/* The tensors a formula's report holds: W1, b1, W2, ... as ranges of the params block,
 * or z1 .. zL (n_l x m) laid end to end for delta. Returns their number. */
static size_t formula_ranges(gp_formula f, const gp_network *net, size_t m,
                             gp_tensor_range *t, char (*names)[24]) {
    size_t L = net->p.L, off = 0;
    for (size_t l = 1; l <= L; l++) {
        size_t n = net->p.sizes[l], q = f == GP_FORMULA_DELTA ? l - 1 : 2 * (l - 1);
        if (f == GP_FORMULA_DELTA) {
            snprintf(names[q], 24, "z%zu", l);
            t[q] = (gp_tensor_range){names[q], off, n * m, m, GP_TENSOR_Z, l};
            off += n * m;
            continue;
        }
        snprintf(names[q], 24, "W%zu", l);
        snprintf(names[q + 1], 24, "b%zu", l);
        t[q] = (gp_tensor_range){names[q],
                                 gp_params_offset(&net->p, l, 1),
                                 n * net->p.sizes[l - 1],
                                 net->p.sizes[l - 1],
                                 GP_TENSOR_W,
                                 l};
        t[q + 1] = (gp_tensor_range){
            names[q + 1], gp_params_offset(&net->p, l, 0), n, 0, GP_TENSOR_B, l};
    }
    return f == GP_FORMULA_DELTA ? L : 2 * L;
}

gp_fcheck_report *gp_formula_report_alloc(gp_formula f, const gp_network *net, size_t m) {
    GPI_NONNULL(net, NULL);
    gp_tensor_range t[2 * GP_MAX_LAYERS];
    char names[2 * GP_MAX_LAYERS][24];
    if (net->p.L > GP_MAX_LAYERS)
        GSL_ERROR_NULL("too many layers", GSL_EINVAL);
    if ((unsigned)f >= GP_N_FORMULAS) /* it was laid out as the parameters' */
        GSL_ERROR_NULL("unknown formula", GSL_EINVAL);
    /* delta's z tensors hold n_l m entries: past SIZE_MAX they wrapped (bogus ranges) */
    for (size_t l = 1; f == GP_FORMULA_DELTA && l <= net->p.L; l++)
        if (m == 0 || net->p.sizes[l] > SIZE_MAX / net->p.L / m)
            GSL_ERROR_NULL("no samples, or too many", GSL_EINVAL);
    return gp_fcheck_report_alloc(t, formula_ranges(f, net, m, t, names));
}

double gpi_l1_step(double h, double w, int is_w, const gp_regularization *reg) {
    /* |w| has a kink at 0: keep the stencil (which reaches w +- h) on one side. */
    if (is_w && reg && reg->l1 > 0 && w != 0 && h > fabs(w) / 4)
        return fabs(w) / 4;
    return h;
}

/* ---- kinks of the hidden activations (ReLU, leaky ReLU at z = 0) ---- */

/* Smallest step the kink search tries: the 5-point rule's rounding error there is
 * about eps |C| / h = 2e-9 |C|, still under the float64 floors (atol 1e-8); an
 * engineering choice (proofs/README.md, "Tolerances"). */
#define KINK_HMIN 1e-7

/* z within this of a kink counts as on it (the convention's side, z <= kink): the
 * checker's forward pass (dgemv) and the code's (dgemm) may round the same z = 0 to
 * +-1e-17 differently. */
#define KINK_ZTOL 1e-12

/* Which side of its kink every kinked hidden unit lies on, for columns [0, m) of the
 * n x tda row-major z of layer l, folded into two FNV-1a hashes: h[0] with the
 * tolerance (z > kink + KINK_ZTOL: 1), the side the convention reads; h[1] exact
 * (z > kink), which also sees a unit on its kink that the stencil moves by less than
 * KINK_ZTOL (its z barely depends on the coordinate, yet the cost bends there). */
#define KINK_SIDES_INIT                                                                  \
    { 0xcbf29ce484222325ULL, 0xcbf29ce484222325ULL }
static void kink_sides(uint64_t h[2], const gp_network *net, size_t l, const double *z,
                       size_t n, size_t m, size_t tda, size_t stride) {
    double at;
    if (l >= net->p.L || !gp_activation_kink(gp_network_activation(net, l), &at))
        return;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++) {
            double zji = z[(j * tda + i) * stride];
            h[0] = (h[0] ^ (uint64_t)(zji > at + KINK_ZTOL)) * 0x100000001b3ULL;
            h[1] = (h[1] ^ (uint64_t)(zji > at)) * 0x100000001b3ULL;
        }
}

static int network_has_kink(const gp_network *net) {
    for (size_t l = 1; l < net->p.L; l++)
        if (gp_activation_kink(gp_network_activation(net, l), NULL))
            return 1;
    return 0;
}

/* F at t, and the kink sides it left in sides[0] (F's evaluation updates both). */
static uint64_t sides_at(const gsl_function *F, const uint64_t *sides, double t) {
    GSL_FN_EVAL(F, t);
    return sides[0];
}

/* F at t leaves both hashes of x's sides s0 (kink_sides) unchanged. */
static int same_sides(const gsl_function *F, const uint64_t *sides, double t,
                      const uint64_t *s0) {
    return sides_at(F, sides, t) == s0[0] && sides[1] == s0[1];
}

/* One-sided derivative of F at x towards dir = +1 or -1, with the step shrunk until the
 * far end lies in the same region as x + dir * KINK_HMIN / 16 (gsl_deriv_forward's
 * points are x + dir * (h/4 .. h), never x itself). */
static void one_sided(const gsl_function *F, const uint64_t *sides, double x, double dir,
                      double h, double *result, double *abserr) {
    uint64_t near = sides_at(F, sides, x + dir * KINK_HMIN / 16);
    while (h > KINK_HMIN / 4 && sides_at(F, sides, x + dir * h) != near)
        h /= 4;
    if (dir > 0)
        gsl_deriv_forward(F, x, h, result, abserr);
    else
        gsl_deriv_backward(F, x, h, result, abserr);
}

/* The numerical derivative of F at x with the kinks in view (SPEC "Kinks"): F's
 * evaluations record every kinked unit's side in *sides. If no stencil x +- h crosses a
 * kink, gpi_deriv with the largest such h (down to KINK_HMIN); otherwise x is at a kink
 * (a unit's z within about KINK_HMIN of it): the one-sided derivative on the side that
 * keeps x's own sides, which is the documented convention f'(0) = f'(0-) when z is
 * exactly 0 (relu'(0) = 0, leaky_relu'(0) = alpha) and the true derivative when z is
 * merely near. If both sides leave x's region (two units at kinks, crossing in
 * opposite directions), the midpoint of the two with their half-difference as error.
 * Returns 1 at a kink, 0 otherwise. */
static int kink_deriv(const gsl_function *F, const uint64_t *sides, double x,
                      const gp_fcheck_opts *opts, double *result, double *abserr) {
    gp_fcheck_opts o = *opts;
    uint64_t s0 = sides_at(F, sides, x), x0[2] = {s0, sides[1]};
    for (; o.h >= KINK_HMIN; o.h /= 4)
        if (same_sides(F, sides, x - o.h, x0) && same_sides(F, sides, x + o.h, x0)) {
            gpi_deriv(F, x, &o, result, abserr);
            return 0;
        }
    int up = sides_at(F, sides, x + KINK_HMIN / 16) == s0;
    int down = sides_at(F, sides, x - KINK_HMIN / 16) == s0;
    double r1, e1, r2, e2;
    if (up || !down)
        one_sided(F, sides, x, 1, opts->h, &r1, &e1);
    if (down || !up)
        one_sided(F, sides, x, -1, opts->h, &r2, &e2);
    if (up != down) {
        *result = up ? r1 : r2;
        *abserr = up ? e1 : e2;
    } else {
        *result = (r1 + r2) / 2;
        *abserr = fabs(r1 - r2) / 2 + e1 + e2;
    }
    return 1;
}

/* ---- parameters: C(params) with one parameter replaced by t ---- */

typedef struct {
    gp_network *net; /* a private copy, perturbed in place */
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    gp_backprop_workspace *w;
    size_t i;
    int status;
    int kinks;         /* the network has kinked activations */
    uint64_t sides[2]; /* their sides at the last evaluation (kink_sides) */
    size_t n_at_kink;
} param_fn;

static double eval_param(double t, void *vp) {
    param_fn *p = vp;
    double *slot = gsl_vector_ptr(p->net->p.params, p->i), saved = *slot, c = NAN;
    *slot = t;
    int status = gp_total_cost(p->net, p->X, p->Y, p->reg, p->w, &c);
    if (status && !p->status)
        p->status = status;
    *slot = saved;
    uint64_t h[2] = KINK_SIDES_INIT;
    for (size_t l = 1; p->kinks && l < p->net->p.L; l++) {
        const gsl_matrix *z = p->w->z[l - 1];
        kink_sides(h, p->net, l, z->data, z->size1, p->X->size2, z->tda, 1);
    }
    memcpy(p->sides, h, sizeof h);
    return c;
}

/* p for net's case: a private copy of net and a workspace for X's m samples. */
static int param_fn_init(param_fn *p, const gp_network *net, const gsl_matrix *X,
                         const gsl_matrix *Y, const gp_regularization *reg) {
    param_fn init = {gp_network_clone(net), X,      Y, reg, NULL, 0, GSL_SUCCESS,
                     network_has_kink(net), {0, 0}, 0};
    *p = init;
    if (p->net)
        p->w = gp_backprop_workspace_alloc(net, X->size2);
    if (!p->net || !p->w) {
        gp_network_free(p->net);
        p->net = NULL;
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    return GSL_SUCCESS;
}

static void param_fn_free(param_fn *p) {
    gp_backprop_workspace_free(p->w);
    gp_network_free(p->net);
}

static int param_deriv(void *ctx, size_t i, const gp_fcheck_opts *opts, double *result,
                       double *abserr) {
    param_fn *p = ctx;
    size_t l, j, k;
    int is_w;
    gp_params_locate(&p->net->p, i, &l, &is_w, &j, &k);
    double x = gsl_vector_get(p->net->p.params, i);
    gp_fcheck_opts local = *opts;
    local.h = gpi_l1_step(opts->h, x, is_w, p->reg);
    gsl_function F = {eval_param, p};
    p->i = i;
    if (p->kinks)
        p->n_at_kink += (size_t)kink_deriv(&F, p->sides, x, &local, result, abserr) &&
                        opts->noise != GPI_NOISE_AGAIN;
    else
        gpi_deriv(&F, x, &local, result, abserr);
    return p->status;
}

int gp_gradcheck_params_numeric(const gp_network *net, const gsl_matrix *X,
                                const gsl_matrix *Y, const gp_regularization *reg,
                                const gp_fcheck_opts *opts, size_t lo, size_t hi,
                                double *num, size_t *n_at_kink) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(num, GSL_EINVAL);
    if (lo > hi || hi > net->p.n_params)
        GSL_ERROR("parameter range out of bounds", GSL_EINVAL);
    if (gp_fcheck_opts_check(opts))
        return GSL_EINVAL;
    if (X->size2 == 0)
        GSL_ERROR("no samples", GSL_EBADLEN);
    param_fn p;
    int status = param_fn_init(&p, net, X, Y, reg);
    /* Each derivative depends on its parameter alone: param_deriv restores the copy
     * and re-reads every kink side it compares (kink_deriv's first evaluation). */
    for (size_t i = lo; i < hi && !status; i++)
        status = param_deriv(&p, i, opts, &num[2 * (i - lo)], &num[2 * (i - lo) + 1]);
    if (n_at_kink)
        *n_at_kink += p.n_at_kink;
    param_fn_free(&p);
    return status;
}

/* The engine's coordinate derivative, read from a gp_gradcheck_params_numeric array,
 * or derived afresh by `again` for GP_NOISE_FAILING's second pass. */
typedef struct {
    const double *num;
    gpi_coord_deriv again;
    void *actx;
} given_fn;

static int given_deriv(void *ctx, size_t i, const gp_fcheck_opts *opts, double *result,
                       double *abserr) {
    const given_fn *f = ctx;
    if (opts->noise == GPI_NOISE_AGAIN && f->again)
        return f->again(f->actx, i, opts, result, abserr);
    *result = f->num[2 * i];
    *abserr = f->num[2 * i + 1];
    return GSL_SUCCESS;
}

/* The case of a split check, made ready for param_deriv at its first use. */
typedef struct {
    const gp_network *net;
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    param_fn p;
    int ready;
} lazy_param;

static int lazy_param_deriv(void *ctx, size_t i, const gp_fcheck_opts *opts,
                            double *result, double *abserr) {
    lazy_param *z = ctx;
    if (!z->ready) {
        int status = param_fn_init(&z->p, z->net, z->X, z->Y, z->reg);
        if (status)
            return status;
        z->ready = 1;
    }
    return param_deriv(&z->p, i, opts, result, abserr);
}

int gpi_params_fit(const gp_network *net, const gp_gradient *analytic,
                   const gp_fcheck_report *r) {
    if (analytic->n_params != net->p.n_params || analytic->L != net->p.L)
        GSL_ERROR("gradient does not match the network", GSL_EBADLEN);
    if (r->n_tensors != 2 * net->p.L || check_ranges(r, net->p.n_params))
        GSL_ERROR("report does not match the network", GSL_EBADLEN);
    return GSL_SUCCESS;
}

int gpi_params_given(const gp_network *net, const gp_gradient *analytic,
                     const gp_fcheck_opts *opts, const double *num, size_t n_at_kink,
                     gpi_coord_deriv again, void *actx, gp_fcheck_report *r) {
    int status = gpi_params_fit(net, analytic, r);
    given_fn f = {num, again, actx};
    for (size_t t = 0; t < r->n_tensors && !status; t++)
        status = gpi_check_tensor(r, opts, t, NULL, r->tensors[t].length,
                                  analytic->params, given_deriv, &f);
    if (!status)
        r->n_at_kink += n_at_kink;
    return status;
}

int gp_gradcheck_params_given(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_regularization *reg,
                              const gp_gradient *analytic, const gp_fcheck_opts *opts,
                              const double *num, size_t n_at_kink, gp_fcheck_report *r) {
    GPI_NONNULL(net, GSL_EINVAL); /* X or Y NULL: failing entries not derived again */
    GPI_NONNULL(analytic, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(num, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    lazy_param z = {net, X, Y, reg, {0}, 0};
    int status = gpi_params_given(net, analytic, opts, num, n_at_kink,
                                  X && Y ? lazy_param_deriv : NULL, &z, r);
    if (z.ready)
        param_fn_free(&z.p);
    return status;
}

int gp_gradcheck_params(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *reg, const gp_gradient *analytic,
                        const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(analytic, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    size_t n = net->p.n_params, n_at_kink = 0;
    int status = gpi_params_fit(net, analytic, r);
    if (status)
        return status;
    double *num = malloc((n ? 2 * n : 1) * sizeof *num);
    if (!num)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    status = gp_gradcheck_params_numeric(net, X, Y, reg, opts, 0, n, num, &n_at_kink);
    if (!status)
        status =
            gp_gradcheck_params_given(net, X, Y, reg, analytic, opts, num, n_at_kink, r);
    free(num);
    return status;
}

/* ---- pre-activations: C_x as a function of z^l_j, run forward from layer l ---- */

typedef struct {
    const gp_network *net;
    size_t l;
    gsl_vector **z, **a; /* scratch per layer, z[l-1] = z^l */
    const gsl_vector *y;
    gsl_vector *zl; /* the perturbed z^l */
    size_t j;
    uint64_t sides[2]; /* kinked units' sides at the last evaluation (kink_sides) */
} z_fn;

static double forward_from(const gp_network *net, size_t l, const gsl_vector *zl,
                           gsl_vector **z, gsl_vector **a, const gsl_vector *y) {
    size_t L = net->p.L;
    const gsl_vector *zk = zl;
    for (size_t k = l; k < L; k++) {
        const gp_activation *act = gp_network_activation(net, k); /* hidden layer k */
        for (size_t j = 0; j < zk->size; j++) /* zk may be a strided view */
            gsl_vector_set(a[k - 1], j, act->f(act, gsl_vector_get(zk, j)));
        gsl_vector_memcpy(z[k], net->p.b[k]);
        gsl_blas_dgemv(CblasNoTrans, 1.0, net->p.w[k], a[k - 1], 1.0, z[k]);
        zk = z[k];
    }
    return net->cost->fn_z(zk, y);
}

static double eval_z(double t, void *vp) {
    z_fn *p = vp;
    double saved = gsl_vector_get(p->zl, p->j);
    gsl_vector_set(p->zl, p->j, t);
    double c = forward_from(p->net, p->l, p->zl, p->z, p->a, p->y);
    uint64_t h[2] = KINK_SIDES_INIT; /* the perturbed z^l's sides too */
    for (size_t k = p->l; k < p->net->p.L; k++) {
        const gsl_vector *zk = k == p->l ? p->zl : p->z[k - 1];
        kink_sides(h, p->net, k, zk->data, zk->size, 1, 1, zk->stride);
    }
    memcpy(p->sides, h, sizeof h);
    gsl_vector_set(p->zl, p->j, saved);
    return c;
}

static void free_layers(gsl_vector **v, size_t L) {
    if (v)
        for (size_t l = 0; l < L; l++)
            gsl_vector_free(v[l]);
    free(v);
}

static gsl_vector **alloc_layers(const gp_network *net) {
    gsl_vector **v = calloc(net->p.L, sizeof *v);
    if (!v)
        return NULL;
    for (size_t l = 1; l <= net->p.L; l++)
        if (!(v[l - 1] = gsl_vector_alloc(net->p.sizes[l]))) {
            free_layers(v, net->p.L);
            return NULL;
        }
    return v;
}

int gp_cost_from_z(const gp_network *net, size_t l, const gsl_vector *zl,
                   const gsl_vector *y, double *cost) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(zl, GSL_EINVAL);
    GPI_NONNULL(y, GSL_EINVAL);
    GPI_NONNULL(cost, GSL_EINVAL);
    if (l < 1 || l > net->p.L)
        GSL_ERROR("layer out of range", GSL_EINVAL);
    GPI_CHECK_LEN(zl->size, net->p.sizes[l]);
    GPI_CHECK_LEN(y->size, net->p.sizes[net->p.L]);
    gsl_vector **z = alloc_layers(net), **a = alloc_layers(net);
    int status = GSL_SUCCESS;
    if (!z || !a) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
    } else
        *cost = forward_from(net, l, zl, z, a, y);
    free_layers(z, net->p.L);
    free_layers(a, net->p.L);
    return status;
}

/* dC_x/dz^l_j of sample i, coordinate offset + j m + i of tensor z^l: the cached z^l of
 * the sample (from one batch forward pass) is copied and perturbed, and only layers
 * l..L are rerun. */
typedef struct {
    z_fn p;
    const gsl_matrix *Zl, *Y; /* z^l of the batch (n_l x >= m), targets */
    size_t offset, m;
    int kinks;
    size_t n_at_kink;
} delta_fn;

static int delta_deriv(void *ctx, size_t coord, const gp_fcheck_opts *opts,
                       double *result, double *abserr) {
    delta_fn *d = ctx;
    size_t j = (coord - d->offset) / d->m, i = (coord - d->offset) % d->m;
    gsl_vector_const_view zi = gsl_matrix_const_subcolumn(d->Zl, i, 0, d->p.zl->size);
    gsl_vector_const_view y = gsl_matrix_const_column(d->Y, i);
    gsl_vector_memcpy(d->p.zl, &zi.vector);
    d->p.y = &y.vector;
    d->p.j = j;
    gsl_function F = {eval_z, &d->p};
    if (d->kinks)
        d->n_at_kink += (size_t)kink_deriv(&F, d->p.sides, gsl_vector_get(d->p.zl, j),
                                           opts, result, abserr) &&
                        opts->noise != GPI_NOISE_AGAIN;
    else
        gpi_deriv(&F, gsl_vector_get(d->p.zl, j), opts, result, abserr);
    return GSL_SUCCESS;
}

/* delta^1 .. delta^L (first m columns each) end to end, as the report's z tensors. */
static gsl_vector *deltas_flat(const gp_fcheck_report *r, gsl_matrix *const *delta,
                               size_t m) {
    const gp_fcheck_tensor *last = &r->tensors[r->n_tensors - 1];
    gsl_vector *D = gsl_vector_alloc(last->offset + last->length);
    for (size_t t = 0; D && t < r->n_tensors; t++)
        for (size_t q = 0; q < r->tensors[t].length; q++)
            gsl_vector_set(D, r->tensors[t].offset + q,
                           gsl_matrix_get(delta[t], q / m, q % m));
    return D;
}

static int deltas_shape(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gsl_matrix *const *delta, const gp_fcheck_report *r) {
    size_t L = net->p.L, m = X->size2;
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[L] || Y->size2 != m ||
        m == 0)
        GSL_ERROR("X, Y and the network disagree in shape", GSL_EBADLEN);
    for (size_t l = 1; l <= L; l++)
        if (delta[l - 1]->size1 != net->p.sizes[l] || delta[l - 1]->size2 < m)
            GSL_ERROR("delta[l-1] must be n_l x (at least m)", GSL_EBADLEN);
    if (r->n_tensors != L)
        GSL_ERROR("report does not hold z1 .. zL", GSL_EBADLEN);
    for (size_t l = 1; l <= L; l++)
        if (r->tensors[l - 1].length != net->p.sizes[l] * m ||
            r->tensors[l - 1].cols != m)
            GSL_ERROR("report does not hold z1 .. zL", GSL_EBADLEN);
    return GSL_SUCCESS;
}

int gp_gradcheck_deltas(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gsl_matrix *const *delta, const gp_fcheck_opts *opts,
                        gp_fcheck_report *r) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(delta, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    size_t L = net->p.L, m = X->size2;
    int status = deltas_shape(net, X, Y, delta, r);
    if (status)
        return status;
    gsl_vector **z = alloc_layers(net), **a = alloc_layers(net), **zs = alloc_layers(net);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
    gsl_vector *D = deltas_flat(r, delta, m);
    if (!z || !a || !zs || !w || !D) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
        goto done;
    }
    status = gp_feedforward(net, X, w);
    for (size_t l = 1; l <= L && !status; l++) {
        delta_fn d = {{net, l, z, a, NULL, zs[l - 1], 0, {0, 0}},
                      w->z[l - 1],
                      Y,
                      r->tensors[l - 1].offset,
                      m,
                      network_has_kink(net),
                      0};
        status = gpi_check_tensor(r, opts, l - 1, NULL, r->tensors[l - 1].length, D,
                                  delta_deriv, &d);
        r->n_at_kink += d.n_at_kink;
    }
done:
    free_layers(z, L);
    free_layers(a, L);
    free_layers(zs, L);
    gp_backprop_workspace_free(w);
    gsl_vector_free(D);
    return status;
}

int gp_check_formula(gp_formula f, const gp_network *net, const gsl_matrix *X,
                     const gsl_matrix *Y, const gp_regularization *reg,
                     const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(opts, GSL_EINVAL);
    GPI_NONNULL(r, GSL_EINVAL);
    if ((unsigned)f >= GP_N_FORMULAS)
        GSL_ERROR("unknown formula", GSL_EINVAL);
    if (f == GP_FORMULA_REG && reg == NULL) /* it was the params check, passed as reg's */
        GSL_ERROR("the params+reg check needs a regularisation", GSL_EINVAL);
    if (X->size2 == 0)
        GSL_ERROR("no samples", GSL_EBADLEN);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, X->size2);
    gp_gradient *g = gp_gradient_alloc(net);
    int status = GSL_SUCCESS;
    if (!w || !g) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
    } else if (f == GP_FORMULA_DELTA) {
        status = gp_backprop_batch(net, X, Y, w, g);
        if (!status)
            status = gp_gradcheck_deltas(net, X, Y, w->delta, opts, r);
    } else {
        const gp_regularization *rg = f == GP_FORMULA_REG ? reg : NULL;
        status = gp_total_gradient(net, X, Y, rg, w, g);
        if (!status)
            status = gp_gradcheck_params(net, X, Y, rg, g, opts, r);
    }
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    return status;
}

/* ---- random cases ---- */

void gp_case_opts_default(gp_case_opts *opts) {
    GPI_NONNULL(opts, );
    opts->min_layers = 1;
    opts->max_layers = 4;
    opts->min_width = 1;
    opts->max_width = 10;
    opts->min_batch = 1;
    opts->max_batch = 16;
    opts->scale_min = 1e-3;
    opts->scale_max = 10;
    opts->square_hidden = 0;
    opts->activation = NULL;
    opts->draw_activations = 0;
    opts->kink = GP_CASE_KINK_NONE;
}

/* Uniform integer in [lo, hi]. */
static size_t uniform_int(gsl_rng *r, size_t lo, size_t hi) {
    return lo + (size_t)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

void gp_case_fill_target(gsl_rng *r, const gp_cost_type *cost, gsl_vector *y) {
    GPI_NONNULL(r, );
    GPI_NONNULL(cost, );
    GPI_NONNULL(y, );
    if (cost->output == GP_OUTPUT_SOFTMAX) {
        gsl_vector_set_zero(y);
        gsl_vector_set(y, uniform_int(r, 0, y->size - 1), 1.0);
    } else if (cost == &gp_cost_cross_entropy) {
        /* Any y in [0,1] (SPEC), with the ends themselves drawn now and then. */
        for (size_t j = 0; j < y->size; j++) {
            double u = gsl_rng_uniform(r);
            gsl_vector_set(y, j, u < 0.15 ? 0.0 : u < 0.3 ? 1.0 : gsl_rng_uniform(r));
        }
    } else {
        for (size_t j = 0; j < y->size; j++)
            gsl_vector_set(y, j, 1.5 * gsl_ran_gaussian(r, 1.0));
    }
}

static int case_opts_valid(const gp_case_opts *o) {
    /* widths and batches past what a network and a workspace take were drawn by
     * gsl_rng_uniform_int beyond its generator's range (an error: always the minimum) */
    return o->min_layers >= 1 && o->max_layers >= o->min_layers &&
           o->max_layers < GP_MAX_LAYERS && o->min_width >= 1 &&
           o->max_width >= o->min_width && o->max_width <= GP_MAX_WIDTH &&
           o->min_batch >= 1 && o->max_batch >= o->min_batch &&
           o->max_batch <= GP_MAX_WIDTH && o->scale_min > 0 &&
           o->scale_max >= o->scale_min && isfinite(o->scale_max) &&
           (o->kink == GP_CASE_KINK_NONE || o->kink == GP_CASE_KINK_ON ||
            o->kink == GP_CASE_KINK_NEAR);
}

/* The draws, in this order: L, the square width, the sizes, m, the scale. */
static size_t case_shape(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *o,
                         size_t *sizes, size_t *m, double *scale) {
    size_t L = uniform_int(r, o->min_layers, o->max_layers);
    size_t square = uniform_int(r, o->min_width, o->max_width);
    for (size_t l = 0; l <= L; l++)
        sizes[l] = o->square_hidden && l > 0 ? square
                                             : uniform_int(r, o->min_width, o->max_width);
    /* Softmax of one output is the constant 1 (zero gradient): give it two classes. */
    if (cost->output == GP_OUTPUT_SOFTMAX && sizes[L] < 2)
        sizes[L] = 2;
    *m = uniform_int(r, o->min_batch, o->max_batch);
    double lo = log(o->scale_min), hi = log(o->scale_max);
    *scale = exp(lo + (hi - lo) * gsl_rng_uniform(r));
    return L;
}

/* The hidden activations of a random case (the last draws of gp_case_random). */
static int case_activations(gsl_rng *r, const gp_case_opts *o, gp_network *net) {
    size_t n_kinds = 0;
    while (gp_activations[n_kinds])
        n_kinds++;
    for (size_t l = 1; l < net->p.L; l++) {
        gp_activation act = gp_activation_sigmoid;
        if (o->activation)
            act = *o->activation;
        else if (o->draw_activations) {
            act = *gp_activations[uniform_int(r, 0, n_kinds - 1)];
            if (strcmp(act.name, gp_activation_leaky_relu.name) == 0)
                act.alpha = exp(log(1e-3) + (log(0.5) - log(1e-3)) * gsl_rng_uniform(r));
        }
        int status = gp_network_set_activation(net, l, &act);
        if (status)
            return status;
    }
    return GSL_SUCCESS;
}

/* opts->kink: a unit moved onto (or near) its kink, by the last draws. */
static int case_kink(gsl_rng *r, const gp_case_opts *o, gp_network *net,
                     const gsl_matrix *X) {
    size_t kinked[GP_MAX_LAYERS], n = 0;
    for (size_t l = 1; l < net->p.L; l++)
        if (gp_activation_kink(gp_network_activation(net, l), NULL))
            kinked[n++] = l;
    if (o->kink == GP_CASE_KINK_NONE || n == 0)
        return GSL_SUCCESS;
    size_t l = kinked[gsl_rng_uniform_int(r, n)];
    size_t j = gsl_rng_uniform_int(r, net->p.sizes[l]);
    size_t i = gsl_rng_uniform_int(r, X->size2);
    double off = 0;
    if (o->kink == GP_CASE_KINK_NEAR)
        off = (gsl_rng_uniform(r) < 0.5 ? -1 : 1) * 1e-9 * pow(1e4, gsl_rng_uniform(r));
    int exact;
    return gp_case_place_kink(net, X, l, j, i, off, &exact);
}

int gp_case_random(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *opts,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, double *scale) {
    size_t sizes[GP_MAX_LAYERS + 1], m;
    double s;
    if (!r || !cost || !opts || !net || !X || !Y)
        GSL_ERROR("a random case needs r, cost, opts, net, X and Y", GSL_EINVAL);
    if (!case_opts_valid(opts))
        GSL_ERROR("bad random-case limits", GSL_EINVAL);
    size_t L = case_shape(r, cost, opts, sizes, &m, &s);
    *net = gp_network_alloc(L + 1, sizes, cost);
    *X = gsl_matrix_alloc(sizes[0], m);
    *Y = gsl_matrix_alloc(sizes[L], m);
    if (!*net || !*X || !*Y) {
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        *net = NULL, *X = *Y = NULL;
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    for (size_t i = 0; i < (*net)->p.n_params; i++)
        gsl_vector_set((*net)->p.params, i, s * gsl_ran_gaussian(r, 1.0));
    for (size_t j = 0; j < sizes[0]; j++)
        for (size_t i = 0; i < m; i++)
            gsl_matrix_set(*X, j, i, gsl_ran_gaussian(r, 1.0));
    for (size_t i = 0; i < m; i++) {
        gsl_vector_view y = gsl_matrix_column(*Y, i);
        gp_case_fill_target(r, cost, &y.vector);
    }
    if (scale)
        *scale = s;
    int status = case_activations(r, opts, *net);
    return status ? status : case_kink(r, opts, *net, *X);
}

int gp_case_place_kink(gp_network *net, const gsl_matrix *X, size_t l, size_t j, size_t i,
                       double off, int *exact) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(exact, GSL_EINVAL);
    double at;
    *exact = 0;
    if (l < 1 || l >= net->p.L || j >= net->p.sizes[l] || i >= X->size2)
        GSL_ERROR("no such hidden unit or sample", GSL_EINVAL);
    if (!gp_activation_kink(gp_network_activation(net, l), &at))
        GSL_ERROR("the layer's activation has no kink", GSL_EINVAL);
    if (!isfinite(off)) /* it wrote NaN or inf into the bias */
        GSL_ERROR("the offset from the kink must be finite", GSL_EDOM);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, X->size2);
    if (!w)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    int status = GSL_SUCCESS;
    /* z^l_ji = (W^l a^{l-1})_ji + b^l_j: shifting b^l_j by the miss moves z by it, up
     * to the rounding of the sum, so a few rounds land exactly. */
    for (int it = 0; it < 6 && !status && !*exact; it++) {
        status = gp_feedforward(net, X, w);
        double miss = gsl_matrix_get(w->z[l - 1], j, i) - (at + off);
        if (!status && !(*exact = miss == 0))
            *gsl_vector_ptr(net->p.b[l - 1], j) -= miss;
    }
    gp_backprop_workspace_free(w);
    return status;
}
