/* gradproof/gradcheck.h: checking analytic gradients against gsl_deriv_central.
 *
 * The numerical derivative is GSL's 5-point central difference, which also returns an
 * error estimate abserr (truncation + rounding). An analytic value g passes against the
 * numerical value d when
 *     |g - d| <= abserr_factor * abserr + atol + rtol * max(|g|, |d|),
 * so GSL's own estimate carries the verdict and the floors only absorb rounding noise. */
#ifndef GRADPROOF_GRADCHECK_H
#define GRADPROOF_GRADCHECK_H

#include <gradproof/backprop.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GP_GRADCHECK_MAX_WORST 16
/* Relative errors are summarised only where the gradient is at least this large; below
 * it a 5-point difference of an O(1) cost resolves only absolute error (~1e-10). */
#define GP_GRADCHECK_REL_FLOOR 1e-5

typedef enum { GP_TENSOR_W, GP_TENSOR_B, GP_TENSOR_Z } gp_tensor;

typedef struct {
    double h;             /* initial step of gsl_deriv_central [1e-4] */
    double abserr_factor; /* weight of GSL's error estimate [4] */
    double atol;          /* absolute floor [1e-8] */
    double rtol;          /* relative floor [1e-6] */
    size_t n_worst;       /* worst offenders to keep, <= GP_GRADCHECK_MAX_WORST [5] */
} gp_gradcheck_opts;

void gp_gradcheck_opts_default(gp_gradcheck_opts *opts);

typedef struct {
    gp_tensor tensor; /* W, b, or z (for delta checks) */
    size_t l;         /* layer, 1-based as in the book */
    size_t j, k;      /* row, and column (W), 0 (b) or sample index (z) */
    double analytic, numeric, abserr;
    double error;   /* |analytic - numeric| */
    double allowed; /* the right-hand side of the pass rule */
    double score;   /* error / allowed: > 1 fails */
} gp_gradcheck_entry;

typedef struct {
    size_t n_checked, n_failed;
    double max_abs_error; /* largest |analytic - numeric| */
    double max_rel_error; /* largest |g - d| / max(|g|, |d|) over entries with
                             max(|g|, |d|) >= GP_GRADCHECK_REL_FLOOR */
    double sum_abs_numeric; /* sum |numeric|: zero means the check saw no signal */
    size_t n_worst;
    gp_gradcheck_entry worst[GP_GRADCHECK_MAX_WORST]; /* highest score first */
} gp_gradcheck_report;

void gp_gradcheck_report_init(gp_gradcheck_report *r);
/* Fold one comparison into a report (used by every checker, and by callers who compare
 * their own values). Returns 1 if it passed, 0 if not. */
int gp_gradcheck_add(gp_gradcheck_report *r, const gp_gradcheck_opts *opts, gp_tensor tensor,
                     size_t l, size_t j, size_t k, double analytic, double numeric,
                     double abserr);

/* Compare every entry of `analytic` (a gradient of the total cost gp_total_cost(net, X, Y,
 * reg)) with gsl_deriv_central. The network is not modified (a copy is perturbed).
 * Returns a GSL status; the verdict is report->n_failed == 0. */
int gp_gradcheck_params(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        const gp_regularization *reg, const gp_gradient *analytic,
                        const gp_gradcheck_opts *opts, gp_gradcheck_report *report);

/* Compare delta^l (BP1, BP2) with the numerical dC_x/dz^l_j, for every layer l, neuron
 * j and sample i: delta[l-1] is n_l x m (extra columns ignored), column i sample i.
 * C_x is the unregularised per-sample cost (regularisation does not depend on z). */
int gp_gradcheck_deltas(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                        gsl_matrix *const *delta, const gp_gradcheck_opts *opts,
                        gp_gradcheck_report *report);

/* Per-sample cost C_x as a function of z^l (1 <= l <= L) for one sample: the
 * network is run forward from layer l. zl has n_l entries. */
int gp_cost_from_z(const gp_network *net, size_t l, const gsl_vector *zl, const gsl_vector *y,
                   double *cost);

/* ---- random cases for property checks ---- */

/* Limits of a random case: layer count, widths, batch size, and the range of the weight
 * scale, drawn log-uniformly (tiny scales keep sigma' near 1/4, large ones saturate). */
typedef struct {
    size_t max_layers; /* weight layers, 1..max_layers [4] */
    size_t max_width;  /* widths 1..max_width [10] */
    size_t max_batch;  /* batch 1..max_batch [16] */
    double scale_min, scale_max; /* [1e-3, 10] */
} gp_case_opts;

void gp_case_opts_default(gp_case_opts *opts);

/* A random network with the given cost, weights and biases N(0, scale^2), and a batch of
 * m random samples (m = X->size2): inputs N(0,1); targets reals (quadratic-linear), in
 * [0,1] (quadratic, cross-entropy) or one-hot (log-likelihood). Caller frees all three.
 * scale may be NULL. GSL_EINVAL for bad limits, GSL_ENOMEM when memory runs out (nothing
 * is returned then). */
int gp_case_random(gsl_rng *r, const gp_cost_type *cost, const gp_case_opts *opts,
                   gp_network **net, gsl_matrix **X, gsl_matrix **Y, double *scale);

#ifdef __cplusplus
}
#endif
#endif
