/* gradproof/npy.h: NumPy .npy files, for exchanging arrays with NumPy-based reference
 * code (weights, gradients, cost values).
 *
 * Reading accepts format versions 1.0, 2.0 and 3.0; dtypes '<f8', '<f4' and '|u1'
 * (bytes are converted to doubles 0..255, or to x / 255 with GP_NPY_U8_UNIT); 0-, 1- and
 * 2-dimensional shapes with no zero dimension. Shapes map to GSL as
 *   ()      -> 1 x 1 matrix,
 *   (n,)    -> n x 1 matrix (a column, like network2.py's biases),
 *   (r, c)  -> r x c matrix.
 * fortran_order True is accepted: the data is then column-major and is transposed while
 * reading, so element (i, j) of the matrix is always a[i, j] of the NumPy array.
 * Writing always produces version 1.0, '<f8', C order.
 *
 * Memory: a regular file's data length is checked against its size before the matrix is
 * allocated; from a pipe (no size), the data is collected as it arrives (at most twice
 * the decoded size received) and the matrix allocated only once it is complete, so a
 * header's shape alone never causes an allocation.
 *
 * Errors: a GSL status and, when errbuf is not NULL, a one-line message naming the file
 * and the problem (at most errlen bytes, NUL-terminated, no trailing newline):
 *   GSL_EFAILED  I/O error (open, read, write, fsync, rename); errno kept,
 *   GSL_EINVAL   not an .npy file (magic), unsupported version, malformed header,
 *                unsupported or big-endian dtype, unsupported shape, trailing data,
 *                NaN or infinity when GP_NPY_FINITE is given, wrong shape for
 *                gp_npy_read_vector / gp_npy_read_scalar,
 *   GSL_EOF      the file ends before the header or the data it declares,
 *   GSL_ENOMEM   out of memory.
 * On failure *out is NULL and nothing is leaked; writes go through the
 * one atomic writer (gradproof/atomic.h) and never leave a partial file. */
#ifndef GRADPROOF_NPY_H
#define GRADPROOF_NPY_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flag for the readers: reject arrays containing NaN or +-infinity (GSL_EINVAL,
 * naming the first such element). Without it they are read as they are. */
#define GP_NPY_FINITE 1u
/* Flag for the readers: a '|u1' (uint8) array holds pixel intensities and is read as
 * x / 255 in [0, 1], exactly as gp_idx_images_to_matrix scales IDX images. Without it
 * bytes are read as 0..255. gradproof's one rule for inputs: samples given as uint8
 * (oracle --x, --idx-images) are scaled by 1/255; targets (--y) never are. */
#define GP_NPY_U8_UNIT 2u

/* Read an array as a new matrix (shape mapping above); the caller frees *out with
 * gsl_matrix_free. ndim, if not NULL, receives the array's number of dimensions
 * (0, 1 or 2). */
int gp_npy_read(const char *path, unsigned flags, gsl_matrix **out, size_t *ndim,
                char *errbuf, size_t errlen);
/* Read a vector: shape (n,), (n, 1), (1, n) or () (n = 1). Else GSL_EINVAL. The
 * caller frees *out with gsl_vector_free. */
int gp_npy_read_vector(const char *path, unsigned flags, gsl_vector **out, char *errbuf,
                       size_t errlen);
/* Read a scalar: any array of exactly one element, e.g. shape () as np.save(f, 0.5)
 * writes it. Else GSL_EINVAL. */
int gp_npy_read_scalar(const char *path, unsigned flags, double *result, char *errbuf,
                       size_t errlen);

/* Write m as a '<f8' array of shape (size1, size2), atomically (temporary file in the
 * same directory, fsync, rename; removed on failure). NaN and infinities are written
 * as they are. */
int gp_npy_write_matrix(const char *path, const gsl_matrix *m, char *errbuf,
                        size_t errlen);
/* Write v as a '<f8' array of shape (size,), atomically. */
int gp_npy_write_vector(const char *path, const gsl_vector *v, char *errbuf,
                        size_t errlen);
/* Write x as a '<f8' array of shape (), atomically. */
int gp_npy_write_scalar(const char *path, double x, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
