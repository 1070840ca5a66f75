/* gradproof/train.h: network2.py's SGD loop and its evaluation helpers (SPEC "MNIST").
 *
 * The trainer runs epochs of shuffled mini-batches through the step of
 * gp_sparse_sgd_step (only the non-zero pixels enter layer 1) or, for images more than
 * a third non-zero, gp_sparse_sgd_step_rows (every pixel, blocked over the batch): the
 * same step as gp_sgd_step on the dense batch, to rounding; the caller evaluates between
 * epochs (gp_evaluate) and reports the evaluation accuracy back (gp_trainer_observe),
 * which drives early stopping and Nielsen's learning-rate schedule. The library never
 * prints: the caller owns the per-epoch report. */
#ifndef GRADPROOF_TRAIN_H
#define GRADPROOF_TRAIN_H

#include <gradproof/sgd.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A labelled data set of n samples, borrowed (the trainer copies nothing): sample i is
 * the dim bytes x[i*dim .. i*dim+dim-1], each scaled by 1/255 to give the network's
 * input (MNIST pixels), and its class is labels[i], 0 <= labels[i] < n_L. The target
 * of sample i is the one-hot e_{labels[i]} (network.py vectorized_result), used as is
 * by every cost, including quadratic-linear. A set whose n * dim bytes (or n indices)
 * would pass SIZE_MAX bytes is refused with GSL_EINVAL by every function below. */
typedef struct {
    size_t n, dim;
    const uint8_t *x;
    const uint8_t *labels;
} gp_dataset;

/* gp_train_opts.layer1: how layer 1 reads the images (the same step either way, to
 * rounding; gradproof/sparse.h). */
typedef enum {
    GP_LAYER1_AUTO,   /* by the fraction of non-zero pixels, counted once at
                         gp_trainer_alloc: dense above a third (Fashion-MNIST: half),
                         else sparse (MNIST: a fifth) */
    GP_LAYER1_SPARSE, /* gp_sparse_sgd_step: the non-zero pixels, image by image */
    GP_LAYER1_DENSE   /* gp_sparse_sgd_step_rows: every pixel, blocked over the batch */
} gp_layer1;

typedef struct {
    size_t batch;       /* mini-batch size m [10] */
    double eta;         /* learning rate eta_0, > 0 [0.5] */
    double lambda;      /* L2 strength, >= 0 [0] */
    double l1;          /* L1 strength, >= 0 [0] */
    unsigned long seed; /* seed of the shuffling generator (gsl_rng_mt19937) [1] */
    size_t early_stop;  /* stop after this many epochs without a better evaluation
                           accuracy (network2.py early_stopping_n); 0 = off [0] */
    size_t schedule;    /* halve eta after this many epochs without improvement, stop
                           once eta has dropped to eta_0/128 (Nielsen ch. 3); 0 = off */
    int threads;        /* 1: all on the calling thread; 2: a second thread shares
                           each step (about half of layer 1) and gathers the next
                           mini-batch; GP_TRAIN_AUTO: chunks of mini-batches on one or
                           two threads, whichever measures faster (two threads are
                           slower when other processes hold the cores). Equal to the
                           one-thread result to the bit in every case [1] */
    gp_layer1 layer1;   /* the layer-1 path; not state, like threads [GP_LAYER1_AUTO] */
} gp_train_opts;

/* gp_train_opts.threads: one or two threads, chosen by measurement as training runs. */
#define GP_TRAIN_AUTO 0

void gp_train_opts_default(gp_train_opts *opts);

/* Opaque: the network and data it trains (borrowed), the RNG, the index permutation,
 * the batch buffers and the stopping state. */
typedef struct gp_trainer gp_trainer;

/* A trainer for net on data. The network is borrowed and updated in place; it and the
 * data must outlive the trainer, and the pixels must not change while it lives: it
 * counts their non-zero pixels once, to choose the layer-1 path (gp_train_opts.layer1),
 * and for the sparse path indexes them once (3 bytes each, about 22 MB for MNIST's
 * 50,000; not for images more than a third non-zero, which it scans in each epoch). NULL
 * with GSL_EINVAL for batch 0, empty data or a layer1 outside gp_layer1, with
 * gp_sgd_params_check's GSL_EDOM for eta, lambda, l1 (n = data->n), GSL_EBADLEN when
 * data->dim is not n_0, GSL_ENOMEM when memory runs out. Labels are checked by each
 * epoch. */
gp_trainer *gp_trainer_alloc(gp_network *net, const gp_dataset *data,
                             const gp_train_opts *opts);
void gp_trainer_free(gp_trainer *t);

/* GP_TRAIN_AUTO's chunks: `probe` mini-batches to measure the way that is not the faster
 * one, `chunk` mini-batches in the faster one; a two-thread chunk ends early when it runs
 * slower than 1.25 times the one-thread time per batch plus `slack` seconds (the start of
 * the second thread). Defaults 128, 1024, 2e-4; tests use short chunks to exercise the
 * switching. GSL_EINVAL for a zero length or a non-finite slack. */
int gp_trainer_auto_tune(gp_trainer *t, size_t probe, size_t chunk, double slack);

/* One epoch: shuffle the sample order (Fisher-Yates, gsl_ran_shuffle), then one
 * gp_sparse_sgd_step (or, on the dense path, gp_sparse_sgd_step_rows) per consecutive
 * batch of m samples of that order (the last batch
 * may be smaller, as in network2.py), with lambda/n over the whole training-set size
 * n. The network is current when it returns (W^1 is written back), and any change
 * made to it between epochs is picked up. GSL_EINVAL if a label is >= n_L; any status
 * of gp_sparse_sgd_step. GSL_ERANGE when training diverges: the output biases b^L are
 * tested after every batch (a NaN anywhere reaches them through a^L, BP1 and BP3, at
 * O(n_L) per step) and every weight and bias at the end of the epoch; the epoch stops
 * there, the network holds the non-finite values and the epoch is not counted. */
int gp_trainer_epoch(gp_trainer *t);
/* Part of an epoch: at most max_batches mini-batches of it, from where the last call
 * stopped (the epoch's first call shuffles). GSL_CONTINUE (not raised as an error) when
 * the epoch is not finished: the network is current, the epoch not counted, and
 * gp_trainer_batches_done says where it stands; the next call (or gp_trainer_epoch)
 * goes on from there, so the epoch ends with the same bits as one never stopped, and a
 * state taken meanwhile (gp_trainer_get_state, a checkpoint) continues it likewise.
 * max_batches 0 before the first batch leaves the epoch unshuffled. Otherwise as
 * gp_trainer_epoch, which is gp_trainer_epoch_part(t, SIZE_MAX). After a failure the next
 * call begins a new epoch. */
int gp_trainer_epoch_part(gp_trainer *t, size_t max_batches);
/* Mini-batches of the current epoch run so far: 0 between epochs, else below
 * ceil(n / m). */
size_t gp_trainer_batches_done(const gp_trainer *t);
/* Let a signal handler end an epoch early: gp_trainer_epoch (and _part) then reads *flag
 * before each mini-batch after the first and before the shuffle, and, once it is
 * non-zero, stops at that batch boundary (on two threads, after the batch the second
 * thread may have begun) and returns GSL_CONTINUE as gp_trainer_epoch_part does: the
 * epoch continues in the next call, or from a checkpoint. A flag already set when an
 * epoch begins stops it before its shuffle (0 batches done). NULL turns it off. Returns
 * GSL_SUCCESS. */
int gp_trainer_set_stop(gp_trainer *t, const volatile sig_atomic_t *flag);
/* After gp_trainer_epoch returned GSL_ERANGE: the 1-based batch of that epoch after
 * which b^L was non-finite, or 0 when only the end-of-epoch test found it. */
size_t gp_trainer_diverged_batch(const gp_trainer *t);

/* Report the evaluation accuracy (a fraction, or a count: only comparisons are made) of
 * the epoch just run. Updates the best value and the epochs-without-improvement
 * counters, halves eta on the schedule, and sets *stop to 1 when training should end
 * (early stopping, or eta <= eta_0/128); else 0. An improvement is a strict increase.
 * Each epoch is observed at most once (epochs may go unobserved): GSL_EINVAL, nothing
 * changed, when the epoch just run was already observed (a second report would count
 * it twice, so early stopping and the schedule would fire early), before the first
 * epoch has completed (gp_trainer_epochs 0: no epoch to credit) or for a NULL t or stop;
 * GSL_EDOM for a NaN accuracy. The epoch last observed is state (gp_trainer_state). */
int gp_trainer_observe(gp_trainer *t, double accuracy, int *stop);

/* Current state. Epochs run so far; the learning rate the next epoch will use; the best
 * accuracy observed (-inf before any) and the epoch (1-based) it was seen in (0 before).
 */
size_t gp_trainer_epochs(const gp_trainer *t);
double gp_trainer_eta(const gp_trainer *t);
double gp_trainer_best(const gp_trainer *t, size_t *epoch);
/* The permutation used by the last epoch, or by the current one while it is under way
 * (n entries, a borrowed array: do not free). */
const size_t *gp_trainer_order(const gp_trainer *t);

/* The trainer's network (borrowed: the one given to gp_trainer_alloc). */
const gp_network *gp_trainer_network(const gp_trainer *t);

/* What a trainer carries from one mini-batch to the next besides its network: with the
 * network and the data it is everything the following batches depend on, so a trainer
 * given it back (gp_trainer_set_state) runs them to the same bits (a checkpoint,
 * gradproof/checkpoint.h), between epochs or in the middle of one. order and rng are
 * owned (gp_trainer_state_free). */
typedef struct {
    gp_train_opts opts; /* as given to gp_trainer_alloc (threads and layer1 are not
                           state: gradproof train's --resume keeps --layer1) */
    size_t n;           /* training-set size */
    size_t epochs, best_epoch, since_best, since_halving;
    size_t observed;     /* the last epoch gp_trainer_observe credited (0: none), so
                            that a resumed trainer refuses it again */
    double eta, best;    /* best is -inf before any observation */
    size_t batches_done; /* of epoch epochs + 1: 0 between epochs (order is the last
                            epoch's, the next shuffles it), else the batches of that
                            epoch already run (order is its permutation, the generator
                            past its shuffle) */
    size_t *order;       /* the permutation of 0..n-1 described above */
    unsigned char *rng;  /* the shuffling generator's state (gsl_rng_state) */
    size_t rng_size;     /* its gsl_rng_size */
} gp_trainer_state;

/* A copy of t's state between calls of gp_trainer_epoch(_part). GSL_ENOMEM. */
int gp_trainer_get_state(const gp_trainer *t, gp_trainer_state *s);
/* Continue from s: t must train the network and data s was taken with (the network's
 * parameters are the caller's to restore) with the same options except threads.
 * GSL_EINVAL (nothing changed) when an option, n, the generator's size differ, when
 * order is not a permutation of 0..n-1, the counters are inconsistent (best_epoch <=
 * observed <= epochs, since_best <= observed - best_epoch, since_halving <= since_best,
 * best_epoch 0 exactly when best is -inf) or batches_done is not below ceil(n / m). */
int gp_trainer_set_state(gp_trainer *t, const gp_trainer_state *s);
/* Frees order and rng (not s); safe on a zeroed state, twice and on NULL. */
void gp_trainer_state_free(gp_trainer_state *s);

/* Result of an evaluation on a data set. */
typedef struct {
    size_t n;       /* samples evaluated */
    size_t correct; /* samples whose arg max_j a^L_j (first maximum) is the label */
    double cost;    /* (1/n) sum_x C_x + L2 (lambda/2n) sum w^2 + L1 (l1/n) sum |w| with
                       n the evaluated set's size (network2.py total_cost), C_x in the
                       cost's stable form, targets one-hot */
} gp_eval_result;

/* What gp_evaluate computes beyond accuracy. */
#define GP_EVAL_COST 1u /* the total cost (else result->cost is NaN) */
#define GP_EVAL_PARALLEL                                                                 \
    2u /* two threads take alternate chunks: the same predictions,                       \
          and the cost equal to rounding (summed in another order) */

/* Evaluate net on data, feeding `chunk` samples at a time (0 means 128), as sparse
 * batches of their non-zero pixels, through gp_sparse_feedforward, or, for images more
 * than a third non-zero (counted in each call), as rows through
 * gp_sparse_feedforward_rows (both gp_feedforward to rounding). flags: GP_EVAL_COST,
 * GP_EVAL_PARALLEL, both or 0. reg may be NULL (no regularisation term; its n is ignored:
 * n is data->n). confusion may be NULL, or n_L x n_L counts, row = label, column =
 * prediction; it is overwritten. GSL_EBADLEN if data->dim is not n_0, GSL_EINVAL for an
 * empty set, a label >= n_L or an unknown flag, GSL_EDOM for a reg with a negative or
 * non-finite lambda or l1 (as gp_total_cost), GSL_ENOMEM. */
int gp_evaluate(const gp_network *net, const gp_dataset *data,
                const gp_regularization *reg, size_t chunk, unsigned flags,
                size_t *confusion, gp_eval_result *result);

/* A data set prepared for repeated evaluation (a validation set after every epoch): its
 * non-zero pixels indexed once, 3 bytes each, so that gp_evaluate_set does not scan
 * every pixel again. The data is borrowed: it must outlive the set and not change. NULL
 * with GSL_EINVAL for a NULL or empty data set, GSL_ENOMEM. */
typedef struct gp_eval_set gp_eval_set;
gp_eval_set *gp_eval_set_alloc(const gp_dataset *data);
void gp_eval_set_free(gp_eval_set *s);

/* gp_evaluate on the set's data: the same results, bit for bit, faster (images more
 * than a third non-zero are not indexed: both take the dense path,
 * gp_sparse_feedforward_rows, on them). */
int gp_evaluate_set(const gp_network *net, const gp_eval_set *s,
                    const gp_regularization *reg, size_t chunk, unsigned flags,
                    size_t *confusion, gp_eval_result *result);

#ifdef __cplusplus
}
#endif
#endif
