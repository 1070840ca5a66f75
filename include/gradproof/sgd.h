/* gradproof/sgd.h: one step of mini-batch stochastic gradient descent, network2.py's
 * update_mini_batch, run through the same backward pass that make check verifies. */
#ifndef GRADPROOF_SGD_H
#define GRADPROOF_SGD_H

#include <gradproof/backprop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double eta;    /* learning rate, > 0 */
    double lambda; /* L2 strength, >= 0 */
    double l1;     /* L1 strength, >= 0 */
    size_t n;      /* training-set size, the n of lambda/n; > 0 */
} gp_sgd_params;

/* The one validation of a step's parameters, for a batch of m samples (the trainer,
 * the steps and the command line use it): GSL_EDOM unless eta > 0, lambda >= 0 and
 * l1 >= 0 are finite, n > 0 and eta lambda/n < 1 (so that 1 - eta lambda/n, the weight
 * decay factor, stays positive); GSL_EBADLEN if m == 0 (and p is valid). */
int gp_sgd_params_check(const gp_sgd_params *p, size_t m);

/* One step on the batch X (samples as columns, or as rows when rows != 0), Y (n_L x m):
 *   W <- (1 - eta lambda/n) W - (eta l1/n) sgn(W) - (eta/m) sum_x dC_x/dW
 *   b <- b - (eta/m) sum_x dC_x/db
 * with every gradient taken at the old parameters (the backward pass of
 * gp_backprop_batch). GSL_EDOM, GSL_EBADLEN as gp_sgd_params_check;
 * GSL_EBADLEN on shapes that do not fit. */
int gp_sgd_step(gp_network *net, const gsl_matrix *X, int rows, const gsl_matrix *Y,
                const gp_sgd_params *p, gp_backprop_workspace *w);

#ifdef __cplusplus
}
#endif
#endif
