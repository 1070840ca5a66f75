/* network.c: parameter layout, allocation and initialisation (SPEC "Network"). */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "internal.h"

void gp_params_clear(gp_params *p) {
    if (p == NULL)
        return;
    if (p->w)
        for (size_t l = 0; l < p->L; l++)
            gsl_matrix_free(p->w[l]);
    if (p->b)
        for (size_t l = 0; l < p->L; l++)
            gsl_vector_free(p->b[l]);
    free(p->w);
    free(p->b);
    free(p->sizes);
    gsl_vector_free(p->params);
    memset(p, 0, sizeof *p);
}

int gp_params_init(gp_params *p, size_t n_layers, const size_t *sizes) {
    GPI_NONNULL(p, GSL_EINVAL);
    GPI_NONNULL(sizes, GSL_EINVAL);
    memset(p, 0, sizeof *p);
    if (sizes == NULL || n_layers < 2 || n_layers > GP_MAX_LAYERS)
        GSL_ERROR("a network needs between 2 and GP_MAX_LAYERS layer sizes", GSL_EINVAL);
    /* Count parameters, refusing sizes whose product or sum would overflow. */
    size_t total = 0;
    for (size_t l = 0; l < n_layers; l++)
        if (sizes[l] == 0 || sizes[l] > GP_MAX_WIDTH)
            GSL_ERROR("layer sizes must be between 1 and GP_MAX_WIDTH", GSL_EINVAL);
    for (size_t l = 1; l < n_layers; l++) {
        size_t n = sizes[l], m = sizes[l - 1];
        if (m > (SIZE_MAX / sizeof(double)) / n - 1)
            GSL_ERROR("network too large", GSL_EINVAL);
        size_t layer = n * (m + 1);
        if (total > SIZE_MAX / sizeof(double) - layer)
            GSL_ERROR("network too large", GSL_EINVAL);
        total += layer;
    }
    p->L = n_layers - 1;
    p->n_params = total;
    p->sizes = malloc(n_layers * sizeof *p->sizes);
    p->w = calloc(p->L, sizeof *p->w);
    p->b = calloc(p->L, sizeof *p->b);
    if (!p->sizes || !p->w || !p->b)
        goto fail;
    memcpy(p->sizes, sizes, n_layers * sizeof *sizes);
    p->params = gsl_vector_calloc(total);
    if (!p->params)
        goto fail;
    /* Views into the one block: W^l (row-major n_l x n_{l-1}) followed by b^l. */
    size_t off = 0;
    for (size_t l = 1; l <= p->L; l++) {
        size_t n = sizes[l], m = sizes[l - 1];
        p->w[l - 1] = gsl_matrix_alloc_from_block(p->params->block, off, n, m, m);
        off += n * m;
        p->b[l - 1] = gsl_vector_alloc_from_block(p->params->block, off, n, 1);
        off += n;
        if (!p->w[l - 1] || !p->b[l - 1])
            goto fail;
    }
    return GSL_SUCCESS;
fail:
    gp_params_clear(p);
    GSL_ERROR("out of memory for network parameters", GSL_ENOMEM);
}

size_t gp_params_offset(const gp_params *p, size_t l, int is_weight) {
    size_t off = 0;
    if (p == NULL || l < 1 || l > p->L) /* sizes[l] or sizes[-1] was read */
        GSL_ERROR_VAL("no such layer", GSL_EINVAL, SIZE_MAX);
    for (size_t k = 1; k < l; k++)
        off += p->sizes[k] * (p->sizes[k - 1] + 1);
    return is_weight ? off : off + p->sizes[l] * p->sizes[l - 1];
}

int gp_params_locate(const gp_params *p, size_t i, size_t *l, int *is_weight, size_t *j,
                     size_t *k) {
    GPI_NONNULL(p, GSL_EINVAL);
    GPI_NONNULL(l, GSL_EINVAL);
    GPI_NONNULL(is_weight, GSL_EINVAL);
    GPI_NONNULL(j, GSL_EINVAL);
    GPI_NONNULL(k, GSL_EINVAL);
    if (i >= p->n_params)
        GSL_ERROR("parameter index out of range", GSL_EINVAL);
    for (size_t layer = 1; layer <= p->L; layer++) {
        size_t n = p->sizes[layer], m = p->sizes[layer - 1];
        if (i < n * m) {
            *l = layer, *is_weight = 1, *j = i / m, *k = i % m;
            return GSL_SUCCESS;
        }
        i -= n * m;
        if (i < n) {
            *l = layer, *is_weight = 0, *j = i, *k = 0;
            return GSL_SUCCESS;
        }
        i -= n;
    }
    GSL_ERROR("parameter index out of range", GSL_EINVAL); /* not reached */
}

gp_network *gp_network_alloc(size_t n_layers, const size_t *sizes,
                             const gp_cost_type *cost) {
    if (cost == NULL)
        GSL_ERROR_NULL("network needs a cost", GSL_EINVAL);
    gp_network *net = calloc(1, sizeof *net);
    if (!net)
        GSL_ERROR_NULL("out of memory for network", GSL_ENOMEM);
    if (gp_params_init(&net->p, n_layers, sizes) != GSL_SUCCESS) {
        free(net);
        return NULL;
    }
    net->cost = cost;
    /* one entry per hidden layer; at least one, so that malloc(0) is never asked */
    size_t hidden = net->p.L - 1;
    net->act = malloc((hidden ? hidden : 1) * sizeof *net->act);
    if (net->act == NULL) {
        gp_network_free(net);
        GSL_ERROR_NULL("out of memory for network", GSL_ENOMEM);
    }
    for (size_t l = 0; l < hidden; l++)
        net->act[l] = gp_activation_sigmoid;
    return net;
}

void gp_network_free(gp_network *net) {
    if (net == NULL)
        return;
    gp_params_clear(&net->p);
    free(net->act);
    free(net);
}

/* The allocators below take a network: NULL is refused as gp_network_alloc refuses a
 * NULL cost (it was dereferenced). */
gp_network *gp_network_clone(const gp_network *net) {
    if (net == NULL)
        GSL_ERROR_NULL("no network to clone", GSL_EINVAL);
    gp_network *c = gp_network_alloc(net->p.L + 1, net->p.sizes, net->cost);
    if (c) {
        gsl_vector_memcpy(c->p.params, net->p.params);
        for (size_t l = 0; l + 1 < net->p.L; l++)
            c->act[l] = net->act[l];
    }
    return c;
}

const gp_activation *gp_network_activation(const gp_network *net, size_t l) {
    if (net == NULL || l == 0 || l >= net->p.L)
        GSL_ERROR_NULL("hidden layers are 1 .. L-1", GSL_EINVAL);
    return &net->act[l - 1];
}

int gp_network_set_activation(gp_network *net, size_t l, const gp_activation *act) {
    if (net == NULL || l == 0 || l >= net->p.L)
        GSL_ERROR("hidden layers are 1 .. L-1", GSL_EINVAL);
    if (act == NULL || act->f == NULL || act->df == NULL || act->f_n == NULL)
        GSL_ERROR("an activation needs f, df and f_n", GSL_EINVAL);
    net->act[l - 1] = *act;
    return GSL_SUCCESS;
}

gp_gradient *gp_gradient_alloc(const gp_network *net) {
    if (net == NULL)
        GSL_ERROR_NULL("a gradient needs a network", GSL_EINVAL);
    gp_gradient *g = calloc(1, sizeof *g);
    if (!g)
        GSL_ERROR_NULL("out of memory for gradient", GSL_ENOMEM);
    if (gp_params_init(g, net->p.L + 1, net->p.sizes) != GSL_SUCCESS) {
        free(g);
        return NULL;
    }
    return g;
}

void gp_gradient_free(gp_gradient *g) {
    if (g == NULL)
        return;
    gp_params_clear(g);
    free(g);
}

/* network2.py: large_weight_initializer draws W, b ~ N(0,1); default_weight_initializer
 * draws W ~ N(0, 1/n_in) so that z = W a + b has variance near 1 (not n_in) and the
 * hidden neurons start unsaturated; b ~ N(0,1). */
int gp_network_init(gp_network *net, gp_init kind, gsl_rng *r) {
    if (kind != GP_INIT_LARGE && kind != GP_INIT_DEFAULT)
        GSL_ERROR("unknown initialisation", GSL_EINVAL);
    if (net == NULL || r == NULL)
        GSL_ERROR("initialisation needs a network and a generator", GSL_EINVAL);
    for (size_t l = 1; l <= net->p.L; l++) {
        gsl_matrix *w = net->p.w[l - 1];
        double sd = kind == GP_INIT_DEFAULT ? 1.0 / sqrt((double)w->size2) : 1.0;
        for (size_t j = 0; j < w->size1; j++)
            for (size_t k = 0; k < w->size2; k++)
                gsl_matrix_set(w, j, k, gsl_ran_gaussian_ziggurat(r, sd));
        gsl_vector *b = net->p.b[l - 1];
        for (size_t j = 0; j < b->size; j++)
            gsl_vector_set(b, j, gsl_ran_gaussian_ziggurat(r, 1.0));
    }
    return GSL_SUCCESS;
}
