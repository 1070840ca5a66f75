/* fuzz/fuzz_idx_images.c: gp_idx_read_images on any bytes (raw or gzip: zlib detects). */
#include "fuzzutil.h"

#include <gradproof/idx.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gp_idx_images *im = NULL;
    FUZZ_READ(gp_idx_read_images, data, size, im);
    /* idx.h: exactly n*rows*cols pixel bytes after the 16-byte header (raw form). */
    if (im != NULL && size >= 2 && !(data[0] == 0x1f && data[1] == 0x8b))
        FUZZ_CHECK(size == 16 + im->n * im->rows * im->cols, "size not as declared");
    gp_idx_images_free(im);
    return 0;
}
