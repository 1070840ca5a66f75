/* cli-evaluate.c: `gradproof evaluate`, accuracy and confusion matrix of a saved network.
 */
#include <config.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/netio.h>

#include "cli.h"

#define CMD "evaluate"

static int usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " " CMD " --load=FILE [OPTIONS]\n"
        "Classify an MNIST set with a saved network (network2.py save() JSON) and print\n"
        "its accuracy, total cost and 10x10 confusion matrix.\n\n"
        "      --load=FILE        the network (required)\n"
        "      --data=DIR         directory with the four MNIST IDX files [data]\n"
        "      --eval=SET         test, validation or training [test]\n"
        "      --validation=N     last N training-file images form the validation\n"
        "                         set; the rest is the training set [10000]\n"
        "      --lambda=REAL      L2 term added to the printed cost [0]\n"
        "      --l1=REAL          L1 term added to the printed cost [0]\n"
        "      --threads=N        1: one thread; N >= 2: two threads take alternate\n"
        "                         chunks of images, N - 1 run OpenBLAS [2]\n"
        "  -h, --help             show this help\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

enum { O_LOAD = 256, O_DATA, O_EVAL, O_VALIDATION, O_LAMBDA, O_L1, O_THREADS };

int cmd_evaluate(int argc, char **argv) {
    static const struct option longopts[] = {
        {"load", required_argument, NULL, O_LOAD},
        {"data", required_argument, NULL, O_DATA},
        {"eval", required_argument, NULL, O_EVAL},
        {"validation", required_argument, NULL, O_VALIDATION},
        {"lambda", required_argument, NULL, O_LAMBDA},
        {"l1", required_argument, NULL, O_L1},
        {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *load = NULL, *data_dir = "data", *set = "test";
    size_t n_validation = GP_MNIST_VALIDATION, threads = 2;
    gp_regularization reg = {0, 0, 0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LOAD:
            load = optarg;
            break;
        case O_DATA:
            data_dir = optarg;
            break;
        case O_EVAL:
            if (strcmp(optarg, "test") && strcmp(optarg, "validation") &&
                strcmp(optarg, "training"))
                return cli_error(
                    CMD, "invalid --eval '%s': expected test, validation or training",
                    optarg);
            set = optarg;
            break;
        case O_VALIDATION:
            if (cli_size(CMD, "--validation", optarg, 1, 100000000, &n_validation))
                return 1;
            break;
        case O_LAMBDA:
            if (cli_double(CMD, "--lambda", optarg, 0, 1e9, &reg.lambda))
                return 1;
            break;
        case O_L1:
            if (cli_double(CMD, "--l1", optarg, 0, 1e9, &reg.l1))
                return 1;
            break;
        case O_THREADS:
            if (cli_size(CMD, "--threads", optarg, 1, 256, &threads))
                return 1;
            break;
        case 'h':
            return usage(stdout);
        default: /* ':' (missing value) or '?' (unknown option) */
            return cli_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return cli_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!load)
        return cli_error(CMD, "missing --load FILE: the network to evaluate");
    if (cli_set_threads(threads >= 2 ? threads - 1 : 1))
        return cli_error(CMD,
                         "invalid --threads '%zu': this build's CBLAS is not "
                         "OpenBLAS and runs one thread",
                         threads);

    int status = 1;
    gp_network *net = NULL;
    gp_mnist *mnist = NULL;
    char err[GP_IDX_ERRLEN];
    if (gp_netio_load(load, &net, err, sizeof err))
        return cli_error(CMD, "cannot load --load '%s': %s", load, err);
    if (cli_load_mnist(CMD, data_dir, n_validation, &mnist))
        goto done;
    const gp_idx_view *v = !strcmp(set, "test")         ? &mnist->test
                           : !strcmp(set, "validation") ? &mnist->validation
                                                        : &mnist->training;
    gp_dataset d = cli_dataset(v);
    if (cli_fits_mnist(CMD, "network of --load", load, net->p.sizes[0],
                       net->p.sizes[net->p.L], d.dim))
        goto done;
    size_t confusion[100];
    gp_eval_result r;
    double t0 = cli_now();
    unsigned flags = GP_EVAL_COST | (threads >= 2 ? GP_EVAL_PARALLEL : 0);
    int st = gp_evaluate(net, &d, &reg, 0, flags, confusion, &r);
    double secs = cli_now() - t0;
    if (st) {
        cli_error(CMD, "evaluation failed: %s", gsl_strerror(st));
        goto done;
    }
    printf("%s accuracy %zu/%zu (%.2f%%)  cost %.6g  %.4f s\n", set, r.correct, r.n,
           100.0 * (double)r.correct / (double)r.n, r.cost, secs);
    printf("confusion matrix (rows: true digit, columns: predicted digit)\n      ");
    for (size_t k = 0; k < 10; k++)
        printf(" %6zu", k);
    printf("\n");
    for (size_t j = 0; j < 10; j++) {
        printf("%6zu", j);
        for (size_t k = 0; k < 10; k++)
            printf(" %6zu", confusion[j * 10 + k]);
        printf("\n");
    }
    status = 0;
done:
    gp_network_free(net);
    gp_mnist_free(mnist);
    return status;
}
