/* tests/check_npy.c: .npy read/write, with hand-built files for every bad case. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <check.h>
#include <gsl/gsl_errno.h>

#include <gradproof/npy.h>

#include "testutil.h"

static char eb[512];

static void setup(void) {
    gsl_set_error_handler_off();
    tu_tmpdir_make("check_npy");
    eb[0] = '\0';
}

static size_t count_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void teardown(void) {
    tu_tmpdir_remove();
}

static void write_bytes(const char *name, const void *buf, size_t len) {
    FILE *f = fopen(tu_tmpdir_path(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* An .npy file of format `major`.0 with the given dict text (padded to 64 bytes as
 * numpy does) followed by datalen bytes of data. */
static void write_npy(const char *name, int major, const char *dict, const void *data,
                      size_t datalen) {
    unsigned char buf[4096];
    size_t lenbytes = major == 1 ? 2 : 4, pre = 8 + lenbytes, hlen = strlen(dict), o;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    memcpy(buf + pre, dict, hlen);
    while ((pre + hlen + 1) % 64 != 0)
        buf[pre + hlen++] = ' ';
    buf[pre + hlen++] = '\n';
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    if (lenbytes == 4)
        buf[10] = buf[11] = 0;
    o = pre + hlen;
    ck_assert_uint_le(o + datalen, sizeof buf);
    if (datalen > 0)
        memcpy(buf + o, data, datalen);
    write_bytes(name, buf, o + datalen);
}

/* Little-endian encodings, built byte by byte so the test is host-independent. */
static void le_f8(unsigned char *p, double x) {
    uint64_t u;
    int k;
    memcpy(&u, &x, sizeof u);
    for (k = 0; k < 8; k++, u >>= 8)
        p[k] = (unsigned char)(u & 0xff);
}

static void le_f4(unsigned char *p, float x) {
    uint32_t u;
    int k;
    memcpy(&u, &x, sizeof u);
    for (k = 0; k < 4; k++, u >>= 8)
        p[k] = (unsigned char)(u & 0xff);
}

/* ---- Core ---- */

START_TEST(test_npy_matrix_round_trip_is_bit_exact) {
    /* A submatrix view (tda > size2) with awkward values, NaN and infinities. */
    gsl_matrix *big = gsl_matrix_alloc(4, 7), *back = NULL;
    gsl_matrix_view v = gsl_matrix_submatrix(big, 1, 2, 3, 4);
    size_t i, j, ndim = 99;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 7; j++)
            gsl_matrix_set(big, i, j,
                           (i * 7.0 + j + 0.3817) / 3.0 * pow(10.0, (double)j - 3));
    gsl_matrix_set(&v.matrix, 0, 0, -0.0);
    gsl_matrix_set(&v.matrix, 1, 1, NAN);
    gsl_matrix_set(&v.matrix, 2, 3, -INFINITY);
    gsl_matrix_set(&v.matrix, 2, 2, 4.9406564584124654e-324);
    ck_assert_int_eq(
        gp_npy_write_matrix(tu_tmpdir_path("m.npy"), &v.matrix, eb, sizeof eb),
        GSL_SUCCESS);
    ck_assert_msg(gp_npy_read(tu_tmpdir_path("m.npy"), 0, &back, &ndim, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_uint_eq(ndim, 2);
    ck_assert_uint_eq(back->size1, 3);
    ck_assert_uint_eq(back->size2, 4);
    for (i = 0; i < 3; i++)
        for (j = 0; j < 4; j++)
            ck_assert_mem_eq(gsl_matrix_const_ptr(back, i, j),
                             gsl_matrix_const_ptr(&v.matrix, i, j), sizeof(double));
    ck_assert_uint_eq(count_dir(tu_tmpdir()), 1);
    gsl_matrix_free(back);
    gsl_matrix_free(big);
}
END_TEST

START_TEST(test_npy_vector_round_trip_is_1d) {
    /* A strided vector: a column of a matrix. */
    gsl_matrix *a = gsl_matrix_alloc(5, 3), *back = NULL;
    gsl_vector_view col = gsl_matrix_column(a, 1);
    gsl_vector *vb = NULL;
    size_t i, ndim = 99;
    for (i = 0; i < 15; i++)
        a->data[i] = 0.1 * (double)i - 0.7;
    ck_assert_int_eq(
        gp_npy_write_vector(tu_tmpdir_path("v.npy"), &col.vector, eb, sizeof eb),
        GSL_SUCCESS);
    ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("v.npy"), 0, &back, &ndim, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_uint_eq(ndim, 1);
    ck_assert_uint_eq(back->size1, 5); /* (n,) reads as an n x 1 column */
    ck_assert_uint_eq(back->size2, 1);
    ck_assert_int_eq(
        gp_npy_read_vector(tu_tmpdir_path("v.npy"), GP_NPY_FINITE, &vb, eb, sizeof eb),
        GSL_SUCCESS);
    for (i = 0; i < 5; i++) {
        ck_assert_double_eq(gsl_matrix_get(back, i, 0), gsl_vector_get(&col.vector, i));
        ck_assert_double_eq(gsl_vector_get(vb, i), gsl_vector_get(&col.vector, i));
    }
    gsl_vector_free(vb);
    gsl_matrix_free(back);
    gsl_matrix_free(a);
}
END_TEST

START_TEST(test_npy_scalar_round_trip_and_exact_header) {
    static const char expect[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', "
                                 "'fortran_order': False, 'shape': (), }";
    unsigned char file[200];
    double x = 0.0;
    size_t ndim = 99, n, k;
    gsl_matrix *m = NULL;
    FILE *f;
    ck_assert_int_eq(
        gp_npy_write_scalar(tu_tmpdir_path("s.npy"), 2.0 / 3.0, eb, sizeof eb),
        GSL_SUCCESS);
    f = fopen(tu_tmpdir_path("s.npy"), "rb");
    n = fread(file, 1, sizeof file, f);
    fclose(f);
    /* numpy's layout: 10-byte preamble + header padded with spaces + '\n' = 128. */
    ck_assert_uint_eq(n, 128 + 8);
    ck_assert_mem_eq(file, expect, sizeof expect - 1);
    for (k = sizeof expect - 1; k < 127; k++)
        ck_assert_int_eq(file[k], ' ');
    ck_assert_int_eq(file[127], '\n');
    ck_assert_int_eq(
        gp_npy_read_scalar(tu_tmpdir_path("s.npy"), GP_NPY_FINITE, &x, eb, sizeof eb),
        GSL_SUCCESS);
    ck_assert_double_eq(x, 2.0 / 3.0);
    ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("s.npy"), 0, &m, &ndim, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_uint_eq(ndim, 0);
    ck_assert_uint_eq(m->size1 * m->size2, 1);
    gsl_matrix_free(m);
}
END_TEST

START_TEST(test_npy_reads_v2_f4_and_v3_u1) {
    unsigned char data[6 * 4];
    static const unsigned char bytes[6] = {0, 1, 127, 128, 254, 255};
    gsl_matrix *m = NULL;
    size_t k;
    for (k = 0; k < 6; k++)
        le_f4(data + 4 * k, (float)k * 0.25f - 0.5f);
    write_npy("f4.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              data, sizeof data);
    ck_assert_msg(gp_npy_read(tu_tmpdir_path("f4.npy"), 0, &m, NULL, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_double_eq(gsl_matrix_get(m, 0, 0), -0.5);
    ck_assert_double_eq(gsl_matrix_get(m, 1, 2), 0.75);
    gsl_matrix_free(m);
    write_npy("u1.npy", 3, "{'descr': '|u1', 'fortran_order': False, 'shape': (6,), }",
              bytes, 6);
    ck_assert_msg(gp_npy_read(tu_tmpdir_path("u1.npy"), 0, &m, NULL, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_double_eq(gsl_matrix_get(m, 2, 0), 127.0);
    ck_assert_double_eq(gsl_matrix_get(m, 5, 0), 255.0);
    gsl_matrix_free(m);
}
END_TEST

START_TEST(test_npy_fortran_order_is_transposed_on_read) {
    /* a = [[1, 2, 3], [4, 5, 6]] in column-major order is 1 4 2 5 3 6. */
    static const double col_major[6] = {1, 4, 2, 5, 3, 6};
    unsigned char data[48];
    gsl_matrix *m = NULL;
    size_t k;
    for (k = 0; k < 6; k++)
        le_f8(data + 8 * k, col_major[k]);
    write_npy("f.npy", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
              data, sizeof data);
    ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("f.npy"), 0, &m, NULL, eb, sizeof eb),
                     GSL_SUCCESS);
    for (k = 0; k < 6; k++)
        ck_assert_double_eq(gsl_matrix_get(m, k / 3, k % 3), (double)(k + 1));
    gsl_matrix_free(m);
}
END_TEST

START_TEST(test_npy_header_variants_accepted) {
    /* Reordered keys, double quotes, no trailing comma, Python 2 longs, extra spaces. */
    unsigned char data[16];
    gsl_matrix *m = NULL;
    gsl_vector *v = NULL;
    le_f8(data, 1.5);
    le_f8(data + 8, -2.5);
    write_npy("a.npy", 1,
              "{\"shape\": (1L,  2L), \"fortran_order\": False, \"descr\": \"<f8\"}",
              data, sizeof data);
    ck_assert_msg(gp_npy_read(tu_tmpdir_path("a.npy"), 0, &m, NULL, eb, sizeof eb) ==
                      GSL_SUCCESS,
                  "%s", eb);
    ck_assert_uint_eq(m->size1, 1);
    ck_assert_uint_eq(m->size2, 2);
    gsl_matrix_free(m);
    /* (1, n) and (n, 1) are vectors too. */
    ck_assert_int_eq(gp_npy_read_vector(tu_tmpdir_path("a.npy"), 0, &v, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_double_eq(gsl_vector_get(v, 1), -2.5);
    gsl_vector_free(v);
    write_npy("b.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }",
              data, sizeof data);
    ck_assert_int_eq(gp_npy_read_vector(tu_tmpdir_path("b.npy"), 0, &v, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert_double_eq(gsl_vector_get(v, 0), 1.5);
    gsl_vector_free(v);
}
END_TEST

/* ---- Errors ---- */

#define EXPECT_READ(name, flags, status, needle)                                         \
    do {                                                                                 \
        gsl_matrix *m_ = (gsl_matrix *)1;                                                \
        ck_assert_int_eq(                                                                \
            gp_npy_read(tu_tmpdir_path(name), flags, &m_, NULL, eb, sizeof eb), status); \
        ck_assert_ptr_null(m_);                                                          \
        ck_assert_msg(strstr(eb, needle) != NULL, "message '%s' lacks '%s'", eb,         \
                      needle);                                                           \
        ck_assert_msg(strstr(eb, name) != NULL, "message '%s' lacks the file name", eb); \
    } while (0)

static const struct {
    const char *dict;
    const char *needle;
} bad_headers[] = {
    {"{'descr': '<f8', 'fortran_order': False}", "missing 'shape'"},
    {"{'descr': '<f8', 'shape': (2,)}", "missing 'fortran_order'"},
    {"{'fortran_order': False, 'shape': (2,)}", "missing 'descr'"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}",
     "unknown key 'x'"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (2)}", "lacks its comma"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': [2]}", "shape is not a tuple"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}",
     "not a non-negative integer"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
     "overflows"},
    {"{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}", "not True or False"},
    {"{'descr' '<f8', 'fortran_order': False, 'shape': (2,)}", "expected ':'"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x",
     "text after the closing"},
    {"'descr': '<f8'", "does not start with '{'"},
    {"{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'"},
    {"{'descr': '<i8', 'fortran_order': False, 'shape': (2,)}",
     "unsupported dtype '<i8'"},
    {"{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}",
     "float16 dtype '<f2' is not read; every float16 value is exact in float32"},
    {"{'descr': '>f8', 'fortran_order': False, 'shape': (2,)}", "big-endian dtype '>f8'"},
    {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}",
     "unsupported dtype (structured"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 1)}", "3 dimensions"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3)}", "empty array"},
    {"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 0)}", "empty array"},
};

START_TEST(test_npy_rejects_bad_header) {
    unsigned char data[16] = {0};
    write_npy("bad.npy", 1, bad_headers[_i].dict, data, sizeof data);
    EXPECT_READ("bad.npy", 0, GSL_EINVAL, bad_headers[_i].needle);
}
END_TEST

START_TEST(test_npy_rejects_bad_magic_and_version) {
    static const char zip[] = "PK\x03\x04 a zip, perhaps an .npz";
    unsigned char data[8] = {0};
    write_bytes("x.npy", zip, sizeof zip - 1);
    EXPECT_READ("x.npy", 0, GSL_EINVAL, "not an .npy file (bad magic string)");
    write_bytes("y.npy", "\x93NUMPX\x01\x00", 8);
    EXPECT_READ("y.npy", 0, GSL_EINVAL, "bad magic");
    write_npy("v.npy", 4, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", data,
              8);
    EXPECT_READ("v.npy", 0, GSL_EINVAL, "unsupported .npy format version 4.0");
    /* v2 header length 0xffffffff: refused, not allocated. */
    write_bytes("h.npy", "\x93NUMPY\x02\x00\xff\xff\xff\xff{", 13);
    EXPECT_READ("h.npy", 0, GSL_EINVAL, "header length 4294967295 is absurd");
}
END_TEST

START_TEST(test_npy_rejects_truncated) {
    unsigned char data[48] = {0};
    write_bytes("e.npy", "", 0);
    EXPECT_READ("e.npy", 0, GSL_EOF, "empty: no data");
    write_bytes("p.npy", "\x93NUM", 4);
    EXPECT_READ("p.npy", 0, GSL_EOF, "truncated");
    write_bytes("h.npy", "\x93NUMPY\x01\x00\x76\x00{'descr'", 17);
    EXPECT_READ("h.npy", 0, GSL_EOF, "truncated: expected 118 header bytes, got 7");
    write_npy("d.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
              data, 40);
    EXPECT_READ("d.npy", 0, GSL_EOF, "truncated: expected 48 data bytes, got 40");
    /* A huge shape on a tiny file fails cheaply, before any allocation. */
    write_npy("big.npy", 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 100000), }",
              data, 8);
    EXPECT_READ("big.npy", 0, GSL_EOF, "expected 80000000000000 data bytes, got 8");
    write_npy(
        "abs.npy", 1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        data, 8);
    EXPECT_READ("abs.npy", 0, GSL_EINVAL, "absurd shape");
}
END_TEST

/* The file's bytes through a pipe (they fit its buffer), read back as /dev/fd/N: the
 * reader then has no file size to check the header's shape against. */
static int read_piped(const char *name, gsl_matrix **m) {
    unsigned char buf[8192];
    char dev[32];
    int fd[2], status;
    size_t n;
    FILE *f = fopen(tu_tmpdir_path(name), "rb");
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof buf, f);
    ck_assert(feof(f));
    fclose(f);
    ck_assert_int_eq(pipe(fd), 0);
    ck_assert_int_eq(write(fd[1], buf, n), (ssize_t)n);
    close(fd[1]);
    snprintf(dev, sizeof dev, "/dev/fd/%d", fd[0]);
    status = gp_npy_read(dev, 0, m, NULL, eb, sizeof eb);
    close(fd[0]);
    return status;
}

/* Through a pipe, the same matrices as from the file (C and Fortran order, bytes), with
 * more elements than the reader's first buffer. */
START_TEST(test_npy_pipe_reads_as_file) {
    static unsigned char data[3000];
    const char *dicts[] = {
        "{'descr': '|u1', 'fortran_order': False, 'shape': (60, 50), }",
        "{'descr': '|u1', 'fortran_order': True, 'shape': (60, 50), }",
        "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 5), }"};
    size_t k, d;
    for (k = 0; k < sizeof data; k++)
        data[k] = (unsigned char)(k * 7 + k / 13);
    for (d = 0; d < 3; d++) {
        gsl_matrix *a, *b;
        write_npy("p.npy", 1, dicts[d], data, d < 2 ? 3000 : 120);
        ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("p.npy"), 0, &a, NULL, eb, sizeof eb),
                         GSL_SUCCESS);
        ck_assert_int_eq(read_piped("p.npy", &b), GSL_SUCCESS);
        ck_assert(gsl_matrix_equal(a, b));
        gsl_matrix_free(a);
        gsl_matrix_free(b);
    }
}
END_TEST

/* Issue 14: an 85-byte header declaring (20000, 20000) through a pipe made the reader
 * allocate 3.2 GB before any data arrived. Under an address-space limit of 256 MB above
 * the current size, the read must fail as truncated, not for lack of memory. (ASan
 * reserves its shadow memory as address space, so there the limit is not applied.) */
START_TEST(test_npy_pipe_huge_shape_allocates_nothing) {
    unsigned char data[16] = {0};
    gsl_matrix *m = (gsl_matrix *)1;
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit rl;
    unsigned long pages = 0;
    FILE *sm = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(sm);
    ck_assert_int_eq(fscanf(sm, "%lu", &pages), 1);
    fclose(sm);
    rl.rlim_cur = rl.rlim_max =
        pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)256 << 20);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
    write_npy("huge.npy", 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (20000, 20000), }", data,
              16);
    ck_assert_int_eq(read_piped("huge.npy", &m), GSL_EOF);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(eb, "truncated: expected 3200000000 data bytes, got 16") != NULL,
                  "%s", eb);
}
END_TEST

START_TEST(test_npy_rejects_trailing_data) {
    unsigned char data[56] = {0};
    write_npy("t.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
              data, 56);
    EXPECT_READ("t.npy", 0, GSL_EINVAL,
                "8 bytes of trailing data after the 48 data bytes");
}
END_TEST

START_TEST(test_npy_rejects_nonfinite_when_asked) {
    unsigned char data[48] = {0};
    gsl_matrix *m = NULL;
    double x;
    le_f8(data + 5 * 8, NAN);
    write_npy("n.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
              data, 48);
    /* Allowed by default ... */
    ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("n.npy"), 0, &m, NULL, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert(isnan(gsl_matrix_get(m, 1, 2)));
    gsl_matrix_free(m);
    /* ... refused with GP_NPY_FINITE, naming the element. */
    EXPECT_READ("n.npy", GP_NPY_FINITE, GSL_EINVAL, "element [1, 2] is NaN");
    le_f8(data, -INFINITY);
    write_npy("i.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }",
              data, 48);
    EXPECT_READ("i.npy", GP_NPY_FINITE, GSL_EINVAL, "element [0] is infinite");
    ck_assert_int_eq(
        gp_npy_write_scalar(tu_tmpdir_path("s.npy"), INFINITY, eb, sizeof eb),
        GSL_SUCCESS);
    ck_assert_int_eq(
        gp_npy_read_scalar(tu_tmpdir_path("s.npy"), GP_NPY_FINITE, &x, eb, sizeof eb),
        GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(eb, "the scalar is infinite"));
    ck_assert_int_eq(gp_npy_read_scalar(tu_tmpdir_path("s.npy"), 0, &x, eb, sizeof eb),
                     GSL_SUCCESS);
    ck_assert(isinf(x) && x > 0);
}
END_TEST

START_TEST(test_npy_rejects_wrong_shape_for_vector_and_scalar) {
    unsigned char data[48] = {0};
    gsl_vector *v = (gsl_vector *)1;
    double x = 0;
    write_npy("m.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
              data, 48);
    ck_assert_int_eq(gp_npy_read_vector(tu_tmpdir_path("m.npy"), 0, &v, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(eb, "shape (2, 3) is not a vector"));
    ck_assert_int_eq(gp_npy_read_scalar(tu_tmpdir_path("m.npy"), 0, &x, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_ptr_nonnull(strstr(eb, "expected a single value, found 2 x 3"));
}
END_TEST

START_TEST(test_npy_io_errors) {
    gsl_matrix *m = (gsl_matrix *)1;
    gsl_vector *v = gsl_vector_alloc(3);
    char path[512];
    gsl_vector_set_zero(v);
    ck_assert_int_eq(gp_npy_read(tu_tmpdir_path("nope.npy"), 0, &m, NULL, eb, sizeof eb),
                     GSL_EFAILED);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(eb, "nope.npy: cannot open"));
    ck_assert_int_eq(
        gp_npy_read(tu_tmpdir_path("nope.npy"), 0, NULL, NULL, eb, sizeof eb),
        GSL_EINVAL);
    ck_assert_int_eq(gp_npy_read(NULL, 0, &m, NULL, eb, sizeof eb), GSL_EINVAL);
    ck_assert_int_eq(
        gp_npy_read_vector(tu_tmpdir_path("nope.npy"), 0, NULL, eb, sizeof eb),
        GSL_EINVAL);
    ck_assert_int_eq(
        gp_npy_read_scalar(tu_tmpdir_path("nope.npy"), 0, NULL, eb, sizeof eb),
        GSL_EINVAL);
    /* Writing into a missing directory fails and leaves nothing anywhere. */
    snprintf(path, sizeof path, "%s/missing/v.npy", tu_tmpdir());
    ck_assert_int_eq(gp_npy_write_vector(path, v, eb, sizeof eb), GSL_EFAILED);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_uint_eq(count_dir(tu_tmpdir()), 0);
    ck_assert_int_eq(gp_npy_write_matrix(tu_tmpdir_path("n.npy"), NULL, eb, sizeof eb),
                     GSL_EINVAL);
    ck_assert_int_eq(gp_npy_write_vector(tu_tmpdir_path("n.npy"), NULL, NULL, 0),
                     GSL_EINVAL);
    ck_assert_uint_eq(count_dir(tu_tmpdir()), 0);
    /* A directory is not an .npy file. */
    ck_assert_int_ne(gp_npy_read(tu_tmpdir(), 0, &m, NULL, eb, sizeof eb), GSL_SUCCESS);
    ck_assert_ptr_null(m);
    gsl_vector_free(v);
}
END_TEST

static Suite *make_npy_suite(void) {
    Suite *s = suite_create("npy");
    TCase *core = tcase_create("Core");
    TCase *errs = tcase_create("Errors");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_npy_matrix_round_trip_is_bit_exact);
    tcase_add_test(core, test_npy_vector_round_trip_is_1d);
    tcase_add_test(core, test_npy_scalar_round_trip_and_exact_header);
    tcase_add_test(core, test_npy_reads_v2_f4_and_v3_u1);
    tcase_add_test(core, test_npy_fortran_order_is_transposed_on_read);
    tcase_add_test(core, test_npy_header_variants_accepted);
    suite_add_tcase(s, core);
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_loop_test(errs, test_npy_rejects_bad_header, 0,
                        (int)(sizeof bad_headers / sizeof bad_headers[0]));
    tcase_add_test(errs, test_npy_rejects_bad_magic_and_version);
    tcase_add_test(errs, test_npy_rejects_truncated);
    tcase_add_test(errs, test_npy_rejects_trailing_data);
    tcase_add_test(errs, test_npy_pipe_reads_as_file);
    tcase_add_test(errs, test_npy_pipe_huge_shape_allocates_nothing);
    tcase_add_test(errs, test_npy_rejects_nonfinite_when_asked);
    tcase_add_test(errs, test_npy_rejects_wrong_shape_for_vector_and_scalar);
    tcase_add_test(errs, test_npy_io_errors);
    suite_add_tcase(s, errs);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(make_npy_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
