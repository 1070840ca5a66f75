/* fuzz/fuzz_checkpoint.c: gp_checkpoint_load on any bytes, and what checkpoint.h
 * promises of a checkpoint that loads: a trainer for its network takes its state
 * (gp_trainer_set_state accepts it), and saving that trainer gives a file that loads
 * back to the same network bits and the same state. */
#define FUZZ_SETUP setup /* run once by fuzzutil.h's LLVMFuzzerInitialize */
#include "fuzzutil.h"

#include <gradproof/checkpoint.h>

static const char *saved;

static void setup(void) {
    saved = fuzz_saved("ck.json");
}

static int same_state(const gp_checkpoint *a, const gp_checkpoint *b) {
    const gp_trainer_state *s = &a->state, *t = &b->state;
    const gsl_vector *p = a->net->p.params, *q = b->net->p.params;
    return p->size == q->size &&
           memcmp(p->data, q->data, p->size * sizeof(double)) == 0 && s->n == t->n &&
           s->epochs == t->epochs && s->best_epoch == t->best_epoch &&
           s->since_best == t->since_best && s->since_halving == t->since_halving &&
           s->observed == t->observed && s->batches_done == t->batches_done &&
           memcmp(&s->eta, &t->eta, sizeof s->eta) == 0 &&
           memcmp(&s->best, &t->best, sizeof s->best) == 0 &&
           s->rng_size == t->rng_size && memcmp(s->rng, t->rng, s->rng_size) == 0 &&
           memcmp(s->order, t->order, s->n * sizeof *s->order) == 0;
}

/* The round trip through a trainer, on n blank samples (labels 0). */
static void round_trip(gp_checkpoint *c) {
    char eb[512];
    size_t n = c->state.n, dim = c->net->p.sizes[0];
    if (n == 0 || dim > ((size_t)1 << 24) / n)
        return; /* too big to train on here; the load itself was checked */
    uint8_t *x = calloc(n * dim, 1), *labels = calloc(n, 1);
    FUZZ_CHECK(x && labels, "out of memory");
    gp_dataset d = {n, dim, x, labels};
    gp_train_opts o = c->state.opts;
    o.threads = 1;
    gp_trainer *t = gp_trainer_alloc(c->net, &d, &o);
    FUZZ_CHECK(t != NULL, "a loaded checkpoint's options make no trainer");
    FUZZ_CHECK(gp_trainer_set_state(t, &c->state) == GSL_SUCCESS,
               "a loaded checkpoint's state is refused by gp_trainer_set_state");
    FUZZ_CHECK(gp_checkpoint_save(saved, t, c->meta, eb, sizeof eb) == GSL_SUCCESS,
               "a loaded checkpoint does not save");
    gp_checkpoint *back = NULL;
    FUZZ_CHECK(gp_checkpoint_load(saved, &back, eb, sizeof eb) == GSL_SUCCESS,
               "a saved checkpoint does not load");
    FUZZ_CHECK(same_state(c, back), "save and reload changed the checkpoint");
    gp_checkpoint_free(back);
    gp_trainer_free(t);
    free(x);
    free(labels);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gp_checkpoint *c = NULL;
    FUZZ_READ(gp_checkpoint_load, data, size, c);
    if (c == NULL)
        return 0;
    round_trip(c);
    gp_checkpoint_free(c);
    return 0;
}
