/* tests/check_record.c: failure records (gradproof/record.h): write and read back,
 * replay with the compare rule (recorded values and a fresh candidate), shrink-then-
 * record of a wrong formula, and unreadable records. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_errno.h>

#include <gradproof/gradproof.h>

#include "testutil.h"

#define TU_PROG "check_record"

static char eb[512];

static void setup(void) {
    tu_handler_off();
    tu_tmpdir_make("check_record");
    eb[0] = '\0';
}

static void teardown(void) {
    tu_tmpdir_remove();
    tu_handler_restore();
}

static tu_case *random_case(size_t i, const gp_cost_type *cost) {
    gsl_rng *r = tu_rng_for_case(0x2EC0, i);
    tu_shape sh;
    tu_shape_default(&sh);
    sh.scale_min = 0.1; /* gradients well above float64's absolute floor */
    tu_case *c = tu_case_alloc(r, cost, &sh);
    gsl_rng_free(r);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* A candidate: the oracle's dump with dW_L[0][0] (and its float32 rounding in dW1 when
 * f32) moved by `rel`. */
static void doctored(const gp_dump *o, gp_dump *cd, double rel, int f32) {
    char nm[32];
    gp_dump_init(cd, o->L);
    for (size_t i = 0; i < o->n; i++) {
        cd->t[i] = gsl_matrix_alloc(o->t[i]->size1, o->t[i]->size2);
        gsl_matrix_memcpy(cd->t[i], o->t[i]);
    }
    snprintf(nm, sizeof nm, "dW%zu", o->L);
    double *x = gsl_matrix_ptr(cd->t[gp_dump_find(o, nm)], 0, 0);
    *x = *x * (1 + rel) + rel;
    if (f32) {
        gsl_matrix *w = cd->t[gp_dump_find(o, "dW1")];
        for (size_t k = 0; k < w->size1 * w->size2; k++)
            w->data[k] = (double)(float)w->data[k];
    }
}

/* Write a compare record of a doctored candidate, read it back: inputs bit for bit,
 * the failing entry with its tensor, index, values and per-tensor precision. */
START_TEST(test_record_compare_round_trip) {
    tu_case *c = random_case((size_t)_i, gp_cost_types[_i % tu_n_costs()]);
    gp_regularization reg = {0.25, 0.0625, 11};
    gp_dump o, cd;
    gp_fcheck_report *r;
    gp_precision prec[GP_DUMP_MAX_TENSORS];
    gp_record *rec;
    const char *path = tu_tmpdir_path("rec.json");
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, &reg, &o), 0);
    doctored(&o, &cd, 1e-2, 1);
    ck_assert_int_eq(gp_dump_compare(&o, &cd, NULL, &r, prec), 0);
    ck_assert_uint_eq(r->n_failed, 1);
    ck_assert_int_eq(
        gp_record_write_compare(path, c->net, c->X, c->Y, &reg, r, prec, eb, sizeof eb),
        0);
    ck_assert_msg(gp_record_read(path, &rec, eb, sizeof eb) == 0, "%s", eb);
    ck_assert_int_eq(rec->kind, GP_RECORD_COMPARE);
    ck_assert_mem_eq(rec->net->p.params->data, c->net->p.params->data,
                     c->net->p.n_params * sizeof(double));
    ck_assert_ptr_eq(rec->net->cost, c->net->cost);
    ck_assert_mem_eq(rec->X->data, c->X->data,
                     c->X->size1 * c->X->size2 * sizeof(double));
    ck_assert_double_eq(rec->reg.lambda, 0.25);
    ck_assert_uint_eq(rec->reg.n, 11);
    ck_assert_uint_eq(rec->n_failures, 1);
    ck_assert_str_eq(rec->failures[0].tensor, r->tensors[r->worst[0].tensor].name);
    ck_assert_uint_eq(rec->failures[0].index, 0);
    ck_assert_double_eq(rec->failures[0].actual, r->worst[0].analytic);
    ck_assert_double_eq(rec->failures[0].expected, r->worst[0].numeric);
    ck_assert_int_eq(rec->failures[0].precision, prec[r->worst[0].tensor]);
    gp_record_free(rec);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    tu_case_free(c);
}
END_TEST

/* Replay uses the compare rule itself: the recorded values reproduce the failure;
 * a fresh candidate gets exactly the verdict gp_dump_compare gives it (the doctored
 * one fails with the same report, the oracle's own values pass). */
START_TEST(test_record_replay_is_the_compare_rule) {
    tu_case *c = random_case(50 + (size_t)_i, &gp_cost_cross_entropy);
    gp_dump o, bad, good;
    gp_fcheck_report *r, *rr;
    gp_precision prec[GP_DUMP_MAX_TENSORS], rprec[GP_DUMP_MAX_TENSORS];
    gp_record *rec;
    const char *path = tu_tmpdir_path("rec.json");
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &o), 0);
    doctored(&o, &bad, 1e-4, 0);
    doctored(&o, &good, 0, 0);
    /* the record carries the inputs, so its replay is the certified rule: so here */
    gp_dump_compare_opts opts;
    gp_dump_compare_opts_default(&opts);
    opts.net = c->net;
    opts.X = c->X;
    opts.Y = c->Y;
    ck_assert_int_eq(gp_dump_compare(&o, &bad, &opts, &r, prec), 0);
    ck_assert_int_eq(
        gp_record_write_compare(path, c->net, c->X, c->Y, NULL, r, prec, eb, sizeof eb),
        0);
    ck_assert_int_eq(gp_record_read(path, &rec, eb, sizeof eb), 0);
    ck_assert_int_eq(gp_record_replay_compare(rec, NULL, NULL, &rr, rprec), 0);
    ck_assert_uint_eq(rr->n_failed, 1);
    ck_assert_double_eq(rr->worst[0].error, r->worst[0].error);
    ck_assert_double_eq(rr->worst[0].allowed, r->worst[0].allowed);
    gp_fcheck_report_free(rr);
    ck_assert_int_eq(gp_record_replay_compare(rec, &bad, NULL, &rr, rprec), 0);
    ck_assert_uint_eq(rr->n_failed, r->n_failed);
    ck_assert_uint_eq(rr->n_checked, r->n_checked);
    gp_fcheck_report_free(rr);
    ck_assert_int_eq(gp_record_replay_compare(rec, &good, NULL, &rr, rprec), 0);
    ck_assert_uint_eq(rr->n_failed, 0);
    ck_assert_uint_eq(rr->n_checked, r->n_checked);
    gp_fcheck_report_free(rr);
    /* A NaN recorded as the candidate's value still fails on replay. */
    rec->failures[0].actual = NAN;
    ck_assert_int_eq(gp_record_replay_compare(rec, NULL, NULL, &rr, rprec), 0);
    ck_assert_uint_eq(rr->n_failed, 1);
    gp_fcheck_report_free(rr);
    gp_record_free(rec);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&bad);
    gp_dump_free(&good);
    tu_case_free(c);
}
END_TEST

/* A candidate that sums dW^L over the batch instead of averaging it, with n_worst = 3:
 * the record holds 3 of dW^L's entries, and replay fills the rest from the oracle. Its
 * diagnosis, from the recorded entries only, is compare's: m x the oracle (over the
 * whole mixed tensor no hypothesis fitted). */
START_TEST(test_record_replay_diagnoses_recorded_entries) {
    tu_case *c = random_case(90 + (size_t)_i, &gp_cost_cross_entropy);
    /* dW^L of at least 4 entries, so that the record holds only part of it */
    for (size_t k = 1;
         c->net->p.sizes[c->net->p.L] * c->net->p.sizes[c->net->p.L - 1] < 4; k++) {
        tu_case_free(c);
        c = random_case(1000 * k + 90 + (size_t)_i, &gp_cost_cross_entropy);
    }
    gp_dump o, sum;
    gp_fcheck_report *r, *rr;
    gp_precision prec[GP_DUMP_MAX_TENSORS], rprec[GP_DUMP_MAX_TENSORS];
    gp_record *rec;
    gp_dump_verdict v, rv;
    char nm[32];
    const char *path = tu_tmpdir_path("rec.json");
    ck_assert_int_eq(gp_dump_compute(c->net, c->X, c->Y, NULL, &o), 0);
    doctored(&o, &sum, 0, 0);
    snprintf(nm, sizeof nm, "dW%zu", o.L);
    gsl_matrix *w = sum.t[gp_dump_find(&o, nm)];
    size_t m = c->X->size2;
    gsl_matrix_scale(w, (double)m);
    gp_dump_compare_opts opts;
    gp_dump_compare_opts_default(&opts);
    opts.net = c->net, opts.X = c->X, opts.Y = c->Y, opts.verdict = &v, opts.n_worst = 3;
    ck_assert_int_eq(gp_dump_compare(&o, &sum, &opts, &r, prec), 0);
    ck_assert_int_eq(v.diagnosis.kind, GP_DIAG_SCALE);
    ck_assert_int_eq(
        gp_record_write_compare(path, c->net, c->X, c->Y, NULL, r, prec, eb, sizeof eb),
        0);
    ck_assert_int_eq(gp_record_read(path, &rec, eb, sizeof eb), 0);
    ck_assert_uint_eq(rec->n_failures, 3);
    gp_dump_compare_opts_default(&opts);
    opts.verdict = &rv;
    ck_assert_int_eq(gp_record_replay_compare(rec, NULL, &opts, &rr, rprec), 0);
    ck_assert_uint_eq(rr->n_failed, 3);
    ck_assert_str_eq(rv.diagnosis.tensor, nm);
    ck_assert_msg(rv.diagnosis.kind == GP_DIAG_SCALE && rv.diagnosis.param == (double)m,
                  "replay's diagnosis: %s", rv.diagnosis.text);
    ck_assert_ptr_nonnull(strstr(rv.diagnosis.text, "from the 3 recorded entries"));
    gp_fcheck_report_free(rr);
    gp_record_free(rec);
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&sum);
    tu_case_free(c);
}
END_TEST

/* The quadratic cost's delta without sigma'(z^L): a classic wrong [BP1]. */
static int wrong_quad_delta(const gsl_vector *z, const gsl_vector *a, const gsl_vector *y,
                            gsl_vector *delta) {
    (void)z;
    gsl_vector_memcpy(delta, a);
    return gsl_vector_sub(delta, y);
}

/* Shrink-then-record: a network with the wrong delta fails the PARAMS check; the record
 * holds a case no larger than the original on which the wrong formula still fails and
 * gradproof's own formula passes; a case that does not fail is not recorded. */
/* The check engine's verdict on formula f for (net, X, Y, reg): failures counted. */
static size_t failures_of(gp_formula f, const gp_network *net, const gsl_matrix *X,
                          const gsl_matrix *Y, const gp_regularization *reg) {
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_fcheck_report *r = gp_formula_report_alloc(f, net, X->size2);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(gp_check_formula(f, net, X, Y, reg, &go, r), 0);
    size_t n = r->n_failed;
    gp_fcheck_report_free(r);
    return n;
}

START_TEST(test_record_check_failure_shrinks_and_records) {
    gp_cost_type wrong = gp_cost_quadratic;
    wrong.delta = wrong_quad_delta;
    tu_case *c = random_case(100 + (size_t)_i, &gp_cost_quadratic);
    gp_record *rec;
    char msg[512], names[256];
    const char *path = tu_tmpdir_path("chk.json");
    c->net->cost = &wrong;
    ck_assert_msg(failures_of(GP_FORMULA_PARAMS, c->net, c->X, c->Y, NULL) > 0,
                  "%s: the wrong delta was not caught", c->desc);
    ck_assert_msg(gp_record_check_failure(path, GP_FORMULA_PARAMS, NULL, c->net, c->X,
                                          c->Y, 7, 3, msg, sizeof msg) == 0,
                  "%s", msg);
    ck_assert_msg(strstr(msg, "shrunk in") && strstr(msg, path), "%s", msg);
    ck_assert_int_eq(gp_record_read(path, &rec, eb, sizeof eb), 0);
    ck_assert_int_eq(rec->kind, GP_RECORD_CHECK);
    ck_assert_uint_eq(rec->seed, 7);
    ck_assert_uint_eq(rec->case_index, 3);
    ck_assert_uint_le(rec->net->p.n_params, c->net->p.n_params);
    ck_assert_uint_le(rec->X->size2, c->X->size2);
    ck_assert_ptr_eq(rec->net->cost, &gp_cost_quadratic); /* by name */
    ck_assert_uint_eq(failures_of(rec->formula, rec->net, rec->X, rec->Y, &rec->reg), 0);
    rec->net->cost = &wrong;
    ck_assert_uint_gt(failures_of(rec->formula, rec->net, rec->X, rec->Y, &rec->reg), 0);
    rec->net->cost = &gp_cost_quadratic;
    gp_record_free(rec);
    /* The right formula: nothing to record. */
    c->net->cost = &gp_cost_quadratic;
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(gp_record_check_failure(path, GP_FORMULA_PARAMS, NULL, c->net, c->X,
                                             c->Y, 7, 3, msg, sizeof msg),
                     GSL_EFAILED);
    ck_assert_msg(strstr(msg, "did not reproduce"), "%s", msg);
    ck_assert_uint_eq(tu_list_dir(tu_tmpdir(), names, sizeof names), 0);
    tu_case_free(c);
}
END_TEST

/* ---- Errors ---- */

#define NET                                                                              \
    "\"network\": {\"sizes\": [1, 1], \"weights\": [[[0.5]]], \"biases\": "              \
    "[[[0.0]]], \"cost\": \"QuadraticCost\"}"
static const char *const bad_records[] = {
    "[1, 2", "{\"format\": \"something\", \"version\": 1}",
    "{\"format\": \"gradproof-record\", \"version\": 99}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"other\"}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", \"x\": "
    "[[1]], "
    "\"y\": [[0]]}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", " NET
    ", \"x\": [[1, 2]], \"y\": [[0]], \"formula\": \"delta\"}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"formula\": \"mystery\"}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"compare\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"precision\": \"float64\", \"failures\": []}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"lambda\": -1, \"formula\": \"delta\"}",
    /* a damaged value is refused, not read as 0 (strtod) or NaN */
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"compare\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"precision\": \"float64\", \"failures\": "
    "[{\"tensor\": \"dW1\", \"index\": 0, \"expected\": 1, \"actual\": \"x\"}]}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"compare\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"precision\": \"float64\", \"failures\": "
    "[{\"tensor\": \"dW1\", \"index\": 0, \"expected\": 1}]}",
    "{\"format\": \"gradproof-record\", \"version\": \"1\"}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"compare\", " NET
    ", \"x\": [[1]], \"y\": [[0]], \"precision\": \"float8\", \"failures\": "
    "[{\"tensor\": \"dW1\", \"index\": 0, \"expected\": 1, \"actual\": 2}]}",
    /* a case the oracle cannot judge: it overflows, or its targets do not fit the cost */
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", "
    "\"network\": {\"sizes\": [1, 1], \"weights\": [[[1e308]]], \"biases\": [[[0.0]]], "
    "\"cost\": \"QuadraticCost\"}, \"x\": [[10]], \"y\": [[0]], \"formula\": \"params\"}",
    "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": \"check\", "
    "\"network\": {\"sizes\": [1, 2], \"weights\": [[[0.5], [0.5]]], \"biases\": "
    "[[[0.0], [0.0]]], \"cost\": \"LogLikelihoodCost\"}, \"x\": [[1]], \"y\": [[1], "
    "[1]], "
    "\"formula\": \"params\"}"};
static const char *const bad_words[] = {
    "not JSON",
    "not a gradproof record",
    "record version 99",
    "kind must be",
    "no \"network\"",
    "do not fit",
    "formula must be",
    "no failures",
    "must be numbers >= 0",
    "failures[0]: \"expected\" and \"actual\" must be",
    "failures[0]: \"expected\" and \"actual\" must be",
    "\"version\" is missing or not an integer",
    "\"precision\" is missing or not float64",
    "z1[0][0] is inf on the record's samples",
    "the targets of sample 0 sum to 2; log-likelihood needs"};

START_TEST(test_record_read_rejects) {
    gp_record *rec = (gp_record *)&rec;
    FILE *f = fopen(tu_tmpdir_path("r.json"), "w");
    fputs(bad_records[_i], f);
    fclose(f);
    ck_assert_int_ne(gp_record_read(tu_tmpdir_path("r.json"), &rec, eb, sizeof eb), 0);
    ck_assert_ptr_null(rec);
    ck_assert_msg(strstr(eb, bad_words[_i]) && strstr(eb, "r.json") && !strchr(eb, '\n'),
                  "%s", eb);
}
END_TEST

/* A failure naming a tensor the network does not have, or an index past its tensor,
 * is refused when the record is read, the entry named (replay said only "invalid
 * argument supplied by user"). */
START_TEST(test_record_replay_rejects_unknown_tensor) {
    const char *entry[] = {"\"dW7\", \"index\": 0", "\"db1\", \"index\": 1"};
    const char *named[] = {"no entry dW7[0]", "no entry db1[1]"};
    for (int i = 0; i < 2; i++) {
        gp_record *rec;
        FILE *f = fopen(tu_tmpdir_path("r.json"), "w");
        fprintf(f,
                "{\"format\": \"gradproof-record\", \"version\": 1, \"kind\": "
                "\"compare\", " NET ", \"x\": [[1]], \"y\": [[0]], \"precision\": "
                "\"float64\", \"failures\": [{\"tensor\": %s, \"expected\": 1, "
                "\"actual\": 2}]}",
                entry[i]);
        fclose(f);
        ck_assert_int_eq(gp_record_read(tu_tmpdir_path("r.json"), &rec, eb, sizeof eb),
                         GSL_EINVAL);
        ck_assert_ptr_null(rec);
        ck_assert_msg(strstr(eb, named[i]) && strstr(eb, "r.json"), "%s", eb);
    }
}
END_TEST

static Suite *make_record_suite(void) {
    Suite *s = suite_create("record");
    TCase *core = tcase_create("Core");
    TCase *errs = tcase_create("Errors");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_loop_test(core, test_record_compare_round_trip, 0, 8);
    tcase_add_loop_test(core, test_record_replay_is_the_compare_rule, 0, 8);
    tcase_add_loop_test(core, test_record_check_failure_shrinks_and_records, 0, 4);
    tcase_add_loop_test(core, test_record_replay_diagnoses_recorded_entries, 0, 8);
    suite_add_tcase(s, core);
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_loop_test(errs, test_record_read_rejects, 0,
                        (int)(sizeof bad_records / sizeof bad_records[0]));
    tcase_add_test(errs, test_record_replay_rejects_unknown_tensor);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    return tu_run_suite(make_record_suite());
}
