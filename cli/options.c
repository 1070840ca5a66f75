/* options.c: the shared option definitions, and parsing, --help and the man page's
 * option lists generated from one table (options.h). */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- the options shared by several commands ----
 * A default that differs between commands (--cost: cross-entropy in train, every cost
 * in check) is left NULL here and given by each command's cli_arg.def, since a binding
 * can add a default but not remove one. */

const cli_option cli_opt_data = {
    .name = "data",
    .kind = CLI_STRING,
    .arg = "DIR",
    .def = "data",
    .help = "directory with the four MNIST IDX files",
    .more =
        "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
        "t10k-labels-idx1-ubyte, raw or with a .gz suffix (scripts/fetch-mnist.sh DIR "
        "fetches them)"};
const cli_option cli_opt_validation = {
    .name = "validation",
    .kind = CLI_SIZE,
    .arg = "N",
    .lo = 1,
    .hi = 100000000,
    .def = "10000",
    .help = "the last N training-file images form the validation set; the rest is the "
            "training set",
    .more =
        "(Nielsen's mnist_loader split: 50,000 training and 10,000 validation images)"};
const cli_option cli_opt_sizes = {
    .name = "sizes", .kind = CLI_SIZES, .arg = "N0,..,NL", .help = "layer sizes"};
const cli_option cli_opt_cost = {
    .name = "cost",
    .kind = CLI_COST,
    .arg = "NAME",
    .help =
        "quadratic, cross-entropy (sigmoid output), log-likelihood (softmax output) or "
        "quadratic-linear (identity output)",
    .more =
        "network2.py's class names QuadraticCost and CrossEntropyCost are accepted too"};
const cli_option cli_opt_activation = {
    .name = "activation",
    .kind = CLI_STRING,
    .arg = "NAME[,NAME..]",
    .help = "hidden activation: sigmoid, tanh, relu, leaky-relu[:ALPHA], softplus or "
            "identity",
    .more = "leaky-relu's ALPHA (slope for z < 0) is at least 0 and below 1, default "
            "0.01; at "
            "the "
            "kink z = 0 relu' = 0 and leaky-relu' = ALPHA, as in PyTorch"};
/* The initialisation uses seed 2S and the shuffling 2S+1: both fit 32 bits. */
const cli_option cli_opt_seed = {.name = "seed",
                                 .short_name = 's',
                                 .kind = CLI_ULONG,
                                 .arg = "S",
                                 .hi = 2147483647,
                                 .def = "1",
                                 .help = "seed of the random generators",
                                 .more =
                                     "the same seed and inputs give the same results"};
const cli_option cli_opt_lambda = {
    .name = "lambda",
    .kind = CLI_REAL,
    .arg = "REAL",
    .hi = 1e12,
    .def = "0",
    .help = "L2 regularisation strength: cost term (lambda/2n) sum w^2"};
const cli_option cli_opt_l1 = {
    .name = "l1",
    .kind = CLI_REAL,
    .arg = "REAL",
    .hi = 1e12,
    .def = "0",
    .help = "L1 regularisation strength: cost term (l1/n) sum |w|"};
const cli_option cli_opt_n = {.name = "n",
                              .kind = CLI_SIZE,
                              .arg = "N",
                              .lo = 1,
                              .hi = 1000000000,
                              .unset = "m",
                              .help = "the n of the regularisation terms"};
const cli_option cli_opt_threads = {
    .name = "threads",
    .kind = CLI_SIZE,
    .arg = "N",
    .lo = 1,
    .hi = 256,
    .def = "2",
    .help = "1: one thread; N >= 2: two threads share the work, and OpenBLAS gets N - 1",
    .more = "(openblas_set_num_threads; with another CBLAS only 1 or 2 is accepted)"};
const cli_option cli_opt_load = {
    .name = "load",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "a saved network (network2.py save() JSON)",
    .more = "a file written by network2.py's save() loads as is"};
const cli_option cli_opt_epochs = {.name = "epochs",
                                   .kind = CLI_SIZE,
                                   .arg = "E",
                                   .lo = 1,
                                   .hi = 1000000,
                                   .def = "30",
                                   .help = "number of epochs"};

const cli_option cli_opt_noise = {
    .name = "noise",
    .kind = CLI_FLAG,
    .help =
        "measure the noise of f at every point (ECnoise), take the step from it, and "
        "report the digits each numerical derivative delivers; an entry that passes "
        "only by the noise's allowance with under one digit is inconclusive. Without "
        "it one ulp is assumed and the noise is measured only at an entry that fails: "
        "where it hides the difference the entry is inconclusive, never a pass",
    .more = "(gp_fcheck_opts.noise = GP_NOISE_FULL, else GP_NOISE_FAILING; More and Wild "
            "2011, 2012). Inconclusive entries are counted, not failed: the exit status "
            "stays 0 when nothing fails"};

const char *const cli_precision_names[] = {"float32", "float64", "bfloat16", "float16",
                                           "bf16",    "f16",     NULL};
const cli_option cli_opt_precision = {
    .name = "precision",
    .kind = CLI_CHOICE,
    .arg = "P",
    .choices = cli_precision_names,
    .unset = "inferred per tensor",
    .help = "the arithmetic of every tensor: float32, float64, bfloat16 (bf16) or "
            "float16 (f16); bfloat16 and float16 are never inferred"};

gp_precision cli_precision(int i) {
    gp_precision p = GP_FLOAT64;
    gp_precision_lookup(cli_precision_names[i], &p);
    return p;
}

/* ---- parsing ---- */

static const char *arg_def(const cli_arg *a) {
    return a->def ? a->def : a->opt->def;
}

static const char *arg_unset(const cli_arg *a) {
    return a->unset ? a->unset : a->opt->unset;
}

/* The metavariable of --help and the man page; an option table may leave it out
 * (fuzz_options' table does: --man-options read the NULL). */
static const char *arg_metavar(const cli_arg *a) {
    return a->arg ? a->arg : a->opt->arg ? a->opt->arg : "VALUE";
}

static int parse_choice(const char *cmd, const cli_option *o, const char *s, int *out) {
    char list[256] = "";
    for (int i = 0; o->choices[i]; i++) {
        if (!strcmp(s, o->choices[i])) {
            *out = i;
            return 0;
        }
        /* "a or b", "a, b, or c" */
        int last = o->choices[i + 1] == NULL;
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s%s",
                 i == 0           ? ""
                 : last && i == 1 ? " "
                                  : ", ",
                 last && i ? "or " : "", o->choices[i]);
    }
    return cli_error(cmd, "invalid --%s '%s': expected %s", o->name, s, list);
}

static int parse_real(const char *cmd, const cli_option *o, const char *opt,
                      const char *s, double *out) {
    return cli_double(cmd, opt, s, o->lo, o->hi, o->lo_open, out);
}

/* Parse s as the value of a's option into a's variable. */
static int parse_value(const char *cmd, const cli_arg *a, const char *s) {
    const cli_option *o = a->opt;
    char opt[64];
    snprintf(opt, sizeof opt, "--%s", o->name);
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)a->dest = 1;
        return 0;
    case CLI_STRING:
        if (s[0] == '\0')
            return cli_error(cmd, "invalid %s '': expected a non-empty value", opt);
        *(const char **)a->dest = s;
        return 0;
    case CLI_SIZE:
        return cli_size(cmd, opt, s, (size_t)o->lo, (size_t)o->hi, a->dest);
    case CLI_ULONG: {
        size_t v;
        if (cli_size(cmd, opt, s, (size_t)o->lo, (size_t)o->hi, &v))
            return 1;
        *(unsigned long *)a->dest = v;
        return 0;
    }
    case CLI_REAL:
        return parse_real(cmd, o, opt, s, a->dest);
    case CLI_SIZES: {
        cli_layers *l = a->dest;
        l->text = s;
        return cli_sizes(cmd, opt, s, l->sizes, &l->n);
    }
    case CLI_COST:
        return cli_cost(cmd, s, a->dest);
    case CLI_CHOICE:
        return parse_choice(cmd, o, s, a->dest);
    }
    return cli_error(cmd, "internal error: option %s has no kind", opt);
}

static void print_help(const cli_command *cmd);
static void print_man(const cli_command *cmd);

/* getopt_long's table: each option's val is 256 + its index in cmd->args (at most 64),
 * --help's and --man-options' come after: a long option's val is never a letter, so
 * an optopt below 256 names a short option (cli_bad_option). */
#define VAL_HELP (256 + 64)
#define VAL_MAN (256 + 65)
static struct option *long_table(const cli_command *cmd, char *shorts) {
    struct option *t = calloc(cmd->n_args + 3, sizeof *t);
    size_t k = 0, s = 0;
    shorts[s++] = ':';
    shorts[s++] = 'h';
    if (!t)
        return NULL;
    for (size_t i = 0; i < cmd->n_args; i++) {
        const cli_option *o = cmd->args[i].opt;
        if (!o)
            continue;
        int has_arg = o->kind == CLI_FLAG ? no_argument : required_argument;
        t[k++] = (struct option){o->name, has_arg, NULL, 256 + (int)i};
        if (o->short_name) {
            shorts[s++] = o->short_name;
            if (has_arg)
                shorts[s++] = ':';
        }
    }
    shorts[s] = '\0';
    t[k++] = (struct option){"help", no_argument, NULL, VAL_HELP};
    t[k] = (struct option){"man-options", no_argument, NULL, VAL_MAN};
    return t;
}

/* The index in cmd->args of getopt_long's return value c, or -1. */
static long arg_index(const cli_command *cmd, int c) {
    if (c >= 256)
        return c - 256;
    for (size_t i = 0; i < cmd->n_args; i++)
        if (cmd->args[i].opt && cmd->args[i].opt->short_name == c)
            return (long)i;
    return -1;
}

static int apply_defaults(const cli_command *cmd) {
    for (size_t i = 0; i < cmd->n_args; i++) {
        const cli_arg *a = &cmd->args[i];
        if (a->opt && a->opt->kind != CLI_FLAG && arg_def(a) &&
            parse_value(cmd->name, a, arg_def(a)))
            return 1;
    }
    return 0;
}

static int parse_loop(cli_command *cmd, int argc, char **argv, const struct option *t,
                      const char *shorts) {
    int c;
    optind = 0; /* glibc: a full reset, also of a scan left inside a previous argv
                   (fuzz_options) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, t, NULL)) != -1) {
        if (c == 'h' || c == VAL_HELP) {
            print_help(cmd);
            return 0;
        }
        if (c == VAL_MAN) {
            print_man(cmd);
            return 0;
        }
        long i = arg_index(cmd, c);
        if (i < 0) /* ':' (missing value) or '?' (unknown option) */
            return cli_bad_option(cmd->name, c, argv);
        const cli_arg *a = &cmd->args[i];
        if (parse_value(cmd->name, a, optarg))
            return 1;
        if (a->seen)
            *a->seen = 1;
    }
    size_t n = (size_t)(argc - optind);
    if (n > cmd->max_operands)
        return cli_error(cmd->name, "unexpected argument '%s'",
                         argv[optind + cmd->max_operands]);
    if (n < cmd->min_operands)
        return cli_error(cmd->name, "missing argument: %s", cmd->synopsis);
    cmd->operands = argv + optind;
    cmd->n_operands = n;
    return CLI_RUN;
}

int cli_parse(cli_command *cmd, int argc, char **argv) {
    char shorts[2 * 64 + 3];
    if (cmd->n_args > 64)
        return cli_error(cmd->name, "internal error: too many options");
    if (apply_defaults(cmd))
        return 1;
    struct option *t = long_table(cmd, shorts);
    if (!t)
        return cli_error(cmd->name, "out of memory");
    int status = parse_loop(cmd, argc, argv, t, shorts);
    free(t);
    return status;
}

/* ---- --help ---- */

#define HELP_COLUMN 25
#define HELP_WIDTH 80

/* Print words from column `col` on, wrapped at HELP_WIDTH to HELP_COLUMN. */
static void wrap(const char *text, size_t col) {
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (col > HELP_COLUMN && col + 1 + len > HELP_WIDTH) {
            printf("\n%*s", HELP_COLUMN, "");
            col = HELP_COLUMN;
        } else if (col > HELP_COLUMN) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)len, p);
        col += len;
        p += len;
        while (*p == ' ')
            p++;
    }
    putchar('\n');
}

/* The text of an option's default as shown in brackets, or NULL. */
static const char *shown_default(const cli_arg *a) {
    if (a->opt->kind == CLI_FLAG)
        return "off";
    return arg_def(a) ? arg_def(a) : arg_unset(a);
}

static void help_option(const cli_arg *a) {
    const cli_option *o = a->opt;
    char head[96], text[1024];
    int n = o->short_name
                ? snprintf(head, sizeof head, "  -%c, --%s", o->short_name, o->name)
                : snprintf(head, sizeof head, "      --%s", o->name);
    if (o->kind != CLI_FLAG)
        snprintf(head + n, sizeof head - (size_t)n, "=%s", arg_metavar(a));
    const char *d = shown_default(a);
    snprintf(text, sizeof text, "%s%s%s%s%s%s", o->help, a->note ? "; " : "",
             a->note ? a->note : "", d ? " [" : "", d ? d : "", d ? "]" : "");
    printf("%s", head);
    size_t col = strlen(head);
    if (col + 2 > HELP_COLUMN) {
        printf("\n%*s", HELP_COLUMN, "");
        col = HELP_COLUMN;
    } else {
        printf("%*s", (int)(HELP_COLUMN - col), "");
        col = HELP_COLUMN;
    }
    wrap(text, col);
}

static void print_help(const cli_command *cmd) {
    printf("Usage: " CLI_NAME " %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->about);
    for (size_t i = 0; i < cmd->n_args; i++) {
        if (cmd->args[i].opt)
            help_option(&cmd->args[i]);
        else
            printf("%s\n", cmd->args[i].heading);
    }
    printf("  -h, --help             show this help\n");
}

/* ---- the man page's option list (roff) ---- */

/* Text for roff: '-' as \-, '\' as \e. */
static void roff(const char *s) {
    for (; *s; s++) {
        if (*s == '-')
            fputs("\\-", stdout);
        else if (*s == '\\')
            fputs("\\e", stdout);
        else
            putchar(*s);
    }
}

static void man_option(const cli_arg *a) {
    const cli_option *o = a->opt;
    printf(".TP\n%s ", o->kind == CLI_FLAG ? ".B" : ".BI");
    if (o->short_name)
        printf("\\-%c \", \" ", o->short_name);
    roff("--");
    roff(o->name);
    if (o->kind != CLI_FLAG) {
        printf("= ");
        roff(arg_metavar(a));
    }
    printf("\n");
    roff(o->help);
    if (a->note) {
        printf("; ");
        roff(a->note);
    }
    if (o->more) {
        printf(o->more[0] == '(' ? " " : "; ");
        roff(o->more);
    }
    const char *d = shown_default(a);
    if (d) {
        printf(" [");
        roff(d);
        printf("]");
    }
    printf("\n");
}

static void print_man(const cli_command *cmd) {
    for (size_t i = 0; i < cmd->n_args; i++) {
        if (cmd->args[i].opt)
            man_option(&cmd->args[i]);
        else
            printf(".PP\n%s\n", cmd->args[i].heading);
    }
}
