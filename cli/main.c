/* main.c: the command line's entry point: the command table and main(), which dispatches
 * to one command per file (train.c, evaluate.c, ...). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "mpi.h"

/* one_blas_thread: the command's output must be the same bits on any number of CPUs and
 * MPI ranks, so OpenBLAS runs on one thread (cli_blas_reproducible): every command
 * but those taking --threads (train, evaluate, and sweep through train). mpi: the
 * command shares its work between mpirun's ranks (cli_mpi_init after its options). */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    int one_blas_thread, mpi;
    const char *summary;
} commands[] = {
    {"check", cmd_check, 1, 1,
     "check every gradient formula against numerical derivatives"},
    {"oracle", cmd_oracle, 1, 1,
     "write reference cost, z, a, delta, dW, db of a network"},
    {"compare", cmd_compare, 1, 0,
     "compare another implementation's dump with the oracle's"},
    {"replay", cmd_replay, 1, 0, "reproduce the verdict of a failure record"},
    {"hunt", cmd_hunt, 1, 1, "property-test another implementation on random cases"},
    {"train", cmd_train, 0, 0,
     "train a network on MNIST with mini-batch SGD (network2.py)"},
    {"evaluate", cmd_evaluate, 0, 0, "accuracy and confusion matrix of a saved network"},
    {"slowdown", cmd_slowdown, 1, 0,
     "the single-neuron learning-slowdown experiment (ch. 3)"},
    {"sweep", cmd_sweep, 0, 1,
     "train a grid of settings x seeds (on MPI ranks); seed-noise tests"},
};

static int usage(void) {
    printf("Usage: " CLI_NAME " COMMAND [OPTIONS]\n"
           "Proved and property-tested gradients of neural-network costs.\n\n"
           "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nOpenBLAS runs on one thread, so that results are the same bits on any "
           "number\nof CPUs and MPI ranks, except in train, evaluate and sweep "
           "(--threads).\n");
    printf("\n'" CLI_NAME " COMMAND --help' describes a command's options.\n"
           "  -h, --help     show this help\n"
           "  -V, --version  show the version\n");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
    /* GSL's default handler aborts; the library's status codes are reported instead. */
    gsl_set_error_handler_off();
    cli_install_cleanup();
    /* The library ignores a GRADPROOF_SIMD it does not know; here a typo is an error. */
    const char *simd = getenv("GRADPROOF_SIMD");
    if (simd && strcmp(simd, "baseline") && strcmp(simd, "avx2") &&
        strcmp(simd, "avx512")) {
        fprintf(stderr,
                CLI_NAME ": invalid GRADPROOF_SIMD '%s': use baseline, avx2 or avx512\n",
                simd);
        return EXIT_FAILURE;
    }
    if (argc < 2) {
        fputs(CLI_NAME ": missing command\nTry '" CLI_NAME " --help'.\n", stderr);
        return EXIT_FAILURE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cli_stdout_status(usage());
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf(CLI_NAME " %s (CBLAS: %s; SIMD: %s)\n", gp_version(), GP_CBLAS, gp_simd());
        return cli_stdout_status(EXIT_SUCCESS);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            if (commands[i].one_blas_thread)
                cli_blas_reproducible();
            if (commands[i].mpi)
                cli_mpi_quiet_options();
            int status = cli_stdout_status(commands[i].run(argc - 1, argv + 1));
            if (status && commands[i].mpi)
                cli_mpi_meet();
            return status;
        }
    fprintf(stderr, CLI_NAME ": unknown command '%s'\nTry '" CLI_NAME " --help'.\n",
            argv[1]);
    return EXIT_FAILURE;
}
