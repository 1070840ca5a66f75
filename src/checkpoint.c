/* src/checkpoint.c: a trainer's state and network in one JSON file (see
 * gradproof/checkpoint.h), written by the one atomic writer. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/checkpoint.h>
#include <gradproof/netio.h>

#include "internal.h"
#include "ioutil.h"

#define FORMAT "gradproof-checkpoint"
#define VERSION 3 /* 2 added batches_done, 3 observed */

static json_t *hex(const unsigned char *b, size_t n) {
    char *s = malloc(2 * n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    json_t *v = json_stringn(s, 2 * n);
    free(s);
    return v;
}

static json_t *order_json(const size_t *order, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer((json_int_t)order[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The "trainer" object of a state; NULL when memory runs out. */
static json_t *state_json(const gp_trainer_state *s) {
    const gp_train_opts *o = &s->opts;
    json_t *rng =
        json_pack("{s:s, s:o}", "type", "mt19937", "state", hex(s->rng, s->rng_size));
    return json_pack(
        "{s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:I, s:I, s:I, s:I, "
        "s:I, s:o, s:o}",
        "batch", (json_int_t)o->batch, "eta0", o->eta, "lambda", o->lambda, "l1", o->l1,
        "seed", (json_int_t)o->seed, "early_stop", (json_int_t)o->early_stop, "schedule",
        (json_int_t)o->schedule, "n", (json_int_t)s->n, "epochs", (json_int_t)s->epochs,
        "eta", s->eta, "best", isinf(s->best) ? json_null() : json_real(s->best),
        "best_epoch", (json_int_t)s->best_epoch, "since_best", (json_int_t)s->since_best,
        "since_halving", (json_int_t)s->since_halving, "observed",
        (json_int_t)s->observed, "batches_done", (json_int_t)s->batches_done, "rng", rng,
        "order", order_json(s->order, s->n));
}

int gp_checkpoint_save(const char *path, const gp_trainer *t, const char *meta,
                       char *errbuf, size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(t, GSL_EINVAL);
    gp_trainer_state s;
    json_t *jmeta = json_null(), *net, *root = NULL;
    int status;
    if (meta != NULL && (jmeta = json_loads(meta, JSON_DECODE_ANY, NULL)) == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: the metadata is not JSON", path);
    if ((status = gp_trainer_get_state(t, &s))) {
        json_decref(jmeta);
        return GPI_FAIL(errbuf, errlen, status, "%s: out of memory", path);
    }
    net = gpi_netio_to_json(gp_trainer_network(t), errbuf, errlen);
    if (net != NULL)
        root =
            json_pack("{s:s, s:i, s:o, s:o, s:o}", "format", FORMAT, "version", VERSION,
                      "network", net, "trainer", state_json(&s), "meta", jmeta);
    else
        json_decref(jmeta);
    gp_trainer_state_free(&s);
    if (root == NULL)
        return net == NULL ? GSL_EINVAL
                           : GPI_FAIL(errbuf, errlen, GSL_ENOMEM,
                                      "%s: out of memory building the checkpoint", path);
    status = gpi_json_write(root, path, errbuf, errlen);
    json_decref(root);
    return status;
}

/* The network's bound; the trainer's options and counters, 18 numbers of at most 24
 * characters with their keys, and the keys around them (1024); the generator's state
 * in hex (2 characters a byte); the order, n indices below n and their commas. */
size_t gp_checkpoint_size_bound(size_t n_layers, const size_t *sizes, size_t n,
                                size_t meta_len) {
    size_t digits = 1;
    for (size_t m = n; m >= 10; m /= 10)
        digits++;
    double bytes = (double)gp_netio_size_bound(n_layers, sizes) + 1024 +
                   2.0 * (double)gsl_rng_mt19937->size +
                   (double)n * (double)(digits + 1) + (double)meta_len;
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

/* ---- reading ---- */

/* A non-negative integer member. */
static int get_size(const json_t *o, const char *key, const char *path, size_t *out,
                    char *errbuf, size_t errlen) {
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return GPI_FAIL(
            errbuf, errlen, GSL_EINVAL,
            "%s: checkpoint's \"trainer\" lacks a non-negative integer \"%s\"", path,
            key);
    *out = (size_t)json_integer_value(v);
    return GSL_SUCCESS;
}

/* A finite number member (or null for -inf when null_inf). */
static int get_real(const json_t *o, const char *key, int null_inf, const char *path,
                    double *out, char *errbuf, size_t errlen) {
    const json_t *v = json_object_get(o, key);
    if (null_inf && json_is_null(v)) {
        *out = -INFINITY;
        return GSL_SUCCESS;
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: checkpoint's \"trainer\" lacks a finite number \"%s\"", path,
                        key);
    *out = json_number_value(v);
    return GSL_SUCCESS;
}

static int unhex(const char *s, unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        b[i] = (unsigned char)v;
    }
    return 0;
}

static int get_rng(const json_t *o, const char *path, gp_trainer_state *s, char *errbuf,
                   size_t errlen) {
    const json_t *rng = json_object_get(o, "rng");
    const char *type = json_string_value(json_object_get(rng, "type"));
    const json_t *st = json_object_get(rng, "state");
    size_t len = json_string_length(st);
    if (type == NULL || strcmp(type, "mt19937") || !json_is_string(st) || len == 0 ||
        len % 2 || strspn(json_string_value(st), "0123456789abcdef") != len)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: checkpoint's \"rng\" is not an mt19937 state in hex", path);
    s->rng_size = len / 2;
    if ((s->rng = malloc(s->rng_size)) == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    unhex(json_string_value(st), s->rng, s->rng_size);
    return GSL_SUCCESS;
}

static int get_order(const json_t *o, const char *path, gp_trainer_state *s, char *errbuf,
                     size_t errlen) {
    const json_t *a = json_object_get(o, "order");
    if (!json_is_array(a) || json_array_size(a) != s->n)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: checkpoint's \"order\" is not a list of n = %zu indices",
                        path, s->n);
    if ((s->order = malloc(s->n * sizeof *s->order)) == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < s->n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (size_t)json_integer_value(v) >= s->n)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: checkpoint's \"order\" entry %zu is not an index < %zu",
                            path, i, s->n);
        s->order[i] = (size_t)json_integer_value(v);
    }
    return GSL_SUCCESS;
}

/* Version 1 has no "batches_done": its states are between epochs. Versions 1 and 2
 * have no "observed": gradproof train wrote them only after observing the epochs run,
 * so it is taken to be epochs (a state saved between an epoch and its observation
 * then cannot report that epoch). */
static int get_state(const json_t *o, int version, const char *path, gp_trainer_state *s,
                     char *errbuf, size_t errlen) {
    gp_train_opts *p = &s->opts;
    size_t seed = 0;
    int r;
    memset(s, 0, sizeof *s);
    gp_train_opts_default(p);
    if (!json_is_object(o))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: checkpoint has no \"trainer\" object", path);
    r = get_size(o, "batch", path, &p->batch, errbuf, errlen);
    r = r ? r : get_real(o, "eta0", 0, path, &p->eta, errbuf, errlen);
    r = r ? r : get_real(o, "lambda", 0, path, &p->lambda, errbuf, errlen);
    r = r ? r : get_real(o, "l1", 0, path, &p->l1, errbuf, errlen);
    r = r ? r : get_size(o, "seed", path, &seed, errbuf, errlen);
    p->seed = seed;
    r = r ? r : get_size(o, "early_stop", path, &p->early_stop, errbuf, errlen);
    r = r ? r : get_size(o, "schedule", path, &p->schedule, errbuf, errlen);
    r = r ? r : get_size(o, "n", path, &s->n, errbuf, errlen);
    r = r ? r : get_size(o, "epochs", path, &s->epochs, errbuf, errlen);
    r = r ? r : get_real(o, "eta", 0, path, &s->eta, errbuf, errlen);
    r = r ? r : get_real(o, "best", 1, path, &s->best, errbuf, errlen);
    r = r ? r : get_size(o, "best_epoch", path, &s->best_epoch, errbuf, errlen);
    r = r ? r : get_size(o, "since_best", path, &s->since_best, errbuf, errlen);
    r = r ? r : get_size(o, "since_halving", path, &s->since_halving, errbuf, errlen);
    if (version >= 2)
        r = r ? r : get_size(o, "batches_done", path, &s->batches_done, errbuf, errlen);
    s->observed = s->epochs;
    if (version >= 3)
        r = r ? r : get_size(o, "observed", path, &s->observed, errbuf, errlen);
    r = r ? r : get_rng(o, path, s, errbuf, errlen);
    r = r ? r : get_order(o, path, s, errbuf, errlen);
    if (r)
        return r;
    /* what gp_trainer_set_state will ask, asked here (fuzz_checkpoint found the counters
     * and options unchecked) */
    const char *why;
    r = gpi_trainer_state_check(s, &why);
    return r ? GPI_FAIL(errbuf, errlen, r, "%s: checkpoint's \"trainer\": %s", path,
                        why ? why : "out of memory")
             : GSL_SUCCESS;
}

void gp_checkpoint_free(gp_checkpoint *c) {
    if (c == NULL)
        return;
    gp_network_free(c->net);
    gp_trainer_state_free(&c->state);
    free(c->meta);
    free(c);
}

static int from_json(const json_t *root, const char *path, gp_checkpoint *c, char *errbuf,
                     size_t errlen) {
    const char *format = json_string_value(json_object_get(root, "format"));
    const json_t *version = json_object_get(root, "version"), *meta;
    char what[512];
    if (format == NULL || strcmp(format, FORMAT))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: not a checkpoint (no \"format\": \"" FORMAT "\")", path);
    if (!json_is_integer(version) || json_integer_value(version) < 1 ||
        json_integer_value(version) > VERSION)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: checkpoint \"version\" is not 1, 2 or 3", path);
    if (json_object_get(root, "network") == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: checkpoint has no \"network\"",
                        path);
    snprintf(what, sizeof what, "%s: network", path);
    int r = gpi_netio_from_json(json_object_get(root, "network"), what, &c->net, errbuf,
                                errlen);
    r = r ? r
          : get_state(json_object_get(root, "trainer"), (int)json_integer_value(version),
                      path, &c->state, errbuf, errlen);
    meta = json_object_get(root, "meta");
    if (!r && meta != NULL && !json_is_null(meta) &&
        (c->meta = json_dumps(meta, JSON_COMPACT | JSON_ENCODE_ANY |
                                        JSON_REAL_PRECISION(17))) == NULL)
        r = GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    return r;
}

int gp_checkpoint_load(const char *path, gp_checkpoint **out, char *errbuf,
                       size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    json_t *root;
    gp_checkpoint *c;
    *out = NULL;
    int r = gpi_json_load(path, 0, &root, errbuf, errlen);
    if (r)
        return r;
    if ((c = calloc(1, sizeof *c)) == NULL) {
        json_decref(root);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    r = from_json(root, path, c, errbuf, errlen);
    json_decref(root);
    if (r)
        gp_checkpoint_free(c);
    else
        *out = c;
    return r;
}
