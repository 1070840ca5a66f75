/* train.c: `gradproof train`, network2.py's Network(...).SGD(...) on MNIST. */
#include <config.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <jansson.h>

#include <gradproof/checkpoint.h>
#include <gradproof/netio.h>

#include "cli.h"

#define CMD "train"

static const char *const init_names[] = {"default", "large", NULL};
static const char *const eval_names[] = {"test", "validation", NULL};

static const cli_option opt_init = {
    .name = "init",
    .kind = CLI_CHOICE,
    .arg = "KIND",
    .choices = init_names,
    .def = "default",
    .help =
        "default: weights N(0,1/n_in), biases N(0,1); large: weights and biases N(0,1)",
    .more = "(network2.py's default_weight_initializer and large_weight_initializer)"};
static const cli_option opt_eta = {.name = "eta",
                                   .kind = CLI_REAL,
                                   .arg = "REAL",
                                   .hi = 1e6,
                                   .lo_open = 1,
                                   .def = "0.5",
                                   .help = "learning rate, > 0"};
static const cli_option opt_batch = {.name = "batch",
                                     .kind = CLI_SIZE,
                                     .arg = "M",
                                     .lo = 1,
                                     .hi = 1000000,
                                     .def = "10",
                                     .help = "mini-batch size",
                                     .more =
                                         "(the last batch of an epoch may be smaller)"};
static const cli_option opt_early = {
    .name = "early-stop",
    .kind = CLI_SIZE,
    .arg = "N",
    .hi = 1000000,
    .def = "0",
    .help =
        "stop after N epochs without a strictly better evaluation accuracy; 0 = never",
    .more = "(network2.py's early_stopping_n)"};
static const cli_option opt_schedule = {
    .name = "schedule",
    .kind = CLI_SIZE,
    .arg = "N",
    .hi = 1000000,
    .def = "0",
    .help = "halve eta after N epochs without improvement, stop when eta has dropped to "
            "eta/128; 0 = off",
    .more = "(Nielsen's learning-rate schedule, chapter 3)"};
static const cli_option opt_eval = {
    .name = "eval",
    .kind = CLI_CHOICE,
    .arg = "SET",
    .choices = eval_names,
    .def = "test",
    .help =
        "evaluation set, test or validation; its accuracy is printed after every epoch",
    .more = "(it drives --early-stop and --schedule; network2.py's "
            "monitor_evaluation_accuracy "
            "is always on, so gradproof has no option for it)"};
/* In gp_layer1's order. */
static const char *const layer1_names[] = {"auto", "sparse", "dense", NULL};
static const cli_option opt_layer1 = {
    .name = "layer1",
    .kind = CLI_CHOICE,
    .arg = "PATH",
    .choices = layer1_names,
    .def = "auto",
    .help = "how layer 1 reads the training images: auto, sparse (the non-zero pixels of "
            "each image) or dense (every pixel, blocked over the mini-batch)",
    .more = "(gp_train_opts.layer1; the same steps to rounding). auto takes dense when "
            "more than a third of the training pixels are non-zero (Fashion-MNIST: "
            "half), else sparse (MNIST: a fifth); the evaluation always chooses so. "
            "For tests and scripts/bench-train.sh, which times both"};
static const cli_option opt_mec = {
    .name = "monitor-eval-cost",
    .kind = CLI_FLAG,
    .help = "total cost on the evaluation set",
    .more =
        "as network2.py's total_cost: (1/n) sum C_x plus the regularisation terms, n the "
        "evaluated set's size"};
static const cli_option opt_mta = {.name = "monitor-train-accuracy",
                                   .kind = CLI_FLAG,
                                   .help = "accuracy on the training set"};
static const cli_option opt_mtc = {.name = "monitor-train-cost",
                                   .kind = CLI_FLAG,
                                   .help = "total cost on the training set"};
static const cli_option opt_metrics = {
    .name = "metrics",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "every epoch's figures, CSV (FILE.csv) or JSON lines (FILE.jsonl); written "
            "atomically at the end",
    .more =
        "columns: epoch, eta, seconds of training, evaluation correct/n/accuracy/cost, "
        "the "
        "training figures when monitored, and eval_seconds, the time of the evaluation"};
static const cli_option opt_save = {
    .name = "save",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help = "save the final network (network2.py JSON), atomically",
    .more =
        "17 significant digits, so a load gives the same bits; temporary file, fsync, "
        "rename"};
static const cli_option opt_checkpoint = {
    .name = "checkpoint",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help =
        "write the whole training state to FILE, atomically, every --checkpoint-every "
        "epochs, after the last, and on SIGINT or SIGTERM",
    .more =
        "the network, epoch, learning rate, early-stopping counters, best accuracy, the "
        "shuffling generator's state and order, the command line, the evaluation set's "
        "size and the metrics so far "
        "(gradproof/checkpoint.h); a diverged epoch is never checkpointed, so FILE keeps "
        "the last finite network. SIGINT or SIGTERM stops training at the next "
        "mini-batch boundary, writes the state there, with the position in the epoch "
        "(--resume continues with the next mini-batch, to the same bits; that epoch's "
        "seconds count both parts) and exits with 128 + the signal's "
        "number; a second signal ends the run at once. Each save replaces FILE, so it "
        "cannot be standard output or error (exit status 1)"};
static const cli_option opt_checkpoint_every = {.name = "checkpoint-every",
                                                .kind = CLI_SIZE,
                                                .arg = "N",
                                                .lo = 1,
                                                .hi = 1000000,
                                                .def = "1",
                                                .help = "epochs between checkpoints"};
static const cli_option opt_resume = {
    .name = "resume",
    .kind = CLI_STRING,
    .arg = "FILE",
    .unset = "none",
    .help =
        "continue the run that wrote the checkpoint FILE, to the same bits as if it had "
        "never stopped",
    .more = "its command line applies; options given again must have its values, except "
            "--epochs, --threads, --save, --metrics (the same format), --checkpoint and "
            "--checkpoint-every, which may change (exit status 1 otherwise), --epochs "
            "to no fewer than the epochs done (exit status 1); an evaluation set of "
            "another size than the checkpoint's is refused (exit status 2)"};
/* Everything the command line sets. */
typedef struct {
    const char *data, *load, *metrics, *save, *activation, *checkpoint, *resume;
    cli_layers sizes;
    gp_activation acts[GP_MAX_LAYERS];
    const gp_cost_type *cost;
    int init, eval; /* indices in init_names and eval_names */
    int sizes_set, cost_set, init_set, act_set, every_set;
    int mon_eval_cost, mon_train_acc, mon_train_cost;
    size_t n_validation, epochs, threads, checkpoint_every;
    gp_train_opts opts;
} train_args;

static int parse_args(train_args *t, int argc, char **argv) {
    int layer1 = 0;
    memset(t, 0, sizeof *t);
    gp_train_opts_default(&t->opts);
    const cli_arg args[] = {
        {.heading = "Network:"},
        {.opt = &cli_opt_data, .dest = &t->data},
        {.opt = &cli_opt_validation, .dest = &t->n_validation},
        {.opt = &cli_opt_sizes,
         .dest = &t->sizes,
         .seen = &t->sizes_set,
         .def = "784,30,10",
         .note = "N0 = pixels per image, NL = 10"},
        {.opt = &cli_opt_cost,
         .dest = &t->cost,
         .seen = &t->cost_set,
         .def = "cross-entropy"},
        {.opt = &cli_opt_activation,
         .dest = &t->activation,
         .seen = &t->act_set,
         .def = "sigmoid",
         .note = "one for every hidden layer, or a comma list with one per hidden layer"},
        {.opt = &opt_init, .dest = &t->init, .seen = &t->init_set},
        {.opt = &cli_opt_load,
         .dest = &t->load,
         .note = "start from it; not with --sizes, --cost, --activation or --init, "
                 "which it fixes"},
        {.opt = &cli_opt_seed,
         .dest = &t->opts.seed,
         .note = "the initialisation uses seed 2S, the shuffling 2S+1"},
        {.heading = "SGD:"},
        {.opt = &opt_eta, .dest = &t->opts.eta},
        {.opt = &cli_opt_lambda, .dest = &t->opts.lambda},
        {.opt = &cli_opt_l1, .dest = &t->opts.l1},
        {.opt = &opt_batch, .dest = &t->opts.batch},
        {.opt = &cli_opt_epochs, .dest = &t->epochs},
        {.opt = &opt_early, .dest = &t->opts.early_stop},
        {.opt = &opt_schedule, .dest = &t->opts.schedule},
        {.opt = &opt_layer1, .dest = &layer1},
        {.heading = "Monitoring and output:"},
        {.opt = &opt_eval, .dest = &t->eval},
        {.opt = &opt_mec, .dest = &t->mon_eval_cost},
        {.opt = &opt_mta, .dest = &t->mon_train_acc},
        {.opt = &opt_mtc, .dest = &t->mon_train_cost},
        {.opt = &opt_metrics, .dest = &t->metrics},
        {.opt = &opt_save, .dest = &t->save},
        {.opt = &opt_checkpoint, .dest = &t->checkpoint},
        {.opt = &opt_checkpoint_every,
         .dest = &t->checkpoint_every,
         .seen = &t->every_set},
        {.opt = &opt_resume, .dest = &t->resume},
        {.opt = &cli_opt_threads,
         .dest = &t->threads,
         .note = "the second thread computes about half of layer 1 and gathers the next "
                 "mini-batch; training runs chunks of mini-batches on two threads or on "
                 "one, whichever measures faster (one, when other processes hold the "
                 "cores), the same network to the bit either way; the evaluation is "
                 "split in two (the cost equal to rounding)"},
    };
    cli_command cmd = {
        .name = CMD,
        .synopsis = "[OPTIONS]",
        .about = "Train a network on MNIST with mini-batch SGD, as network2.py's\n"
                 "Network(sizes, cost).SGD(...) does, printing one line per epoch.\n",
        .args = args,
        .n_args = sizeof args / sizeof args[0]};
    int status = cli_parse(&cmd, argc, argv);
    t->opts.layer1 = (gp_layer1)layer1;
    return status;
}

/* Figures of one evaluation; n == 0 when it was not asked for. */
typedef struct {
    gp_eval_result r;
    int done;
} figures;

/* --metrics: rows gathered in memory (a checkpoint carries them), written atomically at
 * the end. */
typedef struct {
    FILE *fp; /* open_memstream on buf, or NULL without --metrics */
    char *buf;
    size_t len;
    int jsonl;
    double part_secs; /* seconds of the epoch in progress spent before a stop, so that
                         its line and row count the whole epoch after --resume */
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

/* What the options allow only together, and outputs that cannot be written: refused
 * before any data is read or any epoch is run. */
static int check_args(train_args *t) {
    if (t->load && (t->sizes_set || t->cost_set || t->init_set || t->act_set))
        return cli_error(CMD,
                         "--%s cannot be combined with --load: the network file "
                         "fixes it",
                         t->sizes_set  ? "sizes"
                         : t->cost_set ? "cost"
                         : t->act_set  ? "activation"
                                       : "init");
    if (t->every_set && !t->checkpoint)
        return cli_error(CMD, "--checkpoint-every goes with --checkpoint");
    if (!t->load && t->act_set && t->sizes.n == 2)
        return cli_error(CMD, "--activation '%s': --sizes '%s' has no hidden layer",
                         t->activation, t->sizes.text);
    if (!t->load && cli_activations(CMD, t->activation, t->sizes.n - 2, t->acts))
        return 1;
    if (t->metrics && !cli_ends_with(t->metrics, ".csv") &&
        !cli_ends_with(t->metrics, ".jsonl"))
        return cli_error(CMD,
                         "invalid --metrics '%s': the name must end in .csv or .jsonl",
                         t->metrics);
    /* The prefetch thread takes one of the threads; the rest go to OpenBLAS. */
    t->opts.threads = t->threads >= 2 ? GP_TRAIN_AUTO : 1;
    if (cli_set_threads(t->threads >= 2 ? t->threads - 1 : 1))
        return cli_error(CMD,
                         "invalid --threads '%zu': this build's CBLAS is not "
                         "OpenBLAS and runs one thread (use 1 or 2)",
                         t->threads);
    const char *opts[3] = {"--save", "--metrics", "--checkpoint"},
               *paths[3] = {t->save, t->metrics, t->checkpoint};
    if (cli_distinct_outputs(CMD, 3, opts, paths))
        return 1;
    for (size_t i = 0; i < 3; i++)
        if (cli_spare_mnist(CMD, opts[i], paths[i], t->data))
            return 1;
    if (t->save && cli_probe_writable(CMD, "--save", t->save))
        return 1;
    if (t->metrics && cli_probe_writable(CMD, "--metrics", t->metrics))
        return 1;
    if (t->checkpoint && cli_probe_replaceable(CMD, "--checkpoint", t->checkpoint))
        return 1;
    return 0;
}

/* The inputs and the network of a run; with --resume, the checkpoint. */
typedef struct {
    gp_mnist *mnist;
    gp_network *net;
    gp_dataset train, eval;
    gp_eval_set *eval_set; /* eval, indexed once for the evaluation of every epoch */
    gp_checkpoint *ck;     /* --resume: its network moves to net */
    json_t *args;          /* the command line a checkpoint records (without --resume) */
    char **stored;         /* --resume: the checkpoint's command line (owned strings) */
    size_t n_stored;
    const char *rows; /* --resume: the metrics rows so far, in ck's meta */
    int stopped;      /* --resume: the run had stopped early */
    double part_secs; /* --resume: seconds of the cut epoch before the stop */
    size_t eval_n;    /* --resume: its evaluation set's size (0: not recorded) */
    json_t *meta;     /* --resume: the checkpoint's meta */
} train_run;

/* ---- checkpoints and --resume ---- */

/* An option a resume may not change, named if a (the checkpoint's run) and b (this
 * one) differ; NULL if none. --epochs, --threads, --save, --checkpoint,
 * --checkpoint-every and --metrics' name (not its format) may change. */
static const char *changed_option(const train_args *a, const train_args *b) {
    const gp_train_opts *p = &a->opts, *q = &b->opts;
    if (strcmp(a->data, b->data))
        return "data";
    if (a->n_validation != b->n_validation)
        return "validation";
    if (a->sizes.n != b->sizes.n ||
        memcmp(a->sizes.sizes, b->sizes.sizes, a->sizes.n * sizeof a->sizes.sizes[0]))
        return "sizes";
    if (a->cost != b->cost || a->init != b->init)
        return a->cost != b->cost ? "cost" : "init";
    if ((a->load == NULL) != (b->load == NULL) || (a->load && strcmp(a->load, b->load)))
        return "load";
    if (p->seed != q->seed || p->eta != q->eta || p->lambda != q->lambda)
        return p->seed != q->seed ? "seed" : p->eta != q->eta ? "eta" : "lambda";
    if (p->l1 != q->l1 || p->batch != q->batch)
        return p->l1 != q->l1 ? "l1" : "batch";
    if (p->early_stop != q->early_stop || p->schedule != q->schedule)
        return p->early_stop != q->early_stop ? "early-stop" : "schedule";
    if (a->eval != b->eval || a->mon_eval_cost != b->mon_eval_cost)
        return a->eval != b->eval ? "eval" : "monitor-eval-cost";
    if (a->mon_train_acc != b->mon_train_acc || a->mon_train_cost != b->mon_train_cost)
        return a->mon_train_acc != b->mon_train_acc ? "monitor-train-accuracy"
                                                    : "monitor-train-cost";
    if ((a->metrics == NULL) != (b->metrics == NULL) ||
        (a->metrics &&
         cli_ends_with(a->metrics, ".jsonl") != cli_ends_with(b->metrics, ".jsonl")))
        return "metrics";
    return NULL;
}

/* argv[1..argc-1] without --resume FILE / --resume=FILE, as the JSON list a checkpoint
 * records. */
static json_t *args_json(int argc, char **argv) {
    json_t *a = json_array();
    for (int i = 1; a && i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) {
            i++;
            continue;
        }
        if (!strncmp(argv[i], "--resume=", 9))
            continue;
        json_array_append_new(a, json_string(argv[i]));
    }
    return a;
}

/* The checkpoint's meta: its command line (copied into r->stored), the metrics rows,
 * whether it had stopped, the seconds of a cut epoch so far and the evaluation set's
 * size (checkpoints before it have none). */
static int read_meta(const train_args *t, train_run *r) {
    r->meta = r->ck->meta ? json_loads(r->ck->meta, 0, NULL) : NULL;
    const json_t *args = json_object_get(r->meta, "argv"),
                 *rows = json_object_get(r->meta, "metrics"),
                 *secs = json_object_get(r->meta, "epoch_seconds"),
                 *eval_n = json_object_get(r->meta, "eval_n");
    r->part_secs = json_is_number(secs) ? json_number_value(secs) : 0;
    if (secs && !(json_is_number(secs) && r->part_secs >= 0 && r->part_secs < 1e12))
        return cli_input_error(CMD,
                               "cannot load --resume '%s': its \"epoch_seconds\" is not "
                               "a number of seconds from 0 to 1e12",
                               t->resume);
    r->eval_n = json_is_integer(eval_n) && json_integer_value(eval_n) > 0
                    ? (size_t)json_integer_value(eval_n)
                    : 0;
    if (eval_n && !r->eval_n)
        return cli_input_error(CMD,
                               "cannot load --resume '%s': its \"eval_n\" is not a "
                               "positive integer",
                               t->resume);
    int ok = json_is_array(args) &&
             json_is_boolean(json_object_get(r->meta, "stopped")) &&
             (rows == NULL || json_is_string(rows));
    r->n_stored = ok ? json_array_size(args) : 0;
    r->stored = calloc(r->n_stored + 1, sizeof *r->stored);
    if (r->stored == NULL)
        return cli_error(CMD, "out of memory");
    for (size_t i = 0; ok && i < r->n_stored; i++) {
        const char *v = json_string_value(json_array_get(args, i));
        ok = v && (r->stored[i] = strdup(v));
    }
    if (!ok)
        return cli_input_error(CMD,
                               "cannot load --resume '%s': not a checkpoint of " CLI_NAME
                               " " CMD " (no command line in its \"meta\")",
                               t->resume);
    r->rows = json_string_value(rows);
    r->stopped = json_is_true(json_object_get(r->meta, "stopped"));
    return 0;
}

static int parse_args(train_args *t, int argc, char **argv);

/* --resume: the checkpoint's command line, then this one's (later options win), must
 * agree with the checkpoint's alone but for the options that may change. */
static int resume_args(train_args *t, int argc, char **argv, train_run *r) {
    char err[GP_IDX_ERRLEN];
    const char *resume = t->resume;
    train_args a;
    if (gp_checkpoint_load(resume, &r->ck, err, sizeof err))
        return cli_input_error(CMD, "cannot load --resume '%s': %s", resume, err);
    int st = read_meta(t, r);
    size_t n = r->n_stored;
    char **v = st ? NULL : calloc(n + (size_t)argc + 1, sizeof *v);
    if (!st && v == NULL)
        st = cli_error(CMD, "out of memory");
    if (!st) { /* getopt permutes: each parse gets its own list */
        v[0] = argv[0];
        memcpy(v + 1, r->stored, n * sizeof *v);
        cli_quiet_errors(1); /* one line: the file's fault, not this command line's */
        int parsed = parse_args(&a, (int)n + 1, v);
        cli_quiet_errors(0);
        if (parsed != CLI_RUN)
            st = cli_input_error(CMD,
                                 "cannot load --resume '%s': its command line "
                                 "does not parse",
                                 resume);
    }
    if (!st) {
        v[0] = argv[0];
        memcpy(v + 1, r->stored, n * sizeof *v);
        memcpy(v + 1 + n, argv + 1, (size_t)(argc - 1) * sizeof *v);
        if (parse_args(t, (int)n + argc, v) != CLI_RUN)
            st = 1;
    }
    const char *o = st ? NULL : changed_option(&a, t);
    if (o)
        st = cli_error(CMD,
                       "--%s differs from the run of --resume '%s': only --epochs, "
                       "--threads, --save, --metrics (same format), --checkpoint and "
                       "--checkpoint-every may change",
                       o, resume);
    if (!st && (r->args = args_json((int)n + argc, v)) == NULL)
        st = cli_error(CMD, "out of memory");
    free(v);
    return st;
}

static void free_resume(train_run *r) {
    for (size_t i = 0; r->stored && i < r->n_stored; i++)
        free(r->stored[i]);
    free(r->stored);
    json_decref(r->meta);
    json_decref(r->args);
    gp_checkpoint_free(r->ck);
}

/* The trainer's state, the command line, the metrics so far, whether the run has
 * stopped and, within an epoch, its seconds so far, to --checkpoint. */
static int write_checkpoint(const train_args *t, const train_run *r, gp_trainer *tr,
                            metrics_out *mo, int stopped) {
    char err[GP_IDX_ERRLEN];
    json_t *meta = json_pack("{s:O, s:b, s:I}", "argv", r->args, "stopped", stopped,
                             "eval_n", (json_int_t)r->eval.n);
    if (meta && mo->fp && !fflush(mo->fp))
        json_object_set_new(meta, "metrics", json_stringn(mo->buf, mo->len));
    if (meta && gp_trainer_batches_done(tr))
        json_object_set_new(meta, "epoch_seconds", json_real(mo->part_secs));
    char *text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    if (text == NULL)
        return cli_error(CMD, "out of memory");
    int st = gp_checkpoint_save(t->checkpoint, tr, text, err, sizeof err);
    free(text);
    if (st)
        return cli_error(CMD, "cannot write --checkpoint '%s': %s", t->checkpoint, err);
    return 0;
}

/* The network: loaded (--load) or drawn from seed 2S (--init). */
static int make_network(const train_args *t, train_run *r) {
    char err[GP_IDX_ERRLEN];
    if (r->ck) {
        r->net = r->ck->net;
        r->ck->net = NULL;
        return 0;
    }
    if (t->load) {
        if (gp_netio_load(t->load, &r->net, err, sizeof err))
            return cli_input_error(CMD, "cannot load --load '%s': %s", t->load, err);
        return 0;
    }
    r->net = gp_network_alloc(t->sizes.n, t->sizes.sizes, t->cost);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->net || !rng) {
        gsl_rng_free(rng);
        return cli_error(CMD, "out of memory");
    }
    for (size_t l = 1; l < r->net->p.L; l++)
        gp_network_set_activation(r->net, l, &t->acts[l - 1]);
    gsl_rng_set(rng, 2 * t->opts.seed);
    gp_network_init(r->net, t->init ? GP_INIT_LARGE : GP_INIT_DEFAULT, rng);
    gsl_rng_free(rng);
    return 0;
}

/* A --metrics row at most: 12 numbers of at most 24 characters (%zu, %.17g, %.10g,
 * %.6f of seconds below 1e17) and, in JSONL, under 300 characters of keys. */
#define METRICS_ROW_MAX 640

/* Before the first epoch: room for the largest --save, --checkpoint and --metrics
 * files (gp_netio_size_bound, gp_checkpoint_size_bound, METRICS_ROW_MAX a row), those
 * on one file system together. A checkpoint's meta holds the command line and, with
 * --metrics, the rows of every epoch as a JSON string, in which escaping may double
 * every character. */
static int check_space(const train_args *t, const train_run *r, size_t n_layers,
                       const size_t *sizes) {
    const char *opts[3] = {"--save", "--metrics", "--checkpoint"},
               *paths[3] = {t->save, t->metrics, t->checkpoint};
    size_t rows =
        (r->rows ? strlen(r->rows) : METRICS_ROW_MAX) + t->epochs * METRICS_ROW_MAX;
    size_t bytes[3] = {gp_netio_size_bound(n_layers, sizes), rows, 0}, n = 0;
    if (t->checkpoint) {
        char *args = json_dumps(r->args, JSON_COMPACT);
        if (args == NULL)
            return cli_error(CMD, "out of memory");
        /* 160: the keys, "stopped", "eval_n" and "epoch_seconds" (a %.17g number) */
        size_t meta = 160 + 2 * strlen(args) + (t->metrics ? 2 * rows : 0);
        free(args);
        bytes[2] = gp_checkpoint_size_bound(n_layers, sizes, r->train.n, meta);
    }
    for (size_t i = 0; i < 3; i++) /* the outputs asked for, in order */
        if (paths[i] != NULL) {
            opts[n] = opts[i];
            paths[n] = paths[i];
            bytes[n++] = bytes[i];
        }
    return cli_check_space(CMD, n, opts, paths, bytes);
}

static int loaded_cost_check(const train_args *t, const train_run *r);

/* The data, then the network: a loaded one first (its sizes are checked against the
 * data), a new one last, once its sizes fit the data and its outputs the disk. */
static int setup(const train_args *t, train_run *r) {
    int st = r->ck || t->load ? make_network(t, r) : 0;
    if (st)
        return st;
    if ((st = cli_load_mnist(CMD, t->data, t->n_validation, 0, &r->mnist)))
        return st;
    r->train = cli_dataset(&r->mnist->training);
    r->eval = cli_dataset(t->eval ? &r->mnist->validation : &r->mnist->test);
    if ((r->eval_set = gp_eval_set_alloc(&r->eval)) == NULL)
        return cli_error(CMD, "out of memory");
    size_t n_layers = r->net ? r->net->p.L + 1 : t->sizes.n;
    const size_t *sizes = r->net ? r->net->p.sizes : t->sizes.sizes;
    const char *what = r->ck     ? "network of --resume"
                       : t->load ? "network of --load"
                                 : "--sizes";
    if ((st = cli_fits_mnist(CMD, what,
                             r->ck     ? t->resume
                             : t->load ? t->load
                                       : t->sizes.text,
                             sizes[0], sizes[n_layers - 1], r->train.dim)))
        return st;
    /* W <- (1 - eta lambda/n) W - ... [93]: the decay factor must stay positive
     * (the library's one check of a step's parameters). */
    gp_sgd_params sp = {t->opts.eta, t->opts.lambda, t->opts.l1, r->train.n};
    if (gp_sgd_params_check(&sp, 1) != GSL_SUCCESS)
        return cli_error(CMD,
                         "--eta %g with --lambda %g: the weight decay factor 1 - eta "
                         "lambda/n (n = %zu) must stay positive",
                         t->opts.eta, t->opts.lambda, r->train.n);
    if ((st = check_space(t, r, n_layers, sizes)))
        return st;
    if (!r->net && (st = make_network(t, r)))
        return st;
    /* (a checkpoint's network never diverged: none is written after a divergence) */
    return t->load && !r->ck ? loaded_cost_check(t, r) : 0;
}

/* Evaluate after an epoch: the evaluation set always (its accuracy drives stopping),
 * the training set when monitored; costs when printed or written, and the evaluation
 * set's whenever need_cost. */
static int evaluate_epoch(const train_args *t, const train_run *r, int need_cost,
                          figures *ev, figures *tr, double *eval_secs) {
    gp_regularization reg = {t->opts.lambda, t->opts.l1, 0};
    /* --threads, not opts.threads: --threads 2 sets that to GP_TRAIN_AUTO (0) */
    unsigned par = t->threads >= 2 ? GP_EVAL_PARALLEL : 0;
    unsigned eval_cost = need_cost || t->metrics || t->mon_eval_cost ? GP_EVAL_COST : 0;
    unsigned train_cost = t->metrics || t->mon_train_cost ? GP_EVAL_COST : 0;
    double t0 = cli_now();
    int st = gp_evaluate_set(r->net, r->eval_set, &reg, 0, eval_cost | par, NULL, &ev->r);
    *eval_secs = cli_now() - t0;
    ev->done = 1;
    if (!st && (t->mon_train_acc || t->mon_train_cost)) {
        st = gp_evaluate(r->net, &r->train, &reg, 0, train_cost | par, NULL, &tr->r);
        tr->done = 1;
    }
    return st;
}

/* A --load network whose cost is not finite before any step (its values overflow
 * float64) is an unusable input, as evaluate finds it (exit 2); it would stop epoch 1
 * as "training diverged ... try a smaller --eta". The evaluation set's cost is always
 * computed (one pass, a few milliseconds on MNIST), the training set's when monitored. */
static int loaded_cost_check(const train_args *t, const train_run *r) {
    figures ev = {{0, 0, 0}, 0}, tr = {{0, 0, 0}, 0};
    double secs;
    int st = evaluate_epoch(t, r, 1, &ev, &tr, &secs);
    if (st)
        return cli_error(CMD, "evaluation of --load '%s' failed: %s", t->load,
                         gsl_strerror(st));
    if (!isfinite(ev.r.cost))
        return cli_cost_overflow(t->load, eval_names[t->eval]);
    if (tr.done && (t->metrics || t->mon_train_cost) && !isfinite(tr.r.cost))
        return cli_cost_overflow(t->load, "training");
    return 0;
}

static void print_epoch(const train_args *t, size_t e, double eta, double secs,
                        const figures *ev, const figures *tr) {
    printf("epoch %zu/%zu", e, t->epochs);
    if (t->opts.schedule)
        printf("  eta %g", eta);
    pct_line(eval_names[t->eval], ev, 1, t->mon_eval_cost);
    pct_line("training", tr, t->mon_train_acc, t->mon_train_cost);
    printf("  %.2f s\n", secs);
    fflush(stdout);
}

/* Divergence (issue 14): one line naming where and what to try; nothing non-finite is
 * printed or written to --metrics, and no --save is written. */
static int diverged(const train_args *t, size_t e, size_t batch, size_t nb, double eta,
                    const char *what) {
    char where[64] = "";
    if (batch)
        snprintf(where, sizeof where, ", batch %zu/%zu", batch, nb);
    fprintf(stderr,
            CLI_NAME ": " CMD ": training diverged at epoch %zu%s: %s with --eta %g; try "
                     "a smaller --eta (e.g. %g)%s\n",
            e, where, what, eta, eta / 10, t->opts.lambda > 0 ? " or --lambda" : "");
    return CLI_EXIT_DIVERGED;
}

/* One epoch, its evaluation, its line and its metrics row; *stop when the trainer says
 * so. */
static int one_epoch(const train_args *t, const train_run *r, gp_trainer *tr,
                     metrics_out *mo, size_t e, int *stop) {
    figures ev = {{0, 0, 0}, 0}, trf = {{0, 0, 0}, 0};
    double eta = gp_trainer_eta(tr), t0 = cli_now(), eval_secs;
    int st = gp_trainer_epoch(tr);
    double secs = mo->part_secs + (cli_now() - t0);
    size_t nb = (r->train.n + t->opts.batch - 1) / t->opts.batch;
    mo->part_secs = st == GSL_CONTINUE ? secs : 0; /* a stop: the checkpoint keeps it */
    if (st == GSL_ERANGE)
        return diverged(t, e, gp_trainer_diverged_batch(tr), nb, eta,
                        "the weights became NaN or infinite");
    if (st == GSL_CONTINUE) /* stopped by a signal (catch_stop) */
        return st;
    if (st)
        return cli_error(CMD, "epoch %zu failed: %s", e, gsl_strerror(st));
    if ((st = evaluate_epoch(t, r, 0, &ev, &trf, &eval_secs)))
        return cli_error(CMD, "evaluation after epoch %zu failed: %s", e,
                         gsl_strerror(st));
    if (!isfinite(ev.r.cost) && (t->metrics || t->mon_eval_cost))
        return diverged(t, e, 0, nb, eta, "the evaluation cost is not finite");
    if (trf.done && !isfinite(trf.r.cost) && (t->metrics || t->mon_train_cost))
        return diverged(t, e, 0, nb, eta, "the training cost is not finite");
    print_epoch(t, e, eta, secs, &ev, &trf);
    metrics_row(mo, e, eta, secs, eval_secs, &ev, &trf);
    if ((st = gp_trainer_observe(tr, (double)ev.r.correct, stop)))
        return cli_error(CMD, "epoch %zu: its accuracy cannot be observed: %s", e,
                         gsl_strerror(st));
    return 0;
}

/* --checkpoint: SIGINT and SIGTERM stop training at the next mini-batch boundary
 * (gp_trainer_set_stop) rather than kill it; the handler then hands the signal back to
 * cli_install_cleanup's handler, so that a second one ends the run at once. */
static volatile sig_atomic_t stop_signal;
static struct sigaction cleanup_action[2]; /* SIGINT's, SIGTERM's */

static void on_stop(int sig) {
    stop_signal = sig;
    sigaction(sig, &cleanup_action[sig == SIGTERM], NULL); /* async-signal-safe */
}

static int catch_stop(gp_trainer *tr) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (gp_trainer_set_stop(tr, &stop_signal))
        return cli_error(CMD, "out of memory");
    sigaction(SIGINT, &sa, &cleanup_action[0]);
    sigaction(SIGTERM, &sa, &cleanup_action[1]);
    return 0;
}

/* After SIGINT or SIGTERM: the state to --checkpoint (unless just written), one line
 * saying how to continue, and 128 + the signal's number. The trainer stopped at a
 * mini-batch boundary (gp_trainer_set_stop): the state is after the last whole epoch,
 * or after batch k of the cut one, which the resume continues from batch k + 1. */
static int interrupted(const train_args *t, const train_run *r, gp_trainer *tr,
                       metrics_out *mo, int written) {
    int st = written ? 0 : write_checkpoint(t, r, tr, mo, 0);
    size_t e = gp_trainer_epochs(tr), k = gp_trainer_batches_done(tr);
    size_t nb = (r->train.n + t->opts.batch - 1) / t->opts.batch;
    if (st)
        return st;
    fprintf(stderr, CLI_NAME ": " CMD ": stopped by signal %d ", (int)stop_signal);
    if (k)
        fprintf(
            stderr,
            "during epoch %zu of %zu; '%s' holds the state after mini-batch %zu of %zu "
            "of epoch %zu",
            e + 1, t->epochs, t->checkpoint, k, nb, e + 1);
    else
        fprintf(stderr, "after epoch %zu of %zu; '%s' holds the state after epoch %zu", e,
                t->epochs, t->checkpoint, e);
    fprintf(stderr, ": continue with --resume %s\n", t->checkpoint);
    return CLI_EXIT_SIGNAL + stop_signal;
}

/* The epochs, until --epochs or a stop of the trainer (early stopping, schedule), from
 * the checkpoint's epoch on a resume; a checkpoint every --checkpoint-every epochs and
 * after the last, and on SIGINT or SIGTERM (catch_stop). */
static int run_epochs(const train_args *t, const train_run *r, gp_trainer *tr,
                      metrics_out *mo) {
    int stopped = r->stopped, written = 0;
    for (size_t e = gp_trainer_epochs(tr) + 1; e <= t->epochs && !stopped; e++) {
        if (stop_signal)
            return interrupted(t, r, tr, mo, written);
        int stop, st = one_epoch(t, r, tr, mo, e, &stop);
        if (st == GSL_CONTINUE) /* the last checkpoint holds it if no batch ran */
            return interrupted(t, r, tr, mo, written && !gp_trainer_batches_done(tr));
        if (st)
            return st;
        if (stop && e < t->epochs) {
            size_t best_epoch;
            gp_trainer_best(tr, &best_epoch);
            printf("stopping after epoch %zu: %s (best at epoch %zu)\n", e,
                   t->opts.schedule && gp_trainer_eta(tr) <= t->opts.eta / 128
                       ? "eta has dropped to eta/128"
                       : "no improvement",
                   best_epoch);
            stopped = 1;
        }
        written =
            t->checkpoint && (e % t->checkpoint_every == 0 || stopped || e == t->epochs);
        if (written && (st = write_checkpoint(t, r, tr, mo, stopped)))
            return st;
    }
    if (stop_signal)
        return interrupted(t, r, tr, mo, written);
    size_t best_epoch;
    double best = gp_trainer_best(tr, &best_epoch);
    printf("best %s accuracy %.0f/%zu (%.2f%%) at epoch %zu\n", eval_names[t->eval], best,
           r->eval.n, 100.0 * best / (double)r->eval.n, best_epoch);
    return 0;
}

/* The trainer, continuing the checkpoint's state on a resume. */
static gp_trainer *make_trainer(const train_args *t, const train_run *r, int *st) {
    gp_train_opts topts = t->opts;
    topts.seed = 2 * t->opts.seed + 1;
    gp_trainer *tr = gp_trainer_alloc(r->net, &r->train, &topts);
    *st = tr ? 0 : cli_error(CMD, "out of memory"); /* the options were checked above */
    if (!tr || !r->ck)
        return tr;
    const gp_trainer_state *s = &r->ck->state;
    if (gp_trainer_set_state(tr, s))
        *st = cli_input_error(CMD,
                              "cannot continue --resume '%s': its state does not fit "
                              "this run (%zu training images, options of the run)",
                              t->resume, r->train.n);
    else if (r->eval_n && r->eval_n != r->eval.n) /* its best counts images of that set */
        *st = cli_input_error(CMD,
                              "cannot continue --resume '%s': its %s set had %zu %s, "
                              "this run's has %zu",
                              t->resume, eval_names[t->eval], r->eval_n,
                              cli_plural(r->eval_n, "image", "images"), r->eval.n);
    else if (s->best_epoch && !(s->best >= 0 && s->best <= (double)r->eval.n &&
                                s->best == floor(s->best))) /* a count of those images */
        *st =
            cli_input_error(CMD,
                            "cannot continue --resume '%s': its best accuracy %g is not "
                            "a count of the %zu %s images",
                            t->resume, s->best, r->eval.n, eval_names[t->eval]);
    else if (t->epochs < s->epochs + (s->batches_done > 0)) /* it cannot go back */
        *st = cli_error(CMD, "--epochs %zu: the run of --resume '%s' has done %zu %s%s",
                        t->epochs, t->resume, s->epochs,
                        cli_plural(s->epochs, "epoch", "epochs"),
                        s->batches_done ? " and part of the next" : "");
    if (*st) {
        gp_trainer_free(tr);
        tr = NULL;
    }
    return tr;
}

/* --metrics: the rows, after the header or the checkpoint's rows, to memory. */
static int metrics_start(const train_args *t, const train_run *r, metrics_out *mo) {
    if (t->metrics == NULL)
        return 0;
    mo->jsonl = cli_ends_with(t->metrics, ".jsonl");
    if ((mo->fp = open_memstream(&mo->buf, &mo->len)) == NULL)
        return cli_error(CMD, "out of memory");
    if (r->rows)
        fputs(r->rows, mo->fp);
    else
        metrics_header(mo);
    return 0;
}

static int metrics_write(const train_args *t, metrics_out *mo) {
    cli_file mf;
    if (fflush(mo->fp))
        return cli_error(CMD, "out of memory");
    int st = cli_file_open(CMD, "--metrics", t->metrics, &mf);
    if (!st && fwrite(mo->buf, 1, mo->len, mf.fp) != mo->len)
        st = cli_error(CMD, "cannot write --metrics '%s'", t->metrics);
    if (!st)
        st = cli_file_commit(CMD, "--metrics", &mf);
    cli_file_abort(&mf);
    return st;
}

/* Train, then write --save and --metrics. */
static int train(const train_args *t, const train_run *r) {
    int st;
    gp_trainer *tr = make_trainer(t, r, &st);
    if (!tr)
        return st;
    metrics_out mo = {NULL, NULL, 0, 0, r->part_secs};
    st = t->checkpoint ? catch_stop(tr) : 0;
    if (!st)
        st = metrics_start(t, r, &mo);
    if (!st)
        st = run_epochs(t, r, tr, &mo);
    char err[GP_IDX_ERRLEN];
    if (!st && t->save && gp_netio_save(r->net, t->save, err, sizeof err))
        st = cli_error(CMD, "cannot write --save '%s': %s", t->save, err);
    if (!st && t->metrics)
        st = metrics_write(t, &mo);
    if (mo.fp)
        fclose(mo.fp);
    free(mo.buf);
    gp_trainer_free(tr);
    return st;
}

static void free_run(train_run *r) {
    gp_network_free(r->net);
    gp_eval_set_free(r->eval_set);
    gp_mnist_free(r->mnist);
    free_resume(r);
}

int cmd_train_check(int argc, char **argv, const char **data) {
    train_args t;
    train_run r;
    memset(&r, 0, sizeof r);
    int st = parse_args(&t, argc, argv);
    if (st != CLI_RUN)
        return st;
    *data = t.data;
    if (!(st = check_args(&t)))
        st = setup(&t, &r);
    free_run(&r);
    return st;
}

int cmd_train(int argc, char **argv) {
    train_args t;
    train_run r;
    memset(&r, 0, sizeof r);
    int st = parse_args(&t, argc, argv);
    if (st != CLI_RUN)
        return st;
    st = 0;
    if (t.resume)
        st = resume_args(&t, argc, argv, &r);
    else if ((r.args = args_json(argc, argv)) == NULL)
        st = cli_error(CMD, "out of memory");
    if (!st)
        st = check_args(&t);
    if (!st)
        st = setup(&t, &r);
    if (!st)
        st = train(&t, &r);
    free_run(&r);
    return st;
}
