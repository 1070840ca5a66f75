/* src/netio.c: network2.py-compatible JSON load and save (jansson).
 *
 * Loading walks the document twice: first only to check it (so that a file claiming
 * sizes [1000000, 1000000] with no data behind them is refused before a 8 TB
 * allocation is attempted), then, with the network allocated, to copy the numbers. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include <gradproof/netio.h>

#include "ioutil.h"

const char *gp_netio_cost_name(const gp_cost_type *cost) {
    if (cost == &gp_cost_quadratic)
        return "QuadraticCost";
    if (cost == &gp_cost_cross_entropy)
        return "CrossEntropyCost";
    return cost != NULL ? cost->name : NULL;
}

static int number(const json_t *v, double *x) {
    if (!json_is_number(v))
        return 0;
    *x = json_number_value(v);
    return isfinite(*x);
}

/* Check (net == NULL) or copy (net != NULL) "weights" and "biases" for sizes[0..L]. */
static int walk_params(const char *path, const json_t *weights, const json_t *biases,
                       const size_t *sizes, size_t L, gp_network *net, char *errbuf,
                       size_t errlen) {
    size_t l, j, k;
    double x;
    if (!json_is_array(weights))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"weights\" is missing or not a list", path);
    if (!json_is_array(biases))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"biases\" is missing or not a list", path);
    if (json_array_size(weights) != L)
        return GPI_FAIL(
            errbuf, errlen, GSL_EINVAL,
            "%s: \"weights\" has %zu matrices, expected %zu (one per layer after "
            "the input)",
            path, json_array_size(weights), L);
    if (json_array_size(biases) != L)
        return GPI_FAIL(
            errbuf, errlen, GSL_EINVAL,
            "%s: \"biases\" has %zu vectors, expected %zu (one per layer after "
            "the input)",
            path, json_array_size(biases), L);
    for (l = 1; l <= L; l++) {
        const json_t *W = json_array_get(weights, l - 1);
        const json_t *b = json_array_get(biases, l - 1);
        size_t n = sizes[l], m = sizes[l - 1];
        if (!json_is_array(W) || json_array_size(W) != n)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: weights[%zu] has %zu rows, expected %zu (sizes[%zu])",
                            path, l - 1, json_is_array(W) ? json_array_size(W) : 0, n, l);
        for (j = 0; j < n; j++) {
            const json_t *row = json_array_get(W, j);
            if (!json_is_array(row) || json_array_size(row) != m)
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: weights[%zu][%zu] has %zu entries, expected %zu "
                                "(sizes[%zu])",
                                path, l - 1, j,
                                json_is_array(row) ? json_array_size(row) : 0, m, l - 1);
            for (k = 0; k < m; k++) {
                if (!number(json_array_get(row, k), &x))
                    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                    "%s: weights[%zu][%zu][%zu] is not a finite number",
                                    path, l - 1, j, k);
                if (net != NULL)
                    gsl_matrix_set(net->p.w[l - 1], j, k, x);
            }
        }
        if (!json_is_array(b) || json_array_size(b) != n)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: biases[%zu] has %zu rows, expected %zu (sizes[%zu])",
                            path, l - 1, json_is_array(b) ? json_array_size(b) : 0, n, l);
        for (j = 0; j < n; j++) {
            const json_t *e = json_array_get(b, j);
            /* network2.py stores b^l as an n_l x 1 column: [[b_1], [b_2], ...]. */
            if (json_is_array(e)) {
                if (json_array_size(e) != 1)
                    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                    "%s: biases[%zu][%zu] has %zu entries, expected 1",
                                    path, l - 1, j, json_array_size(e));
                e = json_array_get(e, 0);
            }
            if (!number(e, &x))
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: biases[%zu][%zu] is not a finite number", path,
                                l - 1, j);
            if (net != NULL)
                gsl_vector_set(net->p.b[l - 1], j, x);
        }
    }
    return GSL_SUCCESS;
}

int gp_netio_load(const char *path, gp_network **out, char *errbuf, size_t errlen) {
    json_error_t jerr;
    json_t *root = NULL;
    const json_t *jsizes, *jcost, *weights, *biases;
    const gp_cost_type *cost;
    size_t *sizes = NULL, n_layers, i;
    gp_network *net = NULL;
    int status;

    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the network given");
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no network file name given");
    errno = 0;
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (json_error_code(&jerr) == json_error_cannot_open_file)
            return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: cannot open: %s", path,
                            errno != 0 ? strerror(errno) : jerr.text);
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s:%d:%d: invalid JSON: %s", path,
                        jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not a JSON object", path);
        goto done;
    }
    jsizes = json_object_get(root, "sizes");
    if (!json_is_array(jsizes)) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: \"sizes\" is missing or not a list", path);
        goto done;
    }
    n_layers = json_array_size(jsizes);
    if (n_layers < 2 || n_layers > GP_MAX_LAYERS) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: \"sizes\" has %zu layers, expected 2..%d", path, n_layers,
                          GP_MAX_LAYERS);
        goto done;
    }
    sizes = malloc(n_layers * sizeof *sizes);
    if (sizes == NULL) {
        status = GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (i = 0; i < n_layers; i++) {
        const json_t *s = json_array_get(jsizes, i);
        json_int_t v = json_is_integer(s) ? json_integer_value(s) : 0;
        if (v < 1 || v > GP_MAX_WIDTH) {
            status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                              "%s: sizes[%zu] is not an integer in 1..%d", path, i,
                              GP_MAX_WIDTH);
            goto done;
        }
        sizes[i] = (size_t)v;
    }
    jcost = json_object_get(root, "cost");
    if (!json_is_string(jcost)) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: \"cost\" is missing or not a string", path);
        goto done;
    }
    cost = gp_cost_lookup(json_string_value(jcost));
    if (cost == NULL) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: unknown cost \"%s\" (expected one of %s)", path,
                          json_string_value(jcost), gp_cost_names());
        goto done;
    }
    weights = json_object_get(root, "weights");
    biases = json_object_get(root, "biases");
    status =
        walk_params(path, weights, biases, sizes, n_layers - 1, NULL, errbuf, errlen);
    if (status != GSL_SUCCESS)
        goto done;
    net = gp_network_alloc(n_layers, sizes, cost);
    if (net == NULL) {
        status = GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory for the network",
                          path);
        goto done;
    }
    status = walk_params(path, weights, biases, sizes, n_layers - 1, net, errbuf, errlen);
    if (status == GSL_SUCCESS) {
        *out = net;
        net = NULL;
    }
done:
    gp_network_free(net);
    free(sizes);
    json_decref(root);
    return status;
}

/* json_array_append_new that reports failure (out of memory) as nonzero. */
static int append(json_t *array, json_t *v) {
    return v == NULL || json_array_append_new(array, v) != 0;
}

int gp_netio_save(const gp_network *net, const char *path, char *errbuf, size_t errlen) {
    json_t *root = NULL, *sizes, *weights, *biases;
    const char *cost_name;
    gpi_atomic a;
    size_t l, j, k;
    int status, bad = 0;

    if (path == NULL || net == NULL || net->cost == NULL || net->p.L < 1)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: no network to save",
                        path != NULL ? path : "(null)");
    /* JSON has no NaN or infinity; refuse rather than write something unloadable. */
    for (l = 1; l <= net->p.L; l++) {
        const gsl_matrix *W = net->p.w[l - 1];
        const gsl_vector *b = net->p.b[l - 1];
        for (j = 0; j < W->size1; j++) {
            for (k = 0; k < W->size2; k++)
                if (!isfinite(gsl_matrix_get(W, j, k)))
                    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                    "%s: weights[%zu][%zu][%zu] is not finite (%g)", path,
                                    l - 1, j, k, gsl_matrix_get(W, j, k));
            if (!isfinite(gsl_vector_get(b, j)))
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: biases[%zu][%zu] is not finite (%g)", path, l - 1, j,
                                gsl_vector_get(b, j));
        }
    }
    cost_name = gp_netio_cost_name(net->cost);
    root = json_object();
    sizes = json_array();
    weights = json_array();
    biases = json_array();
    /* The keys in network2.py's order; the objects are owned by root once set. */
    if (root == NULL || json_object_set_new(root, "sizes", sizes) != 0 ||
        json_object_set_new(root, "weights", weights) != 0 ||
        json_object_set_new(root, "biases", biases) != 0 ||
        json_object_set_new(root, "cost", json_string(cost_name)) != 0) {
        bad = 1;
        goto built;
    }
    for (l = 0; l <= net->p.L && !bad; l++)
        bad = append(sizes, json_integer((json_int_t)net->p.sizes[l]));
    for (l = 1; l <= net->p.L && !bad; l++) {
        const gsl_matrix *W = net->p.w[l - 1];
        const gsl_vector *b = net->p.b[l - 1];
        json_t *jW = json_array(), *jb = json_array();
        bad = append(weights, jW) || append(biases, jb);
        for (j = 0; j < W->size1 && !bad; j++) {
            json_t *row = json_array(), *cell = json_array();
            bad = append(jW, row) || append(jb, cell) ||
                  append(cell, json_real(gsl_vector_get(b, j)));
            for (k = 0; k < W->size2 && !bad; k++)
                bad = append(row, json_real(gsl_matrix_get(W, j, k)));
        }
    }
built:
    if (bad) {
        json_decref(root);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory building JSON",
                        path);
    }
    status = gpi_atomic_open(path, &a, errbuf, errlen);
    if (status != GSL_SUCCESS) {
        json_decref(root);
        return status;
    }
    /* 17 significant digits round-trip every double exactly. */
    if (json_dumpf(root, a.fp, JSON_REAL_PRECISION(17)) != 0 ||
        fputc('\n', a.fp) == EOF) {
        int e = errno;
        json_decref(root);
        gpi_atomic_abort(&a);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: write failed: %s", path,
                        strerror(e));
    }
    json_decref(root);
    return gpi_atomic_commit(&a, path, errbuf, errlen);
}
