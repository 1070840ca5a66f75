/* fuzz/fuzz_npy_pipe.c: gp_npy_read from a pipe, where the reader cannot compare the
 * header's shape with a file size. The input is written into a pipe whose write end is
 * then closed; inputs larger than the pipe's buffer are skipped. */
#include "fuzzutil.h"

#include <fcntl.h>

#include <gradproof/npy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[512], path[64];
    gsl_matrix *m = NULL;
    int p[2], status, cap;
    FUZZ_CHECK(pipe(p) == 0, "pipe failed");
    cap = fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    if (cap < 0)
        cap = fcntl(p[1], F_GETPIPE_SZ);
    if (cap > 0 && size <= (size_t)cap) {
        FUZZ_CHECK(size == 0 || write(p[1], data, size) == (ssize_t)size, "write failed");
        close(p[1]);
        p[1] = -1;
        snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
        status = gp_npy_read(path, 0, &m, NULL, eb, sizeof eb);
        FUZZ_CHECK_RESULT(status, m);
        gsl_matrix_free(m);
    }
    if (p[1] >= 0)
        close(p[1]);
    close(p[0]);
    return 0;
}
