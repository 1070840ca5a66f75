/* train.c: network2.py's SGD (epochs of shuffled mini-batches), evaluation, early
 * stopping and Nielsen's learning-rate schedule. */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <gradproof/train.h>

#include "internal.h"

/* How long a waiting thread spins (pause hints: from about ten nanoseconds to about
 * seventy each, by CPU) before it blocks on the condition variable: some hundred
 * microseconds at most, the time of a few mini-batches, so that on an idle machine the
 * partner is usually still spinning when it is posted to (no system call), and on a busy
 * one a thread whose partner lost its core gives the core up instead of spinning. */
#define GP_TRAIN_SPINS 4000

/* Mini-batches prepared ahead by the second thread: a ring of RING slots. */
#define RING 4

/* How an epoch runs (gp_train_opts.threads and the network's shape). */
typedef enum {
    MODE_ONE,      /* one thread */
    MODE_PREFETCH, /* a second thread gathers the next batches (layer 1 too narrow to
                      split) */
    MODE_SPLIT     /* a second thread also computes rows [split, n_1) of layer 1 */
} epoch_mode;

/* A mini-batch as the step takes it: the non-zero pixels of each image, or (the dense
 * path) every pixel, image i at value[i n_0]. With two threads one writes a slot while
 * the other reads the one before, so each slot and each of its buffers starts a cache
 * line of its own (slot_alloc): no line of one slot holds part of another. */
typedef struct {
    _Alignas(64) size_t *start; /* batch + 1 offsets */
    uint32_t *index;            /* batch x n_0 capacity */
    double *value;              /* batch x n_0 capacity */
    gsl_matrix *Y;              /* n_L x batch one-hot targets */
    size_t m;                   /* samples in this batch */
    int status;                 /* of its gather */
} batch_slot;

static void slot_free(batch_slot *b) {
    free(b->start);
    free(b->index);
    free(b->value);
    gsl_matrix_free(b->Y);
}

/* Buffers for m samples of dim pixels and n_L targets; 0 without memory (then
 * slot_free). */
static int slot_alloc(batch_slot *b, size_t m, size_t dim, size_t nL) {
    *b = (batch_slot){.start = gpi_line_alloc((m + 1) * sizeof *b->start),
                      .index = gpi_line_alloc(m * dim * sizeof *b->index),
                      .value = gpi_line_alloc(m * dim * sizeof *b->value),
                      .Y = gpi_aligned_matrix(nL, m)};
    return b->start && b->index && b->value && b->Y;
}

struct gp_trainer {
    gp_network *net; /* borrowed, updated in place */
    gp_dataset data; /* borrowed arrays */
    gp_train_opts opts;
    gsl_rng *rng;
    size_t *order;         /* sample order of the current epoch */
    gp_sparse_sgd *sgd;    /* the step, with W^1 transposed during an epoch */
    gpi_sparse_set *set;   /* the data's non-zero pixels (NULL: scan each batch) */
    int dense;             /* layer 1 reads every pixel (gp_sparse_sgd_step_rows) */
    batch_slot ring[RING]; /* prefetch only; ring[0] doubles as the one buffer */
    epoch_mode mode;       /* of a two-thread chunk (MODE_ONE: never two threads) */
    size_t bs;             /* batch size (opts.batch, at most n) */
    size_t lo, hi;         /* the batches [lo, hi) of the current two-thread chunk */
    double per_batch[2];   /* GP_TRAIN_AUTO: measured seconds per batch on one and on two
                              threads, 0 until measured */
    size_t probe_in;       /* long chunks before the slower way is measured again */
    size_t probe_len, long_len; /* chunk lengths (gp_trainer_auto_tune) */
    double slack;               /* seconds allowed for starting the helper */
    size_t backoff;     /* the last such interval: doubled each time it loses again */
    size_t split;       /* MODE_SPLIT: the calling thread has rows [0, split), a
                           multiple of GPI_SPARSE_PANEL */
    pthread_mutex_t mu; /* a thread that stopped spinning sleeps on cv under mu */
    pthread_cond_t cv;
    int sync_ok; /* mu and cv are initialised */
    /* Written by the helper, read by the calling thread; then the reverse: on cache
     * lines of their own, so that spinning on one does not slow the writes of the
     * other. */
    _Alignas(64)
        atomic_size_t produced; /* batches of this epoch gathered into the ring */
    atomic_size_t forwarded; /* MODE_SPLIT: batches whose layer-1 rows the helper did */
    atomic_size_t next; /* MODE_SPLIT: the next batch the helper may take (split_main) */
    _Alignas(64)
        atomic_size_t consumed; /* batches of this epoch whose SGD step is done */
    atomic_int stop;            /* the epoch failed: the helper gives up */
    atomic_int sleepers;        /* threads blocked (or about to block) on cv */
    _Alignas(64) double eta;    /* current learning rate */
    size_t epochs;              /* epochs run */
    double best;                /* best observed accuracy */
    size_t best_epoch;          /* epoch of best, 0 if none */
    size_t since_best;          /* epochs since the last improvement (early stopping) */
    size_t since_halving;       /* epochs without improvement since eta last changed */
    size_t observed;       /* the last epoch gp_trainer_observe credited, 0 if none */
    size_t diverged_batch; /* 1-based batch of the last GSL_ERANGE; 0 = epoch end */
    size_t done;           /* mini-batches of the current epoch run (0: between) */
    const volatile sig_atomic_t *stop_flag; /* gp_trainer_set_stop's, or NULL */
};

void gp_train_opts_default(gp_train_opts *opts) {
    GPI_NONNULL(opts, );
    opts->batch = 10;
    opts->eta = 0.5;
    opts->lambda = 0;
    opts->l1 = 0;
    opts->seed = 1;
    opts->threads = 1;
    opts->early_stop = 0;
    opts->schedule = 0;
    opts->layer1 = GP_LAYER1_AUTO;
}

/* n images of dim bytes, or n sample indices, beyond SIZE_MAX bytes: no such buffer,
 * and n * dim wrapped into a read past the caller's pixels (SIGSEGV). */
static int data_too_large(const gp_dataset *d) {
    return (d->dim && d->n > SIZE_MAX / d->dim) || d->n > SIZE_MAX / sizeof(size_t);
}

/* The layer-1 path for data: forced, or by its non-zero pixels (counted once). */
static int choose_dense(const gp_dataset *data, gp_layer1 layer1) {
    if (layer1 != GP_LAYER1_AUTO)
        return layer1 == GP_LAYER1_DENSE;
    size_t len = data->n * data->dim;
    return gpi_dense_wins(gpi_count_nonzero(data->x, len), len);
}

void gp_trainer_free(gp_trainer *t) {
    if (t == NULL)
        return;
    gsl_rng_free(t->rng);
    free(t->order);
    for (size_t s = 0; s < RING; s++)
        slot_free(&t->ring[s]);
    gp_sparse_sgd_free(t->sgd);
    gpi_sparse_set_free(t->set);
    if (t->sync_ok) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
    }
    free(t);
}

/* Layer 1's rows for two threads: whole panels each (16 rows: no two threads touch one
 * cache line of W^1, which sparse.c keeps transposed in panels); the calling thread,
 * which also runs the upper layers, takes about half. Layers narrower than two panels
 * are not split: the second thread only gathers batches. */
static void choose_mode(gp_trainer *t) {
    size_t n1 = t->net->p.sizes[1], panel = GPI_SPARSE_PANEL;
    t->split = (n1 / 2 + panel / 2) / panel * panel;
    if (t->split == 0)
        t->split = panel;
    t->mode = t->opts.threads == 1                ? MODE_ONE
              : t->net->p.L >= 2 && n1 > t->split ? MODE_SPLIT
                                                  : MODE_PREFETCH;
}

/* The batch buffers (one, or the ring) and the hand-off's mutex and condition. */
static int trainer_buffers(gp_trainer *t) {
    size_t m = t->bs, dim = t->data.dim, nL = t->net->p.sizes[t->net->p.L];
    int ok = 1;
    for (size_t s = 0; s < (t->mode == MODE_ONE ? 1 : RING) && ok; s++)
        ok = slot_alloc(&t->ring[s], m, dim, nL);
    if (ok && pthread_mutex_init(&t->mu, NULL) == 0) {
        if (pthread_cond_init(&t->cv, NULL) == 0)
            t->sync_ok = 1;
        else
            pthread_mutex_destroy(&t->mu);
    }
    return ok && t->sync_ok;
}

gp_trainer *gp_trainer_alloc(gp_network *net, const gp_dataset *data,
                             const gp_train_opts *opts) {
    if (net == NULL || data == NULL || opts == NULL || data->n == 0 || data->x == NULL ||
        data->labels == NULL || opts->batch == 0 || data_too_large(data))
        GSL_ERROR_NULL("trainer needs a network, a non-empty data set and batch > 0",
                       GSL_EINVAL);
    if (data->dim != net->p.sizes[0])
        GSL_ERROR_NULL("data dimension differs from the network's n_0", GSL_EBADLEN);
    if (opts->threads < 0 || opts->threads > 2)
        GSL_ERROR_NULL("threads must be 1, 2 or GP_TRAIN_AUTO", GSL_EINVAL);
    if (opts->layer1 < GP_LAYER1_AUTO || opts->layer1 > GP_LAYER1_DENSE)
        GSL_ERROR_NULL("layer1 must be a gp_layer1", GSL_EINVAL);
    /* The steps' own validation, up front (eta is only ever halved from here on). */
    gp_sgd_params p = {opts->eta, opts->lambda, opts->l1, data->n};
    if (gp_sgd_params_check(&p, opts->batch))
        return NULL;
    /* the struct is 64-byte aligned (its counters sit on lines of their own) */
    gp_trainer *t = aligned_alloc(_Alignof(gp_trainer), sizeof *t);
    if (t == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    memset(t, 0, sizeof *t);
    t->net = net;
    t->data = *data;
    t->opts = *opts;
    t->bs = opts->batch < data->n ? opts->batch : data->n;
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    t->order = malloc(data->n * sizeof *t->order);
    t->sgd = gp_sparse_sgd_alloc(net, t->bs);
    /* Each epoch gathers every image once: find their non-zero pixels once, here (the
     * pixel scan took 13 % of a profiled two-thread epoch). */
    t->dense = choose_dense(data, opts->layer1);
    int set_status = t->dense
                         ? GSL_SUCCESS
                         : gpi_sparse_set_alloc(data->x, data->n, data->dim, &t->set);
    choose_mode(t);
    if (!t->rng || !t->order || !t->sgd || set_status || !trainer_buffers(t)) {
        gp_trainer_free(t);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    gsl_rng_set(t->rng, opts->seed);
    /* Identity order; each epoch shuffles the previous one, like random.shuffle on
     * network2.py's training_data list. */
    for (size_t i = 0; i < data->n; i++)
        t->order[i] = i;
    t->eta = opts->eta;
    t->best = -INFINITY;
    gp_trainer_auto_tune(t, 128, 1024, 2e-4);
    return t;
}

/* One-hot column i of Y for label; GSL_EINVAL if the label has no output neuron. */
static int one_hot(gsl_matrix *Y, size_t i, size_t label) {
    if (label >= Y->size1)
        GSL_ERROR("label out of range of the output layer", GSL_EINVAL);
    for (size_t j = 0; j < Y->size1; j++)
        gsl_matrix_set(Y, j, i, j == label ? 1.0 : 0.0);
    return GSL_SUCCESS;
}

/* Samples idx[0..m-1] as a sparse batch in slot s, with their one-hot targets: from the
 * set's entries when it has them (set != NULL), else from the pixels. */
static int gather_sparse(const gp_dataset *d, const gpi_sparse_set *set,
                         const size_t *idx, size_t m, batch_slot *s) {
    size_t k = 0;
    s->start[0] = 0;
    for (size_t i = 0; i < m; i++) {
        int status = one_hot(s->Y, i, d->labels[idx[i]]);
        if (status)
            return status;
        k += set ? gpi_sparse_set_get(set, idx[i], s->index + k, s->value + k)
                 : gp_sparse_from_bytes(d->x + idx[i] * d->dim, d->dim, s->index + k,
                                        s->value + k);
        s->start[i + 1] = k;
    }
    return GSL_SUCCESS;
}

/* Samples idx[0..m-1] as the rows of a dense batch in slot s, with their targets. */
static int gather_dense(const gp_dataset *d, const size_t *idx, size_t m, batch_slot *s) {
    for (size_t i = 0; i < m; i++) {
        int status = one_hot(s->Y, i, d->labels[idx[i]]);
        if (status)
            return status;
        gpi_dense_from_bytes(d->x + idx[i] * d->dim, d->dim, s->value + i * d->dim);
    }
    return GSL_SUCCESS;
}

static int gather(const gp_dataset *d, const gpi_sparse_set *set, int dense,
                  const size_t *idx, size_t m, batch_slot *s) {
    return dense ? gather_dense(d, idx, m, s) : gather_sparse(d, set, idx, m, s);
}

/* Batch b of the epoch (samples order[b m .. b m + m - 1]) into slot s. */
static void fill_slot(gp_trainer *t, size_t b, batch_slot *s) {
    size_t k = b * t->bs;
    s->m = t->data.n - k < t->bs ? t->data.n - k : t->bs;
    s->status = gather(&t->data, t->set, t->dense, t->order + k, s->m, s);
    /* The order is shuffled, so batch b + 1's images lie anywhere in the data set: ask
     * for their cache lines now, to arrive while batch b's step runs. */
#if defined(__GNUC__)
    size_t next = k + s->m, end = next + t->bs < t->data.n ? next + t->bs : t->data.n;
    for (size_t i = next; i < end; i++) {
        if (t->set) { /* the lines gather_sparse will read: the index's, or the pixels */
            gpi_sparse_set_prefetch(t->set, t->order[i]);
            continue;
        }
        const uint8_t *img = t->data.x + t->order[i] * t->data.dim;
        for (size_t off = 0; off < t->data.dim; off += 64)
            __builtin_prefetch(img + off);
    }
#endif
}

/* The slot's batch: its sparse inputs, its dense rows (dim pixels each; the one the
 * gather filled) and a view of its first m target columns. */
static void slot_views(const batch_slot *s, size_t dim, gp_sparse_batch *X,
                       gsl_matrix_view *Xd, gsl_matrix_view *Y) {
    *X = (gp_sparse_batch){s->m, s->start, s->index, s->value};
    *Xd = gsl_matrix_view_array(s->value, s->m, dim);
    *Y = gsl_matrix_submatrix(s->Y, 0, 0, s->Y->size1, s->m);
}

/* The views a step of a slot reads (they must outlive the step). */
typedef struct {
    gp_sparse_batch X;
    gsl_matrix_view Xd, Y;
} slot_batch;

/* The step of a gathered slot (valid by construction: gather_sparse, gather_dense). */
static int slot_step(gp_trainer *t, const batch_slot *s, const gp_sgd_params *p,
                     slot_batch *v, gpi_step *st) {
    slot_views(s, t->data.dim, &v->X, &v->Xd, &v->Y);
    return gpi_step_sparse(st, t->sgd, t->dense ? NULL : &v->X,
                           t->dense ? &v->Xd.matrix : NULL, &v->Y.matrix, p, 1);
}

/* ---- waiting for the other thread ---- */

/* *x = v, and wake the other thread if it sleeps. The store and the load of `sleepers`
 * are sequentially consistent, as are the sleeper's increment and its load of *x: so
 * either this load sees the sleeper (and the broadcast, under mu, reaches it in or
 * before pthread_cond_wait) or the sleeper's load sees v. While the other thread spins,
 * this costs no system call. */
static void wake(gp_trainer *t) {
    if (atomic_load(&t->sleepers) > 0) {
        pthread_mutex_lock(&t->mu);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
}

static void post(gp_trainer *t, atomic_size_t *x, size_t v) {
    atomic_store(x, v);
    wake(t);
}

static void raise_stop(gp_trainer *t) {
    atomic_store(&t->stop, 1);
    wake(t);
}

/* Wait until *x >= target or the epoch stops: spin a bounded while (GP_TRAIN_SPINS),
 * then block on the condition variable. Returns 0 if it stopped instead. */
static int wait_for(gp_trainer *t, atomic_size_t *x, size_t target) {
    for (unsigned spins = 0; spins < GP_TRAIN_SPINS; spins++) {
        if (atomic_load_explicit(x, memory_order_acquire) >= target)
            return 1;
        if (atomic_load_explicit(&t->stop, memory_order_acquire))
            return 0;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&t->mu);
    atomic_fetch_add(&t->sleepers, 1);
    while (atomic_load(x) < target && !atomic_load(&t->stop))
        pthread_cond_wait(&t->cv, &t->mu);
    atomic_fetch_sub(&t->sleepers, 1);
    pthread_mutex_unlock(&t->mu);
    return atomic_load(x) >= target;
}

/* ---- an epoch ---- */

/* The one-thread step of a gathered slot. */
/* Divergence, cheaply after each batch: a non-finite value anywhere in the network
 * reaches a^L in the forward pass, hence delta^L (BP1) and b^L's update (BP3), so
 * testing the n_L output biases costs O(n_L) per step. */
static int batch_finite(gp_trainer *t, size_t b) {
    const gsl_vector *bL = t->net->p.b[t->net->p.L - 1];
    for (size_t j = 0; j < bL->size; j++)
        if (!isfinite(gsl_vector_get(bL, j))) {
            t->diverged_batch = b + 1;
            return GSL_ERANGE;
        }
    return GSL_SUCCESS;
}

/* Once per epoch, every weight and bias (infinities need not reach b^L). */
static int net_finite(const gp_network *net) {
    const gsl_vector *v = net->p.params;
    for (size_t k = 0; k < v->size; k++)
        if (!isfinite(gsl_vector_get(v, k)))
            return GSL_ERANGE;
    return GSL_SUCCESS;
}

static int step_slot(gp_trainer *t, const batch_slot *s, const gp_sgd_params *p) {
    gpi_step st;
    slot_batch v;
    if (s->status)
        return s->status;
    int status = slot_step(t, s, p, &v, &st);
    return status ? status : gpi_step_run(&st, 0, t->net->p.sizes[1], 1, NULL);
}

/* MODE_PREFETCH helper: gathers batch b into slot b mod RING once the SGD step of batch
 * b - RING is done, and publishes it (the slot's contents are visible to the consumer's
 * load of `produced`). */
static void *prefetch_main(void *arg) {
    gp_trainer *t = arg;
    for (size_t b = t->lo; b < t->hi; b++) {
        if (b >= t->lo + RING && !wait_for(t, &t->consumed, b - RING + 1))
            break;
        fill_slot(t, b, &t->ring[b % RING]);
        post(t, &t->produced, b + 1);
    }
    return NULL;
}

/* MODE_SPLIT: both threads run gpi_step_run on batch b, the calling thread ("lead")
 * on rows [0, split) of layer 1 and the upper layers, the helper on rows [split, n_1);
 * the helper gathers batch b + 1 while the lead runs the upper layers:
 *   lead:   forward rows [0, split) | wait forwarded > b | upper layers, delta^1 |
 *           consumed = b + 1 | update rows [0, split)
 *   helper: forward rows [split, n_1) | forwarded = b + 1 | gather b + 1 |
 *           wait consumed > b | update rows [split, n_1)
 * The two never write the same data (rows of layer 1 use only their own rows of W^1,
 * b^1 and delta^1); the counters order the rest. The ring has RING >= 3 slots: batch
 * b + 1 is gathered while batch b is in use, and the slot of b - 2 is free once the
 * lead has passed its upper layers of b - 1. */
typedef struct {
    gp_trainer *t;
    size_t b, end; /* the batch, and the end of the chunk */
} split_ctx;

static int split_wait(void *ctx, int event) {
    split_ctx *c = ctx;
    return wait_for(c->t, event == GPI_FORWARDED ? &c->t->forwarded : &c->t->consumed,
                    c->b + 1);
}

static void split_post(void *ctx, int event) {
    split_ctx *c = ctx;
    post(c->t, event == GPI_FORWARDED ? &c->t->forwarded : &c->t->consumed, c->b + 1);
}

static void split_gather_next(void *ctx) {
    split_ctx *c = ctx;
    if (c->b + 1 < c->end) {
        fill_slot(c->t, c->b + 1, &c->t->ring[(c->b + 1) % RING]);
        post(c->t, &c->t->produced, c->b + 2);
    }
}

/* Batch b's step on one side of the split, once its slot is gathered. */
static int split_step(gp_trainer *t, split_ctx *c, const gp_sgd_params *p, int lead) {
    const batch_slot *s = &t->ring[c->b % RING];
    gpi_step st;
    slot_batch v;
    gpi_handoff h = {split_wait, split_post, lead ? NULL : split_gather_next, c};
    if (!wait_for(t, &t->produced, c->b + 1))
        return GSL_EFAILED; /* stopped by the other thread's error */
    if (s->status)
        return s->status;
    /* the batch was gathered here: valid by construction, and checking it on both
     * threads would lengthen each hand-off's critical path */
    int status = slot_step(t, s, p, &v, &st);
    if (!status)
        status = lead ? gpi_step_run(&st, 0, t->split, 1, &h)
                      : gpi_step_run(&st, t->split, t->net->p.sizes[1], 0, &h);
    return status;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The helper takes batch b only by moving `next` from b to b + 1; the lead ends a chunk
 * early by setting CUT in `next` (chunk_cut), after which the helper takes no batch. */
#define CUT ((size_t)1 << (sizeof(size_t) * 8 - 1))

static void *split_main(void *arg) {
    gp_trainer *t = arg;
    split_ctx c = {t, t->lo, t->hi};
    gp_sgd_params p = {t->eta, t->opts.lambda, t->opts.l1, t->data.n};
    for (; c.b < c.end; c.b++) {
        size_t b = c.b;
        if (!atomic_compare_exchange_strong(&t->next, &b, c.b + 1))
            break; /* cut: the lead ends the chunk before batch c.b */
        if (split_step(t, &c, &p, 0)) {
            raise_stop(t);
            break;
        }
    }
    return NULL;
}

/* Before batch b: gp_trainer_set_stop's flag ends the call there. Not before batch 0:
 * the order is shuffled by then, and a position of 0 batches means an epoch not yet
 * shuffled (gp_trainer_epoch_part asks before it shuffles). */
static int stop_requested(const gp_trainer *t, size_t b) {
    return b > 0 && t->stop_flag != NULL && *t->stop_flag != 0 ? GSL_CONTINUE
                                                               : GSL_SUCCESS;
}

/* Ends the current two-thread chunk as early as the helper allows: returns the end, the
 * first batch it has not taken (the lead must still run the ones it has). */
static size_t chunk_cut(gp_trainer *t) {
    if (t->mode != MODE_SPLIT)
        return 0; /* the prefetching helper computes nothing: end anywhere */
    size_t cur = atomic_load(&t->next);
    while (!atomic_compare_exchange_weak(&t->next, &cur, cur | CUT))
        ;
    return cur & ~CUT; /* (cut before: the same end) */
}

/* Batches [lo, hi) on the calling thread. */
static int chunk_one(gp_trainer *t, const gp_sgd_params *p, size_t lo, size_t hi) {
    int status = GSL_SUCCESS;
    for (size_t b = lo; b < hi && !status && !(status = stop_requested(t, b)); b++) {
        fill_slot(t, b, &t->ring[0]);
        status = step_slot(t, &t->ring[0], p);
        if (!status)
            status = batch_finite(t, b);
        t->done = status ? t->done : b + 1;
    }
    return status;
}

/* The calling thread's side of batches [lo, hi) on two threads. With a time limit per
 * batch, the chunk ends early (checked every probe_len/8 batches) once it is slower than
 * that plus t->slack seconds for starting the helper: *done is the batches run. A stop
 * (stop_requested) ends it as early, after the batch the helper may have begun, and
 * returns GSL_CONTINUE. */
static int chunk_lead(gp_trainer *t, const gp_sgd_params *p, double limit, size_t *done) {
    int status = GSL_SUCCESS, stopped = 0;
    split_ctx c = {t, t->lo, t->hi};
    double t0 = limit > 0 ? now_seconds() : 0;
    size_t every = (t->probe_len + 7) / 8;
    for (; c.b < c.end && !status; c.b++) {
        size_t k = c.b - t->lo, cut = c.end;
        if (!stopped && stop_requested(t, c.b))
            stopped = 1, cut = chunk_cut(t);
        else if (limit > 0 && k > 0 && k % every == 0 &&
                 now_seconds() - t0 > limit * (double)k + t->slack)
            limit = 0, cut = chunk_cut(t);
        c.end = cut < c.end ? cut : c.end;
        if (c.b >= c.end)
            break;
        if (t->mode == MODE_SPLIT) {
            status = split_step(t, &c, p, 1);
            if (!status)
                status = batch_finite(t, c.b);
        } else {
            wait_for(t, &t->produced, c.b + 1);
            status = step_slot(t, &t->ring[c.b % RING], p);
            post(t, &t->consumed, c.b + 1);
            if (!status)
                status = batch_finite(t, c.b);
        }
    }
    *done = c.b - t->lo;
    return status ? status : stopped ? GSL_CONTINUE : GSL_SUCCESS;
}

/* Batches [lo, hi) on two threads (see chunk_lead for limit and done): the helper lives
 * for the chunk. */
static int chunk_two(gp_trainer *t, const gp_sgd_params *p, size_t lo, size_t hi,
                     double limit, size_t *done) {
    pthread_t helper;
    t->lo = lo, t->hi = hi;
    atomic_store(&t->next, lo);
    atomic_store(&t->produced, lo);
    atomic_store(&t->consumed, lo);
    atomic_store(&t->forwarded, lo);
    atomic_store(&t->stop, 0);
    if (t->mode == MODE_SPLIT) {
        /* The helper gathers batch b + 1 while batch b runs; the first is gathered here.
         */
        fill_slot(t, lo, &t->ring[lo % RING]);
        atomic_store(&t->produced, lo + 1);
    }
    if (pthread_create(&helper, NULL, t->mode == MODE_SPLIT ? split_main : prefetch_main,
                       t) != 0)
        GSL_ERROR("cannot start the second training thread", GSL_EFAILED);
    int status = chunk_lead(t, p, limit, done);
    /* A failed chunk stops the helper, and so does one ended early while the helper only
     * prefetches. A finished or stopped one lets it finish: it may still be updating its
     * rows for the last batch. */
    if ((status && status != GSL_CONTINUE) ||
        (t->mode == MODE_PREFETCH && *done < hi - lo))
        raise_stop(t);
    pthread_join(helper, NULL);
    if (!status || status == GSL_CONTINUE)
        t->done = lo + *done; /* both threads' rows of these batches are updated */
    return status;
}

/* GP_TRAIN_AUTO: an epoch in chunks, each on one thread or on two, whichever has
 * measured faster per batch. Two threads hand off several times per mini-batch, which
 * is a gain only while both have a core: when other processes take the cores, every
 * hand-off waits for the scheduler and one thread is faster. The slower way is measured
 * again on a short chunk after `backoff` long ones, doubled each time it loses again,
 * so an idle machine pays a few short one-thread chunks per epochs and a busy one a few
 * short two-thread chunks. The choice changes the time, never the bits (the two ways
 * compute every weight by the same operations). */
#define BACKOFF_MAX 63

int gp_trainer_auto_tune(gp_trainer *t, size_t probe, size_t chunk, double slack) {
    GPI_NONNULL(t, GSL_EINVAL);
    if (probe == 0 || chunk == 0 || !isfinite(slack))
        GSL_ERROR("chunk lengths must be positive and the slack finite", GSL_EINVAL);
    t->probe_len = probe, t->long_len = chunk, t->slack = slack;
    return GSL_SUCCESS;
}

/* The way of the next chunk (0: one thread, 1: two), its length, and whether it is a
 * measurement of a way that is not the faster one. */
static int auto_pick(gp_trainer *t, size_t *len, int *probe) {
    const double *pb = t->per_batch;
    *len = t->probe_len;
    *probe = 1;
    if (pb[0] == 0 || pb[1] == 0) /* one thread measured first, then two */
        return pb[0] != 0;
    int best = pb[1] < pb[0];
    if (t->probe_in == 0)
        return !best;
    t->probe_in--;
    *len = t->long_len;
    *probe = 0;
    return best;
}

/* A probe that lost is made again after four times as many long chunks (plus one), up
 * to BACKOFF_MAX; one that won resets the interval. */
static void auto_learn(gp_trainer *t, int two, int probe, double per_batch) {
    t->per_batch[two] = per_batch;
    if (!probe || t->per_batch[!two] == 0)
        return;
    if (per_batch > t->per_batch[!two])
        t->backoff = t->backoff < BACKOFF_MAX / 4 ? 4 * t->backoff + 1 : BACKOFF_MAX;
    else
        t->backoff = 1;
    t->probe_in = t->backoff;
}

static int epoch_auto(gp_trainer *t, const gp_sgd_params *p, size_t nb) {
    int status = GSL_SUCCESS;
    for (size_t b = t->done, len; b < nb && !status; b += len) {
        int probe, two = auto_pick(t, &len, &probe), whole = len <= nb - b;
        len = whole ? len : nb - b;
        double t0 = now_seconds(), limit = 1.25 * t->per_batch[0];
        if (two)
            status = chunk_two(t, p, b, b + len, limit, &len);
        else
            status = chunk_one(t, p, b, b + len);
        /* a short last chunk is not a fair measurement; one cut short is */
        if ((whole || len < nb - b) && !status && len > 0)
            auto_learn(t, two, probe, (now_seconds() - t0) / (double)len);
    }
    return status;
}

/* Batches t->done .. end - 1 of the epoch, until a stop. */
static int run_epoch(gp_trainer *t, const gp_sgd_params *p, size_t end) {
    if (t->mode == MODE_ONE)
        return chunk_one(t, p, t->done, end);
    if (t->opts.threads == GP_TRAIN_AUTO)
        return epoch_auto(t, p, end);
    size_t done;
    return t->done < end ? chunk_two(t, p, t->done, end, 0, &done) : GSL_SUCCESS;
}

int gp_trainer_set_stop(gp_trainer *t, const volatile sig_atomic_t *flag) {
    GPI_NONNULL(t, GSL_EINVAL);
    t->stop_flag = flag;
    return GSL_SUCCESS;
}

int gp_trainer_epoch(gp_trainer *t) {
    GPI_NONNULL(t, GSL_EINVAL);
    return gp_trainer_epoch_part(t, SIZE_MAX);
}

/* An epoch is its shuffle, then its batches in order; a stop between two batches keeps
 * the position (t->done, with the order and generator as they are), so the rest of the
 * epoch runs the same steps on the same network whenever it is continued. */
int gp_trainer_epoch_part(gp_trainer *t, size_t max_batches) {
    GPI_NONNULL(t, GSL_EINVAL);
    size_t n = t->data.n, nb = (n + t->bs - 1) / t->bs;
    gp_sgd_params p = {t->eta, t->opts.lambda, t->opts.l1, n};
    size_t end = max_batches < nb - t->done ? t->done + max_batches : nb;
    if (t->done == 0) { /* not begun: a stop leaves it so, unshuffled */
        if (end == 0 || (t->stop_flag != NULL && *t->stop_flag != 0))
            return GSL_CONTINUE;
        gsl_ran_shuffle(t->rng, t->order, n, sizeof *t->order);
    }
    /* W^1 lives transposed in t->sgd for the epoch: from the network now, back at the
     * end, so that the network is current between calls whatever happens to it. */
    gp_sparse_sgd_reload(t->sgd);
    int status = run_epoch(t, &p, end);
    gp_sparse_sgd_sync(t->sgd);
    if (status == GSL_CONTINUE || (!status && t->done < nb))
        return GSL_CONTINUE; /* stopped at batch t->done */
    if (!status && net_finite(t->net)) {
        t->diverged_batch = 0;
        status = GSL_ERANGE;
    }
    t->done = 0; /* the next call shuffles: after a failure, a new epoch */
    if (status == GSL_ERANGE)
        GSL_ERROR("training diverged: non-finite weights or biases", GSL_ERANGE);
    if (status)
        return status;
    t->epochs++;
    return GSL_SUCCESS;
}

size_t gp_trainer_batches_done(const gp_trainer *t) {
    GPI_NONNULL(t, SIZE_MAX);
    return t->done;
}

int gp_trainer_observe(gp_trainer *t, double accuracy, int *stop) {
    if (!t || !stop)
        GSL_ERROR("observe needs a trainer and *stop", GSL_EINVAL);
    *stop = 0;
    if (isnan(accuracy))
        GSL_ERROR("accuracy is NaN", GSL_EDOM);
    /* no epoch to credit: the best would be seen in epoch 0, which means "none" */
    if (t->epochs == 0)
        GSL_ERROR("no epoch has run: nothing to observe", GSL_EINVAL);
    /* a second report of one epoch would count it twice in since_best and
     * since_halving, so early stopping and the schedule would fire early */
    if (t->observed == t->epochs)
        GSL_ERROR("this epoch was already observed", GSL_EINVAL);
    t->observed = t->epochs;
    if (accuracy > t->best) {
        t->best = accuracy;
        t->best_epoch = t->epochs;
        t->since_best = 0;
        t->since_halving = 0;
    } else {
        t->since_best++;
        t->since_halving++;
    }
    if (t->opts.early_stop && t->since_best >= t->opts.early_stop)
        *stop = 1;
    /* Nielsen ch. 3: halve eta whenever the no-improvement-in-N rule fires, and end when
     * eta has dropped to eta_0/128 (seven halvings; exact in binary floating point). */
    if (t->opts.schedule && t->since_halving >= t->opts.schedule) {
        t->eta /= 2;
        t->since_halving = 0;
        if (t->eta <= t->opts.eta / 128)
            *stop = 1;
    }
    return GSL_SUCCESS;
}

size_t gp_trainer_diverged_batch(const gp_trainer *t) {
    GPI_NONNULL(t, SIZE_MAX);
    return t->diverged_batch;
}

size_t gp_trainer_epochs(const gp_trainer *t) {
    GPI_NONNULL(t, SIZE_MAX);
    return t->epochs;
}

double gp_trainer_eta(const gp_trainer *t) {
    GPI_NONNULL(t, NAN);
    return t->eta;
}

double gp_trainer_best(const gp_trainer *t, size_t *epoch) {
    GPI_NONNULL(t, NAN);
    if (epoch)
        *epoch = t->best_epoch;
    return t->best;
}

const size_t *gp_trainer_order(const gp_trainer *t) {
    GPI_NONNULL(t, NULL);
    return t->order;
}

const gp_network *gp_trainer_network(const gp_trainer *t) {
    GPI_NONNULL(t, NULL);
    return t->net;
}

void gp_trainer_state_free(gp_trainer_state *s) {
    if (s == NULL) /* as every other _free */
        return;
    free(s->order);
    free(s->rng);
    s->order = NULL;
    s->rng = NULL;
}

int gp_trainer_get_state(const gp_trainer *t, gp_trainer_state *s) {
    GPI_NONNULL(t, GSL_EINVAL);
    GPI_NONNULL(s, GSL_EINVAL);
    size_t n = t->data.n;
    memset(s, 0, sizeof *s);
    s->opts = t->opts;
    s->n = n;
    s->epochs = t->epochs;
    s->best_epoch = t->best_epoch;
    s->since_best = t->since_best;
    s->since_halving = t->since_halving;
    s->observed = t->observed;
    s->eta = t->eta;
    s->best = t->best;
    s->batches_done = t->done;
    s->rng_size = gsl_rng_size(t->rng);
    s->order = malloc(n * sizeof *s->order);
    s->rng = malloc(s->rng_size);
    if (s->order == NULL || s->rng == NULL) {
        gp_trainer_state_free(s);
        GSL_ERROR("out of memory", GSL_ENOMEM);
    }
    memcpy(s->order, t->order, n * sizeof *s->order);
    memcpy(s->rng, gsl_rng_state(t->rng), s->rng_size);
    return GSL_SUCCESS;
}

/* The options that decide the numbers (threads does not: the same bits either way). */
static int same_opts(const gp_train_opts *a, const gp_train_opts *b) {
    return a->batch == b->batch && a->eta == b->eta && a->lambda == b->lambda &&
           a->l1 == b->l1 && a->seed == b->seed && a->early_stop == b->early_stop &&
           a->schedule == b->schedule;
}

/* The state of GSL's gsl_rng_mt19937 (mt.c): the trainer's one generator. An index mti
 * outside 0..624 would make gsl_rng_get read outside mt[]. */
typedef struct {
    unsigned long mt[624];
    int mti;
} mt_state;

int gpi_mt_state_valid(const unsigned char *bytes, size_t size) {
    mt_state st;
    if (size != sizeof st)
        return 0;
    memcpy(&st, bytes, sizeof st);
    return st.mti >= 0 && st.mti <= 624;
}

/* order is a permutation of 0..n-1 (each index seen once). */
int gpi_is_permutation(const size_t *order, size_t n, int *ok) {
    unsigned char *seen = calloc(n, 1);
    if (seen == NULL)
        GSL_ERROR("out of memory", GSL_ENOMEM);
    *ok = 1;
    for (size_t i = 0; i < n && *ok; i++) {
        *ok = order[i] < n && !seen[order[i]];
        if (*ok)
            seen[order[i]] = 1;
    }
    free(seen);
    return GSL_SUCCESS;
}

/* The counters gp_trainer_observe keeps: each observation is of a later epoch, at most
 * the epochs run; since_best counts those after best_epoch, so at most observed -
 * best_epoch of them; since_halving restarts with since_best or on a halving; an epoch
 * is best only once something beat -inf. */
static int counters_consistent(const gp_trainer_state *s) {
    return s->observed <= s->epochs && s->best_epoch <= s->observed &&
           s->since_best <= s->observed - s->best_epoch &&
           s->since_halving <= s->since_best &&
           (s->best_epoch == 0) == (s->best == -INFINITY);
}

/* What a trainer accepts of a state (gp_trainer_set_state, and the checkpoint reader
 * before it: one rule). Options a trainer would take for n samples, eta only ever
 * halved from eta_0, counters that count epochs, a valid generator and order. */
int gpi_trainer_state_check(const gp_trainer_state *s, const char **why) {
    const gp_train_opts *o = &s->opts;
    gp_sgd_params p = {o->eta, o->lambda, o->l1, s->n};
    int ok;
    *why = NULL;
    if (s->n == 0 || o->batch == 0 || gp_sgd_params_check(&p, o->batch))
        *why = "its options are not ones a trainer takes (n, batch, eta_0, lambda, l1)";
    else if (!(s->eta > 0 && s->eta <= o->eta) || isnan(s->best))
        *why = "its eta is not in (0, eta_0] or its best accuracy is NaN";
    else if (!counters_consistent(s))
        *why = "its epoch counters are inconsistent (best_epoch <= observed <= epochs, "
               "since_best <= observed - best_epoch, since_halving <= since_best, "
               "best_epoch 0 exactly when best is -inf)";
    else if (s->batches_done >= (s->n + o->batch - 1) / o->batch)
        *why = "its batches_done is not below the epoch's number of mini-batches";
    else if (s->rng == NULL || !gpi_mt_state_valid(s->rng, s->rng_size))
        *why = "its generator is not an mt19937 state of this machine";
    if (*why)
        return GSL_EINVAL;
    int status = s->order ? gpi_is_permutation(s->order, s->n, &ok) : GSL_SUCCESS;
    if (status)
        return status;
    if (s->order == NULL || !ok)
        *why = "its order is not a permutation of 0..n-1";
    return *why ? GSL_EINVAL : GSL_SUCCESS;
}

int gp_trainer_set_state(gp_trainer *t, const gp_trainer_state *s) {
    GPI_NONNULL(t, GSL_EINVAL);
    GPI_NONNULL(s, GSL_EINVAL);
    const char *why;
    if (!same_opts(&s->opts, &t->opts))
        GSL_ERROR("state taken with other training options", GSL_EINVAL);
    if (s->n != t->data.n)
        GSL_ERROR("state of another data set size", GSL_EINVAL);
    int status = gpi_trainer_state_check(s, &why);
    if (status)
        GSL_ERROR(why ? why : "out of memory", status);
    memcpy(t->order, s->order, s->n * sizeof *t->order);
    memcpy(gsl_rng_state(t->rng), s->rng, s->rng_size);
    t->epochs = s->epochs;
    t->best_epoch = s->best_epoch;
    t->since_best = s->since_best;
    t->since_halving = s->since_halving;
    t->observed = s->observed;
    t->eta = s->eta;
    t->best = s->best;
    t->done = s->batches_done;
    return GSL_SUCCESS;
}

/* One evaluation worker: chunks first, first + stride, ... of the data set, with its own
 * buffers. Counts and the cost sum are its own, merged by gp_evaluate. */
typedef struct {
    const gp_network *net;
    const gp_dataset *data;
    const gpi_sparse_set *set; /* the data's index, or NULL: scan the pixels */
    int dense;                 /* every pixel, as the dense training path */
    size_t chunk, first, stride;
    unsigned flags;
    size_t correct;
    size_t *confusion; /* n_L x n_L, zeroed by the caller, or NULL */
    double sum;
    int status;
} eval_part;

static void *eval_worker(void *arg) {
    eval_part *e = arg;
    const gp_network *net = e->net;
    const gp_dataset *data = e->data;
    size_t L = net->p.L, n_out = net->p.sizes[L], chunk = e->chunk;
    /* The images of a chunk as a batch (their non-zero pixels, or all) with one-hot
     * targets, through the forward pass of the trainer's step (gpi_sparse_forward). */
    batch_slot b;
    int ok = slot_alloc(&b, chunk, data->dim, n_out);
    size_t *idx = malloc(chunk * sizeof *idx);
    double *cbuf = malloc((3 * n_out + 1) * chunk * sizeof *cbuf);
    gp_sparse_sgd *s = gpi_sparse_alloc_const(net, chunk);
    e->status = GSL_ENOMEM;
    if (!ok || !idx || !cbuf || !s)
        goto done;
    const gp_backprop_workspace *w = gp_sparse_sgd_workspace(s);
    for (size_t start = e->first * chunk; start < data->n; start += e->stride * chunk) {
        gp_sparse_batch X;
        gsl_matrix_view Xd, Ym;
        b.m = data->n - start < chunk ? data->n - start : chunk;
        for (size_t i = 0; i < b.m; i++)
            idx[i] = start + i;
        if ((e->status = gather(data, e->set, e->dense, idx, b.m, &b)))
            goto done;
        slot_views(&b, data->dim, &X, &Xd, &Ym);
        /* gathered here, so valid by construction: checking its indices took a fifth
         * of the evaluation */
        if ((e->status = gpi_sparse_forward(s, e->dense ? NULL : &X,
                                            e->dense ? &Xd.matrix : NULL, 1)))
            goto done;
        const gsl_matrix *A = w->a[L - 1];
        for (size_t i = 0; i < b.m; i++) {
            /* Prediction: the first maximum of a^L (np.argmax), column i. */
            const double *a = A->data + i;
            size_t best = 0;
            for (size_t j = 1; j < n_out; j++)
                if (a[j * A->tda] > a[best * A->tda])
                    best = j;
            size_t label = data->labels[start + i];
            e->correct += best == label;
            if (e->confusion)
                e->confusion[label * n_out + best]++;
        }
        /* The cost from z^L in the stable form, finite even where a^L rounds to 0 or 1.
         */
        if (e->flags & GP_EVAL_COST)
            e->sum =
                gpi_cost_columns(e->sum, net->cost, w->z[L - 1], &Ym.matrix, b.m, cbuf);
    }
    e->status = GSL_SUCCESS;
done:
    free(idx);
    free(cbuf);
    slot_free(&b);
    gp_sparse_sgd_free(s);
    return NULL;
}

struct gp_eval_set {
    gp_dataset data;
    gpi_sparse_set *set; /* NULL (dim > 65,536, dense images): the pixels are scanned */
    int dense;           /* the dense path (choose_dense), without an index */
};

gp_eval_set *gp_eval_set_alloc(const gp_dataset *data) {
    if (data == NULL || data->n == 0 || data->x == NULL || data->labels == NULL ||
        data_too_large(data))
        GSL_ERROR_NULL("an evaluation set needs a non-empty data set", GSL_EINVAL);
    gp_eval_set *s = malloc(sizeof *s);
    if (s == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    s->data = *data;
    s->set = NULL;
    s->dense = choose_dense(data, GP_LAYER1_AUTO);
    if (!s->dense && gpi_sparse_set_alloc(data->x, data->n, data->dim, &s->set)) {
        free(s);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    return s;
}

void gp_eval_set_free(gp_eval_set *s) {
    if (s == NULL)
        return;
    gpi_sparse_set_free(s->set);
    free(s);
}

static int evaluate(const gp_network *net, const gp_dataset *data,
                    const gpi_sparse_set *set, int dense, const gp_regularization *reg,
                    size_t chunk, unsigned flags, size_t *confusion,
                    gp_eval_result *result);

int gp_evaluate(const gp_network *net, const gp_dataset *data,
                const gp_regularization *reg, size_t chunk, unsigned flags,
                size_t *confusion, gp_eval_result *result) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(data, GSL_EINVAL);
    GPI_NONNULL(result, GSL_EINVAL);
    int dense = data->n > 0 && data->x != NULL && !data_too_large(data) &&
                choose_dense(data, GP_LAYER1_AUTO);
    return evaluate(net, data, NULL, dense, reg, chunk, flags, confusion, result);
}

int gp_evaluate_set(const gp_network *net, const gp_eval_set *s,
                    const gp_regularization *reg, size_t chunk, unsigned flags,
                    size_t *confusion, gp_eval_result *result) {
    GPI_NONNULL(net, GSL_EINVAL);
    GPI_NONNULL(s, GSL_EINVAL);
    GPI_NONNULL(result, GSL_EINVAL);
    return evaluate(net, &s->data, s->set, s->dense, reg, chunk, flags, confusion,
                    result);
}

static int evaluate(const gp_network *net, const gp_dataset *data,
                    const gpi_sparse_set *set, int dense, const gp_regularization *reg,
                    size_t chunk, unsigned flags, size_t *confusion,
                    gp_eval_result *result) {
    size_t L = net->p.L, n_out = net->p.sizes[L];
    if (data->n == 0 || data_too_large(data))
        GSL_ERROR("empty data set, or n * dim past SIZE_MAX", GSL_EINVAL);
    if (data->dim != net->p.sizes[0])
        GSL_ERROR("data dimension differs from the network's n_0", GSL_EBADLEN);
    if (flags & ~(GP_EVAL_COST | GP_EVAL_PARALLEL)) /* a flag of a later version */
        GSL_ERROR("unknown gp_evaluate flags", GSL_EINVAL);
    /* as gp_total_cost: a negative strength lowered the cost, NaN made it NaN */
    if (reg && gpi_reg_check(reg->lambda, reg->l1))
        return GSL_EDOM;
    /* 128 images: their non-zero pixels (some 230 KB as the kernels read them) stay in
     * L2 beside W^1 while each panel passes over them; 500 took a tenth longer. */
    if (chunk == 0)
        chunk = 128;
    if (chunk > data->n)
        chunk = data->n;
    /* Two workers take alternate chunks (GP_EVAL_PARALLEL, when there are two chunks);
     * every sample is classified the same way either way. */
    size_t n_chunks = (data->n + chunk - 1) / chunk;
    size_t parts = (flags & GP_EVAL_PARALLEL) && n_chunks > 1 ? 2 : 1;
    eval_part part[2];
    size_t *conf1 = NULL;
    if (confusion)
        memset(confusion, 0, n_out * n_out * sizeof *confusion);
    if (parts == 2 && confusion && !(conf1 = calloc(n_out * n_out, sizeof *conf1)))
        GSL_ERROR("out of memory", GSL_ENOMEM);
    for (size_t q = 0; q < parts; q++)
        part[q] = (eval_part){net, data,       set,   dense, chunk,
                              q,   parts,      flags, 0,     q == 0 ? confusion : conf1,
                              0.0, GSL_SUCCESS};
    pthread_t helper;
    int threaded =
        parts == 2 && pthread_create(&helper, NULL, eval_worker, &part[1]) == 0;
    eval_worker(&part[0]);
    if (threaded)
        pthread_join(helper, NULL);
    else if (parts == 2)
        eval_worker(&part[1]); /* no thread to be had: the same work, in turn */
    int status = part[0].status ? part[0].status
                 : parts == 2   ? part[1].status
                                : GSL_SUCCESS;
    if (status) {
        free(conf1);
        GSL_ERROR(status == GSL_ENOMEM ? "out of memory" : "evaluation failed", status);
    }
    size_t correct = part[0].correct;
    double sum = part[0].sum;
    if (parts == 2) {
        correct += part[1].correct;
        sum += part[1].sum;
        for (size_t k = 0; confusion && k < n_out * n_out; k++)
            confusion[k] += conf1[k];
    }
    free(conf1);
    result->n = data->n;
    result->correct = correct;
    /* network2.py total_cost: the regularisation term uses the evaluated set's size. */
    result->cost = flags & GP_EVAL_COST ? sum / (double)data->n : NAN;
    if (reg && (flags & GP_EVAL_COST)) {
        gp_regularization r = *reg;
        r.n = data->n;
        result->cost += gp_regularization_cost(net, &r, data->n);
    }
    return GSL_SUCCESS;
}
