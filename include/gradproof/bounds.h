/* gradproof/bounds.h: how far a correct implementation in precision u can be from the
 * exact z, a, delta, dW, db and cost (a running error analysis; doc/bounds.md).
 *
 * Alongside the float64 forward and backward passes (BP1-BP4) the module carries, per
 * entry, an absolute error bound for an implementation of the same formulas that works
 * in a floating-point format with unit roundoff u: correctly rounded +, -, *, /, any
 * summation order (fma allowed, no fast-math reassociation of the formulas themselves),
 * exp/log/log1p within libm_ulps ulp, no overflow. Two bounds per entry:
 *  - worst case: every inner product of length n contributes gamma_n = n u / (1 - n u)
 *    (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., Lemma 3.1 and
 *    eq. (3.5)), carried through the activations (sigmoid, tanh, ReLU, leaky ReLU,
 *    softplus, identity; softmax) and the costs by their Lipschitz factors over the
 *    interval of possible arguments; at a ReLU kink that z_hat may straddle
 *    (|z| <= Ez) f' is a convention and the worst case allows either side;
 *  - probabilistic: gamma_n replaced by min(gamma_n, gamma~_n(lambda)),
 *    gamma~_n = exp(lambda sqrt(n) u + n u^2 / (1 - u)) - 1 (Higham and Mary, "A new
 *    approach to probabilistic rounding error analysis", SISC 2019, Theorem 2.4), valid
 *    for independent mean-zero rounding errors with probability at least
 *    1 - 2 n exp(-lambda^2 (1 - u)^2 / 2) per inner product (their Theorem 3.1).
 * Plain structs and GSL matrices only, so the module is usable through ctypes. */
#ifndef GRADPROOF_BOUNDS_H
#define GRADPROOF_BOUNDS_H

#include <gradproof/backprop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The arithmetic of the implementation being bounded. */
typedef struct {
    double u;    /* unit roundoff: 2^-53 float64, 2^-24 float32, 2^-8 bfloat16,
                    2^-11 float16 */
    double tiny; /* underflow allowance per operation: the format's smallest normal */
    double libm_ulps; /* exp, log, log1p accurate to this many ulp [1] */
    double lambda;    /* confidence parameter of the probabilistic bound [6] */
    int round_inputs; /* 1: x, y, W, b are first rounded to the format (u |v| each);
                         0: they are exact (a float64 implementation of float64 data) */
} gp_bounds_model;

/* The model of a format named "float64", "float32", "bfloat16" or "float16", with the
 * defaults above (round_inputs 1 except for float64). GSL_EINVAL for another name. */
int gp_bounds_model_init(gp_bounds_model *model, const char *format);

/* gamma_n = n u / (1 - n u) (+inf when n u >= 1), Higham eq. (3.5). */
double gp_bounds_gamma(double n, double u);
/* min(gamma_n, exp(lambda sqrt(n) u + n u^2 / (1 - u)) - 1), Higham and Mary 2019. */
double gp_bounds_gamma_prob(double n, double u, double lambda);
/* Upper bound on the probability that one inner product of length n exceeds its
 * probabilistic bound: min(1, 2 n exp(-lambda^2 (1 - u)^2 / 2)). */
double gp_bounds_prob_fail(double n, double u, double lambda);

/* Bounds of one layer l (1-based), in the oracle dump's shapes. */
typedef struct {
    gsl_matrix *z, *a, *delta; /* n_l x m (delta per sample, not divided by m) */
    gsl_matrix *dW;            /* n_l x n_{l-1}, regularisation included */
    gsl_matrix *db;            /* n_l x 1 */
} gp_bounds_layer;

typedef struct {
    size_t L, m;
    gp_bounds_layer *worst; /* [L]: worst-case absolute bounds, entry by entry */
    gp_bounds_layer *prob;  /* [L]: probabilistic absolute bounds */
    double cost_worst, cost_prob;
    double prob_fail; /* gp_bounds_prob_fail for the longest inner product */
} gp_bounds;

/* Bounds for net's layout and a batch of m samples (values zero). NULL on GSL_EINVAL
 * (m = 0, or n_l x m doubles beyond SIZE_MAX bytes) or GSL_ENOMEM. */
gp_bounds *gp_bounds_alloc(const gp_network *net, size_t m);
void gp_bounds_free(gp_bounds *b);

/* The bounds of an implementation with the given model on net, X (n_0 x m), Y
 * (n_L x m) and regularisation reg (NULL for none; reg->n = 0 means n = m), for the
 * tensors of the oracle's dump (total cost C with regularisation, its gradient dW, db;
 * z, a, delta of the batch). b must come from gp_bounds_alloc(net, m). Returns a GSL
 * status: GSL_EBADLEN for shapes, GSL_EDOM for a bad model (u not in (0, 1/4), a
 * negative or non-finite tiny or libm_ulps, lambda not finite and > 0) or a
 * reg with a negative or non-finite lambda or l1,
 * GSL_EUNIMPL for a hidden activation none of the six kinds above. */
int gp_bounds_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, const gp_bounds_model *model,
                      gp_bounds *b);

/* ---- the certified three-way verdict ---- */

typedef enum {
    GP_VERDICT_AGREE,        /* within the probabilistic bound */
    GP_VERDICT_INCONCLUSIVE, /* between the probabilistic and the worst-case bound */
    GP_VERDICT_DISAGREE      /* beyond the worst-case bound, or not finite */
} gp_verdict;

/* "agree", "inconclusive", "disagree". */
const char *gp_verdict_name(gp_verdict v);

/* One entry: candidate c, oracle o, the candidate format's worst-case and probabilistic
 * bounds bw, bp and the oracle's own worst-case bound bo (the float64 model):
 * disagree when |c - o| > bw + bo or c is not finite, agree when |c - o| <= bp + bo,
 * else inconclusive. */
gp_verdict gp_bounds_verdict(double c, double o, double bw, double bp, double bo);

/* The bounds of entry (i, j) of tensor `name` of the oracle dump ("z1", "a1", "delta1",
 * "dW1", "db1", ..., "cost"; db as n x 1, cost 1 x 1). GSL_EINVAL for an unknown name,
 * an index out of range or a NULL argument. */
int gp_bounds_entry(const gp_bounds *b, const char *name, size_t i, size_t j,
                    double *worst, double *prob);

/* Counts of one tensor's verdicts. */
typedef struct {
    size_t n_agree, n_inconclusive, n_disagree;
    double max_ratio;        /* max |c - o| / (bw + bo): > 1 is a disagreement */
    size_t worst_i, worst_j; /* the entry of max_ratio */
} gp_verdict_counts;

/* Verdicts of every entry of tensor `name`: candidate cand against oracle values
 * oracle (same shape), with the candidate's bounds bc and the oracle's own bounds bo
 * (gp_bounds_compute with the float64 model): an entry disagrees beyond both worst-case
 * bounds, agrees within both probabilistic ones (gp_bounds_verdict(c, o, bw + bow,
 * bp + bop, 0)), so a kink flip is inconclusive. GSL_EBADLEN for shapes, GSL_EINVAL
 * for an unknown name. */
int gp_bounds_compare_tensor(const gp_bounds *bc, const gp_bounds *bo, const char *name,
                             const gsl_matrix *cand, const gsl_matrix *oracle,
                             gp_verdict_counts *out);

#ifdef __cplusplus
}
#endif
#endif
