/* gradproof/checkpoint.h: a trainer's whole state in one file, written atomically, so
 * that training killed at any moment continues from the last checkpoint to the same
 * bits as a run never interrupted; the checkpoint may be taken between epochs or
 * between two mini-batches of one (gp_trainer_epoch_part, gp_trainer_set_stop).
 *
 * The file is JSON: {"format": "gradproof-checkpoint", "version": 3,
 *   "network": {network2.py JSON, 17 significant digits: the same bits back},
 *   "trainer": {the options batch, eta0, lambda, l1, seed, early_stop, schedule; n,
 *               epochs, eta, best (null for -inf), best_epoch, since_best,
 *               since_halving, observed (the last epoch gp_trainer_observe
 *               credited, 0 if none), batches_done (of epoch epochs + 1, 0 between
 *               epochs), "rng": {"type": "mt19937", "state": hex bytes},
 *               "order": [the permutation, gp_trainer_state's order]},
 *   "meta": the caller's JSON value (the command line, the metrics so far), or null}.
 * The generator's state is gsl_rng_state's bytes: a checkpoint resumes on a machine
 * with the same unsigned long (GSL's mt19937 layout), checked by its size.
 *
 * Errors as gradproof/atomic.h (a GSL status, a one-line message naming the file):
 * GSL_EFAILED cannot open or write, GSL_EINVAL not a checkpoint (the missing or wrong
 * key named), GSL_ENOMEM. */
#ifndef GRADPROOF_CHECKPOINT_H
#define GRADPROOF_CHECKPOINT_H

#include <gradproof/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    gp_network *net;        /* owned */
    gp_trainer_state state; /* owned arrays */
    char *meta; /* the caller's JSON value, compact text; owned, NULL if none */
} gp_checkpoint;

/* Write t's network and state (between epochs or mini-batches), and meta (JSON text, or
 * NULL), to path atomically. GSL_EINVAL if meta is not JSON. */
int gp_checkpoint_save(const char *path, const gp_trainer *t, const char *meta,
                       char *errbuf, size_t errlen);
/* An upper bound on the bytes gp_checkpoint_save writes for a network of these sizes
 * (as gp_netio_size_bound), n training samples and meta text of at most meta_len bytes
 * (compact JSON, as jansson writes it back): for checking the free space before a long
 * run (gp_atomic_space). SIZE_MAX if the bound does not fit a size_t, or for sizes
 * gp_netio_size_bound refuses (GSL_EINVAL raised). */
size_t gp_checkpoint_size_bound(size_t n_layers, const size_t *sizes, size_t n,
                                size_t meta_len);
/* Read a checkpoint, version 3, 2 or 1. Versions 2 and 1 have no observed (written
 * before gp_trainer_observe refused a second report of an epoch): it is read as epochs,
 * since gradproof train saves only after observing each epoch it ran, so a resumed
 * trainer refuses to observe the last epoch again (a caller that saved between an
 * epoch and its observation cannot report that epoch). Version 1 (written before
 * mid-epoch states) also lacks batches_done, read as 0. Every field is checked (the
 * network as gp_netio_load checks one, the order a permutation of 0..n-1 as
 * gp_trainer_set_state checks it later). To continue: gp_trainer_alloc(c->net, data,
 * &c->state.opts with any threads), then gp_trainer_set_state(t, &c->state). *out is NULL
 * on failure. */
int gp_checkpoint_load(const char *path, gp_checkpoint **out, char *errbuf,
                       size_t errlen);
void gp_checkpoint_free(gp_checkpoint *c);

#ifdef __cplusplus
}
#endif
#endif
