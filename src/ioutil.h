/* src/ioutil.h: helpers shared by the file-format modules (idx.c, netio.c, npy.c).
 * Not installed; the gpi_ prefix keeps them out of the exported symbol set. */
#ifndef GRADPROOF_IOUTIL_H
#define GRADPROOF_IOUTIL_H

#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define GPI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GPI_PRINTF(f, a)
#endif

/* Format a one-line message into errbuf (if errbuf is not NULL and errlen > 0), raise it
 * through gsl_error with `status`, restore errno to its value on entry, and return
 * status. Use through GPI_FAIL so that gsl_error sees the caller's file and line. */
int gpi_fail(char *errbuf, size_t errlen, int status, const char *file, int line,
             const char *fmt, ...) GPI_PRINTF(6, 7);
#define GPI_FAIL(errbuf, errlen, status, ...)                                            \
    gpi_fail(errbuf, errlen, status, __FILE__, __LINE__, __VA_ARGS__)

/* Atomic replacement of a file: write to a temporary file in the same directory, then
 * flush, fsync and rename it over the target. */
typedef struct {
    FILE *fp;      /* write here */
    char *tmppath; /* the temporary file's name (owned) */
} gpi_atomic;

/* Create the temporary file next to `path`. On failure returns GSL_EFAILED (errno
 * kept) with a message in errbuf and leaves nothing behind. */
int gpi_atomic_open(const char *path, gpi_atomic *a, char *errbuf, size_t errlen);
/* Flush, fsync, close and rename onto `path`. On any failure the temporary file is
 * removed and GSL_EFAILED is returned. Either way `a` is released. */
int gpi_atomic_commit(gpi_atomic *a, const char *path, char *errbuf, size_t errlen);
/* Close and remove the temporary file (after a write error). Safe to call twice. */
void gpi_atomic_abort(gpi_atomic *a);

#endif
