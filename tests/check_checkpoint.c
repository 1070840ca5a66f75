/* tests/check_checkpoint.c: checkpoints (gradproof/checkpoint.h): training stopped after
 * any epoch, or after any mini-batch of one, and resumed from a checkpoint file ends
 * with the same bits as a run never stopped, on one or two threads; the generator's
 * state, the order and the position in the epoch are what makes it so (controls:
 * without any of them, the network differs); damaged checkpoints and states of other
 * options are refused, naming what is wrong. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/gradproof.h>

#include "testutil.h"

#define TU_PROG "check_checkpoint"
#define N 97  /* samples: the last batch of 10 is short */
#define DIM 9 /* inputs */
#define EPOCHS 6

static char eb[512];
static uint8_t x[N * DIM], labels[N];
static const gp_dataset data = {N, DIM, x, labels};

/* Three classes: class c brightens the pixels j with j % 3 == c. */
static void setup(void) {
    tu_handler_off();
    tu_tmpdir_make("check_checkpoint");
    eb[0] = '\0';
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    for (size_t i = 0; i < N; i++) {
        labels[i] = (uint8_t)(i % 3);
        for (size_t j = 0; j < DIM; j++)
            x[i * DIM + j] =
                (uint8_t)(gsl_rng_uniform_int(r, 120) + (j % 3 == i % 3 ? 120 : 0));
    }
    gsl_rng_free(r);
}

static void teardown(void) {
    tu_tmpdir_remove();
    tu_handler_restore();
}

static gp_network *fresh_net(void) {
    size_t sizes[] = {DIM, 40, 3}; /* 40 > two panels: the two-thread split runs */
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    gp_network_init(net, GP_INIT_DEFAULT, r);
    gsl_rng_free(r);
    return net;
}

/* The schedule and early stopping carry state across epochs too. */
static void opts_for(gp_train_opts *o, int threads) {
    gp_train_opts_default(o);
    o->eta = 4.0; /* large: the accuracy moves, so best/since_* change */
    o->lambda = 0.1;
    o->schedule = 2;
    o->early_stop = 2;
    o->threads = threads;
}

/* Epochs until the trainer has run `until`, each followed by an evaluation reported
 * back as gp_trainer_observe wants it; returns the epochs (bit e for epoch e) after
 * which it said stop (early stopping's counter is state too). Training goes on. */
static unsigned run(gp_trainer *t, gp_network *net, size_t until) {
    unsigned stops = 0;
    while (gp_trainer_epochs(t) < until) {
        gp_eval_result res;
        int stop;
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
        ck_assert_int_eq(gp_evaluate(net, &data, NULL, 0, 0, NULL, &res), GSL_SUCCESS);
        ck_assert_int_eq(gp_trainer_observe(t, (double)res.correct, &stop), GSL_SUCCESS);
        stops |= (unsigned)stop << gp_trainer_epochs(t);
    }
    return stops;
}

/* Parameters equal to the bit (memcmp: -0.0 and 0.0 differ too). */
static int same_bits(const gp_network *a, const gp_network *b) {
    return a->p.n_params == b->p.n_params &&
           !memcmp(a->p.params->data, b->p.params->data, a->p.n_params * sizeof(double));
}

/* How a resume is damaged, for the controls. */
enum { INTACT, RESEED, IDENTITY_ORDER, NO_POSITION };

/* Stop after k epochs (checkpoint written, everything freed), load, continue to EPOCHS
 * on `threads` threads; the final network in *out. */
static unsigned stop_and_resume(size_t k, int threads, int damage, gp_network **out,
                                double *eta, double *best) {
    const char *path = tu_tmpdir_path("ck.json");
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *net = fresh_net();
    gp_trainer *t = gp_trainer_alloc(net, &data, &o);
    ck_assert_ptr_nonnull(t);
    unsigned stops = run(t, net, k);
    ck_assert_msg(!gp_checkpoint_save(path, t, "{\"argv\": [\"x\"]}", eb, sizeof eb),
                  "%s", eb);
    gp_trainer_free(t);
    gp_network_free(net);

    gp_checkpoint *c;
    ck_assert_msg(!gp_checkpoint_load(path, &c, eb, sizeof eb), "%s", eb);
    ck_assert_str_eq(c->meta, "{\"argv\":[\"x\"]}");
    ck_assert_uint_eq(c->state.epochs, k);
    gp_train_opts o2 = c->state.opts;
    o2.threads = threads;
    t = gp_trainer_alloc(c->net, &data, &o2);
    ck_assert_ptr_nonnull(t);
    if (damage == RESEED) { /* a resume that forgot the generator's state */
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, o2.seed);
        memcpy(c->state.rng, gsl_rng_state(r), c->state.rng_size);
        gsl_rng_free(r);
    }
    for (size_t i = 0; damage == IDENTITY_ORDER && i < N; i++)
        c->state.order[i] = i; /* ... or the permutation */
    ck_assert_int_eq(gp_trainer_set_state(t, &c->state), GSL_SUCCESS);
    stops |= run(t, c->net, EPOCHS);
    *eta = gp_trainer_eta(t);
    *best = gp_trainer_best(t, NULL);
    gp_trainer_free(t);
    *out = c->net;
    c->net = NULL;
    gp_checkpoint_free(c);
    return stops;
}

START_TEST(test_resume_after_any_epoch_is_bit_identical) {
    int threads = 1 + _i;
    gp_train_opts o;
    opts_for(&o, threads);
    gp_network *ref = fresh_net();
    gp_trainer *t = gp_trainer_alloc(ref, &data, &o);
    ck_assert_ptr_nonnull(t);
    unsigned ref_stops = run(t, ref, EPOCHS);
    double ref_eta = gp_trainer_eta(t), ref_best = gp_trainer_best(t, NULL);
    gp_trainer_free(t);
    /* the schedule did halve and early stopping did fire: their state is exercised */
    ck_assert(ref_eta < o.eta && ref_stops != 0);
    for (size_t k = 0; k <= EPOCHS; k++) {
        gp_network *net;
        double eta, best;
        unsigned stops = stop_and_resume(k, threads, INTACT, &net, &eta, &best);
        ck_assert_msg(same_bits(net, ref), "stopped after epoch %zu, %d threads: differs",
                      k, threads);
        ck_assert(eta == ref_eta && best == ref_best);
        ck_assert_msg(stops == ref_stops, "stopped after epoch %zu: stops %x, not %x", k,
                      stops, ref_stops);
        gp_network_free(net);
    }
    /* Controls: a resume that loses the generator's state or the permutation (each
     * shuffle permutes the previous epoch's order) is caught. */
    for (int damage = RESEED; damage <= IDENTITY_ORDER; damage++) {
        gp_network *net;
        double eta, best;
        stop_and_resume(2, threads, damage, &net, &eta, &best);
        ck_assert_msg(!same_bits(net, ref), "damage %d went unnoticed", damage);
        gp_network_free(net);
    }
    gp_network_free(ref);
}
END_TEST

/* Save t to a checkpoint, free it and net, load it back; the checkpoint's trainer on
 * `threads` threads, damaged as asked, in *tp (its network is c->net). */
static gp_checkpoint *save_and_load(gp_trainer *t, gp_network *net, int threads,
                                    int damage, gp_trainer **tp) {
    const char *path = tu_tmpdir_path("ck.json");
    gp_checkpoint *c;
    ck_assert_msg(!gp_checkpoint_save(path, t, NULL, eb, sizeof eb), "%s", eb);
    gp_trainer_free(t);
    gp_network_free(net);
    ck_assert_msg(!gp_checkpoint_load(path, &c, eb, sizeof eb), "%s", eb);
    gp_train_opts o = c->state.opts;
    o.threads = threads;
    *tp = gp_trainer_alloc(c->net, &data, &o);
    ck_assert_ptr_nonnull(*tp);
    if (damage == NO_POSITION) /* a resume that forgot where the epoch stood */
        c->state.batches_done = 0;
    ck_assert_int_eq(gp_trainer_set_state(*tp, &c->state), GSL_SUCCESS);
    return c;
}

/* Epochs before the stop, and the mini-batches of the next one run before it. */
static const size_t stop_epochs[] = {0, 2, 5};
#define NB ((N + 9) / 10) /* mini-batches of an epoch: 10, the last of 7 samples */
static const size_t stop_batches[] = {0, 1, 4, NB - 1};

/* Stopped after batch k of epoch e + 1 (gp_trainer_epoch_part) on `before` threads,
 * checkpointed, resumed on `after` threads: the network of EPOCHS epochs is the one of
 * the uninterrupted one-thread run, to the bit, and so are eta, the best accuracy and
 * the epochs after which the trainer said stop. _i picks (before, after). */
START_TEST(test_resume_after_any_mini_batch_is_bit_identical) {
    int before = 1 + _i / 2, after = 1 + _i % 2;
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *ref = fresh_net();
    gp_trainer *t = gp_trainer_alloc(ref, &data, &o);
    unsigned ref_stops = run(t, ref, EPOCHS);
    double ref_eta = gp_trainer_eta(t), ref_best = gp_trainer_best(t, NULL);
    gp_trainer_free(t);
    for (size_t ie = 0; ie < sizeof stop_epochs / sizeof *stop_epochs; ie++)
        for (size_t ik = 0; ik < sizeof stop_batches / sizeof *stop_batches; ik++) {
            size_t e = stop_epochs[ie], k = stop_batches[ik];
            gp_network *net = fresh_net();
            opts_for(&o, before);
            t = gp_trainer_alloc(net, &data, &o);
            unsigned stops = run(t, net, e);
            ck_assert_int_eq(gp_trainer_epoch_part(t, k), GSL_CONTINUE);
            ck_assert_uint_eq(gp_trainer_batches_done(t), k);
            ck_assert_uint_eq(gp_trainer_epochs(t), e);
            gp_checkpoint *c = save_and_load(t, net, after, INTACT, &t);
            ck_assert_uint_eq(c->state.batches_done, k);
            ck_assert_uint_eq(gp_trainer_batches_done(t), k);
            stops |= run(t, c->net, EPOCHS);
            ck_assert_msg(same_bits(c->net, ref),
                          "stopped after batch %zu of epoch %zu (%d then %d threads): "
                          "differs",
                          k, e + 1, before, after);
            ck_assert(gp_trainer_eta(t) == ref_eta &&
                      gp_trainer_best(t, NULL) == ref_best && stops == ref_stops);
            gp_trainer_free(t);
            gp_checkpoint_free(c);
        }
    /* Control: a resume that loses the position (reshuffles, reruns from batch 0) is
     * caught, for a stop after one batch or after all but the last. */
    for (size_t k = 1; k < NB; k += NB - 2) {
        gp_network *net = fresh_net();
        opts_for(&o, before);
        t = gp_trainer_alloc(net, &data, &o);
        run(t, net, 2);
        ck_assert_int_eq(gp_trainer_epoch_part(t, k), GSL_CONTINUE);
        gp_checkpoint *c = save_and_load(t, net, after, NO_POSITION, &t);
        run(t, c->net, EPOCHS);
        ck_assert_msg(!same_bits(c->net, ref),
                      "losing the position after batch %zu went "
                      "unnoticed",
                      k);
        gp_trainer_free(t);
        gp_checkpoint_free(c);
    }
    gp_network_free(ref);
}
END_TEST

/* gp_trainer_epoch_part in steps of any size runs the epoch gp_trainer_epoch runs: its
 * parts add up; 0 batches before the first leaves it unshuffled; a stop flag raised
 * before an epoch stops it unshuffled, and one raised mid-epoch stops the next call
 * before its first batch. */
START_TEST(test_epoch_parts_and_the_stop_flag) {
    gp_train_opts o;
    opts_for(&o, 1 + _i);
    gp_network *ref = fresh_net(), *net = fresh_net();
    gp_trainer *r = gp_trainer_alloc(ref, &data, &o),
               *t = gp_trainer_alloc(net, &data, &o);
    ck_assert_int_eq(gp_trainer_epoch(r), GSL_SUCCESS);
    ck_assert_int_eq(gp_trainer_epoch(r), GSL_SUCCESS);
    size_t first[N];
    memcpy(first, gp_trainer_order(t), sizeof first);
    ck_assert_int_eq(gp_trainer_epoch_part(t, 0), GSL_CONTINUE);
    ck_assert(!memcmp(first, gp_trainer_order(t), sizeof first)); /* not shuffled */
    ck_assert_int_eq(gp_trainer_epoch_part(t, 3), GSL_CONTINUE);
    ck_assert_int_eq(gp_trainer_epoch_part(t, 0), GSL_CONTINUE);
    ck_assert_int_eq(gp_trainer_epoch_part(t, 6), GSL_CONTINUE);
    ck_assert_uint_eq(gp_trainer_batches_done(t), 9);
    ck_assert_int_eq(gp_trainer_epoch_part(t, 5), GSL_SUCCESS); /* 1 left of 5 */
    ck_assert_uint_eq(gp_trainer_batches_done(t), 0);
    ck_assert_uint_eq(gp_trainer_epochs(t), 1);
    volatile sig_atomic_t flag = 1;
    ck_assert_int_eq(gp_trainer_set_stop(t, &flag), GSL_SUCCESS);
    memcpy(first, gp_trainer_order(t), sizeof first);
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_CONTINUE); /* stopped before its shuffle */
    ck_assert_uint_eq(gp_trainer_batches_done(t), 0);
    ck_assert(!memcmp(first, gp_trainer_order(t), sizeof first));
    flag = 0;
    ck_assert_int_eq(gp_trainer_epoch_part(t, 2), GSL_CONTINUE);
    flag = 1;
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_CONTINUE); /* no batch run */
    ck_assert_uint_eq(gp_trainer_batches_done(t), 2);
    flag = 0;
    ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    ck_assert_uint_eq(gp_trainer_epochs(t), 2);
    ck_assert(same_bits(net, ref));
    gp_trainer_free(r);
    gp_trainer_free(t);
    gp_network_free(ref);
    gp_network_free(net);
}
END_TEST

/* The flag raised by another thread at a random moment (as a signal handler would):
 * wherever the epoch stopped, on one or two threads, a checkpoint of it resumes to the
 * bits of the uninterrupted run. A data set of 2,000 samples (200 mini-batches an
 * epoch) so that most stops land inside an epoch. */
#define BIG 2000
static uint8_t bx[BIG * DIM], blabels[BIG];
static volatile sig_atomic_t raised;

static void *raise_later(void *arg) {
    struct timespec ts = {0, *(const long *)arg};
    nanosleep(&ts, NULL);
    raised = 1;
    return NULL;
}

START_TEST(test_stop_flag_at_random_moments_resumes_to_the_same_bits) {
    const gp_dataset big = {BIG, DIM, bx, blabels};
    for (size_t i = 0; i < BIG; i++) {
        blabels[i] = labels[i % N];
        memcpy(bx + i * DIM, x + (i % N) * DIM, DIM);
    }
    gp_train_opts o;
    opts_for(&o, 1);
    o.schedule = o.early_stop = 0;
    o.eta = 0.5;
    gp_network *ref = fresh_net();
    gp_trainer *t = gp_trainer_alloc(ref, &big, &o);
    for (int e = 0; e < 3; e++)
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    gp_trainer_free(t);
    const char *path = tu_tmpdir_path("ck.json");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t mid = 0;
    for (int trial = 0; trial < 12; trial++) {
        gp_network *net = fresh_net();
        o.threads = 1 + trial % 2;
        t = gp_trainer_alloc(net, &big, &o);
        gp_trainer_set_stop(t, &raised);
        raised = 0;
        long ns = (long)gsl_rng_uniform_int(r, 1000000); /* up to 1 ms */
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, raise_later, &ns), 0);
        int st = GSL_SUCCESS;
        while (gp_trainer_epochs(t) < 3 && st == GSL_SUCCESS)
            st = gp_trainer_epoch(t);
        pthread_join(th, NULL);
        mid += st == GSL_CONTINUE && gp_trainer_batches_done(t) > 0;
        ck_assert_msg(!gp_checkpoint_save(path, t, NULL, eb, sizeof eb), "%s", eb);
        gp_trainer_free(t);
        gp_network_free(net);
        gp_checkpoint *c;
        ck_assert_msg(!gp_checkpoint_load(path, &c, eb, sizeof eb), "%s", eb);
        gp_train_opts o2 = c->state.opts;
        o2.threads = 2 - trial % 2; /* the other way */
        t = gp_trainer_alloc(c->net, &big, &o2);
        ck_assert_int_eq(gp_trainer_set_state(t, &c->state), GSL_SUCCESS);
        while (gp_trainer_epochs(t) < 3)
            ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
        ck_assert_msg(same_bits(c->net, ref),
                      "trial %d: stopped after batch %zu of epoch "
                      "%zu: differs",
                      trial, c->state.batches_done, c->state.epochs + 1);
        gp_trainer_free(t);
        gp_checkpoint_free(c);
    }
    gsl_rng_free(r);
    printf("# %zu of 12 stops landed inside an epoch\n", mid);
    gp_network_free(ref);
}
END_TEST

/* Checkpoints of the versions before 3 (written by gradproof before it kept the epoch
 * last observed): version 2 has no "observed", version 1 (between epochs, before
 * mid-epoch states) no "batches_done" either. They still load, observed read as the
 * epochs run (gradproof train saved after observing each) and the position as 0, and
 * resume to the same bits. _i is the version. */
START_TEST(test_older_checkpoint_versions_still_resume) {
    const char *path = tu_tmpdir_path("ck.json");
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *ref = fresh_net(), *net = fresh_net();
    gp_trainer *t = gp_trainer_alloc(ref, &data, &o);
    unsigned ref_stops = run(t, ref, EPOCHS);
    gp_trainer_free(t);
    t = gp_trainer_alloc(net, &data, &o);
    unsigned stops = run(t, net, 2);
    ck_assert_msg(!gp_checkpoint_save(path, t, NULL, eb, sizeof eb), "%s", eb);
    gp_trainer_free(t);
    gp_network_free(net);
    static char text[1 << 16];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    const char *gone[] = {"\"observed\":2,", "\"batches_done\":0,"};
    char *v = strstr(text, "\"version\":3");
    ck_assert_ptr_nonnull(v);
    v[strlen("\"version\":")] = (char)('0' + _i);
    for (int k = 0; k < 3 - _i; k++) {
        char *b = strstr(text, gone[k]);
        ck_assert_msg(b && v < b, "'%s' not in the checkpoint", gone[k]);
        memmove(b, b + strlen(gone[k]), strlen(b + strlen(gone[k])) + 1);
    }
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    gp_checkpoint *c;
    ck_assert_msg(!gp_checkpoint_load(path, &c, eb, sizeof eb), "%s", eb);
    ck_assert_uint_eq(c->state.batches_done, 0);
    ck_assert_uint_eq(c->state.observed, 2);
    t = gp_trainer_alloc(c->net, &data, &c->state.opts);
    ck_assert_int_eq(gp_trainer_set_state(t, &c->state), GSL_SUCCESS);
    stops |= run(t, c->net, EPOCHS);
    ck_assert(same_bits(c->net, ref));
    ck_assert_uint_eq(stops, ref_stops);
    gp_trainer_free(t);
    gp_checkpoint_free(c);
    gp_network_free(ref);
}
END_TEST

/* The epoch last observed is in the checkpoint: a trainer resumed after epoch 2's
 * observation (between epochs, or after mini-batch 3 of epoch 3) refuses to observe
 * epoch 2 again, as the trainer that wrote it would, and observes epoch 3 once; one
 * resumed after epoch 3 ran but before it was observed (_i = 2) observes it once. */
START_TEST(test_resume_refuses_a_second_observation) {
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *net = fresh_net();
    gp_trainer *t = gp_trainer_alloc(net, &data, &o);
    int stop;
    run(t, net, 2);
    if (_i == 1)
        ck_assert_int_eq(gp_trainer_epoch_part(t, 3), GSL_CONTINUE);
    if (_i == 2)
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    else
        ck_assert_int_eq(gp_trainer_observe(t, 1, &stop), GSL_EINVAL);
    gp_checkpoint *c = save_and_load(t, net, 1, INTACT, &t);
    ck_assert_uint_eq(c->state.observed, 2);
    ck_assert_uint_eq(c->state.epochs, 2 + (_i == 2));
    double best = gp_trainer_best(t, NULL);
    if (_i != 2) {
        ck_assert_int_eq(gp_trainer_observe(t, best + 1, &stop), GSL_EINVAL);
        ck_assert(gp_trainer_best(t, NULL) == best); /* nothing changed */
        ck_assert_int_eq(gp_trainer_epoch(t), GSL_SUCCESS);
    }
    size_t best_epoch;
    ck_assert_int_eq(gp_trainer_observe(t, best + 1, &stop), GSL_SUCCESS);
    ck_assert(gp_trainer_best(t, &best_epoch) == best + 1 && best_epoch == 3);
    ck_assert_int_eq(gp_trainer_observe(t, best + 2, &stop), GSL_EINVAL);
    gp_trainer_free(t);
    gp_checkpoint_free(c);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_set_state_refuses_other_options_and_bad_states) {
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *net = fresh_net();
    gp_trainer *t = gp_trainer_alloc(net, &data, &o);
    run(t, net, 2);
    gp_trainer_state s;
    ck_assert_int_eq(gp_trainer_get_state(t, &s), GSL_SUCCESS);
    gp_trainer *u = gp_trainer_alloc(net, &data, &o);
    s.opts.eta = 3.0; /* another learning rate */
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    ck_assert_uint_eq(gp_trainer_epochs(u), 0); /* nothing changed */
    s.opts = o;
    s.opts.threads = 2; /* threads may differ */
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_SUCCESS);
    ck_assert_uint_eq(gp_trainer_epochs(u), 2);
    size_t keep = s.order[0];
    s.order[0] = s.order[1]; /* not a permutation */
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    s.order[0] = keep;
    s.since_halving = s.since_best + 1;
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    s.since_halving = 0;
    /* more epochs without improvement than were observed after the best one */
    size_t since_best = s.since_best;
    s.since_best = s.observed - s.best_epoch + 1;
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    s.since_best = since_best;
    double best = s.best; /* a best accuracy, but no epoch it was seen in */
    size_t best_epoch = s.best_epoch;
    s.best_epoch = 0;
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    s.best = -INFINITY; /* no best, but an epoch it was seen in */
    s.best_epoch = best_epoch;
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    s.best = best;
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_SUCCESS);
    int mti = 625; /* the generator's index past its table */
    memcpy(s.rng + s.rng_size - sizeof(long), &mti, sizeof mti);
    ck_assert_int_eq(gp_trainer_set_state(u, &s), GSL_EINVAL);
    gp_trainer_state_free(&s);
    gp_trainer_state_free(&s);   /* twice is safe */
    gp_trainer_state_free(NULL); /* as every _free (it dereferenced NULL) */
    gp_trainer_free(t);
    gp_trainer_free(u);
    gp_network_free(net);
}
END_TEST

/* A file edited from a valid checkpoint: sed-like replacement of `from` by `to`. */
static int load_edited(const char *from, const char *to) {
    const char *path = tu_tmpdir_path("ck.json");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 16], edited[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "'%s' not in the checkpoint", from);
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to,
             at + strlen(from));
    const char *p2 = tu_tmpdir_path("edited.json");
    f = fopen(p2, "w");
    fputs(edited, f);
    fclose(f);
    gp_checkpoint *c = NULL;
    int st = gp_checkpoint_load(p2, &c, eb, sizeof eb);
    ck_assert(st == GSL_SUCCESS || c == NULL);
    gp_checkpoint_free(c);
    return st;
}

/* Damage to a valid checkpoint: load_edited(from, to) is refused (GSL_EINVAL) and the
 * message names the problem: it contains `says`. */
static const struct {
    const char *from, *to, *says;
} damages[] = {
    {"\"format\"", "\"x\"", "not a checkpoint"},
    {"\"network\"", "\"netw\"", "no \"network\""},
    {"\"trainer\"", "\"t\"", "no \"trainer\""},
    {"\"eta0\"", "\"eta1\"", "\"eta0\""},
    {"\"type\":\"mt19937\"", "\"type\":\"taus\"", "\"rng\""},
    {"\"order\":[", "\"order\":[-1,", "\"order\""},
    /* a state gp_trainer_set_state would refuse is refused by the reader, by the same
     * rule (fuzz_checkpoint found these loaded, then refused by the trainer) */
    {"\"since_halving\":", "\"since_halving\":7", "epoch counters"},
    {"\"since_best\":", "\"since_best\":9", "epoch counters"},
    {"\"batch\":", "\"batch\":0,\"x\":", "options"},
    {"\"eta\":", "\"eta\":9,\"x\":", "eta_0"},
    {"\"version\":3", "\"version\":4", "\"version\""},
    /* the epoch last observed: required in version 3, best_epoch <= it <= epochs */
    {"\"observed\"", "\"obs\"", "\"observed\""},
    {"\"observed\":1", "\"observed\":2", "epoch counters"},
    {"\"observed\":1", "\"observed\":0", "epoch counters"},
    /* the counters of the one observed epoch, which was the best: since_best <=
     * observed - best_epoch = 0, best_epoch <= observed, best_epoch 0 only for no best */
    {"\"since_best\":0", "\"since_best\":1", "epoch counters"},
    {"\"best_epoch\":1", "\"best_epoch\":2", "epoch counters"},
    {"\"best_epoch\":1", "\"best_epoch\":0", "epoch counters"},
    /* the position: required in version 2, below the epoch's 10 mini-batches */
    {"\"batches_done\"", "\"batches\"", "\"batches_done\""},
    {"\"batches_done\":0", "\"batches_done\":10", "batches_done is not below"},
};

START_TEST(test_damaged_checkpoints_are_refused_by_name) {
    gp_train_opts o;
    opts_for(&o, 1);
    gp_network *net = fresh_net();
    gp_trainer *t = gp_trainer_alloc(net, &data, &o);
    run(t, net, 1);
    ck_assert(!gp_checkpoint_save(tu_tmpdir_path("ck.json"), t, NULL, eb, sizeof eb));
    ck_assert_int_eq(gp_checkpoint_save(tu_tmpdir_path("x.json"), t, "{", eb, sizeof eb),
                     GSL_EINVAL);
    for (size_t k = 0; k < sizeof damages / sizeof damages[0]; k++) {
        int st = load_edited(damages[k].from, damages[k].to);
        ck_assert_msg(st == GSL_EINVAL && strstr(eb, damages[k].says) != NULL,
                      "'%s' -> '%s': status %d, message '%s' (want GSL_EINVAL and '%s')",
                      damages[k].from, damages[k].to, st, eb, damages[k].says);
    }
    ck_assert_int_eq(load_edited("\"batches_done\":0", "\"batches_done\":9"),
                     GSL_SUCCESS);
    ck_assert_int_eq(load_edited("\"meta\":null", "\"meta\":null"), GSL_SUCCESS);
    /* cut short: never half read */
    ck_assert_int_eq(load_edited("\"meta\":null}", "\"meta\":nu"), GSL_EINVAL);
    gp_trainer_free(t);
    gp_network_free(net);
}
END_TEST

/* gp_checkpoint_size_bound covers a checkpoint whose parameters all take 24
 * characters, with meta text, and stays within 25 % of it (the network, the
 * generator's state and the order are counted exactly or nearly; the rest is a few
 * hundred bytes). */
START_TEST(test_checkpoint_size_bound_covers_the_file) {
    const char *path = tu_tmpdir_path("ck.json");
    gp_network *net = fresh_net();
    for (size_t i = 0; i < net->p.n_params; i++)
        gsl_vector_set(net->p.params, i, -1.2345678901234567e-300 * (double)(i + 1));
    gp_train_opts o;
    opts_for(&o, 1);
    gp_trainer *t = gp_trainer_alloc(net, &data, &o);
    ck_assert_ptr_nonnull(t);
    char meta[2048];
    snprintf(meta, sizeof meta, "{\"argv\":[\"%0900d\"],\"metrics\":\"%0900d\"}", 0, 0);
    ck_assert_msg(!gp_checkpoint_save(path, t, meta, eb, sizeof eb), "%s", eb);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    size_t bytes = (size_t)st.st_size,
           bound = gp_checkpoint_size_bound(net->p.L + 1, net->p.sizes, N, strlen(meta));
    ck_assert_msg(bytes <= bound && bound <= bytes + bytes / 4, "%zu bytes, bound %zu",
                  bytes, bound);
    gp_trainer_free(t);
    gp_network_free(net);
}
END_TEST

static Suite *make_checkpoint_suite(void) {
    Suite *s = suite_create("checkpoint");
    TCase *prop = tcase_create("Properties"), *err = tcase_create("Errors");
    tcase_add_checked_fixture(prop, setup, teardown);
    tcase_add_checked_fixture(err, setup, teardown);
    tcase_add_loop_test(prop, test_resume_after_any_epoch_is_bit_identical, 0, 2);
    tcase_add_loop_test(prop, test_resume_after_any_mini_batch_is_bit_identical, 0, 4);
    tcase_add_loop_test(prop, test_epoch_parts_and_the_stop_flag, 0, 2);
    tcase_add_test(prop, test_stop_flag_at_random_moments_resumes_to_the_same_bits);
    tcase_add_loop_test(prop, test_older_checkpoint_versions_still_resume, 1, 3);
    tcase_add_loop_test(prop, test_resume_refuses_a_second_observation, 0, 3);
    tcase_add_test(err, test_set_state_refuses_other_options_and_bad_states);
    tcase_add_test(err, test_damaged_checkpoints_are_refused_by_name);
    tcase_add_test(prop, test_checkpoint_size_bound_covers_the_file);
    suite_add_tcase(s, prop);
    suite_add_tcase(s, err);
    return s;
}

int main(void) {
    return tu_run_suite(make_checkpoint_suite());
}
