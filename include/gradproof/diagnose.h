/* gradproof/diagnose.h: what kind of bug explains a candidate's disagreeing tensor.
 *
 * When a candidate's tensor (z1, a1, ..., cost, deltaL, dWL, dbL, ..., db1: the oracle
 * dump's names) disagrees with the oracle's, the diagnosis rebuilds that tensor under
 * named hypotheses from the oracle's own intermediates (z, a, delta, sigma'(z), the
 * per-sample costs and gradients, the regularisation terms) and reports the hypothesis
 * that reproduces the candidate best, with its relative residual
 * ||candidate - hypothesis||_F / max(||candidate||_F, ||hypothesis||_F):
 *   the whole tensor scaled by k (k = m, 1/m, 2, 1/2, -1 named, any other k fitted);
 *   transposed, or reshaped instead of transposed;
 *   f'(z^l) missing from delta^l, applied twice, or f(z^l) in its place (f the
 *   layer's activation: sigma' and sigma for sigmoid layers);
 *   regularisation missing, applied to the biases, lambda/m instead of lambda/n, the
 *   1/2 of (lambda/2n) sum w^2 kept in the gradient (or dropped from the cost);
 *   one sample dropped or counted twice; another layer's tensor (layers swapped);
 *   at z^l exactly on a ReLU/leaky-ReLU kink, f'(0) taken as 1 (the other convention).
 * The correct tensor is a hypothesis too: when it fits at least as well, or no
 * hypothesis fits within the tolerance, the result is GP_DIAG_NONE.
 * The hypotheses take the layers above the tensor as correct: call it on the first
 * disagreeing tensor in computation order. Plain structs, for ctypes. */
#ifndef GRADPROOF_DIAGNOSE_H
#define GRADPROOF_DIAGNOSE_H

#include <gradproof/backprop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GP_DIAG_NONE,              /* agrees, or nothing named explains it */
    GP_DIAG_SCALE,             /* k x the oracle's tensor (k in `param`) */
    GP_DIAG_SCALE_DATA,        /* k x the data term, regularisation kept */
    GP_DIAG_TRANSPOSED,        /* the transpose (shape n_{l-1} x n_l) */
    GP_DIAG_RESHAPED,          /* the transpose's data read in the right shape */
    GP_DIAG_FPRIME_MISSING,    /* sigma'(z^l) left out of delta^l */
    GP_DIAG_FPRIME_TWICE,      /* sigma'(z^l) applied twice */
    GP_DIAG_SIGMA_FOR_PRIME,   /* sigma(z^l) where sigma'(z^l) belongs */
    GP_DIAG_REG_MISSING,       /* regularisation left out */
    GP_DIAG_REG_ON_BIASES,     /* weight decay applied to the biases too */
    GP_DIAG_REG_LAMBDA_M,      /* lambda/m (the batch) instead of lambda/n */
    GP_DIAG_REG_HALF,          /* gradient (lambda/2n) w; cost (lambda/n) sum w^2 */
    GP_DIAG_SAMPLE_DROPPED,    /* sample `index` left out (param: the divisor) */
    GP_DIAG_SAMPLE_DUPLICATED, /* sample `index` counted twice (param: the divisor) */
    GP_DIAG_LAYERS_SWAPPED,    /* holds the oracle's tensor `other` */
    GP_DIAG_KINK_CONVENTION    /* at z exactly on a ReLU/leaky kink, f'(0) taken as
                                  the right side's f'(0+) = 1, where gradproof uses
                                  f'(0-) (relu'(0) = 0, leaky_relu'(0) = alpha) */
} gp_diag_kind;

typedef struct {
    gp_diag_kind kind;
    double residual; /* relative residual of the winning hypothesis */
    double param;    /* k for the scale kinds, the divisor for the sample kinds */
    size_t index;    /* the sample for the sample kinds */
    char tensor[32]; /* the tensor diagnosed, "dW2" */
    char other[32];  /* GP_DIAG_LAYERS_SWAPPED: the oracle tensor it holds */
    char text[256];  /* one line: "dW2 = 7 x the oracle: summed instead of averaged
                        over the batch of 7 (residual 3.1e-17)" */
} gp_diagnosis;

/* The oracle's intermediates for one case (opaque; owns copies). NULL on GSL_EBADLEN
 * (shapes), GSL_EDOM (regularisation) or GSL_ENOMEM. reg may be NULL. */
typedef struct gp_diag gp_diag;
gp_diag *gp_diag_alloc(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg);
void gp_diag_free(gp_diag *d);

/* Diagnose the candidate's tensor `name` (the dump's names; db and cost as n x 1 and
 * 1 x 1 matrices; any shape is accepted, a transposed dW comes as n_{l-1} x n_l).
 * A hypothesis is reported when its residual is at most tol (1e-3 if tol <= 0) and
 * smaller than the correct tensor's; when the correct tensor's residual is within tol
 * too, only if it is a thousand times smaller. A fitted k (not a named one) needs at
 * least 3 entries. A candidate entry that is NaN or infinite: GP_DIAG_NONE, residual
 * NaN, text naming the entry ("dW1[0][0] is nan: the candidate's values are not
 * finite, ..."). GSL_EINVAL for an unknown name. */
int gp_diag_tensor(gp_diag *d, const char *name, const gsl_matrix *cand, double tol,
                   gp_diagnosis *out);

/* Name of a kind: "scale", "transposed", "fprime-missing", ... */
const char *gp_diag_kind_name(gp_diag_kind kind);

#ifdef __cplusplus
}
#endif
#endif
