/* fuzz/fuzz_dump.c: the dump readers on any bytes (a JSON dump file): gp_dump_read as an
 * oracle dump and as a candidate for the oracle's dump of a fixed [2,3,1] network, and
 * gp_dump_read_inputs. A dump that reads has every tensor of its L layers with m
 * columns, and a failed read leaves nothing behind. */
#define FUZZ_SETUP setup /* run once by fuzzutil.h's LLVMFuzzerInitialize */
#include "fuzzutil.h"

#include <gradproof/dump.h>

static gp_dump like;

static void setup(void) {
    size_t sizes[] = {2, 3, 1};
    gp_network *net = gp_network_alloc(3, sizes, &gp_cost_cross_entropy);
    gsl_matrix *X = gsl_matrix_calloc(2, 2), *Y = gsl_matrix_calloc(1, 2);
    FUZZ_CHECK(net && X && Y && gp_dump_compute(net, X, Y, NULL, &like) == GSL_SUCCESS,
               "cannot compute the candidates' model dump");
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
}

static void check_read(int status, const gp_dump *d) {
    for (size_t k = 0; k < GP_DUMP_MAX_TENSORS; k++)
        FUZZ_CHECK(status == GSL_SUCCESS || d->t[k] == NULL,
                   "a failed dump read left a tensor");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[512];
    gp_dump d;
    gp_network *net = NULL;
    gsl_matrix *X = NULL, *Y = NULL;
    gp_regularization reg;
    const char *path = fuzz_file(0, data, size);
    memset(&d, 0, sizeof d);
    int status = gp_dump_read(path, NULL, &d, eb, sizeof eb);
    check_read(status, &d);
    gp_dump_free(&d);
    memset(&d, 0, sizeof d);
    status = gp_dump_read(path, &like, &d, eb, sizeof eb);
    check_read(status, &d);
    gp_dump_free(&d);
    status = gp_dump_read_inputs(path, &net, &X, &Y, &reg, eb, sizeof eb);
    FUZZ_CHECK((status == GSL_SUCCESS) == (net != NULL && X != NULL && Y != NULL),
               "gp_dump_read_inputs: status and results disagree");
    if (status == GSL_SUCCESS) {
        FUZZ_CHECK(X->size1 == net->p.sizes[0] && Y->size1 == net->p.sizes[net->p.L] &&
                       X->size2 == Y->size2,
                   "inputs that do not fit their network");
    }
    gp_network_free(net);
    gsl_matrix_free(X);
    gsl_matrix_free(Y);
    return 0;
}
