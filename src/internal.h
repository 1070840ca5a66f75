/* internal.h: helpers shared between the library's .c files; not installed.
 * Non-static helpers use the gpi_ prefix so the export regex ^gp_ hides them. */
#ifndef GRADPROOF_INTERNAL_H
#define GRADPROOF_INTERNAL_H

#include <gradproof/gradproof.h>
#include <gsl/gsl_errno.h>

/* Raise GSL_EBADLEN unless the two sizes agree. */
#define GPI_CHECK_LEN(n1, n2)                                                            \
    do {                                                                                 \
        if ((n1) != (n2))                                                                \
            GSL_ERROR("vector or matrix lengths differ", GSL_EBADLEN);                   \
    } while (0)

/* Per-sample cost C_x of network output column i (stable fn_z form). */
double gpi_cost_column(const gp_cost_type *cost, const gsl_matrix *Z, const gsl_matrix *Y,
                       size_t i);

/* The backward pass accumulating into T (see backprop.c): T.W = beta_w T.W + alpha
 * sum_x dC_x/dW, T.b = beta_b T.b + alpha sum_x dC_x/db, after T.W -= shrink sgn(T.W).
 * rows: X holds samples as rows. */
int gpi_backprop_accumulate(const gp_network *net, const gsl_matrix *X, int rows,
                            const gsl_matrix *Y, gp_backprop_workspace *w, gp_params *T,
                            double alpha, double beta_w, double beta_b, double shrink);

/* The 5-point numerical derivative for a precision: gsl_deriv_central for float64, the
 * same algorithm with FLT_EPSILON in its rounding estimate for float32. */
#include <gsl/gsl_math.h>
void gpi_deriv(const gsl_function *f, double x, const gp_fcheck_opts *opts,
               double *result, double *abserr);

/* The phases of gpi_backprop_accumulate (see backprop.c), for a trainer that splits
 * layer 1 between threads by rows. gpi_step_check validates the shapes and sets w->m;
 * then gpi_step_layer1_forward for every row range of layer 1 (the whole layer when
 * L == 1: the output activation needs whole columns), gpi_step_upper once, and
 * gpi_step_layer1_update for every row range. */
int gpi_step_check(const gp_network *net, const gsl_matrix *X, int rows,
                   const gsl_matrix *Y, gp_backprop_workspace *w, const gp_params *T);
int gpi_step_layer1_forward(const gp_network *net, const gsl_matrix *X, int rows,
                            gp_backprop_workspace *w, size_t r0, size_t r1);
int gpi_step_upper(const gp_network *net, const gsl_matrix *Y, gp_backprop_workspace *w,
                   gp_params *T, double alpha, double beta_w, double beta_b,
                   double shrink);
void gpi_step_layer1_update(const gp_network *net, const gsl_matrix *X, int rows,
                            gp_backprop_workspace *w, gp_params *T, double alpha,
                            double beta_w, double beta_b, double shrink, size_t r0,
                            size_t r1);
/* alpha, beta_w (the decay 1 - eta lambda/n) and shrink of one SGD step on m samples
 * (gp_sgd_step's arguments, checked the same way). */
int gpi_sgd_coefficients(const gp_sgd_params *p, size_t m, double *alpha, double *decay,
                         double *shrink);

#endif
