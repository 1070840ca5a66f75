/* train.c: network2.py's SGD (epochs of shuffled mini-batches), evaluation, early
 * stopping and Nielsen's learning-rate schedule. */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <gradproof/train.h>

#include "internal.h"

/* Spins (pause hints, tens of nanoseconds each) before a waiting thread yields. */
#define GP_TRAIN_SPINS 20000

/* Mini-batches prepared ahead by the second thread: a ring of RING slots. */
#define RING 4

/* How an epoch runs (gp_train_opts.threads and the network's shape). */
typedef enum {
    MODE_ONE,      /* one thread */
    MODE_PREFETCH, /* a second thread gathers the next batches (layer 1 too narrow to
                      split) */
    MODE_SPLIT     /* a second thread also computes rows [split, n_1) of layer 1 */
} epoch_mode;

/* A mini-batch as the sparse step takes it: the non-zero pixels of each image. */
typedef struct {
    size_t *start;   /* batch + 1 offsets */
    uint32_t *index; /* batch x n_0 capacity */
    double *value;
    gsl_matrix *Y; /* n_L x batch one-hot targets */
    size_t m;      /* samples in this batch */
    int status;    /* of its gather */
} batch_slot;

struct gp_trainer {
    gp_network *net; /* borrowed, updated in place */
    gp_dataset data; /* borrowed arrays */
    gp_train_opts opts;
    gsl_rng *rng;
    size_t *order;         /* sample order of the current epoch */
    gp_sparse_sgd *sgd;    /* the step, with W^1 transposed during an epoch */
    batch_slot ring[RING]; /* prefetch only; ring[0] doubles as the one buffer */
    epoch_mode mode;
    size_t bs;    /* batch size (opts.batch, at most n) */
    size_t split; /* MODE_SPLIT: the calling thread has rows [0, split), a
                     multiple of GPI_SPARSE_PANEL */
    /* Written by the helper, read by the calling thread; then the reverse: on cache
     * lines of their own, so that spinning on one does not slow the writes of the
     * other. */
    _Alignas(64)
        atomic_size_t produced; /* batches of this epoch gathered into the ring */
    atomic_size_t forwarded; /* MODE_SPLIT: batches whose layer-1 rows the helper did */
    _Alignas(64)
        atomic_size_t consumed; /* batches of this epoch whose SGD step is done */
    atomic_int stop;            /* the epoch failed: the helper gives up */
    _Alignas(64) double eta;    /* current learning rate */
    size_t epochs;              /* epochs run */
    double best;                /* best observed accuracy */
    size_t best_epoch;          /* epoch of best, 0 if none */
    size_t since_best;          /* epochs since the last improvement (early stopping) */
    size_t since_halving;       /* epochs without improvement since eta last changed */
};

void gp_train_opts_default(gp_train_opts *opts) {
    opts->batch = 10;
    opts->eta = 0.5;
    opts->lambda = 0;
    opts->l1 = 0;
    opts->seed = 1;
    opts->threads = 1;
    opts->early_stop = 0;
    opts->schedule = 0;
}

void gp_trainer_free(gp_trainer *t) {
    if (t == NULL)
        return;
    gsl_rng_free(t->rng);
    free(t->order);
    for (size_t s = 0; s < RING; s++) {
        free(t->ring[s].start);
        free(t->ring[s].index);
        free(t->ring[s].value);
        gsl_matrix_free(t->ring[s].Y);
    }
    gp_sparse_sgd_free(t->sgd);
    free(t);
}

gp_trainer *gp_trainer_alloc(gp_network *net, const gp_dataset *data,
                             const gp_train_opts *opts) {
    if (net == NULL || data == NULL || opts == NULL || data->n == 0 || data->x == NULL ||
        data->labels == NULL)
        GSL_ERROR_NULL("trainer needs a network and a non-empty data set", GSL_EINVAL);
    if (data->dim != net->p.sizes[0])
        GSL_ERROR_NULL("data dimension differs from the network's n_0", GSL_EBADLEN);
    /* The same conditions gp_sgd_step enforces, refused up front. */
    if (opts->batch == 0 || !(opts->eta > 0) || !isfinite(opts->eta) ||
        !(opts->lambda >= 0) || !isfinite(opts->lambda) || !(opts->l1 >= 0) ||
        !isfinite(opts->l1) || !(opts->eta * opts->lambda / (double)data->n < 1))
        GSL_ERROR_NULL("trainer needs batch > 0, eta > 0, lambda, l1 >= 0 and "
                       "eta lambda/n < 1",
                       GSL_EINVAL);
    /* the struct is 64-byte aligned (its counters sit on lines of their own) */
    gp_trainer *t = aligned_alloc(_Alignof(gp_trainer), sizeof *t);
    if (t == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    memset(t, 0, sizeof *t);
    size_t m = opts->batch < data->n ? opts->batch : data->n;
    t->net = net;
    t->data = *data;
    t->opts = *opts;
    t->rng = gsl_rng_alloc(gsl_rng_mt19937);
    t->order = malloc(data->n * sizeof *t->order);
    t->sgd = gp_sparse_sgd_alloc(net, m);
    int ok = t->rng && t->order && t->sgd;
    t->bs = m;
    /* Each thread takes whole panels of layer 1's rows (16 rows each: no two threads
     * touch one cache line of W^1); the calling thread, which also runs the upper
     * layers, takes about half. Layers narrower than two panels are not split. */
    size_t n1 = net->p.sizes[1], panel = GPI_SPARSE_PANEL;
    t->split = (n1 / 2 + panel / 2) / panel * panel;
    if (t->split == 0)
        t->split = panel;
    t->mode = opts->threads < 2                ? MODE_ONE
              : net->p.L >= 2 && n1 > t->split ? MODE_SPLIT
                                               : MODE_PREFETCH;
    for (size_t s = 0; s < (t->mode == MODE_ONE ? 1 : RING) && ok; s++) {
        batch_slot *b = &t->ring[s];
        b->start = malloc((m + 1) * sizeof *b->start);
        b->index = malloc(m * data->dim * sizeof *b->index);
        b->value = malloc(m * data->dim * sizeof *b->value);
        b->Y = gsl_matrix_alloc(net->p.sizes[net->p.L], m);
        ok = b->start && b->index && b->value && b->Y;
    }
    if (!ok) {
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

/* Samples idx[0..m-1] as a sparse batch in slot s, with their one-hot targets. */
static int gather_sparse(const gp_dataset *d, const size_t *idx, size_t m,
                         batch_slot *s) {
    size_t k = 0;
    s->start[0] = 0;
    for (size_t i = 0; i < m; i++) {
        int status = one_hot(s->Y, i, d->labels[idx[i]]);
        if (status)
            return status;
        k += gp_sparse_from_bytes(d->x + idx[i] * d->dim, d->dim, s->index + k,
                                  s->value + k);
        s->start[i + 1] = k;
    }
    return GSL_SUCCESS;
}

/* Batch b of the epoch (samples order[b m .. b m + m - 1]) into slot s. */
static void fill_slot(gp_trainer *t, size_t b, batch_slot *s) {
    size_t k = b * t->bs;
    s->m = t->data.n - k < t->bs ? t->data.n - k : t->bs;
    s->status = gather_sparse(&t->data, t->order + k, s->m, s);
    /* The order is shuffled, so batch b + 1's images lie anywhere in the data set: ask
     * for their cache lines now, to arrive while batch b's step runs. */
#if defined(__GNUC__)
    size_t next = k + s->m, end = next + t->bs < t->data.n ? next + t->bs : t->data.n;
    for (size_t i = next; i < end; i++) {
        const uint8_t *img = t->data.x + t->order[i] * t->data.dim;
        for (size_t off = 0; off < t->data.dim; off += 64)
            __builtin_prefetch(img + off);
    }
#endif
}

/* The slot's batch: its sparse inputs and a view of its first m target columns. */
static void slot_views(const batch_slot *s, gp_sparse_batch *X, gsl_matrix_view *Y) {
    *X = (gp_sparse_batch){s->m, s->start, s->index, s->value};
    *Y = gsl_matrix_submatrix(s->Y, 0, 0, s->Y->size1, s->m);
}

static int step_slot(gp_trainer *t, const batch_slot *s, const gp_sgd_params *p) {
    gp_sparse_batch X;
    gsl_matrix_view Y;
    if (s->status)
        return s->status;
    slot_views(s, &X, &Y);
    return gp_sparse_sgd_step(t->sgd, &X, &Y.matrix, p);
}

/* Wait until *x >= target or the epoch stops: spin (with the CPU's pause hint) for
 * about the time of a few mini-batches, then yield the CPU so that a busy machine still
 * makes progress. A step takes microseconds, so a wait that reached sched_yield would
 * cost more than the wait itself. Returns 0 if it stopped instead. */
static int wait_for(gp_trainer *t, atomic_size_t *x, size_t target) {
    for (unsigned spins = 0; atomic_load_explicit(x, memory_order_acquire) < target;) {
        if (atomic_load_explicit(&t->stop, memory_order_acquire))
            return 0;
        if (++spins > GP_TRAIN_SPINS)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
    return 1;
}

/* MODE_PREFETCH helper: gathers batch b into slot b mod RING once the SGD step of batch
 * b - RING is done, and publishes it (release: the slot's contents are visible to the
 * consumer's acquire load of `produced`). */
static void *prefetch_main(void *arg) {
    gp_trainer *t = arg;
    size_t nb = (t->data.n + t->bs - 1) / t->bs;
    for (size_t b = 0; b < nb; b++) {
        if (b >= RING && !wait_for(t, &t->consumed, b - RING + 1))
            break;
        fill_slot(t, b, &t->ring[b % RING]);
        atomic_store_explicit(&t->produced, b + 1, memory_order_release);
    }
    return NULL;
}

/* MODE_SPLIT helper, batch b, rows [split, n_1) of layer 1: forward (z^1, a^1, sigma'),
 * then gather batch b + 1 while the calling thread runs the upper layers, then, once
 * delta^1 is there (`consumed` > b), update its rows of W^1 and b^1. Rows of layer 1 use
 * only their own rows of W^1, b^1 and delta^1 (sparse.c keeps them in separate panels),
 * so the two threads never write the same data; the counters order the rest.
 *   calling thread: forward rows [0, split) | wait forwarded > b |
 *                   upper layers, delta^1 | consumed = b + 1 | update rows [0, split)
 *   helper:         forward rows [split, n_1) | forwarded = b + 1 | gather b + 1 |
 *                   wait consumed > b | update rows [split, n_1)
 * The ring has RING >= 3 slots: batch b + 1 is gathered while batch b is in use, and
 * the slot of b - 2 is free once the calling thread has passed its upper layers of
 * b - 1. */
static void *split_main(void *arg) {
    gp_trainer *t = arg;
    const gp_network *net = t->net;
    size_t nb = (t->data.n + t->bs - 1) / t->bs, n1 = net->p.sizes[1];
    gp_sgd_params p = {t->eta, t->opts.lambda, t->opts.l1, t->data.n};
    for (size_t b = 0; b < nb; b++) {
        const batch_slot *s = &t->ring[b % RING];
        gp_sparse_batch X;
        gsl_matrix_view Y;
        double alpha, decay, shrink;
        if (!wait_for(t, &t->produced, b + 1) || s->status)
            break;
        slot_views(s, &X, &Y);
        gpi_sparse_forward(t->sgd, &X, t->split, n1, 1);
        atomic_store_explicit(&t->forwarded, b + 1, memory_order_release);
        if (b + 1 < nb) {
            fill_slot(t, b + 1, &t->ring[(b + 1) % RING]);
            atomic_store_explicit(&t->produced, b + 2, memory_order_release);
        }
        if (!wait_for(t, &t->consumed, b + 1))
            break;
        gpi_sgd_coefficients(&p, s->m, &alpha, &decay, &shrink);
        gpi_sparse_update(t->sgd, &X, alpha, decay, shrink, t->split, n1);
    }
    return NULL;
}

/* The calling thread's side of MODE_SPLIT (see split_main). */
static int split_epoch(gp_trainer *t, const gp_sgd_params *p, size_t nb) {
    int status = GSL_SUCCESS;
    for (size_t b = 0; b < nb && !status; b++) {
        const batch_slot *s = &t->ring[b % RING];
        gp_sparse_batch X;
        gsl_matrix_view Y;
        double alpha, decay, shrink;
        wait_for(t, &t->produced, b + 1);
        if ((status = s->status))
            break;
        slot_views(s, &X, &Y);
        status = gpi_sgd_coefficients(p, s->m, &alpha, &decay, &shrink);
        if (!status)
            status = gpi_sparse_check(t->sgd, &X, &Y.matrix);
        if (!status)
            status = gpi_sparse_forward(t->sgd, &X, 0, t->split, 1);
        if (status)
            break;
        wait_for(t, &t->forwarded, b + 1);
        status = gpi_sparse_upper(t->sgd, &Y.matrix, alpha, decay, shrink);
        if (status)
            break;
        atomic_store_explicit(&t->consumed, b + 1, memory_order_release);
        gpi_sparse_update(t->sgd, &X, alpha, decay, shrink, 0, t->split);
    }
    return status;
}

int gp_trainer_epoch(gp_trainer *t) {
    size_t n = t->data.n, nb = (n + t->bs - 1) / t->bs;
    gp_sgd_params p = {t->eta, t->opts.lambda, t->opts.l1, n};
    int status = GSL_SUCCESS;
    gsl_ran_shuffle(t->rng, t->order, n, sizeof *t->order);
    /* W^1 lives transposed in t->sgd for the epoch: from the network now, back at the
     * end, so that the network is current between epochs whatever happens to it. */
    gp_sparse_sgd_reload(t->sgd);
    if (t->mode == MODE_ONE) {
        for (size_t b = 0; b < nb && !status; b++) {
            fill_slot(t, b, &t->ring[0]);
            status = step_slot(t, &t->ring[0], &p);
        }
    } else {
        pthread_t helper;
        atomic_store(&t->produced, 0);
        atomic_store(&t->consumed, 0);
        atomic_store(&t->forwarded, 0);
        atomic_store(&t->stop, 0);
        if (t->mode == MODE_SPLIT) {
            /* The helper gathers batch b + 1 while batch b runs; batch 0 is gathered
             * here. */
            fill_slot(t, 0, &t->ring[0]);
            atomic_store(&t->produced, 1);
        }
        if (pthread_create(&helper, NULL,
                           t->mode == MODE_SPLIT ? split_main : prefetch_main, t) != 0)
            GSL_ERROR("cannot start the second training thread", GSL_EFAILED);
        if (t->mode == MODE_SPLIT)
            status = split_epoch(t, &p, nb);
        else
            for (size_t b = 0; b < nb && !status; b++) {
                wait_for(t, &t->produced, b + 1);
                status = step_slot(t, &t->ring[b % RING], &p);
                atomic_store_explicit(&t->consumed, b + 1, memory_order_release);
            }
        /* Only a failed epoch stops the helper early. A finished one lets it finish
         * too: it may still be updating its rows for the last batch, and `stop` seen
         * between its two loads in wait_for would make it skip that update. */
        if (status)
            atomic_store_explicit(&t->stop, 1, memory_order_release);
        pthread_join(helper, NULL);
    }
    gp_sparse_sgd_sync(t->sgd);
    if (status)
        return status;
    t->epochs++;
    return GSL_SUCCESS;
}

int gp_trainer_observe(gp_trainer *t, double accuracy, int *stop) {
    *stop = 0;
    if (isnan(accuracy))
        GSL_ERROR("accuracy is NaN", GSL_EDOM);
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

size_t gp_trainer_epochs(const gp_trainer *t) {
    return t->epochs;
}

double gp_trainer_eta(const gp_trainer *t) {
    return t->eta;
}

double gp_trainer_best(const gp_trainer *t, size_t *epoch) {
    if (epoch)
        *epoch = t->best_epoch;
    return t->best;
}

const size_t *gp_trainer_order(const gp_trainer *t) {
    return t->order;
}

/* One evaluation worker: chunks first, first + stride, ... of the data set, with its own
 * buffers. Counts and the cost sum are its own, merged by gp_evaluate. */
typedef struct {
    const gp_network *net;
    const gp_dataset *data;
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
    /* The images of a chunk as a sparse batch (their non-zero pixels) with one-hot
     * targets, through the forward pass of the trainer's step (gp_sparse_feedforward). */
    batch_slot b = {malloc((chunk + 1) * sizeof *b.start),
                    malloc(chunk * data->dim * sizeof *b.index),
                    malloc(chunk * data->dim * sizeof *b.value),
                    gsl_matrix_alloc(n_out, chunk),
                    0,
                    0};
    size_t *idx = malloc(chunk * sizeof *idx);
    gp_sparse_sgd *s = gpi_sparse_alloc_const(net, chunk);
    e->status = GSL_ENOMEM;
    if (!idx || !b.start || !b.index || !b.value || !b.Y || !s)
        goto done;
    const gp_backprop_workspace *w = gp_sparse_sgd_workspace(s);
    for (size_t start = e->first * chunk; start < data->n; start += e->stride * chunk) {
        gp_sparse_batch X;
        gsl_matrix_view Ym;
        b.m = data->n - start < chunk ? data->n - start : chunk;
        for (size_t i = 0; i < b.m; i++)
            idx[i] = start + i;
        if ((e->status = gather_sparse(data, idx, b.m, &b)))
            goto done;
        slot_views(&b, &X, &Ym);
        if ((e->status = gp_sparse_feedforward(s, &X)))
            goto done;
        const gsl_matrix *A = w->a[L - 1];
        for (size_t i = 0; i < b.m; i++) {
            /* Prediction: the first maximum of a^L (np.argmax). The cost comes from z^L
             * in the stable form, finite even where a^L rounds to 0 or 1. */
            size_t best = 0;
            for (size_t j = 1; j < n_out; j++)
                if (gsl_matrix_get(A, j, i) > gsl_matrix_get(A, best, i))
                    best = j;
            size_t label = data->labels[start + i];
            e->correct += best == label;
            if (e->confusion)
                e->confusion[label * n_out + best]++;
            if (e->flags & GP_EVAL_COST)
                e->sum += gpi_cost_column(net->cost, w->z[L - 1], &Ym.matrix, i);
        }
    }
    e->status = GSL_SUCCESS;
done:
    free(idx);
    free(b.start);
    free(b.index);
    free(b.value);
    gsl_matrix_free(b.Y);
    gp_sparse_sgd_free(s);
    return NULL;
}

int gp_evaluate(const gp_network *net, const gp_dataset *data,
                const gp_regularization *reg, size_t chunk, unsigned flags,
                size_t *confusion, gp_eval_result *result) {
    size_t L = net->p.L, n_out = net->p.sizes[L];
    if (data->n == 0)
        GSL_ERROR("empty data set", GSL_EINVAL);
    if (data->dim != net->p.sizes[0])
        GSL_ERROR("data dimension differs from the network's n_0", GSL_EBADLEN);
    if (chunk == 0)
        chunk = 500;
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
        part[q] = (eval_part){net,   data,       chunk, q,
                              parts, flags,      0,     q == 0 ? confusion : conf1,
                              0.0,   GSL_SUCCESS};
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
