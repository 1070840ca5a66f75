/* gradproof/backprop.h: feedforward, backpropagation and total cost (SPEC
 * "Backpropagation").
 *
 * Mini-batches are matrices whose columns are samples: X is n_0 x m, Y is n_L x m.
 * (The _rows variants take X as m x n_0, one sample per row, the layout of a data set.)
 * The hot paths allocate nothing: they take a workspace sized for a largest batch. */
#ifndef GRADPROOF_BACKPROP_H
#define GRADPROOF_BACKPROP_H

#include <gradproof/network.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Per-layer state of the last batch. Transparent so that tests and the oracle can read
 * z^l, a^l and delta^l: entry [l-1] is layer l (1..L), n_l x max_batch, of which the
 * first m columns hold the current batch. delta[l-1] column i is dC_x/dz^l for sample i
 * (not divided by m). */
typedef struct {
    size_t L;
    size_t max_batch;
    size_t m; /* columns valid in z, a, delta */
    gsl_matrix **z;
    gsl_matrix **a;
    gsl_matrix **delta;
    gsl_matrix **sp;  /* sp[l-1] = f'(z^l), the hidden activation's derivative, for
                         hidden layers l < L (BP2); filled by the backprop functions, not
                         by gp_feedforward */
    gsl_vector *ones; /* max_batch ones, for column sums by dgemv */
} gp_backprop_workspace;

/* A workspace for net's layer sizes and batches of 1..max_batch samples (NULL with
 * GSL_EINVAL for max_batch 0 or above GP_MAX_WIDTH, GSL_ENOMEM). The functions below
 * refuse it (GSL_EBADLEN) for a network of other layer sizes, and a batch X, Y or
 * gradient whose shapes do not fit the network. */
gp_backprop_workspace *gp_backprop_workspace_alloc(const gp_network *net,
                                                   size_t max_batch);
void gp_backprop_workspace_free(gp_backprop_workspace *w);

/* Regularisation of the total cost: L2 (lambda/2n) sum w^2, L1 (lambda_1/n) sum |w|,
 * weights only. n = 0 means n is the number of samples in the call; training passes
 * the training-set size while the batch has m samples. */
typedef struct {
    double lambda; /* L2 strength, >= 0 */
    double l1;     /* L1 strength, >= 0 */
    size_t n;
} gp_regularization;

/* z^l and a^l for every layer, for the m = X->size2 <= max_batch columns of X.
 * GSL_EINVAL for a NULL net, X or w; GSL_EBADLEN for an X that is not n_0 x m with
 * 1 <= m <= max_batch, or a workspace of other layer sizes; else the output
 * activation's status (GSL_EINVAL for an unknown one). */
int gp_feedforward(const gp_network *net, const gsl_matrix *X, gp_backprop_workspace *w);

/* Backpropagation (BP1-BP4) of the batch cost C = (1/m) sum_x C_x, unregularised:
 * grad = column mean of the per-sample gradients. Fills w (z, a, delta) too.
 * GSL_EINVAL for a NULL argument; GSL_EBADLEN as gp_feedforward, or for a Y that is
 * not n_L x m or a grad of other layer sizes; else the status of the cost's delta or
 * of the output activation (GSL_EINVAL for an unknown one). */
int gp_backprop_batch(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      gp_backprop_workspace *w, gp_gradient *grad);
int gp_backprop_batch_rows(const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, gp_backprop_workspace *w,
                           gp_gradient *grad);
/* One sample: x has n_0 entries, y has n_L. As gp_backprop_batch; GSL_EBADLEN for an
 * empty x or y. */
int gp_backprop(const gp_network *net, const gsl_vector *x, const gsl_vector *y,
                gp_backprop_workspace *w, gp_gradient *grad);

/* Regularisation term of the cost: 0 for a NULL reg or zero strengths; NaN if reg->n
 * and n are both 0, or, raised, for a negative or non-finite strength (GSL_EDOM) or a
 * NULL net (GSL_EINVAL). Its gradient, added into grad:
 * + (lambda/n) w + (lambda_1/n) sgn(w), with sgn(0) = 0 (network2.py uses np.sign);
 * GSL_EDOM for a negative or non-finite strength, GSL_EINVAL for a NULL net or grad or
 * reg->n and n both 0, GSL_EBADLEN for a grad whose layer sizes are not net's. */
double gp_regularization_cost(const gp_network *net, const gp_regularization *reg,
                              size_t n);
int gp_regularization_gradient(const gp_network *net, const gp_regularization *reg,
                               size_t n, gp_gradient *grad);

/* Total cost C = (1/n) sum_x C_x + regularisation over the columns of X (any number;
 * processed max_batch at a time). C_x is the cost's stable fn_z. GSL_EINVAL for a NULL
 * argument (reg may be NULL), GSL_EDOM for a bad regularisation strength, GSL_EBADLEN
 * for X and Y without the same, non-zero number of columns or shapes as
 * gp_feedforward; else the output activation's status. */
int gp_total_cost(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                  const gp_regularization *reg, gp_backprop_workspace *w, double *cost);
/* Its gradient: mean of per-sample gradients plus the regularisation gradient. Codes
 * as gp_total_cost and gp_backprop_batch. */
int gp_total_gradient(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, gp_backprop_workspace *w,
                      gp_gradient *grad);

#ifdef __cplusplus
}
#endif
#endif
