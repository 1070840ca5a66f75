/* tests/check_api.c: every public function, called with NULL for each of its pointer
 * arguments in turn (the others valid), under the handler off: it must not crash, and
 * where the argument is required it must refuse (a GSL status, NULL, NaN or SIZE_MAX)
 * with the error raised. Arguments a header makes optional (errbuf, reg, counters) may
 * be NULL: the call must then merely not crash. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#include "testutil.h"

/* Under the sanitizers, leak checking is off in this test alone: a case's call writes
 * into the fixture's output slots (A.zm, A.c, A.text, ...) and orphans what setup put
 * there, and an optional argument's case keeps what the call made, so every such case
 * would report a leak the library does not have. Memory errors (ASan) and undefined
 * behaviour (UBSan) are still fatal here; the library's leaks are checked by the other
 * tests, whose cases free what they make. */
#ifdef __SANITIZE_ADDRESS__
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) {
    return "detect_leaks=0";
}
#endif

#define TU_PROG "check_api"

/* The valid arguments, built again in each (forked) case. */
static struct {
    gp_network *net, *tnet;
    gsl_matrix *X, *Y, *Xr, *zm, *am;
    gsl_vector *x, *y, *z, *a, *xv, *g;
    gp_backprop_workspace *w;
    gp_gradient *grad;
    gp_regularization reg;
    gp_activation act;
    gp_fcheck_opts fo;
    gp_fcheck_report *r;
    gp_fcheck_entry e;
    gp_oracle *o;
    gp_dump d, c;
    gp_dump_compare_opts dco;
    gp_diag *diag;
    gp_diagnosis dg;
    gp_bounds *b;
    gp_bounds_model model;
    gp_verdict_counts vc;
    gp_function_fdf F;
    gp_taylor_result tr;
    gp_case_opts co;
    gsl_rng *rng;
    gp_hunt_opts ho;
    gp_hunt_result hr;
    gp_idx_images *im;
    gp_idx_labels *lb;
    gp_sgd_params sp;
    gp_sparse_sgd *s;
    gp_sparse_batch sb;
    gp_dataset data;
    gp_train_opts to;
    gp_trainer *t;
    gp_trainer_state st;
    gp_eval_set *es;
    gp_eval_result er;
    gp_atomic_file af;
    gp_record *rec;
    gp_tensor_range tranges[4];
    char names[4][24];
    char buf[256];
    double num[64], dv[64];
    size_t sz[4], u[4];
    int iv;
    char *text;
    const char *pnet, *pnpy, *pdump, *prec, *pck, *pnew, *pdir;
} A;

static const size_t sizes[] = {3, 4, 2};
static size_t sb_start[] = {0, 1, 2};
static uint32_t sb_index[] = {0, 2};
static double sb_value[] = {0.5, 0.25};
static const uint8_t pixels[] = {0, 10, 200, 30, 0, 0, 255, 1, 2, 0, 7, 9};
static char cmd_false[] = "false";
static char *argv_false[] = {cmd_false, NULL};
static const uint8_t labels[] = {0, 1, 1, 0};

static double sq_f(const gsl_vector *x, void *params) {
    (void)params;
    double s = 0;
    for (size_t i = 0; i < x->size; i++)
        s += gsl_vector_get(x, i) * gsl_vector_get(x, i);
    return s;
}

static int sq_df(const gsl_vector *x, void *params, gsl_vector *g) {
    (void)params;
    gsl_vector_memcpy(g, x);
    return gsl_vector_scale(g, 2);
}

static gp_hunt_kind agree_candidate(void *ctx, const gp_network *net, const gsl_matrix *X,
                                    const gsl_matrix *Y, const gp_regularization *reg,
                                    gp_dump *out, char *detail, size_t len) {
    (void)ctx, (void)detail, (void)len;
    return gp_dump_compute(net, X, Y, reg, out) ? GP_HUNT_CRASH : GP_HUNT_AGREE;
}

static int fails_property(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                          void *params) {
    (void)net, (void)X, (void)Y, (void)params;
    return 1;
}

static char *path_copy(const char *name) {
    return strdup(tu_tmpdir_path(name));
}

static void setup(void) {
    tu_handler_off();
    tu_tmpdir_make("check_api");
    A.rng = gsl_rng_alloc(gsl_rng_mt19937);
    A.net = gp_network_alloc(3, sizes, &gp_cost_quadratic);
    gp_network_init(A.net, GP_INIT_DEFAULT, A.rng);
    A.tnet = gp_network_clone(A.net);
    A.X = gsl_matrix_alloc(3, 2);
    A.Y = gsl_matrix_alloc(2, 2);
    A.Xr = gsl_matrix_alloc(2, 3);
    for (size_t i = 0; i < 6; i++) {
        A.X->data[i] = 0.3817 * (double)i - 0.7;
        A.Xr->data[i] = A.X->data[i];
    }
    gsl_matrix_set_all(A.Y, 0.25);
    A.zm = gsl_matrix_calloc(2, 2);
    A.am = gsl_matrix_alloc(2, 2);
    A.x = gsl_vector_alloc(3);
    gsl_matrix_get_col(A.x, A.X, 0);
    A.y = gsl_vector_alloc(2);
    gsl_vector_set_all(A.y, 0.25);
    A.z = gsl_vector_calloc(2);
    A.a = gsl_vector_alloc(2);
    A.xv = gsl_vector_alloc(3);
    gsl_vector_memcpy(A.xv, A.x);
    A.g = gsl_vector_alloc(3);
    A.w = gp_backprop_workspace_alloc(A.net, 2);
    A.grad = gp_gradient_alloc(A.net);
    A.reg = (gp_regularization){0.1, 0.01, 10};
    A.act = gp_activation_leaky_relu;
    gp_fcheck_opts_default(&A.fo, GP_FLOAT64);
    A.r = gp_oracle_report_alloc(A.net);
    A.e = A.r->worst[0];
    A.e.tensor = 0;
    A.o = gp_oracle_alloc(A.net, A.X, A.Y, &A.reg);
    gp_dump_compute(A.net, A.X, A.Y, &A.reg, &A.d);
    gp_dump_compute(A.net, A.X, A.Y, &A.reg, &A.c);
    gp_dump_compare_opts_default(&A.dco);
    A.diag = gp_diag_alloc(A.net, A.X, A.Y, &A.reg);
    A.b = gp_bounds_alloc(A.net, 2);
    gp_bounds_model_init(&A.model, "float64");
    gp_bounds_compute(A.net, A.X, A.Y, &A.reg, &A.model, A.b);
    A.F = (gp_function_fdf){3, sq_f, sq_df, NULL};
    gp_case_opts_default(&A.co);
    gp_hunt_opts_default(&A.ho);
    A.ho.cases = 1;
    A.ho.shrink_evals = 2;
    A.ho.dir = NULL;
    A.im = gp_idx_images_alloc(2, 1, 3);
    A.lb = gp_idx_labels_alloc(2);
    A.sp = (gp_sgd_params){0.1, 0, 0, 10};
    A.s = gp_sparse_sgd_alloc(A.tnet, 2);
    A.sb = (gp_sparse_batch){2, sb_start, sb_index, sb_value};
    A.data = (gp_dataset){4, 3, pixels, labels};
    gp_train_opts_default(&A.to);
    A.to.batch = 2;
    A.t = gp_trainer_alloc(A.tnet, &A.data, &A.to);
    gp_trainer_get_state(A.t, &A.st);
    A.es = gp_eval_set_alloc(&A.data);
    A.tranges[0] = (gp_tensor_range){"W1", 0, 12, 3, GP_TENSOR_W, 1};
    A.tranges[1] = (gp_tensor_range){"b1", 12, 4, 0, GP_TENSOR_B, 1};
    for (size_t i = 0; i < 64; i++)
        A.num[i] = A.dv[i] = 0.125;
    A.sz[0] = 3, A.sz[1] = 4, A.sz[2] = 2;
    A.pnet = path_copy("net.json");
    A.pnpy = path_copy("m.npy");
    A.pdump = path_copy("dump.json");
    A.prec = path_copy("rec.json");
    A.pck = path_copy("ck.json");
    A.pnew = path_copy("new.out");
    A.pdir = path_copy("dir.out");
    ck_assert_int_eq(gp_netio_save(A.net, A.pnet, NULL, 0), 0);
    ck_assert_int_eq(gp_npy_write_matrix(A.pnpy, A.X, NULL, 0), 0);
    ck_assert_int_eq(gp_dump_write_json(A.pdump, &A.d, A.net, A.X, A.Y, &A.reg, NULL, 0),
                     0);
    gp_fcheck_report *cr = NULL;
    gp_precision prec[GP_DUMP_MAX_TENSORS];
    A.c.t[gp_dump_find(&A.c, "dW1")]->data[0] += 1; /* a failing candidate */
    ck_assert_int_eq(gp_dump_compare(&A.d, &A.c, &A.dco, &cr, prec), 0);
    ck_assert_int_eq(
        gp_record_write_compare(A.prec, A.net, A.X, A.Y, &A.reg, cr, prec, NULL, 0), 0);
    gp_fcheck_report_free(cr);
    ck_assert_msg(gp_record_read(A.prec, &A.rec, A.buf, 256) == 0, "%s", A.buf);
    ck_assert_int_eq(gp_checkpoint_save(A.pck, A.t, NULL, NULL, 0), 0);
    ck_assert_int_eq(gp_netio_save_string(A.net, &A.text, NULL, 0), 0);
    ck_assert_ptr_nonnull(A.t);
    ck_assert_ptr_nonnull(A.o);
    tu_errors_record();
}

/* The argument expression, or NULL when it is the one being tested. */
#define N(i, e) (k == (i) ? NULL : (e))
/* What a call returned: 1 refused, 0 accepted. */
#define ST(call) return (call) != GSL_SUCCESS
#define PT(call) return (call) == NULL
#define DN(call) return isnan(call)
#define SZ(call) return (call) == SIZE_MAX
#define VD(call) return ((void)(call), -1)

/* A lookup or a question (NULL: "no such name", errno, 0) refuses without raising. */
#define QUIET (1u << 31)
/* name, pointer arguments, mask of the optional ones (gp_dump_compare's opts: NULL is
 * the defaults), the call. */
#define CALLS(APIX)                                                                      \
    APIX(gp_sigmoid_vector, 2, 0, ST(gp_sigmoid_vector(N(0, A.z), N(1, A.a))))           \
    APIX(gp_softmax, 2, 0, ST(gp_softmax(N(0, A.z), N(1, A.a))))                         \
    APIX(gp_log_softmax, 2, 0, ST(gp_log_softmax(N(0, A.z), N(1, A.a))))                 \
    APIX(gp_log_sum_exp, 1, 0, DN(gp_log_sum_exp(N(0, A.z))))                            \
    APIX(gp_softmax_temp, 2, 0, ST(gp_softmax_temp(N(0, A.z), 2.0, N(1, A.a))))          \
    APIX(gp_activate, 2, 0, ST(gp_activate(GP_OUTPUT_SIGMOID, N(0, A.z), N(1, A.a))))    \
    APIX(gp_activate_matrix, 2, 0,                                                       \
         ST(gp_activate_matrix(GP_OUTPUT_SOFTMAX, N(0, A.zm), N(1, A.am))))              \
    APIX(gp_activation_lookup, 1, QUIET, PT(gp_activation_lookup(N(0, "relu"))))         \
    APIX(gp_activation_parse, 2, 0,                                                      \
         ST(gp_activation_parse(N(0, "leaky-relu:0.5"), N(1, &A.act))))                  \
    APIX(gp_decimal_parse, 2, 0, ST(gp_decimal_parse(N(0, "0.5"), N(1, &A.num[0]))))     \
    APIX(gp_activation_set_alpha, 1, 0, ST(gp_activation_set_alpha(N(0, &A.act), 0.5)))  \
    APIX(gp_activation_format, 2, 0,                                                     \
         ST(gp_activation_format(N(0, &A.act), N(1, A.buf), 64)))                        \
    APIX(gp_activation_kink, 2, 2,                                                       \
         return gp_activation_kink(N(0, &A.act), N(1, &A.num[0])) == 0)                  \
    APIX(gp_atomic_target, 1, QUIET, PT(gp_atomic_target(N(0, A.pnet))))                 \
    APIX(gp_atomic_open, 3, 4,                                                           \
         ST(gp_atomic_open(N(0, A.pnew), N(1, &A.af), N(2, A.buf), 64)))                 \
    APIX(gp_atomic_commit, 2, 2, ST(gp_atomic_commit(N(0, &A.af), N(1, A.buf), 64)))     \
    APIX(gp_atomic_abort, 1, 1, VD(gp_atomic_abort(N(0, &A.af))))                        \
    APIX(gp_atomic_space, 2, 2, ST(gp_atomic_space(N(0, A.pnet), 10, N(1, A.buf), 64)))  \
    APIX(gp_atomic_space_all, 5, 28,                                                     \
         ST(gp_atomic_space_all(1, N(0, &A.pnet), N(1, A.sz), N(2, A.u), N(3, A.u + 1),  \
                                N(4, A.buf), 64)))                                       \
    APIX(gp_atomic_write, 3, 4,                                                          \
         ST(gp_atomic_write(N(0, A.pnew), N(1, "ab"), 2, N(2, A.buf), 64)))              \
    APIX(gp_atomic_pending, 1, 1,                                                        \
         VD(gp_atomic_pending(N(0, (const char **)A.names), 0)))                         \
    APIX(gp_backprop_workspace_alloc, 1, 0,                                              \
         PT(gp_backprop_workspace_alloc(N(0, A.net), 2)))                                \
    APIX(gp_backprop_workspace_free, 1, 1, VD(gp_backprop_workspace_free(N(0, A.w))))    \
    APIX(gp_feedforward, 3, 0, ST(gp_feedforward(N(0, A.net), N(1, A.X), N(2, A.w))))    \
    APIX(gp_backprop_batch, 5, 0,                                                        \
         ST(gp_backprop_batch(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, A.w),              \
                              N(4, A.grad))))                                            \
    APIX(gp_backprop_batch_rows, 5, 0,                                                   \
         ST(gp_backprop_batch_rows(N(0, A.net), N(1, A.Xr), N(2, A.Y), N(3, A.w),        \
                                   N(4, A.grad))))                                       \
    APIX(gp_backprop, 5, 0,                                                              \
         ST(gp_backprop(N(0, A.net), N(1, A.x), N(2, A.y), N(3, A.w), N(4, A.grad))))    \
    APIX(gp_regularization_cost, 2, 2,                                                   \
         DN(gp_regularization_cost(N(0, A.net), N(1, &A.reg), 2)))                       \
    APIX(gp_regularization_gradient, 3, 2,                                               \
         ST(gp_regularization_gradient(N(0, A.net), N(1, &A.reg), 2, N(2, A.grad))))     \
    APIX(gp_total_cost, 6, 8,                                                            \
         ST(gp_total_cost(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg), N(4, A.w),    \
                          N(5, &A.num[0]))))                                             \
    APIX(gp_total_gradient, 6, 8,                                                        \
         ST(gp_total_gradient(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),           \
                              N(4, A.w), N(5, A.grad))))                                 \
    APIX(gp_bounds_model_init, 2, 0,                                                     \
         ST(gp_bounds_model_init(N(0, &A.model), N(1, "float32"))))                      \
    APIX(gp_bounds_alloc, 1, 0, PT(gp_bounds_alloc(N(0, A.net), 2)))                     \
    APIX(gp_bounds_free, 1, 1, VD(gp_bounds_free(N(0, A.b))))                            \
    APIX(gp_bounds_compute, 6, 8,                                                        \
         ST(gp_bounds_compute(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),           \
                              N(4, &A.model), N(5, A.b))))                               \
    APIX(gp_bounds_entry, 4, 0,                                                          \
         ST(gp_bounds_entry(N(0, A.b), N(1, "dW1"), 0, 0, N(2, &A.num[0]),               \
                            N(3, &A.num[1]))))                                           \
    APIX(gp_bounds_compare_tensor, 6, 0,                                                 \
         ST(gp_bounds_compare_tensor(N(0, A.b), N(1, A.b), N(2, "z2"), N(3, A.zm),       \
                                     N(4, A.zm), N(5, &A.vc))))                          \
    APIX(gp_checkpoint_save, 4, 12,                                                      \
         ST(gp_checkpoint_save(N(0, A.pnew), N(1, A.t), N(2, "{}"), N(3, A.buf), 64)))   \
    APIX(gp_checkpoint_size_bound, 1, 0,                                                 \
         SZ(gp_checkpoint_size_bound(3, N(0, A.sz), 4, 0)))                              \
    APIX(gp_checkpoint_load, 3, 4,                                                       \
         ST(gp_checkpoint_load(N(0, A.pck), N(1, (gp_checkpoint **)&A.text),             \
                               N(2, A.buf), 64)))                                        \
    APIX(gp_checkpoint_free, 1, 1, VD(gp_checkpoint_free(N(0, (gp_checkpoint *)NULL))))  \
    APIX(gp_cost_lookup, 1, QUIET, PT(gp_cost_lookup(N(0, "quadratic"))))                \
    APIX(gp_cost_target_misfit, 4, 12,                                                   \
         VD(gp_cost_target_misfit(N(0, &gp_cost_log_likelihood), N(1, A.Y), N(2, A.u),   \
                                  N(3, &A.num[0]))))                                     \
    APIX(gp_diag_alloc, 4, 8,                                                            \
         PT(gp_diag_alloc(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg))))             \
    APIX(gp_diag_free, 1, 1, VD(gp_diag_free(N(0, A.diag))))                             \
    APIX(gp_diag_tensor, 4, 0,                                                           \
         ST(gp_diag_tensor(N(0, A.diag), N(1, "z2"), N(2, A.zm), 0, N(3, &A.dg))))       \
    APIX(gp_dump_init, 1, 0, ST(gp_dump_init(N(0, &A.c), 2)))                            \
    APIX(gp_dump_free, 1, 1, VD(gp_dump_free(N(0, &A.c))))                               \
    APIX(gp_dump_find, 2, 0, return gp_dump_find(N(0, &A.d), N(1, "z1")) < 0)            \
    APIX(gp_dump_compute, 5, 8,                                                          \
         ST(gp_dump_compute(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),             \
                            N(4, &A.c))))                                                \
    APIX(gp_dump_nonfinite, 4, 0,                                                        \
         return gp_dump_nonfinite(N(0, &A.d), N(1, A.u), N(2, A.u + 1),                  \
                                  N(3, A.u + 2)) == 0)                                   \
    APIX(gp_dump_write_json, 7, 96,                                                      \
         ST(gp_dump_write_json(N(0, A.pnew), N(1, &A.d), N(2, A.net), N(3, A.X),         \
                               N(4, A.Y), N(5, &A.reg), N(6, A.buf), 64)))               \
    APIX(gp_dump_write_dir, 7, 96,                                                       \
         ST(gp_dump_write_dir(N(0, A.pdir), N(1, &A.d), N(2, A.net), N(3, A.X),          \
                              N(4, A.Y), N(5, &A.reg), N(6, A.buf), 64)))                \
    APIX(gp_dump_read, 4, 10,                                                            \
         ST(gp_dump_read(N(0, A.pdump), N(1, &A.d), N(2, &A.c), N(3, A.buf), 64)))       \
    APIX(gp_dump_read_inputs, 6, 32,                                                     \
         ST(gp_dump_read_inputs(N(0, A.pdump), N(1, &A.tnet), N(2, &A.Xr), N(3, &A.zm),  \
                                N(4, &A.reg), N(5, A.buf), 64)))                         \
    APIX(gp_dump_read_oracle, 7, 64,                                                     \
         ST(gp_dump_read_oracle(N(0, A.pdump), N(1, &A.c), N(2, &A.tnet), N(3, &A.Xr),   \
                                N(4, &A.zm), N(5, &A.reg), N(6, A.buf), 64)))            \
    APIX(gp_dump_matrix_read, 3, 4,                                                      \
         ST(gp_dump_matrix_read(N(0, A.pnpy), 0, N(1, &A.zm), N(2, A.buf), 64)))         \
    APIX(gp_dump_compare_opts_default, 1, 0,                                             \
         VD(gp_dump_compare_opts_default(N(0, &A.dco))))                                 \
    APIX(gp_dump_is_oracle, 1, QUIET, return gp_dump_is_oracle(N(0, A.pdump)) != 1)      \
    APIX(gp_dump_compare, 5, 20,                                                         \
         ST(gp_dump_compare(N(0, &A.d), N(1, &A.c), N(2, &A.dco), N(3, &A.r),            \
                            N(4, (gp_precision *)A.u))))                                 \
    APIX(gp_precision_lookup, 2, 0,                                                      \
         ST(gp_precision_lookup(N(0, "float32"), N(1, (gp_precision *)&A.iv))))          \
    APIX(gp_fcheck_opts_default, 1, 0,                                                   \
         VD(gp_fcheck_opts_default(N(0, &A.fo), GP_FLOAT32)))                            \
    APIX(gp_fcheck_opts_check, 1, 0, ST(gp_fcheck_opts_check(N(0, &A.fo))))              \
    APIX(gp_fcheck_opts_compare, 1, 0,                                                   \
         VD(gp_fcheck_opts_compare(N(0, &A.fo), GP_FLOAT32)))                            \
    APIX(gp_fcheck_rule, 2, 2,                                                           \
         return gp_fcheck_rule(N(0, &A.fo), 1, 1, 0, 1, N(1, &A.num[0])) == 0)           \
    APIX(gp_fcheck_report_alloc, 1, 1,                                                   \
         VD(gp_fcheck_report_free(gp_fcheck_report_alloc(N(0, A.tranges), 2))))          \
    APIX(gp_fcheck_report_free, 1, 1, VD(gp_fcheck_report_free(N(0, A.r))))              \
    APIX(gp_fcheck_report_reset, 1, 0, VD(gp_fcheck_report_reset(N(0, A.r))))            \
    APIX(gp_fcheck_set_scale, 1, 0, VD(gp_fcheck_set_scale(N(0, A.r), 0, 1.0)))          \
    APIX(gp_fcheck_add, 2, 0,                                                            \
         return gp_fcheck_add(N(0, A.r), N(1, &A.fo), 0, 0, 1, 1, 0) == 0)               \
    APIX(gp_fcheck_entry_locate, 6, 60,                                                  \
         VD(gp_fcheck_entry_locate(N(0, A.r), N(1, &A.e), N(2, (gp_tensor *)&A.iv),      \
                                   N(3, A.u), N(4, A.u + 1), N(5, A.u + 2))))            \
    APIX(gp_fcheck_entry_name, 3, 0,                                                     \
         VD(gp_fcheck_entry_name(N(0, A.r), N(1, &A.e), N(2, A.buf), 64)))               \
    APIX(gp_fcheck_compare, 4, 0,                                                        \
         ST(gp_fcheck_compare(N(0, A.num), N(1, A.dv), 26, N(2, &A.fo), N(3, A.r))))     \
    APIX(gp_fcheck_full, 4, 0,                                                           \
         ST(gp_fcheck_full(N(0, &A.F), N(1, A.xv), N(2, &A.fo),                          \
                           N(3, gp_fcheck_report_alloc(NULL, 3)))))                      \
    APIX(gp_fcheck_sampled, 4, 0,                                                        \
         ST(gp_fcheck_sampled(N(0, &A.F), N(1, A.xv), 2, 1, N(2, &A.fo),                 \
                              N(3, gp_fcheck_report_alloc(NULL, 3)))))                   \
    APIX(gp_fcheck_directional, 4, 0,                                                    \
         ST(gp_fcheck_directional(N(0, &A.F), N(1, A.xv), 2, 1, N(2, &A.fo),             \
                                  N(3, gp_fcheck_report_alloc(NULL, 3)))))               \
    APIX(gp_fcheck_taylor, 4, 0,                                                         \
         ST(gp_fcheck_taylor(N(0, &A.F), N(1, A.xv), 1, N(2, &A.fo), N(3, &A.tr))))      \
    APIX(gp_fcheck_noise, 2, 0, ST(gp_fcheck_noise(N(0, A.num), 8, N(1, &A.num[20]))))   \
    APIX(gp_formula_lookup, 2, 0,                                                        \
         ST(gp_formula_lookup(N(0, "delta"), N(1, (gp_formula *)&A.iv))))                \
    APIX(gp_formula_report_alloc, 1, 0,                                                  \
         PT(gp_formula_report_alloc(GP_FORMULA_PARAMS, N(0, A.net), 2)))                 \
    APIX(gp_gradcheck_params, 7, 8,                                                      \
         ST(gp_gradcheck_params(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),         \
                                N(4, A.grad), N(5, &A.fo), N(6, A.r))))                  \
    APIX(gp_gradcheck_params_numeric, 7, 72,                                             \
         ST(gp_gradcheck_params_numeric(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg), \
                                        N(4, &A.fo), 0, 2, N(5, A.num), N(6, A.u))))     \
    APIX(gp_gradcheck_params_given, 8, 14,                                               \
         ST(gp_gradcheck_params_given(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),   \
                                      N(4, A.grad), N(5, &A.fo), N(6, A.num), 0,         \
                                      N(7, A.r))))                                       \
    APIX(gp_gradcheck_deltas, 6, 0,                                                      \
         ST(gp_gradcheck_deltas(                                                         \
             N(0, A.net), N(1, A.X), N(2, A.Y), N(3, A.w->delta), N(4, &A.fo),           \
             N(5, gp_formula_report_alloc(GP_FORMULA_DELTA, A.net, 2)))))                \
    APIX(gp_check_formula, 6, 8,                                                         \
         ST(gp_check_formula(GP_FORMULA_PARAMS, N(0, A.net), N(1, A.X), N(2, A.Y),       \
                             N(3, &A.reg), N(4, &A.fo), N(5, A.r))))                     \
    APIX(gp_cost_from_z, 4, 0,                                                           \
         ST(gp_cost_from_z(N(0, A.net), 2, N(1, A.z), N(2, A.y), N(3, &A.num[0]))))      \
    APIX(gp_case_opts_default, 1, 0, VD(gp_case_opts_default(N(0, &A.co))))              \
    APIX(gp_case_fill_target, 3, 0,                                                      \
         VD(gp_case_fill_target(N(0, A.rng), N(1, &gp_cost_quadratic), N(2, A.y))))      \
    APIX(gp_case_random, 7, 68,                                                          \
         ST(gp_case_random(N(0, A.rng), N(1, &gp_cost_quadratic), N(2, &A.co),           \
                           N(3, &A.tnet), N(4, &A.Xr), N(5, &A.zm), N(6, &A.num[0]))))   \
    APIX(gp_case_place_kink, 3, 4,                                                       \
         ST(gp_case_place_kink(N(0, A.net), N(1, A.X), 1, 0, 0, 0, N(2, &A.iv))))        \
    APIX(gp_hunt_opts_default, 1, 0, VD(gp_hunt_opts_default(N(0, &A.ho))))              \
    APIX(gp_hunt_make_dir, 2, 2, ST(gp_hunt_make_dir(N(0, A.pdir), N(1, A.buf), 64)))    \
    APIX(gp_hunt_case, 5, 16,                                                            \
         ST(gp_hunt_case(N(0, &A.ho), 0, N(1, &A.tnet), N(2, &A.Xr), N(3, &A.zm),        \
                         N(4, &A.reg))))                                                 \
    APIX(gp_hunt_run_candidate, 3, 0,                                                    \
         ST(gp_hunt_run_candidate(N(0, &A.ho), N(1, agree_candidate), NULL,              \
                                  N(2, &A.hr))))                                         \
    APIX(gp_hunt_run, 3, 0,                                                              \
         ST(gp_hunt_run(N(0, &A.ho), N(1, argv_false), 1, N(2, &A.hr))))                 \
    APIX(                                                                                \
        gp_hunt_replay, 4, 0,                                                            \
        ST(gp_hunt_replay(N(0, A.pdir), N(1, &A.ho), N(2, argv_false), 1, N(3, &A.hr)))) \
    APIX(gp_hunt_replay_candidate, 4, 0,                                                 \
         ST(gp_hunt_replay_candidate(N(0, A.pdir), N(1, &A.ho), N(2, agree_candidate),   \
                                     NULL, N(3, &A.hr))))                                \
    APIX(gp_idx_images_free, 1, 1, VD(gp_idx_images_free(N(0, A.im))))                   \
    APIX(gp_idx_labels_free, 1, 1, VD(gp_idx_labels_free(N(0, A.lb))))                   \
    APIX(gp_idx_read_images, 3, 4,                                                       \
         ST(gp_idx_read_images(N(0, A.pnet), N(1, &A.im), N(2, A.buf), 64)))             \
    APIX(gp_idx_read_labels, 3, 4,                                                       \
         ST(gp_idx_read_labels(N(0, A.pnet), 9, N(1, &A.lb), N(2, A.buf), 64)))          \
    APIX(gp_idx_images_to_matrix, 2, 0,                                                  \
         ST(gp_idx_images_to_matrix(N(0, A.im), 0, N(1, A.Xr))))                         \
    APIX(gp_idx_image_to_vector, 2, 0,                                                   \
         ST(gp_idx_image_to_vector(N(0, A.im), 0, N(1, A.x))))                           \
    APIX(gp_idx_labels_to_onehot, 2, 0,                                                  \
         ST(gp_idx_labels_to_onehot(N(0, A.lb), 0, N(1, A.zm))))                         \
    APIX(                                                                                \
        gp_mnist_load, 3, 4,                                                             \
        ST(gp_mnist_load(N(0, A.pdir), 1, N(1, (gp_mnist **)&A.text), N(2, A.buf), 64))) \
    APIX(gp_mnist_load_test, 3, 4,                                                       \
         ST(gp_mnist_load_test(N(0, A.pdir), N(1, (gp_mnist **)&A.text), N(2, A.buf),    \
                               64)))                                                     \
    APIX(gp_mnist_free, 1, 1, VD(gp_mnist_free(N(0, (gp_mnist *)NULL))))                 \
    APIX(gp_netio_load, 3, 4,                                                            \
         ST(gp_netio_load(N(0, A.pnet), N(1, &A.tnet), N(2, A.buf), 64)))                \
    APIX(gp_netio_save, 3, 4,                                                            \
         ST(gp_netio_save(N(0, A.net), N(1, A.pnew), N(2, A.buf), 64)))                  \
    APIX(gp_netio_size_bound, 1, 0, SZ(gp_netio_size_bound(3, N(0, A.sz))))              \
    APIX(gp_netio_load_string, 3, 4,                                                     \
         ST(gp_netio_load_string(N(0, A.text), strlen(A.text), N(1, &A.tnet),            \
                                 N(2, A.buf), 64)))                                      \
    APIX(gp_netio_save_string, 3, 4,                                                     \
         ST(gp_netio_save_string(N(0, A.net), N(1, &A.text), N(2, A.buf), 64)))          \
    APIX(gp_netio_string_free, 1, 1, VD(gp_netio_string_free(N(0, A.text))))             \
    APIX(gp_netio_cost_name, 1, QUIET, PT(gp_netio_cost_name(N(0, &gp_cost_quadratic)))) \
    APIX(gp_network_alloc, 2, 0,                                                         \
         PT(gp_network_alloc(3, N(0, sizes), N(1, &gp_cost_quadratic))))                 \
    APIX(gp_network_free, 1, 1, VD(gp_network_free(N(0, A.tnet))))                       \
    APIX(gp_network_clone, 1, 0, PT(gp_network_clone(N(0, A.net))))                      \
    APIX(gp_network_activation, 1, 0, PT(gp_network_activation(N(0, A.net), 1)))         \
    APIX(gp_network_set_activation, 2, 0,                                                \
         ST(gp_network_set_activation(N(0, A.net), 1, N(1, &A.act))))                    \
    APIX(gp_gradient_alloc, 1, 0, PT(gp_gradient_alloc(N(0, A.net))))                    \
    APIX(gp_gradient_free, 1, 1, VD(gp_gradient_free(N(0, A.grad))))                     \
    APIX(gp_params_init, 2, 0, ST(gp_params_init(N(0, &A.grad[0]), 3, N(1, A.sz))))      \
    APIX(gp_params_clear, 1, 1, VD(gp_params_clear(N(0, A.grad))))                       \
    APIX(gp_params_locate, 5, 0,                                                         \
         ST(gp_params_locate(N(0, &A.net->p), 0, N(1, A.u), N(2, &A.iv), N(3, A.u + 1),  \
                             N(4, A.u + 2))))                                            \
    APIX(gp_params_offset, 1, 0, SZ(gp_params_offset(N(0, &A.net->p), 1, 1)))            \
    APIX(gp_network_init, 2, 0,                                                          \
         ST(gp_network_init(N(0, A.net), GP_INIT_LARGE, N(1, A.rng))))                   \
    APIX(gp_neuron_gradient, 6, 0,                                                       \
         ST(gp_neuron_gradient(N(0, &gp_cost_quadratic), N(1, A.xv), 0.5, N(2, A.Xr),    \
                               N(3, A.y), N(4, A.g), N(5, &A.num[0]))))                  \
    APIX(gp_neuron_cost, 5, 0,                                                           \
         ST(gp_neuron_cost(N(0, &gp_cost_quadratic), N(1, A.xv), 0.5, N(2, A.Xr),        \
                           N(3, A.y), N(4, &A.num[0]))))                                 \
    APIX(gp_npy_read, 4, 12,                                                             \
         ST(gp_npy_read(N(0, A.pnpy), 0, N(1, &A.zm), N(2, A.u), N(3, A.buf), 64)))      \
    APIX(gp_npy_read_vector, 3, 4,                                                       \
         ST(gp_npy_read_vector(N(0, A.pnpy), 0, N(1, &A.g), N(2, A.buf), 64)))           \
    APIX(gp_npy_read_scalar, 3, 4,                                                       \
         ST(gp_npy_read_scalar(N(0, A.pnpy), 0, N(1, &A.num[0]), N(2, A.buf), 64)))      \
    APIX(gp_npy_write_matrix, 3, 4,                                                      \
         ST(gp_npy_write_matrix(N(0, A.pnew), N(1, A.X), N(2, A.buf), 64)))              \
    APIX(gp_npy_write_vector, 3, 4,                                                      \
         ST(gp_npy_write_vector(N(0, A.pnew), N(1, A.x), N(2, A.buf), 64)))              \
    APIX(gp_npy_write_scalar, 2, 2,                                                      \
         ST(gp_npy_write_scalar(N(0, A.pnew), 1.5, N(1, A.buf), 64)))                    \
    APIX(gp_oracle_alloc, 4, 8,                                                          \
         PT(gp_oracle_alloc(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg))))           \
    APIX(gp_oracle_free, 1, 1, VD(gp_oracle_free(N(0, A.o))))                            \
    APIX(gp_oracle_cost, 1, 0, DN(gp_oracle_cost(N(0, A.o))))                            \
    APIX(gp_oracle_perturbed_cost, 2, 0,                                                 \
         ST(gp_oracle_perturbed_cost(N(0, A.o), 0, 0.5, N(1, &A.num[0]))))               \
    APIX(gp_oracle_report_alloc, 1, 0, PT(gp_oracle_report_alloc(N(0, A.net))))          \
    APIX(                                                                                \
        gp_oracle_check, 5, 16,                                                          \
        ST(gp_oracle_check(N(0, A.o), N(1, A.grad), N(2, &A.fo), N(3, A.r), N(4, A.u)))) \
    APIX(gp_oracle_numeric, 4, 8,                                                        \
         ST(gp_oracle_numeric(N(0, A.o), N(1, &A.fo), 0, 2, N(2, A.num), N(3, A.u))))    \
    APIX(gp_oracle_check_given, 5, 0,                                                    \
         ST(gp_oracle_check_given(N(0, A.o), N(1, A.grad), N(2, &A.fo), N(3, A.num),     \
                                  N(4, A.r))))                                           \
    APIX(gp_oracle_check_network, 7, 8,                                                  \
         ST(gp_oracle_check_network(N(0, A.net), N(1, A.X), N(2, A.Y), N(3, &A.reg),     \
                                    N(4, A.grad), N(5, &A.fo), N(6, A.r))))              \
    APIX(gp_oracle_opts_default, 1, 0,                                                   \
         VD(gp_oracle_opts_default(N(0, &A.fo), GP_FLOAT32)))                            \
    APIX(gp_shrink_case, 5, 2,                                                           \
         ST(gp_shrink_case(N(0, fails_property), N(1, (void *)A.buf), 5, N(2, &A.tnet),  \
                           N(3, &A.X), N(4, &A.Y), NULL)))                               \
    APIX(gp_record_write_compare, 8, 208,                                                \
         ST(gp_record_write_compare(N(0, A.pnew), N(1, A.net), N(2, A.X), N(3, A.Y),     \
                                    N(4, &A.reg), N(5, A.r), N(6, (gp_precision *)A.u),  \
                                    N(7, A.buf), 64)))                                   \
    APIX(gp_record_write_check, 7, 80,                                                   \
         ST(gp_record_write_check(N(0, A.pnew), GP_FORMULA_PARAMS, N(1, A.net),          \
                                  N(2, A.X), N(3, A.Y), N(4, &A.reg), 1, 0, N(5, A.r),   \
                                  N(6, A.buf), 64)))                                     \
    APIX(gp_record_check_failure, 6, 2,                                                  \
         ST(gp_record_check_failure(N(0, A.pnew), GP_FORMULA_PARAMS, N(1, &A.reg),       \
                                    N(2, A.net), N(3, A.X), N(4, A.Y), 1, 0,             \
                                    N(5, A.buf), 64)))                                   \
    APIX(gp_record_read, 3, 4,                                                           \
         ST(gp_record_read(N(0, A.prec), N(1, &A.rec), N(2, A.buf), 64)))                \
    APIX(gp_record_free, 1, 1, VD(gp_record_free(N(0, A.rec))))                          \
    APIX(gp_record_replay_compare, 5, 22,                                                \
         ST(gp_record_replay_compare(N(0, A.rec), N(1, &A.c), N(2, &A.dco), N(3, &A.r),  \
                                     N(4, (gp_precision *)A.u))))                        \
    APIX(gp_sgd_params_check, 1, 0, ST(gp_sgd_params_check(N(0, &A.sp), 2)))             \
    APIX(gp_sgd_step, 5, 0,                                                              \
         ST(gp_sgd_step(N(0, A.net), N(1, A.X), 0, N(2, A.Y), N(3, &A.sp), N(4, A.w))))  \
    APIX(gp_sparse_from_bytes, 3, 0,                                                     \
         VD(gp_sparse_from_bytes(N(0, pixels), 3, N(1, sb_index), N(2, A.num))))         \
    APIX(gp_sparse_sgd_alloc, 1, 0, PT(gp_sparse_sgd_alloc(N(0, A.net), 2)))             \
    APIX(gp_sparse_sgd_free, 1, 1, VD(gp_sparse_sgd_free(N(0, A.s))))                    \
    APIX(gp_sparse_sgd_step, 4, 0,                                                       \
         ST(gp_sparse_sgd_step(N(0, A.s), N(1, &A.sb), N(2, A.Y), N(3, &A.sp))))         \
    APIX(gp_sparse_feedforward, 2, 0, ST(gp_sparse_feedforward(N(0, A.s), N(1, &A.sb)))) \
    APIX(gp_sparse_sgd_step_rows, 4, 0,                                                  \
         ST(gp_sparse_sgd_step_rows(N(0, A.s), N(1, A.Xr), N(2, A.Y), N(3, &A.sp))))     \
    APIX(gp_sparse_feedforward_rows, 2, 0,                                               \
         ST(gp_sparse_feedforward_rows(N(0, A.s), N(1, A.Xr))))                          \
    APIX(gp_sparse_sgd_sync, 1, 0, VD(gp_sparse_sgd_sync(N(0, A.s))))                    \
    APIX(gp_sparse_sgd_reload, 1, 0, VD(gp_sparse_sgd_reload(N(0, A.s))))                \
    APIX(gp_sparse_sgd_workspace, 1, 0, PT(gp_sparse_sgd_workspace(N(0, A.s))))          \
    APIX(gp_train_opts_default, 1, 0, VD(gp_train_opts_default(N(0, &A.to))))            \
    APIX(gp_trainer_alloc, 3, 0,                                                         \
         PT(gp_trainer_alloc(N(0, A.tnet), N(1, &A.data), N(2, &A.to))))                 \
    APIX(gp_trainer_free, 1, 1, VD(gp_trainer_free(N(0, A.t))))                          \
    APIX(gp_trainer_auto_tune, 1, 0, ST(gp_trainer_auto_tune(N(0, A.t), 2, 2, 1e-4)))    \
    APIX(gp_trainer_epoch, 1, 0, ST(gp_trainer_epoch(N(0, A.t))))                        \
    APIX(gp_trainer_epoch_part, 1, 0, ST(gp_trainer_epoch_part(N(0, A.t), 1)))           \
    APIX(gp_trainer_batches_done, 1, 0, SZ(gp_trainer_batches_done(N(0, A.t))))          \
    APIX(gp_trainer_set_stop, 2, 2, ST(gp_trainer_set_stop(N(0, A.t), NULL)))            \
    APIX(gp_trainer_diverged_batch, 1, 0, SZ(gp_trainer_diverged_batch(N(0, A.t))))      \
    APIX(gp_trainer_observe, 2, 0, ST(gp_trainer_observe(N(0, A.t), 0.5, N(1, &A.iv))))  \
    APIX(gp_trainer_epochs, 1, 0, SZ(gp_trainer_epochs(N(0, A.t))))                      \
    APIX(gp_trainer_eta, 1, 0, DN(gp_trainer_eta(N(0, A.t))))                            \
    APIX(gp_trainer_best, 2, 2, DN(gp_trainer_best(N(0, A.t), N(1, A.u))))               \
    APIX(gp_trainer_order, 1, 0, PT(gp_trainer_order(N(0, A.t))))                        \
    APIX(gp_trainer_network, 1, 0, PT(gp_trainer_network(N(0, A.t))))                    \
    APIX(gp_trainer_get_state, 2, 0, ST(gp_trainer_get_state(N(0, A.t), N(1, &A.st))))   \
    APIX(gp_trainer_set_state, 2, 0, ST(gp_trainer_set_state(N(0, A.t), N(1, &A.st))))   \
    APIX(gp_trainer_state_free, 1, 1, VD(gp_trainer_state_free(N(0, &A.st))))            \
    APIX(gp_evaluate, 5, 12,                                                             \
         ST(gp_evaluate(N(0, A.net), N(1, &A.data), N(2, &A.reg), 0, 0, N(3, A.u),       \
                        N(4, &A.er))))                                                   \
    APIX(gp_eval_set_alloc, 1, 0, PT(gp_eval_set_alloc(N(0, &A.data))))                  \
    APIX(gp_eval_set_free, 1, 1, VD(gp_eval_set_free(N(0, A.es))))                       \
    APIX(gp_evaluate_set, 5, 12,                                                         \
         ST(gp_evaluate_set(N(0, A.net), N(1, A.es), N(2, &A.reg), 0, 0, N(3, A.u),      \
                            N(4, &A.er))))

#define CALL_FN(name, n, opt, ...)                                                       \
    static int call_##name(unsigned k) {                                                 \
        __VA_ARGS__;                                                                     \
    }
CALLS(CALL_FN)

typedef struct {
    const char *name;
    unsigned n, optional;
    int (*call)(unsigned k);
} api_row;

#define ROW(name, n, opt, ...) {#name, n, opt, call_##name},
static const api_row rows[] = {CALLS(ROW)};
#define N_ROWS (sizeof rows / sizeof rows[0])
#define COUNT(name, n, opt, ...) +n
#define N_CASES (0 CALLS(COUNT))

/* Case i: row and argument. Each runs in its own process (Check's fork), so a crash
 * fails that case alone and names it. */
START_TEST(test_null_arguments_are_refused_not_crashed_on) {
    size_t row = 0, k = (size_t)_i;
    while (k >= rows[row].n)
        k -= rows[row++].n;
    const api_row *r = &rows[row];
    setup();
    int refused = r->call((unsigned)k);
    if (refused < 0 || (r->optional >> k) & 1)
        return; /* a void function, or an optional argument: not crashing is enough */
    ck_assert_msg(refused == 1, "%s with argument %zu NULL: accepted", r->name, k + 1);
    if (r->optional & QUIET)
        return;
    ck_assert_msg(tu_last_error() != 0,
                  "%s with argument %zu NULL: refused, nothing raised", r->name, k + 1);
}
END_TEST

static void teardown(void) {
    tu_tmpdir_remove();
    tu_handler_restore();
}

static Suite *make_api_suite(void) {
    Suite *s = suite_create("api");
    TCase *errs = tcase_create("Errors");
    tcase_set_timeout(errs, 30);
    tcase_add_checked_fixture(errs, NULL, teardown);
    tcase_add_loop_test(errs, test_null_arguments_are_refused_not_crashed_on, 0, N_CASES);
    suite_add_tcase(s, errs);
    (void)N_ROWS;
    return s;
}

int main(void) {
    return tu_run_suite(make_api_suite());
}
