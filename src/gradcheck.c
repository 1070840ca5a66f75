/* gradcheck.c: analytic gradients against gsl_deriv_central (GSL's 5-point rule). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_randist.h>

#include "internal.h"

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

int gp_gradcheck_add(gp_gradcheck_report *r, const gp_gradcheck_opts *opts, gp_tensor tensor,
                     size_t l, size_t j, size_t k, double analytic, double numeric,
                     double abserr) {
    gp_gradcheck_entry e = {tensor, l, j, k, analytic, numeric, abserr, 0, 0, 0};
    double big = fmax(fabs(analytic), fabs(numeric));
    e.error = fabs(analytic - numeric);
    e.allowed = opts->abserr_factor * abserr + opts->atol + opts->rtol * big;
    /* NaN anywhere fails: the comparison below is false for NaN. */
    int pass = e.error <= e.allowed;
    e.score = pass ? e.error / e.allowed : (isnan(e.error) ? INFINITY : e.error / e.allowed);
    r->n_checked++;
    r->n_failed += !pass;
    if (isfinite(numeric))
        r->sum_abs_numeric += fabs(numeric);
    if (!(e.error <= r->max_abs_error))
        r->max_abs_error = e.error;
    if (big >= GP_GRADCHECK_REL_FLOOR && !(e.error / big <= r->max_rel_error))
        r->max_rel_error = e.error / big;
    /* Keep the n_worst highest scores, highest first (insertion into a short list). */
    size_t cap = opts->n_worst < GP_GRADCHECK_MAX_WORST ? opts->n_worst : GP_GRADCHECK_MAX_WORST;
    size_t pos = r->n_worst;
    while (pos > 0 && !(r->worst[pos - 1].score >= e.score))
        pos--;
    if (pos < cap) {
        size_t last = r->n_worst < cap ? r->n_worst : cap - 1;
        memmove(&r->worst[pos + 1], &r->worst[pos], (last - pos) * sizeof e);
        r->worst[pos] = e;
        if (r->n_worst < cap)
            r->n_worst++;
    }
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

int gp_cost_from_z(const gp_network *net, size_t l, const gsl_vector *zl, const gsl_vector *y,
                   double *cost) {
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
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[L] || Y->size2 != m || m == 0)
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
                gsl_deriv_central(&F, gsl_vector_get(zs[l - 1], j), opts->h, &num, &abserr);
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
    if (opts->max_layers < 1 || opts->max_layers >= GP_MAX_LAYERS || opts->max_width < 1 ||
        opts->max_batch < 1 || !(opts->scale_min > 0) || !(opts->scale_max >= opts->scale_min))
        GSL_ERROR("bad random-case limits", GSL_EINVAL);
    size_t L = 1 + gsl_rng_uniform_int(r, opts->max_layers);
    for (size_t l = 0; l <= L; l++)
        sizes[l] = 1 + gsl_rng_uniform_int(r, opts->max_width);
    /* Softmax with one output is the constant 1: give log-likelihood at least 2 classes. */
    if (cost->output == GP_OUTPUT_SOFTMAX && sizes[L] < 2)
        sizes[L] = 2;
    size_t m = 1 + gsl_rng_uniform_int(r, opts->max_batch);
    double s = opts->scale_min * exp(gsl_rng_uniform(r) * log(opts->scale_max / opts->scale_min));
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
                           cost->output == GP_OUTPUT_LINEAR ? gsl_ran_gaussian_ziggurat(r, 1.0)
                                                            : gsl_rng_uniform(r));
    }
    if (scale)
        *scale = s;
    return GSL_SUCCESS;
}
