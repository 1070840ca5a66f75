/* tests/check_idx.c: IDX reader and MNIST loader, on small files written here. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_errno.h>
#include <zlib.h>

#include <gradproof/idx.h>

#include "testutil.h"

static char eb[GP_IDX_ERRLEN];

static void setup(void) {
    gsl_set_error_handler_off();
    tu_tmpdir_make("check_idx");
    eb[0] = '\0';
}

static void teardown(void) {
    tu_tmpdir_remove();
}

static size_t put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

/* Write len bytes to tu_tmpdir()/name, raw or gzip-compressed. */
static void write_file(const char *name, const uint8_t *buf, size_t len, int gz) {
    if (gz) {
        gzFile f = gzopen(tu_tmpdir_path(name), "wb");
        ck_assert_ptr_nonnull(f);
        if (len > 0)
            ck_assert_int_eq(gzwrite(f, buf, (unsigned)len), (int)len);
        ck_assert_int_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(tu_tmpdir_path(name), "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
    }
}

/* An idx3 file of n images rows x cols with pixel (i,k) = (7*i + k) % 256, with
 * `drop` bytes cut from the end or `extra` bytes appended. */
static void write_images(const char *name, uint32_t magic, uint32_t n, uint32_t rows,
                         uint32_t cols, size_t drop, size_t extra, int gz) {
    size_t npix = (size_t)n * rows * cols, len = 16 + npix + extra, i;
    uint8_t *buf = malloc(len);
    size_t o = 0;
    ck_assert_ptr_nonnull(buf);
    o += put32(buf + o, magic);
    o += put32(buf + o, n);
    o += put32(buf + o, rows);
    o += put32(buf + o, cols);
    for (i = 0; i < npix + extra; i++)
        buf[o + i] = (uint8_t)((7 * (i / (rows * cols)) + i % (rows * cols)) % 256);
    write_file(name, buf, len - drop, gz);
    free(buf);
}

static void write_labels(const char *name, uint32_t n, const uint8_t *labels, int gz) {
    uint8_t *buf = malloc(8 + n);
    ck_assert_ptr_nonnull(buf);
    put32(buf, GP_IDX_LABELS_MAGIC);
    put32(buf + 4, n);
    memcpy(buf + 8, labels, n);
    write_file(name, buf, 8 + n, gz);
    free(buf);
}

static const uint8_t five_labels[5] = {3, 1, 4, 1, 5};

static void check_images_content(const gp_idx_images *im, size_t n, size_t rows,
                                 size_t cols) {
    size_t i, k;
    ck_assert_uint_eq(im->n, n);
    ck_assert_uint_eq(im->rows, rows);
    ck_assert_uint_eq(im->cols, cols);
    for (i = 0; i < n; i++)
        for (k = 0; k < rows * cols; k++)
            ck_assert_uint_eq(im->pixels[i * rows * cols + k], (7 * i + k) % 256);
}

/* ---- Core ---- */

START_TEST(test_idx_reads_raw_images) {
    gp_idx_images *im = NULL;
    write_images("img", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 0);
    ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path("img"), &im, eb, sizeof eb),
                     GSL_SUCCESS);
    check_images_content(im, 3, 2, 5);
    gp_idx_images_free(im);
}
END_TEST

START_TEST(test_idx_reads_gzip_images) {
    gp_idx_images *im = NULL;
    /* Larger than one read chunk, so the growing buffer is exercised. */
    write_images("img.gz", GP_IDX_IMAGES_MAGIC, 1500, 28, 28, 0, 0, 1);
    ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path("img.gz"), &im, NULL, 0),
                     GSL_SUCCESS);
    check_images_content(im, 1500, 28, 28);
    gp_idx_images_free(im);
}
END_TEST

START_TEST(test_idx_reads_raw_and_gzip_labels) {
    gp_idx_labels *lb = NULL;
    int gz;
    for (gz = 0; gz < 2; gz++) {
        write_labels("lab", 5, five_labels, gz);
        ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab"), 9, &lb, eb, sizeof eb),
                         GSL_SUCCESS);
        ck_assert_uint_eq(lb->n, 5);
        ck_assert_mem_eq(lb->labels, five_labels, 5);
        gp_idx_labels_free(lb);
    }
}
END_TEST

START_TEST(test_idx_images_to_matrix_scales_by_1_over_255) {
    gp_idx_images *im = gp_idx_images_alloc(4, 1, 3);
    gsl_matrix *m = gsl_matrix_alloc(2, 3);
    size_t k;
    for (k = 0; k < 12; k++)
        im->pixels[k] = (uint8_t)(k * 23);
    ck_assert_int_eq(gp_idx_images_to_matrix(im, 1, m), GSL_SUCCESS);
    ck_assert_double_eq(gsl_matrix_get(m, 0, 0), 69 / 255.0);
    ck_assert_double_eq(gsl_matrix_get(m, 1, 2), 184 / 255.0); /* pixel 8 */
    ck_assert_int_eq(gp_idx_images_to_matrix(im, 2, m), GSL_SUCCESS);
    ck_assert_int_eq(gp_idx_images_to_matrix(im, 3, m), GSL_EINVAL);
    ck_assert_int_eq(gp_idx_images_to_matrix(im, (size_t)-1, m), GSL_EINVAL);
    gsl_matrix_free(m);
    m = gsl_matrix_alloc(2, 4);
    ck_assert_int_eq(gp_idx_images_to_matrix(im, 0, m), GSL_EBADLEN);
    gsl_matrix_free(m);
    gp_idx_images_free(im);
}
END_TEST

START_TEST(test_idx_image_to_vector_and_onehot) {
    gp_idx_images *im = gp_idx_images_alloc(2, 2, 2);
    gp_idx_labels *lb = gp_idx_labels_alloc(3);
    gsl_vector *x = gsl_vector_alloc(4);
    gsl_matrix *y = gsl_matrix_alloc(2, 10);
    im->pixels[4] = 255;
    im->pixels[7] = 51;
    ck_assert_int_eq(gp_idx_image_to_vector(im, 1, x), GSL_SUCCESS);
    ck_assert_double_eq(gsl_vector_get(x, 0), 1.0);
    ck_assert_double_eq(gsl_vector_get(x, 3), 0.2);
    ck_assert_int_eq(gp_idx_image_to_vector(im, 2, x), GSL_EINVAL);
    lb->labels[1] = 7;
    lb->labels[2] = 0;
    ck_assert_int_eq(gp_idx_labels_to_onehot(lb, 1, y), GSL_SUCCESS);
    ck_assert_double_eq(gsl_matrix_get(y, 0, 7), 1.0);
    ck_assert_double_eq(gsl_matrix_get(y, 1, 0), 1.0);
    ck_assert_double_eq(gsl_matrix_get(y, 0, 0) + gsl_matrix_get(y, 1, 7), 0.0);
    ck_assert_int_eq(gp_idx_labels_to_onehot(lb, 2, y), GSL_EINVAL);
    gsl_matrix_free(y);
    y = gsl_matrix_alloc(2, 5);
    ck_assert_int_eq(gp_idx_labels_to_onehot(lb, 1, y), GSL_EBADLEN);
    gsl_matrix_free(y);
    gsl_vector_free(x);
    gp_idx_labels_free(lb);
    gp_idx_images_free(im);
}
END_TEST

START_TEST(test_idx_free_null_is_noop) {
    gp_idx_images_free(NULL);
    gp_idx_labels_free(NULL);
    gp_mnist_free(NULL);
    ck_assert_ptr_null(gp_idx_images_alloc(0, 28, 28));
    ck_assert_ptr_null(gp_idx_images_alloc(SIZE_MAX / 2, 28, 28));
    ck_assert_ptr_null(gp_idx_labels_alloc(0));
}
END_TEST

/* ---- Errors ---- */

/* Expect status and a message containing `needle`; *out must be NULL. */
#define EXPECT_IMAGES(name, status, needle)                                              \
    do {                                                                                 \
        gp_idx_images *im_ = (gp_idx_images *)1;                                         \
        ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path(name), &im_, eb, sizeof eb),  \
                         status);                                                        \
        ck_assert_ptr_null(im_);                                                         \
        ck_assert_msg(strstr(eb, needle) != NULL, "message '%s' lacks '%s'", eb,         \
                      needle);                                                           \
        ck_assert_msg(strstr(eb, name) != NULL, "message '%s' lacks the file name", eb); \
    } while (0)

START_TEST(test_idx_rejects_truncated_images) {
    write_images("img", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 25, 0, 0);
    EXPECT_IMAGES("img", GSL_EOF, "truncated: expected 30 pixel bytes, got 5");
}
END_TEST

START_TEST(test_idx_rejects_truncated_header) {
    write_images("img", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 30 + 6, 0, 0);
    EXPECT_IMAGES("img", GSL_EOF, "truncated: header needs 16 bytes, got 10");
    write_file("empty", (const uint8_t *)"", 0, 0);
    EXPECT_IMAGES("empty", GSL_EOF, "empty: no data");
}
END_TEST

START_TEST(test_idx_rejects_truncated_gzip) {
    /* A whole gzip file of a truncated IDX, and a gzip stream itself cut short. */
    FILE *f;
    long size;
    write_images("a.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 25, 0, 1);
    EXPECT_IMAGES("a.gz", GSL_EOF, "truncated: expected 30 pixel bytes, got 5");
    write_images("b.gz", GP_IDX_IMAGES_MAGIC, 100, 28, 28, 0, 0, 1);
    f = fopen(tu_tmpdir_path("b.gz"), "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(tu_tmpdir_path("b.gz"), size / 2), 0);
    EXPECT_IMAGES("b.gz", GSL_EOF, "truncated");
    /* Only the 8-byte gzip trailer missing: the data is complete, the stream is not. */
    write_images("c.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 1);
    f = fopen(tu_tmpdir_path("c.gz"), "rb");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(tu_tmpdir_path("c.gz"), size - 8), 0);
    EXPECT_IMAGES("c.gz", GSL_EOF, "truncated gzip stream");
}
END_TEST

START_TEST(test_idx_rejects_corrupt_gzip) {
    FILE *f;
    int c;
    write_images("img.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 1);
    /* Flip a bit of the CRC-32 in the trailer (8 bytes from the end). */
    f = fopen(tu_tmpdir_path("img.gz"), "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, -8, SEEK_END);
    c = fgetc(f);
    fseek(f, -8, SEEK_END);
    fputc(c ^ 0x10, f);
    fclose(f);
    EXPECT_IMAGES("img.gz", GSL_EINVAL, "corrupt gzip data");
}
END_TEST

START_TEST(test_idx_rejects_trailing_bytes) {
    write_images("img", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 7, 0);
    EXPECT_IMAGES("img", GSL_EINVAL, "7 bytes of trailing data after the 30 pixel bytes");
    write_images("img.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 1, 1);
    EXPECT_IMAGES("img.gz", GSL_EINVAL, "1 bytes of trailing data");
}
END_TEST

/* Append len bytes, or (buf NULL) the whole file tu_tmpdir()/src, to tu_tmpdir()/name. */
static void append_file(const char *name, const uint8_t *buf, size_t len,
                        const char *src) {
    uint8_t copy[4096];
    FILE *f;
    if (buf == NULL) {
        f = fopen(tu_tmpdir_path(src), "rb");
        ck_assert_ptr_nonnull(f);
        len = fread(copy, 1, sizeof copy, f);
        ck_assert_int_eq(feof(f), 1);
        fclose(f);
        buf = copy;
    }
    f = fopen(tu_tmpdir_path(name), "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* zlib's gzread skips non-gzip bytes after the last member; idx.h promises an error
 * (issue 14). Junk that starts like a gzip header is a corrupt member. */
START_TEST(test_idx_rejects_junk_after_gzip_stream) {
    static const uint8_t junk[] = "junk", nul[1] = {0}, magic[3] = {0x1f, 0x8b, 0};
    gp_idx_labels *lb = (gp_idx_labels *)1;
    write_images("img.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 1);
    append_file("img.gz", junk, 4, NULL);
    EXPECT_IMAGES("img.gz", GSL_EINVAL, "trailing data after the end of the gzip stream");
    write_images("z.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 1);
    append_file("z.gz", nul, 1, NULL); /* one zero byte of padding */
    EXPECT_IMAGES("z.gz", GSL_EINVAL, "trailing data after the end of the gzip stream");
    write_images("m.gz", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 1);
    append_file("m.gz", magic, 3, NULL);
    EXPECT_IMAGES("m.gz", GSL_EOF, "truncated gzip stream");
    write_labels("lab.gz", 5, five_labels, 1);
    append_file("lab.gz", junk, 4, NULL);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab.gz"), 9, &lb, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_null(lb);
    ck_assert_msg(strstr(eb, "trailing data after the end of the gzip stream"), "%s", eb);
}
END_TEST

/* A gzip file is a series of members (RFC 1952 2.2): `cat a.gz b.gz` is read as the
 * concatenated data, like gunzip does; the data must still match the header. */
START_TEST(test_idx_reads_concatenated_gzip_members) {
    uint8_t hdr[8];
    gp_idx_labels *lb = NULL;
    size_t i;
    put32(hdr, GP_IDX_LABELS_MAGIC);
    put32(hdr + 4, 5);
    write_file("lab.gz", hdr, 8, 1);
    write_file("tail.gz", five_labels, 5, 1);
    append_file("lab.gz", NULL, 0, "tail.gz");
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab.gz"), 9, &lb, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_uint_eq(lb->n, 5);
    for (i = 0; i < 5; i++)
        ck_assert_uint_eq(lb->labels[i], five_labels[i]);
    gp_idx_labels_free(lb);
    /* A third member adds labels the header does not declare. */
    append_file("lab.gz", NULL, 0, "tail.gz");
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab.gz"), 9, &lb, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_msg(strstr(eb, "5 bytes of trailing data after the 5 label bytes"), "%s",
                  eb);
}
END_TEST

START_TEST(test_idx_rejects_bad_magic) {
    gp_idx_labels *lb = (gp_idx_labels *)1;
    write_images("img", 0x00000804u, 3, 2, 5, 0, 0, 0);
    EXPECT_IMAGES("img", GSL_EINVAL, "bad magic number 0x00000804, expected 0x00000803");
    /* A label file passed as images, and images passed as labels, say so. */
    write_labels("lab", 5, five_labels, 0);
    EXPECT_IMAGES("lab", GSL_EINVAL, "this is an idx1 label file");
    write_images("img", GP_IDX_IMAGES_MAGIC, 3, 2, 5, 0, 0, 0);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("img"), 9, &lb, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_null(lb);
    ck_assert_ptr_nonnull(strstr(eb, "this is an idx3 image file"));
    /* Little-endian magic, the classic mistake of a hand-written writer. */
    write_images("img", 0x03080000u, 3, 2, 5, 0, 0, 0);
    EXPECT_IMAGES("img", GSL_EINVAL, "bad magic number 0x03080000");
}
END_TEST

START_TEST(test_idx_rejects_absurd_dims) {
    uint8_t buf[16 + 8];
    memset(buf, 0, sizeof buf);
    put32(buf, GP_IDX_IMAGES_MAGIC);
    put32(buf + 4, 0xFFFFFFFFu);
    put32(buf + 8, 0xFFFFFFFFu);
    put32(buf + 12, 0xFFFFFFFFu);
    write_file("huge", buf, sizeof buf, 0);
    EXPECT_IMAGES("huge", GSL_EINVAL, "absurd dimensions 4294967295 x 4294967295");
    /* Large but representable: refused by the size cap before anything is read. */
    put32(buf + 8, 28);
    put32(buf + 12, 28);
    write_file("big", buf, sizeof buf, 0);
    EXPECT_IMAGES(
        "big", GSL_EINVAL,
        "declares 3367254359280 pixel bytes, more than the 1073741824-byte cap");
    put32(buf + 8, 0);
    write_file("zero", buf, sizeof buf, 0);
    EXPECT_IMAGES("zero", GSL_EINVAL, "dimension 2 is zero");
}
END_TEST

/* A gzip bomb: 4 MB of zero pixels compress to a few kB. Under a 1 MB cap the header
 * alone is refused (images and labels); under the default cap the same file reads. */
START_TEST(test_idx_cap_bounds_decompressed_size) {
    size_t old;
    gp_idx_images *im = NULL;
    gp_idx_labels *lb = NULL;
    uint8_t *zeros = calloc(1, 8 + (4u << 20));
    write_images("bomb.gz", GP_IDX_IMAGES_MAGIC, 4096, 32, 32, 0, 0, 1);
    put32(zeros, GP_IDX_LABELS_MAGIC);
    put32(zeros + 4, 4u << 20);
    write_file("lbomb.gz", zeros, 8 + (4u << 20), 1);
    free(zeros);
    old = gp_idx_max_bytes(1u << 20);
    ck_assert_uint_eq(old, GP_IDX_DEFAULT_MAX_BYTES);
    EXPECT_IMAGES("bomb.gz", GSL_EINVAL,
                  "declares 4194304 pixel bytes, more than the "
                  "1048576-byte cap");
    ck_assert_int_eq(
        gp_idx_read_labels(tu_tmpdir_path("lbomb.gz"), 9, &lb, eb, sizeof eb),
        GSL_EINVAL);
    ck_assert_ptr_null(lb);
    ck_assert_msg(strstr(eb, "declares 4194304 label bytes"), "%s", eb);
    ck_assert_uint_eq(gp_idx_max_bytes(old), 1u << 20);
    ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path("bomb.gz"), &im, eb, sizeof eb),
                     0);
    ck_assert_uint_eq(im->n, 4096);
    gp_idx_images_free(im);
}
END_TEST

START_TEST(test_idx_rejects_missing_file) {
    gp_idx_labels *lb = (gp_idx_labels *)1;
    EXPECT_IMAGES("nope", GSL_EFAILED, "cannot open: No such file or directory");
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("nope"), 9, &lb, NULL, 0),
                     GSL_EFAILED);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_null(lb);
    /* NULL arguments are refused, not dereferenced. */
    ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path("nope"), NULL, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("nope"), 9, NULL, NULL, 0),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_idx_read_labels(NULL, 9, &lb, NULL, 0), GSL_EINVAL);
    {
        gp_mnist *m = (gp_mnist *)1;
        ck_assert_int_eq(gp_mnist_load(NULL, 10, &m, eb, sizeof eb), GSL_EINVAL);
        ck_assert_ptr_null(m);
        ck_assert_int_eq(gp_mnist_load(tu_tmpdir(), 10, NULL, eb, sizeof eb), GSL_EINVAL);
    }
}
END_TEST

START_TEST(test_idx_rejects_directory) {
    gp_idx_images *im = (gp_idx_images *)1;
    int status = gp_idx_read_images(tu_tmpdir(), &im, eb, sizeof eb);
    ck_assert_int_eq(status, GSL_EFAILED);
    ck_assert_ptr_null(im);
    ck_assert_ptr_nonnull(strstr(eb, tu_tmpdir()));
}
END_TEST

START_TEST(test_idx_rejects_label_out_of_range) {
    static const uint8_t bad[4] = {0, 9, 10, 2};
    gp_idx_labels *lb = (gp_idx_labels *)1;
    write_labels("lab", 4, bad, 0);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab"), 9, &lb, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_null(lb);
    ck_assert_msg(strstr(eb, "label 10 at index 2 is out of range 0..9") != NULL, "%s",
                  eb);
    /* A caller-given maximum class: 10 is fine for max 10, 9 is not for max 8. */
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab"), 10, &lb, eb, sizeof eb),
                     GSL_SUCCESS);
    gp_idx_labels_free(lb);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab"), 8, &lb, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_msg(strstr(eb, "label 9 at index 1 is out of range 0..8") != NULL, "%s",
                  eb);
}
END_TEST

START_TEST(test_idx_rejects_truncated_labels) {
    uint8_t buf[8 + 2];
    gp_idx_labels *lb = (gp_idx_labels *)1;
    put32(buf, GP_IDX_LABELS_MAGIC);
    put32(buf + 4, 5);
    buf[8] = buf[9] = 1;
    write_file("lab", buf, sizeof buf, 0);
    ck_assert_int_eq(gp_idx_read_labels(tu_tmpdir_path("lab"), 9, &lb, eb, sizeof eb),
                     GSL_EOF);
    ck_assert_ptr_null(lb);
    ck_assert_msg(strstr(eb, "truncated: expected 5 label bytes, got 2") != NULL, "%s",
                  eb);
}
END_TEST

START_TEST(test_idx_short_errbuf_is_terminated) {
    char small[8];
    gp_idx_images *im;
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(gp_idx_read_images(tu_tmpdir_path("nope"), &im, small, sizeof small),
                     GSL_EFAILED);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

/* ---- MNIST loader ---- */

/* A miniature MNIST: n_train training and n_test test images of 2 x 3 pixels. */
static void write_mnist(size_t n_train, size_t n_test, int gz) {
    uint8_t lab[64];
    size_t i;
    for (i = 0; i < sizeof lab; i++)
        lab[i] = (uint8_t)(i % 10);
    write_images(gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte",
                 GP_IDX_IMAGES_MAGIC, (uint32_t)n_train, 2, 3, 0, 0, gz);
    write_labels(gz ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte",
                 (uint32_t)n_train, lab, gz);
    write_images(gz ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte",
                 GP_IDX_IMAGES_MAGIC, (uint32_t)n_test, 2, 3, 0, 0, gz);
    write_labels(gz ? "t10k-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte",
                 (uint32_t)n_test, lab, gz);
}

START_TEST(test_mnist_load_splits_as_nielsen) {
    gp_mnist *m = NULL;
    int gz = _i;
    write_mnist(12, 5, gz);
    ck_assert_int_eq(gp_mnist_load(tu_tmpdir(), 4, &m, eb, sizeof eb), GSL_SUCCESS);
    ck_assert_uint_eq(m->train_images->n, 12);
    ck_assert_ptr_eq(m->training.images, m->train_images);
    ck_assert_ptr_eq(m->validation.images, m->train_images);
    ck_assert_ptr_eq(m->training.labels, m->train_labels);
    ck_assert_uint_eq(m->training.first, 0);
    ck_assert_uint_eq(m->training.n, 8);
    ck_assert_uint_eq(m->validation.first, 8);
    ck_assert_uint_eq(m->validation.n, 4);
    ck_assert_ptr_eq(m->test.images, m->test_images);
    ck_assert_ptr_eq(m->test.labels, m->test_labels);
    ck_assert_uint_eq(m->test.first, 0);
    ck_assert_uint_eq(m->test.n, 5);
    ck_assert_uint_eq(m->validation.labels->labels[m->validation.first], 8);
    ck_assert_uint_eq(m->test_images->rows * m->test_images->cols, 6);
    gp_mnist_free(m);
}
END_TEST

/* The test pair alone: no training file needed (evaluate --eval test). */
START_TEST(test_mnist_load_test_alone) {
    gp_mnist *m = (gp_mnist *)1;
    write_mnist(12, 5, 0);
    ck_assert_int_eq(unlink(tu_tmpdir_path("train-images-idx3-ubyte")), 0);
    ck_assert_int_eq(gp_mnist_load(tu_tmpdir(), 4, &m, eb, sizeof eb), GSL_EFAILED);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(gp_mnist_load_test(tu_tmpdir(), &m, eb, sizeof eb), GSL_SUCCESS);
    ck_assert_ptr_null(m->train_images);
    ck_assert_ptr_eq(m->test.images, m->test_images);
    ck_assert_ptr_eq(m->test.labels, m->test_labels);
    ck_assert_uint_eq(m->test.first, 0);
    ck_assert_uint_eq(m->test.n, 5);
    ck_assert_uint_eq(m->training.n, 0);
    ck_assert_uint_eq(m->validation.n, 0);
    ck_assert_uint_eq(m->test.labels->labels[3], 3);
    gp_mnist_free(m);
    /* ... and checked as gp_mnist_load checks it. */
    static const uint8_t lab[4] = {1, 2, 3, 4};
    write_labels("t10k-labels-idx1-ubyte", 4, lab, 0);
    m = (gp_mnist *)1;
    ck_assert_int_eq(gp_mnist_load_test(tu_tmpdir(), &m, eb, sizeof eb), GSL_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(eb, "t10k-labels-idx1-ubyte has 4 labels") != NULL, "%s", eb);
    ck_assert_int_eq(gp_mnist_load_test(NULL, &m, eb, sizeof eb), GSL_EINVAL);
}
END_TEST

/* gp_mnist_load(dir, n_validation) fails with `status`, leaves *out NULL and says msg;
 * returns the errno it left. */
static int load_refused(size_t n_validation, int status, const char *msg) {
    gp_mnist *m = (gp_mnist *)1;
    int st = gp_mnist_load(tu_tmpdir(), n_validation, &m, eb, sizeof eb), err = errno;
    ck_assert_int_eq(st, status);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(eb, msg) != NULL, "%s", eb);
    return err;
}

START_TEST(test_mnist_load_rejects_count_mismatch) {
    static const uint8_t lab[4] = {1, 2, 3, 4};
    write_mnist(12, 5, 0);
    write_labels("t10k-labels-idx1-ubyte", 4, lab, 0);
    load_refused(4, GSL_EINVAL, "t10k-images-idx3-ubyte has 5 images but");
    ck_assert_msg(strstr(eb, "t10k-labels-idx1-ubyte has 4 labels") != NULL, "%s", eb);
}
END_TEST

START_TEST(test_mnist_load_rejects_shape_mismatch) {
    write_mnist(12, 5, 0);
    write_images("t10k-images-idx3-ubyte", GP_IDX_IMAGES_MAGIC, 5, 3, 2, 0, 0, 0);
    load_refused(4, GSL_EINVAL, "training images are 2 x 3 but test images are 3 x 2");
}
END_TEST

START_TEST(test_mnist_load_rejects_small_training_set) {
    write_mnist(12, 5, 0);
    /* GSL_EDOM: the caller's n_validation, not the files (the CLI's option error) */
    load_refused(12, GSL_EDOM, "12 training images leave none");
}
END_TEST

START_TEST(test_mnist_load_rejects_missing_file) {
    write_mnist(12, 5, 1);
    ck_assert_int_eq(unlink(tu_tmpdir_path("t10k-labels-idx1-ubyte.gz")), 0);
    ck_assert_int_eq(load_refused(4, GSL_EFAILED,
                                  "neither t10k-labels-idx1-ubyte nor "
                                  "t10k-labels-idx1-ubyte.gz"),
                     ENOENT);
}
END_TEST

START_TEST(test_mnist_load_reports_bad_member) {
    write_mnist(12, 5, 0);
    write_images("train-images-idx3-ubyte", GP_IDX_IMAGES_MAGIC, 12, 2, 3, 1, 0, 0);
    load_refused(4, GSL_EOF,
                 "train-images-idx3-ubyte: truncated: expected 72 pixel bytes, got 71");
}
END_TEST

/* The real data sets: MNIST in GP_MNIST_DIR (scripts/test-all.sh fetches it there) and
 * the Debian Fashion-MNIST package's gzipped files. The test is registered only for the
 * directories that exist (see make_idx_suite), so it never passes without reading one. */
static const char *real_dirs[2];

static size_t real_data_dirs(void) {
    const char *cand[2] = {getenv("GP_MNIST_DIR"), "/usr/share/datasets/fashion-mnist"};
    size_t n = 0;
    for (size_t d = 0; d < 2; d++)
        if (cand[d] != NULL && *cand[d] && access(cand[d], R_OK) == 0)
            real_dirs[n++] = cand[d];
    return n;
}

START_TEST(test_mnist_load_real_data) {
    const char *dirs[1] = {real_dirs[_i]};
    size_t d;
    for (d = 0; d < 1; d++) {
        gp_mnist *m = NULL;
        ck_assert_msg(gp_mnist_load(dirs[d], GP_MNIST_VALIDATION, &m, eb, sizeof eb) ==
                          GSL_SUCCESS,
                      "%s", eb);
        ck_assert_uint_eq(m->train_images->n, 60000);
        ck_assert_uint_eq(m->train_images->rows, 28);
        ck_assert_uint_eq(m->train_images->cols, 28);
        ck_assert_uint_eq(m->training.n, 50000);
        ck_assert_uint_eq(m->validation.first, 50000);
        ck_assert_uint_eq(m->validation.n, 10000);
        ck_assert_uint_eq(m->test.n, 10000);
        gp_mnist_free(m);
    }
}
END_TEST

static Suite *make_idx_suite(void) {
    Suite *s = suite_create("idx");
    TCase *core = tcase_create("Core");
    TCase *errs = tcase_create("Errors");
    TCase *mnist = tcase_create("MNIST");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_idx_reads_raw_images);
    tcase_add_test(core, test_idx_reads_gzip_images);
    tcase_add_test(core, test_idx_reads_raw_and_gzip_labels);
    tcase_add_test(core, test_idx_reads_concatenated_gzip_members);
    tcase_add_test(core, test_idx_images_to_matrix_scales_by_1_over_255);
    tcase_add_test(core, test_idx_image_to_vector_and_onehot);
    tcase_add_test(core, test_idx_free_null_is_noop);
    suite_add_tcase(s, core);
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_test(errs, test_idx_rejects_truncated_images);
    tcase_add_test(errs, test_idx_cap_bounds_decompressed_size);
    tcase_add_test(errs, test_idx_rejects_truncated_header);
    tcase_add_test(errs, test_idx_rejects_truncated_gzip);
    tcase_add_test(errs, test_idx_rejects_corrupt_gzip);
    tcase_add_test(errs, test_idx_rejects_trailing_bytes);
    tcase_add_test(errs, test_idx_rejects_junk_after_gzip_stream);
    tcase_add_test(errs, test_idx_rejects_bad_magic);
    tcase_add_test(errs, test_idx_rejects_absurd_dims);
    tcase_add_test(errs, test_idx_rejects_missing_file);
    tcase_add_test(errs, test_idx_rejects_directory);
    tcase_add_test(errs, test_idx_rejects_label_out_of_range);
    tcase_add_test(errs, test_idx_rejects_truncated_labels);
    tcase_add_test(errs, test_idx_short_errbuf_is_terminated);
    suite_add_tcase(s, errs);
    tcase_add_checked_fixture(mnist, setup, teardown);
    tcase_add_loop_test(mnist, test_mnist_load_splits_as_nielsen, 0, 2);
    tcase_add_test(mnist, test_mnist_load_test_alone);
    tcase_add_test(mnist, test_mnist_load_rejects_count_mismatch);
    tcase_add_test(mnist, test_mnist_load_rejects_shape_mismatch);
    tcase_add_test(mnist, test_mnist_load_rejects_small_training_set);
    tcase_add_test(mnist, test_mnist_load_rejects_missing_file);
    tcase_add_test(mnist, test_mnist_load_reports_bad_member);
    size_t n_real = real_data_dirs();
    if (n_real)
        tcase_add_loop_test(mnist, test_mnist_load_real_data, 0, (int)n_real);
    else
        printf(
            "idx: no real MNIST/Fashion-MNIST here (set GP_MNIST_DIR): that test is not "
            "run\n");
    tcase_set_timeout(mnist, 60);
    suite_add_tcase(s, mnist);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(make_idx_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
