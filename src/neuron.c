/* neuron.c: the single sigmoid neuron's closed-form gradients (SPEC "Costs"). */
#include <config.h>

#include <math.h>

#include <gsl/gsl_blas.h>

#include "internal.h"

static int neuron_check(const gp_cost_type *cost, const gsl_vector *w,
                        const gsl_matrix *X, const gsl_vector *y) {
    if (cost == NULL || cost->output != GP_OUTPUT_SIGMOID)
        GSL_ERROR("single-neuron formulas need a sigmoid-output cost", GSL_EINVAL);
    GPI_CHECK_LEN(w->size, X->size1);
    GPI_CHECK_LEN(X->size2, y->size);
    if (y->size == 0)
        GSL_ERROR("no samples", GSL_EBADLEN);
    return GSL_SUCCESS;
}

/* z = w.x + b for sample i (column i of X). */
static double neuron_z(const gsl_vector *w, double b, const gsl_matrix *X, size_t i) {
    gsl_vector_const_view x = gsl_matrix_const_column(X, i);
    double z;
    gsl_blas_ddot(w, &x.vector, &z);
    return z + b;
}

int gp_neuron_gradient(const gp_cost_type *cost, const gsl_vector *w, double b,
                       const gsl_matrix *X, const gsl_vector *y, gsl_vector *dw,
                       double *db) {
    GPI_NONNULL(cost, GSL_EINVAL);
    GPI_NONNULL(w, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(y, GSL_EINVAL);
    GPI_NONNULL(dw, GSL_EINVAL);
    GPI_NONNULL(db, GSL_EINVAL);
    int status = neuron_check(cost, w, X, y);
    if (status)
        return status;
    GPI_CHECK_LEN(w->size, dw->size);
    size_t n = y->size;
    int xent = cost == &gp_cost_cross_entropy;
    gsl_vector_set_zero(dw);
    double sb = 0;
    for (size_t i = 0; i < n; i++) {
        double z = neuron_z(w, b, X, i), a = gp_sigmoid(z), yi = gsl_vector_get(y, i);
        /* Cross-entropy: dC_x/dz = sigma(z) - y, the sigma'(z) of the chain rule having
         * cancelled [61,62]; quadratic: dC_x/dz = (a - y) sigma'(z) [55,56]. Then
         * dz/dw_j = x_j and dz/db = 1. proofs/Neuron.v neuron_xent_batch_dCdw,
         * neuron_xent_batch_dCdb, neuron_quad_batch_dCdw, neuron_quad_batch_dCdb. */
        double dz = xent ? a - yi : (a - yi) * gp_sigmoid_prime(z);
        gsl_vector_const_view x = gsl_matrix_const_column(X, i);
        gsl_blas_daxpy(dz / (double)n, &x.vector, dw);
        sb += dz;
    }
    *db = sb / (double)n;
    return GSL_SUCCESS;
}

int gp_neuron_cost(const gp_cost_type *cost, const gsl_vector *w, double b,
                   const gsl_matrix *X, const gsl_vector *y, double *cost_out) {
    GPI_NONNULL(cost, GSL_EINVAL);
    GPI_NONNULL(w, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(y, GSL_EINVAL);
    GPI_NONNULL(cost_out, GSL_EINVAL);
    int status = neuron_check(cost, w, X, y);
    if (status)
        return status;
    double s = 0;
    for (size_t i = 0; i < y->size; i++) {
        double z = neuron_z(w, b, X, i);
        gsl_vector_const_view zv = gsl_vector_const_view_array(&z, 1);
        gsl_vector_const_view yv = gsl_vector_const_subvector(y, i, 1);
        s += cost->fn_z(&zv.vector, &yv.vector);
    }
    *cost_out = s / (double)y->size;
    return GSL_SUCCESS;
}
