/* backprop.c: feedforward and backpropagation in matrix form, samples as columns
 * (SPEC "Backpropagation"; the book's equations BP1-BP4, proved in proofs/Backprop.v,
 * for a network with one hidden layer of any width): the layers' arithmetic of the step
 * engine (internal.h, sgd.c), its dense layer-1 backend, and the batch gradient and total
 * cost built on them. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>

#include "internal.h"

void *gpi_line_alloc(size_t n) {
    return aligned_alloc(64, (n + 63) / 64 * 64);
}

/* A block with room to shift the start to a cache line. Rows that two threads share
 * out in multiples of 16 (16 m doubles: whole cache lines) then never meet on one
 * line. */
gsl_matrix *gpi_aligned_matrix(size_t n, size_t m) {
    gsl_block *b = gsl_block_alloc(n * m + 8);
    if (b == NULL)
        return NULL;
    size_t shift = (64 - (uintptr_t)b->data % 64) % 64 / sizeof(double);
    gsl_matrix *M = gsl_matrix_alloc_from_block(b, shift, n, m, m);
    if (M == NULL) {
        gsl_block_free(b);
        return NULL;
    }
    M->owner = 1; /* gsl_matrix_free frees the block */
    return M;
}

gp_backprop_workspace *gp_backprop_workspace_alloc(const gp_network *net,
                                                   size_t max_batch) {
    if (max_batch == 0 || max_batch > GP_MAX_WIDTH)
        GSL_ERROR_NULL("batch size must be between 1 and GP_MAX_WIDTH", GSL_EINVAL);
    if (net == NULL) /* as gp_gradient_alloc */
        GSL_ERROR_NULL("a workspace needs a network", GSL_EINVAL);
    gp_backprop_workspace *w = calloc(1, sizeof *w);
    if (!w)
        GSL_ERROR_NULL("out of memory for workspace", GSL_ENOMEM);
    w->L = net->p.L;
    w->max_batch = max_batch;
    w->z = calloc(w->L, sizeof *w->z);
    w->a = calloc(w->L, sizeof *w->a);
    w->delta = calloc(w->L, sizeof *w->delta);
    w->sp = calloc(w->L, sizeof *w->sp);
    w->ones = gsl_vector_alloc(max_batch);
    if (!w->z || !w->a || !w->delta || !w->sp || !w->ones)
        goto fail;
    gsl_vector_set_all(w->ones, 1.0);
    for (size_t l = 1; l <= w->L; l++) {
        size_t n = net->p.sizes[l];
        if (n > SIZE_MAX / sizeof(double) / max_batch)
            goto fail;
        w->z[l - 1] = gpi_aligned_matrix(n, max_batch);
        w->a[l - 1] = gpi_aligned_matrix(n, max_batch);
        w->delta[l - 1] = gpi_aligned_matrix(n, max_batch);
        if (!w->z[l - 1] || !w->a[l - 1] || !w->delta[l - 1])
            goto fail;
        if (l < w->L && !(w->sp[l - 1] = gpi_aligned_matrix(n, max_batch)))
            goto fail;
    }
    return w;
fail:
    gp_backprop_workspace_free(w);
    GSL_ERROR_NULL("out of memory for workspace", GSL_ENOMEM);
}

void gp_backprop_workspace_free(gp_backprop_workspace *w) {
    if (w == NULL)
        return;
    for (size_t l = 0; l < w->L; l++) {
        if (w->z)
            gsl_matrix_free(w->z[l]);
        if (w->a)
            gsl_matrix_free(w->a[l]);
        if (w->delta)
            gsl_matrix_free(w->delta[l]);
        if (w->sp)
            gsl_matrix_free(w->sp[l]);
    }
    free(w->sp);
    free(w->z);
    free(w->a);
    free(w->delta);
    gsl_vector_free(w->ones);
    free(w);
}

/* First m columns of a workspace matrix. */
static gsl_matrix_view cols(gsl_matrix *M, size_t m) {
    return gsl_matrix_submatrix(M, 0, 0, M->size1, m);
}

/* Input as a matrix with samples as columns, given as columns (rows == 0) or rows. */
static int input_shape(const gp_network *net, const gsl_matrix *X, int rows,
                       const gp_backprop_workspace *w, size_t *m) {
    if (!net || !X || !w)
        GSL_ERROR("a network, a batch X and a workspace are required", GSL_EINVAL);
    size_t n0 = rows ? X->size2 : X->size1;
    *m = rows ? X->size1 : X->size2;
    if (w->L != net->p.L)
        GSL_ERROR("workspace does not match the network", GSL_EBADLEN);
    /* another network's workspace of the same depth would be indexed with this one's
     * widths: written out of bounds, or read as a silently wrong gradient */
    for (size_t l = 1; l <= w->L; l++)
        if (w->z[l - 1]->size1 != net->p.sizes[l])
            GSL_ERROR("workspace does not match the network", GSL_EBADLEN);
    if (n0 != net->p.sizes[0])
        GSL_ERROR("input size differs from the network's n_0", GSL_EBADLEN);
    if (*m == 0 || *m > w->max_batch)
        GSL_ERROR("batch is empty or larger than the workspace", GSL_EBADLEN);
    return GSL_SUCCESS;
}

/* Layer l of the forward pass for the m samples of the batch, rows [r0, r1) only:
 * z^l = W^l a^{l-1} + b^l, then gpi_activate_rows (SPEC "Network"). One dgemm for the
 * whole batch; rows of one layer depend on nothing but their own rows of W^l and b^l.
 * Layer 1 reads the dense input X (samples as columns, or as rows when `rows`). */
static int forward_layer(const gp_network *net, size_t l, const gsl_matrix *X, int rows,
                         size_t m, int want_sp, gp_backprop_workspace *w, size_t r0,
                         size_t r1) {
    size_t h = r1 - r0;
    if (h == 0)
        return GSL_SUCCESS;
    gsl_matrix_view Z = gsl_matrix_submatrix(w->z[l - 1], r0, 0, h, m);
    gsl_matrix_const_view W =
        gsl_matrix_const_submatrix(net->p.w[l - 1], r0, 0, h, net->p.w[l - 1]->size2);
    if (l == 1)
        gpi_dgemm(CblasNoTrans, rows ? CblasTrans : CblasNoTrans, 1.0, &W.matrix, X, 0.0,
                  &Z.matrix);
    else {
        gsl_matrix_view Aprev = cols(w->a[l - 2], m);
        gpi_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &W.matrix, &Aprev.matrix, 0.0,
                  &Z.matrix);
    }
    for (size_t j = 0; j < h; j++) {
        double bj = gsl_vector_get(net->p.b[l - 1], r0 + j),
               *zr = Z.matrix.data + j * Z.matrix.tda;
        for (size_t i = 0; i < m; i++)
            zr[i] += bj;
    }
    return gpi_activate_rows(net, l, m, want_sp, w, r0, r1);
}

/* The one place where a layer's activation is applied. A hidden layer's rows are
 * contiguous, so the network's activation object takes them in its batch form f_n,
 * which gives f'(z) (for BP2) from the same evaluation; the output layer's activation
 * is the cost object's. */
int gpi_activate_rows(const gp_network *net, size_t l, size_t m, int want_sp,
                      gp_backprop_workspace *w, size_t r0, size_t r1) {
    size_t h = r1 - r0;
    gsl_matrix_view Z = gsl_matrix_submatrix(w->z[l - 1], r0, 0, h, m);
    gsl_matrix_view A = gsl_matrix_submatrix(w->a[l - 1], r0, 0, h, m);
    if (l < net->p.L) {
        const gp_activation *act = &net->act[l - 1];
        gsl_matrix_view S = gsl_matrix_submatrix(w->sp[l - 1], r0, 0, h, m);
        /* A full batch (m = max_batch, the trainer's case) makes the rows one block:
         * one call, whole vectors (element-wise, so the same values either way). */
        if (Z.matrix.tda == m && A.matrix.tda == m && S.matrix.tda == m) {
            act->f_n(act, Z.matrix.data, A.matrix.data, want_sp ? S.matrix.data : NULL,
                     h * m);
            return GSL_SUCCESS;
        }
        for (size_t j = 0; j < h; j++)
            act->f_n(act, Z.matrix.data + j * Z.matrix.tda,
                     A.matrix.data + j * A.matrix.tda,
                     want_sp ? S.matrix.data + j * S.matrix.tda : NULL, m);
        return GSL_SUCCESS;
    }
    return gp_activate_matrix(net->cost->output, &Z.matrix, &A.matrix);
}

int gpi_forward_upper(const gp_network *net, gp_backprop_workspace *w, size_t m) {
    int status = GSL_SUCCESS;
    w->m = m;
    for (size_t l = 2; l <= net->p.L && !status; l++)
        status = forward_layer(net, l, NULL, 0, m, 0, w, 0, net->p.sizes[l]);
    return status;
}

int gp_feedforward(const gp_network *net, const gsl_matrix *X, gp_backprop_workspace *w) {
    size_t m;
    int status = input_shape(net, X, 0, w, &m);
    if (status)
        return status;
    status = forward_layer(net, 1, X, 0, m, 0, w, 0, net->p.sizes[1]);
    return status ? status : gpi_forward_upper(net, w, m);
}

/* W^l <- beta_w (W^l - shrink sgn W^l) + alpha delta^l (a^{l-1})^T and b^l <- beta_b b^l
 * + alpha delta^l 1 for rows [r0, r1) (BP4, BP3; proofs/Backprop.v bp4_hidden_weight,
 * bp4_output_weight, bp3_hidden_bias, bp3_output_bias), summed over the batch by one
 * dgemm and one dgemv; the batch cost's gradient is the mean
 * (minibatch_gradient_is_mean). Any depth: proofs/Deep.v bp4_weight_any_depth,
 * bp3_bias_any_depth; all parameters at once: proofs/Joint.v backprop_joint_gradient,
 * and the total cost is Frechet in all of them: proofs/DeepFrechet.v backprop_frechet.
 * The fused decay, shrink and batch term are w - eta dJ/dw: proofs/Regularization.v
 * sgd_fused_weight_update, sgd_step_any_depth; its rounding error (dgemm's beta W +
 * alpha D A^T, left-to-right sums): proofs/FloatStep.v sgd_step_fl_any_depth, and with
 * the L1 shrink first proofs/FloatStep.v sgd_step_l1_fl_error.
 * Layer 1 reads the dense input X. */
static void update_layer(const gpi_step *st, size_t l, size_t r0, size_t r1) {
    size_t h = r1 - r0, m = st->m;
    gp_params *T = st->T;
    if (h == 0)
        return;
    gsl_matrix_view TW = gsl_matrix_submatrix(T->w[l - 1], r0, 0, h, T->w[l - 1]->size2);
    gsl_vector_view Tb = gsl_vector_subvector(T->b[l - 1], r0, h);
    gsl_matrix_view D = gsl_matrix_submatrix(st->w->delta[l - 1], r0, 0, h, m);
    gsl_vector_const_view ones = gsl_vector_const_subvector(st->w->ones, 0, m);
    if (st->shrink != 0)
        for (size_t j = 0; j < h; j++)
            for (size_t k = 0; k < TW.matrix.size2; k++) {
                double *x = gsl_matrix_ptr(&TW.matrix, j, k);
                *x -= st->shrink * ((*x > 0) - (*x < 0));
            }
    if (l == 1)
        gpi_dgemm(CblasNoTrans, st->rows ? CblasNoTrans : CblasTrans, st->alpha,
                  &D.matrix, st->X, st->beta_w, &TW.matrix);
    else {
        gsl_matrix_view Ap = cols(st->w->a[l - 2], m);
        gpi_dgemm(CblasNoTrans, CblasTrans, st->alpha, &D.matrix, &Ap.matrix, st->beta_w,
                  &TW.matrix);
    }
    gsl_blas_dgemv(CblasNoTrans, st->alpha, &D.matrix, &ones.vector, st->beta_b,
                   &Tb.vector);
}

/* BP1: delta^L = dC_x/dz^L, by the cost object, one sample at a time. */
static int output_error(const gp_network *net, const gsl_matrix *Y,
                        gp_backprop_workspace *w, size_t m) {
    size_t L = net->p.L;
    for (size_t i = 0; i < m; i++) {
        gsl_vector_const_view z = gsl_matrix_const_column(w->z[L - 1], i);
        gsl_vector_const_view a = gsl_matrix_const_column(w->a[L - 1], i);
        gsl_vector_const_view y = gsl_matrix_const_column(Y, i);
        gsl_vector_view d = gsl_matrix_column(w->delta[L - 1], i);
        int status = net->cost->delta(&z.vector, &a.vector, &y.vector, &d.vector);
        if (status)
            return status;
    }
    return GSL_SUCCESS;
}

/* BP2: delta^{l-1} = ((W^l)^T delta^l) ⊙ f'(z^{l-1}), with f'(z^{l-1}) as the forward
 * pass left it in w->sp (the hidden activation's batch form); proofs/Backprop.v
 * bp2_hidden_error; any depth, any activation differentiable at z^{l-1}:
 * proofs/Activations.v bp2_any_activation. */
static void hidden_error(const gp_network *net, size_t l, gp_backprop_workspace *w,
                         size_t m) {
    gsl_matrix_view D = cols(w->delta[l - 1], m);
    gsl_matrix_view Dp = cols(w->delta[l - 2], m), Sp = cols(w->sp[l - 2], m);
    gpi_dgemm(CblasTrans, CblasNoTrans, 1.0, net->p.w[l - 1], &D.matrix, 0.0, &Dp.matrix);
    for (size_t j = 0; j < Dp.matrix.size1; j++) {
        double *dr = Dp.matrix.data + j * Dp.matrix.tda;
        const double *sr = Sp.matrix.data + j * Sp.matrix.tda;
        for (size_t i = 0; i < m; i++)
            dr[i] *= sr[i];
    }
}

/* Layers 2..L of one step: BP1 for any cost with a gradient (proofs/Deep.v
 * bp1_output_error_any_cost), BP2 at any depth (proofs/Deep.v
 * bp2_hidden_error_any_depth), and the updates of update_layer. */
int gpi_step_upper(const gpi_step *st) {
    const gp_network *net = st->net;
    size_t L = net->p.L, m = st->m;
    int status = GSL_SUCCESS;
    st->w->m = m;
    for (size_t l = 2; l <= L && !status; l++)
        status = forward_layer(net, l, NULL, 0, m, 1, st->w, 0, net->p.sizes[l]);
    if (!status)
        status = output_error(net, st->Y, st->w, m);
    /* delta^{l-1} is formed before W^l is written, so T may be the network itself */
    for (size_t l = L; l >= 2 && !status; l--) {
        hidden_error(net, l, st->w, m);
        update_layer(st, l, 0, net->p.sizes[l]);
    }
    return status;
}

/* ---- the dense layer-1 backend: X as a matrix, one dgemm each way ---- */

static int dense_forward(const gpi_step *st, size_t r0, size_t r1) {
    return forward_layer(st->net, 1, st->X, st->rows, st->m, 1, st->w, r0, r1);
}

static void dense_update(const gpi_step *st, size_t r0, size_t r1) {
    update_layer(st, 1, r0, r1);
}

static const gpi_layer1 layer1_dense = {dense_forward, dense_update};

/* GSL_EBADLEN unless T has net's layer sizes (a gradient or the network's own). */
static int grad_fits(const gp_network *net, const gp_params *T) {
    if (T->L != net->p.L)
        GSL_ERROR("gradient does not match the network", GSL_EBADLEN);
    for (size_t l = 0; l <= T->L; l++)
        if (T->sizes[l] != net->p.sizes[l])
            GSL_ERROR("gradient does not match the network", GSL_EBADLEN);
    return GSL_SUCCESS;
}

int gpi_step_dense(gpi_step *st, const gp_network *net, const gsl_matrix *X, int rows,
                   const gsl_matrix *Y, gp_backprop_workspace *w, gp_params *T) {
    size_t m;
    int status = input_shape(net, X, rows, w, &m);
    if (status)
        return status;
    if (!Y || !T)
        GSL_ERROR("targets Y and a gradient are required", GSL_EINVAL);
    if (Y->size1 != net->p.sizes[net->p.L] || Y->size2 != m)
        GSL_ERROR("targets must be n_L x m", GSL_EBADLEN);
    if ((status = grad_fits(net, T)))
        return status;
    *st = (gpi_step){.layer1 = &layer1_dense,
                     .net = net,
                     .T = T,
                     .w = w,
                     .Y = Y,
                     .m = m,
                     .X = X,
                     .rows = rows};
    return GSL_SUCCESS;
}

/* The batch gradient: the step engine with T = grad, alpha = 1/m, beta = 0 (the batch
 * cost is the mean of C_x, so its gradient is the column mean). */
static int backprop_mean(const gp_network *net, const gsl_matrix *X, int rows,
                         const gsl_matrix *Y, gp_backprop_workspace *w,
                         gp_gradient *grad) {
    gpi_step st;
    int status = gpi_step_dense(&st, net, X, rows, Y, w, grad);
    if (status)
        return status;
    st.alpha = 1.0 / (double)st.m;
    return gpi_step_run(&st, 0, net->p.sizes[1], 1, NULL);
}

int gp_backprop_batch(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      gp_backprop_workspace *w, gp_gradient *grad) {
    return backprop_mean(net, X, 0, Y, w, grad);
}

int gp_backprop_batch_rows(const gp_network *net, const gsl_matrix *X,
                           const gsl_matrix *Y, gp_backprop_workspace *w,
                           gp_gradient *grad) {
    return backprop_mean(net, X, 1, Y, w, grad);
}

int gp_backprop(const gp_network *net, const gsl_vector *x, const gsl_vector *y,
                gp_backprop_workspace *w, gp_gradient *grad) {
    if (!x || !y)
        GSL_ERROR("a sample x and its target y are required", GSL_EINVAL);
    if (x->size == 0 || y->size == 0)
        GSL_ERROR("empty sample", GSL_EBADLEN);
    /* An n x 1 matrix whose row stride (tda) is the vector's stride, so that a column
     * of a data matrix (stride m) works as well as a contiguous vector. */
    gsl_matrix_const_view X =
        gsl_matrix_const_view_array_with_tda(x->data, x->size, 1, x->stride);
    gsl_matrix_const_view Y =
        gsl_matrix_const_view_array_with_tda(y->data, y->size, 1, y->stride);
    return gp_backprop_batch(net, &X.matrix, &Y.matrix, w, grad);
}

int gpi_reg_check(double lambda, double l1) {
    if (!(lambda >= 0) || !(l1 >= 0) || !isfinite(lambda) || !isfinite(l1))
        GSL_ERROR("regularisation strengths must be finite and >= 0", GSL_EDOM);
    return GSL_SUCCESS;
}

static int check_reg(const gp_regularization *reg) {
    return reg ? gpi_reg_check(reg->lambda, reg->l1) : GSL_SUCCESS;
}

/* L2: (lambda/2n) sum w^2; L1: (lambda_1/n) sum |w|. Biases are not regularised.
 * The regularised batch cost J of proofs/Regularization.v regularised_batch_gradient. */
double gp_regularization_cost(const gp_network *net, const gp_regularization *reg,
                              size_t n) {
    if (reg == NULL || (reg->lambda == 0 && reg->l1 == 0))
        return 0.0;
    if (net == NULL)
        GSL_ERROR_VAL("a regularisation term needs a network", GSL_EINVAL, NAN);
    if (check_reg(reg)) /* a negative strength gave a negative term */
        return NAN;
    size_t nn = reg->n ? reg->n : n;
    if (nn == 0)
        return NAN; /* no n to divide by: documented as undefined */
    double s2 = 0, s1 = 0;
    for (size_t l = 0; l < net->p.L; l++) {
        const gsl_matrix *W = net->p.w[l];
        for (size_t j = 0; j < W->size1; j++)
            for (size_t k = 0; k < W->size2; k++) {
                double x = gsl_matrix_get(W, j, k);
                s2 += x * x;
                s1 += fabs(x);
            }
    }
    return reg->lambda / (2.0 * (double)nn) * s2 + reg->l1 / (double)nn * s1;
}

/* d/dw of the terms above: (lambda/n) w + (lambda_1/n) sgn(w) (proofs/Regularization.v
 * l2_derivative, l1_derivative_away_from_0); sgn(0) = 0 is a subgradient of |w| at 0,
 * not a derivative (proofs/Regularization.v l1_subgradient_at_0). */
int gp_regularization_gradient(const gp_network *net, const gp_regularization *reg,
                               size_t n, gp_gradient *grad) {
    int status = check_reg(reg);
    if (!status && (!net || !grad))
        GSL_ERROR("a network and a gradient are required", GSL_EINVAL);
    if (!status) /* another layout would be written out of bounds */
        status = grad_fits(net, grad);
    if (status || reg == NULL || (reg->lambda == 0 && reg->l1 == 0))
        return status;
    size_t nn = reg->n ? reg->n : n;
    if (nn == 0)
        GSL_ERROR("regularisation needs n > 0", GSL_EINVAL);
    double c2 = reg->lambda / (double)nn, c1 = reg->l1 / (double)nn;
    for (size_t l = 0; l < net->p.L; l++) {
        const gsl_matrix *W = net->p.w[l];
        gsl_matrix *G = grad->w[l];
        for (size_t j = 0; j < W->size1; j++)
            for (size_t k = 0; k < W->size2; k++) {
                double x = gsl_matrix_get(W, j, k);
                double sgn = (x > 0) - (x < 0);
                *gsl_matrix_ptr(G, j, k) += c2 * x + c1 * sgn;
            }
    }
    return GSL_SUCCESS;
}

int gp_total_cost(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                  const gp_regularization *reg, gp_backprop_workspace *w, double *cost) {
    if (!net || !X || !Y || !w || !cost)
        GSL_ERROR("a network, X, Y, a workspace and *cost are required", GSL_EINVAL);
    size_t n = X->size2, L = net->p.L;
    int status = check_reg(reg);
    if (status)
        return status;
    if (n == 0 || Y->size2 != n || Y->size1 != net->p.sizes[L])
        GSL_ERROR("X and Y must have the same, non-zero number of columns", GSL_EBADLEN);
    double s = 0;
    for (size_t start = 0; start < n; start += w->max_batch) {
        size_t m = n - start < w->max_batch ? n - start : w->max_batch;
        gsl_matrix_const_view Xc = gsl_matrix_const_submatrix(X, 0, start, X->size1, m);
        gsl_matrix_const_view Yc = gsl_matrix_const_submatrix(Y, 0, start, Y->size1, m);
        status = gp_feedforward(net, &Xc.matrix, w);
        if (status)
            return status;
        for (size_t i = 0; i < m; i++)
            s += gpi_cost_column(net->cost, w->z[L - 1], &Yc.matrix, i);
    }
    *cost = s / (double)n + gp_regularization_cost(net, reg, n);
    return GSL_SUCCESS;
}

int gp_total_gradient(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, gp_backprop_workspace *w,
                      gp_gradient *grad) {
    if (!net || !X || !Y || !w || !grad)
        GSL_ERROR("a network, X, Y, a workspace and a gradient are required", GSL_EINVAL);
    size_t n = X->size2;
    int status = check_reg(reg);
    if (status)
        return status;
    if (n == 0 || Y->size2 != n)
        GSL_ERROR("X and Y must have the same, non-zero number of columns", GSL_EBADLEN);
    /* Sum chunk gradients with weight 1/n each: beta = 0 on the first chunk. */
    for (size_t start = 0; start < n; start += w->max_batch) {
        size_t m = n - start < w->max_batch ? n - start : w->max_batch;
        gsl_matrix_const_view Xc = gsl_matrix_const_submatrix(X, 0, start, X->size1, m);
        gsl_matrix_const_view Yc = gsl_matrix_const_submatrix(Y, 0, start, Y->size1, m);
        gpi_step st;
        status = gpi_step_dense(&st, net, &Xc.matrix, 0, &Yc.matrix, w, grad);
        if (status)
            return status;
        st.alpha = 1.0 / (double)n;
        st.beta_w = st.beta_b = start == 0 ? 0.0 : 1.0;
        if ((status = gpi_step_run(&st, 0, net->p.sizes[1], 1, NULL)))
            return status;
    }
    return gp_regularization_gradient(net, reg, n, grad);
}
