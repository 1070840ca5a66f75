/* src/npy.c: the .npy format, by hand (numpy/lib/format.py describes it):
 *
 *   "\x93NUMPY" major minor  header_len (uint16 LE for 1.0, uint32 LE for 2.0/3.0)
 *   header: a Python dict literal {'descr': '<f8', 'fortran_order': False,
 *           'shape': (3, 4), } padded with spaces and ended by '\n'
 *   data:   prod(shape) items, C (row-major) or Fortran (column-major) order.
 *
 * Bytes are decoded explicitly as little-endian, so the code does not depend on the
 * host's byte order. The data length is compared with the file size before the
 * matrix is allocated, so a tiny file claiming a huge shape is refused cheaply. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>

#include <gradproof/npy.h>

#include "ioutil.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
/* numpy itself refuses headers above 10000 bytes by default; allow more, not without
 * bound. */
#define MAX_HEADER ((size_t)1 << 20)

typedef enum { DT_F8, DT_F4, DT_U1 } dtype;

typedef struct {
    dtype dt;
    size_t itemsize;
    int fortran;
    size_t ndim;
    size_t shape[2];
} npy_header;

/* ---- header parsing: a tiny recursive-descent reader for the dict literal ---- */

typedef struct {
    const char *p, *end;
    const char *why; /* what was wrong, for the message */
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int expect(cursor *c, char ch, const char *why) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    c->why = why;
    return 0;
}

/* A quoted string of at most len-1 characters into buf. */
static int parse_string(cursor *c, char *buf, size_t len) {
    char q;
    size_t n = 0;
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
        c->why = "expected a quoted string";
        return 0;
    }
    q = *c->p++;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= len) {
            c->why = "string too long or escaped";
            return 0;
        }
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) {
        c->why = "unterminated string";
        return 0;
    }
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int parse_bool(cursor *c, int *v) {
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *v = 1;
        return 1;
    }
    if ((size_t)(c->end - c->p) >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *v = 0;
        return 1;
    }
    c->why = "fortran_order is not True or False";
    return 0;
}

/* A tuple of non-negative integers, at most `max` of them counted into *n (more are
 * counted but not stored). Python 2's long suffix 'L' is accepted. */
static int parse_shape(cursor *c, size_t *shape, size_t max, size_t *n) {
    *n = 0;
    if (!expect(c, '(', "shape is not a tuple"))
        return 0;
    for (;;) {
        size_t v = 0;
        int digits = 0;
        skip_ws(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            return 1;
        }
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            size_t d = (size_t)(*c->p++ - '0');
            if (v > (SIZE_MAX - d) / 10) {
                c->why = "shape entry overflows";
                return 0;
            }
            v = 10 * v + d;
            digits++;
        }
        if (digits == 0) {
            c->why = "shape entry is not a non-negative integer";
            return 0;
        }
        if (c->p < c->end && *c->p == 'L')
            c->p++;
        if (*n < max)
            shape[*n] = v;
        (*n)++;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (!expect(c, ')', "shape tuple is not closed"))
            return 0;
        /* "(3)" is an int in Python, not a tuple. */
        if (*n == 1) {
            c->why = "one-element shape tuple lacks its comma";
            return 0;
        }
        return 1;
    }
}

/* The dtype of a header's 'descr': little-endian float64 or float32, or bytes. */
static int header_dtype(const char *path, const char *descr, npy_header *h, char *errbuf,
                        size_t errlen) {
    if (strcmp(descr, "<f8") == 0) {
        h->dt = DT_F8;
        h->itemsize = 8;
    } else if (strcmp(descr, "<f4") == 0) {
        h->dt = DT_F4;
        h->itemsize = 4;
    } else if (strcmp(descr, "|u1") == 0 || strcmp(descr, "<u1") == 0 ||
               strcmp(descr, ">u1") == 0) {
        h->dt = DT_U1; /* byte order is meaningless for one byte */
        h->itemsize = 1;
    } else if (strcmp(descr, "<f2") == 0) {
        /* every float16 value is a float32 value, so the conversion is exact */
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: float16 dtype '<f2' is not read; every float16 value is "
                        "exact in float32: save a.astype('<f4')",
                        path);
    } else if (descr[0] == '>') {
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: big-endian dtype '%s' is not supported; convert with "
                        "a.astype('<f8')",
                        path, descr);
    } else {
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: unsupported dtype '%s'; expected '<f8', '<f4' or '|u1'",
                        path, descr);
    }
    return GSL_SUCCESS;
}

static int parse_header(const char *path, const char *text, size_t len, npy_header *h,
                        char *errbuf, size_t errlen) {
    cursor c = {text, text + len, NULL};
    char key[32], descr[32] = "";
    int have_descr = 0, have_order = 0, have_shape = 0;
    size_t ndim = 0;

    if (!expect(&c, '{', "does not start with '{'"))
        goto malformed;
    for (;;) {
        skip_ws(&c);
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        if (!parse_string(&c, key, sizeof key) || !expect(&c, ':', "expected ':'"))
            goto malformed;
        if (strcmp(key, "descr") == 0) {
            if (!parse_string(&c, descr, sizeof descr)) {
                /* A list here is a structured dtype. */
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: unsupported dtype (structured or not a string); "
                                "expected '<f8', '<f4' or '|u1'",
                                path);
            }
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (!parse_bool(&c, &h->fortran))
                goto malformed;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!parse_shape(&c, h->shape, 2, &ndim))
                goto malformed;
            have_shape = 1;
        } else {
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                            "%s: malformed header: unknown key '%s'", path, key);
        }
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (!expect(&c, '}', "expected ',' or '}'"))
            goto malformed;
        break;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        c.why = "text after the closing '}'";
        goto malformed;
    }
    if (!have_descr || !have_order || !have_shape)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: malformed header: missing '%s'",
                        path,
                        !have_descr   ? "descr"
                        : !have_order ? "fortran_order"
                                      : "shape");
    int status = header_dtype(path, descr, h, errbuf, errlen);
    if (status)
        return status;
    if (ndim > 2)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: array has %zu dimensions; only 0, 1 or 2 are supported",
                        path, ndim);
    h->ndim = ndim;
    if ((ndim >= 1 && h->shape[0] == 0) || (ndim == 2 && h->shape[1] == 0))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: empty array (a zero in the shape) is not supported", path);
    return GSL_SUCCESS;
malformed:
    return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: malformed header: %s", path,
                    c.why != NULL ? c.why : "syntax error");
}

/* ---- reading ---- */

static double decode(const unsigned char *b, dtype dt) {
    if (dt == DT_F8) {
        uint64_t u = 0;
        double x;
        int k;
        for (k = 7; k >= 0; k--)
            u = (u << 8) | b[k];
        memcpy(&x, &u, sizeof x);
        return x;
    }
    if (dt == DT_F4) {
        uint32_t u = 0;
        float x;
        int k;
        for (k = 3; k >= 0; k--)
            u = (u << 8) | b[k];
        memcpy(&x, &u, sizeof x);
        return (double)x;
    }
    return (double)b[0];
}

static int read_fail(FILE *f, const char *path, const char *what, size_t want, size_t got,
                     char *errbuf, size_t errlen) {
    if (ferror(f))
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: read error: %s", path,
                        strerror(errno));
    return GPI_FAIL(errbuf, errlen, GSL_EOF,
                    "%s: truncated: expected %zu %s bytes, got %zu", path, want, what,
                    got);
}

/* Element k of the data in file order, at (i, j): Fortran order varies the row index
 * fastest. */
static void npy_index(const npy_header *h, size_t rows, size_t cols, size_t k, size_t *i,
                      size_t *j) {
    *i = h->fortran ? k % rows : k / cols;
    *j = h->fortran ? k / rows : k % cols;
}

static int nonfinite_fail(const char *path, const npy_header *h, size_t i, size_t j,
                          double x, char *errbuf, size_t errlen) {
    const char *what = isnan(x) ? "NaN" : "infinite";
    if (h->ndim == 2)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: element [%zu, %zu] is %s", path,
                        i, j, what);
    if (h->ndim == 1)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: element [%zu] is %s", path, i,
                        what);
    return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: the scalar is %s", path, what);
}

/* The data, into m at once when the file's size was checked (m != NULL), else into
 * flat[] in file order: without a file size (pipes) flat grows by doubling as data
 * arrives, so memory follows the bytes received (at most twice the decoded size received
 * so far), never the header's shape alone. */
static int read_data(FILE *f, const char *path, const npy_header *h, size_t rows,
                     size_t cols, unsigned flags, gsl_matrix *m, double **flat,
                     char *errbuf, size_t errlen) {
    unsigned char buf[8192];
    size_t nelem = rows * cols, cap = 0, done, k;
    for (done = 0; done < nelem;) {
        size_t want = nelem - done, n;
        if (want > sizeof buf / h->itemsize)
            want = sizeof buf / h->itemsize;
        n = fread(buf, h->itemsize, want, f);
        if (m == NULL && done + n > cap) {
            size_t ncap = cap < 1024 ? 1024 : cap;
            double *p;
            while (ncap < done + n)
                ncap *= 2;
            p = realloc(*flat, (ncap < nelem ? ncap : nelem) * sizeof **flat);
            if (p == NULL)
                return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
            *flat = p;
            cap = ncap < nelem ? ncap : nelem;
        }
        for (k = 0; k < n; k++, done++) {
            double x = decode(buf + k * h->itemsize, h->dt);
            size_t i, j;
            npy_index(h, rows, cols, done, &i, &j);
            if ((flags & GP_NPY_FINITE) && !isfinite(x))
                return nonfinite_fail(path, h, i, j, x, errbuf, errlen);
            /* Bytes are pixel intensities: the same x / 255 as gp_idx_images_to_matrix.
             */
            if (h->dt == DT_U1 && (flags & GP_NPY_U8_UNIT))
                x /= 255.0;
            if (m != NULL)
                m->data[i * m->tda + j] = x;
            else
                (*flat)[done] = x;
        }
        if (n < want)
            return read_fail(f, path, "data", nelem * h->itemsize, done * h->itemsize,
                             errbuf, errlen);
    }
    /* For pipes and other files without a size: insist on end of file here. */
    if (fgetc(f) != EOF)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: trailing data after the %zu data bytes", path,
                        nelem * h->itemsize);
    return GSL_SUCCESS;
}

/* The header: magic, version, length, dict. */
static int read_header(FILE *f, const char *path, npy_header *h, size_t *start,
                       char *errbuf, size_t errlen) {
    unsigned char pre[12];
    char *text;
    size_t got, lenbytes, hlen;
    int status;
    got = fread(pre, 1, 8, f);
    if (got < MAGIC_LEN ? memcmp(pre, MAGIC, got) != 0
                        : memcmp(pre, MAGIC, MAGIC_LEN) != 0)
        return ferror(f) ? read_fail(f, path, "", 0, 0, errbuf, errlen)
                         : GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                    "%s: not an .npy file (bad magic string)", path);
    if (got == 0 && !ferror(f))
        return GPI_FAIL(errbuf, errlen, GSL_EOF, "%s: " GPI_EMPTY, path);
    if (got < 8)
        return read_fail(f, path, "header", 10, got, errbuf, errlen);
    if ((pre[6] != 1 && pre[6] != 2 && pre[6] != 3) || pre[7] != 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: unsupported .npy format version %u.%u (1.0, 2.0, 3.0 are)",
                        path, pre[6], pre[7]);
    lenbytes = pre[6] == 1 ? 2 : 4;
    got = fread(pre + 8, 1, lenbytes, f);
    if (got < lenbytes)
        return read_fail(f, path, "header", 8 + lenbytes, 8 + got, errbuf, errlen);
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (lenbytes == 4)
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    if (hlen > MAX_HEADER)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: header length %zu is absurd",
                        path, hlen);
    text = malloc(hlen + 1);
    if (text == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    got = fread(text, 1, hlen, f);
    if (got < hlen) {
        status = read_fail(f, path, "header", hlen, got, errbuf, errlen);
    } else {
        text[hlen] = '\0';
        memset(h, 0, sizeof *h);
        status = parse_header(path, text, hlen, h, errbuf, errlen);
    }
    free(text);
    *start = 8 + lenbytes + hlen;
    return status;
}

/* The data length against the file's size, before anything is allocated (regular
 * files; *sized tells whether the size was known). */
static int check_size(FILE *f, const char *path, size_t start, size_t nbytes, int *sized,
                      char *errbuf, size_t errlen) {
    struct stat st;
    size_t have;
    *sized = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    if (!*sized)
        return GSL_SUCCESS;
    have = (size_t)st.st_size > start ? (size_t)st.st_size - start : 0;
    if (have < nbytes)
        return GPI_FAIL(errbuf, errlen, GSL_EOF,
                        "%s: truncated: expected %zu data bytes, got %zu", path, nbytes,
                        have);
    if (have > nbytes)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: %zu bytes of trailing data after the %zu data bytes", path,
                        have - nbytes, nbytes);
    return GSL_SUCCESS;
}

int gp_npy_read(const char *path, unsigned flags, gsl_matrix **out, size_t *ndim,
                char *errbuf, size_t errlen) {
    size_t start = 0, rows, cols, k;
    double *flat = NULL;
    npy_header h;
    gsl_matrix *m = NULL;
    FILE *f;
    int status, sized;

    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the array given");
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no .npy file name given");
    if ((f = gpi_fopen_input(path, &status, errbuf, errlen)) == NULL)
        return status;
    status = read_header(f, path, &h, &start, errbuf, errlen);
    if (status != GSL_SUCCESS)
        goto done;
    rows = h.ndim >= 1 ? h.shape[0] : 1;
    cols = h.ndim == 2 ? h.shape[1] : 1;
    if (cols > SIZE_MAX / rows || rows * cols > SIZE_MAX / sizeof(double)) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: absurd shape (%zu, %zu)", path,
                          rows, cols);
        goto done;
    }
    status = check_size(f, path, start, rows * cols * h.itemsize, &sized, errbuf, errlen);
    if (status != GSL_SUCCESS)
        goto done;
    /* Pipes: the matrix only once all its data has arrived. */
    if (sized && (m = gsl_matrix_alloc(rows, cols)) == NULL)
        goto nomem;
    status = read_data(f, path, &h, rows, cols, flags, m, &flat, errbuf, errlen);
    if (status != GSL_SUCCESS)
        goto done;
    if (!sized) {
        if ((m = gsl_matrix_alloc(rows, cols)) == NULL)
            goto nomem;
        for (k = 0; k < rows * cols; k++) {
            size_t i, j;
            npy_index(&h, rows, cols, k, &i, &j);
            m->data[i * m->tda + j] = flat[k];
        }
    }
    if (ndim != NULL)
        *ndim = h.ndim;
    *out = m;
    m = NULL;
    goto done;
nomem:
    status = GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory for %zu x %zu", path,
                      rows, cols);
done:
    if (m != NULL)
        gsl_matrix_free(m);
    free(flat);
    fclose(f);
    return status;
}

int gp_npy_read_vector(const char *path, unsigned flags, gsl_vector **out, char *errbuf,
                       size_t errlen) {
    gsl_matrix *m;
    gsl_vector *v;
    size_t ndim, n, k;
    int status;
    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the vector given");
    *out = NULL;
    status = gp_npy_read(path, flags, &m, &ndim, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    if (m->size1 != 1 && m->size2 != 1) {
        status =
            GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: shape (%zu, %zu) is not a vector",
                     path, m->size1, m->size2);
        gsl_matrix_free(m);
        return status;
    }
    n = m->size1 * m->size2;
    v = gsl_vector_alloc(n);
    if (v == NULL) {
        gsl_matrix_free(m);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    for (k = 0; k < n; k++) /* (n, 1) and (1, n) are both contiguous here */
        gsl_vector_set(v, k, m->data[k]);
    gsl_matrix_free(m);
    *out = v;
    return GSL_SUCCESS;
}

int gp_npy_read_scalar(const char *path, unsigned flags, double *result, char *errbuf,
                       size_t errlen) {
    gsl_matrix *m;
    int status;
    if (result == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the scalar given");
    status = gp_npy_read(path, flags, &m, NULL, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    if (m->size1 != 1 || m->size2 != 1) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: expected a single value, found %zu x %zu", path, m->size1,
                          m->size2);
        gsl_matrix_free(m);
        return status;
    }
    *result = gsl_matrix_get(m, 0, 0);
    gsl_matrix_free(m);
    return GSL_SUCCESS;
}

/* ---- writing ---- */

/* Element (i, j) is data[i * row_stride + j * col_stride]. */
static int write_npy(const char *path, size_t ndim, size_t rows, size_t cols,
                     const double *data, size_t row_stride, size_t col_stride,
                     char *errbuf, size_t errlen) {
    char header[256], shape[96];
    unsigned char buf[8192];
    size_t hlen, total, i, j, fill = 0;
    gp_atomic_file a;
    int status;

    if (path == NULL || data == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: nothing to write",
                        path != NULL ? path : "(null)");
    if (rows == 0 || cols == 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: empty array not written", path);
    if (ndim == 0)
        snprintf(shape, sizeof shape, "()");
    else if (ndim == 1)
        snprintf(shape, sizeof shape, "(%zu,)", rows);
    else
        snprintf(shape, sizeof shape, "(%zu, %zu)", rows, cols);
    hlen = (size_t)snprintf(header, sizeof header,
                            "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }",
                            shape);
    /* Pad with spaces so that magic + version + length + header + '\n' is a multiple
     * of 64 bytes (numpy aligns the data the same way). */
    total = 10 + hlen + 1;
    while (total % 64 != 0) {
        header[hlen++] = ' ';
        total++;
    }
    header[hlen++] = '\n';

    status = gp_atomic_open(path, &a, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    fwrite(MAGIC, 1, MAGIC_LEN, a.fp);
    fputc(1, a.fp);
    fputc(0, a.fp);
    fputc((int)(hlen & 0xff), a.fp);
    fputc((int)(hlen >> 8), a.fp);
    fwrite(header, 1, hlen, a.fp);
    for (i = 0; i < rows; i++) {
        for (j = 0; j < cols; j++) {
            uint64_t u;
            int k;
            memcpy(&u, &data[i * row_stride + j * col_stride], sizeof u);
            for (k = 0; k < 8; k++, u >>= 8)
                buf[fill++] = (unsigned char)(u & 0xff);
            if (fill == sizeof buf) {
                fwrite(buf, 1, fill, a.fp);
                fill = 0;
            }
        }
    }
    fwrite(buf, 1, fill, a.fp);
    if (ferror(a.fp)) {
        int e = errno;
        gp_atomic_abort(&a);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: write failed: %s", path,
                        strerror(e));
    }
    return gp_atomic_commit(&a, errbuf, errlen);
}

int gp_npy_write_matrix(const char *path, const gsl_matrix *m, char *errbuf,
                        size_t errlen) {
    if (m == NULL)
        return write_npy(path, 2, 0, 0, NULL, 0, 0, errbuf, errlen);
    return write_npy(path, 2, m->size1, m->size2, m->data, m->tda, 1, errbuf, errlen);
}

int gp_npy_write_vector(const char *path, const gsl_vector *v, char *errbuf,
                        size_t errlen) {
    if (v == NULL)
        return write_npy(path, 1, 0, 0, NULL, 0, 0, errbuf, errlen);
    return write_npy(path, 1, v->size, 1, v->data, v->stride, 0, errbuf, errlen);
}

int gp_npy_write_scalar(const char *path, double x, char *errbuf, size_t errlen) {
    return write_npy(path, 0, 1, 1, &x, 0, 0, errbuf, errlen);
}
