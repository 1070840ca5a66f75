/* fuzz/fuzz_idx_images.c: gp_idx_read_images on any bytes (raw or gzip: zlib detects). */
#include "fuzzutil.h"

#include <gradproof/idx.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[GP_IDX_ERRLEN];
    gp_idx_images *im = NULL;
    int status = gp_idx_read_images(fuzz_file(0, data, size), &im, eb, sizeof eb);
    FUZZ_CHECK((status == GSL_SUCCESS) == (im != NULL), "status and result disagree");
    /* idx.h: exactly n*rows*cols pixel bytes after the 16-byte header (raw form). */
    if (im != NULL && size >= 2 && !(data[0] == 0x1f && data[1] == 0x8b))
        FUZZ_CHECK(size == 16 + im->n * im->rows * im->cols, "size not as declared");
    gp_idx_images_free(im);
    return 0;
}
