/* cli-dump.c: the oracle's dump in memory, JSON and .npy directories (see cli-dump.h). */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include <gradproof/netio.h>
#include <gradproof/npy.h>

#include "cli-dump.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return 1;
}

void dump_names(cli_dump *d, size_t L) {
    size_t n = 0;
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
}

void dump_free(cli_dump *d) {
    for (size_t i = 0; i < d->n; i++) {
        gsl_matrix_free(d->t[i]);
        d->t[i] = NULL;
    }
}

static int find(const cli_dump *d, const char *name) {
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->name[i], name))
            return (int)i;
    return -1;
}

static gsl_matrix *copy_cols(const gsl_matrix *M, size_t m) {
    gsl_matrix *c = gsl_matrix_alloc(M->size1, m);
    if (c) {
        gsl_matrix_const_view v = gsl_matrix_const_submatrix(M, 0, 0, M->size1, m);
        gsl_matrix_memcpy(c, &v.matrix);
    }
    return c;
}

int dump_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                 const gp_regularization *reg, cli_dump *d) {
    size_t L = net->p.L, m = X->size2;
    memset(d, 0, sizeof *d);
    dump_names(d, L);
    d->m = m;
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
    gp_gradient *g = gp_gradient_alloc(net);
    double cost;
    int status = !w || !g ? GSL_ENOMEM : GSL_SUCCESS;
    /* The cost first (gp_total_cost runs its own forward pass), then the gradient, whose
     * forward and backward passes leave z, a and delta in the workspace. */
    if (!status)
        status = gp_total_cost(net, X, Y, reg, w, &cost);
    if (!status)
        status = gp_total_gradient(net, X, Y, reg, w, g);
    for (size_t l = 1; l <= L && !status; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "z%zu", l);
        d->t[find(d, nm)] = copy_cols(w->z[l - 1], m);
        snprintf(nm, sizeof nm, "a%zu", l);
        d->t[find(d, nm)] = copy_cols(w->a[l - 1], m);
        snprintf(nm, sizeof nm, "delta%zu", l);
        d->t[find(d, nm)] = copy_cols(w->delta[l - 1], m);
        snprintf(nm, sizeof nm, "dW%zu", l);
        gsl_matrix *dW = gsl_matrix_alloc(g->w[l - 1]->size1, g->w[l - 1]->size2);
        if (dW)
            gsl_matrix_memcpy(dW, g->w[l - 1]);
        d->t[find(d, nm)] = dW;
        snprintf(nm, sizeof nm, "db%zu", l);
        gsl_matrix *db = gsl_matrix_alloc(g->b[l - 1]->size, 1);
        if (db)
            gsl_matrix_set_col(db, 0, g->b[l - 1]);
        d->t[find(d, nm)] = db;
    }
    if (!status) {
        gsl_matrix *c = gsl_matrix_alloc(1, 1);
        if (c)
            gsl_matrix_set(c, 0, 0, cost);
        d->t[find(d, "cost")] = c;
        for (size_t i = 0; i < d->n; i++)
            if (!d->t[i])
                status = GSL_ENOMEM;
    }
    gp_gradient_free(g);
    gp_backprop_workspace_free(w);
    if (status)
        dump_free(d);
    return status;
}

/* ---- JSON ---- */

json_t *json_matrix(const gsl_matrix *m) {
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < m->size1; i++) {
        json_t *row = json_array();
        for (size_t j = 0; row && j < m->size2; j++)
            if (json_array_append_new(row, json_real(gsl_matrix_get(m, i, j)))) {
                json_decref(row);
                row = NULL;
            }
        if (!row || json_array_append_new(rows, row)) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

int matrix_from_json(const json_t *v, const char *what, gsl_matrix **out, char *err,
                     size_t errlen) {
    *out = NULL;
    if (json_is_number(v)) {
        *out = gsl_matrix_alloc(1, 1);
        if (!*out)
            return fail(err, errlen, "%s: out of memory", what);
        gsl_matrix_set(*out, 0, 0, json_number_value(v));
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(err, errlen, "%s: expected a number or a non-empty array", what);
    size_t r = json_array_size(v), c = 0;
    int flat = !json_is_array(json_array_get(v, 0));
    c = flat ? 1 : json_array_size(json_array_get(v, 0));
    if (c == 0)
        return fail(err, errlen, "%s: row 0 is empty", what);
    if (r > GP_MAX_WIDTH || c > GP_MAX_WIDTH)
        return fail(err, errlen, "%s: absurd shape %zu x %zu", what, r, c);
    gsl_matrix *m = gsl_matrix_alloc(r, c);
    if (!m)
        return fail(err, errlen, "%s: out of memory", what);
    for (size_t i = 0; i < r; i++) {
        const json_t *row = json_array_get(v, i);
        if (flat ? !json_is_number(row)
                 : !json_is_array(row) || json_array_size(row) != c) {
            gsl_matrix_free(m);
            return fail(err, errlen, "%s: row %zu is not %s", what, i,
                        flat ? "a number" : "a list of the same length as row 0");
        }
        for (size_t j = 0; j < c; j++) {
            const json_t *x = flat ? row : json_array_get(row, j);
            if (!json_is_number(x) || !isfinite(json_number_value(x))) {
                gsl_matrix_free(m);
                return fail(err, errlen, "%s: element [%zu][%zu] is not a finite number",
                            what, i, j);
            }
            gsl_matrix_set(m, i, j, json_number_value(x));
        }
    }
    *out = m;
    return 0;
}

/* Temporary file next to path, as mkstemp fills it; the caller frees the name. */
static char *temp_next_to(const char *path, int *fd) {
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return NULL;
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    *fd = mkstemp(tmp);
    if (*fd < 0) {
        free(tmp);
        return NULL;
    }
    return tmp;
}

int json_write_atomic(const json_t *v, const char *path, char *err, size_t errlen) {
    int fd;
    char *tmp = temp_next_to(path, &fd);
    if (!tmp)
        return fail(err, errlen, "%s: cannot create a temporary file: %s", path,
                    strerror(errno));
    FILE *fp = fdopen(fd, "w");
    int bad = !fp || json_dumpf(v, fp, JSON_COMPACT | JSON_REAL_PRECISION(17)) ||
              fputc('\n', fp) == EOF || fflush(fp) || fsync(fileno(fp));
    int saved = errno;
    if (fp ? fclose(fp) : close(fd))
        bad = 1;
    if (bad || rename(tmp, path)) {
        saved = bad ? saved : errno;
        unlink(tmp);
        free(tmp);
        return fail(err, errlen, "%s: cannot write: %s", path, strerror(saved));
    }
    free(tmp);
    return 0;
}

/* The network as network2.py's save() writes it, through gp_netio_save (a temporary
 * file read back): one writer of that format in the project. */
json_t *json_network(const gp_network *net) {
    int fd;
    char *tmp = temp_next_to("/tmp/gradproof-net", &fd);
    json_t *v = NULL;
    if (!tmp)
        return NULL;
    close(fd);
    if (!gp_netio_save(net, tmp, NULL, 0))
        v = json_load_file(tmp, JSON_DECODE_ANY, NULL);
    unlink(tmp);
    free(tmp);
    return v;
}

/* And back, through gp_netio_load and its validation. */
int network_from_json(const json_t *v, const char *path, gp_network **net, char *err,
                      size_t errlen) {
    int fd;
    char *tmp = temp_next_to("/tmp/gradproof-net", &fd);
    *net = NULL;
    if (!tmp)
        return fail(err, errlen, "%s: cannot create a temporary file", path);
    FILE *fp = fdopen(fd, "w");
    int bad = !fp || json_dumpf(v, fp, JSON_REAL_PRECISION(17));
    if (fp)
        fclose(fp);
    char e2[GP_IDX_ERRLEN] = "";
    if (!bad && gp_netio_load(tmp, net, e2, sizeof e2)) {
        /* Name the record, not the temporary file. */
        const char *colon = strstr(e2, ": ");
        fail(err, errlen, "%s: network: %s", path, colon ? colon + 2 : e2);
        bad = 2;
    }
    unlink(tmp);
    free(tmp);
    if (bad == 1)
        return fail(err, errlen, "%s: cannot write a temporary file", path);
    return bad ? 1 : 0;
}

static int is_npy(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".npy");
}

int matrix_read(const char *path, gsl_matrix **out, char *err, size_t errlen) {
    *out = NULL;
    if (access(path, R_OK) != 0)
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (is_npy(path)) {
        size_t ndim;
        if (gp_npy_read(path, GP_NPY_FINITE, out, &ndim, err, errlen)) {
            if (!err[0])
                fail(err, errlen, "%s: cannot read", path);
            return 1;
        }
        return 0;
    }
    json_error_t je;
    json_t *v = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return fail(err, errlen, "%s: not JSON: %s (line %d)", path, je.text, je.line);
    int r = matrix_from_json(v, path, out, err, errlen);
    json_decref(v);
    return r;
}

/* ---- writing ---- */

json_t *json_inputs(json_t *o, const gp_network *net, const gsl_matrix *X,
                    const gsl_matrix *Y, const gp_regularization *reg) {
    json_object_set_new(o, "network", json_network(net));
    json_object_set_new(o, "x", json_matrix(X));
    json_object_set_new(o, "y", json_matrix(Y));
    json_object_set_new(o, "lambda", json_real(reg ? reg->lambda : 0));
    json_object_set_new(o, "l1", json_real(reg ? reg->l1 : 0));
    json_object_set_new(
        o, "n", json_integer(reg && reg->n ? (json_int_t)reg->n : (json_int_t)X->size2));
    return o;
}

int dump_write_json(const char *path, const cli_dump *d, const gp_network *net,
                    const gsl_matrix *X, const gsl_matrix *Y,
                    const gp_regularization *reg, char *err, size_t errlen) {
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("gradproof-oracle"));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "gradproof", json_string(gp_version()));
    json_inputs(o, net, X, Y, reg);
    for (size_t i = 0; i < d->n; i++) {
        if (!strcmp(d->name[i], "cost"))
            json_object_set_new(o, "cost", json_real(gsl_matrix_get(d->t[i], 0, 0)));
        else if (!strncmp(d->name[i], "db", 2)) {
            gsl_matrix_const_view c =
                gsl_matrix_const_submatrix(d->t[i], 0, 0, d->t[i]->size1, 1);
            json_t *flat = json_array();
            for (size_t j = 0; j < c.matrix.size1; j++)
                json_array_append_new(flat, json_real(gsl_matrix_get(&c.matrix, j, 0)));
            json_object_set_new(o, d->name[i], flat);
        } else
            json_object_set_new(o, d->name[i], json_matrix(d->t[i]));
    }
    int r = json_write_atomic(o, path, err, errlen);
    json_decref(o);
    return r;
}

static void remove_tree(const char *dir) {
    DIR *dp = opendir(dir);
    struct dirent *e;
    char p[4096];
    while (dp && (e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (dp)
        closedir(dp);
    rmdir(dir);
}

int dump_write_dir(const char *dir, const cli_dump *d, const gp_network *net,
                   const gsl_matrix *X, const gsl_matrix *Y, const gp_regularization *reg,
                   char *err, size_t errlen) {
    size_t n = strlen(dir) + 16;
    char *tmp = malloc(n), p[4096];
    if (!tmp)
        return fail(err, errlen, "%s: out of memory", dir);
    /* Strip trailing slashes so that DIR.tmpXXXXXX lies next to DIR. */
    snprintf(tmp, n, "%s", dir);
    for (size_t k = strlen(tmp); k > 1 && tmp[k - 1] == '/'; k--)
        tmp[k - 1] = '\0';
    strcat(tmp, ".tmpXXXXXX");
    if (!mkdtemp(tmp)) {
        free(tmp);
        return fail(err, errlen, "%s: cannot create a temporary directory: %s", dir,
                    strerror(errno));
    }
    int r = 0;
    char e2[GP_IDX_ERRLEN];
    for (size_t i = 0; i < d->n && !r; i++) {
        snprintf(p, sizeof p, "%s/%s.npy", tmp, d->name[i]);
        if (!strcmp(d->name[i], "cost"))
            r = gp_npy_write_scalar(p, gsl_matrix_get(d->t[i], 0, 0), e2, sizeof e2);
        else if (!strncmp(d->name[i], "db", 2)) {
            gsl_vector_const_view c = gsl_matrix_const_column(d->t[i], 0);
            r = gp_npy_write_vector(p, &c.vector, e2, sizeof e2);
        } else
            r = gp_npy_write_matrix(p, d->t[i], e2, sizeof e2);
    }
    if (!r) {
        snprintf(p, sizeof p, "%s/x.npy", tmp);
        r = gp_npy_write_matrix(p, X, e2, sizeof e2);
    }
    if (!r) {
        snprintf(p, sizeof p, "%s/y.npy", tmp);
        r = gp_npy_write_matrix(p, Y, e2, sizeof e2);
    }
    if (!r) {
        snprintf(p, sizeof p, "%s/network.json", tmp);
        r = gp_netio_save(net, p, e2, sizeof e2);
    }
    if (!r) {
        json_t *meta = json_object();
        json_object_set_new(meta, "format", json_string("gradproof-oracle"));
        json_object_set_new(meta, "version", json_integer(1));
        json_object_set_new(meta, "gradproof", json_string(gp_version()));
        json_object_set_new(meta, "lambda", json_real(reg ? reg->lambda : 0));
        json_object_set_new(meta, "l1", json_real(reg ? reg->l1 : 0));
        json_object_set_new(
            meta, "n",
            json_integer(reg && reg->n ? (json_int_t)reg->n : (json_int_t)X->size2));
        snprintf(p, sizeof p, "%s/meta.json", tmp);
        r = json_write_atomic(meta, p, e2, sizeof e2);
        json_decref(meta);
    }
    if (r) {
        remove_tree(tmp);
        free(tmp);
        return fail(err, errlen, "%s", e2);
    }
    /* Replace an earlier dump: rename() replaces only an empty directory. */
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(p, sizeof p, "%s", dir);
        DIR *dp = opendir(dir);
        struct dirent *e;
        int foreign = 0;
        while (dp && (e = readdir(dp))) {
            size_t k = strlen(e->d_name);
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                !(k > 4 && !strcmp(e->d_name + k - 4, ".npy")) &&
                strcmp(e->d_name, "network.json") && strcmp(e->d_name, "meta.json"))
                foreign = 1;
        }
        if (dp)
            closedir(dp);
        if (foreign) {
            remove_tree(tmp);
            free(tmp);
            return fail(err, errlen, "%s: exists and holds files that are not a dump",
                        dir);
        }
        remove_tree(dir);
    }
    if (rename(tmp, dir)) {
        int saved = errno;
        remove_tree(tmp);
        free(tmp);
        return fail(err, errlen, "%s: cannot rename the dump into place: %s", dir,
                    strerror(saved));
    }
    free(tmp);
    return 0;
}

/* ---- reading ---- */

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Expected shape of tensor `name` given the oracle's, and whether a vector may come in
 * either orientation. */
static int fit_shape(const char *path, const char *name, gsl_matrix **m,
                     const gsl_matrix *like, char *err, size_t errlen) {
    gsl_matrix *t = *m;
    if (t->size1 == like->size1 && t->size2 == like->size2)
        return 0;
    /* A vector (db, cost) may be a row, a column or flat. */
    if (like->size2 == 1 && t->size1 == 1 && t->size2 == like->size1) {
        gsl_matrix *c = gsl_matrix_alloc(like->size1, 1);
        if (!c)
            return fail(err, errlen, "%s: out of memory", path);
        for (size_t j = 0; j < like->size1; j++)
            gsl_matrix_set(c, j, 0, gsl_matrix_get(t, 0, j));
        gsl_matrix_free(t);
        *m = c;
        return 0;
    }
    return fail(err, errlen, "%s: %s has shape %zu x %zu, expected %zu x %zu", path, name,
                t->size1, t->size2, like->size1, like->size2);
}

static int read_dir(const char *path, const cli_dump *like, cli_dump *d, char *err,
                    size_t errlen) {
    char p[4096];
    for (size_t i = 0; i < d->n; i++) {
        snprintf(p, sizeof p, "%s/%s.npy", path, d->name[i]);
        if (access(p, F_OK) != 0)
            continue;
        if (matrix_read(p, &d->t[i], err, errlen))
            return 1;
        if (like && fit_shape(p, d->name[i], &d->t[i], like->t[i], err, errlen))
            return 1;
    }
    return 0;
}

static int read_json(const char *path, const cli_dump *like, cli_dump *d, char *err,
                     size_t errlen) {
    json_error_t je;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return fail(err, errlen, "%s: not a JSON object: %s (line %d)", path, je.text,
                    je.line);
    int r = 0;
    for (size_t i = 0; i < d->n && !r; i++) {
        const json_t *v = json_object_get(o, d->name[i]);
        char what[4200];
        if (!v)
            continue;
        snprintf(what, sizeof what, "%s: %s", path, d->name[i]);
        r = matrix_from_json(v, what, &d->t[i], err, errlen);
        if (!r && like)
            r = fit_shape(path, d->name[i], &d->t[i], like->t[i], err, errlen);
    }
    json_decref(o);
    return r;
}

/* The number of layers of a dump: dW1, dW2, ... present. */
static size_t count_layers(const char *path, int dir) {
    size_t L = 0;
    char p[4096];
    if (dir) {
        for (;;) {
            snprintf(p, sizeof p, "%s/dW%zu.npy", path, L + 1);
            if (access(p, F_OK) != 0 || L == GP_MAX_LAYERS)
                return L;
            L++;
        }
    }
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    if (!o)
        return 0;
    for (;;) {
        snprintf(p, sizeof p, "dW%zu", L + 1);
        if (!json_object_get(o, p) || L == GP_MAX_LAYERS)
            break;
        L++;
    }
    json_decref(o);
    return L;
}

int dump_read(const char *path, const cli_dump *like, cli_dump *d, char *err,
              size_t errlen) {
    memset(d, 0, sizeof *d);
    int dir = is_dir(path);
    if (!dir && access(path, R_OK) != 0)
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    size_t L = like ? like->L : count_layers(path, dir);
    if (L == 0) {
        /* Say why: not JSON at all, or no dW1. */
        if (!dir) {
            json_error_t je;
            json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
            if (!o)
                return fail(err, errlen, "%s: not JSON: %s (line %d)", path, je.text,
                            je.line);
            json_decref(o);
        }
        return fail(err, errlen, "%s: no dW1: not a gradproof dump", path);
    }
    dump_names(d, L);
    int r = dir ? read_dir(path, like, d, err, errlen)
                : read_json(path, like, d, err, errlen);
    if (!r) {
        for (size_t i = 0; i < d->n && !r; i++)
            if (!d->t[i] &&
                (!strncmp(d->name[i], "dW", 2) || !strncmp(d->name[i], "db", 2)))
                r = fail(err, errlen, "%s: %s is missing", path, d->name[i]);
    }
    if (!r && !like) {
        /* The oracle's own dump must be complete and consistent. */
        for (size_t i = 0; i < d->n && !r; i++)
            if (!d->t[i])
                r = fail(err, errlen, "%s: %s is missing", path, d->name[i]);
        if (!r)
            d->m = d->t[0]->size2;
    }
    if (!r) {
        d->f32 = 1;
        for (size_t i = 0; i < d->n; i++)
            for (size_t k = 0; d->t[i] && k < d->t[i]->size1 * d->t[i]->size2; k++) {
                double v =
                    gsl_matrix_get(d->t[i], k / d->t[i]->size2, k % d->t[i]->size2);
                if ((double)(float)v != v)
                    d->f32 = 0;
            }
    }
    if (r)
        dump_free(d);
    return r;
}

int dump_read_inputs(const char *path, gp_network **net, gsl_matrix **X, gsl_matrix **Y,
                     gp_regularization *reg, char *err, size_t errlen) {
    char p[4096];
    *net = NULL;
    *X = *Y = NULL;
    memset(reg, 0, sizeof *reg);
    json_t *o = NULL;
    int r = 0;
    if (is_dir(path)) {
        snprintf(p, sizeof p, "%s/network.json", path);
        if (gp_netio_load(p, net, err, errlen))
            return 1;
        snprintf(p, sizeof p, "%s/x.npy", path);
        r = matrix_read(p, X, err, errlen);
        snprintf(p, sizeof p, "%s/y.npy", path);
        if (!r)
            r = matrix_read(p, Y, err, errlen);
        snprintf(p, sizeof p, "%s/meta.json", path);
        o = json_load_file(p, 0, NULL);
    } else {
        o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        if (!o || !json_object_get(o, "network"))
            r = fail(err, errlen, "%s: carries no network", path);
        if (!r)
            r = network_from_json(json_object_get(o, "network"), path, net, err, errlen);
        if (!r)
            r = matrix_from_json(json_object_get(o, "x"), "x", X, err, errlen);
        if (!r)
            r = matrix_from_json(json_object_get(o, "y"), "y", Y, err, errlen);
    }
    if (!r && o) {
        reg->lambda = json_number_value(json_object_get(o, "lambda"));
        reg->l1 = json_number_value(json_object_get(o, "l1"));
        reg->n = (size_t)json_integer_value(json_object_get(o, "n"));
    }
    json_decref(o);
    if (r) {
        gp_network_free(*net);
        gsl_matrix_free(*X);
        gsl_matrix_free(*Y);
        *net = NULL;
        *X = *Y = NULL;
    }
    return r;
}
