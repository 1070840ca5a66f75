/* check_train.c: the trainer (train.h): it learns, its SGD step is the numerical
 * gradient step, its epochs are shuffled permutations, and its stopping rules fire when
 * they should. */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#include "testutil.h"

/* ---- synthetic data ---- */

/* n samples of dim bytes in k classes: class c has pixels j with j % k == c around 170,
 * the others around 70, plus N(0, 70^2) noise clipped to 0..255. For k = 3 and dim = 24
 * the class means are 400 apart against noise 70 (d' = 5.7): a Bayes error near 0.5 %,
 * while one pixel alone is a poor guide. */
typedef struct {
    gp_dataset d;
    uint8_t *x, *labels;
} blobs;

static void blobs_make(blobs *b, size_t n, size_t dim, size_t k, unsigned long seed) {
    const double noise = 70;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    b->x = malloc(n * dim);
    b->labels = malloc(n);
    ck_assert(b->x && b->labels);
    for (size_t i = 0; i < n; i++) {
        size_t c = gsl_rng_uniform_int(r, k);
        b->labels[i] = (uint8_t)c;
        for (size_t j = 0; j < dim; j++) {
            double v = (j % k == c ? 170 : 70) + gsl_ran_gaussian(r, noise);
            b->x[i * dim + j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    }
    b->d = (gp_dataset){n, dim, b->x, b->labels};
    gsl_rng_free(r);
}

static void blobs_free(blobs *b) {
    free(b->x);
    free(b->labels);
}

/* The data set's inputs as columns (x/255) and one-hot targets, for gp_total_cost. */
static void dataset_columns(const gp_dataset *d, size_t n_out, gsl_matrix **X,
                            gsl_matrix **Y) {
    *X = gsl_matrix_alloc(d->dim, d->n);
    *Y = gsl_matrix_calloc(n_out, d->n);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->dim; j++)
            gsl_matrix_set(*X, j, i, d->x[i * d->dim + j] / 255.0);
        gsl_matrix_set(*Y, d->labels[i], i, 1.0);
    }
}

/* ---- Core ---- */

/* Each cost learns 3 noisy blobs to >= 95 % held-out accuracy in 10 epochs. */
static const struct {
    const gp_cost_type *cost;
    double eta;
} learners[] = {{&gp_cost_cross_entropy, 0.5},
                {&gp_cost_log_likelihood, 0.5},
                {&gp_cost_quadratic, 3.0},
                {&gp_cost_quadratic_linear, 0.05}};

START_TEST(test_trainer_learns_separable_blobs) {
    blobs tr, te;
    blobs_make(&tr, 600, 24, 3, 11);
    blobs_make(&te, 300, 24, 3, 12);
    size_t sizes[] = {24, 8, 3};
    gp_network *net = gp_network_alloc(3, sizes, learners[_i].cost);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 100 + _i);
    ck_assert_int_eq(gp_network_init(net, GP_INIT_DEFAULT, r), GSL_SUCCESS);
    gp_train_opts o;
    gp_train_opts_default(&o);
    o.eta = learners[_i].eta;
    gp_trainer *t = gp_trainer_alloc(net, &tr.d, &o);
    ck_assert_ptr_nonnull(t);
    gp_eval_result before, after;
    ck_assert_int_eq(gp_evaluate(net, &te.d, NULL, 0, GP_EVAL_COST, NULL, &before),
                     GSL_SUCCESS);
    for (int e = 0; e < 10; e++)
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    ck_assert_uint_eq(gp_trainer_epochs(t), 10);
    ck_assert_int_eq(gp_evaluate(net, &te.d, NULL, 0, GP_EVAL_COST, NULL, &after),
                     GSL_SUCCESS);
    ck_assert_uint_eq(after.n, 300);
    ck_assert_msg(after.correct >= 285, "%s: %zu/300 correct after 10 epochs",
                  learners[_i].cost->name, after.correct);
    ck_assert_msg(after.cost < before.cost, "%s: cost %g -> %g", learners[_i].cost->name,
                  before.cost, after.cost);
    gp_trainer_free(t);
    gp_network_free(net);
    gsl_rng_free(r);
    blobs_free(&tr);
    blobs_free(&te);
}
END_TEST

/* The fraction of data's pixels that are non-zero. */
static double density(const gp_dataset *d) {
    size_t nz = 0;
    for (size_t k = 0; k < d->n * d->dim; k++)
        nz += d->x[k] != 0;
    return (double)nz / (double)(d->n * d->dim);
}

/* Accuracy, confusion and cost against a direct computation, with chunks that do not
 * divide n: cost = gp_total_cost on the same samples (regularisation over n = the
 * evaluated set's size), correct = trace of the confusion matrix. Blobs (dense: the
 * dense path) and, for _i >= 4, blobs whose pixels below 150 are 0 (the sparse path). */
START_TEST(test_evaluate_matches_total_cost_and_argmax) {
    const gp_cost_type *cost = gp_cost_types[_i % 4];
    blobs b;
    blobs_make(&b, 53, 6, 4, 21 + _i);
    for (size_t k = 0; _i >= 4 && k < 53 * 6; k++)
        b.x[k] = b.x[k] < 150 ? 0 : b.x[k];
    ck_assert(_i >= 4 ? density(&b.d) < 1.0 / 3 : density(&b.d) > 1.0 / 3);
    size_t sizes[] = {6, 5, 4};
    gp_network *net = gp_network_alloc(3, sizes, cost);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7 + _i);
    gp_network_init(net, GP_INIT_LARGE, r);
    gp_regularization reg = {0.3817, 0.1234, 999 /* ignored: n is the set's size */};
    size_t conf[16];
    gp_eval_result res;
    ck_assert_int_eq(gp_evaluate(net, &b.d, &reg, 7, GP_EVAL_COST, conf, &res),
                     GSL_SUCCESS);

    gsl_matrix *X, *Y;
    dataset_columns(&b.d, 4, &X, &Y);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 53);
    gp_regularization reg_n = {reg.lambda, reg.l1, 53};
    double expect;
    ck_assert_int_eq(gp_total_cost(net, X, Y, &reg_n, w, &expect), GSL_SUCCESS);
    ck_assert_double_eq_tol(res.cost, expect, 1e-12 * fabs(expect));
    /* Argmax by hand from the same forward pass. */
    gp_feedforward(net, X, w);
    size_t correct = 0, total = 0, trace = 0;
    for (size_t i = 0; i < 53; i++) {
        gsl_vector_view a = gsl_matrix_column(w->a[1], i);
        correct += gsl_vector_max_index(&a.vector) == b.labels[i];
    }
    for (size_t j = 0; j < 4; j++)
        for (size_t k = 0; k < 4; k++) {
            total += conf[j * 4 + k];
            trace += j == k ? conf[j * 4 + k] : 0;
        }
    ck_assert_uint_eq(res.n, 53);
    ck_assert_uint_eq(res.correct, correct);
    ck_assert_uint_eq(trace, correct);
    ck_assert_uint_eq(total, 53);
    /* Two threads on alternate chunks (7 chunks of 7, the last short): the same counts
     * and confusion matrix, the cost to rounding; and with one chunk, one thread. */
    size_t chunks[] = {7, 1, 53};
    for (size_t q = 0; q < 3; q++) {
        size_t conf2[16];
        gp_eval_result par;
        ck_assert_int_eq(gp_evaluate(net, &b.d, &reg, chunks[q],
                                     GP_EVAL_COST | GP_EVAL_PARALLEL, conf2, &par),
                         GSL_SUCCESS);
        ck_assert_uint_eq(par.n, 53);
        ck_assert_uint_eq(par.correct, res.correct);
        ck_assert_mem_eq(conf2, conf, sizeof conf);
        ck_assert_double_eq_tol(par.cost, res.cost, 1e-13 * fabs(res.cost));
    }
    gp_backprop_workspace_free(w);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gp_network_free(net);
    gsl_rng_free(r);
    blobs_free(&b);
}
END_TEST

/* gp_evaluate_set against gp_evaluate, bit for bit: the same counts, confusion matrix
 * and cost (the same chunks summed in the same order), one thread and two, on images of
 * 200 pixels with every byte value, three quarters zero (so indexed; the index is read
 * 16 entries at a time, then a tail), and (_i = 1) a quarter zero (the dense path); a
 * NULL or empty data set is refused. */
START_TEST(test_evaluate_set_equals_evaluate) {
    blobs b;
    blobs_make(&b, 61, 200, 4, 5);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double zeros = _i == 0 ? 0.75 : 0.25;
    for (size_t k = 0; k < 61 * 200; k++)
        b.x[k] = gsl_rng_uniform(r) < zeros ? 0 : (uint8_t)gsl_rng_uniform_int(r, 256);
    size_t sizes[] = {200, 20, 4};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_network_init(net, GP_INIT_LARGE, r);
    gp_regularization reg = {0.25, 0.125, 0};
    gp_eval_set *set = gp_eval_set_alloc(&b.d);
    ck_assert_ptr_nonnull(set);
    unsigned flags[] = {0, GP_EVAL_COST, GP_EVAL_COST | GP_EVAL_PARALLEL};
    size_t chunks[] = {7, 0};
    for (size_t f = 0; f < 3; f++)
        for (size_t c = 0; c < 2; c++) {
            size_t conf1[16], conf2[16];
            gp_eval_result r1, r2;
            ck_assert_int_eq(
                gp_evaluate(net, &b.d, &reg, chunks[c], flags[f], conf1, &r1),
                GSL_SUCCESS);
            ck_assert_int_eq(
                gp_evaluate_set(net, set, &reg, chunks[c], flags[f], conf2, &r2),
                GSL_SUCCESS);
            ck_assert_uint_eq(r2.n, 61);
            ck_assert_uint_eq(r2.correct, r1.correct);
            ck_assert_mem_eq(conf2, conf1, sizeof conf1);
            ck_assert_mem_eq(&r2.cost, &r1.cost, sizeof r1.cost);
        }
    gp_eval_set_free(set);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gp_dataset empty = b.d;
    empty.n = 0;
    ck_assert_ptr_null(gp_eval_set_alloc(NULL));
    ck_assert_ptr_null(gp_eval_set_alloc(&empty));
    gsl_set_error_handler(old);
    gp_network_free(net);
    gsl_rng_free(r);
    blobs_free(&b);
}
END_TEST

/* ---- Properties: one SGD step is the gradient step of the regularised cost ---- */

/* gp_sgd_step (rows = _i % 2) against theta - eta dC/dtheta (gsl_deriv_central)
 * - (eta lambda/n) w - (eta l1/n) sgn(w) on random networks of every cost. */
START_TEST(test_sgd_step_is_numeric_gradient_step) {
    int rows = _i % 2;
    const gp_cost_type *cost = gp_cost_types[(_i / 2) % 4];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242 + (unsigned long)_i);
    gp_case_opts co;
    gp_case_opts_default(&co);
    co.scale_max = 3; /* keep the numerical derivative well conditioned */
    gp_network *net;
    gsl_matrix *X, *Y;
    ck_assert_int_eq(gp_case_random(r, cost, &co, &net, &X, &Y, NULL), GSL_SUCCESS);
    size_t m = X->size2;
    gp_sgd_params p = {0.05 + gsl_rng_uniform(r), 0, 0, 0};
    p.n = m + gsl_rng_uniform_int(r, 100);
    if (_i % 4 >= 2) { /* half the cases regularised */
        p.lambda = 3 * gsl_rng_uniform(r);
        p.l1 = gsl_rng_uniform(r);
    }
    gp_network *stepped = gp_network_clone(net);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, m);
    gsl_matrix *Xt = gsl_matrix_alloc(m, X->size1);
    gsl_matrix_transpose_memcpy(Xt, X);
    ck_assert_int_eq(gp_sgd_step(stepped, rows ? Xt : X, rows, Y, &p, w), GSL_SUCCESS);
    char msg[300] = "";
    double sum_abs;
    size_t bad =
        tu_sgd_step_violations(net, X, Y, &p, stepped, msg, sizeof msg, &sum_abs, NULL);
    ck_assert_msg(bad == 0, "%s rows=%d case %d: %zu parameters off, first %s",
                  cost->name, rows, _i, bad, msg);
    ck_assert(sum_abs > 0); /* an all-zero gradient cannot pass */
    gsl_matrix_free(Xt);
    gp_backprop_workspace_free(w);
    gp_network_free(stepped);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gsl_rng_free(r);
}
END_TEST

/* The default training path (gp_trainer_epoch with two threads, layer 1 split by
 * panels between them) against gsl_deriv_central: an epoch of one batch (batch = n) is
 * one SGD step on the whole data set, the network moved to
 * theta - eta dC/dtheta - (eta lambda/n) w - (eta l1/n) sgn(w) with C the batch cost on
 * the inputs x/255 and one-hot targets. Random networks whose layer 1 spans two to four
 * panels (so it is split), every cost, L2 and L1 on half the cases; and with
 * `wrong_df`, the network's hidden activation is the test object whose f' is sigma
 * (mutation control: the property must reject it on >= 90 % of the cases). Cases
 * alternate in pairs between the sparse and the dense layer-1 path. */
static void two_thread_step_property(int cost_i, int wrong_df) {
    const gp_cost_type *cost = gp_cost_types[cost_i];
    size_t n_cases = tu_cases(12), cases = 0, rejected = 0;
    for (size_t i = 0; i < n_cases; i++) {
        if (!tu_case_selected(i))
            continue;
        gsl_rng *r = tu_rng_for_case(0x7A0 + (unsigned long)(cost_i + 4 * wrong_df), i);
        size_t n = tu_int(r, 2, 12), dim = tu_int(r, 2, 30), k = tu_int(r, 2, 4);
        size_t sizes[] = {dim, tu_int(r, 17, 60), tu_int(r, 2, 6), k};
        size_t L = tu_int(r, 2, 3);
        sizes[L] = k;
        blobs b;
        blobs_make(&b, n, dim, k, tu_case_seed(0x7B0, i));
        gp_network *net = gp_network_alloc(L + 1, sizes, cost);
        gp_network_init(net, GP_INIT_DEFAULT, r);
        if (wrong_df)
            tu_set_hidden_activation(net, &tu_activation_wrong_df);
        gp_network *stepped = gp_network_clone(net);
        gp_train_opts o;
        gp_train_opts_default(&o);
        o.batch = n;
        o.threads = 2;
        o.layer1 = i / 2 % 2 ? GP_LAYER1_DENSE : GP_LAYER1_SPARSE;
        o.eta = 0.2 + gsl_rng_uniform(r);
        if (i % 2) {
            o.lambda = 0.5 * gsl_rng_uniform(r);
            o.l1 = 0.2 * gsl_rng_uniform(r);
        }
        gp_trainer *t = gp_trainer_alloc(stepped, &b.d, &o);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
        gsl_matrix *X, *Y;
        dataset_columns(&b.d, k, &X, &Y);
        gp_sgd_params p = {o.eta, o.lambda, o.l1, n};
        char msg[300] = "";
        double sum_abs;
        size_t bad = tu_sgd_step_violations(net, X, Y, &p, stepped, msg, sizeof msg,
                                            &sum_abs, NULL);
        if (!wrong_df) {
            ck_assert_msg(bad == 0,
                          "%s case %zu (n1 = %zu): %zu parameters off, first %s",
                          cost->name, i, sizes[1], bad, msg);
            ck_assert(sum_abs > 0);
        }
        cases++;
        rejected += bad > 0;
        gsl_matrix_free(X);
        gsl_matrix_free(Y);
        gp_trainer_free(t);
        gp_network_free(stepped);
        gp_network_free(net);
        blobs_free(&b);
        gsl_rng_free(r);
    }
    if (wrong_df) {
        printf("GP-STAT train/mutant[wrong activation df, two threads, %s]: rejected %zu "
               "of %zu\n",
               cost->name, rejected, cases);
        if (getenv("GP_CASE") == NULL)
            ck_assert_msg(rejected * 10 >= cases * 9 && cases >= 10,
                          "wrong df rejected on only %zu of %zu cases", rejected, cases);
    }
}

START_TEST(test_two_thread_epoch_is_numeric_gradient_step) {
    two_thread_step_property(_i, 0);
}
END_TEST

START_TEST(test_two_thread_epoch_rejects_wrong_activation_df) {
    two_thread_step_property(_i, 1);
}
END_TEST

/* ---- Shuffling ---- */

static int is_permutation(const size_t *a, size_t n) {
    char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        ok = a[i] < n && !seen[a[i]];
        if (ok)
            seen[a[i]] = 1;
    }
    free(seen);
    return ok;
}

/* Every epoch is a fresh permutation of 0..n-1, reproducible from the seed. */
START_TEST(test_epoch_order_is_seeded_permutation) {
    blobs b;
    blobs_make(&b, 37, 4, 2, 5);
    size_t sizes[] = {4, 2};
    gp_network *n1 = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_network *n2 = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_network *n3 = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_train_opts o;
    gp_train_opts_default(&o);
    gp_trainer *t1 = gp_trainer_alloc(n1, &b.d, &o), *t2 = gp_trainer_alloc(n2, &b.d, &o);
    o.seed = 2;
    gp_trainer *t3 = gp_trainer_alloc(n3, &b.d, &o);
    size_t first[37];
    for (int e = 0; e < 3; e++) {
        gp_trainer_epoch(t1);
        gp_trainer_epoch(t2);
        gp_trainer_epoch(t3);
        ck_assert(is_permutation(gp_trainer_order(t1), 37));
        ck_assert_mem_eq(gp_trainer_order(t1), gp_trainer_order(t2), sizeof first);
        ck_assert(memcmp(gp_trainer_order(t1), gp_trainer_order(t3), sizeof first) != 0);
        if (e == 0)
            memcpy(first, gp_trainer_order(t1), sizeof first);
        else
            ck_assert(memcmp(first, gp_trainer_order(t1), sizeof first) != 0);
    }
    /* Same seed, same data: the same weights, bit for bit. */
    ck_assert_mem_eq(n1->p.params->data, n2->p.params->data,
                     n1->p.n_params * sizeof(double));
    gp_trainer_free(t1);
    gp_trainer_free(t2);
    gp_trainer_free(t3);
    gp_network_free(n1);
    gp_network_free(n2);
    gp_network_free(n3);
    blobs_free(&b);
}
END_TEST

/* An epoch is exactly gp_sparse_sgd_step over consecutive batches of its order, the
 * last one short (37 = 3 * 10 + 7), with lambda/n over the whole set, on batches of
 * the non-zero pixels x/255 built here (to the bit: the same steps on the same
 * numbers); and gp_sgd_step on the dense batches agrees to rounding. Case 0: blobs,
 * pixels zero in about half the places, so the sparse form matters (and the trainer
 * scans each batch's pixels). Case 1: every byte value, three quarters of the 200
 * pixels of an image zero, so that the trainer gathers batches from its index of the
 * non-zero pixels (read 16 at a time, then a tail), compared for every value and many
 * tail lengths. Cases 2 and 3: the same data on the dense layer-1 path, exactly
 * gp_sparse_sgd_step_rows on the batches' rows of x/255. */
START_TEST(test_epoch_is_sgd_steps_over_its_order) {
    enum { D = 200 };
    int dense_path = _i >= 2;
    size_t dim = _i % 2 == 0 ? 21 : D;
    blobs b;
    blobs_make(&b, 37, dim, 3, 8);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t k = 0; k < 37 * dim; k++)
        b.x[k] = _i % 2 == 0                 ? (b.x[k] < 110 ? 0 : b.x[k])
                 : gsl_rng_uniform(r) < 0.75 ? 0
                                             : (uint8_t)gsl_rng_uniform_int(r, 256);
    size_t sizes[] = {dim, 19, 3};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_log_likelihood);
    gp_network_init(net, GP_INIT_DEFAULT, r);
    gp_network *ref = gp_network_clone(net), *dense = gp_network_clone(net);
    gp_train_opts o;
    gp_train_opts_default(&o);
    o.lambda = 2.5;
    o.l1 = 0.5;
    o.layer1 = dense_path ? GP_LAYER1_DENSE : GP_LAYER1_SPARSE;
    gp_trainer *t = gp_trainer_alloc(net, &b.d, &o);
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    const size_t *order = gp_trainer_order(t);
    gp_sparse_sgd *s = gp_sparse_sgd_alloc(ref, 10);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(dense, 10);
    gsl_matrix *X = gsl_matrix_alloc(10, dim), *Y = gsl_matrix_alloc(3, 10);
    size_t start[11], zeros = 0;
    uint32_t index[10 * D];
    double value[10 * D];
    gp_sgd_params p = {o.eta, o.lambda, o.l1, 37};
    for (size_t k = 0; k < 37; k += 10) {
        size_t m = 37 - k < 10 ? 37 - k : 10, nnz = 0;
        gsl_matrix_set_zero(Y);
        start[0] = 0;
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < dim; j++) {
                uint8_t v = b.x[order[k + i] * dim + j];
                gsl_matrix_set(X, i, j, v / 255.0);
                zeros += v == 0;
                if (v != 0) {
                    index[nnz] = (uint32_t)j;
                    value[nnz++] = v / 255.0;
                }
            }
            start[i + 1] = nnz;
            gsl_matrix_set(Y, b.labels[order[k + i]], i, 1.0);
        }
        gsl_matrix_view Xm = gsl_matrix_submatrix(X, 0, 0, m, dim);
        gsl_matrix_view Ym = gsl_matrix_submatrix(Y, 0, 0, 3, m);
        gp_sparse_batch Xs = {m, start, index, value};
        ck_assert_int_eq(dense_path
                             ? gp_sparse_sgd_step_rows(s, &Xm.matrix, &Ym.matrix, &p)
                             : gp_sparse_sgd_step(s, &Xs, &Ym.matrix, &p),
                         GSL_SUCCESS);
        ck_assert_int_eq(gp_sgd_step(dense, &Xm.matrix, 1, &Ym.matrix, &p, w),
                         GSL_SUCCESS);
    }
    ck_assert_uint_gt(zeros, 37 * dim / 5);
    gp_sparse_sgd_sync(s);
    ck_assert_mem_eq(net->p.params->data, ref->p.params->data,
                     net->p.n_params * sizeof(double));
    for (size_t k = 0; k < net->p.n_params; k++) {
        double u = gsl_vector_get(net->p.params, k),
               v = gsl_vector_get(dense->p.params, k);
        ck_assert_double_eq_tol(u, v, 1e-13 * (1 + fabs(v)));
    }
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gp_backprop_workspace_free(w);
    gp_sparse_sgd_free(s);
    gp_trainer_free(t);
    gp_network_free(ref);
    gp_network_free(dense);
    gp_network_free(net);
    gsl_rng_free(r);
    blobs_free(&b);
}
END_TEST

/* GP_LAYER1_AUTO takes the path the data's density calls for: the dense one above a
 * third non-zero (blobs, about 90 %), the sparse one at or below (blobs with pixels
 * below 150 zeroed, about a quarter; and exactly a third, the boundary): an epoch equals
 * the forced path's to the bit. The two paths sum in other orders on the AVX2 and
 * AVX-512 variants, where the epoch's networks differ and so tell the paths apart; the
 * baseline variant (one accumulator, no FMA) gives both paths the same bits. */
START_TEST(test_auto_layer1_follows_density) {
    blobs b;
    blobs_make(&b, 60, 12, 3, 31);
    if (_i == 1)
        for (size_t k = 0; k < 60 * 12; k++)
            b.x[k] = b.x[k] < 150 ? 0 : b.x[k];
    if (_i == 2) /* exactly 4 of the 12 pixels of each image non-zero */
        for (size_t k = 0; k < 60 * 12; k++)
            b.x[k] = k % 3 == 0 ? (uint8_t)(1 + k % 250) : 0;
    double dens = density(&b.d);
    int want_dense = dens > 1.0 / 3;
    ck_assert(_i == 0 ? want_dense : !want_dense);
    size_t sizes[] = {12, 20, 3};
    gp_network *net[3];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    net[0] = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gp_network_init(net[0], GP_INIT_DEFAULT, r);
    net[1] = gp_network_clone(net[0]);
    net[2] = gp_network_clone(net[0]);
    for (int k = 0; k < 3; k++) {
        gp_train_opts o;
        gp_train_opts_default(&o);
        o.eta = 3.0;
        o.layer1 = (gp_layer1)k; /* AUTO, SPARSE, DENSE */
        gp_trainer *t = gp_trainer_alloc(net[k], &b.d, &o);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
        gp_trainer_free(t);
    }
    int same = want_dense ? 2 : 1, other = want_dense ? 1 : 2;
    ck_assert_msg(gsl_vector_equal(net[0]->p.params, net[same]->p.params),
                  "density %.3f: auto is not the %s path", dens,
                  want_dense ? "dense" : "sparse");
    if (gsl_vector_equal(net[0]->p.params, net[other]->p.params))
        printf("GP-STAT train/auto_layer1[%d]: the two paths gave the same bits here\n",
               _i);
    for (int k = 0; k < 3; k++)
        gp_network_free(net[k]);
    gsl_rng_free(r);
    blobs_free(&b);
}
END_TEST

/* ---- Stopping rules ---- */

static gp_trainer *small_trainer(gp_network **net, blobs *b, size_t early,
                                 size_t schedule) {
    size_t sizes[] = {3, 2};
    blobs_make(b, 4, 3, 2, 1);
    *net = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_train_opts o;
    gp_train_opts_default(&o);
    o.eta = 0.8;
    o.early_stop = early;
    o.schedule = schedule;
    return gp_trainer_alloc(*net, &b->d, &o);
}

/* One epoch, then its accuracy reported (gp_trainer_observe needs an epoch run). */
static void epoch_observe(gp_trainer *t, double accuracy, int *stop) {
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    ck_assert_int_eq(gp_trainer_observe(t, accuracy, stop), GSL_SUCCESS);
}

/* Before the first epoch there is nothing to observe: GSL_EINVAL, nothing changed (the
 * best was recorded as seen in epoch 0, which gp_trainer_best means as "none", and the
 * schedule counted an epoch that never ran). */
START_TEST(test_observe_before_first_epoch_refused) {
    gp_network *net;
    blobs b;
    gp_trainer *t = small_trainer(&net, &b, 1, 1);
    int stop = 7;
    size_t best_epoch = 9;
    tu_errors_record();
    ck_assert_int_eq(gp_trainer_observe(t, 50, &stop), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(stop, 0);
    ck_assert(isinf(gp_trainer_best(t, &best_epoch)));
    ck_assert_uint_eq(best_epoch, 0);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8);
    ck_assert_int_eq(gp_trainer_observe(t, 50, NULL), GSL_EINVAL);
    ck_assert_int_eq(gp_trainer_observe(NULL, 50, &stop), GSL_EINVAL);
    epoch_observe(t, 50, &stop);
    ck_assert_double_eq(gp_trainer_best(t, &best_epoch), 50);
    ck_assert_uint_eq(best_epoch, 1);
    ck_assert_int_eq(stop, 0);
    gp_trainer_free(t);
    gp_network_free(net);
    blobs_free(&b);
}
END_TEST

/* Each epoch is observed once: a second report of epoch 2 (a worse accuracy) is
 * GSL_EINVAL, nothing changed; it counted the epoch twice, so early stopping (N = 2)
 * and the schedule (N = 2) fired after one epoch without improvement. A part of an epoch
 * is not an epoch: observing after it is refused too. Epoch 3 then counts once. */
START_TEST(test_observe_twice_for_one_epoch_refused) {
    gp_network *net;
    blobs b;
    gp_trainer *t = small_trainer(&net, &b, 2, 2);
    int stop;
    size_t best_epoch;
    epoch_observe(t, 50, &stop);
    epoch_observe(t, 40, &stop);
    ck_assert_int_eq(stop, 0);
    tu_errors_record();
    stop = 7;
    ck_assert_int_eq(gp_trainer_observe(t, 40, &stop), GSL_EINVAL);
    ck_assert_int_eq(tu_last_error(), GSL_EINVAL);
    ck_assert_int_eq(stop, 0);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8); /* not halved */
    ck_assert_int_eq(gp_trainer_observe(t, 99, &stop), GSL_EINVAL);
    ck_assert_double_eq(gp_trainer_best(t, &best_epoch), 50); /* 99 not taken */
    ck_assert_uint_eq(best_epoch, 1);
    gp_trainer_state s;
    ck_assert_int_eq(gp_trainer_get_state(t, &s), GSL_SUCCESS);
    ck_assert_uint_eq(s.since_best, 1);
    ck_assert_uint_eq(s.since_halving, 1);
    ck_assert_uint_eq(s.observed, 2);
    gp_trainer_state_free(&s);
    ck_assert_int_eq(gp_trainer_epoch_part(t, 0), GSL_CONTINUE); /* begun, not run */
    ck_assert_int_eq(gp_trainer_observe(t, 40, &stop), GSL_EINVAL);
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    ck_assert_int_eq(gp_trainer_observe(t, 40, &stop), GSL_SUCCESS);
    ck_assert_int_eq(stop, 1); /* two epochs without improvement */
    ck_assert_double_eq(gp_trainer_eta(t), 0.4);
    gp_trainer_free(t);
    gp_network_free(net);
    blobs_free(&b);
}
END_TEST

/* network2.py early_stopping_n = 3: accuracies 50 60 60 55 60 stop at the fifth epoch
 * (three epochs without beating 60); ties are not improvements. */
START_TEST(test_early_stop_after_n_epochs_without_improvement) {
    gp_network *net;
    blobs b;
    gp_trainer *t = small_trainer(&net, &b, 3, 0);
    const double acc[] = {50, 60, 60, 55, 60};
    for (int e = 0; e < 5; e++) {
        int stop;
        gp_trainer_epoch(t);
        ck_assert_int_eq(gp_trainer_observe(t, acc[e], &stop), GSL_SUCCESS);
        ck_assert_int_eq(stop, e == 4);
    }
    size_t best_epoch;
    ck_assert_double_eq(gp_trainer_best(t, &best_epoch), 60);
    ck_assert_uint_eq(best_epoch, 2);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8); /* no schedule: eta unchanged */
    gp_trainer_free(t);
    gp_network_free(net);
    blobs_free(&b);
}
END_TEST

/* Schedule N = 2: eta halves after every 2 epochs without improvement (an improvement
 * resets the count) and training ends when eta reaches eta_0/128, the seventh halving. */
START_TEST(test_schedule_halves_eta_and_stops_at_1_128) {
    gp_network *net;
    blobs b;
    gp_trainer *t = small_trainer(&net, &b, 0, 2);
    int stop;
    epoch_observe(t, 10, &stop); /* improvement */
    epoch_observe(t, 10, &stop);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8);
    epoch_observe(t, 11, &stop); /* improvement resets the count */
    epoch_observe(t, 11, &stop);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8);
    epoch_observe(t, 9, &stop);
    ck_assert_double_eq(gp_trainer_eta(t), 0.4);
    ck_assert_int_eq(stop, 0);
    int halvings = 1, observations = 0;
    while (!stop && observations < 100) {
        epoch_observe(t, 9, &stop);
        observations++;
        if (observations % 2 == 0)
            halvings++;
        ck_assert_double_eq(gp_trainer_eta(t), 0.8 / (1 << halvings));
    }
    ck_assert_int_eq(stop, 1);
    ck_assert_int_eq(halvings, 7);
    ck_assert_double_eq(gp_trainer_eta(t), 0.8 / 128);
    gp_trainer_free(t);
    gp_network_free(net);
    blobs_free(&b);
}
END_TEST

/* ---- Errors ---- */

/* gp_sgd_params_check, the one validation of a step's parameters: the boundary of each
 * condition, and the dense step and the trainer refuse exactly what it refuses. */
START_TEST(test_sgd_params_check_boundaries) {
    static const struct {
        gp_sgd_params p;
        size_t m;
        int status;
    } rows[] = {
        {{0.5, 0, 0, 100}, 10, GSL_SUCCESS},       {{1e-300, 0, 0, 1}, 1, GSL_SUCCESS},
        {{0.5, 199.9, 0.5, 100}, 10, GSL_SUCCESS}, /* eta lambda/n = 0.9995 */
        {{0.5, 200, 0, 100}, 10, GSL_EDOM},        /* = 1: decay 0 */
        {{0.5, 0, 0, 100}, 0, GSL_EBADLEN},        {{0, 0, 0, 100}, 10, GSL_EDOM},
        {{-0.5, 0, 0, 100}, 10, GSL_EDOM},         {{INFINITY, 0, 0, 100}, 10, GSL_EDOM},
        {{NAN, 0, 0, 100}, 10, GSL_EDOM},          {{0.5, -1e-300, 0, 100}, 10, GSL_EDOM},
        {{0.5, NAN, 0, 100}, 10, GSL_EDOM},        {{0.5, 0, -1e-300, 100}, 10, GSL_EDOM},
        {{0.5, 0, INFINITY, 100}, 10, GSL_EDOM},   {{0.5, 0, 0, 0}, 10, GSL_EDOM}};
    size_t sizes[] = {3, 2};
    gp_network *net = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    gp_backprop_workspace *w = gp_backprop_workspace_alloc(net, 10);
    gsl_matrix *X = gsl_matrix_calloc(3, 10), *Y = gsl_matrix_calloc(2, 10);
    blobs b;
    blobs_make(&b, 100, 3, 2, 4);
    ck_assert_int_eq(gp_sgd_params_check(NULL, 1), GSL_EDOM);
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        ck_assert_msg(gp_sgd_params_check(&rows[k].p, rows[k].m) == rows[k].status,
                      "row %zu", k);
        if (rows[k].m == 0)
            continue;
        ck_assert_int_eq(gp_sgd_step(net, X, 0, Y, &rows[k].p, w), rows[k].status);
        gp_train_opts o;
        gp_train_opts_default(&o);
        o.eta = rows[k].p.eta, o.lambda = rows[k].p.lambda, o.l1 = rows[k].p.l1;
        b.d.n = rows[k].p.n;
        gp_trainer *t = gp_trainer_alloc(net, &b.d, &o);
        ck_assert_msg((t != NULL) == (rows[k].status == GSL_SUCCESS), "trainer, row %zu",
                      k);
        gp_trainer_free(t);
    }
    b.d.n = 100;
    blobs_free(&b);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    gp_backprop_workspace_free(w);
    gp_network_free(net);
}
END_TEST

/* 20 samples of 4 inputs in 3 classes, a network that fits them and one with 5 inputs. */
typedef struct {
    blobs b;
    gp_network *net, *bad_in;
} refusal_case;

static void refusal_make(refusal_case *f) {
    size_t sizes[] = {4, 3}, wrong[] = {5, 3};
    blobs_make(&f->b, 20, 4, 3, 3);
    f->net = gp_network_alloc(2, sizes, &gp_cost_cross_entropy);
    f->bad_in = gp_network_alloc(2, wrong, &gp_cost_cross_entropy);
}

static void refusal_free(refusal_case *f) {
    gp_network_free(f->net);
    gp_network_free(f->bad_in);
    blobs_free(&f->b);
}

START_TEST(test_trainer_rejects_bad_options) {
    refusal_case f;
    refusal_make(&f);
    const blobs b = f.b;
    gp_network *net = f.net, *bad_in = f.bad_in;
    gp_train_opts o;
    gp_train_opts_default(&o);
    o.batch = 0;
    ck_assert_ptr_null(gp_trainer_alloc(net, &b.d, &o));
    gp_train_opts_default(&o);
    o.eta = 0;
    ck_assert_ptr_null(gp_trainer_alloc(net, &b.d, &o));
    o.eta = NAN;
    ck_assert_ptr_null(gp_trainer_alloc(net, &b.d, &o));
    gp_train_opts_default(&o);
    o.lambda = -1;
    ck_assert_ptr_null(gp_trainer_alloc(net, &b.d, &o));
    o.lambda = 40; /* eta lambda / n = 0.5 * 40 / 20 = 1: the decay factor would be 0 */
    ck_assert_ptr_null(gp_trainer_alloc(net, &b.d, &o));
    gp_train_opts_default(&o);
    ck_assert_ptr_null(gp_trainer_alloc(bad_in, &b.d, &o));
    gp_dataset empty = b.d;
    empty.n = 0;
    ck_assert_ptr_null(gp_trainer_alloc(net, &empty, &o));
    gp_dataset huge = b.d; /* n * dim past SIZE_MAX: it read past b.d's pixels */
    huge.n = SIZE_MAX / 2;
    ck_assert_ptr_null(gp_trainer_alloc(net, &huge, &o));
    ck_assert_ptr_null(gp_eval_set_alloc(&huge));
    gp_trainer *t = gp_trainer_alloc(net, &b.d, &o);
    int stop;
    ck_assert_int_eq(gp_trainer_observe(t, NAN, &stop), GSL_EDOM);
    gp_trainer_free(t);
    gp_trainer_free(NULL);
    refusal_free(&f);
}
END_TEST

START_TEST(test_evaluate_rejects_bad_arguments) {
    refusal_case f;
    refusal_make(&f);
    const blobs b = f.b;
    gp_network *net = f.net, *bad_in = f.bad_in;
    gp_dataset empty = b.d, huge = b.d;
    empty.n = 0;
    huge.n = SIZE_MAX / 2;
    gp_eval_result res;
    ck_assert_int_eq(gp_evaluate(bad_in, &b.d, NULL, 0, GP_EVAL_COST, NULL, &res),
                     GSL_EBADLEN);
    ck_assert_int_eq(gp_evaluate(net, &empty, NULL, 0, GP_EVAL_COST, NULL, &res),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_evaluate(net, &huge, NULL, 0, GP_EVAL_COST, NULL, &res),
                     GSL_EINVAL);
    /* Regularisation as gp_total_cost takes it (a negative lambda lowered the cost) */
    gp_regularization neg = {-3.0, 0.0, 0}, nan_l1 = {0.0, NAN, 0};
    ck_assert_int_eq(gp_evaluate(net, &b.d, &neg, 0, GP_EVAL_COST, NULL, &res), GSL_EDOM);
    ck_assert_int_eq(gp_evaluate(net, &b.d, &nan_l1, 0, GP_EVAL_COST, NULL, &res),
                     GSL_EDOM);
    /* a flag this version does not know (it was ignored) */
    ck_assert_int_eq(gp_evaluate(net, &b.d, NULL, 0, GP_EVAL_COST | 4u, NULL, &res),
                     GSL_EINVAL);
    refusal_free(&f);
}
END_TEST

/* A label past the output layer, met by gp_evaluate and by an epoch on one thread or
 * two; with two threads the failing batch's status reaches the caller, and the epoch
 * returns (the test's timeout catches a hang). */
START_TEST(test_trainer_rejects_bad_labels) {
    blobs b;
    blobs_make(&b, 20, 4, 3, 3);
    size_t narrow[] = {4, 2};
    gp_network *two = gp_network_alloc(2, narrow, &gp_cost_cross_entropy);
    gp_train_opts o;
    gp_train_opts_default(&o);
    gp_eval_result res;
    /* Labels 0..2 do not fit a 2-neuron output layer: one thread, or two. */
    ck_assert_int_eq(gp_evaluate(two, &b.d, NULL, 0, GP_EVAL_COST, NULL, &res),
                     GSL_EINVAL);
    ck_assert_int_eq(
        gp_evaluate(two, &b.d, NULL, 3, GP_EVAL_COST | GP_EVAL_PARALLEL, NULL, &res),
        GSL_EINVAL);
    for (size_t threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        gp_trainer *t = gp_trainer_alloc(two, &b.d, &o);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_EINVAL);
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_EINVAL);
        gp_trainer_free(t);
    }
    /* And with a hidden layer (rows split between the threads): one bad label among 20
     * samples, met in whichever batch the shuffle puts it, by either thread's gather. */
    for (size_t bs = 1; bs <= 4; bs += 3) {
        size_t hs[] = {4, 5, 3};
        gp_network *hid = gp_network_alloc(3, hs, &gp_cost_cross_entropy);
        blobs bad;
        blobs_make(&bad, 20, 4, 3, 9);
        bad.labels[13] = 7;
        gp_train_opts_default(&o);
        o.batch = bs;
        o.threads = 2;
        gp_trainer *t = gp_trainer_alloc(hid, &bad.d, &o);
        ck_assert_ptr_nonnull(t);
        for (int e = 0; e < 4; e++)
            ck_assert_int_eq(gp_trainer_epoch(t), GSL_EINVAL);
        gp_trainer_free(t);
        gp_network_free(hid);
        blobs_free(&bad);
    }
    gp_network_free(two);
    blobs_free(&b);
}
END_TEST

/* Two threads compute the same SGD steps, to the bit: every weight is computed by the
 * same kernel on the same numbers whichever thread owns its rows. Hidden widths 37
 * (the second thread takes rows [16, 37): two 16-row panels, one of them padded), 20
 * and 7 (too narrow to split: the second thread only gathers), and no hidden layer.
 * Batch sizes whose last batch is short, epochs of more batches than the ring holds
 * (so it wraps), L2 and L1 on; the sparse and the dense layer-1 path. */
START_TEST(test_two_threads_give_the_same_network) {
    static const size_t batches[] = {1, 3, 10, 64, 500};
    static const size_t hidden_widths[] = {37, 20, 7, 0};
    blobs b;
    blobs_make(&b, 257, 12, 3, 40 + _i);
    for (size_t h = 0; h < 2 * sizeof hidden_widths / sizeof hidden_widths[0]; h++) {
        size_t hw = hidden_widths[h / 2];
        size_t sizes[] = {12, hw, 3}, sizes1[] = {12, 3};
        gp_network *n0 = hw ? gp_network_alloc(3, sizes, gp_cost_types[_i % 4])
                            : gp_network_alloc(2, sizes1, gp_cost_types[_i % 4]);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 77 + _i);
        gp_network_init(n0, GP_INIT_DEFAULT, r);
        gp_network *n1 = gp_network_clone(n0), *start = gp_network_clone(n0);
        gp_train_opts o;
        gp_train_opts_default(&o);
        o.batch = batches[_i];
        o.lambda = 0.5;
        o.l1 = 0.25;
        o.layer1 = h % 2 ? GP_LAYER1_DENSE : GP_LAYER1_SPARSE;
        gp_trainer *t0 = gp_trainer_alloc(n0, &b.d, &o);
        o.threads = 2;
        gp_trainer *t1 = gp_trainer_alloc(n1, &b.d, &o);
        ck_assert(t0 && t1);
        for (int e = 0; e < 3; e++) {
            ck_assert_int_eq(gp_trainer_epoch(t0), GSL_SUCCESS);
            ck_assert_int_eq(gp_trainer_epoch(t1), GSL_SUCCESS);
            size_t first = n0->p.n_params;
            for (size_t k = 0; k < n0->p.n_params && first == n0->p.n_params; k++)
                if (gsl_vector_get(n0->p.params, k) != gsl_vector_get(n1->p.params, k))
                    first = k;
            ck_assert_msg(
                first == n0->p.n_params,
                "hidden width %zu, batch %zu, %s path, epoch %d: parameter %zu differs "
                "(%.17g vs %.17g)",
                hw, batches[_i], h % 2 ? "dense" : "sparse", e + 1, first,
                first < n0->p.n_params ? gsl_vector_get(n0->p.params, first) : 0,
                first < n0->p.n_params ? gsl_vector_get(n1->p.params, first) : 0);
        }
        /* and training did something */
        gsl_vector_sub(start->p.params, n0->p.params);
        ck_assert(gsl_vector_max(start->p.params) - gsl_vector_min(start->p.params) >
                  1e-3);
        gp_network_free(start);
        gp_trainer_free(t0);
        gp_trainer_free(t1);
        gp_network_free(n0);
        gp_network_free(n1);
        gsl_rng_free(r);
    }
    blobs_free(&b);
}
END_TEST

/* GP_TRAIN_AUTO switches between one and two threads by chunks of mini-batches and may
 * end a two-thread chunk early; the network is the one-thread network to the bit. Short
 * chunks (5 batches, probes of 3) make many switches per epoch; a negative slack ends
 * every two-thread chunk at its first check (after one batch, or two if the helper has
 * already taken the second), a huge one never. Hidden widths as in the test above; the
 * sparse path with width 37, the dense one with width 7, and the other way round. */
START_TEST(test_auto_threads_give_the_same_network) {
    static const size_t hidden_widths[] = {37, 7};
    static const double slacks[] = {-1.0, 1e9};
    blobs b;
    blobs_make(&b, 257, 12, 3, 90 + _i);
    for (size_t h = 0; h < 2; h++)
        for (size_t k = 0; k < 2; k++) {
            int dense_path = (int)((h + k + (size_t)_i) % 2);
            size_t sizes[] = {12, hidden_widths[h], 3};
            gp_network *n0 = gp_network_alloc(3, sizes, gp_cost_types[_i % 4]);
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(r, 5 + _i);
            gp_network_init(n0, GP_INIT_DEFAULT, r);
            gp_network *n1 = gp_network_clone(n0);
            gp_train_opts o;
            gp_train_opts_default(&o);
            o.batch = 1 + _i;
            o.lambda = 0.5;
            o.layer1 = dense_path ? GP_LAYER1_DENSE : GP_LAYER1_SPARSE;
            gp_trainer *t0 = gp_trainer_alloc(n0, &b.d, &o);
            o.threads = GP_TRAIN_AUTO;
            gp_trainer *t1 = gp_trainer_alloc(n1, &b.d, &o);
            ck_assert(t0 && t1);
            ck_assert_int_eq(gp_trainer_auto_tune(t1, 3, 5, slacks[k]), GSL_SUCCESS);
            for (int e = 0; e < 3; e++) {
                ck_assert_int_eq(gp_trainer_epoch(t0), GSL_SUCCESS);
                ck_assert_int_eq(gp_trainer_epoch(t1), GSL_SUCCESS);
                ck_assert_msg(gsl_vector_equal(n0->p.params, n1->p.params),
                              "width %zu slack %g batch %d epoch %d: networks differ",
                              hidden_widths[h], slacks[k], _i + 1, e + 1);
            }
            gp_trainer_free(t0);
            gp_trainer_free(t1);
            gp_network_free(n0);
            gp_network_free(n1);
            gsl_rng_free(r);
        }
    blobs_free(&b);
}
END_TEST

/* gp_trainer_set_stop: a flag raised before an epoch stops it before its shuffle with
 * GSL_CONTINUE, and the trainer is as before the call (generator, order and parameters
 * untouched, 0 batches done), so that the epochs run after it match an uninterrupted
 * trainer's to the bit, one thread or two. (check_checkpoint and tests/cli-resume.sh
 * stop epochs in their middle, where the position in the epoch matters.) */
START_TEST(test_stop_flag_before_an_epoch_leaves_it_unbegun) {
    blobs b;
    blobs_make(&b, 57, 12, 3, 9);
    size_t sizes[] = {12, 37, 3};
    gp_network *n0 = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    gp_network_init(n0, GP_INIT_DEFAULT, r);
    gp_network *n1 = gp_network_clone(n0), *start = gp_network_clone(n0);
    gp_train_opts o;
    gp_train_opts_default(&o);
    o.threads = 1 + _i;
    gp_trainer *t0 = gp_trainer_alloc(n0, &b.d, &o), *t1 = gp_trainer_alloc(n1, &b.d, &o);
    volatile sig_atomic_t flag = 1;
    ck_assert_int_eq(gp_trainer_set_stop(t1, &flag), GSL_SUCCESS);
    ck_assert_int_eq(gp_trainer_epoch(t1), GSL_CONTINUE);
    ck_assert_uint_eq(gp_trainer_epochs(t1), 0);
    ck_assert_uint_eq(gp_trainer_batches_done(t1), 0);
    for (size_t i = 0; i < 57; i++)
        ck_assert_uint_eq(gp_trainer_order(t1)[i], i);
    ck_assert_mem_eq(n1->p.params->data, start->p.params->data,
                     n1->p.n_params * sizeof(double));
    flag = 0;
    for (int e = 0; e < 2; e++) {
        ck_assert_int_eq(gp_trainer_epoch(t0), GSL_SUCCESS);
        ck_assert_int_eq(gp_trainer_epoch(t1), GSL_SUCCESS);
    }
    ck_assert_uint_eq(gp_trainer_epochs(t1), 2);
    ck_assert_mem_eq(gp_trainer_order(t0), gp_trainer_order(t1), 57 * sizeof(size_t));
    ck_assert_mem_eq(n0->p.params->data, n1->p.params->data,
                     n0->p.n_params * sizeof(double));
    ck_assert(memcmp(n0->p.params->data, start->p.params->data,
                     n0->p.n_params * sizeof(double)) != 0);
    ck_assert_int_eq(gp_trainer_set_stop(t1, NULL), GSL_SUCCESS);
    gp_trainer_free(t0);
    gp_trainer_free(t1);
    gp_network_free(n0);
    gp_network_free(n1);
    gp_network_free(start);
    gsl_rng_free(r);
    blobs_free(&b);
}
END_TEST

static Suite *make_train_suite(void) {
    Suite *s = suite_create("train");
    TCase *core = tcase_create("Core"), *prop = tcase_create("Properties"),
          *err = tcase_create("Errors");
    tcase_set_timeout(core, 60);
    tcase_set_timeout(prop, 120);
    tcase_add_loop_test(core, test_trainer_learns_separable_blobs, 0,
                        sizeof learners / sizeof learners[0]);
    tcase_add_loop_test(core, test_evaluate_matches_total_cost_and_argmax, 0, 8);
    tcase_add_loop_test(core, test_evaluate_set_equals_evaluate, 0, 2);
    tcase_add_loop_test(prop, test_sgd_step_is_numeric_gradient_step, 0, 64);
    tcase_add_loop_test(prop, test_two_thread_epoch_is_numeric_gradient_step, 0, 4);
    tcase_add_loop_test(prop, test_two_thread_epoch_rejects_wrong_activation_df, 0, 4);
    tcase_add_test(prop, test_epoch_order_is_seeded_permutation);
    tcase_add_loop_test(prop, test_epoch_is_sgd_steps_over_its_order, 0, 4);
    tcase_add_loop_test(prop, test_auto_layer1_follows_density, 0, 3);
    tcase_add_loop_test(prop, test_stop_flag_before_an_epoch_leaves_it_unbegun, 0, 2);
    tcase_add_loop_test(prop, test_two_threads_give_the_same_network, 0, 5);
    tcase_add_loop_test(prop, test_auto_threads_give_the_same_network, 0, 4);
    tcase_add_test(prop, test_early_stop_after_n_epochs_without_improvement);
    tcase_add_test(prop, test_schedule_halves_eta_and_stops_at_1_128);
    tcase_add_test(err, test_trainer_rejects_bad_options);
    tcase_add_test(err, test_evaluate_rejects_bad_arguments);
    tcase_add_test(err, test_trainer_rejects_bad_labels);
    tcase_add_test(err, test_sgd_params_check_boundaries);
    tcase_add_test(err, test_observe_before_first_epoch_refused);
    tcase_add_test(err, test_observe_twice_for_one_epoch_refused);
    suite_add_tcase(s, core);
    suite_add_tcase(s, prop);
    suite_add_tcase(s, err);
    return s;
}

int main(void) {
    /* Errors are asserted through status codes; GSL's default handler would abort. */
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(make_train_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
