/* gradproof/neuron.h: a single sigmoid neuron, z = w.x + b, a = sigma(z) (SPEC "Costs").
 * The closed forms of the book's chapter 3, written out on their own so that they can
 * be checked against backpropagation and against numerical derivatives. */
#ifndef GRADPROOF_NEURON_H
#define GRADPROOF_NEURON_H

#include <gradproof/cost.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gradient of C = (1/n) sum_x C_x over the n columns of X (n_in x n), targets y (n):
 *   cross-entropy [61,62]: dC/dw_j = (1/n) sum_x x_j (sigma(z) - y),
 *                          dC/db = (1/n) sum_x (sigma(z) - y);
 *   quadratic [55,56]:     dC/dw_j = (1/n) sum_x (a - y) sigma'(z) x_j,
 *                          dC/db = (1/n) sum_x (a - y) sigma'(z).
 * GSL_EINVAL for costs whose output is not a sigmoid; GSL_EBADLEN on mismatched sizes.
 */
int gp_neuron_gradient(const gp_cost_type *cost, const gsl_vector *w, double b,
                       const gsl_matrix *X, const gsl_vector *y, gsl_vector *dw,
                       double *db);
/* C = (1/n) sum_x C_x for the same neuron (the cost's stable fn_z). */
int gp_neuron_cost(const gp_cost_type *cost, const gsl_vector *w, double b,
                   const gsl_matrix *X, const gsl_vector *y, double *cost_out);

#ifdef __cplusplus
}
#endif
#endif
