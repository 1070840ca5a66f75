/* tests/check_dump.c: the oracle's dump (gradproof/dump.h) and the atomic writer
 * (gradproof/atomic.h): computed values against gsl_deriv_central, JSON and .npy
 * directory round trips, the compare rule with per-tensor precision, errors. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_errno.h>

#include <gradproof/gradproof.h>

#include "testutil.h"

#define TU_PROG "check_dump"

static char eb[512];

static void setup(void) {
    tu_handler_off();
    tu_tmpdir_make("check_dump");
    eb[0] = '\0';
}

static void teardown(void) {
    tu_tmpdir_remove();
    tu_handler_restore();
}

static tu_case *random_case_scaled(size_t i, const gp_cost_type *cost, double min_scale) {
    gsl_rng *r = tu_rng_for_case(0xD0D0, i);
    tu_shape sh;
    tu_shape_default(&sh);
    sh.min_batch = 2;
    if (min_scale > sh.scale_min)
        sh.scale_min = min_scale;
    tu_case *c = tu_case_alloc(r, cost, &sh);
    gsl_rng_free(r);
    ck_assert_ptr_nonnull(c);
    return c;
}

static tu_case *random_case(size_t i, const gp_cost_type *cost) {
    return random_case_scaled(i, cost, 0);
}

static int same_bits(const gsl_matrix *a, const gsl_matrix *b) {
    if (a->size1 != b->size1 || a->size2 != b->size2)
        return 0;
    for (size_t i = 0; i < a->size1; i++)
        if (memcmp(gsl_matrix_const_ptr(a, i, 0), gsl_matrix_const_ptr(b, i, 0),
                   a->size2 * sizeof(double)))
            return 0;
    return 1;
}

/* ---- Properties: the dump is the gradient of the cost it reports ---- */

/* dW, db of the dump against gsl_deriv_central of gp_total_cost (with L2 + L1), and the
 * cost entry equals gp_total_cost: every entry, every cost. */
START_TEST(test_dump_gradient_matches_numeric) {
    const gp_cost_type *cost = gp_cost_types[_i % tu_n_costs()];
    tu_case *c = random_case((size_t)_i, cost);
    gp_regularization reg = {0.3817, 0.125, 40};
    gp_dump d;
    gp_fcheck_opts go;
    gp_fcheck_report *rep = gp_formula_report_alloc(GP_FORMULA_REG, c->net, c->m);
    gp_gradient *g = gp_gradient_alloc(c->net);
    double C;
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, &reg, &d), GSL_SUCCESS);
    ck_assert_uint_eq(d.n, 5 * c->net->p.L + 1);
    ck_assert_uint_eq(d.m, c->m);
    for (size_t l = 1; l <= d.L; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "dW%zu", l);
        gsl_matrix_memcpy(g->w[l - 1], d.t[gp_dump_find(&d, nm)]);
        snprintf(nm, sizeof nm, "db%zu", l);
        gsl_vector_view col = gsl_matrix_column(d.t[gp_dump_find(&d, nm)], 0);
        gsl_vector_memcpy(g->b[l - 1], &col.vector);
        snprintf(nm, sizeof nm, "z%zu", l);
        ck_assert_uint_eq(d.t[gp_dump_find(&d, nm)]->size2, c->m);
    }
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    ck_assert_int_eq(gp_gradcheck_params(c->net, c->X, c->Y, &reg, g, &go, rep), 0);
    ck_assert_msg(rep->n_failed == 0, "%s: dump gradient fails the numeric check",
                  c->desc);
    ck_assert(rep->sum_abs_numeric > 0);
    gp_fcheck_report_free(rep);
    ck_assert_int_eq(gp_total_cost(c->net, c->X, c->Y, &reg, c->w, &C), 0);
    ck_assert_double_eq(gsl_matrix_get(d.t[gp_dump_find(&d, "cost")], 0, 0), C);
    gp_gradient_free(g);
    gp_dump_free(&d);
    tu_case_free(c);
}
END_TEST

/* ---- Core: files ---- */

static void assert_same_dump(const gp_dump *a, const gp_dump *b) {
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_str_eq(a->name[i], b->name[i]);
        ck_assert_msg(same_bits(a->t[i], b->t[i]), "%s differs after a round trip",
                      a->name[i]);
    }
}

static void assert_inputs_back(const char *path, const tu_case *c,
                               const gp_regularization *reg) {
    gp_network *net;
    gsl_matrix *X, *Y;
    gp_regularization back;
    ck_assert_msg(gp_dump_read_inputs(path, &net, &X, &Y, &back, eb, sizeof eb) == 0,
                  "%s", eb);
    ck_assert_mem_eq(net->p.params->data, c->net->p.params->data,
                     c->net->p.n_params * sizeof(double));
    ck_assert(same_bits(X, c->X) && same_bits(Y, c->Y));
    ck_assert_double_eq(back.lambda, reg->lambda);
    ck_assert_double_eq(back.l1, reg->l1);
    ck_assert_uint_eq(back.n, reg->n);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}

/* JSON document and .npy directory: every tensor back bit for bit, the inputs too,
 * mode 0644 under the umask, no temporary left, the oracle's mark present. */
START_TEST(test_dump_round_trips_json_and_dir) {
    tu_case *c = random_case(100 + (size_t)_i, &gp_cost_cross_entropy);
    gp_regularization reg = {0.5, 0.25, 7};
    gp_dump d, back;
    mode_t old = umask(027);
    char json[600], dir[600], names[4096];
    snprintf(json, sizeof json, "%s", tu_tmpdir_path("o.json"));
    snprintf(dir, sizeof dir, "%s", tu_tmpdir_path("o"));
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, &reg, &d), 0);
    ck_assert_int_eq(
        gp_dump_write_json(json, &d, c->net, c->X, c->Y, &reg, eb, sizeof eb), 0);
    for (int twice = 0; twice < 2; twice++) /* the second replaces the first */
        ck_assert_msg(
            gp_dump_write_dir(dir, &d, c->net, c->X, c->Y, &reg, eb, sizeof eb) == 0,
            "%s", eb);
    umask(old);
    for (int k = 0; k < 2; k++) {
        const char *p = k ? dir : json;
        struct stat st;
        ck_assert_msg(gp_dump_read(p, NULL, &back, eb, sizeof eb) == 0, "%s", eb);
        assert_same_dump(&d, &back);
        gp_dump_free(&back);
        assert_inputs_back(p, c, &reg);
        /* dump and inputs in one read (gp_dump_read_oracle) */
        gp_network *net;
        gsl_matrix *X, *Y;
        gp_regularization r2;
        ck_assert_msg(gp_dump_read_oracle(p, &back, &net, &X, &Y, &r2, eb, sizeof eb) ==
                          0,
                      "%s", eb);
        assert_same_dump(&d, &back);
        ck_assert_ptr_nonnull(net);
        ck_assert(gsl_matrix_equal(X, c->X) && gsl_matrix_equal(Y, c->Y));
        ck_assert(r2.lambda == reg.lambda && r2.l1 == reg.l1 && r2.n == reg.n);
        gp_dump_free(&back);
        gp_network_free(net);
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
        ck_assert(gp_dump_is_oracle(p));
        snprintf(names, sizeof names, "%s%s", p, k ? "/dW1.npy" : "");
        ck_assert_int_eq(stat(names, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0640);
    }
    /* o.json and o only: no DIR.tmp.* or o.json.tmp.* left. */
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 2);
    gp_dump_free(&d);
    tu_case_free(c);
}
END_TEST

/* ---- Core: the compare rule ---- */

static void copy_dump(const gp_dump *a, gp_dump *b) {
    gp_dump_init(b, a->L);
    b->m = a->m;
    for (size_t i = 0; i < a->n; i++) {
        b->t[i] = gsl_matrix_alloc(a->t[i]->size1, a->t[i]->size2);
        gsl_matrix_memcpy(b->t[i], a->t[i]);
    }
}

/* One entry moved by 1e-6 relative is caught, named, and is the only failure; the
 * unchanged dump agrees with itself. */
START_TEST(test_dump_compare_names_a_wrong_entry) {
    tu_case *c = random_case(200 + (size_t)_i, &gp_cost_quadratic);
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_fcheck_report *r;
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &o), 0);
    copy_dump(&o, &cd);
    gp_dump_compare_opts_default(&opts);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_uint_eq(r->n_failed, 0);
    ck_assert_uint_eq(r->n_tensors, o.n);
    gp_fcheck_report_free(r);
    int i = gp_dump_find(&o, "dW1");
    double *x = gsl_matrix_ptr(cd.t[i], 0, 0);
    *x = *x * (1 + 1e-6) + (*x == 0 ? 1e-6 : 0);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_uint_eq(r->n_failed, 1);
    ck_assert_str_eq(r->tensors[r->worst[0].tensor].name, "dW1");
    ck_assert_uint_eq(r->worst[0].index, 0);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    tu_case_free(c);
}
END_TEST

/* Precision is inferred per tensor: dW1 as float32 code computes it (3e-7 relative off,
 * rounded to float32) passes under float32 tolerances while every other tensor stays
 * float64. Forcing float64 everywhere (the old all-or-nothing rule once one tensor is
 * float64) fails it: the inference is what makes it pass. Parameter scales >= 0.1 keep
 * dW1 above float64's absolute floor (at scale 1e-3 a 3-layer dW1 is ~1e-10, and any
 * relative error of it passes). */
START_TEST(test_dump_compare_infers_precision_per_tensor) {
    tu_case *c = random_case_scaled(300 + (size_t)_i, &gp_cost_cross_entropy, 0.1);
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_fcheck_report *r;
    gp_precision prec[GP_DUMP_MAX_TENSORS];
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &o), 0);
    copy_dump(&o, &cd);
    int i = gp_dump_find(&o, "dW1");
    for (size_t k = 0; k < cd.t[i]->size1 * cd.t[i]->size2; k++)
        cd.t[i]->data[k] = (double)(float)(cd.t[i]->data[k] * (1 + 3e-7));
    gp_dump_compare_opts_default(&opts);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, prec), 0);
    ck_assert_msg(r->n_failed == 0, "%s", c->desc);
    for (size_t t = 0; t < r->n_tensors; t++)
        ck_assert_int_eq(prec[t],
                         strcmp(r->tensors[t].name, "dW1") ? GP_FLOAT64 : GP_FLOAT32);
    gp_fcheck_report_free(r);
    for (size_t k = 0; k < GP_DUMP_MAX_TENSORS; k++)
        opts.precision[k] = GP_FLOAT64;
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, prec), 0);
    ck_assert_msg(r->n_failed > 0, "%s: dW1 scale %g", c->desc,
                  r->tensors[gp_dump_find(&o, "dW1")].scale);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    tu_case_free(c);
}
END_TEST

/* The scale of a tensor ignores non-finite oracle values, and a NaN candidate fails. */
START_TEST(test_dump_compare_finiteness) {
    tu_case *c = random_case(400, &gp_cost_quadratic);
    gp_dump o, cd;
    gp_fcheck_report *r;
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &o), 0);
    copy_dump(&o, &cd);
    int i = gp_dump_find(&o, "z1");
    gsl_matrix_set(o.t[i], 0, 0, INFINITY);
    gsl_matrix_set(cd.t[i], 0, 0, INFINITY);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, NULL, &r, NULL), 0);
    ck_assert(isfinite(r->tensors[i].scale));
    gp_fcheck_report_free(r);
    gsl_matrix_set(cd.t[gp_dump_find(&o, "db1")], 0, 0, NAN);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, NULL, &r, NULL), 0);
    ck_assert_uint_ge(r->n_failed, 1);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    tu_case_free(c);
}
END_TEST

/* ---- the certified rule (bounds.h) through gp_dump_compare ---- */

/* opts with a case's inputs, so that the certified rule decides. */
static void certified_opts(gp_dump_compare_opts *opts, const tu_case *c,
                           const gp_regularization *reg, gp_dump_verdict *v) {
    gp_dump_compare_opts_default(opts);
    opts->net = c->net;
    opts->X = c->X;
    opts->Y = c->Y;
    opts->reg = reg;
    opts->verdict = v;
}

/* The oracle's own values agree entry by entry, and rounded to float32 (each tensor
 * then judged as float32) nothing disagrees; a sum-not-mean candidate (dW, db times m)
 * disagrees, the report's failures are exactly the disagreeing entries, the first is
 * dW^L and the diagnosis names the factor m. Without inputs the fixed rule decides. */
START_TEST(test_dump_compare_certified_verdicts) {
    tu_case *c = random_case(500 + (size_t)_i, gp_cost_types[_i % tu_n_costs()]);
    size_t m = c->X->size2;
    gp_regularization reg = {_i % 2 ? 0.5 : 0, _i % 4 == 3 ? 0.1 : 0, 3 * m};
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_dump_verdict v;
    gp_fcheck_report *r;
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, &reg, &o), 0);
    certified_opts(&opts, c, &reg, &v);
    copy_dump(&o, &cd);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_int_eq(v.certified, 1);
    ck_assert_int_eq(v.verdict, GP_VERDICT_AGREE);
    ck_assert_uint_eq(v.n_agree, r->n_checked);
    ck_assert_int_eq(v.diagnosis.kind, GP_DIAG_NONE);
    gp_fcheck_report_free(r);
    for (size_t i = 0; i < cd.n; i++)
        for (size_t k = 0; k < cd.t[i]->size1 * cd.t[i]->size2; k++)
            cd.t[i]->data[k] = (double)(float)cd.t[i]->data[k];
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_msg(v.n_disagree == 0 && r->n_failed == 0, "%s", c->desc);
    ck_assert_int_eq(v.t[0].precision, GP_FLOAT32);
    gp_fcheck_report_free(r);
    gp_dump_free(&cd);
    copy_dump(&o, &cd);
    for (size_t l = 1; l <= o.L; l++) {
        char w[8], b[8];
        snprintf(w, sizeof w, "dW%zu", l);
        snprintf(b, sizeof b, "db%zu", l);
        gsl_matrix_scale(cd.t[gp_dump_find(&o, w)], (double)m);
        gsl_matrix_scale(cd.t[gp_dump_find(&o, b)], (double)m);
    }
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_int_eq(v.verdict, GP_VERDICT_DISAGREE);
    ck_assert_uint_gt(v.n_disagree, 0);
    ck_assert_uint_eq(r->n_failed, v.n_disagree);
    char first[8];
    snprintf(first, sizeof first, "dW%zu", o.L);
    ck_assert_str_eq(v.diagnosis.tensor, first);
    ck_assert_msg(v.diagnosis.kind == GP_DIAG_SCALE && fabs(v.diagnosis.param - m) < 1e-6,
                  "%s: %s", c->desc, v.diagnosis.text);
    gp_fcheck_report_free(r);
    opts.net = NULL;
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
    ck_assert_int_eq(v.certified, 0);
    ck_assert(strlen(v.reason) > 0);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    tu_case_free(c);
}
END_TEST

/* The thresholds are the bounds themselves: z1[0][0] of a [40,3,2] network (inner
 * products of 40 terms, so the probabilistic bound bp is below the worst case bw)
 * moved between the two (the candidate's plus the oracle's) is inconclusive and
 * passes, by 1.01 (bw + bw) disagrees and fails with the report's `allowed` = 2 bw,
 * by 0.99 (bp + bp) agrees: agreement is within both probabilistic bounds
 * (gp_bounds_compare_tensor). */
START_TEST(test_dump_compare_certified_thresholds) {
    size_t sizes[3] = {40, 3, 2}, m = 5;
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_alloc(40, m), *Y = gsl_matrix_alloc(2, m);
    gsl_rng *g = tu_rng_for_case(0xB0B0, (size_t)_i);
    ck_assert_int_eq(gp_network_init(net, GP_INIT_LARGE, g), 0);
    for (size_t k = 0; k < 40 * m; k++)
        X->data[k] = gsl_rng_uniform(g) - 0.5;
    for (size_t k = 0; k < 2 * m; k++)
        Y->data[k] = gsl_rng_uniform(g);
    gp_bounds_model md;
    gp_bounds *b = gp_bounds_alloc(net, m);
    gp_bounds_model_init(&md, "float64");
    ck_assert_int_eq(gp_bounds_compute(net, X, Y, NULL, &md, b), 0);
    double bw, bp;
    ck_assert_int_eq(gp_bounds_entry(b, "z1", 0, 0, &bw, &bp), 0);
    ck_assert_msg(bp < bw, "bp %g bw %g", bp, bw);
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_dump_verdict v;
    gp_fcheck_report *r;
    tu_case c = {.net = net, .X = X, .Y = Y};
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    certified_opts(&opts, &c, NULL, &v);
    /* bo = bw: the float64 candidate's bound is the oracle's own */
    const double f[3] = {0.99 * 2 * bp, (bp + 3 * bw) / 2, 1.01 * 2 * bw};
    const gp_verdict want[3] = {GP_VERDICT_AGREE, GP_VERDICT_INCONCLUSIVE,
                                GP_VERDICT_DISAGREE};
    for (int q = 0; q < 3; q++) {
        copy_dump(&o, &cd);
        *gsl_matrix_ptr(cd.t[0], 0, 0) += f[q];
        ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), 0);
        ck_assert_int_eq(v.t[0].verdict, want[q]);
        ck_assert_int_eq(v.verdict, want[q]);
        ck_assert_uint_eq(r->n_failed, q == 2);
        ck_assert_double_eq_tol(r->worst[0].allowed, 2 * bw, 1e-6 * bw);
        gp_fcheck_report_free(r);
        gp_dump_free(&cd);
    }
    gp_dump_free(&o);
    gp_bounds_free(b);
    gsl_rng_free(g);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}
END_TEST

/* ---- Errors ---- */

static void write_text(const char *name, const char *text) {
    FILE *f = fopen(tu_tmpdir_path(name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* At a kink the candidate's own z decides the side. Oracle: a ReLU network whose unit
 * z^1_00 sits 1e-9 on one side of 0 (_i even: above, odd: below); candidate: the same
 * network's dump with that unit moved 1e-9 to the other side (what a correct float32
 * peer whose z_hat rounded across the kink computes), judged as float32. With the
 * candidate's z it agrees, on both sides; without its z the flip is inconclusive (the
 * rule before); with its z but the oracle's f' it is not agree. */
static int kink_verdict(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_dump *o, const gp_dump *cd, gp_dump_verdict *v) {
    gp_dump_compare_opts opts;
    gp_fcheck_report *r;
    gp_regularization reg = {0, 0, 0};
    gp_dump_compare_opts_default(&opts);
    opts.net = net, opts.X = X, opts.Y = Y, opts.reg = &reg, opts.verdict = v;
    for (size_t i = 0; i < GP_DUMP_MAX_TENSORS; i++)
        opts.precision[i] = GP_FLOAT32;
    ck_assert_int_eq(gp_dump_compare(o, cd, &opts, &r, NULL), 0);
    ck_assert_int_eq(v->certified, 1);
    gp_fcheck_report_free(r);
    return v->verdict;
}

/* A candidate dump without its z tensors. */
static void drop_z(gp_dump *d) {
    for (size_t l = 1; l <= d->L; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "z%zu", l);
        int k = gp_dump_find(d, nm);
        gsl_matrix_free(d->t[k]);
        d->t[k] = NULL;
    }
}

START_TEST(test_dump_compare_kink_side_from_candidate_z) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.min_layers = co.max_layers = 3;
    co.min_width = 3;
    co.min_batch = 2;
    co.scale_min = 0.5;
    co.activation = &gp_activation_relu;
    gsl_rng *rng = tu_rng_for_case(0xd51de, (size_t)_i / 2);
    gp_network *net, *moved;
    gsl_matrix *X, *Y;
    ck_assert_int_eq(
        gp_case_random(rng, &gp_cost_quadratic_linear, &co, &net, &X, &Y, NULL),
        GSL_SUCCESS);
    double off = _i % 2 ? -1e-9 : 1e-9;
    int exact;
    moved = gp_network_clone(net);
    ck_assert_int_eq(gp_case_place_kink(net, X, 1, 0, 0, off, &exact), 0);
    ck_assert_int_eq(gp_case_place_kink(moved, X, 1, 0, 0, -off, &exact), 0);
    /* a NaN or infinite offset: refused, the bias unchanged (NaN was written into it) */
    double b0 = gsl_vector_get(moved->p.b[0], 0);
    ck_assert_int_eq(gp_case_place_kink(moved, X, 1, 0, 0, NAN, &exact), GSL_EDOM);
    ck_assert_int_eq(gp_case_place_kink(moved, X, 1, 0, 0, -INFINITY, &exact), GSL_EDOM);
    ck_assert(gsl_vector_get(moved->p.b[0], 0) == b0);
    gp_dump o, cd, mixed;
    gp_dump_verdict v;
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    ck_assert_int_eq(gp_dump_compute(moved, X, Y, NULL, &cd), 0);
    copy_dump(&o, &mixed);
    for (size_t l = 1; l < net->p.L; l++) { /* the candidate's z, the oracle's f' */
        char nm[32];
        snprintf(nm, sizeof nm, "z%zu", l);
        gsl_matrix_memcpy(mixed.t[gp_dump_find(&mixed, nm)], cd.t[gp_dump_find(&cd, nm)]);
    }
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &cd, &v), GP_VERDICT_AGREE);
    ck_assert_uint_eq(v.n_inconclusive + v.n_disagree, 0);
    ck_assert_int_ne(kink_verdict(net, X, Y, &o, &mixed, &v), GP_VERDICT_AGREE);
    drop_z(&cd); /* no z: the flip is inconclusive */
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &cd, &v), GP_VERDICT_INCONCLUSIVE);
    ck_assert_uint_eq(v.n_disagree, 0);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    gp_dump_free(&mixed);
    gp_network_free(net);
    gp_network_free(moved);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

/* The kink tests' case: a 3-layer quadratic-linear network of relu hidden layers, or
 * leaky-relu 0.1 ones (held by *leaky), widths >= 3, m >= 2, weight scales >= 0.5. */
static void kink_case(gsl_rng *rng, int use_leaky, gp_activation *leaky, gp_network **net,
                      gsl_matrix **X, gsl_matrix **Y) {
    gp_case_opts co;
    gp_case_opts_default(&co);
    *leaky = gp_activation_leaky_relu;
    ck_assert_int_eq(gp_activation_set_alpha(leaky, 0.1), 0);
    co.min_layers = co.max_layers = 3;
    co.min_width = 3;
    co.min_batch = 2;
    co.scale_min = 0.5;
    co.activation = use_leaky ? leaky : &gp_activation_relu;
    ck_assert_int_eq(gp_case_random(rng, &gp_cost_quadratic_linear, &co, net, X, Y, NULL),
                     0);
}

/* Plant f'(0) = 1 at unit z^1_00 (on the kink) in bad, a dump of net: delta^1_00 moves
 * from f'(0) g to g (g = (W^2)^T delta^2, BP2), dW^1 and db^1 with it (BP3, BP4).
 * Returns g. */
static double plant_kink_convention(gp_dump *bad, const gp_network *net,
                                    const gsl_matrix *X) {
    const gsl_matrix *d2 = bad->t[gp_dump_find(bad, "delta2")];
    double g = 0, m = (double)X->size2, alpha = gp_network_activation(net, 1)->alpha;
    for (size_t k = 0; k < d2->size1; k++)
        g += gsl_matrix_get(net->p.w[1], k, 0) * gsl_matrix_get(d2, k, 0);
    ck_assert_msg(fabs(g) > 1e-6, "g = %g too small to tell the conventions apart", g);
    double diff = (1 - alpha) * g; /* f'(0) = 1 instead of alpha */
    *gsl_matrix_ptr(bad->t[gp_dump_find(bad, "delta1")], 0, 0) += diff;
    *gsl_matrix_ptr(bad->t[gp_dump_find(bad, "db1")], 0, 0) += diff / m;
    for (size_t k = 0; k < X->size1; k++)
        *gsl_matrix_ptr(bad->t[gp_dump_find(bad, "dW1")], 0, k) +=
            diff * gsl_matrix_get(X, k, 0) / m;
    return g;
}

/* A candidate whose own z^1_00 is exactly on the kink (gp_case_place_kink with offset
 * 0) and whose delta there takes f'(0) = 1, the right side's derivative, where gradproof
 * uses relu'(0) = 0 (_i even) or leaky_relu'(0) = alpha = 0.1 (_i odd): delta^1_00 moves
 * from f'(0) g to g (g = (W^2)^T delta^2, BP2), dW^1 and db^1 with it (BP3, BP4). No
 * rounding of z could explain it, so it disagrees, first at delta1, and the diagnosis
 * names the convention; the oracle's own values at the same case agree, exact and
 * (_i / 2 odd) rounded to float32, all judged as float32 (kink_verdict). Without the
 * candidate's z the rule cannot know it sat on the kink: only inconclusive, as before. */
START_TEST(test_dump_compare_kink_convention_at_exact_z) {
    gp_activation leaky;
    gsl_rng *rng = tu_rng_for_case(0xc0de, (size_t)_i);
    gp_network *net;
    gsl_matrix *X, *Y;
    kink_case(rng, _i % 2, &leaky, &net, &X, &Y);
    int exact, f32 = _i / 2 % 2;
    ck_assert_int_eq(gp_case_place_kink(net, X, 1, 0, 0, 0.0, &exact), 0);
    ck_assert_int_eq(exact, 1);
    gp_dump o, good, bad;
    gp_dump_verdict v;
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    copy_dump(&o, &good);
    copy_dump(&o, &bad);
    double g = plant_kink_convention(&bad, net, X);
    ck_assert_double_eq_tol(gsl_matrix_get(o.t[gp_dump_find(&o, "delta1")], 0, 0),
                            gp_network_activation(net, 1)->alpha * g, 1e-15);
    for (size_t i = 0; f32 && i < o.n; i++)
        for (size_t k = 0; k < o.t[i]->size1 * o.t[i]->size2; k++) {
            good.t[i]->data[k] = (double)(float)good.t[i]->data[k];
            bad.t[i]->data[k] = (double)(float)bad.t[i]->data[k];
        }
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &good, &v), GP_VERDICT_AGREE);
    ck_assert_uint_eq(v.n_inconclusive + v.n_disagree, 0);
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &bad, &v), GP_VERDICT_DISAGREE);
    ck_assert_int_eq(v.diagnosis.kind, GP_DIAG_KINK_CONVENTION);
    ck_assert_str_eq(v.diagnosis.tensor, "delta1");
    ck_assert_msg(strstr(v.diagnosis.text,
                         _i % 2 ? "leaky-relu'(0) taken as 1 where z1 = 0 exactly (1 "
                                  "entry), gradproof uses leaky-relu'(0) = alpha = 0.1"
                                : "relu'(0) taken as 1 where z1 = 0 exactly (1 entry), "
                                  "gradproof uses relu'(0) = 0"),
                  "%s", v.diagnosis.text);
    drop_z(&bad); /* no z: not pinned, inconclusive */
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &bad, &v), GP_VERDICT_INCONCLUSIVE);
    gp_dump_free(&o);
    gp_dump_free(&good);
    gp_dump_free(&bad);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

/* Only the candidate on the kink: the candidate's own z^1_00 is exactly 0 while the
 * oracle's lies a rounding away, 1e-10 below (_i even) or above (_i odd) it (what a
 * float32 peer whose sum rounded onto 0 computes; judged as float32), relu (_i / 2 even)
 * or leaky-relu 0.1. The candidate's z pins f'(0) (gpi_bounds_compute_pinned), so its
 * f'(0) = 1 disagrees, and the diagnosis names the convention although the oracle's z is
 * not 0: the oracle's unit moves onto the kink with the candidate's (side_unit). The same
 * candidate with gradproof's convention agrees. */
START_TEST(test_dump_compare_kink_convention_candidate_only) {
    gp_activation leaky;
    gsl_rng *rng = tu_rng_for_case(0xc0df, (size_t)_i);
    gp_network *net, *cn;
    gsl_matrix *X, *Y;
    kink_case(rng, _i / 2 % 2, &leaky, &net, &X, &Y);
    int exact;
    cn = gp_network_clone(net);
    ck_assert_int_eq(gp_case_place_kink(cn, X, 1, 0, 0, 0.0, &exact), 0);
    ck_assert_int_eq(exact, 1);
    ck_assert_int_eq(gp_case_place_kink(net, X, 1, 0, 0, _i % 2 ? 1e-10 : -1e-10, &exact),
                     0);
    gp_dump o, good, bad;
    gp_dump_verdict v;
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    ck_assert_double_ne(gsl_matrix_get(o.t[gp_dump_find(&o, "z1")], 0, 0), 0);
    ck_assert_int_eq(gp_dump_compute(cn, X, Y, NULL, &good), 0);
    copy_dump(&good, &bad);
    plant_kink_convention(&bad, cn, X);
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &good, &v), GP_VERDICT_AGREE);
    ck_assert_int_eq(kink_verdict(net, X, Y, &o, &bad, &v), GP_VERDICT_DISAGREE);
    ck_assert_msg(v.diagnosis.kind == GP_DIAG_KINK_CONVENTION, "diagnosis %d: %s",
                  (int)v.diagnosis.kind, v.diagnosis.text);
    ck_assert_str_eq(v.diagnosis.tensor, "delta1");
    ck_assert_msg(strstr(v.diagnosis.text, "'(0) taken as 1 where z1 = 0 exactly"), "%s",
                  v.diagnosis.text);
    gp_dump_free(&o);
    gp_dump_free(&good);
    gp_dump_free(&bad);
    gp_network_free(net);
    gp_network_free(cn);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(rng);
}
END_TEST

/* The certified rule's inputs must be the oracle's: a wider network of the same depth
 * as opts->net was accepted (its bounds read as the oracle's, status 0). n_worst above
 * GP_GRADCHECK_MAX_WORST is GSL_EINVAL (it was capped silently). */
START_TEST(test_dump_compare_refuses_another_network) {
    const size_t sizes[] = {3, 2, 2}, wide[] = {3, 50, 2};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_network *w = gp_network_alloc(3, wide, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_calloc(3, 4), *Y = gsl_matrix_calloc(2, 4);
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_fcheck_report *r = NULL;
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    copy_dump(&o, &cd);
    gp_dump_compare_opts_default(&opts);
    opts.net = w;
    opts.X = X;
    opts.Y = Y;
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), GSL_EBADLEN);
    ck_assert_ptr_null(r);
    opts.net = net; /* its own: fine */
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), GSL_SUCCESS);
    gp_fcheck_report_free(r);
    r = NULL;
    /* n_worst above the report's room, by either rule */
    opts.n_worst = GP_GRADCHECK_MAX_WORST + 1;
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), GSL_EINVAL);
    opts.net = NULL;
    ck_assert_int_eq(gp_dump_compare(&o, &cd, &opts, &r, NULL), GSL_EINVAL);
    ck_assert_ptr_null(r);
    opts.net = net, opts.n_worst = GP_GRADCHECK_MAX_WORST;
    /* An empty candidate: refused (it agreed, nothing failing among nothing checked). */
    gp_dump empty;
    gp_dump_init(&empty, 2);
    ck_assert_int_eq(gp_dump_compare(&o, &empty, &opts, &r, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_dump_compare(&o, &empty, NULL, &r, NULL), GSL_EINVAL);
    ck_assert_ptr_null(r);
    gp_dump_free(&empty);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gp_network_free(w);
    gp_network_free(net);
}
END_TEST

/* gp_dump_init refuses L = 0 and L >= GP_MAX_LAYERS (it returned an empty or a
 * 64-layer dump, silently), gp_dump_find a NULL name (strcmp(NULL)), gp_dump_compute and
 * gp_dump_compare NULL inputs, gp_dump_read a dump of 64 layers of weights: all
 * GSL_EINVAL. */
START_TEST(test_dump_refuses_bad_arguments) {
    gp_dump d;
    tu_errors_record();
    ck_assert_int_eq(gp_dump_init(&d, 0), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_int_eq(gp_dump_init(&d, GP_MAX_LAYERS), GSL_EINVAL);
    ck_assert_uint_eq(d.L, 0);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_int_eq(gp_dump_init(NULL, 2), GSL_EINVAL);
    ck_assert_int_eq(gp_dump_init(&d, GP_MAX_LAYERS - 1), GSL_SUCCESS);
    ck_assert_uint_eq(d.n, 5 * (GP_MAX_LAYERS - 1) + 1);
    tu_errors_record();
    ck_assert_int_eq(gp_dump_find(&d, NULL), -1);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    tu_errors_record();
    ck_assert_int_eq(gp_dump_find(NULL, "z1"), -1);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(gp_dump_find(&d, "z1"), 0);
    /* NULL inputs of the oracle and the compare rule (they crashed) */
    gsl_matrix *X = gsl_matrix_calloc(1, 1);
    gp_fcheck_report *rep;
    ck_assert_int_eq(gp_dump_compute(NULL, X, X, NULL, &d), GSL_EINVAL);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_int_eq(gp_dump_compute(NULL, X, X, NULL, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_dump_compare(NULL, &d, NULL, &rep, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_dump_compare(&d, &d, NULL, NULL, NULL), GSL_EINVAL);
    gsl_matrix_free(X);
    char deep[1024] = "{\"dW1\": [[1]]";
    for (int l = 2; l <= GP_MAX_LAYERS; l++)
        snprintf(deep + strlen(deep), sizeof deep - strlen(deep), ", \"dW%d\": [[1]]", l);
    strcat(deep, "}");
    write_text("deep.json", deep);
    ck_assert_int_eq(gp_dump_read(tu_tmpdir_path("deep.json"), NULL, &d, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_msg(strstr(eb, "too many layers") != NULL, "%s", eb);
}
END_TEST

/* A candidate is read in the oracle's shapes: missing dW, a wrong shape and a NaN are
 * refused with one line naming the file; a row vector db is accepted. */
START_TEST(test_dump_read_candidate_errors) {
    static const char *const cand[] = {
        "{\"dW1\": [[1, 2]], \"db1\": [0.5]}",                         /* ok: 1 x 2 net */
        "{\"dW1\": [[1, 2]]}",                                         /* db1 missing */
        "{\"dW1\": [[1], [2]], \"db1\": [0.5]}",                       /* transposed */
        "{\"dW1\": [[1, 2]], \"db1\": [0.5], \"a1\": [[\"x\", 0]]}",   /* not a number */
        "{\"dW1\": [[1, 2]], \"db1\": [0.5], \"z1\": [[1, 2], [3]]}"}; /* ragged */
    static const char *const want[] = {NULL, "db1 is missing", "dW1 has shape 2 x 1",
                                       "not a finite number", "row 1"};
    const size_t sizes[] = {2, 1};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_quadratic);
    gsl_matrix *X = gsl_matrix_calloc(2, 2), *Y = gsl_matrix_calloc(1, 2);
    gp_dump o, cd;
    ck_assert_int_eq(gp_dump_compute(net, X, Y, NULL, &o), 0);
    write_text("c.json", cand[_i]);
    int st = gp_dump_read(tu_tmpdir_path("c.json"), &o, &cd, eb, sizeof eb);
    if (want[_i] == NULL) {
        ck_assert_msg(st == 0, "%s", eb);
        ck_assert_uint_eq(cd.t[gp_dump_find(&cd, "db1")]->size2, 1);
        ck_assert(!gp_dump_is_oracle(tu_tmpdir_path("c.json")));
    } else {
        ck_assert_int_eq(st, GSL_EINVAL);
        ck_assert_msg(strstr(eb, want[_i]) && strstr(eb, "c.json") && !strchr(eb, '\n'),
                      "%s", eb);
        for (size_t i = 0; i < cd.n; i++)
            ck_assert_ptr_null(cd.t[i]);
    }
    gp_dump_free(&cd);
    gp_dump_free(&o);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}
END_TEST

/* JSON matrices are checked row by row before anything is allocated: a first row of
 * 100000 numbers followed by 100000 short rows is refused at row 1. */
START_TEST(test_dump_matrix_json_checks_rows_first) {
    size_t n = 100000, len = 12 * n + 16;
    char *t = malloc(len), *p = t;
    gsl_matrix *m = (gsl_matrix *)&m;
    p += sprintf(p, "[[");
    for (size_t j = 0; j < n; j++)
        p += sprintf(p, "%s0", j ? "," : "");
    p += sprintf(p, "]");
    for (size_t i = 1; i < 1000; i++)
        p += sprintf(p, ",[1]");
    sprintf(p, "]");
    write_text("big.json", t);
    free(t);
    ck_assert_int_eq(
        gp_dump_matrix_read(tu_tmpdir_path("big.json"), 0, &m, eb, sizeof eb),
        GSL_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(eb, "row 1 is not"), "%s", eb);
}
END_TEST

/* One rule for uint8 samples: with GP_NPY_U8_UNIT a byte is x / 255, bit for bit as
 * gp_idx_images_to_matrix scales pixels; without it the raw value. */
START_TEST(test_dump_matrix_uint8_rule) {
    static const unsigned char npy[] = "\x93NUMPY\x01\x00\x76\x00"
                                       "{'descr': '|u1', 'fortran_order': False, "
                                       "'shape': (1, 3), }";
    unsigned char buf[128 + 3];
    const unsigned char px[3] = {0, 7, 255};
    gsl_matrix *m;
    memset(buf, ' ', sizeof buf);
    memcpy(buf, npy, sizeof npy - 1);
    buf[127] = '\n';
    memcpy(buf + 128, px, 3);
    FILE *f = fopen(tu_tmpdir_path("u8.npy"), "wb");
    ck_assert_uint_eq(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);
    ck_assert_msg(gp_dump_matrix_read(tu_tmpdir_path("u8.npy"), GP_NPY_U8_UNIT, &m, eb,
                                      sizeof eb) == 0,
                  "%s", eb);
    for (size_t j = 0; j < 3; j++)
        ck_assert_double_eq(gsl_matrix_get(m, 0, j), px[j] / 255.0);
    gsl_matrix_free(m);
    ck_assert_int_eq(gp_dump_matrix_read(tu_tmpdir_path("u8.npy"), 0, &m, eb, sizeof eb),
                     0);
    ck_assert_double_eq(gsl_matrix_get(m, 0, 2), 255.0);
    gsl_matrix_free(m);
}
END_TEST

/* An existing directory that is not a dump is never replaced. */
START_TEST(test_dump_write_dir_keeps_foreign_directory) {
    tu_case *c = random_case(500, &gp_cost_quadratic);
    gp_dump d;
    char names[1024];
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &d), 0);
    ck_assert_int_eq(mkdir(tu_tmpdir_path("o"), 0755), 0);
    write_text("o/precious.txt", "keep me");
    ck_assert_int_eq(gp_dump_write_dir(tu_tmpdir_path("o"), &d, c->net, c->X, c->Y, NULL,
                                       eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_msg(strstr(eb, "not a dump directory"), "%s", eb);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir_path("o"), names, sizeof names), 1);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 1);
    gp_dump_free(&d);
    tu_case_free(c);
}
END_TEST

/* ---- the atomic writer ---- */

/* Mode 0644 under the umask; the open temporary file is registered, and
 * gp_atomic_cleanup (what a signal handler calls) removes it, leaving the target. */
START_TEST(test_atomic_mode_and_cleanup) {
    gp_atomic_file f;
    const char *names[4];
    struct stat st;
    char list[256];
    mode_t old = umask(_i ? 077 : 022);
    ck_assert_int_eq(gp_atomic_write(tu_tmpdir_path("a"), "old\n", 4, eb, sizeof eb), 0);
    ck_assert_int_eq(stat(tu_tmpdir_path("a"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, _i ? 0600 : 0644);
    ck_assert_int_eq(gp_atomic_open(tu_tmpdir_path("a"), &f, eb, sizeof eb), 0);
    fputs("partial", f.fp);
    ck_assert_uint_eq(gp_atomic_pending(names, 4), 1);
    ck_assert_str_eq(names[0], f.tmppath);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), list, sizeof list), 2);
    ck_assert_int_eq(gp_atomic_cleanup(), 1);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), list, sizeof list), 1);
    gp_atomic_abort(&f);
    ck_assert_uint_eq(gp_atomic_pending(NULL, 0), 0);
    umask(old);
    FILE *r = fopen(tu_tmpdir_path("a"), "r");
    ck_assert_int_eq(fgetc(r), 'o');
    fclose(r);
}
END_TEST

/* A failed commit (the target became a non-empty directory after the open) removes the
 * temporary file; a directory already there is refused by the open. */
START_TEST(test_atomic_failed_commit_leaves_nothing) {
    char list[256];
    gp_atomic_file f;
    ck_assert_int_eq(gp_atomic_open(tu_tmpdir_path("d"), &f, eb, sizeof eb), 0);
    fputs("new", f.fp);
    ck_assert_int_eq(mkdir(tu_tmpdir_path("d"), 0755), 0);
    write_text("d/x", "x");
    ck_assert_int_eq(gp_atomic_commit(&f, eb, sizeof eb), GSL_EFAILED);
    ck_assert_msg(strstr(eb, "rename failed") && !strchr(eb, '\n'), "%s", eb);
    ck_assert_int_eq(gp_atomic_write(tu_tmpdir_path("d"), "new", 3, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_msg(strstr(eb, "is a directory") && !strchr(eb, '\n'), "%s", eb);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), list, sizeof list), 1);
    ck_assert_uint_eq(gp_atomic_pending(NULL, 0), 0);
}
END_TEST

/* A symbolic link is written through: its target (relative to the link's directory)
 * gets the data and the link stays; a link to a missing file creates that file; a
 * loop of links fails with one line. The link was replaced by a regular file. */
START_TEST(test_atomic_writes_through_links) {
    char buf[16] = "", target[4096];
    struct stat st;
    write_text("t", "old");
    ck_assert_int_eq(symlink("t", tu_tmpdir_path("l")), 0);
    ck_assert_int_eq(symlink("u", tu_tmpdir_path("m")), 0);
    ck_assert_int_eq(symlink("n", tu_tmpdir_path("n")), 0);
    ck_assert_int_eq(gp_atomic_write(tu_tmpdir_path("l"), "new", 3, eb, sizeof eb), 0);
    ck_assert_int_eq(lstat(tu_tmpdir_path("l"), &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    FILE *r = fopen(tu_tmpdir_path("t"), "r");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, r));
    fclose(r);
    ck_assert_str_eq(buf, "new");
    ck_assert_int_eq(gp_atomic_write(tu_tmpdir_path("m"), "u", 1, eb, sizeof eb), 0);
    ck_assert_int_eq(stat(tu_tmpdir_path("u"), &st), 0);
    snprintf(target, sizeof target, "%s", tu_tmpdir_path("n"));
    ck_assert_int_eq(gp_atomic_write(target, "x", 1, eb, sizeof eb), GSL_EFAILED);
    ck_assert_msg(strstr(eb, target) == eb && !strchr(eb, '\n'), "%s", eb);
    ck_assert_uint_eq(gp_atomic_pending(NULL, 0), 0);
}
END_TEST

/* gp_atomic_space compares the target directory's available space (statvfs, read
 * here too) with the size asked for: half of it fits, a terabyte more does not (one
 * line naming the file, errno ENOSPC), nor does SIZE_MAX; a directory that is missing
 * is an error, a file system without a size (/proc) passes. */
START_TEST(test_atomic_space_compares_with_statvfs) {
    struct statvfs vfs;
    ck_assert_int_eq(statvfs(tu_tmpdir(), &vfs), 0);
    ck_assert_uint_gt(vfs.f_blocks, 0);
    size_t avail = (size_t)vfs.f_bavail * (size_t)vfs.f_frsize, tb = (size_t)1 << 40;
    const char *path = tu_tmpdir_path("out.json");
    ck_assert_msg(gp_atomic_space(path, 1, eb, sizeof eb) == GSL_SUCCESS, "%s", eb);
    ck_assert_msg(gp_atomic_space(path, avail / 2, eb, sizeof eb) == GSL_SUCCESS, "%s",
                  eb);
    errno = 0;
    ck_assert_int_eq(gp_atomic_space(path, avail + tb, eb, sizeof eb), GSL_EFAILED);
    ck_assert_int_eq(errno, ENOSPC);
    ck_assert_msg(strstr(eb, path) == eb && strstr(eb, ": not enough space: ") &&
                      !strchr(eb, '\n'),
                  "%s", eb);
    ck_assert_int_eq(gp_atomic_space(path, SIZE_MAX, eb, sizeof eb), GSL_EFAILED);
    ck_assert_int_eq(
        gp_atomic_space(tu_tmpdir_path("no/such/out.json"), 1, eb, sizeof eb),
        GSL_EFAILED);
    ck_assert_msg(strstr(eb, "cannot read the free space"), "%s", eb);
    ck_assert_int_eq(gp_atomic_space("/proc/self/out.json", 1, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_uint_eq(gp_atomic_pending(NULL, 0), 0);
}
END_TEST

/* gp_atomic_space_all: the outputs on one file system (st_dev of their directories)
 * need room together. Fake sizes 1, 2, 4 in two directories of the temporary
 * directory's file system and 8 on /proc (another file system, which reports no size)
 * sum to 7, 7, 7 and 8; two outputs of 3/5 of the available space each fit alone but
 * not together (the message counts the other output, errno ENOSPC), and do fit when
 * one goes to /proc; sums saturate at SIZE_MAX; a missing directory is named. */
START_TEST(test_atomic_space_all_sums_outputs_by_file_system) {
    struct statvfs vfs;
    ck_assert_int_eq(mkdir(tu_tmpdir_path("sub"), 0755), 0);
    char a[1024], b[1024], c[1024];
    snprintf(a, sizeof a, "%s", tu_tmpdir_path("a.json"));
    snprintf(b, sizeof b, "%s", tu_tmpdir_path("b.json"));
    snprintf(c, sizeof c, "%s", tu_tmpdir_path("sub/c.json"));
    const char *paths[] = {a, b, c, "/proc/self/d.json"};
    size_t bytes[] = {1, 2, 4, 8}, need[4], failed = 99;
    ck_assert_msg(!gp_atomic_space_all(4, paths, bytes, need, &failed, eb, sizeof eb),
                  "%s", eb);
    ck_assert(need[0] == 7 && need[1] == 7 && need[2] == 7 && need[3] == 8);
    ck_assert_int_eq(gp_atomic_space_all(0, paths, bytes, NULL, NULL, eb, sizeof eb),
                     GSL_SUCCESS);

    ck_assert_int_eq(statvfs(tu_tmpdir(), &vfs), 0);
    size_t avail = (size_t)vfs.f_bavail * (size_t)vfs.f_frsize;
    size_t big[] = {avail / 5 * 3, avail / 5 * 3};
    ck_assert_msg(!gp_atomic_space(a, big[0], eb, sizeof eb), "%s", eb); /* alone */
    errno = 0;
    ck_assert_int_eq(gp_atomic_space_all(2, paths, big, need, &failed, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_int_eq(errno, ENOSPC);
    ck_assert_uint_eq(failed, 0);
    ck_assert_uint_eq(need[0], big[0] + big[1]);
    ck_assert_msg(strstr(eb, a) == eb &&
                      strstr(eb,
                             ": not enough space: with the 1 other output on its file "
                             "system the files may take ") &&
                      !strchr(eb, '\n'),
                  "%s", eb);
    const char *apart[] = {a, "/proc/self/d.json"};
    ck_assert_msg(!gp_atomic_space_all(2, apart, big, need, NULL, eb, sizeof eb), "%s",
                  eb);
    ck_assert_uint_eq(need[0], big[0]);

    size_t huge[] = {5, SIZE_MAX};
    ck_assert_int_eq(gp_atomic_space_all(2, paths, huge, need, &failed, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_uint_eq(need[0], SIZE_MAX);
    const char *missing[] = {a, tu_tmpdir_path("no/such/x.json")};
    ck_assert_int_eq(gp_atomic_space_all(2, missing, bytes, NULL, &failed, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_uint_eq(failed, 1);
    ck_assert_msg(strstr(eb, "no/such/x.json: cannot read its directory"), "%s", eb);
}
END_TEST

static Suite *make_dump_suite(void) {
    Suite *s = suite_create("dump");
    TCase *props = tcase_create("Properties");
    TCase *core = tcase_create("Core");
    TCase *errs = tcase_create("Errors");
    tcase_add_checked_fixture(props, setup, teardown);
    tcase_add_loop_test(props, test_dump_gradient_matches_numeric, 0, (int)tu_cases(24));
    suite_add_tcase(s, props);
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_loop_test(core, test_dump_round_trips_json_and_dir, 0, 3);
    tcase_add_loop_test(core, test_dump_compare_names_a_wrong_entry, 0, 8);
    tcase_add_loop_test(core, test_dump_compare_infers_precision_per_tensor, 0, 8);
    tcase_add_test(core, test_dump_compare_finiteness);
    tcase_add_loop_test(core, test_dump_compare_certified_verdicts, 0, 8);
    tcase_add_loop_test(core, test_dump_compare_certified_thresholds, 0, 4);
    tcase_add_loop_test(core, test_dump_compare_kink_side_from_candidate_z, 0, 8);
    tcase_add_loop_test(core, test_dump_compare_kink_convention_at_exact_z, 0, 8);
    tcase_add_loop_test(core, test_dump_compare_kink_convention_candidate_only, 0, 8);
    tcase_add_loop_test(core, test_atomic_mode_and_cleanup, 0, 2);
    suite_add_tcase(s, core);
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_loop_test(errs, test_dump_read_candidate_errors, 0, 5);
    tcase_add_test(errs, test_dump_compare_refuses_another_network);
    tcase_add_test(errs, test_dump_refuses_bad_arguments);
    tcase_add_test(errs, test_dump_matrix_json_checks_rows_first);
    tcase_add_test(errs, test_dump_matrix_uint8_rule);
    tcase_add_test(errs, test_dump_write_dir_keeps_foreign_directory);
    tcase_add_test(errs, test_atomic_failed_commit_leaves_nothing);
    tcase_add_test(errs, test_atomic_writes_through_links);
    tcase_add_test(errs, test_atomic_space_compares_with_statvfs);
    tcase_add_test(errs, test_atomic_space_all_sums_outputs_by_file_system);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_dump_suite());
}
