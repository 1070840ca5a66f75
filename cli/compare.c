/* compare.c: `gradproof compare` (a candidate's dump against the oracle's, tensor by
 * tensor, by the library's compare rule). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "report.h"
static const cli_option opt_worst = {
    .name = "worst",
    .kind = CLI_SIZE,
    .arg = "N",
    .lo = 1,
    .hi = GP_GRADCHECK_MAX_WORST,
    .def = "10",
    .help = "worst offenders to list, 1 to " CLI_STR(GP_GRADCHECK_MAX_WORST)};
static const cli_option opt_report = {
    .name = "report",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "also write the verdict, per-tensor summary and worst offenders as JSON"};
static const cli_option opt_record = {
    .name = "record",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "on disagreement, write a self-contained failure record with the --worst "
            "worst failing entries (gradproof replay FILE reproduces the verdict)"};

/* --report and --record (of the oracle's inputs in opts) of a finished comparison; 0
 * or CLI_EXIT_FAIL (an output not written). */
static int compare_outputs(const char *opath, const char *cpath, const char *report,
                           const char *record, const gp_fcheck_report *r,
                           const gp_precision *prec, const gp_dump_compare_opts *opts) {
    char err[GP_IDX_ERRLEN] = "";
    const gp_dump_verdict *v = opts->verdict;
    int status = 0;
    if (report) {
        json_t *j = json_report(r, prec, v);
        json_object_set_new(j, "oracle", json_string(opath));
        json_object_set_new(j, "candidate", json_string(cpath));
        status = cli_write_json("compare", "--report", j, report);
        json_decref(j);
    }
    if (!status && record && r->n_failed &&
        gp_record_write_compare(record, opts->net, opts->X, opts->Y, opts->reg, r, prec,
                                err, sizeof err))
        status = cli_write_error("compare", "--record", record, err);
    return status;
}

/* An oracle's dump whose values its own inputs do not give (edited by hand, or the
 * inputs of another dump) would judge candidates by wrong values: the oracle is
 * computed again from them and the dump judged as its float64 candidate by the
 * compare rule. 0, or CLI_EXIT_INPUT naming the value that contradicts them most. */
static int oracle_consistent(const char *opath, const gp_dump *o, const gp_network *net,
                             const gsl_matrix *X, const gsl_matrix *Y,
                             const gp_regularization *reg) {
    gp_dump fresh;
    gp_dump_compare_opts opts;
    gp_fcheck_report *r = NULL;
    gp_dump_compare_opts_default(&opts);
    opts.net = net, opts.X = X, opts.Y = Y, opts.reg = reg, opts.n_worst = 1;
    for (size_t i = 0; i < GP_DUMP_MAX_TENSORS; i++)
        opts.precision[i] = GP_FLOAT64;
    int st = gp_dump_compute(net, X, Y, reg, &fresh) ||
                     gp_dump_compare(&fresh, o, &opts, &r, NULL)
                 ? cli_input_error(NULL, "%s: cannot compute its oracle again", opath)
                 : 0;
    if (!st && r->n_failed) {
        const gp_fcheck_entry *e = &r->worst[0];
        const gp_fcheck_tensor *t = &r->tensors[e->tensor];
        size_t cols = t->cols ? t->cols : 1;
        st = cli_input_error(NULL,
                             "%s: %s[%zu][%zu] is %.17g, but its network, x and y give "
                             "%.17g: the dump contradicts its own inputs",
                             opath, t->name, e->index / cols, e->index % cols,
                             e->analytic, e->numeric);
    }
    gp_fcheck_report_free(r);
    gp_dump_free(&fresh);
    return st;
}

/* 1 when cand reads as a candidate of the oracle dump at opath: swapped arguments that
 * would work the other way round (an empty or corrupt ORACLE is unusable input). */
static int reads_as_candidate(const char *cand, const char *opath) {
    char err[GP_IDX_ERRLEN];
    gp_dump o, c;
    int ok = gp_dump_read(opath, NULL, &o, err, sizeof err) == 0 &&
             gp_dump_read(cand, &o, &c, err, sizeof err) == 0;
    if (ok)
        gp_dump_free(&c);
    gp_dump_free(&o);
    return ok;
}

/* Read both dumps and the oracle's inputs (*net NULL without them), refusing swapped
 * arguments; 0, 1 (swapped) or CLI_EXIT_INPUT. */
static int read_dumps(const char *opath, const char *cpath, gp_dump *o, gp_dump *cd,
                      gp_network **net, gsl_matrix **X, gsl_matrix **Y,
                      gp_regularization *reg) {
    char err[GP_IDX_ERRLEN] = "";
    gp_dump_init(o, 1);
    gp_dump_init(cd, 1);
    /* (a missing ORACLE is unusable input, not a swap; a pipe's mark cannot be asked) */
    struct stat st;
    if (stat(opath, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
        !gp_dump_is_oracle(opath) && gp_dump_is_oracle(cpath) &&
        reads_as_candidate(opath, cpath))
        return cli_error("compare",
                         "'%s' is the oracle's dump and '%s' is not: arguments swapped? "
                         "(expected ORACLE CANDIDATE)",
                         cpath, opath);
    /* One read of ORACLE: it may be a pipe. */
    if (gp_dump_read_oracle(opath, o, net, X, Y, reg, err, sizeof err))
        return cli_input_error(NULL, "%s", err);
    if (*net && oracle_consistent(opath, o, *net, *X, *Y, reg))
        return CLI_EXIT_INPUT;
    if (gp_dump_read(cpath, o, cd, err, sizeof err))
        return cli_input_error(NULL, "%s", err);
    return 0;
}

/* Compare, print the table and the verdict, write --report and --record. */
static int compare_run(const char *opath, const char *cpath, const char *report,
                       const char *record, size_t worst, int have_prec,
                       gp_precision prec) {
    gp_dump o, cd;
    gp_dump_compare_opts opts;
    gp_precision prec_t[GP_DUMP_MAX_TENSORS];
    gp_fcheck_report *r = NULL;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_regularization reg;
    gp_dump_verdict v;
    gp_dump_compare_opts_default(&opts);
    opts.n_worst = worst;
    opts.verdict = &v;
    /* The certified rule's bounds come from the oracle dump's inputs; a dump without
     * them (not the oracle's mark) gets the fixed rule. */
    int status = read_dumps(opath, cpath, &o, &cd, &net, &X, &Y, &reg);
    if (!status && record && net == NULL) /* a record is self-contained */
        status = cli_error("compare",
                           "--record needs the oracle's inputs (network, x, y), which "
                           "'%s' does not carry (write it with 'oracle')",
                           opath);
    if (!status && net) {
        opts.net = net;
        opts.X = X;
        opts.Y = Y;
        opts.reg = &reg;
    }
    for (size_t i = 0; have_prec && i < GP_DUMP_MAX_TENSORS; i++)
        opts.precision[i] = (int)prec;
    if (!status && gp_dump_compare(&o, &cd, &opts, &r, prec_t))
        status = cli_input_error(NULL, "compare: out of memory");
    else if (!status) {
        size_t n32 = 0;
        for (size_t t = 0; t < r->n_tensors; t++)
            n32 += prec_t[t] == GP_FLOAT32;
        const char *how = have_prec || n32 == 0
                              ? gp_precision_name(have_prec ? prec : GP_FLOAT64)
                          : n32 == r->n_tensors ? "float32"
                                                : "mixed (see each tensor)";
        printf("compare %s (oracle) with %s: %s %s%s, %zu %s in %zu %s\n", opath, cpath,
               how, v.certified ? "bounds" : "tolerances",
               have_prec ? "" : " (inferred per tensor)", r->n_checked,
               cli_plural(r->n_checked, "value", "values"), r->n_tensors,
               cli_plural(r->n_tensors, "tensor", "tensors"));
        print_report(stdout, r, prec_t, &v, "oracle", "candidate");
        printf("%s\n", verdict_word(r, &v));
        status = compare_outputs(opath, cpath, report, record, r, prec_t, &opts);
        if (!status)
            status = r->n_failed ? 1 : 0;
    }
    gp_fcheck_report_free(r);
    gp_dump_free(&o);
    gp_dump_free(&cd);
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return status;
}

int cmd_compare(int argc, char **argv) {
    const char *report = NULL, *record = NULL;
    int have_prec = 0, prec = 0;
    size_t worst;
    const cli_arg args[] = {
        {.opt = &cli_opt_precision,
         .dest = &prec,
         .seen = &have_prec,
         .note =
             "without it, float32 for a tensor whose every value is a float32 value "
             "(as from a float32 array), float64 otherwise; the table shows each one"},
        {.opt = &opt_worst, .dest = &worst},
        {.opt = &opt_report, .dest = &report},
        {.opt = &opt_record, .dest = &record},
    };
    cli_command cmd = {
        .name = "compare",
        .synopsis = "ORACLE CANDIDATE [OPTIONS]",
        .about =
            "Compare a candidate's dump with the oracle's (both a JSON file or a "
            "directory "
            "of\n"
            ".npy files in the layout of '" CLI_NAME
            " oracle'), tensor by tensor. dW and db\n"
            "of every layer are required; cost, z, a and delta are compared when "
            "present.\n"
            "The certified rule (doc/bounds.md), from the network, x, y and lambda, l1, "
            "n\n"
            "the oracle's dump carries: an entry DISAGREES when |candidate - oracle|\n"
            "exceeds the worst-case rounding bound of a correct implementation in its\n"
            "precision plus the oracle's own (no such implementation could produce it),\n"
            "AGREES within the probabilistic bound, and is INCONCLUSIVE between the two\n"
            "(reported, exit 0). The first disagreeing tensor is diagnosed (summed "
            "instead\n"
            "of averaged, sigma' missing, weight decay on the biases, a sample "
            "dropped...).\n"
            "When the oracle's dump lacks its inputs (network, x, y), the fixed rule\n"
            "decides: |c - o| <= atol + rtol max(|c|, |o|) +\n"
            "stol scale, scale = max |oracle| over its tensor, atol = 8 eps, rtol =\n"
            "4 sqrt(eps), stol = 64 eps for the unit roundoff eps of the precision.\n"
            "A dump with the oracle's mark whose inputs are unreadable or do not fit\n"
            "its network is unusable input (exit 2); so is one whose values its own\n"
            "inputs contradict (computed again, judged as a float64 candidate).\n"
            "ORACLE must be the oracle's dump: when only CANDIDATE carries the oracle's\n"
            "mark (meta.json, or \"format\": \"gradproof-oracle\"), the arguments are\n"
            "taken to be swapped and compare stops (exit 1).\n"
            "Exit status: 0 agreement (or inconclusive), 1 disagreement or usage error,\n"
            "2 unusable input.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0],
        .min_operands = 2,
        .max_operands = 2};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    /* An output that cannot be written is refused before the comparison is printed. */
    const char *const opts[] = {"--report", "--record"};
    const char *const paths[] = {report, record};
    const char *const in_opts[] = {"ORACLE", "CANDIDATE"};
    const char *const ins[] = {cmd.operands[0], cmd.operands[1]};
    if (cli_distinct_outputs("compare", 2, opts, paths) ||
        cli_spare_inputs("compare", opts[0], report, 2, in_opts, ins) ||
        cli_spare_inputs("compare", opts[1], record, 2, in_opts, ins) ||
        (report && cli_probe_writable("compare", "--report", report)) ||
        (record && cli_probe_writable("compare", "--record", record)))
        return CLI_EXIT_FAIL;
    return compare_run(cmd.operands[0], cmd.operands[1], report, record, worst, have_prec,
                       cli_precision(prec));
}
