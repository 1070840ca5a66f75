/* fuzz/fuzz_options.c: the CLI's one option table parser (cli/options.c) on any command
 * line: the input's NUL-separated pieces are the arguments of a command taking an option
 * of every kind. When cli_parse accepts, every value is in its option's range. Its
 * messages (stderr) and --help (stdout) go to /dev/null around each parse by swapping
 * the stdio streams, not the file descriptors: a sanitizer's report is written to fd 2
 * and must stay visible (muting fd 2 hid UBSan's report of --man-options reading a
 * NULL .arg: the silent finding of CI run 3). The local options leave out .arg, as
 * options.h allows. */
#define FUZZ_SETUP setup /* run once by fuzzutil.h's LLVMFuzzerInitialize */
#include "fuzzutil.h"

#include <math.h>

#include "../cli/cli.h"

static const char *const words[] = {"one", "two", "three", NULL};
static const cli_option opt_flag = {.name = "flag", .kind = CLI_FLAG, .help = "a flag"};
static const cli_option opt_word = {
    .name = "word", .kind = CLI_CHOICE, .choices = words, .def = "two", .help = "a word"};
static const cli_option opt_rate = {.name = "rate",
                                    .kind = CLI_REAL,
                                    .lo = 0,
                                    .hi = 10,
                                    .lo_open = 1,
                                    .def = "0.5",
                                    .help = "a rate in (0, 10]"};
static FILE *quiet, *loud[2];

static void setup(void) {
    quiet = fopen("/dev/null", "w");
    FUZZ_CHECK(quiet != NULL, "cannot open /dev/null");
    loud[0] = stdout;
    loud[1] = stderr;
}

/* glibc's stdout and stderr are variables a program may set (glibc manual, "Standard
 * Streams"). */
static void mute(FILE *out, FILE *err) {
    fflush(stdout);
    fflush(stderr);
    stdout = out;
    stderr = err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char prog[] = "fuzz";
    char *copy = malloc(size + 1), *argv[34] = {prog};
    int argc = 1;
    FUZZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (size_t i = 0; i <= size && argc < 33; i += strlen(copy + i) + 1)
        argv[argc++] = copy + i;
    argv[argc] = NULL;
    cli_layers sizes;
    size_t epochs = 0, n = 0;
    unsigned long seed = 0;
    double lambda = 0, rate = 0;
    const gp_cost_type *cost = NULL;
    const char *act = NULL;
    int flag = 0, word = 0, prec = 0, cost_seen = 0;
    const cli_arg args[] = {{.opt = &cli_opt_sizes, .dest = &sizes, .def = "784,30,10"},
                            {.opt = &cli_opt_epochs, .dest = &epochs},
                            {.opt = &cli_opt_n, .dest = &n},
                            {.opt = &cli_opt_seed, .dest = &seed},
                            {.opt = &cli_opt_lambda, .dest = &lambda},
                            {.opt = &opt_rate, .dest = &rate},
                            {.opt = &cli_opt_cost, .dest = &cost, .seen = &cost_seen},
                            {.opt = &cli_opt_activation, .dest = &act},
                            {.opt = &opt_flag, .dest = &flag},
                            {.opt = &opt_word, .dest = &word},
                            {.opt = &cli_opt_precision, .dest = &prec}};
    cli_command cmd = {.name = "fuzz",
                       .synopsis = "[OPTIONS] [FILE]",
                       .about = "fuzz",
                       .args = args,
                       .n_args = sizeof args / sizeof args[0],
                       .max_operands = 1};
    mute(quiet, quiet);
    int st = cli_parse(&cmd, argc, argv);
    mute(loud[0], loud[1]);
    if (st == CLI_RUN) {
        FUZZ_CHECK(epochs >= cli_opt_epochs.lo && epochs <= cli_opt_epochs.hi,
                   "--epochs out of range");
        FUZZ_CHECK(seed >= cli_opt_seed.lo && seed <= cli_opt_seed.hi,
                   "--seed out of range");
        FUZZ_CHECK(isfinite(lambda) && lambda >= cli_opt_lambda.lo &&
                       lambda <= cli_opt_lambda.hi,
                   "--lambda out of range");
        FUZZ_CHECK(rate > 0 && rate <= 10, "--rate out of range");
        FUZZ_CHECK(!cost_seen || cost != NULL, "--cost accepted without a cost");
        FUZZ_CHECK(word >= 0 && word < 3, "--word out of range");
        FUZZ_CHECK(sizes.n >= 2 && sizes.n <= GP_MAX_LAYERS, "--sizes: bad layer count");
        for (size_t l = 0; l < sizes.n; l++)
            FUZZ_CHECK(sizes.sizes[l] > 0, "--sizes: a zero layer");
        FUZZ_CHECK(cmd.n_operands <= 1, "too many operands");
    } else
        FUZZ_CHECK(st == 0 || st == 1, "cli_parse: a status other than 0, 1, CLI_RUN");
    free(copy);
    return 0;
}
