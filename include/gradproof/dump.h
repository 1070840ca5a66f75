/* gradproof/dump.h: the oracle's dump, the reference values of a network on a batch,
 * in memory, as one JSON document or as a directory of .npy files; and the one rule
 * that compares a candidate's dump with it.
 *
 * For L layers and m samples (columns) the tensors are, in computation order,
 *   z1 a1 ... zL aL cost, then deltaL dWL dbL ... delta1 dW1 db1
 * (backprop order, so that the first disagreement is where a wrong formula starts):
 * z^l, a^l, delta^l = dC_x/dz^l (n_l x m, delta not divided by m; SPEC [BP1], [BP2]),
 * dW^l = dC/dW^l (n_l x n_{l-1}) and db^l = dC/db^l (n_l x 1) of the total cost
 * C = (1/m) sum_x C_x (+ lambda/(2n) sum w^2 + l1/n sum |w|; [BP3], [BP4], [85], [95]),
 * and cost (1 x 1).
 *
 * On disk: a JSON object {"format": "gradproof-oracle", "version": 1, "network": {...},
 * "x", "y", "lambda", "l1", "n", "cost", "z1", ..., "db1" (flat lists)} or a directory
 * holding cost.npy (shape ()), z1.npy ... db1.npy (shape (n_l,)), x.npy, y.npy,
 * network.json and meta.json (format, version, lambda, l1, n).
 *
 * Errors: GSL status and a one-line message in errbuf (NUL-terminated, no newline):
 * GSL_EFAILED (I/O, errno kept), GSL_EINVAL (not a dump, wrong shape, missing dW/db,
 * non-finite value), GSL_EOF (truncated .npy), GSL_ENOMEM. */
#ifndef GRADPROOF_DUMP_H
#define GRADPROOF_DUMP_H

#include <gradproof/backprop.h>
#include <gradproof/bounds.h>
#include <gradproof/diagnose.h>
#include <gradproof/gradcheck.h>
#include <gradproof/network.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GP_DUMP_MAX_TENSORS (5 * GP_MAX_LAYERS + 1)
#define GP_DUMP_FORMAT "gradproof-oracle"
#define GP_DUMP_VERSION 1

/* A dump: plain data. t[i] is NULL when tensor name[i] is absent (candidate dumps);
 * the matrices belong to the dump (gp_dump_free). */
typedef struct {
    size_t L;                           /* layers after the input */
    size_t m;                           /* samples (0 when unknown) */
    size_t n;                           /* tensor slots: 5L + 1 */
    char name[GP_DUMP_MAX_TENSORS][32]; /* "z1", "a1", ..., "cost", "delta2", ... */
    gsl_matrix *t[GP_DUMP_MAX_TENSORS]; /* shapes above; db and cost as columns */
} gp_dump;

/* Empty dump of L layers (1..GP_MAX_LAYERS - 1): names set, every t NULL. GSL_EINVAL
 * for a NULL d, or any other L (d is left empty: L = n = 0). */
int gp_dump_init(gp_dump *d, size_t L);
/* Free the tensors (not d itself); d is left empty. NULL does nothing. */
void gp_dump_free(gp_dump *d);
/* The slot of a tensor name, or -1 (with GSL_EINVAL raised for a NULL d or name). */
int gp_dump_find(const gp_dump *d, const char *name);
/* 1 and the first value of d that is not finite (tensor slot *k, entry (*i, *j)), or 0
 * when every value is finite. A dump of finite inputs holds one when the network's
 * values overflow float64 on those samples: JSON cannot hold it and gp_dump_compare
 * refuses it, so the CLI's oracle and the Python package refuse such a dump. 0 (with
 * GSL_EINVAL raised) for a NULL argument. */
int gp_dump_nonfinite(const gp_dump *d, size_t *k, size_t *i, size_t *j);

/* The oracle's dump of net on X (n_0 x m, samples as columns) with targets Y (n_L x m)
 * and regularisation reg (NULL for none; reg->n = 0 means m). On failure d is empty;
 * GSL_EDOM for targets the cost is not defined for (gp_cost_target_misfit), GSL_EINVAL
 * for a NULL net, X, Y or d. */
int gp_dump_compute(const gp_network *net, const gsl_matrix *X, const gsl_matrix *Y,
                    const gp_regularization *reg, gp_dump *d);

/* Write the dump with the inputs it was computed from: a JSON document (atomically) or
 * a directory (built under DIR.tmp.PID.N, registered with gp_atomic_cleanup, then
 * renamed over DIR; an existing DIR is replaced only if it holds nothing but dump
 * files; a symbolic link is written through, the link stays). Files have mode 0644
 * under the umask. reg and errbuf may be NULL; GSL_EINVAL for a NULL path, d, net, X
 * or Y. */
int gp_dump_write_json(const char *path, const gp_dump *d, const gp_network *net,
                       const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg, char *errbuf, size_t errlen);
int gp_dump_write_dir(const char *dir, const gp_dump *d, const gp_network *net,
                      const gsl_matrix *X, const gsl_matrix *Y,
                      const gp_regularization *reg, char *errbuf, size_t errlen);

/* Read a dump from a JSON file or a directory. like == NULL: an oracle dump, every
 * tensor required and L found from dW1, dW2, ...; else a candidate for `like`: its
 * names and shapes, dW and db required, the others optional, a vector (db, cost) given
 * as a row, a column or flat. A tensor (z, a, delta, dW, db) of a layer beyond the
 * dump's L (like's, or its last dW's) is an error (another network). On failure d is
 * empty. GSL_EINVAL for a NULL path or d. */
int gp_dump_read(const char *path, const gp_dump *like, gp_dump *d, char *errbuf,
                 size_t errlen);
/* 1 if path carries the oracle's mark (meta.json in a directory, "format":
 * "gradproof-oracle" in a JSON file), else 0 (NULL too, nothing raised). */
int gp_dump_is_oracle(const char *path);
/* The network, inputs and regularisation an oracle dump carries (targets fitting the
 * cost: GSL_EDOM otherwise). GSL_EINVAL for a NULL path, net, X, Y or reg. */
int gp_dump_read_inputs(const char *path, gp_network **net, gsl_matrix **X,
                        gsl_matrix **Y, gp_regularization *reg, char *errbuf,
                        size_t errlen);

/* gp_dump_read of an oracle's dump (like NULL) and gp_dump_read_inputs in one read of
 * path (a pipe can be read once): *net, *X, *Y and *reg are set when the dump carries
 * its inputs, else *net is NULL (compare's fixed rule); a dump with the oracle's mark
 * whose inputs are unreadable or do not fit is an error (gp_dump_read_inputs's).
 * GSL_EINVAL for a NULL argument but errbuf. */
int gp_dump_read_oracle(const char *path, gp_dump *d, gp_network **net, gsl_matrix **X,
                        gsl_matrix **Y, gp_regularization *reg, char *errbuf,
                        size_t errlen);

/* A matrix from a file: .npy (by extension; flags as for gp_npy_read, e.g.
 * GP_NPY_U8_UNIT) or JSON (a number, a flat list = a column, or nested lists). Finite
 * values only. The caller frees *out. GSL_EINVAL for a NULL path or out. */
int gp_dump_matrix_read(const char *path, unsigned flags, gsl_matrix **out, char *errbuf,
                        size_t errlen);

/* ---- the compare rule ---- */

/* The certified verdict of one compared tensor (gradproof/bounds.h). */
typedef struct {
    char name[32];
    gp_precision precision; /* the candidate precision its bounds are for */
    gp_verdict verdict;     /* disagree if any entry does, else inconclusive if any */
    gp_verdict_counts counts;
} gp_dump_tensor_verdict;

/* The certified verdict of a comparison: per tensor, overall, and the diagnosis of the
 * first disagreeing tensor in computation order. */
typedef struct {
    int certified; /* 1: the bounds decided (inputs given and modelled), else the fixed
                      rule did and nothing below is set */
    gp_verdict verdict;
    size_t n; /* tensors, in the report's order */
    gp_dump_tensor_verdict t[GP_DUMP_MAX_TENSORS];
    size_t n_agree, n_inconclusive, n_disagree; /* entries, over all tensors */
    double prob_fail;       /* the probabilistic bounds' failure probability bound */
    gp_diagnosis diagnosis; /* GP_DIAG_NONE when nothing disagrees or fits */
    char reason[128];       /* why not certified ("" when certified) */
} gp_dump_verdict;

#define GP_DUMP_INFER (-1)
typedef struct {
    /* Per oracle slot: a gp_precision (bfloat16 and float16 only this way) or
     * GP_DUMP_INFER: float32 when every candidate value of that tensor is a float32
     * value (as from a float32 array), else float64. */
    int precision[GP_DUMP_MAX_TENSORS];
    size_t n_worst; /* worst offenders kept, <= GP_GRADCHECK_MAX_WORST (GSL_EINVAL) */
    /* The inputs the oracle dump was computed from (gp_dump_read_inputs): with net, X
     * and Y the certified rule decides; reg may be NULL. NULL: the fixed rule. */
    const gp_network *net;
    const gsl_matrix *X, *Y;
    const gp_regularization *reg;
    gp_dump_verdict *verdict; /* if not NULL, receives the certified verdict */
} gp_dump_compare_opts;

/* Infer every precision, keep 10 worst offenders, no inputs (the fixed rule). NULL does
 * nothing (GSL_EINVAL raised). */
void gp_dump_compare_opts_default(gp_dump_compare_opts *opts);

/* Compare cand with the oracle o, every tensor cand has (opts NULL: the defaults of
 * gp_dump_compare_opts_default); *report (new;
 * gp_fcheck_report_free) has one tensor per compared slot in computation order;
 * precision (if not NULL, GP_DUMP_MAX_TENSORS entries) receives the precision used
 * for each report tensor. The verdict is (*report)->n_failed == 0.
 * The certified rule, when opts gives the inputs: an entry fails when |c - o| exceeds
 * the worst-case bound of an implementation in its tensor's precision plus the
 * oracle's own (gp_bounds_verdict; the report's `allowed`); opts->verdict receives
 * agree / inconclusive / disagree per entry and tensor and the diagnosis
 * (gp_diag_tensor) of the first disagreeing tensor. When the bounds do not model the
 * network (GSL_EUNIMPL: a hidden activation none of bounds.h's six kinds, sigmoid,
 * tanh, ReLU, leaky ReLU, softplus, identity) the fixed rule decides
 * and verdict->reason says why.
 * The fixed rule: gp_fcheck_opts_compare of the tensor's precision (atol 8 eps +
 * rtol 4 sqrt(eps) max(|c|, |o|) + stol 64 eps scale), scale = max |o| over the
 * tensor's finite values.
 * GSL_EBADLEN if a candidate tensor's shape differs from the oracle's, or opts->net's
 * layer sizes from the oracle dump's; GSL_EINVAL if the candidate has none of the
 * oracle's tensors (an empty comparison agreed), opts->n_worst is above
 * GP_GRADCHECK_MAX_WORST, or o, cand or report is NULL. */
int gp_dump_compare(const gp_dump *o, const gp_dump *cand,
                    const gp_dump_compare_opts *opts, gp_fcheck_report **report,
                    gp_precision *precision);

#ifdef __cplusplus
}
#endif
#endif
