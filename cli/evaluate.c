/* evaluate.c: `gradproof evaluate`, accuracy and confusion matrix of a saved network.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/netio.h>

#include "cli.h"

#define CMD "evaluate"

static const char *const set_names[] = {"test", "validation", "training", NULL};

static const cli_option opt_eval = {
    .name = "eval",
    .kind = CLI_CHOICE,
    .arg = "SET",
    .choices = set_names,
    .def = "test",
    .help = "the set to classify: test, validation or training"};

static void print_result(int set, const gp_eval_result *r, const size_t *confusion,
                         double secs) {
    printf("%s accuracy %zu/%zu (%.2f%%)  cost %.6g  %.4f s\n", set_names[set],
           r->correct, r->n, 100.0 * (double)r->correct / (double)r->n, r->cost, secs);
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
}

/* Load the network and the set, classify, print. */
static int run(const char *load, const char *data_dir, int set, size_t n_validation,
               size_t threads, const gp_regularization *reg) {
    gp_network *net = NULL;
    gp_mnist *mnist = NULL;
    char err[GP_IDX_ERRLEN];
    if (gp_netio_load(load, &net, err, sizeof err))
        return cli_input_error(CMD, "cannot load --load '%s': %s", load, err);
    int status = cli_load_mnist(CMD, data_dir, n_validation, set == 0, &mnist);
    if (status)
        goto done;
    const gp_idx_view *v = set == 0   ? &mnist->test
                           : set == 1 ? &mnist->validation
                                      : &mnist->training;
    gp_dataset d = cli_dataset(v);
    if ((status = cli_fits_mnist(CMD, "network of --load", load, net->p.sizes[0],
                                 net->p.sizes[net->p.L], d.dim)))
        goto done;
    size_t confusion[100];
    gp_eval_result r;
    double t0 = cli_now();
    unsigned flags = GP_EVAL_COST | (threads >= 2 ? GP_EVAL_PARALLEL : 0);
    int st = gp_evaluate(net, &d, reg, 0, flags, confusion, &r);
    if (st)
        status = cli_error(CMD, "evaluation failed: %s", gsl_strerror(st));
    else if (!isfinite(r.cost)) /* as oracle's dump_finite: nothing non-finite printed */
        status = cli_cost_overflow(load, set_names[set]);
    else
        print_result(set, &r, confusion, cli_now() - t0);
done:
    gp_network_free(net);
    gp_mnist_free(mnist);
    return status;
}

int cmd_evaluate(int argc, char **argv) {
    const char *load = NULL, *data_dir = NULL;
    int set = 0, validation_set = 0;
    size_t n_validation, threads;
    gp_regularization reg = {0, 0, 0};
    const cli_arg args[] = {
        {.opt = &cli_opt_load,
         .dest = &load,
         .unset = "required",
         .note = "the network to evaluate"},
        {.opt = &cli_opt_data,
         .dest = &data_dir,
         .note = "--eval test needs only the two t10k files"},
        {.opt = &opt_eval, .dest = &set},
        {.opt = &cli_opt_validation,
         .dest = &n_validation,
         .seen = &validation_set,
         .note = "for --eval validation or training; refused with --eval test, which "
                 "reads only the t10k files"},
        {.opt = &cli_opt_lambda,
         .dest = &reg.lambda,
         .note = "added to the printed cost"},
        {.opt = &cli_opt_l1, .dest = &reg.l1, .note = "added to the printed cost"},
        {.opt = &cli_opt_threads,
         .dest = &threads,
         .note = "the two threads classify alternate chunks of images (the same "
                 "predictions, the cost equal to rounding)"},
    };
    cli_command cmd = {.name = CMD,
                       .synopsis = "--load=FILE [OPTIONS]",
                       .about = "Classify an MNIST set with a saved network (network2.py "
                                "save() JSON) and print\n"
                                "its accuracy, total cost and 10x10 confusion matrix.\n",
                       .args = args,
                       .n_args = sizeof args / sizeof args[0]};
    int st = cli_parse(&cmd, argc, argv);
    if (st != CLI_RUN)
        return st;
    if (!load)
        return cli_error(CMD, "missing --load FILE: the network to evaluate");
    /* the test set is the t10k files whatever the split: an ignored option */
    if (validation_set && set == 0)
        return cli_error(CMD,
                         "--validation goes with --eval validation or training: it "
                         "splits the training file, which --eval test does not read");
    if (cli_set_threads(threads >= 2 ? threads - 1 : 1))
        return cli_error(CMD,
                         "invalid --threads '%zu': this build's CBLAS is not "
                         "OpenBLAS and runs one thread",
                         threads);

    return run(load, data_dir, set, n_validation, threads, &reg);
}
