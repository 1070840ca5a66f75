/* src/dump.c: the oracle's dump in memory, as JSON and as a directory of .npy files,
 * and the compare rule (see gradproof/dump.h). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include <gradproof/dump.h>
#include <gradproof/gradproof.h>

#include "internal.h"
#include "ioutil.h"

int gp_dump_init(gp_dump *d, size_t L) {
    size_t n = 0;
    if (d == NULL)
        GSL_ERROR("dump: NULL dump", GSL_EINVAL);
    memset(d, 0, sizeof *d);
    if (L == 0 || L >= GP_MAX_LAYERS) /* a network has at most GP_MAX_LAYERS sizes */
        GSL_ERROR("dump: L must be between 1 and GP_MAX_LAYERS - 1", GSL_EINVAL);
    d->L = L;
    for (size_t l = 1; l <= L; l++) {
        snprintf(d->name[n++], sizeof d->name[0], "z%zu", l);
        snprintf(d->name[n++], sizeof d->name[0], "a%zu", l);
    }
    snprintf(d->name[n++], sizeof d->name[0], "cost");
    for (size_t l = L; l >= 1; l--) {
        snprintf(d->name[n++], sizeof d->name[0], "delta%zu", l);
        snprintf(d->name[n++], sizeof d->name[0], "dW%zu", l);
        snprintf(d->name[n++], sizeof d->name[0], "db%zu", l);
    }
    d->n = n;
    return GSL_SUCCESS;
}

void gp_dump_free(gp_dump *d) {
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        gsl_matrix_free(d->t[i]);
        d->t[i] = NULL;
    }
}

int gpi_matrix_nonfinite(const gsl_matrix *m, size_t *i, size_t *j) {
    for (size_t e = 0; m && e < m->size1 * m->size2; e++)
        if (!isfinite(gsl_matrix_get(m, e / m->size2, e % m->size2))) {
            *i = e / m->size2, *j = e % m->size2;
            return 1;
        }
    return 0;
}

int gp_dump_nonfinite(const gp_dump *d, size_t *k, size_t *i, size_t *j) {
    GPI_NONNULL(d, 0);
    GPI_NONNULL(k, 0);
    GPI_NONNULL(i, 0);
    GPI_NONNULL(j, 0);
    for (size_t t = 0; t < d->n; t++)
        if (gpi_matrix_nonfinite(d->t[t], i, j)) {
            *k = t;
            return 1;
        }
    return 0;
}

int gp_dump_find(const gp_dump *d, const char *name) {
    if (d == NULL || name == NULL)
        GSL_ERROR_VAL("dump: NULL dump or tensor name", GSL_EINVAL, -1);
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->name[i], name))
            return (int)i;
    return -1;
}

/* Copy the first m columns of M (workspaces may be wider than the batch). */
static gsl_matrix *copy_cols(const gsl_matrix *M, size_t m) {
    gsl_matrix *c = gsl_matrix_alloc(M->size1, m);
    if (c) {
        gsl_matrix_const_view v = gsl_matrix_const_submatrix(M, 0, 0, M->size1, m);
        gsl_matrix_memcpy(c, &v.matrix);
    }
    return c;
}

static void put(gp_dump *d, const char *prefix, size_t l, gsl_matrix *M) {
    char nm[48];
    snprintf(nm, sizeof nm, "%s%zu", prefix, l);
    d->t[gp_dump_find(d, nm)] = M;
}

/* z, a, delta from the workspace and dW, db from g, for every layer. */
static void collect(gp_dump *d, const gp_backprop_workspace *w, const gp_gradient *g) {
    for (size_t l = 1; l <= d->L; l++) {
        gsl_matrix *dW = gsl_matrix_alloc(g->w[l - 1]->size1, g->w[l - 1]->size2);
        gsl_matrix *db = gsl_matrix_alloc(g->b[l - 1]->size, 1);
        if (dW)
            gsl_matrix_memcpy(dW, g->w[l - 1]);
        if (db)
            gsl_matrix_set_col(db, 0, g->b[l - 1]);
        put(d, "z", l, copy_cols(w->z[l - 1], d->m));
        put(d, "a", l, copy_cols(w->a[l - 1], d->m));
        put(d, "delta", l, copy_cols(w->delta[l - 1], d->m));
        put(d, "dW", l, dW);
        put(d, "db", l, db);
    }
}

int gp_dump_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                    const gp_regularization *reg, gp_dump *d) {
    GPI_NONNULL(d, GSL_EINVAL);
    d->L = d->m = d->n = 0; /* empty, as on any failure */
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    gp_dump_init(d, net->p.L);
    if (d->n == 0)
        GSL_ERROR("too many layers for a dump", GSL_EINVAL);
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[net->p.L] ||
        Y->size2 != X->size2 || X->size2 == 0)
        GSL_ERROR("X or Y does not fit the network", GSL_EBADLEN);
    size_t k;
    double sum;
    if (gp_cost_target_misfit(net->cost, Y, &k, &sum))
        GSL_ERROR("log-likelihood targets must sum to 1", GSL_EDOM);
    d->m = X->size2;
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, d->m);
    gp_gradient *g = gp_gradient_alloc(net);
    double cost = 0;
    int status = !w || !g ? GSL_ENOMEM : GSL_SUCCESS;
    /* The cost first (gp_total_cost runs its own forward pass), then the gradient, whose
     * forward and backward passes leave z, a and delta in the workspace. */
    if (!status)
        status = gp_total_cost(net, X, Y, reg, w, &cost);
    if (!status)
        status = gp_total_gradient(net, X, Y, reg, w, g);
    if (!status) {
        collect(d, w, g);
        d->t[gp_dump_find(d, "cost")] = gsl_matrix_alloc(1, 1);
        for (size_t i = 0; i < d->n; i++)
            if (!d->t[i])
                status = GSL_ENOMEM;
    }
    if (!status)
        gsl_matrix_set(d->t[gp_dump_find(d, "cost")], 0, 0, cost);
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    if (status) {
        gp_dump_free(d);
        GSL_ERROR("oracle dump could not be computed", status);
    }
    return GSL_SUCCESS;
}

/* ---- at a kink, the candidate's own z decides the side ---- */

static gsl_matrix *dump_get(const gp_dump *d, const char *prefix, size_t l) {
    char nm[48];
    snprintf(nm, sizeof nm, "%s%zu", prefix, l);
    int i = gp_dump_find(d, nm);
    return i < 0 ? NULL : d->t[i];
}

/* Unit j of kinked layer l: the samples whose candidate z lies on the other side of the
 * kink than the oracle's, or exactly on it while the oracle's is not, while the two are
 * within their worst-case bounds of each other (either could be a correct rounding:
 * bounds.h). When they all cross the same
 * way, the oracle's z^l_j moves just across, toward the candidate: by its bias
 * (gp_case_place_kink, every sample alike), so that the one-sided f' at each of them
 * is the candidate's side (the convention f'(0) = f'(0-); proofs/Kink.v
 * kink_cost_one_sided). Returns the samples moved (0: none, or mixed directions). */
static size_t side_unit(gp_network *sided, const gsl_matrix *X, double at,
                        const gsl_matrix *zo, const gsl_matrix *zc, const gp_bounds *bc,
                        const gp_bounds *bo, size_t l, size_t j) {
    double bw, bp, ow, op, far = 0, gap = INFINITY;
    size_t n = 0, up = 0, pick = 0;
    char nm[48];
    snprintf(nm, sizeof nm, "z%zu", l);
    for (size_t i = 0; i < zo->size2; i++) {
        double o = gsl_matrix_get(zo, j, i), c = gsl_matrix_get(zc, j, i);
        /* A candidate z exactly on the kink with the oracle's just below is on the same
         * side, yet moves too: onto the kink, where the diagnosis looks for it. */
        if (((o > at) == (c > at) && !(c == at && o != at)) ||
            gp_bounds_entry(bc, nm, j, i, &bw, &bp) ||
            gp_bounds_entry(bo, nm, j, i, &ow, &op) || !(fabs(o - c) <= bw + ow))
            continue;
        n++, up += c > at;
        if (fabs(o - at) >= far) /* the oracle's z farthest on the wrong side */
            far = fabs(o - at), pick = i;
        gap = fmin(gap, fabs(c - at));
    }
    if (n == 0 || (up != 0 && up != n))
        return 0;
    /* up: halfway to the nearest candidate z above; down: onto the kink (its left side)
     * or halfway below */
    int exact;
    double off = up ? gap / 2 : -gap / 2;
    return gp_case_place_kink(sided, X, l, j, pick, off, &exact) ? 0 : n;
}

int gpi_case_candidate_sides(const gp_network *net, const gsl_matrix *X,
                             const gp_bounds *bc, const gp_bounds *bo, const gp_dump *o,
                             const gp_dump *cand, gp_network **sided, size_t *n_flips) {
    size_t L = net->p.L;
    double at;
    *sided = NULL;
    *n_flips = 0;
    for (size_t l = 1; l < L; l++) {
        const gsl_matrix *zo = dump_get(o, "z", l), *zc = dump_get(cand, "z", l);
        if (!zo || !zc || !gp_activation_kink(gp_network_activation(net, l), &at))
            continue;
        if (!*sided && !(*sided = gp_network_clone(net)))
            GSL_ERROR("out of memory", GSL_ENOMEM);
        for (size_t j = 0; j < zo->size1; j++)
            *n_flips += side_unit(*sided, X, at, zo, zc, bc, bo, l, j);
    }
    if (*n_flips == 0) {
        gp_network_free(*sided);
        *sided = NULL;
    }
    return GSL_SUCCESS;
}

/* ---- matrices from files ---- */

static int has_suffix(const char *path, const char *sfx) {
    size_t n = strlen(path), k = strlen(sfx);
    return n >= k && !strcmp(path + n - k, sfx);
}

int gp_dump_matrix_read(const char *path, unsigned flags, gsl_matrix **out, char *errbuf,
                        size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(out, GSL_EINVAL);
    json_t *v;
    *out = NULL;
    if (has_suffix(path, ".npy"))
        return gp_npy_read(path, flags | GP_NPY_FINITE, out, NULL, errbuf, errlen);
    int status = gpi_json_load(path, 1, &v, errbuf, errlen);
    if (status)
        return status;
    status = gpi_matrix_from_json(v, path, out, errbuf, errlen);
    json_decref(v);
    return status;
}

/* ---- writing ---- */

json_t *gpi_dump_inputs(json_t *o, const gp_network *net, const gsl_matrix *X,
                        const gsl_matrix *Y, const gp_regularization *reg, char *errbuf,
                        size_t errlen) {
    json_t *jn = gpi_netio_to_json(net, errbuf, errlen);
    size_t n = reg && reg->n ? reg->n : X->size2;
    if (o == NULL || jn == NULL || json_object_set_new(o, "network", jn) ||
        json_object_set_new(o, "x", gpi_json_matrix(X)) ||
        json_object_set_new(o, "y", gpi_json_matrix(Y)) ||
        json_object_set_new(o, "lambda", json_real(reg ? reg->lambda : 0)) ||
        json_object_set_new(o, "l1", json_real(reg ? reg->l1 : 0)) ||
        json_object_set_new(o, "n", json_integer((json_int_t)n))) {
        if (jn != NULL)
            GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "out of memory building JSON");
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The header every oracle file carries. */
static json_t *oracle_header(void) {
    return json_pack("{s:s, s:i, s:s}", "format", GP_DUMP_FORMAT, "version",
                     GP_DUMP_VERSION, "gradproof", gp_version());
}

int gp_dump_write_json(const char *path, const gp_dump *d, const gp_network *net,
                       const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg, char *errbuf, size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(d, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    char e2[256] = "";
    json_t *o = gpi_dump_inputs(oracle_header(), net, X, Y, reg, e2, sizeof e2);
    int bad = o == NULL;
    for (size_t i = 0; i < d->n && !bad; i++) {
        const gsl_matrix *M = d->t[i];
        json_t *v;
        if (M == NULL)
            continue;
        if (!strcmp(d->name[i], "cost"))
            v = json_real(gsl_matrix_get(M, 0, 0));
        else if (!strncmp(d->name[i], "db", 2)) {
            v = json_array();
            for (size_t j = 0; v && j < M->size1; j++)
                json_array_append_new(v, json_real(gsl_matrix_get(M, j, 0)));
        } else
            v = gpi_json_matrix(M);
        bad = json_object_set_new(o, d->name[i], v) != 0;
    }
    if (bad) {
        json_decref(o);
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: %s", path,
                        e2[0] ? e2 : "out of memory building JSON");
    }
    int status = gpi_json_write(o, path, errbuf, errlen);
    json_decref(o);
    return status;
}

/* 1 if dir holds only what a dump directory holds (so replacing it loses nothing). */
static int only_dump_files(const char *dir) {
    DIR *dp = opendir(dir);
    struct dirent *e;
    int ok = dp != NULL;
    while (ok && (e = readdir(dp)))
        ok = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
             has_suffix(e->d_name, ".npy") || !strcmp(e->d_name, "network.json") ||
             !strcmp(e->d_name, "meta.json");
    if (dp)
        closedir(dp);
    return ok;
}

/* The files of the dump in directory tmp. */
static int write_files(const char *tmp, const gp_dump *d, const gp_network *net,
                       const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg, char *errbuf, size_t errlen) {
    char p[4096];
    int r = 0;
    for (size_t i = 0; i < d->n && !r; i++) {
        if (d->t[i] == NULL)
            continue;
        snprintf(p, sizeof p, "%s/%s.npy", tmp, d->name[i]);
        if (!strcmp(d->name[i], "cost"))
            r = gp_npy_write_scalar(p, gsl_matrix_get(d->t[i], 0, 0), errbuf, errlen);
        else if (!strncmp(d->name[i], "db", 2)) {
            gsl_vector_const_view c = gsl_matrix_const_column(d->t[i], 0);
            r = gp_npy_write_vector(p, &c.vector, errbuf, errlen);
        } else
            r = gp_npy_write_matrix(p, d->t[i], errbuf, errlen);
    }
    snprintf(p, sizeof p, "%s/x.npy", tmp);
    r = r ? r : gp_npy_write_matrix(p, X, errbuf, errlen);
    snprintf(p, sizeof p, "%s/y.npy", tmp);
    r = r ? r : gp_npy_write_matrix(p, Y, errbuf, errlen);
    snprintf(p, sizeof p, "%s/network.json", tmp);
    r = r ? r : gp_netio_save(net, p, errbuf, errlen);
    if (!r) {
        json_t *meta = oracle_header();
        size_t n = reg && reg->n ? reg->n : X->size2;
        json_object_set_new(meta, "lambda", json_real(reg ? reg->lambda : 0));
        json_object_set_new(meta, "l1", json_real(reg ? reg->l1 : 0));
        json_object_set_new(meta, "n", json_integer((json_int_t)n));
        snprintf(p, sizeof p, "%s/meta.json", tmp);
        r = gpi_json_write(meta, p, errbuf, errlen);
        json_decref(meta);
    }
    return r;
}

/* The cleanup block of a dump directory being built: every file it may hold, then the
 * directory ("n1\0n2\0...\0dir\0\0"). */
static char *cleanup_block(const char *tmp, const gp_dump *d) {
    static const char *const extra[] = {"x.npy", "y.npy", "network.json", "meta.json"};
    size_t k = strlen(tmp), len = (d->n + 5) * (k + 24) + 2, at = 0;
    char *b = calloc(len, 1);
    for (size_t i = 0; b && i < d->n + 4; i++) {
        at += (size_t)snprintf(b + at, len - at, "%s/%s%s", tmp,
                               i < d->n ? d->name[i] : extra[i - d->n],
                               i < d->n ? ".npy" : "") +
              1;
    }
    if (b)
        memcpy(b + at, tmp, k + 1);
    return b;
}

int gp_dump_write_dir(const char *dir, const gp_dump *d, const gp_network *net,
                      const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, char *errbuf, size_t errlen) {
    GPI_NONNULL(dir, GSL_EINVAL);
    GPI_NONNULL(d, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    static unsigned long counter;
    char tmp[4096], base[4000];
    struct stat st;
    snprintf(base, sizeof base, "%s", dir);
    /* Strip trailing slashes so that DIR.tmp.* lies next to DIR. */
    for (size_t k = strlen(base); k > 1 && base[k - 1] == '/'; k--)
        base[k - 1] = '\0';
    /* Through symbolic links: the directory they name is replaced, the links stay. */
    char *target = gp_atomic_target(base);
    if (target == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s", dir, strerror(errno));
    snprintf(base, sizeof base, "%s", target);
    free(target);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lu", base, (long)getpid(),
             __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST));
    if (stat(base, &st) == 0 && (!S_ISDIR(st.st_mode) || !only_dump_files(base)))
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                        "%s: exists and is not a dump directory (not replaced)", dir);
    /* 0777 under the umask, as mkdir(1) makes it. */
    if (mkdir(tmp, 0777) != 0)
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                        "%s: cannot create a temporary directory: %s", dir,
                        strerror(errno));
    char *block = cleanup_block(tmp, d);
    int slot = block ? gpi_atomic_register(block) : -1;
    int r = write_files(tmp, d, net, X, Y, reg, errbuf, errlen);
    /* rename() replaces only an empty directory: remove the earlier dump first. */
    if (!r && stat(base, &st) == 0)
        gpi_remove_tree(base);
    if (!r && rename(tmp, base) != 0)
        r = GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                     "%s: cannot rename the dump into place: %s", dir, strerror(errno));
    if (r)
        gpi_remove_tree(tmp);
    gpi_atomic_unregister(slot);
    free(block);
    return r;
}

/* ---- reading ---- */

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Bring a candidate tensor to the oracle's shape: a vector (db, cost) may come as a
 * row, a column or flat; anything else must match exactly. */
static int fit_shape(const char *path, const char *name, gsl_matrix **m,
                     const gsl_matrix *like, char *errbuf, size_t errlen) {
    gsl_matrix *t = *m;
    if (t->size1 == like->size1 && t->size2 == like->size2)
        return GSL_SUCCESS;
    if (like->size2 == 1 && t->size1 == 1 && t->size2 == like->size1) {
        gsl_matrix *c = gsl_matrix_alloc(like->size1, 1);
        if (!c)
            return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
        for (size_t j = 0; j < like->size1; j++)
            gsl_matrix_set(c, j, 0, gsl_matrix_get(t, 0, j));
        gsl_matrix_free(t);
        *m = c;
        return GSL_SUCCESS;
    }
    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                    "%s: %s has shape %zu x %zu, expected %zu x %zu", path, name,
                    t->size1, t->size2, like->size1, like->size2);
}

/* Tensor i of a dump directory or JSON object o (absent: t[i] stays NULL). */
static int read_tensor(const char *path, const json_t *o, size_t i, const gp_dump *like,
                       gp_dump *d, char *errbuf, size_t errlen) {
    char p[4200];
    int r;
    if (o == NULL) {
        snprintf(p, sizeof p, "%s/%s.npy", path, d->name[i]);
        if (access(p, F_OK) != 0)
            return GSL_SUCCESS;
        r = gp_npy_read(p, GP_NPY_FINITE, &d->t[i], NULL, errbuf, errlen);
    } else {
        const json_t *v = json_object_get(o, d->name[i]);
        if (v == NULL)
            return GSL_SUCCESS;
        snprintf(p, sizeof p, "%s: %s", path, d->name[i]);
        r = gpi_matrix_from_json(v, p, &d->t[i], errbuf, errlen);
    }
    if (!r && like != NULL)
        r = fit_shape(o ? path : p, d->name[i], &d->t[i], like->t[i], errbuf, errlen);
    return r;
}

/* The number of layers of a dump: dW1, dW2, ... present. */
static size_t count_layers(const char *path, const json_t *o) {
    char p[4200];
    size_t L = 0;
    while (5 * (L + 1) + 1 <= GP_DUMP_MAX_TENSORS) {
        if (o == NULL)
            snprintf(p, sizeof p, "%s/dW%zu.npy", path, L + 1);
        else
            snprintf(p, sizeof p, "dW%zu", L + 1);
        if (o == NULL ? access(p, F_OK) != 0 : json_object_get(o, p) == NULL)
            break;
        L++;
    }
    return L;
}

/* The layer of a tensor name of the dump's layout ("delta3": 3), or 0 if it is none
 * ("cost", "x", "z0"); *order ranks its prefix, as gp_dump_init lists them. */
static size_t layer_of(const char *name, int *order) {
    static const char *const prefix[] = {"z", "a", "delta", "dW", "db"};
    for (int k = 0; k < 5; k++) {
        size_t n = strlen(prefix[k]);
        const char *d = name + n;
        if (strncmp(name, prefix[k], n) || d[0] < '1' || d[0] > '9' ||
            strspn(d, "0123456789") != strlen(d) || strlen(d) > 6)
            continue;
        *order = k;
        return (size_t)strtoul(d, NULL, 10);
    }
    return 0;
}

/* The tensor of the lowest layer above L in the object o or the directory path (its
 * .npy files) into name, or 0 when there is none: such a tensor belongs to another
 * network and would go unread. */
static size_t extra_layer(const char *path, json_t *o, size_t L, char *name, size_t len) {
    DIR *dp = o ? NULL : opendir(path);
    struct dirent *e;
    const char *key;
    void *it = o ? json_object_iter(o) : NULL;
    size_t best = 0;
    int best_order = 0;
    while (o ? it != NULL : dp && (e = readdir(dp))) {
        char nm[300];
        int order = 0;
        key = o ? json_object_iter_key(it) : e->d_name;
        snprintf(nm, sizeof nm, "%s", key);
        if (!o && has_suffix(nm, ".npy"))
            nm[strlen(nm) - 4] = '\0';
        size_t l = (o || has_suffix(key, ".npy")) ? layer_of(nm, &order) : 0;
        if (l > L && (!best || l < best || (l == best && order < best_order))) {
            best = l, best_order = order;
            snprintf(name, len, "%s", nm);
        }
        if (o)
            it = json_object_iter_next(o, it);
    }
    if (dp)
        closedir(dp);
    return best;
}

/* Every required tensor present: all of them for an oracle, dW and db for a
 * candidate. The oracle's m is that of z1. */
static int check_complete(const char *path, const gp_dump *like, gp_dump *d, char *errbuf,
                          size_t errlen) {
    for (size_t i = 0; i < d->n; i++)
        if (!d->t[i] &&
            (!like || !strncmp(d->name[i], "dW", 2) || !strncmp(d->name[i], "db", 2)))
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: %s is missing", path,
                            d->name[i]);
    d->m = like ? like->m : d->t[0]->size2;
    return GSL_SUCCESS;
}

/* A dump's JSON object (NULL for a directory) loaded from path, once. */
static int load_object(const char *path, json_t **o, char *errbuf, size_t errlen) {
    *o = NULL;
    if (is_dir(path))
        return GSL_SUCCESS;
    int r = gpi_json_load(path, 0, o, errbuf, errlen);
    if (r == GSL_SUCCESS && !json_is_object(*o)) {
        json_decref(*o);
        *o = NULL;
        r = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not a JSON object", path);
    }
    return r;
}

/* gp_dump_read of the object o (NULL: the directory path). */
static int dump_from(const char *path, json_t *o, const gp_dump *like, gp_dump *d,
                     char *errbuf, size_t errlen) {
    int r = GSL_SUCCESS;
    char extra[300];
    memset(d, 0, sizeof *d);
    size_t L = like ? like->L : count_layers(path, o);
    if (L == 0)
        r = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: no dW1: not a gradproof dump",
                     path);
    else if (extra_layer(path, o, L, extra, sizeof extra)) /* would go unjudged */
        r = like ? GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: has %s, but the oracle's network has %zu layers of "
                            "weights",
                            path, extra, L)
                 : GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: has %s, but no dW%zu: its layers stop at %zu", path,
                            extra, L + 1, L);
    else if (L >= GP_MAX_LAYERS)
        r = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: has dW%zu: too many layers", path,
                     L);
    else
        r = gp_dump_init(d, L);
    for (size_t i = 0; i < d->n && !r; i++)
        r = read_tensor(path, o, i, like, d, errbuf, errlen);
    if (!r)
        r = check_complete(path, like, d, errbuf, errlen);
    if (r)
        gp_dump_free(d);
    return r;
}

int gp_dump_read(const char *path, const gp_dump *like, gp_dump *d, char *errbuf,
                 size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(d, GSL_EINVAL);
    json_t *o;
    memset(d, 0, sizeof *d);
    int r = load_object(path, &o, errbuf, errlen);
    r = r ? r : dump_from(path, o, like, d, errbuf, errlen);
    json_decref(o);
    return r;
}

/* The oracle's mark: meta.json in the directory path (o NULL), or "format". */
static int marked(const char *path, const json_t *o) {
    char p[4200];
    if (o != NULL) {
        const char *f = json_string_value(json_object_get(o, "format"));
        return f != NULL && !strcmp(f, GP_DUMP_FORMAT);
    }
    snprintf(p, sizeof p, "%s/meta.json", path);
    return access(p, F_OK) == 0;
}

int gp_dump_is_oracle(const char *path) {
    if (path == NULL) /* a question: no, nothing raised */
        return 0;
    if (is_dir(path))
        return marked(path, NULL);
    /* A question, not a read: no gsl_error. Only a regular file is opened (a FIFO
     * without a writer would block). */
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    json_t *o = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? json_loadfd(fd, JSON_REJECT_DUPLICATES, NULL)
                    : NULL;
    if (fd >= 0)
        close(fd);
    int yes = o != NULL && marked(path, o);
    json_decref(o);
    return yes;
}

/* The checks of a dump's inputs, from JSON or a directory: lambda and l1 (in `meta`,
 * named `what`) numbers >= 0, n an integer >= 0 (each absent: 0), x and y (named by
 * `xy`) fitting net; then *reg. */
static int check_inputs(const json_t *meta, const char *what, const char *xy,
                        const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gp_regularization *reg, char *errbuf, size_t errlen) {
    const json_t *jl = json_object_get(meta, "lambda"), *j1 = json_object_get(meta, "l1"),
                 *jm = json_object_get(meta, "n");
    if ((jl && !json_is_number(jl)) || (j1 && !json_is_number(j1)) ||
        (jm && !json_is_integer(jm)) || json_number_value(jl) < 0 ||
        json_number_value(j1) < 0 || json_integer_value(jm) < 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: lambda and l1 must be numbers >= 0 and n an integer >= 0",
                        what);
    if (X->size1 != net->p.sizes[0] || Y->size1 != net->p.sizes[net->p.L] ||
        Y->size2 != X->size2)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: x (%zu x %zu) and y (%zu x %zu) do not fit the network "
                        "(n_0 = %zu, n_L = %zu)",
                        xy, X->size1, X->size2, Y->size1, Y->size2, net->p.sizes[0],
                        net->p.sizes[net->p.L]);
    size_t k;
    double sum;
    if (gp_cost_target_misfit(net->cost, Y, &k, &sum))
        return GPI_FAIL(errbuf, errlen, GSL_EDOM,
                        "%s: the targets of sample %zu sum to %.17g; log-likelihood "
                        "needs targets summing to 1",
                        xy, k, sum);
    reg->lambda = json_number_value(jl);
    reg->l1 = json_number_value(j1);
    reg->n = (size_t)json_integer_value(jm);
    return GSL_SUCCESS;
}

int gpi_dump_inputs_from_json(const json_t *o, const char *what, gp_network **net,
                              gsl_matrix **X, gsl_matrix **Y, gp_regularization *reg,
                              char *errbuf, size_t errlen) {
    char p[600];
    const json_t *jn = json_object_get(o, "network");
    int r;
    *net = NULL;
    *X = *Y = NULL;
    if (jn == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: carries no \"network\"", what);
    snprintf(p, sizeof p, "%s: network", what);
    r = gpi_netio_from_json(jn, p, net, errbuf, errlen);
    snprintf(p, sizeof p, "%s: x", what);
    r = r ? r : gpi_matrix_from_json(json_object_get(o, "x"), p, X, errbuf, errlen);
    snprintf(p, sizeof p, "%s: y", what);
    r = r ? r : gpi_matrix_from_json(json_object_get(o, "y"), p, Y, errbuf, errlen);
    r = r ? r : check_inputs(o, what, what, *net, *X, *Y, reg, errbuf, errlen);
    if (!r)
        return GSL_SUCCESS;
    gp_network_free(*net);
    gsl_matrix_free(*X);
    gsl_matrix_free(*Y);
    *net = NULL;
    *X = *Y = NULL;
    return r;
}

/* A dump directory's inputs: network.json, x.npy, y.npy and meta.json. */
static int read_dir_inputs(const char *path, gp_network **net, gsl_matrix **X,
                           gsl_matrix **Y, gp_regularization *reg, char *errbuf,
                           size_t errlen) {
    char p[4200];
    json_t *meta = NULL;
    snprintf(p, sizeof p, "%s/network.json", path);
    int r = gp_netio_load(p, net, errbuf, errlen);
    snprintf(p, sizeof p, "%s/x.npy", path);
    r = r ? r : gp_dump_matrix_read(p, 0, X, errbuf, errlen);
    snprintf(p, sizeof p, "%s/y.npy", path);
    r = r ? r : gp_dump_matrix_read(p, 0, Y, errbuf, errlen);
    snprintf(p, sizeof p, "%s/meta.json", path);
    r = r ? r : gpi_json_load(p, 0, &meta, errbuf, errlen);
    r = r ? r : check_inputs(meta, p, path, *net, *X, *Y, reg, errbuf, errlen);
    json_decref(meta);
    return r;
}

/* GSL_EINVAL unless every tensor of d has the shape net gives on the m samples of X:
 * the inputs of another dump would be judged against this one's values. */
static int tensors_fit(const char *path, const gp_dump *d, const gp_network *net,
                       const gsl_matrix *X, char *errbuf, size_t errlen) {
    const size_t *n = net->p.sizes, m = X->size2;
    if (d->L != net->p.L)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: dW1..dW%zu are %zu layers of weights, but its network has "
                        "%zu",
                        path, d->L, d->L, net->p.L);
    for (size_t i = 0; i < d->n; i++) {
        int k = 0;
        size_t l = layer_of(d->name[i], &k), rows = l ? n[l] : 1;
        size_t cols = l == 0 || k == 4 ? 1 : k == 3 ? n[l - 1] : m;
        const gsl_matrix *t = d->t[i];
        if (t && (t->size1 != rows || t->size2 != cols))
            return GPI_FAIL(
                errbuf, errlen, GSL_EINVAL,
                "%s: %s is %zu x %zu, but its network, x and y give %zu x %zu", path,
                d->name[i], t->size1, t->size2, rows, cols);
    }
    return GSL_SUCCESS;
}

/* gp_dump_read_inputs of the object o (NULL: the directory path); with d (not NULL)
 * the inputs must give d's shapes. */
static int inputs_from(const char *path, const json_t *o, const gp_dump *d,
                       gp_network **net, gsl_matrix **X, gsl_matrix **Y,
                       gp_regularization *reg, char *errbuf, size_t errlen) {
    int r;
    *net = NULL;
    *X = *Y = NULL;
    memset(reg, 0, sizeof *reg);
    if (o == NULL)
        r = read_dir_inputs(path, net, X, Y, reg, errbuf, errlen);
    else
        r = gpi_dump_inputs_from_json(o, path, net, X, Y, reg, errbuf, errlen);
    if (!r && d)
        r = tensors_fit(path, d, *net, *X, errbuf, errlen);
    if (r) {
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        *net = NULL;
        *X = *Y = NULL;
    }
    return r;
}

int gp_dump_read_inputs(const char *path, gp_network **net, gsl_matrix **X,
                        gsl_matrix **Y, gp_regularization *reg, char *errbuf,
                        size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(reg, GSL_EINVAL);
    json_t *o;
    *net = NULL;
    *X = *Y = NULL;
    memset(reg, 0, sizeof *reg);
    int r = load_object(path, &o, errbuf, errlen);
    r = r ? r : inputs_from(path, o, NULL, net, X, Y, reg, errbuf, errlen);
    json_decref(o);
    return r;
}

int gp_dump_read_oracle(const char *path, gp_dump *d, gp_network **net, gsl_matrix **X,
                        gsl_matrix **Y, gp_regularization *reg, char *errbuf,
                        size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(d, GSL_EINVAL);
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(reg, GSL_EINVAL);
    json_t *o;
    char err[GP_IDX_ERRLEN];
    *net = NULL;
    *X = *Y = NULL;
    memset(d, 0, sizeof *d);
    int r = load_object(path, &o, errbuf, errlen);
    r = r ? r : dump_from(path, o, NULL, d, errbuf, errlen);
    int in = r ? r : inputs_from(path, o, d, net, X, Y, reg, err, sizeof err);
    if (!r && in && marked(path, o)) { /* a marked dump always carries its inputs */
        gp_dump_free(d);
        r = GPI_FAIL(errbuf, errlen, in, "%s", err);
    }
    json_decref(o);
    return r;
}

/* ---- the compare rule ---- */

void gp_dump_compare_opts_default(gp_dump_compare_opts *opts) {
    GPI_NONNULL(opts, );
    for (size_t i = 0; i < GP_DUMP_MAX_TENSORS; i++)
        opts->precision[i] = GP_DUMP_INFER;
    opts->n_worst = 10;
    opts->net = NULL;
    opts->X = opts->Y = NULL;
    opts->reg = NULL;
    opts->verdict = NULL;
}

/* float32 when every value is a float32 value (widened from a float32 array). */
static gp_precision infer_precision(const gsl_matrix *M) {
    for (size_t i = 0; i < M->size1; i++)
        for (size_t j = 0; j < M->size2; j++) {
            double v = gsl_matrix_get(M, i, j);
            if ((double)(float)v != v)
                return GP_FLOAT64;
        }
    return GP_FLOAT32;
}

/* max |o| over the tensor's finite values: the report's scale (the fixed rule's stol
 * term; shown by the certified rule). */
static double tensor_scale(const gsl_matrix *O) {
    double scale = 0;
    for (size_t i = 0; i < O->size1; i++)
        for (size_t j = 0; j < O->size2; j++) {
            double v = gsl_matrix_get(O, i, j);
            if (isfinite(v))
                scale = fmax(scale, fabs(v));
        }
    return scale;
}

/* The fixed rule on one tensor: every entry by the pass rule. */
static void compare_tensor(gp_fcheck_report *r, size_t t, const gsl_matrix *O,
                           const gsl_matrix *C, const gp_fcheck_opts *opts) {
    size_t cols = O->size2, len = O->size1 * cols;
    for (size_t k = 0; k < len; k++)
        gp_fcheck_add(r, opts, t, k, gsl_matrix_get(C, k / cols, k % cols),
                      gsl_matrix_get(O, k / cols, k % cols), 0.0);
}

/* The certified rule's bounds, one per precision: b[GP_FLOAT64] serves a float64
 * candidate and the oracle's own error (the float64 model), b[p] a candidate in
 * precision p (only where need[p]); where the candidate's own z sits exactly on a kink
 * they allow only the documented f'(0) (gpi_bounds_compute_pinned). Returns 1 when
 * certified, 0 when the fixed rule must decide (v->reason says why), or a negative
 * GSL status. */
static int certify_bounds(const gp_dump_compare_opts *opts, const gp_dump *cand,
                          const size_t *need, gp_bounds **b, gp_dump_verdict *v) {
    int st = GSL_SUCCESS;
    for (int p = 0; p < GP_N_PRECISIONS; p++)
        b[p] = NULL;
    if (!opts || !opts->net || !opts->X || !opts->Y) {
        snprintf(v->reason, sizeof v->reason, "no inputs: the fixed rule");
        return 0;
    }
    for (int p = 0; p < GP_N_PRECISIONS && !st; p++) {
        gp_bounds_model m;
        if (p != GP_FLOAT64 && !need[p])
            continue;
        gp_bounds_model_init(&m, gp_precision_name((gp_precision)p));
        b[p] = gp_bounds_alloc(opts->net, opts->X->size2);
        st = b[p] ? gpi_bounds_compute_pinned(opts->net, opts->X, opts->Y, opts->reg, &m,
                                              cand, b[p])
                  : GSL_ENOMEM;
        if (!st)
            v->prob_fail = fmax(v->prob_fail, b[p]->prob_fail);
    }
    if (st == GSL_EUNIMPL)
        snprintf(v->reason, sizeof v->reason,
                 "the bounds do not model this network (hidden activation): the fixed "
                 "rule");
    return st == GSL_EUNIMPL ? 0 : st ? -st : 1;
}

/* GSL_EBADLEN unless the certified rule's inputs can be those o was computed from:
 * another network of o's depth gave bounds of other widths, read as o's (a verdict on
 * the wrong bounds, status 0). */
static int inputs_fit(const gp_dump_compare_opts *opts, const gp_dump *o) {
    const gp_network *net = opts->net;
    if (net->p.L != o->L)
        GSL_ERROR("compare: opts->net is not the oracle dump's network", GSL_EBADLEN);
    for (size_t l = 1; l <= o->L; l++) {
        char name[32];
        snprintf(name, sizeof name, "dW%zu", l);
        int k = gp_dump_find(o, name);
        const gsl_matrix *dW = k < 0 ? NULL : o->t[k];
        if (dW && (dW->size1 != net->p.sizes[l] || dW->size2 != net->p.sizes[l - 1]))
            GSL_ERROR("compare: opts->net is not the oracle dump's network", GSL_EBADLEN);
    }
    return GSL_SUCCESS;
}

/* The overall verdict and the diagnosis of the first disagreeing tensor. */
static void certify_summary(const gp_dump_compare_opts *opts, const gp_dump *cand,
                            const size_t *slot, gp_dump_verdict *v) {
    v->verdict = GP_VERDICT_AGREE;
    for (size_t q = 0; q < v->n; q++) {
        const gp_verdict_counts *c = &v->t[q].counts;
        v->t[q].verdict = c->n_disagree       ? GP_VERDICT_DISAGREE
                          : c->n_inconclusive ? GP_VERDICT_INCONCLUSIVE
                                              : GP_VERDICT_AGREE;
        v->n_agree += c->n_agree;
        v->n_inconclusive += c->n_inconclusive;
        v->n_disagree += c->n_disagree;
        if (v->t[q].verdict > v->verdict)
            v->verdict = v->t[q].verdict;
    }
    for (size_t q = 0; q < v->n; q++)
        if (v->t[q].verdict == GP_VERDICT_DISAGREE) {
            gp_diag *d = gp_diag_alloc(opts->net, opts->X, opts->Y, opts->reg);
            if (d)
                gp_diag_tensor(d, v->t[q].name, cand->t[slot[q]], 0, &v->diagnosis);
            gp_diag_free(d);
            break;
        }
}

/* Every compared tensor by the certified rule (b[precision], b[GP_FLOAT64] the oracle's
 * own) or, without b, the fixed rule of its precision p[q]. */
static int compare_all(const gp_dump *o, const gp_dump *cand, const size_t *slot,
                       const gp_precision *p, size_t n_worst, gp_bounds *const *b,
                       gp_fcheck_report *r, gp_dump_verdict *v) {
    const gp_bounds *b64 = b ? b[GP_FLOAT64] : NULL;
    for (size_t q = 0; q < r->n_tensors; q++) {
        size_t i = slot[q];
        gp_fcheck_set_scale(r, q, tensor_scale(o->t[i]));
        if (b64 == NULL) {
            gp_fcheck_opts fo;
            gp_fcheck_opts_compare(&fo, p[q]);
            fo.n_worst = n_worst;
            compare_tensor(r, q, o->t[i], cand->t[i], &fo);
            continue;
        }
        gp_dump_tensor_verdict *t = &v->t[q];
        snprintf(t->name, sizeof t->name, "%s", o->name[i]);
        t->precision = p[q];
        int st = gpi_bounds_compare_tensor(b[p[q]], b64, o->name[i], cand->t[i], o->t[i],
                                           &t->counts, r, q, n_worst);
        if (st)
            return st;
    }
    return GSL_SUCCESS;
}

int gp_dump_compare(const gp_dump *o, const gp_dump *cand,
                    const gp_dump_compare_opts *opts, gp_fcheck_report **report,
                    gp_precision *precision) {
    gp_tensor_range t[GP_DUMP_MAX_TENSORS];
    gp_precision p[GP_DUMP_MAX_TENSORS];
    size_t slot[GP_DUMP_MAX_TENSORS], nt = 0, total = 0, need[GP_N_PRECISIONS] = {0};
    gp_dump_verdict mine, *v = opts && opts->verdict ? opts->verdict : &mine;
    gp_bounds *b[GP_N_PRECISIONS];
    if (!o || !cand || !report)
        GSL_ERROR("compare: a NULL dump or report", GSL_EINVAL);
    *report = NULL;
    memset(t, 0, sizeof t); /* kind and layer unused: dump tensors are named */
    memset(v, 0, sizeof *v);
    if (opts && opts->n_worst > GP_GRADCHECK_MAX_WORST) /* it was capped silently */
        GSL_ERROR("compare: n_worst above GP_GRADCHECK_MAX_WORST", GSL_EINVAL);
    if (o->n != cand->n)
        GSL_ERROR("the dumps have different numbers of layers", GSL_EBADLEN);
    if (opts && opts->net && inputs_fit(opts, o))
        return GSL_EBADLEN;
    for (size_t i = 0; i < o->n; i++) {
        if (!cand->t[i] || !o->t[i])
            continue;
        if (cand->t[i]->size1 != o->t[i]->size1 || cand->t[i]->size2 != o->t[i]->size2)
            GSL_ERROR("a candidate tensor's shape differs from the oracle's",
                      GSL_EBADLEN);
        t[nt].name = o->name[i];
        t[nt].offset = total;
        t[nt].length = o->t[i]->size1 * o->t[i]->size2;
        t[nt].cols = o->t[i]->size2 > 1 ? o->t[i]->size2 : 0;
        total += t[nt].length;
        int want = opts ? opts->precision[i] : GP_DUMP_INFER;
        if (want != GP_DUMP_INFER && (want < 0 || want >= GP_N_PRECISIONS))
            GSL_ERROR("compare: unknown precision", GSL_EINVAL);
        p[nt] = want == GP_DUMP_INFER ? infer_precision(cand->t[i]) : (gp_precision)want;
        need[p[nt]]++;
        if (precision != NULL)
            precision[nt] = p[nt];
        slot[nt++] = i;
    }
    if (nt == 0) /* nothing compared would be a verdict of agreement */
        GSL_ERROR("compare: the candidate has none of the oracle's tensors", GSL_EINVAL);
    int c = certify_bounds(opts, cand, need, b, v);
    *report = c < 0 ? NULL : gp_fcheck_report_alloc(t, nt);
    int st = c < 0 ? -c : *report ? GSL_SUCCESS : GSL_ENOMEM;
    v->certified = c == 1;
    v->n = v->certified ? nt : 0;
    gp_dump adj;
    gp_dump_compare_opts so = opts ? *opts : (gp_dump_compare_opts){0};
    gp_network *sided = NULL;
    size_t flips = 0;
    gp_dump_init(&adj, o->L);
    if (!st && c == 1) /* the bounds of the candidate's z: those of its first tensor */
        st = gpi_case_candidate_sides(opts->net, opts->X, b[nt ? p[0] : GP_FLOAT64],
                                      b[GP_FLOAT64], o, cand, &sided, &flips);
    if (!st && flips) { /* the oracle and its bounds on the candidate's sides */
        so.net = sided;
        for (int q = 0; q < GP_N_PRECISIONS; q++)
            gp_bounds_free(b[q]);
        st = certify_bounds(&so, cand, need, b, v) == 1
                 ? gp_dump_compute(sided, opts->X, opts->Y, opts->reg, &adj)
                 : GSL_EFAILED;
    }
    if (!st)
        st = compare_all(flips ? &adj : o, cand, slot, p, opts ? opts->n_worst : 10,
                         c == 1 ? b : NULL, *report, v);
    if (!st && v->certified)
        certify_summary(flips ? &so : opts, cand, slot, v);
    gp_dump_free(&adj);
    gp_network_free(sided);
    for (int q = 0; q < GP_N_PRECISIONS; q++)
        gp_bounds_free(b[q]);
    if (st) {
        gp_fcheck_report_free(*report);
        *report = NULL;
        GSL_ERROR("compare: the bounds or the report could not be computed", st);
    }
    return GSL_SUCCESS;
}
