/* src/netio.c: network2.py-compatible JSON load and save (jansson).
 *
 * Loading walks the document twice: first only to check it (so that a file claiming
 * sizes [1000000, 1000000] with no data behind them is refused before a 8 TB
 * allocation is attempted), then, with the network allocated, to copy the numbers. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include <gradproof/netio.h>

#include "internal.h"
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

/* The length of a JSON list, 0 for anything else. */
static size_t len_of(const json_t *v) {
    return json_is_array(v) ? json_array_size(v) : 0;
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
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"weights\" has %zu %s, expected %zu (one per layer after "
                        "the input)",
                        path, json_array_size(weights),
                        GPI_PLURAL(json_array_size(weights), "matrix", "matrices"), L);
    if (json_array_size(biases) != L)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"biases\" has %zu %s, expected %zu (one per layer after "
                        "the input)",
                        path, json_array_size(biases),
                        GPI_PLURAL(json_array_size(biases), "vector", "vectors"), L);
    for (l = 1; l <= L; l++) {
        const json_t *W = json_array_get(weights, l - 1);
        const json_t *b = json_array_get(biases, l - 1);
        size_t n = sizes[l], m = sizes[l - 1];
        if (!json_is_array(W) || json_array_size(W) != n)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: weights[%zu] has %zu %s, expected %zu (sizes[%zu])",
                            path, l - 1, len_of(W), GPI_PLURAL(len_of(W), "row", "rows"),
                            n, l);
        for (j = 0; j < n; j++) {
            const json_t *row = json_array_get(W, j);
            if (!json_is_array(row) || json_array_size(row) != m)
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: weights[%zu][%zu] has %zu %s, expected %zu "
                                "(sizes[%zu])",
                                path, l - 1, j, len_of(row),
                                GPI_PLURAL(len_of(row), "entry", "entries"), m, l - 1);
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
                            "%s: biases[%zu] has %zu %s, expected %zu (sizes[%zu])", path,
                            l - 1, len_of(b), GPI_PLURAL(len_of(b), "row", "rows"), n, l);
        for (j = 0; j < n; j++) {
            const json_t *e = json_array_get(b, j);
            /* network2.py stores b^l as an n_l x 1 column: [[b_1], [b_2], ...]. */
            if (json_is_array(e)) {
                if (json_array_size(e) != 1)
                    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                    "%s: biases[%zu][%zu] has %zu %s, expected 1", path,
                                    l - 1, j, json_array_size(e),
                                    GPI_PLURAL(json_array_size(e), "entry", "entries"));
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

/* "sizes" and "cost" of a network object: checked, sizes copied to sizes[]. */
static int read_header(const json_t *root, const char *path, size_t *sizes, size_t *n,
                       const gp_cost_type **cost, char *errbuf, size_t errlen) {
    const json_t *jsizes = json_object_get(root, "sizes"), *jcost;
    if (!json_is_object(root))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not a JSON object", path);
    if (!json_is_array(jsizes))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"sizes\" is missing or not a list", path);
    *n = json_array_size(jsizes);
    if (*n < 2 || *n > GP_MAX_LAYERS)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"sizes\" has %zu layers, expected 2..%d", path, *n,
                        GP_MAX_LAYERS);
    for (size_t i = 0; i < *n; i++) {
        const json_t *s = json_array_get(jsizes, i);
        json_int_t v = json_is_integer(s) ? json_integer_value(s) : 0;
        if (v < 1 || v > GP_MAX_WIDTH)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: sizes[%zu] is not an integer in 1..%d", path, i,
                            GP_MAX_WIDTH);
        sizes[i] = (size_t)v;
    }
    jcost = json_object_get(root, "cost");
    if (!json_is_string(jcost))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: \"cost\" is missing or not a string", path);
    *cost = gp_cost_lookup(json_string_value(jcost));
    if (*cost == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: unknown cost \"%s\" (expected one of %s)", path,
                        json_string_value(jcost), gp_cost_names());
    return GSL_SUCCESS;
}

/* One hidden activation: "NAME", "leaky-relu:ALPHA" or {"name": ..., "alpha": ...}. */
static int read_activation(const char *path, size_t l, const json_t *v,
                           gp_activation *act, char *errbuf, size_t errlen) {
    const json_t *name = json_is_object(v) ? json_object_get(v, "name") : v;
    const json_t *alpha = json_is_object(v) ? json_object_get(v, "alpha") : NULL;
    int status = json_is_string(name) && (alpha == NULL || json_is_number(alpha))
                     ? gp_activation_parse(json_string_value(name), act)
                     : GSL_EINVAL;
    if (status == GSL_SUCCESS && alpha != NULL)
        status = gp_activation_set_alpha(act, json_number_value(alpha));
    if (status != GSL_SUCCESS)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: activations[%zu] is not one of sigmoid, tanh, relu, "
                        "leaky-relu[:ALPHA in [0,1)], softplus, identity",
                        path, l - 1);
    return GSL_SUCCESS;
}

/* The optional "activations": one per hidden layer; absent means sigmoid. */
static int read_activations(const char *path, const json_t *root, gp_network *net,
                            char *errbuf, size_t errlen) {
    const json_t *acts = json_object_get(root, "activations");
    size_t hidden = net->p.L - 1;
    if (acts == NULL)
        return GSL_SUCCESS;
    if (!json_is_array(acts) || json_array_size(acts) != hidden)
        return hidden ? GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                 "%s: \"activations\" must list %zu %s (one per hidden "
                                 "layer)",
                                 path, hidden, hidden == 1 ? "name" : "names")
                      : GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                 "%s: \"activations\" given, but the network has no "
                                 "hidden layer",
                                 path);
    for (size_t l = 1; l <= hidden; l++) {
        gp_activation act;
        int status =
            read_activation(path, l, json_array_get(acts, l - 1), &act, errbuf, errlen);
        if (status == GSL_SUCCESS)
            status = gp_network_set_activation(net, l, &act);
        if (status != GSL_SUCCESS)
            return status;
    }
    return GSL_SUCCESS;
}

/* "activations" as gp_activation_format's strings, or NULL (and *bad = 0) when every
 * hidden layer is sigmoid: such a network is written exactly as network2.py writes it. */
static json_t *write_activations(const gp_network *net, int *bad) {
    json_t *acts = NULL;
    size_t l;
    *bad = 0;
    for (l = 1; l < net->p.L; l++)
        if (strcmp(gp_network_activation(net, l)->name, "sigmoid") != 0)
            break;
    if (l == net->p.L)
        return NULL;
    acts = json_array();
    for (l = 1; l < net->p.L && acts != NULL && !*bad; l++) {
        char buf[64];
        *bad = gp_activation_format(gp_network_activation(net, l), buf, sizeof buf) ||
               json_array_append_new(acts, json_string(buf)) != 0;
    }
    *bad |= acts == NULL;
    return acts;
}

int gpi_netio_from_json(const json_t *root, const char *path, gp_network **out,
                        char *errbuf, size_t errlen) {
    const json_t *weights = json_object_get(root, "weights"),
                 *biases = json_object_get(root, "biases");
    const gp_cost_type *cost;
    size_t sizes[GP_MAX_LAYERS], n_layers = 0;
    gp_network *net;
    int status;
    *out = NULL;
    status = read_header(root, path, sizes, &n_layers, &cost, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    /* Checked fully before the allocation the sizes ask for. */
    status =
        walk_params(path, weights, biases, sizes, n_layers - 1, NULL, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    net = gp_network_alloc(n_layers, sizes, cost);
    if (net == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory for the network",
                        path);
    status = walk_params(path, weights, biases, sizes, n_layers - 1, net, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = read_activations(path, root, net, errbuf, errlen);
    if (status == GSL_SUCCESS)
        *out = net;
    else
        gp_network_free(net);
    return status;
}

/* A jansson parse failure as a GSL status and message. */
static int parse_fail(const json_error_t *jerr, const char *path, char *errbuf,
                      size_t errlen) {
    if (json_error_code(jerr) == json_error_cannot_open_file)
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: cannot open: %s", path,
                        errno != 0 ? strerror(errno) : jerr->text);
    if (json_error_code(jerr) == json_error_out_of_memory)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    if (gpi_json_empty(jerr))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: " GPI_EMPTY, path);
    return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s:%d:%d: invalid JSON: %s", path,
                    jerr->line, jerr->column, jerr->text);
}

int gp_netio_load(const char *path, gp_network **out, char *errbuf, size_t errlen) {
    json_error_t jerr;
    json_t *root;
    FILE *f;
    int status;
    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the network given");
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no network file name given");
    if ((f = gpi_fopen_input(path, &status, errbuf, errlen)) == NULL)
        return status;
    root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (root == NULL)
        return parse_fail(&jerr, path, errbuf, errlen);
    status = gpi_netio_from_json(root, path, out, errbuf, errlen);
    json_decref(root);
    return status;
}

int gp_netio_load_string(const char *text, size_t len, gp_network **out, char *errbuf,
                         size_t errlen) {
    json_error_t jerr;
    json_t *root;
    int status;
    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the network given");
    *out = NULL;
    if (text == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "network: no text given");
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return parse_fail(&jerr, "network", errbuf, errlen);
    status = gpi_netio_from_json(root, "network", out, errbuf, errlen);
    json_decref(root);
    return status;
}

/* json_array_append_new that reports failure (out of memory) as nonzero. */
static int append(json_t *array, json_t *v) {
    return v == NULL || json_array_append_new(array, v) != 0;
}

json_t *gpi_netio_to_json(const gp_network *net, char *errbuf, size_t errlen) {
    json_t *root = NULL, *sizes, *weights, *biases;
    size_t l, j, k;
    int bad = 0;
    if (net == NULL || net->cost == NULL || net->p.L < 1) {
        GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no network to save");
        return NULL;
    }
    /* JSON has no NaN or infinity; refuse rather than write something unloadable. */
    for (l = 1; l <= net->p.L; l++) {
        const gsl_matrix *W = net->p.w[l - 1];
        const gsl_vector *b = net->p.b[l - 1];
        for (j = 0; j < W->size1; j++) {
            for (k = 0; k < W->size2; k++)
                if (!isfinite(gsl_matrix_get(W, j, k))) {
                    GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                             "weights[%zu][%zu][%zu] is not finite (%g)", l - 1, j, k,
                             gsl_matrix_get(W, j, k));
                    return NULL;
                }
            if (!isfinite(gsl_vector_get(b, j))) {
                GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                         "biases[%zu][%zu] is not finite (%g)", l - 1, j,
                         gsl_vector_get(b, j));
                return NULL;
            }
        }
    }
    root = json_object();
    sizes = json_array();
    weights = json_array();
    biases = json_array();
    /* The keys in network2.py's order; the objects are owned by root once set. */
    if (root == NULL || json_object_set_new(root, "sizes", sizes) != 0 ||
        json_object_set_new(root, "weights", weights) != 0 ||
        json_object_set_new(root, "biases", biases) != 0 ||
        json_object_set_new(root, "cost", json_string(gp_netio_cost_name(net->cost))) !=
            0)
        bad = 1;
    if (!bad) {
        json_t *acts = write_activations(net, &bad);
        if (acts != NULL && json_object_set_new(root, "activations", acts) != 0)
            bad = 1;
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
    if (bad) {
        json_decref(root);
        GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "out of memory building JSON");
        return NULL;
    }
    return root;
}

/* gpi_netio_to_json's text at most: a parameter takes at most 24 characters at 17
 * significant digits ("-1.2345678901234567e-308") and a comma; a row of W adds its
 * brackets and its bias "[b]," (32 in all); a layer its size, its activation's name
 * (gp_activation_format's 64 bytes, quoted) and brackets (128); the keys and the cost
 * name 512. In double: exact for every network gp_network_alloc accepts (at most
 * 1.6e15 < 2^53). */
size_t gp_netio_size_bound(size_t n_layers, const size_t *sizes) {
    double bytes = 512;
    /* sizes no network has: 512 (for n_layers = 0) bounded nothing */
    if (sizes == NULL || n_layers < 2 || n_layers > GP_MAX_LAYERS)
        GSL_ERROR_VAL("a network needs between 2 and GP_MAX_LAYERS layer sizes",
                      GSL_EINVAL, SIZE_MAX);
    for (size_t l = 0; l < n_layers; l++) {
        if (sizes[l] == 0 || sizes[l] > GP_MAX_WIDTH)
            GSL_ERROR_VAL("layer sizes must be between 1 and GP_MAX_WIDTH", GSL_EINVAL,
                          SIZE_MAX);
        bytes += 128;
        if (l > 0)
            bytes += (double)sizes[l] * (25.0 * (double)sizes[l - 1] + 32);
    }
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

/* Prefix "path: " to a message gpi_netio_to_json left in errbuf. */
static int name_file(const char *path, char *errbuf, size_t errlen, int status) {
    if (errbuf != NULL && errlen > 0) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", errbuf);
        snprintf(errbuf, errlen, "%s: %s", path, tmp);
    }
    return status;
}

int gp_netio_save(const gp_network *net, const char *path, char *errbuf, size_t errlen) {
    json_t *root;
    int status;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no network file name given");
    root = gpi_netio_to_json(net, errbuf, errlen);
    if (root == NULL)
        return name_file(path, errbuf, errlen, GSL_EINVAL);
    status = gpi_json_write(root, path, errbuf, errlen);
    json_decref(root);
    return status;
}

int gp_netio_save_string(const gp_network *net, char **out, char *errbuf, size_t errlen) {
    json_t *root;
    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the text given");
    *out = NULL;
    root = gpi_netio_to_json(net, errbuf, errlen);
    if (root == NULL)
        return GSL_EINVAL;
    *out = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (*out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "out of memory building JSON");
    return GSL_SUCCESS;
}

void gp_netio_string_free(char *text) {
    free(text);
}
