/* fuzz/fuzz_mnist.c: gp_mnist_load on a directory of four fuzzed files. The input is
 * the four files (train images, train labels, t10k images, t10k labels) joined by the
 * separator "GPSPLIT"; missing parts are empty files. n_validation is 1. */
#include "fuzzutil.h"

#include <gradproof/idx.h>

static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

static void put(const char *name, const uint8_t *data, size_t size) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "cannot create a file");
    FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write a file");
}

static void cleanup(void) {
    char path[512];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir(), names[i]);
        unlink(path);
    }
    rmdir(fuzz_dir());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int registered;
    static const char sep[] = "GPSPLIT";
    char eb[GP_IDX_ERRLEN];
    gp_mnist *m = NULL;
    const uint8_t *p = data, *end = data + size, *q;
    int i, status;
    if (!registered)
        registered = atexit(cleanup) == 0;
    for (i = 0; i < 4; i++) {
        q = p < end ? memmem(p, (size_t)(end - p), sep, sizeof sep - 1) : NULL;
        if (q == NULL)
            q = end;
        put(names[i], p, (size_t)(q - p));
        p = q < end ? q + sizeof sep - 1 : end;
    }
    status = gp_mnist_load(fuzz_dir(), 1, &m, eb, sizeof eb);
    FUZZ_CHECK_RESULT(status, m);
    if (m != NULL)
        FUZZ_CHECK(m->training.n + m->validation.n == m->train_images->n &&
                       m->validation.n == 1 && m->test.n == m->test_labels->n &&
                       m->train_labels->n == m->train_images->n,
                   "inconsistent split");
    gp_mnist_free(m);
    return 0;
}
