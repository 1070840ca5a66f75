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
                       size_t case_index, const gp_gradcheck_report *r, char *err,
                       size_t errlen);

/* Shared by compare and replay (cli-oracle.c). */
int compare_dumps(const cli_dump *o, const cli_dump *cd, const gp_fcheck_opts *opts,
                  gp_fcheck_report **rep, double **cand, double **ref);
void entry_position(const gp_fcheck_report *r, const gp_fcheck_entry *e, char *buf,
                    size_t len);
void print_report(FILE *f, const gp_fcheck_report *r, const char *ref_name,
                  const char *cand_name);
json_t *json_report(const gp_fcheck_report *r);

#endif
