/* cli.h: shared pieces of the gradproof command line (not part of the library; it uses
 * only the public headers <gradproof/...>). */
#ifndef GRADPROOF_CLI_H
#define GRADPROOF_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <gradproof/gradproof.h>

#include "options.h"

#define CLI_NAME "gradproof"

/* Exit statuses, the same for every command (doc/gradproof.1, EXIT STATUS). */
enum {
    CLI_EXIT_OK = 0,   /* success: written, trained, the check or comparison passed */
    CLI_EXIT_FAIL = 1, /* usage error, unwritable output, failed check or comparison */
    CLI_EXIT_INPUT =
        2, /* an input file is missing, unreadable, corrupt or does not fit */
    CLI_EXIT_DIVERGED = 3, /* train: weights, biases or cost became NaN or infinite */
    CLI_EXIT_SIGNAL = 128  /* + the signal's number: train --checkpoint stopped by
                              SIGINT or SIGTERM after writing its checkpoint (what a
                              shell reports for a run the signal killed) */
};

/* on: cli_error prints nothing (it still returns 1): an mpirun rank other than 0 while
 * it parses the options every rank shares (cli_mpi_quiet_options). */
void cli_quiet_errors(int on);
/* cmd != NULL: cli_error's hint names cmd's --help whatever command it reports for (sweep
 * runs train's parser and train itself, whose options it takes). */
void cli_hint_as(const char *cmd);
/* Print "gradproof: <message>" and "Try 'gradproof <cmd> --help'." on stderr; return 1.
 */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Print "gradproof: <message>" on stderr (no hint: the command line was right, an input
 * file is not); return CLI_EXIT_INPUT. */
int cli_input_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A command's status once its standard output is flushed: a printed result that could
 * not be written (a full disk, a closed stdout) is a failure, one line on stderr and
 * status 1 when the command had succeeded. */
int cli_stdout_status(int status);

/* cli_input_error for a network FILE (of --load) whose cost on the SET is not finite,
 * its values overflowing float64: evaluate's and train's one message; returns 2. */
int cli_cost_overflow(const char *file, const char *set);

/* The error for getopt_long's ':' (option missing its value) or '?' (unknown option)
 * return `c`; returns 1. */
int cli_bad_option(const char *cmd, int c, char **argv);

/* Strict number parsing: the whole string, no overflow, within [lo, hi] (cli_double
 * with lo_open: (lo, hi], eta > 0, one message for either end); integers are
 * decimal digits only (no space, no sign), reals start with a digit, a sign or a point
 * and do not round a non-zero value to 0 (1e-400). On failure print a one-line error
 * naming the option and return 1. */
int cli_size(const char *cmd, const char *opt, const char *s, size_t lo, size_t hi,
             size_t *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
               int lo_open, double *out);
/* Comma-separated layer sizes "784,30,10": 2..GP_MAX_LAYERS entries,
 * each 1..GP_MAX_WIDTH. */
int cli_sizes(const char *cmd, const char *opt, const char *s, size_t *sizes, size_t *n);
/* A comma-separated list has no empty item (",1", "1,,2", "1,": strtok would skip
 * it). 0, or 1 after a one-line error naming opt. */
int cli_list_check(const char *cmd, const char *opt, const char *s);
/* --cost NAME, through gp_cost_lookup. */
int cli_cost(const char *cmd, const char *s, const gp_cost_type **out);
/* --activation's "NAME" or "NAME,NAME,..": hidden activations for a network with
 * `hidden` hidden layers (one name: all of them), into out[0 .. hidden). 0, or 1 after
 * a one-line error. */
int cli_activations(const char *cmd, const char *spec, size_t hidden, gp_activation *out);
/* One --activation name for every hidden layer of every case (check, hunt): a list is
 * refused ("give one name"). 0, or EXIT_FAILURE after the error message. */
int cli_activation_one(const char *cmd, const char *spec, gp_activation *out);

/* An output file written with the library's atomic writer (gradproof/atomic.h):
 * everything goes to a temporary file next to the target, renamed over it only by
 * cli_file_commit, so a failed or interrupted run leaves an existing file untouched.
 * opt names the option in errors. */
typedef struct {
    FILE *fp;
    gp_atomic_file *a;
    const char *path;
} cli_file;
/* The library's message "PATH: reason" as "cannot write OPT 'PATH': reason" (with the
 * hint line); returns CLI_EXIT_FAIL (an unwritable output is a usage error). */
int cli_write_error(const char *cmd, const char *opt, const char *path, const char *err);
int cli_file_open(const char *cmd, const char *opt, const char *path, cli_file *f);
int cli_file_commit(const char *cmd, const char *opt, cli_file *f);
void cli_file_abort(cli_file *f);
/* SIGINT, SIGTERM, SIGHUP: remove the library's temporary files, then die of the
 * signal (gp_atomic_cleanup). Called once by main. */
void cli_install_cleanup(void);
/* A directory that handler also removes, when empty (NULL: none). */
void cli_cleanup_dir(const char *dir);
/* Fail early (before hours of training) when path's directory is not writable. */
int cli_probe_writable(const char *cmd, const char *opt, const char *path);
/* As cli_probe_writable, for a file written again and again (a checkpoint): refused
 * (status 1) when path is the process's standard output or error. */
int cli_probe_replaceable(const char *cmd, const char *opt, const char *path);
/* 1 when an executable file `name` is in a directory of $PATH (as sh would find it). */
int cli_on_path(const char *name);
/* 1 when s ends in suffix (a file name's extension). */
int cli_ends_with(const char *s, const char *suffix);
/* Refuse two outputs paths[i] (option opts[i], NULL if not given) that name one file,
 * which the last one written would replace: "OPT 'A' and OPT 'B' are the same file", 1.
 */
int cli_distinct_outputs(const char *cmd, size_t n, const char *const *opts,
                         const char *const *paths);
/* Refuse an output path (option opt; none if NULL) that is one of the n inputs ins[i]
 * (named in_opts[i], NULL if not given) or lies in one that is a directory: "OPT 'A'
 * would replace the input NAME 'B'", 1. */
int cli_spare_inputs(const char *cmd, const char *opt, const char *path, size_t n,
                     const char *const *in_opts, const char *const *ins);
/* Refuse an output path (option opt; none if NULL) that is one of the MNIST files in
 * directory dir (--data), raw or .gz, through cli_spare_inputs. */
int cli_spare_mnist(const char *cmd, const char *opt, const char *path, const char *dir);
/* Fail early when the n outputs paths[i] (option opts[i], up to bytes[i] each) do not
 * fit, those on one file system together (gp_atomic_space_all): "cannot write OPT
 * 'PATH': not enough space: ...", 1. */
int cli_check_space(const char *cmd, size_t n, const char *const *opts,
                    const char *const *paths, const size_t *bytes);

/* OpenBLAS threads: 0 on success, -1 if n > 1 and the CBLAS is not OpenBLAS. */
int cli_set_threads(size_t n);
/* One BLAS thread, for the commands whose output must be the same bits on any number
 * of CPUs and MPI ranks (main() calls it for every command but train, evaluate and
 * sweep, which take --threads): OpenBLAS splits a large dgemm over its
 * threads and rounds it differently on one thread and on two, and mpirun binds each
 * of 1 or 2 ranks to one core, so its ranks ran one thread where a lone process on
 * two cores ran two (oracle --self-check of [784,100,10]: another dump, another max
 * rel err). These commands spend their time in their own loops, not in BLAS. */
void cli_blas_reproducible(void);

/* gp_mnist_load (gp_mnist_load_test when test_only) with its message turned into a CLI
 * error: CLI_EXIT_INPUT, or 1 (an option error) for an n_validation (--validation) that
 * leaves no training image. */
int cli_load_mnist(const char *cmd, const char *dir, size_t n_validation, int test_only,
                   gp_mnist **out);
/* The trainer's view of an IDX range (borrows the pixels and labels). */
gp_dataset cli_dataset(const gp_idx_view *v);
/* The layer sizes fit the data: n_0 = pixels per image and n_L = 10 digits. Else print
 * "<what> '<name>': ..." (one line) and return CLI_EXIT_INPUT, whether the sizes came
 * from a file (--load, --resume) or from --sizes: the data does not fit the network
 * (doc/gradproof.1, EXIT STATUS 2). */
int cli_fits_mnist(const char *cmd, const char *what, const char *name, size_t n0,
                   size_t nL, size_t dim);
/* The noun for a count n: one when n == 1, else many ("1 case", "2 cases", "0 cases"). */
const char *cli_plural(size_t n, const char *one, const char *many);
/* Monotonic seconds. */
double cli_now(void);

/* Subcommands: each parses its options (train, evaluate, slowdown through cli_parse)
 * and returns the exit status. */
int cmd_check(int argc, char **argv);
int cmd_oracle(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_train(int argc, char **argv);
/* What cmd_train refuses before training: its options, then its data, network and
 * outputs (read, built and freed): 0, or the error's status, already reported (sweep
 * checks its runs this way, once, before any starts). *data: the --data directory, a
 * string of argv or a literal. */
int cmd_train_check(int argc, char **argv, const char **data);
int cmd_evaluate(int argc, char **argv);
int cmd_slowdown(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
