/* replay.c: `gradproof replay` (re-run a failure record written by check or compare). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "report.h"

static const cli_option opt_candidate = {
    .name = "candidate",
    .kind = CLI_STRING,
    .arg = "DUMP",
    .unset = "none",
    .help = "a fresh candidate dump of the recorded case (compare records)"};

static int replay_compare(const char *path, const gp_record *rec, const char *cpath,
                          const gp_dump_compare_opts *opts) {
    char err[GP_IDX_ERRLEN] = "";
    gp_dump o, cd;
    gp_fcheck_report *r = NULL;
    gp_precision prec[GP_DUMP_MAX_TENSORS];
    int s;
    gp_dump_init(&o, 1);
    gp_dump_init(&cd, 1);
    if (cpath) {
        /* The oracle's shapes are needed to read the candidate. */
        if (gp_dump_compute(rec->net, rec->X, rec->Y, &rec->reg, &o))
            return cli_input_error(NULL, "replay: the oracle could not be computed");
        if (gp_dump_read(cpath, &o, &cd, err, sizeof err)) {
            gp_dump_free(&o);
            return cli_input_error(NULL, "%s", err);
        }
    }
    gp_dump_verdict v;
    gp_dump_compare_opts ro = *opts;
    ro.verdict = &v;
    s = gp_record_replay_compare(rec, cpath ? &cd : NULL, &ro, &r, prec);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    if (s) {
        gp_fcheck_report_free(r);
        snprintf(err, sizeof err, "%s: %s", path, gsl_strerror(s));
        return cli_input_error(NULL, "%s", err);
    }
    printf("replay %s: compare record, %s%s, %zu %s in %zu %s\n", path,
           cpath ? "fresh candidate " : "recorded entries", cpath ? cpath : "",
           r->n_checked, cli_plural(r->n_checked, "value", "values"), r->n_tensors,
           cli_plural(r->n_tensors, "tensor", "tensors"));
    print_report(stdout, r, prec, &v, "oracle", "candidate");
    printf("%s\n", r->n_failed ? "still fails" : "now passes");
    s = r->n_failed ? 1 : 0;
    gp_fcheck_report_free(r);
    return s;
}

/* A check record: gradproof's own formula on the recorded case, fully checked by the
 * check engine (gp_check_formula); "params" carries the record's L2/L1 terms. */
static int replay_check(const char *path, const gp_record *rec) {
    gp_fcheck_opts go;
    gp_fcheck_opts_default(&go, GP_FLOAT64);
    gp_fcheck_report *r = gp_formula_report_alloc(rec->formula, rec->net, rec->X->size2);
    int s =
        r ? gp_check_formula(rec->formula, rec->net, rec->X, rec->Y, &rec->reg, &go, r)
          : GSL_ENOMEM;
    if (s) {
        gp_fcheck_report_free(r);
        return cli_input_error(NULL, "%s", gsl_strerror(s));
    }
    printf("replay %s: check record (%s), %zu %s checked, %zu failed\n", path,
           rec->formula == GP_FORMULA_DELTA ? "delta" : "params", r->n_checked,
           cli_plural(r->n_checked, "entry", "entries"), r->n_failed);
    if (r->n_failed) {
        const gp_fcheck_entry *e = &r->worst[0];
        char name[64];
        gp_fcheck_entry_name(r, e, name, sizeof name);
        printf("worst: %s analytic %.17g numeric %.17g abserr %.3g\n", name, e->analytic,
               e->numeric, e->abserr);
    }
    printf("%s\n", r->n_failed ? "still fails" : "now passes");
    int failed = r->n_failed != 0;
    gp_fcheck_report_free(r);
    return failed;
}

/* Read the record and replay it by its kind. */
static int replay_run(const char *path, const char *cpath,
                      const gp_dump_compare_opts *opts) {
    char err[GP_IDX_ERRLEN] = "";
    gp_record *rec = NULL;
    if (gp_record_read(path, &rec, err, sizeof err))
        return cli_input_error(NULL, "%s", err);
    int status;
    if (rec->kind == GP_RECORD_CHECK && cpath)
        status = cli_error("replay",
                           "--candidate applies to compare records; %s is a "
                           "check record",
                           path);
    else if (rec->kind == GP_RECORD_CHECK)
        status = replay_check(path, rec);
    else
        status = replay_compare(path, rec, cpath, opts);
    gp_record_free(rec);
    return status;
}

int cmd_replay(int argc, char **argv) {
    const char *cpath = NULL;
    int have_prec = 0, prec = 0;
    const cli_arg args[] = {
        {.opt = &opt_candidate, .dest = &cpath},
        {.opt = &cli_opt_precision,
         .dest = &prec,
         .seen = &have_prec,
         .note = "of --candidate only"},
    };
    cli_command cmd = {
        .name = "replay",
        .synopsis = "RECORD [--candidate=DUMP] [--precision=P]",
        .about =
            "Rerun a failure record written by 'compare --record' or 'check --record'.\n"
            "Every record carries its network, samples x, y and lambda, l1, n; the "
            "oracle\n"
            "is always recomputed from them (nothing is trusted from the record's "
            "numbers\n"
            "but the candidate's).\n"
            "  compare record, alone: the recorded candidate values of the failing "
            "entries\n"
            "      are judged again by compare's rule (each entry in the precision it "
            "was\n"
            "      recorded with): reproduces the verdict; it passes only if the "
            "record's\n"
            "      values are edited.\n"
            "  compare record, --candidate DUMP: a fresh candidate dump of the recorded\n"
            "      case (a JSON file or .npy directory in compare's CANDIDATE layout, "
            "e.g.\n"
            "      from your fixed code on the record's network and x, y) is compared "
            "with\n"
            "      the recomputed oracle exactly as 'compare' does, every tensor it "
            "has,\n"
            "      precision inferred per tensor unless --precision is given.\n"
            "  check record: gradproof's own formula (\"delta\" or \"params\") is "
            "checked\n"
            "      again on the recorded case against gsl_deriv_central, every entry.\n"
            "      Option --candidate does not apply (usage error).\n"
            "Exit status: 0 passes now, 1 still fails or usage error, 2 unusable record "
            "or\n"
            "candidate.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0],
        .min_operands = 1,
        .max_operands = 1};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    if (have_prec && !cpath)
        return cli_error("replay", "--precision applies to --candidate only");
    gp_dump_compare_opts opts;
    gp_dump_compare_opts_default(&opts);
    for (size_t i = 0; have_prec && i < GP_DUMP_MAX_TENSORS; i++)
        opts.precision[i] = (int)cli_precision(prec);
    return replay_run(cmd.operands[0], cpath, &opts);
}
