/* cli.h: shared pieces of the gradproof command line (not part of the library). */
#ifndef GRADPROOF_CLI_H
#define GRADPROOF_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <gradproof/gradproof.h>

#define CLI_NAME "gradproof"

/* Print "gradproof: <message>" and "Try 'gradproof <cmd> --help'." on stderr; return 1. */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing: the whole string, no overflow, within [lo, hi].
 * On failure print a one-line error naming the option and return 1. */
int cli_size(const char *cmd, const char *opt, const char *s, size_t lo, size_t hi,
             size_t *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               double *out);
int cli_ulong(const char *cmd, const char *opt, const char *s, unsigned long *out);
/* Comma-separated layer sizes "784,30,10": 2..GP_MAX_LAYERS entries, each 1..GP_MAX_WIDTH. */
int cli_sizes(const char *cmd, const char *opt, const char *s, size_t *sizes, size_t *n);
/* --cost NAME, through gp_cost_lookup. */
int cli_cost(const char *cmd, const char *s, const gp_cost_type **out);

/* Subcommands: each parses its own options and returns the exit status. */
int cmd_check(int argc, char **argv);
int cmd_oracle(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_replay(int argc, char **argv);

#endif
