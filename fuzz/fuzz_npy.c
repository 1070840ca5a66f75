/* fuzz/fuzz_npy.c: the .npy readers on any bytes in a regular file. */
#include "fuzzutil.h"

#include <gsl/gsl_math.h>

#include <gradproof/npy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[512];
    const char *path = fuzz_file(0, data, size);
    gsl_matrix *m = NULL;
    gsl_vector *v = NULL;
    size_t ndim = 99;
    double x;
    int status = gp_npy_read(path, 0, &m, &ndim, eb, sizeof eb);
    FUZZ_CHECK_RESULT(status, m);
    FUZZ_CHECK(m == NULL || ndim <= 2, "ndim above 2");
    gsl_matrix_free(m);
    status = gp_npy_read_vector(path, GP_NPY_FINITE, &v, eb, sizeof eb);
    FUZZ_CHECK_RESULT(status, v);
    for (size_t i = 0; v != NULL && i < v->size; i++)
        FUZZ_CHECK(gsl_finite(gsl_vector_get(v, i)), "GP_NPY_FINITE let a non-finite in");
    gsl_vector_free(v);
    (void)gp_npy_read_scalar(path, 0, &x, eb, sizeof eb);
    return 0;
}
