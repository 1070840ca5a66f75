/* gradcheck.c: analytic gradients against gsl_deriv_central (GSL's 5-point rule). */
#include <config.h>

#include <float.h>
#include <math.h>
#include <stddef.h>
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

void gp_gradcheck_opts_default(gp_gradcheck_opts *opts) {
    opts->h = 1e-4;
    opts->abserr_factor = 4.0;
    opts->atol = 1e-8;
    opts->rtol = 1e-6;
    opts->n_worst = 5;
}

void gp_gradcheck_report_init(gp_gradcheck_report *r) {
    memset(r, 0, sizeof *r);
}

int gp_gradcheck_add(gp_gradcheck_report *r, const gp_gradcheck_opts *opts,
                     gp_tensor tensor, size_t l, size_t j, size_t k, double analytic,
                     double numeric, double abserr) {
    gp_gradcheck_entry e = {tensor, l, j, k, analytic, numeric, abserr, 0, 0, 0};
    double big = fmax(fabs(analytic), fabs(numeric));
    e.error = fabs(analytic - numeric);
    e.allowed = opts->abserr_factor * abserr + opts->atol + opts->rtol * big;
    /* NaN anywhere fails: the comparison below is false for NaN. */
    int pass = e.error <= e.allowed;
    e.score =
        pass ? e.error / e.allowed : (isnan(e.error) ? INFINITY : e.error / e.allowed);
    r->n_checked++;
    r->n_failed += !pass;
    if (isfinite(numeric))
        r->sum_abs_numeric += fabs(numeric);
    if (!(e.error <= r->max_abs_error))
        r->max_abs_error = e.error;
    if (big >= GP_GRADCHECK_REL_FLOOR && !(e.error / big <= r->max_rel_error))
        r->max_rel_error = e.error / big;
    keep_worst(r->worst, &r->n_worst, opts->n_worst, sizeof e,
               offsetof(gp_gradcheck_entry, score), &e);
    return pass;
}

/* ---- parameters: C(params) with one parameter replaced by t ---- */

typedef struct {
    gp_network *net; /* a private copy, perturbed in place */
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    gp_backprop_workspace *w;
    size_t i;
    int status;
} param_fn;

static double eval_param(double t, void *vp) {
    param_fn *p = vp;
    double *slot = gsl_vector_ptr(p->net->p.params, p->i), saved = *slot, c = NAN;
    *slot = t;
    int status = gp_total_cost(p->net, p->X, p->Y, p->reg, p->w, &c);
    if (status && !p->status)
        p->status = status;
    *slot = saved;
    return c;
}

int gp_gradcheck_params(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *reg, const gp_gradient *analytic,
                        const gp_gradcheck_opts *opts, gp_gradcheck_report *report) {
    if (analytic->n_params != net->p.n_params || analytic->L != net->p.L)
        GSL_ERROR("gradient does not match the network", GSL_EBADLEN);
    if (X->size2 == 0)
        GSL_ERROR("no samples", GSL_EBADLEN);
    param_fn p = {gp_network_clone(net), X, Y, reg, NULL, 0, GSL_SUCCESS};
    if (!p.net)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    p.w = gp_backprop_workspace_alloc(net, X->size2);
    if (!p.w) {
        gp_network_free(p.net);
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    gsl_function F = {eval_param, &p};
    int status = GSL_SUCCESS;
    for (size_t i = 0; i < net->p.n_params && !status; i++) {
        size_t l, j, k;
        int is_w;
        gp_params_locate(&net->p, i, &l, &is_w, &j, &k);
        double x = gsl_vector_get(net->p.params, i), h = opts->h, num, abserr;
        /* |w| has a kink at 0: keep the stencil (which reaches x +- h) on one side. */
        if (is_w && reg && reg->l1 > 0 && x != 0 && h > fabs(x) / 4)
            h = fabs(x) / 4;
        p.i = i;
        gsl_deriv_central(&F, x, h, &num, &abserr);
        status = p.status;
        gp_gradcheck_add(report, opts, is_w ? GP_TENSOR_W : GP_TENSOR_B, l, j, k,
                         gsl_vector_get(analytic->params, i), num, abserr);
    }
    gp_backprop_workspace_free(p.w);
    gp_network_free(p.net);
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
} z_fn;

static double forward_from(const gp_network *net, size_t l, const gsl_vector *zl,
                           gsl_vector **z, gsl_vector **a, const gsl_vector *y) {
    size_t L = net->p.L;
    const gsl_vector *zk = zl;
    for (size_t k = l; k < L; k++) {
        gp_sigmoid_vector(zk, a[k - 1]);
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

int gp_gradcheck_deltas(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gsl_matrix *const *delta, const gp_gradcheck_opts *opts,
                        gp_gradcheck_report *report) {
    size_t L = net->p.L, m = X->size2;
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[L] || Y->size2 != m ||
        m == 0)
        GSL_ERROR("X, Y and the network disagree in shape", GSL_EBADLEN);
    for (size_t l = 1; l <= L; l++)
        if (delta[l - 1]->size1 != net->p.sizes[l] || delta[l - 1]->size2 < m)
            GSL_ERROR("delta[l-1] must be n_l x (at least m)", GSL_EBADLEN);
    gsl_vector **z = alloc_layers(net), **a = alloc_layers(net), **zs = alloc_layers(net);
    gsl_vector *x = gsl_vector_alloc(net->p.sizes[0]);
    int status = GSL_SUCCESS;
    if (!z || !a || !zs || !x) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        /* The unperturbed z^l of sample i, by a plain single-sample forward pass; each
         * perturbation then reruns only layers l..L from its copy of z^l. */
        gsl_matrix_get_col(x, X, i);
        const gsl_vector *prev = x;
        for (size_t l = 1; l <= L; l++) {
            gsl_vector_memcpy(zs[l - 1], net->p.b[l - 1]);
            gsl_blas_dgemv(CblasNoTrans, 1.0, net->p.w[l - 1], prev, 1.0, zs[l - 1]);
            if (l < L)
                gp_sigmoid_vector(zs[l - 1], a[l - 1]);
            prev = a[l - 1];
        }
        gsl_vector_const_view y = gsl_matrix_const_column(Y, i);
        for (size_t l = 1; l <= L; l++) {
            z_fn p = {net, l, z, a, &y.vector, zs[l - 1], 0};
            gsl_function F = {eval_z, &p};
            for (size_t j = 0; j < net->p.sizes[l]; j++) {
                double num, abserr;
                p.j = j;
                gsl_deriv_central(&F, gsl_vector_get(zs[l - 1], j), opts->h, &num,
                                  &abserr);
                gp_gradcheck_add(report, opts, GP_TENSOR_Z, l, j, i,
                                 gsl_matrix_get(delta[l - 1], j, i), num, abserr);
            }
        }
    }
done:
    free_layers(z, L);
    free_layers(a, L);
    free_layers(zs, L);
    gsl_vector_free(x);
    return status;
}

/* ---- random cases ---- */

void gp_case_opts_default(gp_case_opts *opts) {
    opts->max_layers = 4;
    opts->max_width = 10;
    opts->max_batch = 16;
    opts->scale_min = 1e-3;
    opts->scale_max = 10;
}

int gp_case_random(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *opts,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, double *scale) {
    size_t sizes[GP_MAX_LAYERS];
    if (opts->max_layers < 1 || opts->max_layers >= GP_MAX_LAYERS ||
        opts->max_width < 1 || opts->max_batch < 1 || !(opts->scale_min > 0) ||
        !(opts->scale_max >= opts->scale_min))
        GSL_ERROR("bad random-case limits", GSL_EINVAL);
    size_t L = 1 + gsl_rng_uniform_int(r, opts->max_layers);
    for (size_t l = 0; l <= L; l++)
        sizes[l] = 1 + gsl_rng_uniform_int(r, opts->max_width);
    /* Softmax with one output is the constant 1: give log-likelihood at least 2 classes.
     */
    if (cost->output == GP_OUTPUT_SOFTMAX && sizes[L] < 2)
        sizes[L] = 2;
    size_t m = 1 + gsl_rng_uniform_int(r, opts->max_batch);
    double s = opts->scale_min *
               exp(gsl_rng_uniform(r) * log(opts->scale_max / opts->scale_min));
    *net = gp_network_alloc(L + 1, sizes, cost);
    *X = gsl_matrix_alloc(sizes[0], m);
    *Y = gsl_matrix_calloc(sizes[L], m);
    if (!*net || !*X || !*Y) {
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        *net = NULL, *X = *Y = NULL;
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    for (size_t i = 0; i < (*net)->p.n_params; i++)
        gsl_vector_set((*net)->p.params, i, s * gsl_ran_gaussian_ziggurat(r, 1.0));
    for (size_t j = 0; j < sizes[0]; j++)
        for (size_t i = 0; i < m; i++)
            gsl_matrix_set(*X, j, i, gsl_ran_gaussian_ziggurat(r, 1.0));
    for (size_t i = 0; i < m; i++) {
        if (cost->output == GP_OUTPUT_SOFTMAX) {
            gsl_matrix_set(*Y, gsl_rng_uniform_int(r, sizes[L]), i, 1.0);
            continue;
        }
        for (size_t j = 0; j < sizes[L]; j++)
            gsl_matrix_set(*Y, j, i,
                           cost->output == GP_OUTPUT_LINEAR
                               ? gsl_ran_gaussian_ziggurat(r, 1.0)
                               : gsl_rng_uniform(r));
    }
    if (scale)
        *scale = s;
    return GSL_SUCCESS;
}

/* ---- any function f: R^n -> R ---- */

const char *gp_precision_name(gp_precision p) {
    return p == GP_FLOAT32 ? "float32" : "float64";
}

int gp_precision_lookup(const char *name, gp_precision *p) {
    if (name && !strcmp(name, "float64"))
        *p = GP_FLOAT64;
    else if (name && !strcmp(name, "float32"))
        *p = GP_FLOAT32;
    else
        GSL_ERROR("precision must be float64 or float32", GSL_EINVAL);
    return GSL_SUCCESS;
}

static double precision_eps(gp_precision p) {
    return p == GP_FLOAT32 ? FLT_EPSILON : DBL_EPSILON;
}

void gp_fcheck_opts_default(gp_fcheck_opts *opts, gp_precision p) {
    double eps = precision_eps(p);
    opts->precision = p;
    opts->abserr_factor = 4.0;
    opts->n_worst = 5;
    opts->stol = 64 * eps;
    if (p == GP_FLOAT32) {
        opts->h = 1e-2;
        opts->atol = 8 * eps;
        opts->rtol = 4 * sqrt(eps);
    } else {
        opts->h = 1e-4;
        opts->atol = 1e-8;
        opts->rtol = 1e-6;
    }
}

void gp_fcheck_opts_compare(gp_fcheck_opts *opts, gp_precision p) {
    double eps = precision_eps(p);
    gp_fcheck_opts_default(opts, p);
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
    }
    snprintf(r->directions.name, sizeof r->directions.name, "directions");
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
    for (size_t i = 0; i < r->n_tensors; i++)
        tensor_reset(&r->tensors[i]);
    tensor_reset(&r->directions);
    r->n_checked = r->n_failed = r->n_worst = 0;
    r->max_abs_error = r->max_rel_error = r->sum_abs_numeric = 0;
}

static gp_fcheck_tensor *tensor_of(gp_fcheck_report *r, size_t tensor) {
    return tensor == GP_FCHECK_DIRECTIONS ? &r->directions : &r->tensors[tensor];
}

void gp_fcheck_set_scale(gp_fcheck_report *r, size_t tensor, double scale) {
    tensor_of(r, tensor)->scale = scale;
}

int gp_fcheck_add(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t tensor,
                  size_t index, double analytic, double numeric, double abserr) {
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
    e.allowed = opts->abserr_factor * abserr + opts->atol + opts->rtol * big +
                opts->stol * s->scale;
    /* NaN anywhere fails: every comparison with NaN is false. */
    int pass = e.error <= e.allowed;
    e.score = isnan(e.error) || isnan(e.allowed) ? INFINITY : e.error / e.allowed;
    r->n_checked++;
    r->n_failed += !pass;
    s->n_checked++;
    s->n_failed += !pass;
    if (isfinite(numeric))
        r->sum_abs_numeric += fabs(numeric);
    if (!(e.error <= r->max_abs_error))
        r->max_abs_error = e.error;
    if (!(e.error <= s->max_abs_error))
        s->max_abs_error = e.error;
    if (big >= GP_GRADCHECK_REL_FLOOR || !pass) {
        if (!(e.rel_error <= r->max_rel_error))
            r->max_rel_error = e.rel_error;
        if (!(e.rel_error <= s->max_rel_error))
            s->max_rel_error = e.rel_error;
    }
    if (!(e.score <= s->max_score))
        s->max_score = e.score;
    keep_worst(r->worst, &r->n_worst, opts->n_worst, sizeof e,
               offsetof(gp_fcheck_entry, score), &e);
    return pass;
}

int gp_fcheck_compare(const double *cand, const double *ref, const gp_fcheck_opts *opts,
                      gp_fcheck_report *r) {
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
 * from the 3-point rule, its rounding error by eps |f| / h. */
static void central_deriv_eps(const gsl_function *f, double x, double h, double eps,
                              double *result, double *round, double *trunc) {
    double fm1 = GSL_FN_EVAL(f, x - h), fp1 = GSL_FN_EVAL(f, x + h);
    double fmh = GSL_FN_EVAL(f, x - h / 2), fph = GSL_FN_EVAL(f, x + h / 2);
    double r3 = 0.5 * (fp1 - fm1);
    double r5 = (4.0 / 3.0) * (fph - fmh) - (1.0 / 3.0) * r3;
    double e3 = (fabs(fp1) + fabs(fm1)) * eps;
    double e5 = 2.0 * (fabs(fph) + fabs(fmh)) * eps + e3;
    /* x + h itself is rounded: an error of eps |x| in the step. */
    double dy = fmax(fabs(r3 / h), fabs(r5 / h)) * (fabs(x) / h) * eps;
    *result = r5 / h;
    *trunc = fabs((r5 - r3) / h);
    *round = fabs(e5 / h) + dy;
}

/* gsl_deriv_central's step refinement, for any eps: one retry at the step that
 * balances the O(h^2) truncation against the O(1/h) rounding. */
static void deriv_central_eps(const gsl_function *f, double x, double h, double eps,
                              double *result, double *abserr) {
    double r0, round, trunc;
    central_deriv_eps(f, x, h, eps, &r0, &round, &trunc);
    double error = round + trunc;
    if (round < trunc && round > 0 && trunc > 0) {
        double r_opt, round_opt, trunc_opt;
        double h_opt = h * pow(round / (2.0 * trunc), 1.0 / 3.0);
        central_deriv_eps(f, x, h_opt, eps, &r_opt, &round_opt, &trunc_opt);
        double error_opt = round_opt + trunc_opt;
        if (error_opt < error && fabs(r_opt - r0) < 4.0 * error) {
            r0 = r_opt;
            error = error_opt;
        }
    }
    *result = r0;
    *abserr = error;
}

void gpi_deriv(const gsl_function *f, double x, const gp_fcheck_opts *opts,
               double *result, double *abserr) {
    if (opts->precision == GP_FLOAT32)
        deriv_central_eps(f, x, opts->h, FLT_EPSILON, result, abserr);
    else
        gsl_deriv_central(f, x, opts->h, result, abserr);
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

static int check_ranges(const gp_fcheck_report *r, size_t n) {
    for (size_t t = 0; t < r->n_tensors; t++)
        if (r->tensors[t].offset > n || r->tensors[t].length > n - r->tensors[t].offset)
            GSL_ERROR("a tensor range lies outside x", GSL_EBADLEN);
    return GSL_SUCCESS;
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

/* Numerical derivatives at the chosen indices of tensor t, then the verdicts: the
 * tensor's scale is known only once all its references are. */
static int check_indices(const gp_function_fdf *F, const gsl_vector *x, gsl_vector *xs,
                         const gsl_vector *g, size_t t, const size_t *idx, size_t k,
                         const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    const gp_fcheck_tensor *s = &r->tensors[t];
    double *num = malloc((k ? k : 1) * 2 * sizeof *num), scale = 0;
    if (!num)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    coord_fn c = {F, xs, 0};
    gsl_function fn = {eval_coord, &c};
    for (size_t q = 0; q < k; q++) {
        c.i = s->offset + (idx ? idx[q] : q);
        gpi_deriv(&fn, gsl_vector_get(x, c.i), opts, &num[2 * q], &num[2 * q + 1]);
        if (isfinite(num[2 * q]))
            scale = fmax(scale, fabs(num[2 * q]));
    }
    gp_fcheck_set_scale(r, t, scale);
    for (size_t q = 0; q < k; q++) {
        size_t i = idx ? idx[q] : q;
        gp_fcheck_add(r, opts, t, i, gsl_vector_get(g, s->offset + i), num[2 * q],
                      num[2 * q + 1]);
    }
    free(num);
    return GSL_SUCCESS;
}

int gp_fcheck_full(const gp_function_fdf *F, const gsl_vector *x,
                   const gp_fcheck_opts *opts, gp_fcheck_report *r) {
    gsl_vector *g, *xs;
    int status = fcheck_setup(F, x, r, &g, &xs);
    for (size_t t = 0; t < r->n_tensors && !status; t++)
        status = check_indices(F, x, xs, g, t, NULL, r->tensors[t].length, opts, r);
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
static int sample_and_check(const gp_function_fdf *F, const gsl_vector *x, gsl_vector *xs,
                            const gsl_vector *g, const size_t *k, gsl_rng *rng,
                            const gp_fcheck_opts *opts, gp_fcheck_report *r) {
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
            status = check_indices(F, x, xs, g, t, dst, k[t], opts, r);
        }
        free(src);
        free(dst);
    }
    return status;
}

int gp_fcheck_sampled(const gp_function_fdf *F, const gsl_vector *x, size_t budget,
                      unsigned long seed, const gp_fcheck_opts *opts,
                      gp_fcheck_report *r) {
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
        status = sample_and_check(F, x, xs, g, k, rng, opts, r);
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

int gp_fcheck_directional(const gp_function_fdf *F, const gsl_vector *x, size_t n_dirs,
                          unsigned long seed, const gp_fcheck_opts *opts,
                          gp_fcheck_report *r) {
    gsl_vector *g, *xs;
    int status = fcheck_setup(F, x, r, &g, &xs);
    if (status)
        return status;
    gsl_vector *d = gsl_vector_alloc(F->n);
    double *res = malloc((n_dirs ? n_dirs : 1) * 3 * sizeof *res), scale = 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!d || !res || !rng) {
        status = GSL_ENOMEM;
        gsl_error("out of memory", __FILE__, __LINE__, status);
        goto done;
    }
    gsl_rng_set(rng, seed);
    dir_fn p = {F, x, d, xs};
    gsl_function fn = {eval_dir, &p};
    for (size_t q = 0; q < n_dirs; q++) {
        gsl_ran_dir_nd(rng, F->n, d->data); /* uniform on the unit sphere */
        gsl_blas_ddot(g, d, &res[3 * q]);
        gpi_deriv(&fn, 0.0, opts, &res[3 * q + 1], &res[3 * q + 2]);
        if (isfinite(res[3 * q + 1]))
            scale = fmax(scale, fabs(res[3 * q + 1]));
    }
    gp_fcheck_set_scale(r, GP_FCHECK_DIRECTIONS, scale);
    for (size_t q = 0; q < n_dirs; q++)
        gp_fcheck_add(r, opts, GP_FCHECK_DIRECTIONS, q, res[3 * q], res[3 * q + 1],
                      res[3 * q + 2]);
done:
    gsl_rng_free(rng);
    free(res);
    gsl_vector_free(d);
    gsl_vector_free(g);
    gsl_vector_free(xs);
    return status;
}

int gp_fcheck_taylor(const gp_function_fdf *F, const gsl_vector *x, unsigned long seed,
                     const gp_fcheck_opts *opts, gp_taylor_result *res) {
    if (x->size != F->n)
        GSL_ERROR("x does not have F->n entries", GSL_EBADLEN);
    double eps = precision_eps(opts->precision);
    gsl_vector *g = gsl_vector_alloc(F->n), *d = gsl_vector_alloc(F->n),
               *xs = gsl_vector_alloc(F->n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int status = GSL_SUCCESS;
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
    res->n = 0;
    res->order = NAN;
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
    res->n = GP_TAYLOR_MAX;
    size_t kept[GP_TAYLOR_MAX], nk = 0, n_bad = 0;
    for (size_t k = 0; k < res->n; k++) {
        double h = ldexp(1.0, -(int)k), fh = eval_dir(h, &p);
        double rem = fabs(fh - f0 - h * gd);
        double noise = 8 * eps * (fabs(f0) + fabs(fh) + h * fabs(gd) + gx);
        res->h[k] = h;
        res->remainder[k] = rem;
        res->used[k] = 0;
        n_bad += !isfinite(rem);
        if (isfinite(rem) && rem > 100 * noise)
            kept[nk++] = k;
    }
    if (nk < 3) {
        /* FLAT only when f was finite along the whole sweep. */
        res->verdict = n_bad ? GP_TAYLOR_FAIL : GP_TAYLOR_FLAT;
        goto done;
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
done:
    gsl_rng_free(rng);
    gsl_vector_free(g);
    gsl_vector_free(d);
    gsl_vector_free(xs);
    return status;
}
