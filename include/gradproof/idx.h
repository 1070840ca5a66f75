/* gradproof/idx.h: MNIST-style IDX files and the MNIST data set (SPEC "Experiments").
 *
 * Image files are idx3 (magic 0x00000803, then big-endian uint32 n, rows, cols and
 * n*rows*cols pixel bytes); label files are idx1 (magic 0x00000801, then n and n label
 * bytes). Files may be raw or gzip-compressed (leading bytes 1f 8b mean gzip). A gzip
 * file may hold several members, read as their concatenated data (RFC 1952, as
 * gunzip reads `cat a.gz b.gz`); any byte after the last member that does not start
 * another is trailing data (GSL_EINVAL), as is any data beyond the header's declared
 * contents, raw or inflated. Images stay uint8,
 * as in the file (47 MB for MNIST instead of 376 MB of doubles); the caller converts
 * the slices it needs with gp_idx_images_to_matrix.
 *
 * Errors: every reader returns a GSL status and, when errbuf is not NULL, writes a
 * one-line message naming the file and the problem into errbuf (at most errlen bytes,
 * NUL-terminated), e.g. "train-images-idx3-ubyte: truncated: expected 47040000 pixel
 * bytes, got 1000". The status is
 *   GSL_EFAILED  I/O error (cannot open, read error); errno is kept,
 *   GSL_EINVAL   bad magic number, zero or absurd dimensions, trailing data after the
 *                declared contents or after the gzip stream, corrupt gzip stream,
 *                label out of range, counts of images and labels that disagree,
 *   GSL_EOF      the file ends before its declared contents,
 *   GSL_ENOMEM   out of memory.
 * On failure *out is set to NULL and nothing is leaked. */
#ifndef GRADPROOF_IDX_H
#define GRADPROOF_IDX_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GP_IDX_IMAGES_MAGIC 0x00000803u /* unsigned byte, 3 dimensions */
#define GP_IDX_LABELS_MAGIC 0x00000801u /* unsigned byte, 1 dimension */
/* A buffer this large holds any message the I/O modules write. */
#define GP_IDX_ERRLEN 512

/* n images of rows x cols pixels; image i, row r, column c is
 * pixels[(i * rows + r) * cols + c], 0 = background, 255 = ink. */
typedef struct {
    size_t n, rows, cols;
    uint8_t *pixels; /* n * rows * cols bytes, owned */
} gp_idx_images;

/* n class labels, each 0..max_label. */
typedef struct {
    size_t n;
    uint8_t *labels; /* n bytes, owned */
} gp_idx_labels;

/* Zero-filled image and label sets, for building data in memory. NULL (GSL_EINVAL)
 * when a size is zero or n*rows*cols overflows; NULL (GSL_ENOMEM) without memory. */
gp_idx_images *gp_idx_images_alloc(size_t n, size_t rows, size_t cols);
gp_idx_labels *gp_idx_labels_alloc(size_t n);
/* Release a set; NULL does nothing. */
void gp_idx_images_free(gp_idx_images *im);
void gp_idx_labels_free(gp_idx_labels *lb);

/* The cap on the payload bytes a header may declare (n*rows*cols pixels, n labels),
 * checked before anything is read or allocated: a gzip file expands up to ~1000x, so
 * its size bounds nothing. Default GP_IDX_DEFAULT_MAX_BYTES (1 GiB); max > 0 sets a
 * new cap (process-wide), 0 only queries. Returns the cap before the call. */
#define GP_IDX_DEFAULT_MAX_BYTES ((size_t)1 << 30)
size_t gp_idx_max_bytes(size_t max);

/* Read an idx3 image file (raw or .gz). The dimensions must be non-zero, their product
 * must not overflow nor exceed gp_idx_max_bytes (GSL_EINVAL), and the file must hold
 * exactly that many pixel bytes: short files give GSL_EOF, trailing bytes GSL_EINVAL. On
 * success *out is a new set the caller frees with gp_idx_images_free. errbuf may be NULL.
 */
int gp_idx_read_images(const char *path, gp_idx_images **out, char *errbuf,
                       size_t errlen);
/* Read an idx1 label file (raw or .gz). Every label must be <= max_label (9 for MNIST),
 * else GSL_EINVAL naming the first bad index. Otherwise as gp_idx_read_images. */
int gp_idx_read_labels(const char *path, size_t max_label, gp_idx_labels **out,
                       char *errbuf, size_t errlen);

/* Copy images first .. first + m->size1 - 1 into the rows of m (one sample per row,
 * rows*cols columns), each pixel scaled to [0,1] by 1/255. GSL_EBADLEN if m->size2 is
 * not rows*cols; GSL_EINVAL if the range runs past the last image. */
int gp_idx_images_to_matrix(const gp_idx_images *im, size_t first, gsl_matrix *m);
/* Image i as a vector of rows*cols values scaled by 1/255 (the book's x). GSL_EBADLEN
 * if x->size is not rows*cols, GSL_EINVAL if i >= n. */
int gp_idx_image_to_vector(const gp_idx_images *im, size_t i, gsl_vector *x);
/* One-hot targets for labels first .. first + y->size1 - 1: row s of y is e_{label}
 * (network.py vectorized_result). GSL_EBADLEN if a label is >= y->size2; GSL_EINVAL if
 * the range runs past the last label. */
int gp_idx_labels_to_onehot(const gp_idx_labels *lb, size_t first, gsl_matrix *y);

/* A contiguous range of an image set and the matching labels: samples
 * first .. first + n - 1. A view: it borrows the sets and owns nothing. */
typedef struct {
    const gp_idx_images *images;
    const gp_idx_labels *labels;
    size_t first, n;
} gp_idx_view;

/* The MNIST data set as Nielsen's mnist_loader splits it. */
typedef struct {
    gp_idx_images *train_images; /* all training-file images (60,000), owned */
    gp_idx_labels *train_labels;
    gp_idx_images *test_images; /* the t10k images (10,000), owned */
    gp_idx_labels *test_labels;
    gp_idx_view training;   /* the first n_train - n_validation training images */
    gp_idx_view validation; /* the last n_validation training images */
    gp_idx_view test;       /* all test images */
} gp_mnist;

/* Nielsen's validation-set size. */
#define GP_MNIST_VALIDATION 10000

/* Load train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte from directory dir, each either raw or with a ".gz" suffix
 * (the raw name is preferred when both exist); this also finds Fashion-MNIST as the
 * Debian package dataset-fashion-mnist installs it. Labels must be 0..9, the image and
 * label counts of each pair must agree, both image files must have the same rows and
 * cols (GSL_EINVAL otherwise), and the training file must hold more than n_validation
 * images (GSL_EDOM otherwise: n_validation is too large for these files). On success
 * *out is new; free it with gp_mnist_free. */
int gp_mnist_load(const char *dir, size_t n_validation, gp_mnist **out, char *errbuf,
                  size_t errlen);
/* The t10k pair alone (for evaluating on the test set without the training files),
 * checked as gp_mnist_load checks it: train_images and train_labels are NULL, the test
 * view is all of it, and the training and validation views are empty (n = 0). */
int gp_mnist_load_test(const char *dir, gp_mnist **out, char *errbuf, size_t errlen);
/* Release a data set and its views; NULL does nothing. */
void gp_mnist_free(gp_mnist *m);

#ifdef __cplusplus
}
#endif
#endif
