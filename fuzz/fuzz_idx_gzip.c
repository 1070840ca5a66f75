/* fuzz/fuzz_idx_gzip.c: the gzip path of the IDX readers. The input is the decompressed
 * content; it is read once raw and once gzip-compressed, and both forms must get the
 * same verdict (idx.h: "raw or gzip-compressed") and the same pixels. */
#include "fuzzutil.h"

#include <zlib.h>

#include <gradproof/idx.h>

/* data as one gzip member (windowBits 16 + 15); NULL without memory. */
static uint8_t *gzip(const uint8_t *data, size_t size, size_t *outlen) {
    z_stream zs;
    uint8_t *out;
    size_t cap;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    cap = deflateBound(&zs, size) + 32;
    out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (out == NULL || deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        free(out);
        out = NULL;
    }
    *outlen = zs.total_out;
    deflateEnd(&zs);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char eb[GP_IDX_ERRLEN];
    gp_idx_images *raw = NULL, *gz = NULL;
    size_t zlen, n;
    uint8_t *z;
    int s_raw, s_gz;
    if (size < 2 || (data[0] == 0x1f && data[1] == 0x8b))
        return 0; /* the raw read would itself take it for gzip */
    z = gzip(data, size, &zlen);
    FUZZ_CHECK(z != NULL, "gzip failed");
    s_raw = gp_idx_read_images(fuzz_file(0, data, size), &raw, eb, sizeof eb);
    s_gz = gp_idx_read_images(fuzz_file(1, z, zlen), &gz, eb, sizeof eb);
    free(z);
    FUZZ_CHECK(s_raw == s_gz, "raw and gzip forms get different statuses");
    if (raw != NULL) {
        n = raw->n * raw->rows * raw->cols;
        FUZZ_CHECK(gz->n == raw->n && gz->rows == raw->rows && gz->cols == raw->cols &&
                       memcmp(gz->pixels, raw->pixels, n) == 0,
                   "raw and gzip forms read differently");
    }
    gp_idx_images_free(raw);
    gp_idx_images_free(gz);
    return 0;
}
