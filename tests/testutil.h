/* tests/testutil.h: shared helpers of the Check suites (not installed).
 *
 * Seeds and case counts come from the environment, so that a failing case can be rerun
 * exactly and a soak run can multiply the work:
 *   GP_SEED=<s>        base seed (default TU_DEFAULT_SEED)
 *   GP_CASE=<i>        run only case i of every property (the failure message prints it)
 *   GP_CASES_MULT=<k>  multiply every property's case count by k (soak runs)
 * Each case draws from its own gsl_rng (mt19937) seeded from (base seed, salt, case),
 * where the salt is fixed per property and per table row, so cases are independent of
 * the order and number of cases run. */
#ifndef GRADPROOF_TESTUTIL_H
#define GRADPROOF_TESTUTIL_H

#include <stddef.h>

#include <check.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include <gradproof/gradproof.h>

#define TU_DEFAULT_SEED 20240917UL

/* Format and arguments of the "rerun exactly this case" hint in failure messages; each
 * test file defines TU_PROG ("check_backprop") before using it. */
#define TU_RERUN_FMT "rerun: GP_SEED=%lu GP_CASE=%zu CK_RUN_CASE=%s tests/%s"
#define TU_RERUN_ARGS(i, tcase) tu_base_seed(), (size_t)(i), (tcase), TU_PROG

/* Base seed (GP_SEED or the default). */
unsigned long tu_base_seed(void);
/* n times GP_CASES_MULT (at least 1). */
size_t tu_cases(size_t n);
/* 1 if case i is to run (GP_CASE unset, or equal to i). */
int tu_case_selected(size_t i);
/* A fresh mt19937 generator for case i of the property identified by salt. Free it with
 * gsl_rng_free. The seed is a mix of the base seed, the salt and i (32 bits, nonzero). */
gsl_rng *tu_rng_for_case(unsigned long salt, size_t i);
/* The seed tu_rng_for_case uses (printed in failure messages). */
unsigned long tu_case_seed(unsigned long salt, size_t i);

/* Uniform on [lo, hi), and log-uniform on [lo, hi) (lo > 0). */
double tu_uniform(gsl_rng *r, double lo, double hi);
double tu_log_uniform(gsl_rng *r, double lo, double hi);
/* Integer uniform on [lo, hi] inclusive. */
size_t tu_int(gsl_rng *r, size_t lo, size_t hi);

/* Targets fitting the cost: gp_case_fill_target (the library's random-case generator,
 * shared with `gradproof check`). */
void tu_fill_target(gsl_rng *r, const gp_cost_type *cost, gsl_vector *y);

/* Shape of a random case: the library's gp_case_opts (defaults L in [1, 4], widths
 * [1, 10], batch [1, 16], scale [1e-3, 10], square_hidden 0). */
typedef gp_case_opts tu_shape;

void tu_shape_default(tu_shape *s);

/* A random case drawn by gp_case_random (weights and biases scale * N(0,1), inputs
 * N(0,1), targets fitting the cost), with a workspace and a gradient for it. */
typedef struct {
    gp_network *net;
    gsl_matrix *X; /* n_0 x m */
    gsl_matrix *Y; /* n_L x m */
    size_t m;
    double scale;
    gp_backprop_workspace *w;
    gp_gradient *grad;
    char desc[256]; /* "sizes=[3,5,2] m=4 scale=0.25 cost=cross-entropy" */
} tu_case;

/* NULL on allocation failure (the test then fails). */
tu_case *tu_case_alloc(gsl_rng *r, const gp_cost_type *cost, const tu_shape *s);
void tu_case_free(tu_case *c);

/* Human-readable description of a report's worst offender, for failure messages. */
void tu_describe_worst(const gp_fcheck_report *rep, char *buf, size_t len);

/* Largest |w| over the weights (not biases), smallest |w| over the weights. */
double tu_min_abs_weight(const gp_network *net);

/* Running statistics of one property: case count and worst relative error, printed as
 *   GP-STAT <suite>/<property>[<row>]: cases=<n> checked=<k> worst_rel=<e> worst_abs=<e>
 * by tu_stat_print at the end of the test (stdout; Check's fork keeps it). */
typedef struct {
    const char *name;
    const char *row; /* e.g. the cost name, or "" */
    size_t cases;
    size_t checked;
    double worst_rel;
    double worst_abs;
} tu_stat;

void tu_stat_init(tu_stat *s, const char *name, const char *row);
void tu_stat_report(tu_stat *s, const gp_fcheck_report *rep);
/* Fold one comparison of analytic g with reference d into s (relative error over
 * max(|g|,|d|) when that exceeds tiny). */
void tu_stat_value(tu_stat *s, double g, double d, double tiny);
void tu_stat_print(const tu_stat *s);

/* One SGD step against its definition: `stepped` must be net moved to
 *   theta - eta dC/dtheta - (eta lambda/n) w - (eta l1/n) sgn(w),
 * dC/dtheta by gsl_deriv_central (h = 1e-4) of the unregularised batch cost on the
 * columns of X, Y. Tolerance per parameter: eta (4 abserr + 1e-8 + 1e-6 |g|) +
 * 1e-13 |theta|. Returns how many parameters fall outside it and describes the first in
 * msg; *sum_abs = sum |dC/dtheta|; folds the gradient each parameter's step implies
 * into st (may be NULL). */
size_t tu_sgd_step_violations(const gp_network *net, const gsl_matrix *X,
                              const gsl_matrix *Y, const gp_sgd_params *p,
                              const gp_network *stepped, char *msg, size_t len,
                              double *sum_abs, tu_stat *st);

/* Relative error |a - b| / max(|a|, |b|), 0 if both are 0. */
double tu_rel_err(double a, double b);

/* The cost table as an array (gp_cost_types without the terminator) and its length. */
size_t tu_n_costs(void);

/* An independent backpropagation written in the test (plain BLAS over the batch), used
 * as a control and, with flags, to build deliberately wrong formulas (mutants):
 *   TU_BP_NO_TRANSPOSE  hidden delta with W^{l+1} instead of (W^{l+1})^T (square layers)
 *   TU_BP_SIGMA_NOT_PRIME hidden delta with sigma(z) instead of sigma'(z)
 *   TU_BP_SUM           batch gradient summed over samples instead of averaged
 * The output error comes from net->cost->delta. grad must have the network's layout. */
enum { TU_BP_NO_TRANSPOSE = 1, TU_BP_SIGMA_NOT_PRIME = 2, TU_BP_SUM = 4 };
int tu_manual_backprop(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       int flags, gp_gradient *grad);

/* Run a suite with a runner; returns EXIT_SUCCESS or EXIT_FAILURE. */
int tu_run_suite(Suite *suite);

/* ---- fixtures ---- */

/* Check fixtures for "Errors" TCases: GSL's aborting handler off, then restored. */
void tu_handler_off(void);
void tu_handler_restore(void);
/* The status of the last error reported to GSL's handler since tu_errors_record()
 * (which installs a handler that records it, in a test that runs between
 * tu_handler_off and tu_handler_restore), 0 if none: what a function returning NULL
 * failed with. */
void tu_errors_record(void);
int tu_last_error(void);

/* A fresh directory $TMPDIR/<prefix>.XXXXXX for file tests (fails the test if it cannot
 * be made); tu_tmpdir() is its path, tu_tmpdir_path(name) a file in it (a static buffer,
 * valid until the next call), tu_tmpdir_remove() deletes it with everything in it (fails
 * the test if it remains). */
void tu_tmpdir_make(const char *prefix);
const char *tu_tmpdir(void);
const char *tu_tmpdir_path(const char *name);
void tu_tmpdir_remove(void);
/* Names in dir (not . and ..), joined by spaces into out; returns their number. */
size_t tu_list_dir(const char *dir, char *out, size_t len);

/* Hidden activations written in the tests, their batch form f_n a plain loop over f and
 * df (so f_n's f' is df):
 *   tu_activation_tanh      tanh, f' = 1 - tanh^2: a correct activation other than the
 *                           library's sigmoid, to show that the network's object is read;
 *   tu_activation_wrong_df  sigmoid with f' = sigma (not sigma(1 - sigma)): a mutant that
 *                           the numerical properties of the steps must reject. */
extern const gp_activation tu_activation_tanh;
extern const gp_activation tu_activation_wrong_df;
/* Every hidden layer of net set to act. */
void tu_set_hidden_activation(gp_network *net, const gp_activation *act);

#endif
