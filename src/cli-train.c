/* cli-train.c: `gradproof train`, network2.py's Network(...).SGD(...) on MNIST. */
#include <config.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <gradproof/netio.h>

#include "cli.h"

#define CMD "train"

static int usage(FILE *out) {
    fprintf(
        out,
        "Usage: " CLI_NAME " " CMD " [OPTIONS]\n"
        "Train a network on MNIST with mini-batch SGD, as network2.py's\n"
        "Network(sizes, cost).SGD(...) does, printing one line per epoch.\n\n"
        "Network:\n"
        "      --data=DIR         directory with the four MNIST IDX files [data]\n"
        "      --validation=N     last N training-file images form the validation\n"
        "                         set; the rest is the training set [10000]\n"
        "      --sizes=N0,..,NL   layer sizes; N0 = pixels per image, NL = 10 "
        "[784,30,10]\n"
        "      --cost=NAME        quadratic, cross-entropy, log-likelihood (softmax\n"
        "                         output) or quadratic-linear [cross-entropy]\n"
        "      --init=KIND        large: weights and biases N(0,1); default: weights\n"
        "                         N(0,1/n_in), biases N(0,1) [default]\n"
        "      --load=FILE        start from a saved network (network2.py save() JSON);\n"
        "                         not with --sizes, --cost or --init\n"
        "      --seed=S           initialisation uses seed 2S, shuffling 2S+1 [1]\n"
        "SGD:\n"
        "      --eta=REAL         learning rate [0.5]\n"
        "      --lambda=REAL      L2 regularisation strength (lambda/2n sum w^2) [0]\n"
        "      --l1=REAL          L1 regularisation strength (lambda/n sum |w|) [0]\n"
        "      --batch=M          mini-batch size [10]\n"
        "      --epochs=E         epochs [30]\n"
        "      --early-stop=N     stop after N epochs without a better evaluation\n"
        "                         accuracy; 0 = never [0]\n"
        "      --schedule=N       halve eta after N epochs without improvement, stop\n"
        "                         when eta has dropped to eta/128; 0 = off [0]\n"
        "Monitoring:\n"
        "      --eval=SET         evaluation set: test or validation [test]\n"
        "      --monitor-eval-accuracy   accuracy on the evaluation set [always shown]\n"
        "      --monitor-eval-cost       total cost on the evaluation set [off]\n"
        "      --monitor-train-accuracy  accuracy on the training set [off]\n"
        "      --monitor-train-cost      total cost on the training set [off]\n"
        "      --metrics=FILE     every epoch's figures, CSV (FILE.csv) or JSON lines\n"
        "                         (FILE.jsonl); written atomically at the end [none]\n"
        "      --save=FILE        save the final network (network2.py JSON), atomically\n"
        "                         [none]\n"
        "      --threads=N        1: one thread; N >= 2: a second thread computes about\n"
        "                         half of layer 1 and gathers the next mini-batch\n"
        "                         (the same network to the bit), and evaluation is\n"
        "                         split in two (cost equal to rounding); OpenBLAS\n"
        "                         gets N - 1 threads [2]\n"
        "  -h, --help             show this help\n");
    return out == stderr ? EXIT_FAILURE : EXIT_SUCCESS;
}

enum {
    O_DATA = 256,
    O_VALIDATION,
    O_SIZES,
    O_COST,
    O_INIT,
    O_LOAD,
    O_SEED,
    O_ETA,
    O_LAMBDA,
    O_L1,
    O_BATCH,
    O_EPOCHS,
    O_EARLY,
    O_SCHEDULE,
    O_EVAL,
    O_MEA,
    O_MEC,
    O_MTA,
    O_MTC,
    O_METRICS,
    O_SAVE,
    O_THREADS
};

/* Figures of one evaluation; n == 0 when it was not asked for. */
typedef struct {
    gp_eval_result r;
    int done;
} figures;

typedef struct {
    FILE *fp;
    int jsonl;
} metrics_out;

static void pct_line(const char *label, const figures *f, int accuracy, int cost) {
    if (!f->done)
        return;
    if (accuracy)
        printf("  %s accuracy %zu/%zu (%.2f%%)", label, f->r.correct, f->r.n,
               100.0 * (double)f->r.correct / (double)f->r.n);
    if (cost)
        printf("  %s cost %.6g", label, f->r.cost);
}

static void metrics_header(metrics_out *m) {
    if (m->fp && !m->jsonl)
        fprintf(m->fp, "epoch,eta,seconds,eval_correct,eval_n,eval_accuracy,eval_cost,"
                       "train_correct,train_n,train_accuracy,train_cost,eval_seconds\n");
}

static void metrics_row(metrics_out *m, size_t epoch, double eta, double secs,
                        double eval_secs, const figures *ev, const figures *tr) {
    FILE *fp = m->fp;
    if (fp == NULL)
        return;
    double ea = (double)ev->r.correct / (double)ev->r.n;
    if (!m->jsonl) {
        fprintf(fp, "%zu,%.17g,%.6f,%zu,%zu,%.6f,%.10g,", epoch, eta, secs, ev->r.correct,
                ev->r.n, ea, ev->r.cost);
        if (tr->done)
            fprintf(fp, "%zu,%zu,%.6f,%.10g,", tr->r.correct, tr->r.n,
                    (double)tr->r.correct / (double)tr->r.n, tr->r.cost);
        else
            fprintf(fp, ",,,,");
        fprintf(fp, "%.6f\n", eval_secs);
        return;
    }
    fprintf(fp,
            "{\"epoch\": %zu, \"eta\": %.17g, \"seconds\": %.6f, \"eval_correct\": %zu, "
            "\"eval_n\": %zu, \"eval_accuracy\": %.6f, \"eval_cost\": %.10g",
            epoch, eta, secs, ev->r.correct, ev->r.n, ea, ev->r.cost);
    if (tr->done)
        fprintf(fp,
                ", \"train_correct\": %zu, \"train_n\": %zu, \"train_accuracy\": %.6f, "
                "\"train_cost\": %.10g",
                tr->r.correct, tr->r.n, (double)tr->r.correct / (double)tr->r.n,
                tr->r.cost);
    fprintf(fp, ", \"eval_seconds\": %.6f}\n", eval_secs);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cmd_train(int argc, char **argv) {
    static const struct option longopts[] = {
        {"data", required_argument, NULL, O_DATA},
        {"validation", required_argument, NULL, O_VALIDATION},
        {"sizes", required_argument, NULL, O_SIZES},
        {"cost", required_argument, NULL, O_COST},
        {"init", required_argument, NULL, O_INIT},
        {"load", required_argument, NULL, O_LOAD},
        {"seed", required_argument, NULL, O_SEED},
        {"eta", required_argument, NULL, O_ETA},
        {"lambda", required_argument, NULL, O_LAMBDA},
        {"l1", required_argument, NULL, O_L1},
        {"batch", required_argument, NULL, O_BATCH},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"early-stop", required_argument, NULL, O_EARLY},
        {"schedule", required_argument, NULL, O_SCHEDULE},
        {"eval", required_argument, NULL, O_EVAL},
        {"monitor-eval-accuracy", no_argument, NULL, O_MEA},
        {"monitor-eval-cost", no_argument, NULL, O_MEC},
        {"monitor-train-accuracy", no_argument, NULL, O_MTA},
        {"monitor-train-cost", no_argument, NULL, O_MTC},
        {"metrics", required_argument, NULL, O_METRICS},
        {"save", required_argument, NULL, O_SAVE},
        {"threads", required_argument, NULL, O_THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *data_dir = "data", *load = NULL, *metrics = NULL, *save = NULL;
    size_t sizes[GP_MAX_LAYERS] = {784, 30, 10}, n_sizes = 3,
           n_validation = GP_MNIST_VALIDATION;
    size_t epochs = 30, threads = 2;
    const char *sizes_arg = "784,30,10";
    int sizes_set = 0, cost_set = 0, init_set = 0, use_validation = 0;
    int mon_eval_cost = 0, mon_train_acc = 0, mon_train_cost = 0;
    const gp_cost_type *cost = &gp_cost_cross_entropy;
    gp_init init = GP_INIT_DEFAULT;
    gp_train_opts opts;
    gp_train_opts_default(&opts);
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_DATA:
            data_dir = optarg;
            break;
        case O_VALIDATION:
            if (cli_size(CMD, "--validation", optarg, 1, 100000000, &n_validation))
                return 1;
            break;
        case O_SIZES:
            if (cli_sizes(CMD, "--sizes", optarg, sizes, &n_sizes))
                return 1;
            sizes_set = 1;
            sizes_arg = optarg;
            break;
        case O_COST:
            if (cli_cost(CMD, optarg, &cost))
                return 1;
            cost_set = 1;
            break;
        case O_INIT:
            if (!strcmp(optarg, "large"))
                init = GP_INIT_LARGE;
            else if (!strcmp(optarg, "default"))
                init = GP_INIT_DEFAULT;
            else
                return cli_error(CMD, "invalid --init '%s': expected large or default",
                                 optarg);
            init_set = 1;
            break;
        case O_LOAD:
            load = optarg;
            break;
        case O_SEED:
            if (cli_ulong(CMD, "--seed", optarg, &opts.seed))
                return 1;
            if (opts.seed > 0x7fffffffUL)
                return cli_error(CMD, "invalid --seed '%s': must be at most 2147483647",
                                 optarg);
            break;
        case O_ETA:
            if (cli_double(CMD, "--eta", optarg, -HUGE_VAL, 1e6, &opts.eta))
                return 1;
            if (opts.eta <= 0)
                return cli_error(CMD, "invalid --eta '%s': must be positive", optarg);
            break;
        case O_LAMBDA:
            if (cli_double(CMD, "--lambda", optarg, 0, 1e9, &opts.lambda))
                return 1;
            break;
        case O_L1:
            if (cli_double(CMD, "--l1", optarg, 0, 1e9, &opts.l1))
                return 1;
            break;
        case O_BATCH:
            if (cli_size(CMD, "--batch", optarg, 1, 1000000, &opts.batch))
                return 1;
            break;
        case O_EPOCHS:
            if (cli_size(CMD, "--epochs", optarg, 1, 1000000, &epochs))
                return 1;
            break;
        case O_EARLY:
            if (cli_size(CMD, "--early-stop", optarg, 0, 1000000, &opts.early_stop))
                return 1;
            break;
        case O_SCHEDULE:
            if (cli_size(CMD, "--schedule", optarg, 0, 1000000, &opts.schedule))
                return 1;
            break;
        case O_EVAL:
            if (!strcmp(optarg, "test"))
                use_validation = 0;
            else if (!strcmp(optarg, "validation"))
                use_validation = 1;
            else
                return cli_error(CMD, "invalid --eval '%s': expected test or validation",
                                 optarg);
            break;
        case O_MEA:
            break; /* the evaluation accuracy is always shown */
        case O_MEC:
            mon_eval_cost = 1;
            break;
        case O_MTA:
            mon_train_acc = 1;
            break;
        case O_MTC:
            mon_train_cost = 1;
            break;
        case O_METRICS:
            metrics = optarg;
            if (!ends_with(metrics, ".csv") && !ends_with(metrics, ".jsonl"))
                return cli_error(CMD,
                                 "invalid --metrics '%s': the name must end in .csv "
                                 "or .jsonl",
                                 optarg);
            break;
        case O_SAVE:
            save = optarg;
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
    if (load && (sizes_set || cost_set || init_set))
        return cli_error(CMD,
                         "--%s cannot be combined with --load: the network file "
                         "fixes it",
                         sizes_set  ? "sizes"
                         : cost_set ? "cost"
                                    : "init");
    /* The prefetch thread takes one of the threads; the rest go to OpenBLAS. */
    opts.threads = threads >= 2 ? 2 : 1;
    if (cli_set_threads(threads >= 2 ? threads - 1 : 1))
        return cli_error(CMD,
                         "invalid --threads '%zu': this build's CBLAS is not "
                         "OpenBLAS and runs one thread (use 1 or 2)",
                         threads);
    /* Fail before training, not after it, when an output cannot be written. */
    if (save && cli_probe_writable(CMD, "--save", save))
        return 1;
    if (metrics && cli_probe_writable(CMD, "--metrics", metrics))
        return 1;

    int status = 1;
    gp_mnist *mnist = NULL;
    gp_network *net = NULL;
    gp_trainer *tr = NULL;
    gsl_rng *rng = NULL;
    cli_file mf = {NULL, NULL, NULL};
    metrics_out mo = {NULL, 0};
    char err[GP_IDX_ERRLEN];

    if (load) {
        if (gp_netio_load(load, &net, err, sizeof err))
            return cli_error(CMD, "cannot load --load '%s': %s", load, err);
        n_sizes = net->p.L + 1;
        memcpy(sizes, net->p.sizes, n_sizes * sizeof *sizes);
        cost = net->cost;
    }
    if (cli_load_mnist(CMD, data_dir, n_validation, &mnist))
        goto done;
    gp_dataset train = cli_dataset(&mnist->training);
    gp_dataset eval = cli_dataset(use_validation ? &mnist->validation : &mnist->test);
    if (cli_fits_mnist(CMD, load ? "network of --load" : "--sizes",
                       load ? load : sizes_arg, sizes[0], sizes[n_sizes - 1], train.dim))
        goto done;
    if (!(opts.eta * opts.lambda / (double)train.n < 1)) {
        cli_error(CMD,
                  "--eta %g with --lambda %g: the weight decay factor 1 - eta lambda/n "
                  "(n = %zu) must stay positive",
                  opts.eta, opts.lambda, train.n);
        goto done;
    }
    if (!net) {
        net = gp_network_alloc(n_sizes, sizes, cost);
        rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!net || !rng) {
            cli_error(CMD, "out of memory");
            goto done;
        }
        gsl_rng_set(rng, 2 * opts.seed);
        gp_network_init(net, init, rng);
    }
    gp_train_opts topts = opts;
    topts.seed = 2 * opts.seed + 1;
    tr = gp_trainer_alloc(net, &train, &topts);
    if (!tr) {
        cli_error(CMD, "out of memory"); /* the options were checked above */
        goto done;
    }
    if (metrics) {
        if (cli_file_open(CMD, "--metrics", metrics, &mf))
            goto done;
        mo.fp = mf.fp;
        mo.jsonl = ends_with(metrics, ".jsonl");
        metrics_header(&mo);
    }

    const char *eval_name = use_validation ? "validation" : "test";
    gp_regularization reg = {opts.lambda, opts.l1, 0};
    figures ev = {{0, 0, 0}, 0}, trf = {{0, 0, 0}, 0};
    for (size_t e = 1; e <= epochs; e++) {
        double eta = gp_trainer_eta(tr), t0 = cli_now();
        int st = gp_trainer_epoch(tr);
        double secs = cli_now() - t0;
        if (st) {
            cli_error(CMD, "epoch %zu failed: %s", e, gsl_strerror(st));
            goto done;
        }
        unsigned par = opts.threads >= 2 ? GP_EVAL_PARALLEL : 0;
        unsigned want_cost = metrics || mon_eval_cost ? GP_EVAL_COST : 0;
        double te = cli_now();
        st = gp_evaluate(net, &eval, &reg, 0, want_cost | par, NULL, &ev.r);
        double eval_secs = cli_now() - te;
        ev.done = 1;
        if (!st && (mon_train_acc || mon_train_cost)) {
            st = gp_evaluate(net, &train, &reg, 0,
                             (metrics || mon_train_cost ? GP_EVAL_COST : 0) | par, NULL,
                             &trf.r);
            trf.done = 1;
        }
        if (st) {
            cli_error(CMD, "evaluation after epoch %zu failed: %s", e, gsl_strerror(st));
            goto done;
        }
        printf("epoch %zu/%zu", e, epochs);
        if (opts.schedule)
            printf("  eta %g", eta);
        pct_line(eval_name, &ev, 1, mon_eval_cost);
        pct_line("training", &trf, mon_train_acc, mon_train_cost);
        printf("  %.2f s\n", secs);
        fflush(stdout);
        metrics_row(&mo, e, eta, secs, eval_secs, &ev, &trf);
        int stop;
        gp_trainer_observe(tr, (double)ev.r.correct, &stop);
        if (stop && e < epochs) {
            size_t best_epoch;
            gp_trainer_best(tr, &best_epoch);
            printf("stopping after epoch %zu: %s (best at epoch %zu)\n", e,
                   opts.schedule && gp_trainer_eta(tr) <= opts.eta / 128
                       ? "eta has dropped to eta/128"
                       : "no improvement",
                   best_epoch);
            break;
        }
    }
    size_t best_epoch;
    double best = gp_trainer_best(tr, &best_epoch);
    printf("best %s accuracy %.0f/%zu (%.2f%%) at epoch %zu\n", eval_name, best, eval.n,
           100.0 * best / (double)eval.n, best_epoch);
    if (save && gp_netio_save(net, save, err, sizeof err)) {
        cli_error(CMD, "cannot write --save '%s': %s", save, err);
        goto done;
    }
    if (metrics) {
        mo.fp = NULL;
        if (cli_file_commit(CMD, "--metrics", &mf))
            goto done;
    }
    status = 0;
done:
    cli_file_abort(&mf);
    gp_trainer_free(tr);
    gsl_rng_free(rng);
    gp_network_free(net);
    gp_mnist_free(mnist);
    return status;
}
