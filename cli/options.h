/* options.h: the command line's one option table. An option (name, argument kind, limits,
 * default, help text) is defined once; a command lists the options it takes, each bound
 * to the variable that receives its value. From that list cli_parse builds getopt_long's
 * table, applies the defaults, parses and range-checks every value, and prints the
 * command's --help and its man page option list (the hidden --man-options), so parsing,
 * --help and doc/gradproof.1 cannot drift apart. */
#ifndef GRADPROOF_CLI_OPTIONS_H
#define GRADPROOF_CLI_OPTIONS_H

#include <stddef.h>

#include <gradproof/gradproof.h>

/* A numeric macro's digits as a string, for a help text that names a limit
 * ("1 to " CLI_STR(GP_GRADCHECK_MAX_WORST)). */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* What an option's argument is, and the type of the variable bound to it. */
typedef enum {
    CLI_FLAG,   /* no argument; int, set to 1 */
    CLI_STRING, /* const char *, any non-empty text */
    CLI_SIZE,   /* size_t, decimal digits only, in [lo, hi] */
    CLI_ULONG,  /* unsigned long, decimal digits only, in [lo, hi] */
    CLI_REAL,   /* double, finite, in [lo, hi] (lo excluded when lo_open) */
    CLI_SIZES,  /* cli_layers: "784,30,10" */
    CLI_COST,   /* const gp_cost_type *, through gp_cost_lookup */
    CLI_CHOICE  /* int: index of the argument in choices */
} cli_kind;

typedef struct {
    const char *name; /* long name, without "--" */
    char short_name;  /* -c, or 0 */
    cli_kind kind;    /* the argument and its variable's type */
    const char *arg;  /* metavariable in --help and the man page: N, REAL, FILE; NULL:
                         VALUE */
    double lo, hi;    /* CLI_SIZE, CLI_ULONG, CLI_REAL: the allowed range */
    int lo_open;      /* CLI_REAL: lo itself is refused (eta > 0) */
    const char *const *choices; /* CLI_CHOICE: the accepted words, NULL-terminated */
    const char *def;   /* the default, parsed like an argument before argv; NULL: none */
    const char *unset; /* shown as [unset] when def is NULL ("none", "required") */
    const char *help;  /* one sentence for --help and the man page */
    const char *more;  /* further detail for the man page only, or NULL */
} cli_option;

/* Layer sizes of --sizes; text is the argument as given (for messages). */
typedef struct {
    size_t n;
    size_t sizes[GP_MAX_LAYERS];
    const char *text;
} cli_layers;

/* One entry of a command's option list: an option bound to its variable, or a heading
 * ("SGD:") when opt is NULL. Written with designated initializers:
 *   {.opt = &cli_opt_sizes, .dest = &sizes, .seen = &sizes_set},  {.heading = "SGD:"}
 * def, unset and arg (the metavariable) override the option's for this command; note
 * adds a command's own words
 * to the help text ("initialisation uses seed 2S"); seen, if not NULL, is set to 1 when
 * the option is on the command line. */
typedef struct {
    const cli_option *opt;
    void *dest;
    int *seen;
    const char *def;
    const char *unset;
    const char *note;
    const char *heading;
    const char *arg;
} cli_arg;

typedef struct {
    const char *name;     /* "train" */
    const char *synopsis; /* after "gradproof train": "[OPTIONS]" */
    const char *about;    /* --help's paragraph ('\n' ends a line) */
    const cli_arg *args;  /* the options, in --help order */
    size_t n_args;
    size_t min_operands, max_operands; /* arguments after the options */
    char **operands;                   /* set by cli_parse */
    size_t n_operands;                 /* set by cli_parse */
} cli_command;

/* cli_parse's result when the command should run; any other value is the exit status
 * (0 after --help or --man-options, 1 after a usage error, already reported). */
#define CLI_RUN (-1)

int cli_parse(cli_command *cmd, int argc, char **argv);

/* The options shared by several commands, defined once. */
extern const cli_option cli_opt_data, cli_opt_validation, cli_opt_sizes, cli_opt_cost,
    cli_opt_seed, cli_opt_lambda, cli_opt_l1, cli_opt_n, cli_opt_threads, cli_opt_load,
    cli_opt_epochs, cli_opt_precision, cli_opt_activation, cli_opt_noise;
/* cli_opt_precision's words, in gp_precision_lookup's spelling: an index into it names
 * the precision (cli_precision). */
extern const char *const cli_precision_names[];
/* The gp_precision of cli_opt_precision's index i. */
gp_precision cli_precision(int i);

#endif
