/* src/idx.c: IDX image and label files, raw or gzip-compressed, and the MNIST loader.
 *
 * One code path reads raw and gzip files (a raw IDX file starts with a zero byte,
 * never the gzip magic 1f 8b): idx_in below copies or inflates. The header's
 * dimensions are not trusted: the pixel buffer grows geometrically as data actually
 * arrives, so a 100-byte file that claims 2^32 images costs no more than 100 bytes
 * before it is rejected as truncated. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <zlib.h>

#include <gradproof/idx.h>

#include "internal.h"
#include "ioutil.h"

/* Largest single inflate output request (avail_out is an unsigned int). */
#define CHUNK ((size_t)1 << 20)

gp_idx_images *gp_idx_images_alloc(size_t n, size_t rows, size_t cols) {
    gp_idx_images *im;
    if (n == 0 || rows == 0 || cols == 0)
        GSL_ERROR_NULL("image set dimensions must be positive", GSL_EINVAL);
    if (rows > SIZE_MAX / cols || n > SIZE_MAX / (rows * cols))
        GSL_ERROR_NULL("image set size overflows", GSL_EINVAL);
    im = malloc(sizeof *im);
    if (im == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    im->pixels = calloc(n * rows * cols, 1);
    if (im->pixels == NULL) {
        free(im);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    im->n = n;
    im->rows = rows;
    im->cols = cols;
    return im;
}

gp_idx_labels *gp_idx_labels_alloc(size_t n) {
    gp_idx_labels *lb;
    if (n == 0)
        GSL_ERROR_NULL("label set size must be positive", GSL_EINVAL);
    lb = malloc(sizeof *lb);
    if (lb == NULL)
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    lb->labels = calloc(n, 1);
    if (lb->labels == NULL) {
        free(lb);
        GSL_ERROR_NULL("out of memory", GSL_ENOMEM);
    }
    lb->n = n;
    return lb;
}

void gp_idx_images_free(gp_idx_images *im) {
    if (im == NULL)
        return;
    free(im->pixels);
    free(im);
}

void gp_idx_labels_free(gp_idx_labels *lb) {
    if (lb == NULL)
        return;
    free(lb->labels);
    free(lb);
}

/* An IDX input, raw or gzip. zlib's gzread reads both, but it skips without a word
 * whatever follows the last gzip member unless that is another gzip header, and idx.h
 * promises to reject trailing data; so the members are inflated here, where the end of
 * each is seen. A gzip file is a series of members (RFC 1952 sec. 2.2: what
 * `cat a.gz b.gz` makes and gunzip reads as one), so a further member continues the
 * data; any other byte after a member is an error. */
typedef struct {
    int fd;
    int gz;      /* inflating: the file starts with the gzip magic 1f 8b */
    int between; /* gzip: the last member ended (Z_STREAM_END) */
    int eof;     /* read() returned 0 */
    int cut;     /* gzip: the data ended inside a member */
    z_stream zs;
    uint8_t in[1 << 16];
} idx_in;

static void in_close(idx_in *s) {
    if (s == NULL)
        return;
    if (s->gz)
        inflateEnd(&s->zs);
    close(s->fd);
    free(s);
}

/* Refill the input buffer once it is empty; sets eof at the end of the file. */
static int in_fill(idx_in *s, const char *path, char *errbuf, size_t errlen) {
    ssize_t n;
    if (s->zs.avail_in > 0 || s->eof)
        return GSL_SUCCESS;
    do
        n = read(s->fd, s->in, sizeof s->in);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: read error: %s", path,
                        strerror(errno));
    s->eof = n == 0;
    s->zs.next_in = s->in;
    s->zs.avail_in = (uInt)n;
    return GSL_SUCCESS;
}

static int in_open(const char *path, idx_in **out, char *errbuf, size_t errlen) {
    int status, fd = gpi_open_input(path, &status, errbuf, errlen);
    idx_in *s;
    *out = NULL;
    if (fd < 0)
        return status;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        close(fd);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: cannot open: out of memory",
                        path);
    }
    s->fd = fd;
    status = in_fill(s, path, errbuf, errlen);
    while (status == GSL_SUCCESS && s->zs.avail_in == 1 && !s->eof) {
        ssize_t n = read(fd, s->in + 1, sizeof s->in - 1); /* a pipe's second byte */
        if (n < 0 && errno != EINTR)
            status = GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: read error: %s", path,
                              strerror(errno));
        s->eof = n == 0;
        s->zs.avail_in += n > 0 ? (uInt)n : 0;
    }
    if (status == GSL_SUCCESS && s->zs.avail_in >= 2 && s->in[0] == 0x1f &&
        s->in[1] == 0x8b) {
        if (inflateInit2(&s->zs, 15 + 16) != Z_OK) { /* 16: gzip wrapper only */
            in_close(s);
            return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
        }
        s->gz = 1;
    }
    if (status != GSL_SUCCESS) {
        in_close(s);
        return status;
    }
    *out = s;
    return GSL_SUCCESS;
}

/* After a member: the end of the file, another member, or junk. */
static int in_next_member(idx_in *s, const char *path, char *errbuf, size_t errlen) {
    int status = in_fill(s, path, errbuf, errlen);
    if (status != GSL_SUCCESS || s->zs.avail_in == 0)
        return status != GSL_SUCCESS ? status : GSL_EOF;
    if (s->zs.next_in[0] != 0x1f) /* (a lone 1f, cut short, is a truncated member) */
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: trailing data after the end of the gzip stream", path);
    s->between = 0;
    return inflateReset(&s->zs) == Z_OK ? GSL_SUCCESS : GSL_EFAILED;
}

/* Inflate one step into buf[0, len); *got bytes came out. */
static int in_inflate(idx_in *s, const char *path, uint8_t *buf, size_t len, size_t *got,
                      char *errbuf, size_t errlen) {
    int status = in_fill(s, path, errbuf, errlen), ret;
    if (status != GSL_SUCCESS)
        return status;
    s->zs.next_out = buf;
    s->zs.avail_out = len < CHUNK ? (uInt)len : (uInt)CHUNK;
    ret = inflate(&s->zs, Z_NO_FLUSH);
    *got = (size_t)(s->zs.next_out - buf);
    if (ret == Z_STREAM_END)
        s->between = 1;
    else if (ret == Z_BUF_ERROR) { /* no progress: the file ended inside a member */
        s->cut = 1;
        return GSL_EOF;
    } else if (ret == Z_MEM_ERROR)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    else if (ret != Z_OK)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: corrupt gzip data: %s", path,
                        s->zs.msg != NULL ? s->zs.msg : "unknown zlib error");
    return GSL_SUCCESS;
}

/* Read up to len bytes; *got is how many arrived. GSL_SUCCESS when all len arrived,
 * GSL_EOF (no message yet) when the data ended first, else an error with message. */
static int read_bytes(idx_in *s, const char *path, uint8_t *buf, size_t len, size_t *got,
                      char *errbuf, size_t errlen) {
    int status = GSL_SUCCESS;
    *got = 0;
    while (*got < len && status == GSL_SUCCESS) {
        size_t part = 0;
        if (s->gz && s->between)
            status = in_next_member(s, path, errbuf, errlen);
        else if (s->gz)
            status = in_inflate(s, path, buf + *got, len - *got, &part, errbuf, errlen);
        else {
            status = in_fill(s, path, errbuf, errlen);
            part = s->zs.avail_in < len - *got ? s->zs.avail_in : len - *got;
            memcpy(buf + *got, s->zs.next_in, part);
            s->zs.next_in += part;
            s->zs.avail_in -= (uInt)part;
            if (status == GSL_SUCCESS && s->eof)
                status = GSL_EOF;
        }
        *got += part;
    }
    return *got == len ? GSL_SUCCESS : status;
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

/* Open an IDX file and check its header: the magic number and ndims big-endian
 * dimensions. */
static int open_header(const char *path, uint32_t magic, const char *kind, size_t ndims,
                       idx_in **fp, size_t *dims, char *errbuf, size_t errlen) {
    uint8_t hdr[16];
    size_t hlen = 4 + 4 * ndims, got, i;
    uint32_t m;
    int status;
    idx_in *f;

    *fp = NULL;
    status = in_open(path, &f, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    status = read_bytes(f, path, hdr, 4, &got, errbuf, errlen);
    if (status == GSL_SUCCESS) {
        m = be32(hdr);
        if (m != magic) {
            const char *hint = "";
            if (m == GP_IDX_IMAGES_MAGIC)
                hint = " (this is an idx3 image file)";
            else if (m == GP_IDX_LABELS_MAGIC)
                hint = " (this is an idx1 label file)";
            status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                              "%s: bad magic number 0x%08lx, expected 0x%08lx for %s%s",
                              path, (unsigned long)m, (unsigned long)magic, kind, hint);
            goto fail;
        }
        status = read_bytes(f, path, hdr + 4, hlen - 4, &got, errbuf, errlen);
        got += 4;
    }
    if (status == GSL_EOF && got == 0 && !f->cut)
        status = GPI_FAIL(errbuf, errlen, GSL_EOF, "%s: " GPI_EMPTY, path);
    else if (status == GSL_EOF) {
        status =
            GPI_FAIL(errbuf, errlen, GSL_EOF,
                     "%s: truncated: header needs %zu bytes, got %zu", path, hlen, got);
    }
    if (status != GSL_SUCCESS)
        goto fail;
    for (i = 0; i < ndims; i++) {
        dims[i] = be32(hdr + 4 + 4 * i);
        if (dims[i] == 0) {
            status = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: dimension %zu is zero",
                              path, i + 1);
            goto fail;
        }
    }
    *fp = f;
    return GSL_SUCCESS;
fail:
    in_close(f);
    return status;
}

/* Read exactly len payload bytes into a new buffer, then insist on end of file. The
 * buffer grows with the data so that a lying header cannot force a huge allocation. */
static int read_payload(idx_in *f, const char *path, size_t len, const char *unit,
                        uint8_t **out, char *errbuf, size_t errlen) {
    size_t cap = len < CHUNK ? len : CHUNK, got = 0, extra = 0;
    uint8_t *buf = malloc(cap), scratch[4096];
    int status = GSL_SUCCESS;

    *out = NULL;
    if (buf == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    while (got < len) {
        size_t part;
        if (got == cap) {
            size_t ncap = cap > len / 2 ? len : 2 * cap;
            uint8_t *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                status = GPI_FAIL(errbuf, errlen, GSL_ENOMEM,
                                  "%s: out of memory for %zu %s bytes", path, len, unit);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        status = read_bytes(f, path, buf + got, cap - got, &part, errbuf, errlen);
        got += part;
        if (status == GSL_EOF) {
            status = GPI_FAIL(errbuf, errlen, GSL_EOF,
                              "%s: truncated: expected %zu %s bytes, got %zu", path, len,
                              unit, got);
            goto fail;
        }
        if (status != GSL_SUCCESS)
            goto fail;
    }
    /* The declared contents are all here; anything after them means the header does
     * not describe the file (or two files were concatenated). Reading on also makes
     * zlib verify the gzip trailer's CRC and length. */
    for (;;) {
        size_t part;
        status = read_bytes(f, path, scratch, sizeof scratch, &part, errbuf, errlen);
        extra += part;
        if (status == GSL_EOF && f->cut) {
            status = GPI_FAIL(errbuf, errlen, GSL_EOF,
                              "%s: truncated gzip stream after the %zu %s bytes", path,
                              len, unit);
            goto fail;
        }
        if (status == GSL_EOF)
            break; /* a clean end of file */
        if (status != GSL_SUCCESS)
            goto fail;
    }
    if (extra > 0) {
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                          "%s: %zu bytes of trailing data after the %zu %s bytes the "
                          "header declares",
                          path, extra, len, unit);
        goto fail;
    }
    *out = buf;
    return GSL_SUCCESS;
fail:
    free(buf);
    return status;
}

/* The cap on the payload a header may declare. A gzip stream expands up to ~1000x, so
 * the compressed file's size bounds nothing: without a cap a 3 MB file can ask for
 * gigabytes (issue 14). 1 GiB holds MNIST's 47 MB twenty times over. */
static size_t max_bytes = GP_IDX_DEFAULT_MAX_BYTES;

size_t gp_idx_max_bytes(size_t max) {
    size_t old = __atomic_load_n(&max_bytes, __ATOMIC_SEQ_CST);
    if (max > 0)
        __atomic_store_n(&max_bytes, max, __ATOMIC_SEQ_CST);
    return old;
}

static int over_cap(const char *path, size_t len, const char *unit, char *errbuf,
                    size_t errlen) {
    size_t cap = gp_idx_max_bytes(0);
    if (len <= cap)
        return GSL_SUCCESS;
    return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                    "%s: the header declares %zu %s bytes, more than the %zu-byte cap "
                    "(gp_idx_max_bytes)",
                    path, len, unit, cap);
}

int gp_idx_read_images(const char *path, gp_idx_images **out, char *errbuf,
                       size_t errlen) {
    size_t dims[3], len;
    gp_idx_images *im;
    idx_in *f;
    int status;

    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the images given");
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no image file name given");
    status = open_header(path, GP_IDX_IMAGES_MAGIC, "idx3 unsigned-byte images", 3, &f,
                         dims, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    if (dims[1] > SIZE_MAX / dims[2] || dims[0] > SIZE_MAX / (dims[1] * dims[2])) {
        in_close(f);
        return GPI_FAIL(
            errbuf, errlen, GSL_EINVAL,
            "%s: absurd dimensions %zu x %zu x %zu overflow the address space", path,
            dims[0], dims[1], dims[2]);
    }
    len = dims[0] * dims[1] * dims[2];
    status = over_cap(path, len, "pixel", errbuf, errlen);
    if (status != GSL_SUCCESS) {
        in_close(f);
        return status;
    }
    im = malloc(sizeof *im);
    if (im == NULL) {
        in_close(f);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    status = read_payload(f, path, len, "pixel", &im->pixels, errbuf, errlen);
    in_close(f);
    if (status != GSL_SUCCESS) {
        free(im);
        return status;
    }
    im->n = dims[0];
    im->rows = dims[1];
    im->cols = dims[2];
    *out = im;
    return GSL_SUCCESS;
}

int gp_idx_read_labels(const char *path, size_t max_label, gp_idx_labels **out,
                       char *errbuf, size_t errlen) {
    size_t n, i;
    gp_idx_labels *lb;
    idx_in *f;
    int status;

    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the labels given");
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no label file name given");
    status = open_header(path, GP_IDX_LABELS_MAGIC, "idx1 unsigned-byte labels", 1, &f,
                         &n, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = over_cap(path, n, "label", errbuf, errlen);
    if (status != GSL_SUCCESS) {
        if (f != NULL)
            in_close(f);
        return status;
    }
    lb = malloc(sizeof *lb);
    if (lb == NULL) {
        in_close(f);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    status = read_payload(f, path, n, "label", &lb->labels, errbuf, errlen);
    in_close(f);
    if (status != GSL_SUCCESS) {
        free(lb);
        return status;
    }
    lb->n = n;
    for (i = 0; i < n; i++) {
        if (lb->labels[i] > max_label) {
            status = GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                              "%s: label %u at index %zu is out of range 0..%zu", path,
                              (unsigned)lb->labels[i], i, max_label);
            gp_idx_labels_free(lb);
            return status;
        }
    }
    *out = lb;
    return GSL_SUCCESS;
}

int gp_idx_images_to_matrix(const gp_idx_images *im, size_t first, gsl_matrix *m) {
    size_t npix, s, k;
    if (im == NULL || m == NULL)
        GSL_ERROR("null argument", GSL_EINVAL);
    npix = im->rows * im->cols;
    if (m->size2 != npix)
        GSL_ERROR("matrix columns differ from pixels per image", GSL_EBADLEN);
    if (first > im->n || m->size1 > im->n - first)
        GSL_ERROR("image range runs past the last image", GSL_EINVAL);
    for (s = 0; s < m->size1; s++) {
        const uint8_t *src = im->pixels + (first + s) * npix;
        double *dst = m->data + s * m->tda;
        for (k = 0; k < npix; k++)
            dst[k] = src[k] / 255.0;
    }
    return GSL_SUCCESS;
}

int gp_idx_image_to_vector(const gp_idx_images *im, size_t i, gsl_vector *x) {
    size_t npix, k;
    const uint8_t *src;
    if (im == NULL || x == NULL)
        GSL_ERROR("null argument", GSL_EINVAL);
    npix = im->rows * im->cols;
    if (x->size != npix)
        GSL_ERROR("vector length differs from pixels per image", GSL_EBADLEN);
    if (i >= im->n)
        GSL_ERROR("image index out of range", GSL_EINVAL);
    src = im->pixels + i * npix;
    for (k = 0; k < npix; k++)
        x->data[k * x->stride] = src[k] / 255.0;
    return GSL_SUCCESS;
}

int gp_idx_labels_to_onehot(const gp_idx_labels *lb, size_t first, gsl_matrix *y) {
    size_t s;
    if (lb == NULL || y == NULL)
        GSL_ERROR("null argument", GSL_EINVAL);
    if (first > lb->n || y->size1 > lb->n - first)
        GSL_ERROR("label range runs past the last label", GSL_EINVAL);
    for (s = 0; s < y->size1; s++)
        if (lb->labels[first + s] >= y->size2)
            GSL_ERROR("label does not fit the one-hot width", GSL_EBADLEN);
    gsl_matrix_set_zero(y);
    for (s = 0; s < y->size1; s++)
        gsl_matrix_set(y, s, lb->labels[first + s], 1.0);
    return GSL_SUCCESS;
}

/* dir/name if it exists, else dir/name.gz if that exists. New string in *out, or
 * GSL_EFAILED (errno ENOENT or whatever stat said) naming both candidates. */
static int find_file(const char *dir, const char *name, char **out, char *errbuf,
                     size_t errlen) {
    size_t len = strlen(dir) + 1 + strlen(name) + sizeof ".gz";
    char *path = malloc(len);
    struct stat st;
    *out = NULL;
    if (path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "out of memory");
    snprintf(path, len, "%s/%s", dir, name);
    if (stat(path, &st) == 0) {
        *out = path;
        return GSL_SUCCESS;
    }
    snprintf(path, len, "%s/%s.gz", dir, name);
    if (stat(path, &st) == 0) {
        *out = path;
        return GSL_SUCCESS;
    }
    free(path);
    return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: neither %s nor %s.gz found: %s",
                    dir, name, name, strerror(errno));
}

static int load_pair(const char *dir, const char *images, const char *labels,
                     gp_idx_images **im, gp_idx_labels **lb, char *errbuf,
                     size_t errlen) {
    char *ipath = NULL, *lpath = NULL;
    int status = find_file(dir, images, &ipath, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = find_file(dir, labels, &lpath, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = gp_idx_read_images(ipath, im, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = gp_idx_read_labels(lpath, 9, lb, errbuf, errlen);
    if (status == GSL_SUCCESS && (*im)->n != (*lb)->n)
        status = GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s has %zu %s but %s has %zu %s",
                          ipath, (*im)->n, GPI_PLURAL((*im)->n, "image", "images"), lpath,
                          (*lb)->n, GPI_PLURAL((*lb)->n, "label", "labels"));
    free(ipath);
    free(lpath);
    return status;
}

/* The argument checks of the loaders, then a new, empty data set in *m. */
static int mnist_new(const char *dir, gp_mnist **out, gp_mnist **m, char *errbuf,
                     size_t errlen) {
    if (out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no place for the data set given");
    *out = NULL;
    if (dir == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no data directory given");
    if ((*m = calloc(1, sizeof **m)) == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "out of memory");
    return GSL_SUCCESS;
}

/* The t10k pair into m, and m->test: all of it. */
static int load_test(const char *dir, gp_mnist *m, char *errbuf, size_t errlen) {
    int status = load_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                           &m->test_images, &m->test_labels, errbuf, errlen);
    if (status == GSL_SUCCESS)
        m->test = (gp_idx_view){m->test_images, m->test_labels, 0, m->test_images->n};
    return status;
}

int gp_mnist_load_test(const char *dir, gp_mnist **out, char *errbuf, size_t errlen) {
    gp_mnist *m;
    int status = mnist_new(dir, out, &m, errbuf, errlen);
    if (status == GSL_SUCCESS && (status = load_test(dir, m, errbuf, errlen))) {
        gp_mnist_free(m);
        return status;
    }
    if (status == GSL_SUCCESS) {
        /* No training file: the other two views are empty (but point somewhere). */
        m->training = m->validation = (gp_idx_view){m->test_images, m->test_labels, 0, 0};
        *out = m;
    }
    return status;
}

int gp_mnist_load(const char *dir, size_t n_validation, gp_mnist **out, char *errbuf,
                  size_t errlen) {
    gp_mnist *m;
    int status = mnist_new(dir, out, &m, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    status = load_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       &m->train_images, &m->train_labels, errbuf, errlen);
    if (status == GSL_SUCCESS)
        status = load_test(dir, m, errbuf, errlen);
    if (status != GSL_SUCCESS)
        goto fail;
    if (m->train_images->rows != m->test_images->rows ||
        m->train_images->cols != m->test_images->cols) {
        status =
            GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                     "%s: training images are %zu x %zu but test images are %zu x %zu",
                     dir, m->train_images->rows, m->train_images->cols,
                     m->test_images->rows, m->test_images->cols);
        goto fail;
    }
    if (m->train_images->n <= n_validation) { /* the caller's number, not the files */
        status =
            GPI_FAIL(errbuf, errlen, GSL_EDOM,
                     "%s: %zu training images leave none after a validation set of %zu",
                     dir, m->train_images->n, n_validation);
        goto fail;
    }
    /* mnist_loader.py: training_data = tr_d[:50000], validation_data = tr_d[50000:]. */
    m->training.images = m->validation.images = m->train_images;
    m->training.labels = m->validation.labels = m->train_labels;
    m->training.first = 0;
    m->training.n = m->train_images->n - n_validation;
    m->validation.first = m->training.n;
    m->validation.n = n_validation;
    *out = m;
    return GSL_SUCCESS;
fail:
    gp_mnist_free(m);
    return status;
}

void gp_mnist_free(gp_mnist *m) {
    if (m == NULL)
        return;
    gp_idx_images_free(m->train_images);
    gp_idx_labels_free(m->train_labels);
    gp_idx_images_free(m->test_images);
    gp_idx_labels_free(m->test_labels);
    free(m);
}
