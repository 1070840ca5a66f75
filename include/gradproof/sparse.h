/* gradproof/sparse.h: mini-batch SGD for sparse inputs (most MNIST pixels are 0).
 *
 * Only layer 1 sees the input, and the gradient of W^1_{rj} is 0 where x_j = 0, so its
 * sums need only the non-zero inputs. A gp_sparse_sgd holds its own copy of W^1 and b^1
 * in a layout fit for that while it trains; layers 2..L are the network's own. One step
 * is the same update as gp_sgd_step on the dense batch, equal to rounding (the sums run
 * in another order), and the same on every run to the bit. */
#ifndef GRADPROOF_SPARSE_H
#define GRADPROOF_SPARSE_H

#include <gradproof/sgd.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A mini-batch of m sparse inputs: sample i has the value value[k] at input index[k]
 * for start[i] <= k < start[i+1], every other input 0. Indices are < n_0 and distinct
 * within a sample, in any order. Entries whose value is 0 are allowed. */
typedef struct {
    size_t m;
    const size_t *start;   /* m + 1 non-decreasing offsets into index and value */
    const uint32_t *index; /* input indices, at least start[m] of them */
    const double *value;   /* their values */
} gp_sparse_batch;

/* The non-zero bytes of x[0..dim-1] as a sparse input: their positions j in increasing
 * order into index and x_j/255 (correctly rounded, as numpy's x / 255.0: the scaling
 * of MNIST pixels) into value. Returns how many; both arrays need room for dim (0 with
 * GSL_EINVAL raised if x, index or value is NULL). */
size_t gp_sparse_from_bytes(const uint8_t *x, size_t dim, uint32_t *index, double *value);

/* SGD state for one network: the network (borrowed, updated in place) and its own
 * copies of W^1 and b^1. While it exists those copies are the true layer 1: call
 * gp_sparse_sgd_sync before reading net's W^1 or b^1, and gp_sparse_sgd_reload after
 * changing them. Layers 2..L are the network's own. Opaque. */
typedef struct gp_sparse_sgd gp_sparse_sgd;

/* State for net and batches of up to max_batch samples, with W^1 copied in. NULL with
 * GSL_EINVAL for max_batch 0 or above GP_MAX_WIDTH (the workspace's limit), GSL_ENOMEM
 * when memory runs out. */
gp_sparse_sgd *gp_sparse_sgd_alloc(gp_network *net, size_t max_batch);
void gp_sparse_sgd_free(gp_sparse_sgd *s);

/* One step of gp_sgd_step on the batch X (Y is n_L x m, one column per sample):
 *   W <- (1 - eta lambda/n) W - (eta l1/n) sgn(W) - (eta/m) sum_x dC_x/dW,
 *   b <- b - (eta/m) sum_x dC_x/db,
 * every gradient taken at the old parameters. GSL_EDOM for the parameters gp_sgd_step
 * refuses; GSL_EBADLEN for an empty or too large batch, Y of the wrong shape, or
 * offsets that are not non-decreasing; GSL_EINVAL for an index >= n_0. Nothing changes
 * on error. */
int gp_sparse_sgd_step(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Y,
                       const gp_sgd_params *p);

/* The forward pass alone (z^l and a^l of every layer, for the m samples of X, in the
 * workspace; no f'): gp_feedforward for sparse inputs, equal to it to rounding.
 * GSL_EBADLEN, GSL_EINVAL as gp_sparse_sgd_step for a bad batch. */
int gp_sparse_feedforward(gp_sparse_sgd *s, const gp_sparse_batch *X);

/* The same step and forward pass for a dense batch: X is m x n_0, one sample per row
 * (gp_backprop_batch_rows' layout). Every input enters layer 1's sums, blocked over the
 * batch so that each weight is read once per few samples: faster than the sparse sums
 * on images with more than about a third of their pixels non-zero (README, "Dense
 * inputs"). Equal to gp_sgd_step to rounding; BP4 adds the same terms as
 * gp_sparse_sgd_step in the same order. GSL_EBADLEN when X has not n_0 columns or the
 * batch is empty or too large; the rest as above. */
int gp_sparse_sgd_step_rows(gp_sparse_sgd *s, const gsl_matrix *X, const gsl_matrix *Y,
                            const gp_sgd_params *p);
int gp_sparse_feedforward_rows(gp_sparse_sgd *s, const gsl_matrix *X);

/* net's W^1 and b^1 <- the copies, and the reverse. */
void gp_sparse_sgd_sync(gp_sparse_sgd *s);
void gp_sparse_sgd_reload(gp_sparse_sgd *s);

/* The workspace of the last step (z, a and delta of every layer; do not free). */
const gp_backprop_workspace *gp_sparse_sgd_workspace(const gp_sparse_sgd *s);

#ifdef __cplusplus
}
#endif
#endif
