/* report.h: what the oracle, compare and replay commands share: printing a
 * comparison report, and its JSON form. The dump, the compare rule and the records
 * themselves are library modules (gradproof/dump.h, gradproof/record.h). */
#ifndef GRADPROOF_CLI_REPORT_H
#define GRADPROOF_CLI_REPORT_H

#include <jansson.h>

#include "cli.h"

/* The per-tensor table (with each tensor's precision when prec is not NULL, its
 * certified verdict when v is certified), the worst offenders, the first disagreement
 * in computation order, the rule that decided and the diagnosis. */
void print_report(FILE *f, const gp_fcheck_report *r, const gp_precision *prec,
                  const gp_dump_verdict *v, const char *ref_name, const char *cand_name);
/* The same as JSON (verdict, per-tensor summary, worst offenders, diagnosis). */
json_t *json_report(const gp_fcheck_report *r, const gp_precision *prec,
                    const gp_dump_verdict *v);
/* "agree", "inconclusive" or "DISAGREE": v's verdict when certified, else the fixed
 * rule's (r->n_failed). */
const char *verdict_word(const gp_fcheck_report *r, const gp_dump_verdict *v);
/* Write v with the library's atomic writer to path, the value of option opt of cmd;
 * 0 or CLI_EXIT_FAIL ("cannot write OPT 'PATH': ..." printed). */
int cli_write_json(const char *cmd, const char *opt, const json_t *v, const char *path);

#endif
