/* gradproof/record.h: failure records, versioned self-contained JSON that reproduce a
 * failed comparison or derivation check anywhere:
 *   {"format": "gradproof-record", "version": 1, "gradproof": "0.1.0",
 *    "kind": "compare" | "check", "network": {network2.py JSON}, "x", "y", "lambda",
 *    "l1", "n", "precision", "seed", "case", "formula" (check records),
 *    "failures": [{"tensor": "dW2", "index": 2, "expected", "actual", "precision",
 *                  ...}, ...]}.
 * Non-finite numbers are written as strings ("nan", "inf").
 *
 * Errors: GSL status and a one-line message in errbuf (NUL-terminated, no newline):
 * GSL_EFAILED (I/O), GSL_EINVAL (not a record, a version this library does not read, a
 * field missing or invalid), GSL_ENOMEM. */
#ifndef GRADPROOF_RECORD_H
#define GRADPROOF_RECORD_H

#include <gradproof/dump.h>
#include <gradproof/gradcheck.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GP_RECORD_FORMAT "gradproof-record"
#define GP_RECORD_VERSION 1

typedef enum { GP_RECORD_COMPARE, GP_RECORD_CHECK } gp_record_kind;

/* One recorded failing entry of a compare record. */
typedef struct {
    char tensor[32];        /* "dW2", "delta1", "cost", ... */
    size_t index;           /* flat row-major index in the tensor */
    double expected;        /* the oracle's value */
    double actual;          /* the candidate's value */
    gp_precision precision; /* the tolerance it was judged with */
} gp_record_entry;

/* A record read back (gp_record_read); owns everything it points to. */
typedef struct {
    gp_record_kind kind;
    gp_formula formula; /* check records (gradcheck.h) */
    gp_network *net;
    gsl_matrix *X, *Y; /* n_0 x m, n_L x m */
    gp_regularization reg;
    unsigned long seed; /* check records: the case generator's seed */
    size_t case_index;
    size_t n_failures; /* compare records: the recorded entries */
    gp_record_entry *failures;
} gp_record;

/* A failed compare: the inputs of the oracle dump (net, X, Y, reg) and the failing
 * worst offenders of report r, with precision[t] (one per report tensor, as
 * gp_dump_compare returns them; NULL = float64) the tolerance of tensor t. */
int gp_record_write_compare(const char *path, const gp_network *net, const gsl_matrix *X,
                            const gsl_matrix *Y, const gp_regularization *reg,
                            const gp_fcheck_report *r, const gp_precision *precision,
                            char *errbuf, size_t errlen);
/* A failed derivation check of `formula` on a case (its seed and index), with the
 * failing worst entries of r. */
int gp_record_write_check(const char *path, gp_formula formula, const gp_network *net,
                          const gsl_matrix *X, const gsl_matrix *Y,
                          const gp_regularization *reg, unsigned long seed,
                          size_t case_index, const gp_fcheck_report *r, char *errbuf,
                          size_t errlen);

/* Shrink-then-record: a case on which `formula` fails is shrunk with gp_shrink_case
 * (at most 2000 evaluations) while gp_check_formula still fails on it, then written to
 * path. Returns GSL_SUCCESS with a one-line summary in msg ("shrunk in 12 steps to sizes
 * [2,1], 1 samples; recorded in PATH"), or a status with the reason in msg (GSL_EFAILED
 * when the failure does not reproduce on the case, I/O errors, GSL_ENOMEM). */
int gp_record_check_failure(const char *path, gp_formula formula,
                            const gp_regularization *reg, const gp_network *net,
                            const gsl_matrix *X, const gsl_matrix *Y, unsigned long seed,
                            size_t case_index, char *msg, size_t len);

/* Read a record; *out is new (gp_record_free), NULL on failure. The network, x and y
 * are checked as gp_netio_load checks a network and must fit each other (and the cost:
 * log-likelihood targets summing to 1), the oracle's dump of them must be finite
 * (GSL_EDOM otherwise), and each failure of a compare record must name an entry of it. */
int gp_record_read(const char *path, gp_record **out, char *errbuf, size_t errlen);
void gp_record_free(gp_record *rec);

/* Replay a compare record with gp_dump_compare, the compare rule itself: the oracle is
 * recomputed from the record's inputs, and judged against
 *   cand == NULL: the recorded candidate values (every recorded entry, in the
 *                 precision it was recorded with; the rest of each recorded tensor
 *                 taken as agreeing), so the verdict of the record is reproduced;
 *   cand != NULL: a fresh candidate dump of the same case (gp_dump_read with the
 *                 oracle as `like`), every tensor it has, with opts (NULL: inferred
 *                 precisions), so a fixed implementation passes.
 * Outputs as gp_dump_compare. GSL_EINVAL if rec is not a compare record or names an
 * unknown tensor or index. */
int gp_record_replay_compare(const gp_record *rec, const gp_dump *cand,
                             const gp_dump_compare_opts *opts, gp_fcheck_report **report,
                             gp_precision *precision);

#ifdef __cplusplus
}
#endif
#endif
