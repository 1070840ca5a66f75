/* small-mlps.h: the limits of bench_gradcheck's small random MLPs (1-4 weight layers,
 * widths 1-8, batches 1-8, weight scales up to 3), shared with check_cases.c, which
 * writes the same networks for bench-check-same.sh. */
#ifndef GRADPROOF_BENCH_SMALL_MLPS_H
#define GRADPROOF_BENCH_SMALL_MLPS_H

#include <gradproof/gradproof.h>

static inline void small_mlp_opts(gp_case_opts *co) {
    gp_case_opts_default(co);
    co->max_layers = 4;
    co->max_width = 8;
    co->max_batch = 8;
    co->scale_max = 3;
}

#endif
