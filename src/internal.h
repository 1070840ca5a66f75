/* internal.h: helpers shared between the library's .c files; not installed.
 * Non-static helpers use the gpi_ prefix so the export regex ^gp_ hides them. */
#ifndef GRADPROOF_INTERNAL_H
#define GRADPROOF_INTERNAL_H

#include <gradproof/gradproof.h>
#include <gsl/gsl_errno.h>

/* sigma(z_i) into a_i and, if sp is not NULL, sigma'(z_i) into sp_i, for n contiguous
 * values: gp_sigmoid's formulas, on eight at a time with libmvec's exp in the AVX-512
 * variant (then within a few ulp of gp_sigmoid). */
void gpi_sigmoid_n(const double *z, double *a, double *sp, size_t n);
/* The SIMD variant of the kernels that runs (cpu.c): AVX-512 F/BW/VL/DQ with FMA,
 * AVX2 with FMA, or the baseline instruction set. */
typedef enum { GPI_SIMD_BASELINE, GPI_SIMD_AVX2, GPI_SIMD_AVX512 } gpi_simd;
gpi_simd gpi_simd_level(void);

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
/* The derivative of a checked function along coordinate coord, by gpi_deriv. */
typedef int (*gpi_coord_deriv)(void *ctx, size_t coord, const gp_fcheck_opts *opts,
                               double *result, double *abserr);
/* The engine's one loop (gradcheck.c): numerical derivatives at indices idx[0..k) of
 * tensor t (idx NULL: 0..k-1), then the tensor's scale, then each verdict of
 * analytic[offset + index] by gp_fcheck_add. */
int gpi_check_tensor(gp_fcheck_report *r, const gp_fcheck_opts *opts, size_t t,
                     const size_t *idx, size_t k, const gsl_vector *analytic,
                     gpi_coord_deriv deriv, void *ctx);
/* The initial step for parameter w: h, or |w|/4 for a weight under L1, so that the
 * stencil (which reaches w +- h) stays on one side of the kink of |w| at 0. */
double gpi_l1_step(double h, double w, int is_w, const gp_regularization *reg);

/* The middle phase of gpi_backprop_accumulate (see backprop.c), shared with the
 * sparse step: with z^1, a^1, sigma'(z^1) of the m = w->m samples in the workspace,
 * layers 2..L forward, BP1, BP2 down to delta^1, and the updates of layers 2..L. */
int gpi_step_upper(const gp_network *net, const gsl_matrix *Y, gp_backprop_workspace *w,
                   gp_params *T, double alpha, double beta_w, double beta_b,
                   double shrink);
/* The forward pass of layers 2..L over the first m columns, a^1 given (no sigma'). */
int gpi_forward_upper(const gp_network *net, gp_backprop_workspace *w, size_t m);
/* a^l = sigma(z^l) and, if want_sp, sigma'(z^l) for rows [r0, r1) of a hidden layer
 * l < L, or the cost's output activation for l = L (then r0 = 0, r1 = n_L: softmax
 * needs whole columns), over the first m columns of the workspace. */
int gpi_activate_rows(const gp_network *net, size_t l, size_t m, int want_sp,
                      gp_backprop_workspace *w, size_t r0, size_t r1);

/* Sparse-input SGD (sparse.c), in the phases of gpi_backprop_accumulate so that the
 * trainer can split layer 1 between threads by rows; r0 and r1 are multiples of
 * GPI_SPARSE_PANEL or n_1. gpi_sparse_check validates the batch and sets w->m. */
#include <gradproof/sparse.h>
#define GPI_SPARSE_PANEL 16 /* rows of layer 1 per contiguous block of W^1 */
int gpi_sparse_check(gp_sparse_sgd *s, const gp_sparse_batch *X, const gsl_matrix *Y);
int gpi_sparse_forward(gp_sparse_sgd *s, const gp_sparse_batch *X, size_t r0, size_t r1,
                       int want_sp);
/* A sparse object for forward passes of a network it may not change
 * (gp_sparse_feedforward; gp_sparse_sgd_step refuses it, sync does nothing). */
gp_sparse_sgd *gpi_sparse_alloc_const(const gp_network *net, size_t max_batch);
int gpi_sparse_upper(gp_sparse_sgd *s, const gsl_matrix *Y, double alpha, double decay,
                     double shrink);
void gpi_sparse_update(gp_sparse_sgd *s, const gp_sparse_batch *X, double alpha,
                       double decay, double shrink, size_t r0, size_t r1);

/* alpha, beta_w (the decay 1 - eta lambda/n) and shrink of one SGD step on m samples
 * (gp_sgd_step's arguments, checked the same way). */
int gpi_sgd_coefficients(const gp_sgd_params *p, size_t m, double *alpha, double *decay,
                         double *shrink);

#endif
