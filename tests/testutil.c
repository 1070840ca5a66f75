/* tests/testutil.c: seeds, case counts, random networks and statistics for the suites. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

/* Parse an unsigned environment variable; `dflt` when unset, empty or malformed. */
static unsigned long env_ulong(const char *name, unsigned long dflt, int *set) {
    const char *s = getenv(name);
    char *end;
    unsigned long v;
    if (set)
        *set = 0;
    if (s == NULL || *s == '\0')
        return dflt;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || *end != '\0') {
        fprintf(stderr, "testutil: ignoring malformed %s='%s'\n", name, s);
        return dflt;
    }
    if (set)
        *set = 1;
    return v;
}

unsigned long tu_base_seed(void) {
    return env_ulong("GP_SEED", TU_DEFAULT_SEED, NULL);
}

size_t tu_cases(size_t n) {
    unsigned long mult = env_ulong("GP_CASES_MULT", 1, NULL);
    if (mult == 0)
        mult = 1;
    return n * (size_t)mult;
}

int tu_case_selected(size_t i) {
    int set;
    unsigned long only = env_ulong("GP_CASE", 0, &set);
    return !set || (size_t)only == i;
}

/* splitmix64: a bijective mixer, so distinct (seed, salt, i) give unrelated streams. */
static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

unsigned long tu_case_seed(unsigned long salt, size_t i) {
    uint64_t x = splitmix64((uint64_t)tu_base_seed());
    x = splitmix64(x ^ (uint64_t)salt);
    x = splitmix64(x ^ (uint64_t)i);
    /* gsl's mt19937 uses 32 bits of the seed and maps 0 to its default seed. */
    x &= 0xffffffffULL;
    return x == 0 ? 1UL : (unsigned long)x;
}

gsl_rng *tu_rng_for_case(unsigned long salt, size_t i) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r != NULL)
        gsl_rng_set(r, tu_case_seed(salt, i));
    return r;
}

double tu_uniform(gsl_rng *r, double lo, double hi) {
    return lo + (hi - lo) * gsl_rng_uniform(r);
}

double tu_log_uniform(gsl_rng *r, double lo, double hi) {
    return exp(tu_uniform(r, log(lo), log(hi)));
}

size_t tu_int(gsl_rng *r, size_t lo, size_t hi) {
    return lo + (size_t)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

void tu_fill_target(gsl_rng *r, const gp_cost_type *cost, gsl_vector *y) {
    gp_case_fill_target(r, cost, y);
}

void tu_shape_default(tu_shape *s) {
    gp_case_opts_default(s);
}

tu_case *tu_case_alloc(gsl_rng *r, const gp_cost_type *cost, const tu_shape *s) {
    tu_case *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (gp_case_random(r, cost, s, &c->net, &c->X, &c->Y, &c->scale) != GSL_SUCCESS)
        goto fail;
    c->m = c->X->size2;
    c->w = gp_backprop_workspace_alloc(c->net, c->m);
    c->grad = gp_gradient_alloc(c->net);
    if (c->w == NULL || c->grad == NULL)
        goto fail;
    size_t pos = (size_t)snprintf(c->desc, sizeof c->desc, "sizes=[");
    for (size_t l = 0; l <= c->net->p.L && pos < sizeof c->desc; l++)
        pos += (size_t)snprintf(c->desc + pos, sizeof c->desc - pos, "%s%zu",
                                l ? "," : "", c->net->p.sizes[l]);
    if (pos < sizeof c->desc)
        snprintf(c->desc + pos, sizeof c->desc - pos, "] m=%zu scale=%.3g cost=%s", c->m,
                 c->scale, cost->name);
    return c;
fail:
    tu_case_free(c);
    return NULL;
}

void tu_case_free(tu_case *c) {
    if (c == NULL)
        return;
    gp_gradient_free(c->grad);
    gp_backprop_workspace_free(c->w);
    gsl_matrix_free(c->Y);
    gsl_matrix_free(c->X);
    gp_network_free(c->net);
    free(c);
}

void tu_describe_worst(const gp_fcheck_report *rep, char *buf, size_t len) {
    const gp_fcheck_entry *e;
    char name[64];
    if (rep->n_worst == 0) {
        snprintf(buf, len, "(no entries; checked=%zu failed=%zu sum|num|=%g)",
                 rep->n_checked, rep->n_failed, rep->sum_abs_numeric);
        return;
    }
    e = &rep->worst[0];
    gp_fcheck_entry_name(rep, e, name, sizeof name);
    snprintf(buf, len,
             "worst: %s analytic=%.17g numeric=%.17g abserr=%.3g error=%.3g "
             "allowed=%.3g score=%.3g; failed %zu of %zu",
             name, e->analytic, e->numeric, e->abserr, e->error, e->allowed, e->score,
             rep->n_failed, rep->n_checked);
}

double tu_min_abs_weight(const gp_network *net) {
    double m = INFINITY;
    size_t l, j, k;
    for (l = 0; l < net->p.L; l++)
        for (j = 0; j < net->p.w[l]->size1; j++)
            for (k = 0; k < net->p.w[l]->size2; k++) {
                double v = fabs(gsl_matrix_get(net->p.w[l], j, k));
                if (v < m)
                    m = v;
            }
    return m;
}

void tu_stat_init(tu_stat *s, const char *name, const char *row) {
    s->name = name;
    s->row = row ? row : "";
    s->cases = 0;
    s->checked = 0;
    s->worst_rel = 0.0;
    s->worst_abs = 0.0;
}

void tu_stat_report(tu_stat *s, const gp_fcheck_report *rep) {
    s->checked += rep->n_checked;
    if (rep->max_rel_error > s->worst_rel)
        s->worst_rel = rep->max_rel_error;
    if (rep->max_abs_error > s->worst_abs)
        s->worst_abs = rep->max_abs_error;
}

double tu_rel_err(double a, double b) {
    double m = fmax(fabs(a), fabs(b));
    if (a == b)
        return 0.0;
    return m > 0 ? fabs(a - b) / m : 0.0;
}

void tu_stat_value(tu_stat *s, double g, double d, double tiny) {
    double e = fabs(g - d);
    s->checked++;
    if (e > s->worst_abs)
        s->worst_abs = e;
    if (fmax(fabs(g), fabs(d)) > tiny && tu_rel_err(g, d) > s->worst_rel)
        s->worst_rel = tu_rel_err(g, d);
}

void tu_stat_print(const tu_stat *s) {
    printf("GP-STAT %s%s%s%s: cases=%zu checked=%zu worst_rel=%.3g worst_abs=%.3g\n",
           s->name, s->row[0] ? "[" : "", s->row, s->row[0] ? "]" : "", s->cases,
           s->checked, s->worst_rel, s->worst_abs);
    fflush(stdout);
}

size_t tu_n_costs(void) {
    size_t n = 0;
    while (gp_cost_types[n] != NULL)
        n++;
    return n;
}

int tu_manual_backprop(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       int flags, gp_gradient *grad) {
    size_t L = net->p.L, m = X->size2, l, i, j;
    gsl_matrix *Z[GP_MAX_LAYERS], *A[GP_MAX_LAYERS], *D[GP_MAX_LAYERS];
    gsl_vector *ones = gsl_vector_alloc(m);
    double scale = (flags & TU_BP_SUM) ? 1.0 : 1.0 / (double)m;
    int status = GSL_SUCCESS;
    gsl_vector_set_all(ones, 1.0);
    for (l = 1; l <= L; l++) {
        const gsl_matrix *Aprev = l == 1 ? X : A[l - 2];
        Z[l - 1] = gsl_matrix_alloc(net->p.sizes[l], m);
        A[l - 1] = gsl_matrix_alloc(net->p.sizes[l], m);
        D[l - 1] = gsl_matrix_alloc(net->p.sizes[l], m);
        /* z^l = W^l a^{l-1} + b^l 1^T */
        for (i = 0; i < m; i++) {
            gsl_vector_view zc = gsl_matrix_column(Z[l - 1], i);
            gsl_vector_memcpy(&zc.vector, net->p.b[l - 1]);
        }
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, net->p.w[l - 1], Aprev, 1.0,
                       Z[l - 1]);
        gp_activate_matrix(l == L ? net->cost->output : GP_OUTPUT_SIGMOID, Z[l - 1],
                           A[l - 1]);
    }
    for (i = 0; i < m && !status; i++) {
        gsl_vector_const_view z = gsl_matrix_const_column(Z[L - 1], i);
        gsl_vector_const_view a = gsl_matrix_const_column(A[L - 1], i);
        gsl_vector_const_view y = gsl_matrix_const_column(Y, i);
        gsl_vector_view d = gsl_matrix_column(D[L - 1], i);
        status = net->cost->delta(&z.vector, &a.vector, &y.vector, &d.vector);
    }
    for (l = L; l-- > 1;) { /* delta^l from delta^{l+1}, l = L-1 .. 1 */
        gsl_matrix *Dl = D[l - 1];
        if (flags & TU_BP_NO_TRANSPOSE)
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, net->p.w[l], D[l], 0.0, Dl);
        else
            gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, net->p.w[l], D[l], 0.0, Dl);
        for (j = 0; j < Dl->size1; j++)
            for (i = 0; i < m; i++) {
                double z = gsl_matrix_get(Z[l - 1], j, i);
                double f =
                    (flags & TU_BP_SIGMA_NOT_PRIME) ? gp_sigmoid(z) : gp_sigmoid_prime(z);
                *gsl_matrix_ptr(Dl, j, i) *= f;
            }
    }
    for (l = 1; l <= L; l++) {
        const gsl_matrix *Aprev = l == 1 ? X : A[l - 2];
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, scale, D[l - 1], Aprev, 0.0,
                       grad->w[l - 1]);
        gsl_blas_dgemv(CblasNoTrans, scale, D[l - 1], ones, 0.0, grad->b[l - 1]);
    }
    for (l = 0; l < L; l++) {
        gsl_matrix_free(Z[l]);
        gsl_matrix_free(A[l]);
        gsl_matrix_free(D[l]);
    }
    gsl_vector_free(ones);
    return status;
}

int tu_run_suite(Suite *suite) {
    SRunner *sr = srunner_create(suite);
    int failed;
    printf("GP-SEED %lu (rerun a case with GP_SEED=%lu GP_CASE=<i>)\n", tu_base_seed(),
           tu_base_seed());
    fflush(stdout);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- fixtures ---- */

static gsl_error_handler_t *old_handler;

void tu_handler_off(void) {
    old_handler = gsl_set_error_handler_off();
}

void tu_handler_restore(void) {
    gsl_set_error_handler(old_handler);
}

static int last_error;

static void record_error(const char *reason, const char *file, int line, int gsl_errno) {
    (void)reason, (void)file, (void)line;
    last_error = gsl_errno;
}

void tu_errors_record(void) {
    last_error = 0;
    gsl_set_error_handler(record_error);
}

int tu_last_error(void) {
    return last_error;
}

static char tmpdir[256];

void tu_tmpdir_make(const char *prefix) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/%s.XXXXXX", base ? base : "/tmp", prefix);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

const char *tu_tmpdir(void) {
    return tmpdir;
}

const char *tu_tmpdir_path(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* dir's files, the directories a test made in it (with their files), then dir. */
static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            remove_dir(p);
    }
    closedir(d);
    rmdir(dir);
}

void tu_tmpdir_remove(void) {
    remove_dir(tmpdir);
    ck_assert_msg(access(tmpdir, F_OK) != 0, "%s: not removed", tmpdir);
}

size_t tu_list_dir(const char *dir, char *out, size_t len) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    out[0] = '\0';
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        strncat(out, e->d_name, len - strlen(out) - 2);
        strcat(out, " ");
    }
    closedir(d);
    return n;
}

/* ---- the numerical SGD step ---- */

typedef struct {
    gp_network *net; /* a copy whose parameter i is varied */
    const gsl_matrix *X, *Y;
    gp_backprop_workspace *w;
    size_t i;
} param_fn;

/* The unregularised batch cost (1/m) sum_x C_x as a function of parameter i. */
static double cost_of_param(double v, void *p) {
    param_fn *f = p;
    double saved = gsl_vector_get(f->net->p.params, f->i), cost;
    gsl_vector_set(f->net->p.params, f->i, v);
    int st = gp_total_cost(f->net, f->X, f->Y, NULL, f->w, &cost);
    gsl_vector_set(f->net->p.params, f->i, saved);
    return st ? GSL_NAN : cost;
}

size_t tu_sgd_step_violations(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_sgd_params *p,
                              const gp_network *stepped, char *msg, size_t len,
                              double *sum_abs, tu_stat *st) {
    gp_network *copy = gp_network_clone(net);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, X->size2);
    ck_assert(copy && w);
    param_fn f = {copy, X, Y, w, 0};
    gsl_function F = {cost_of_param, &f};
    size_t bad = 0;
    *sum_abs = 0;
    for (size_t i = 0; i < net->p.n_params; i++) {
        size_t l, j, k;
        int is_w;
        gp_params_locate(&net->p, i, &l, &is_w, &j, &k);
        double theta = gsl_vector_get(net->p.params, i), g, abserr, reg = 0;
        f.i = i;
        gsl_deriv_central(&F, theta, 1e-4, &g, &abserr);
        *sum_abs += fabs(g);
        if (is_w) {
            double sgn = (theta > 0) - (theta < 0);
            reg = p->lambda / (double)p->n * theta + p->l1 / (double)p->n * sgn;
        }
        double expect = theta - p->eta * (g + reg);
        double got = gsl_vector_get(stepped->p.params, i);
        if (st) /* the gradient the step implies, against the numerical one */
            tu_stat_value(st, (theta - got) / p->eta - reg, g, 1e-5);
        double tol = p->eta * (4 * abserr + 1e-8 + 1e-6 * fabs(g)) + 1e-13 * fabs(theta);
        if (!(fabs(got - expect) <= tol) && bad++ == 0)
            snprintf(msg, len,
                     "%s^%zu[%zu][%zu]: step gives %.17g, numeric %.17g (tol %.3g)",
                     is_w ? "W" : "b", l, j, k, got, expect, tol);
    }
    gp_backprop_workspace_free(w);
    gp_network_free(copy);
    return bad;
}

/* ---- test activations ---- */

static void loop_f_n(const gp_activation *act, const double *z, double *a, double *fp,
                     size_t n) {
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        a[i] = act->f(act, zi);
        if (fp)
            fp[i] = act->df(act, zi);
    }
}

static double tanh_f(const gp_activation *act, double z) {
    (void)act;
    return tanh(z);
}

static double tanh_df(const gp_activation *act, double z) {
    (void)act;
    double t = tanh(z);
    return 1 - t * t;
}

static double sigmoid_f(const gp_activation *act, double z) {
    (void)act;
    return gp_sigmoid(z);
}

const gp_activation tu_activation_tanh = {"test-tanh", tanh_f, tanh_df, loop_f_n, 0};
const gp_activation tu_activation_wrong_df = {"test-sigmoid-wrong-df", sigmoid_f,
                                              sigmoid_f, loop_f_n, 0};

void tu_set_hidden_activation(gp_network *net, const gp_activation *act) {
    for (size_t l = 1; l < net->p.L; l++)
        ck_assert_int_eq(gp_network_set_activation(net, l, act), GSL_SUCCESS);
}
