/* gradproof.c: the command line; main() dispatches to one subcommand per file. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, CLI_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" CLI_NAME "%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return 1;
}

int cli_bad_option(const char *cmd, int c, char **argv) {
    if (c == ':')
        return cli_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    return cli_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int cli_ulong(const char *cmd, const char *opt, const char *s, unsigned long *out) {
    char *end;
    errno = 0;
    if (s[0] == '-' || s[0] == '\0')
        return cli_error(cmd, "invalid %s '%s': expected a non-negative integer", opt, s);
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0')
        return cli_error(cmd, "invalid %s '%s': expected a non-negative integer", opt, s);
    *out = v;
    return 0;
}

int cli_size(const char *cmd, const char *opt, const char *s, size_t lo, size_t hi,
             size_t *out) {
    unsigned long v;
    if (cli_ulong(cmd, opt, s, &v))
        return 1;
    if (v < lo || v > hi)
        return cli_error(cmd, "invalid %s '%s': must be between %zu and %zu", opt, s, lo,
                         hi);
    *out = v;
    return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return cli_error(cmd, "invalid %s '%s': expected a finite number", opt, s);
    if (v < lo || v > hi)
        return cli_error(cmd, "invalid %s '%s': must be between %g and %g", opt, s, lo,
                         hi);
    *out = v;
    return 0;
}

int cli_sizes(const char *cmd, const char *opt, const char *s, size_t *sizes, size_t *n) {
    size_t count = 0;
    const char *p = s;
    for (;;) {
        char buf[32];
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof buf)
            return cli_error(cmd, "invalid %s '%s': expected sizes like 784,30,10", opt,
                             s);
        if (count == GP_MAX_LAYERS)
            return cli_error(cmd, "invalid %s '%s': more than %d layers", opt, s,
                             GP_MAX_LAYERS);
        memcpy(buf, p, len);
        buf[len] = '\0';
        unsigned long v;
        char *end;
        errno = 0;
        v = strtoul(buf, &end, 10);
        if (buf[0] == '-' || buf[0] == '+' || errno || *end != '\0' || v < 1 ||
            v > GP_MAX_WIDTH)
            return cli_error(cmd,
                             "invalid %s '%s': each size must be an integer in 1..%d",
                             opt, s, GP_MAX_WIDTH);
        sizes[count++] = v;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (count < 2)
        return cli_error(
            cmd, "invalid %s '%s': need at least an input and an output size", opt, s);
    *n = count;
    return 0;
}

int cli_cost(const char *cmd, const char *s, const gp_cost_type **out) {
    const gp_cost_type *c = gp_cost_lookup(s);
    if (!c)
        return cli_error(cmd, "invalid --cost '%s': expected one of %s", s,
                         gp_cost_names());
    *out = c;
    return 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"check", cmd_check, "check every gradient formula against numerical derivatives"},
    {"oracle", cmd_oracle, "write reference cost, z, a, delta, dW, db of a network"},
    {"compare", cmd_compare, "compare another implementation's dump with the oracle's"},
    {"replay", cmd_replay, "reproduce the verdict of a failure record"},
    {"train", cmd_train, "train a network on MNIST with mini-batch SGD (network2.py)"},
    {"evaluate", cmd_evaluate, "accuracy and confusion matrix of a saved network"},
    {"slowdown", cmd_slowdown, "the single-neuron learning-slowdown experiment (ch. 3)"},
};

static int usage(FILE *out) {
    fprintf(out, "Usage: " CLI_NAME " COMMAND [OPTIONS]\n"
                 "Proved and property-tested gradients of neural-network costs.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'" CLI_NAME " COMMAND --help' describes a command's options.\n"
                 "  -h, --help     show this help\n"
                 "  -V, --version  show the version\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv) {
    /* GSL's default handler aborts; the library's status codes are reported instead. */
    gsl_set_error_handler_off();
    /* The library ignores a GRADPROOF_SIMD it does not know; here a typo is an error. */
    const char *simd = getenv("GRADPROOF_SIMD");
    if (simd && strcmp(simd, "baseline") && strcmp(simd, "avx2") &&
        strcmp(simd, "avx512")) {
        fprintf(stderr,
                CLI_NAME ": invalid GRADPROOF_SIMD '%s': use baseline, avx2 or avx512\n",
                simd);
        return EXIT_FAILURE;
    }
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(stdout);
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf(CLI_NAME " %s (CBLAS: %s; SIMD: %s)\n", gp_version(), GP_CBLAS, gp_simd());
        return EXIT_SUCCESS;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, CLI_NAME ": unknown command '%s'\nTry '" CLI_NAME " --help'.\n",
            argv[1]);
    return EXIT_FAILURE;
}
