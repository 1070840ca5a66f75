/* src/ioutil.c: error messages and atomic file replacement for the I/O modules. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "ioutil.h"

int gpi_fail(char *errbuf, size_t errlen, int status, const char *file, int line,
             const char *fmt, ...) {
    int saved = errno;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (errbuf != NULL && errlen > 0) {
        snprintf(errbuf, errlen, "%s", msg);
    }
    /* The same path as GSL_ERROR, so a breakpoint on gsl_error sees every failure. */
    gsl_error(msg, file, line, status);
    errno = saved;
    return status;
}

int gpi_atomic_open(const char *path, gpi_atomic *a, char *errbuf, size_t errlen) {
    size_t len = strlen(path);
    int fd;
    a->fp = NULL;
    a->tmppath = malloc(len + sizeof ".tmp.XXXXXX");
    if (a->tmppath == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    memcpy(a->tmppath, path, len);
    memcpy(a->tmppath + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    /* Same directory as the target, so rename() cannot cross file systems. */
    fd = mkstemp(a->tmppath);
    if (fd < 0) {
        int e = errno;
        free(a->tmppath);
        a->tmppath = NULL;
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                        "%s: cannot create temporary file: %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600; a saved model or array is ordinary data. */
    (void)fchmod(fd, 0644);
    a->fp = fdopen(fd, "wb");
    if (a->fp == NULL) {
        int e = errno;
        close(fd);
        unlink(a->tmppath);
        free(a->tmppath);
        a->tmppath = NULL;
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s", path, strerror(e));
    }
    return GSL_SUCCESS;
}

void gpi_atomic_abort(gpi_atomic *a) {
    int saved = errno;
    if (a->fp != NULL)
        fclose(a->fp);
    a->fp = NULL;
    if (a->tmppath != NULL)
        unlink(a->tmppath);
    free(a->tmppath);
    a->tmppath = NULL;
    errno = saved;
}

int gpi_atomic_commit(gpi_atomic *a, const char *path, char *errbuf, size_t errlen) {
    const char *what = NULL;
    if (fflush(a->fp) != 0 || ferror(a->fp))
        what = "write";
    else if (fsync(fileno(a->fp)) != 0)
        what = "fsync";
    if (what == NULL) {
        int rc = fclose(a->fp);
        a->fp = NULL;
        if (rc != 0)
            what = "close";
        else if (rename(a->tmppath, path) != 0)
            what = "rename";
    }
    if (what != NULL) {
        int e = errno;
        gpi_atomic_abort(a);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s failed: %s", path, what,
                        strerror(e));
    }
    free(a->tmppath);
    a->tmppath = NULL;
    /* Make the rename itself durable; failure here loses nothing already written. */
    {
        char *dir = strdup(path);
        if (dir != NULL) {
            char *slash = strrchr(dir, '/');
            int fd;
            if (slash == NULL)
                strcpy(dir, ".");
            else if (slash == dir)
                dir[1] = '\0';
            else
                *slash = '\0';
            fd = open(dir, O_RDONLY);
            if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
            }
            free(dir);
        }
    }
    return GSL_SUCCESS;
}
