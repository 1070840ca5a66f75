/* cli-record.h: self-contained failure records and `gradproof replay`. */
#ifndef GRADPROOF_CLI_RECORD_H
#define GRADPROOF_CLI_RECORD_H

#include "cli-dump.h"

#define RECORD_FORMAT "gradproof-record"
#define RECORD_VERSION 1

/* A failed compare: the oracle dump's network and inputs, the precision and the failing
 * entries (the worst offenders). */
int record_write_compare(const char *path, const char *oracle, gp_precision prec,
                         const gp_fcheck_report *r, char *err, size_t errlen);
/* A failed `check` formula on a (shrunk) random case. formula is "delta" or "params". */
int record_write_check(const char *path, const char *formula, const gp_network *net,
                       const gsl_matrix *X, const gsl_matrix *Y,
                       const gp_regularization *reg, unsigned long seed,
                       size_t case_index, const gp_fcheck_report *r, char *err,
                       size_t errlen);

/* The derivation checks a record can hold: the check engine's formulas (gradcheck.h). */
typedef gp_formula record_formula;

/* A failed check of `formula` on (net, X, Y): shrink the case with gp_shrink_case
 * (fewer layers, narrower layers, fewer samples, simpler values) while the check still
 * fails, then write it to path. Returns 0 and a one-line summary in msg, or 1 with the
 * reason in msg (the failure did not reproduce, out of memory, I/O). */
int record_check_failure(const char *path, record_formula formula,
                         const gp_regularization *reg, const gp_network *net,
                         const gsl_matrix *X, const gsl_matrix *Y, unsigned long seed,
                         size_t case_index, char *msg, size_t len);

/* Shared by compare and replay (cli-oracle.c). */
int compare_dumps(const cli_dump *o, const cli_dump *cd, const gp_fcheck_opts *opts,
                  gp_fcheck_report **rep, double **cand, double **ref);
void entry_position(const gp_fcheck_report *r, const gp_fcheck_entry *e, char *buf,
                    size_t len);
void print_report(FILE *f, const gp_fcheck_report *r, const char *ref_name,
                  const char *cand_name);
json_t *json_report(const gp_fcheck_report *r);

#endif
