/* gradproof/hunt.h: property tests of another implementation (`gradproof hunt`).
 *
 * Case i of a hunt is drawn from a generator seeded by (seed, i) alone
 * (gp_hunt_case), so cases can be dealt to workers by index. The candidate is a
 * function (gp_hunt_candidate: in-process, e.g. a Python callable through ctypes) or a
 * command: then each case is written as network.json, x.npy, y.npy and meta.json
 * (lambda, l1, n) into DIR/case, the command runs with the input and output
 * directories ("{in}" and "{out}" in its arguments, else appended), with a timeout,
 * and its dump (cost.npy, z1.npy, ..., dW1.npy, db1.npy: the oracle's names) is read.
 * Either way the candidate's tensors (dW and db required) are judged entry by entry by
 * the certified rule (bounds.h: gp_bounds_compare_tensor). A failing case is shrunk
 * (gp_shrink_case, re-running the candidate) while it fails the same way (one that
 * does not fail again when re-run is kept as drawn: minimal_detail says so), written to
 * DIR/failure (the case and hunt.json) and its first disagreeing tensor diagnosed
 * (diagnose.h). The library prints nothing: the result says what happened.
 * Plain structs, for ctypes. */
#ifndef GRADPROOF_HUNT_H
#define GRADPROOF_HUNT_H

#include <gradproof/backprop.h>
#include <gradproof/diagnose.h>
#include <gradproof/dump.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t cases;             /* cases to draw [100] */
    unsigned long seed;       /* [1] */
    double time_budget;       /* stop drawing after this many seconds (0: none) [0] */
    double timeout;           /* seconds per candidate run [60] */
    const gp_cost_type *cost; /* NULL: a random cost per case [NULL] */
    const char *precision; /* "float64", "float32", "bfloat16", "float16"; NULL: float32
                              when every value it writes is a float32 value [NULL] */
    size_t n_sizes;        /* > 0: every case has these layer sizes [0: random] */
    size_t sizes[GP_MAX_LAYERS];
    size_t batch;        /* samples per case with sizes [10] */
    size_t max_width;    /* widest layer of a random case [10] */
    size_t shrink_evals; /* candidate runs while shrinking [500] */
    int regularise;      /* 1: half the cases draw lambda, l1, n [1] */
    const char *dir;     /* working directory (created) ["hunt.out"]; NULL with a
                            candidate function: no record */
    int target; /* 1: targeted mode: every other case mutates the case with the largest
                   error-to-bound ratio so far (parameters, inputs scaled up toward
                   saturation; Hypothesis's target()); its index is then not
                   redrawable from (seed, i) alone [0] */
    /* One worker of several (an MPI rank): only cases shard_offset, shard_offset +
     * shard_stride, ... are drawn [0, 1]. Before each case, and when a case fails
     * (failed = 1, before shrinking it), stop (if set) is asked: non-zero ends the hunt
     * there as if its cases were done, dropping that failure (another worker found a
     * failing case of lower index) [NULL]. */
    size_t shard_offset, shard_stride;
    int (*stop)(void *ctx, size_t index, int failed);
    void *stop_ctx;
    /* Every hidden layer's activation (gradproof/activation.h; borrowed, read while the
     * hunt runs); NULL: sigmoid [NULL]. With a kinked one (relu, leaky-relu), case
     * i = 1 mod 4 puts one unit of one sample exactly on its kink and i = 3 mod 4 near
     * it, as `gradproof check` does (gp_case_opts.kink). */
    const gp_activation *activation;
} gp_hunt_opts;

void gp_hunt_opts_default(gp_hunt_opts *opts);

typedef enum {
    GP_HUNT_AGREE,    /* every case agreed */
    GP_HUNT_DISAGREE, /* an entry beyond the worst-case bound, or a wrong shape */
    GP_HUNT_CRASH,    /* non-zero exit or a signal */
    GP_HUNT_TIMEOUT,  /* killed after opts->timeout */
    GP_HUNT_GARBAGE,  /* output missing or unreadable */
    GP_HUNT_IO_ERROR  /* not the candidate's doing: the hunt could not write its own
                         files (opts->dir, DIR/case, DIR/out, DIR/candidate.log; a
                         regular file in the way, a full disk). The hunt stops there,
                         nothing shrunk or recorded: gp_hunt_run* return GSL_EFAILED
                         with res->kind GP_HUNT_IO_ERROR and res->detail naming the
                         path. A candidate function may return it for its own harness's
                         I/O. */
} gp_hunt_kind;

/* "agree", "disagree", "crash", "timeout", "garbage", "io-error". */
const char *gp_hunt_kind_name(gp_hunt_kind k);

typedef struct {
    gp_hunt_kind kind;   /* of the failing case; GP_HUNT_AGREE when none failed */
    size_t n_cases;      /* cases run */
    size_t runs;         /* candidate runs in all */
    double seconds;      /* wall time of the cases (not the shrinking) */
    size_t failing_case; /* its index (with the seed, it redraws the case) */
    char found[256];     /* the failing case as drawn: "sizes [3,2,4] m=12 ..." */
    char detail[256];    /* what failed there */
    size_t shrink_steps; /* accepted shrinking changes */
    size_t shrink_runs;  /* candidate runs while shrinking */
    int shrink_stopped;  /* 1: the run budget ended the shrinking */
    char minimal[256];   /* the minimal case */
    char minimal_detail[256];
    char tensor[32];        /* the minimal case's failing tensor, if any */
    gp_diagnosis diagnosis; /* of that tensor (GP_DIAG_NONE: none fits, or no tensor) */
    char record[4096];      /* DIR/failure, or "" when it could not be written */
} gp_hunt_result;

/* A candidate implementation, called once per run with the case: net, X (n_0 x m,
 * samples as columns), Y (n_L x m), reg (reg->n = 0 means m). It fills out (already
 * gp_dump_init'ed for net's L layers, every t NULL) with new gsl matrices under the
 * oracle's names and shapes (gradproof/dump.h; dW and db required, the rest optional,
 * a db as a 1 x n row accepted); the hunt frees them. It returns GP_HUNT_AGREE when
 * out holds its answer (the hunt judges it), else GP_HUNT_CRASH, GP_HUNT_TIMEOUT or
 * GP_HUNT_GARBAGE with a one-line reason in detail (len bytes). */
typedef gp_hunt_kind (*gp_hunt_candidate)(void *ctx, const gp_network *net,
                                          const gsl_matrix *X, const gsl_matrix *Y,
                                          const gp_regularization *reg, gp_dump *out,
                                          char *detail, size_t len);

/* Create directory dir for a hunt: mkdir, or dir is a directory already. GSL_SUCCESS,
 * else GSL_EFAILED with detail "cannot create 'DIR': reason" (len bytes; "Not a
 * directory" for a regular file, which mkdir's EEXIST alone would let pass). The hunt
 * makes opts->dir with it; a caller making a parent of opts->dir (the CLI's MPI ranks
 * share DIR, each hunting in DIR/rank.r) uses it too. */
int gp_hunt_make_dir(const char *dir, char *detail, size_t len);

/* Draw case `index` of a hunt: the network, inputs, targets and regularisation
 * (caller frees). GSL_ENOMEM, GSL_EINVAL for bad sizes. */
int gp_hunt_case(const gp_hunt_opts *opts, size_t index, gp_network **net, gsl_matrix **X,
                 gsl_matrix **Y, gp_regularization *reg);

/* Run the hunt with the candidate fn(ctx, ...). Returns GSL_SUCCESS whatever the
 * candidate did (res->kind says), or a status when the hunt itself could not run
 * (res->detail says why): GSL_EFAILED with res->kind = GP_HUNT_IO_ERROR for its own
 * files (opts->dir included), GSL_EINVAL, GSL_ENOMEM. */
int gp_hunt_run_candidate(const gp_hunt_opts *opts, gp_hunt_candidate fn, void *ctx,
                          gp_hunt_result *res);
/* The same with candidate command argv[0..argc) (argv[0] found on PATH; opts->dir
 * required): gp_hunt_run_candidate with the command as the candidate. */
int gp_hunt_run(const gp_hunt_opts *opts, char *const *argv, size_t argc,
                gp_hunt_result *res);

/* Run the candidate once on the case in dir (a failure record, or any directory with
 * network.json, x.npy, y.npy, meta.json) and judge it: res->kind, detail, tensor,
 * diagnosis. GSL_EINVAL (unreadable case; res->detail says why), GSL_EFAILED with
 * res->kind = GP_HUNT_IO_ERROR (the hunt's own files, as gp_hunt_run_candidate). */
int gp_hunt_replay(const char *dir, const gp_hunt_opts *opts, char *const *argv,
                   size_t argc, gp_hunt_result *res);
/* The same with a candidate function. */
int gp_hunt_replay_candidate(const char *dir, const gp_hunt_opts *opts,
                             gp_hunt_candidate fn, void *ctx, gp_hunt_result *res);

#ifdef __cplusplus
}
#endif
#endif
