/* bench_handoff [ROUNDS]: the round trip of a hand-off between two threads, as the
 * two-thread training step makes them (src/train.c: one thread stores a counter, the
 * other spins on it with atomic loads and answers on a cache line of its own). Each
 * two-thread mini-batch needs at least one such round trip (the lead's delta^1 to the
 * helper, the helper's a^1 back), so the round trip bounds what a second thread can save
 * per mini-batch: prints the median of 7 runs of ROUNDS round trips (default 100,000),
 * in nanoseconds. Run on an otherwise idle machine: a busy one has no second core. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) atomic_long ping;
static _Alignas(64) atomic_long pong;
static long rounds;

static void *answer(void *arg) {
    (void)arg;
    for (long i = 1; i <= rounds; i++) {
        while (atomic_load(&ping) != i)
            ;
        atomic_store(&pong, i);
    }
    return NULL;
}

static double run(void) {
    pthread_t t;
    struct timespec a, b;
    atomic_store(&ping, 0);
    atomic_store(&pong, 0);
    if (pthread_create(&t, NULL, answer, NULL) != 0) {
        fprintf(stderr, "bench_handoff: cannot start a thread\n");
        exit(1);
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 1; i <= rounds; i++) {
        atomic_store(&ping, i);
        while (atomic_load(&pong) != i)
            ;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_join(t, NULL);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
           (double)rounds;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    char *end;
    rounds = argc > 1 ? strtol(argv[1], &end, 10) : 100000;
    if (argc > 2 || rounds <= 0 || (argc > 1 && *end != '\0')) {
        fprintf(stderr, "Usage: bench_handoff [ROUNDS > 0]\n");
        return 2;
    }
    double ns[7];
    for (int k = 0; k < 7; k++)
        ns[k] = run();
    qsort(ns, 7, sizeof ns[0], cmp);
    printf("hand-off round trip between two threads: median %.0f ns (7 runs of %ld; "
           "fastest %.0f, slowest %.0f)\n",
           ns[3], rounds, ns[0], ns[6]);
    return 0;
}
