/* sgd.c: the one SGD step (network2.py update_mini_batch) and its parameters. The
 * phases are described in internal.h; backprop.c holds the layers' arithmetic and the
 * dense layer-1 backend, sparse.c the sparse one, train.c runs a step on two threads. */
#include <config.h>

#include <math.h>

#include "internal.h"

int gp_sgd_params_check(const gp_sgd_params *p, size_t m) {
    if (p == NULL || !(p->eta > 0) || !isfinite(p->eta) || p->n == 0)
        GSL_ERROR("SGD needs eta > 0 (finite) and n > 0", GSL_EDOM);
    int status = gpi_reg_check(p->lambda, p->l1);
    if (status)
        return status;
    /* The L2 step multiplies W by 1 - eta lambda/n, which must stay positive: at 0 the
     * weights would be wiped out, below it their signs flipped every step. */
    if (!(1.0 - p->eta * p->lambda / (double)p->n > 0))
        GSL_ERROR("eta lambda / n must be below 1", GSL_EDOM);
    if (m == 0)
        GSL_ERROR("empty batch", GSL_EBADLEN);
    return GSL_SUCCESS;
}

int gpi_sgd_coefficients(const gp_sgd_params *p, size_t m, double *alpha, double *decay,
                         double *shrink) {
    int status = gp_sgd_params_check(p, m);
    if (status)
        return status;
    *decay = 1.0 - p->eta * p->lambda / (double)p->n;
    *alpha = -p->eta / (double)m;
    /* the L1 step eta l1/n sgn(W), taken before the scaling by decay, so divided by it;
     * decay (w - shrink sgn w) + alpha S = w - eta dJ/dw (proofs/Regularization.v
     * sgd_fused_weight_update; the sparse path's order: proofs/Regularization.v
     * sgd_sparse_step_any_depth) */
    *shrink = p->eta * p->l1 / (double)p->n / *decay;
    return GSL_SUCCESS;
}

int gpi_step_run(const gpi_step *st, size_t r0, size_t r1, int lead,
                 const gpi_handoff *h) {
    int status = st->layer1->forward(st, r0, r1);
    if (status)
        return status;
    if (lead) {
        /* An abandoned step follows an error already raised where it happened. */
        if (h && !h->wait(h->ctx, GPI_FORWARDED))
            return GSL_EFAILED;
        if ((status = gpi_step_upper(st)))
            return status;
        if (h)
            h->post(h->ctx, GPI_DELTA1);
    } else {
        h->post(h->ctx, GPI_FORWARDED);
        if (h->between)
            h->between(h->ctx);
        if (!h->wait(h->ctx, GPI_DELTA1))
            return GSL_EFAILED;
    }
    st->layer1->update(st, r0, r1);
    return GSL_SUCCESS;
}

int gp_sgd_step(gp_network *net, const gsl_matrix *X, int rows, const gsl_matrix *Y,
                const gp_sgd_params *p, gp_backprop_workspace *w) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(X, GSL_EINVAL);
    GPI_NONNULL(Y, GSL_EINVAL);
    GPI_NONNULL(p, GSL_EINVAL);
    GPI_NONNULL(w, GSL_EINVAL);
    gpi_step st;
    double alpha, decay, shrink;
    int status =
        gpi_sgd_coefficients(p, rows ? X->size1 : X->size2, &alpha, &decay, &shrink);
    if (!status)
        status = gpi_step_dense(&st, net, X, rows, Y, w, &net->p);
    if (status)
        return status;
    st.alpha = alpha, st.beta_w = decay, st.beta_b = 1.0, st.shrink = shrink;
    return gpi_step_run(&st, 0, net->p.sizes[1], 1, NULL);
}
