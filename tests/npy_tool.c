/* tests/npy_tool.c: a small driver for tests/npy-numpy.sh.
 *   npy_tool write-matrix|write-vector|write-scalar FILE   write known values
 *   npy_tool print FILE                                     "ndim rows cols" then values
 * Values are printed with %.17g, one per line, in row-major order. Exit 1 on error, with
 * the library's message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <gradproof/npy.h>

/* The test's reference values; npy-numpy.sh computes the same ones in Python. */
static double value(size_t i, size_t j, size_t cols) {
    return ((double)(i * cols + j) + 0.5) / 7.0 - 1.0;
}

int main(int argc, char **argv) {
    char eb[512];
    int status = GSL_SUCCESS;
    size_t i, j;
    gsl_set_error_handler_off();
    if (argc != 3) {
        fprintf(stderr,
                "usage: npy_tool write-matrix|write-vector|write-scalar|print FILE\n");
        return 2;
    }
    if (strcmp(argv[1], "write-matrix") == 0) {
        gsl_matrix *m = gsl_matrix_alloc(3, 4);
        for (i = 0; i < 3; i++)
            for (j = 0; j < 4; j++)
                gsl_matrix_set(m, i, j, value(i, j, 4));
        status = gp_npy_write_matrix(argv[2], m, eb, sizeof eb);
        gsl_matrix_free(m);
    } else if (strcmp(argv[1], "write-vector") == 0) {
        gsl_vector *v = gsl_vector_alloc(5);
        for (i = 0; i < 5; i++)
            gsl_vector_set(v, i, value(i, 0, 1));
        status = gp_npy_write_vector(argv[2], v, eb, sizeof eb);
        gsl_vector_free(v);
    } else if (strcmp(argv[1], "write-scalar") == 0) {
        status = gp_npy_write_scalar(argv[2], value(0, 0, 1), eb, sizeof eb);
    } else if (strcmp(argv[1], "print") == 0) {
        gsl_matrix *m;
        size_t ndim;
        status = gp_npy_read(argv[2], 0, &m, &ndim, eb, sizeof eb);
        if (status == GSL_SUCCESS) {
            printf("%zu %zu %zu\n", ndim, m->size1, m->size2);
            for (i = 0; i < m->size1; i++)
                for (j = 0; j < m->size2; j++)
                    printf("%.17g\n", gsl_matrix_get(m, i, j));
            gsl_matrix_free(m);
        }
    } else {
        fprintf(stderr, "npy_tool: unknown command '%s'\n", argv[1]);
        return 2;
    }
    if (status != GSL_SUCCESS) {
        fprintf(stderr, "npy_tool: %s\n", eb);
        return 1;
    }
    return 0;
}
