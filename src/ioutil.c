/* src/ioutil.c: error messages, the one atomic writer, and JSON matrices for the I/O
 * modules. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "internal.h"
#include "ioutil.h"

int gpi_fail(char *errbuf, size_t errlen, int status, const char *file, int line,
             const char *fmt, ...) {
    int saved = errno;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One line: a newline inside a quoted name would break the convention. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (errbuf != NULL && errlen > 0)
        snprintf(errbuf, errlen, "%s", msg);
    /* The same path as GSL_ERROR, so a breakpoint on gsl_error sees every failure. */
    gsl_error(msg, file, line, status);
    errno = saved;
    return status;
}

/* ---- the cleanup registry: read by a signal handler, so plain pointers set and
 * cleared atomically, each naming a NUL-separated block that stays valid while set. */
#define GPI_MAX_PENDING 64
static const char *volatile pending[GPI_MAX_PENDING];

int gpi_atomic_register(const char *block) {
    for (int i = 0; i < GPI_MAX_PENDING; i++) {
        const char *expected = NULL;
        if (__atomic_compare_exchange_n(&pending[i], &expected, block, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return i;
    }
    return -1;
}

void gpi_atomic_unregister(int slot) {
    if (slot >= 0 && slot < GPI_MAX_PENDING)
        __atomic_store_n(&pending[slot], NULL, __ATOMIC_SEQ_CST);
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) && errno != ENOENT;
}

void gpi_remove_tree(const char *dir) {
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int gp_atomic_cleanup(void) {
    int n = 0;
    /* Files first, then directories (a directory block may be registered before the
     * temporary files being written inside it). */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < GPI_MAX_PENDING; i++) {
            const char *p = __atomic_load_n(&pending[i], __ATOMIC_SEQ_CST);
            for (; p != NULL && *p; p += strlen(p) + 1) /* both async-signal-safe */
                if (pass == 0 ? unlink(p) == 0 : rmdir(p) == 0)
                    n++;
        }
    return n;
}

size_t gp_atomic_pending(const char **names, size_t max) {
    size_t n = 0;
    for (int i = 0; i < GPI_MAX_PENDING; i++) {
        const char *p = __atomic_load_n(&pending[i], __ATOMIC_SEQ_CST);
        for (; p != NULL && *p; p += strlen(p) + 1, n++)
            if (names != NULL && n < max)
                names[n] = p;
    }
    return n;
}

/* ---- the writer ---- */

static void release(gp_atomic_file *f) {
    gpi_atomic_unregister(f->slot);
    f->slot = -1;
    free(f->tmppath);
    free(f->path);
    f->tmppath = f->path = NULL;
}

/* PATH.tmp.PID.N, created exclusively with mode 0644 (the umask applies, as for
 * fopen); N counts up past names that exist. Returns the descriptor or -1. */
static int create_temp(const char *path, char *tmp, size_t len) {
    static unsigned long counter;
    for (int tries = 0; tries < 100; tries++) {
        unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
        snprintf(tmp, len, "%s.tmp.%ld.%lu", path, (long)getpid(), n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* The directory holding path ("." for a bare name), malloc'ed; NULL if out of
 * memory. */
static char *dir_of(const char *path) {
    char *dir = malloc(strlen(path) + 2);
    if (dir == NULL)
        return NULL;
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return dir;
}

char *gp_atomic_target(const char *path) {
    char *p = path ? strdup(path) : NULL;
    struct stat st;
    for (int hops = 0; p && lstat(p, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
        char link[4096], *dir = dir_of(p), *next = NULL;
        ssize_t k = hops < 40 ? readlink(p, link, sizeof link - 1) : -1;
        if (hops >= 40)
            errno = ELOOP;
        if (k >= 0 && dir && (next = malloc(strlen(dir) + (size_t)k + 2))) {
            link[k] = '\0'; /* a relative link names a file beside it */
            if (link[0] == '/')
                strcpy(next, link);
            else
                sprintf(next, "%s/%s", dir, link);
        }
        free(dir);
        free(p);
        p = next;
    }
    return p;
}

/* 1 or 2 when st is this process's standard output or error (/dev/stdout, /dev/fd/2,
 * or the file, pipe or terminal it is), else 0. */
static int std_stream(const struct stat *st) {
    for (int fd = 1; fd <= 2; fd++) {
        struct stat s;
        if (fstat(fd, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino)
            return fd;
    }
    return 0;
}

/* A standard stream as output: written at commit, after what stdio holds for it, from
 * an unnamed temporary file (tmppath NULL); a rename would replace the file or link
 * it is, and the results printed on it with it. */
static int open_stream(const char *path, gp_atomic_file *f, char *errbuf, size_t errlen) {
    f->path = strdup(path);
    f->fp = f->path ? tmpfile() : NULL;
    if (f->fp != NULL)
        return GSL_SUCCESS;
    int e = f->path ? errno : ENOMEM;
    release(f);
    errno = e;
    return GPI_FAIL(errbuf, errlen, e == ENOMEM ? GSL_ENOMEM : GSL_EFAILED,
                    "%s: cannot create a temporary file: %s", path, strerror(e));
}

int gp_atomic_open(const char *path, gp_atomic_file *f, char *errbuf, size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(f, GSL_EINVAL);
    size_t len;
    int fd;
    f->fp = NULL;
    f->slot = -1;
    f->path = f->tmppath = NULL;
    if (path == NULL || *path == '\0')
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no output file name given");
    /* On a directory rename() would fail only at the end, after the work of a whole
     * run; a device or a FIFO it would replace with a regular file. */
    struct stat st;
    if (stat(path, &st) == 0 && std_stream(&st))
        return open_stream(path, f, errbuf, errlen);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s", path,
                        S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    /* Through a symbolic link: its target is replaced, the link stays. */
    if ((f->path = gp_atomic_target(path)) == NULL)
        return GPI_FAIL(errbuf, errlen, errno == ENOMEM ? GSL_ENOMEM : GSL_EFAILED,
                        "%s: %s", path, strerror(errno));
    len = strlen(f->path) + 48;
    f->tmppath = calloc(len, 1);
    if (f->tmppath == NULL) {
        release(f);
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path);
    }
    /* Same directory as the target, so rename() cannot cross file systems. */
    fd = create_temp(f->path, f->tmppath, len - 1); /* len: ".tmp.PID.N" and a NUL */
    if (fd < 0) {
        int e = errno;
        release(f);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                        "%s: cannot create temporary file: %s", path, strerror(e));
    }
    f->slot = gpi_atomic_register(f->tmppath);
    f->fp = fdopen(fd, "wb");
    if (f->fp == NULL) {
        int e = errno;
        close(fd);
        gp_atomic_abort(f);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s", path, strerror(e));
    }
    return GSL_SUCCESS;
}

void gp_atomic_abort(gp_atomic_file *f) {
    if (f == NULL)
        return;
    int saved = errno;
    if (f->fp != NULL)
        fclose(f->fp);
    f->fp = NULL;
    if (f->tmppath != NULL)
        unlink(f->tmppath);
    release(f);
    errno = saved;
}

/* stat (vfs NULL) or statvfs of path's directory, which must exist. */
static int stat_dir(const char *path, struct stat *st, struct statvfs *vfs, char *errbuf,
                    size_t errlen) {
    char *dir = path ? dir_of(path) : NULL;
    if (dir == NULL)
        return path ? GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", path)
                    : GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no output file name given");
    int rc = vfs ? statvfs(dir, vfs) : stat(dir, st), e = errno;
    free(dir);
    if (rc == 0)
        return GSL_SUCCESS;
    errno = e;
    return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: cannot read %s: %s", path,
                    vfs ? "the free space of its directory" : "its directory",
                    strerror(e));
}

/* Whether `bytes` fit on path's file system; `others` is the number of other outputs
 * whose bytes are counted with path's (0: path alone). */
static int space_fits(const char *path, size_t bytes, size_t others, char *errbuf,
                      size_t errlen) {
    struct statvfs vfs;
    int status = stat_dir(path, NULL, &vfs, errbuf, errlen);
    if (status || vfs.f_blocks == 0)
        return status;
    uintmax_t avail = vfs.f_frsize && vfs.f_bavail > UINTMAX_MAX / vfs.f_frsize
                          ? UINTMAX_MAX
                          : (uintmax_t)vfs.f_bavail * vfs.f_frsize;
    if (avail >= bytes)
        return GSL_SUCCESS;
    errno = ENOSPC;
    if (others > 0)
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED,
                        "%s: not enough space: with the %zu other output%s on its file "
                        "system the files may take %zu bytes, %ju are available",
                        path, others, others > 1 ? "s" : "", bytes, avail);
    return GPI_FAIL(
        errbuf, errlen, GSL_EFAILED,
        "%s: not enough space: the file may take %zu bytes, %ju are available", path,
        bytes, avail);
}

int gp_atomic_space(const char *path, size_t bytes, char *errbuf, size_t errlen) {
    return space_fits(path, bytes, 0, errbuf, errlen);
}

int gp_atomic_space_all(size_t n, const char *const *paths, const size_t *bytes,
                        size_t *need, size_t *failed, char *errbuf, size_t errlen) {
    GPI_NONNULL(paths, GSL_EINVAL);
    GPI_NONNULL(bytes, GSL_EINVAL);
    dev_t *dev = malloc((n ? n : 1) * sizeof *dev);
    int status = dev ? GSL_SUCCESS : GSL_ENOMEM;
    size_t i = 0;
    if (dev == NULL)
        GPI_FAIL(errbuf, errlen, status, "out of memory");
    for (struct stat st; i < n && !status; i++) {
        if (!(status = stat_dir(paths[i], &st, NULL, errbuf, errlen)))
            dev[i] = st.st_dev;
    }
    for (size_t k = 0; k < n && !status; k++) {
        size_t sum = 0, others = 0; /* saturating: a bound of SIZE_MAX stays one */
        for (size_t j = 0; j < n; j++)
            if (dev[j] == dev[k]) {
                sum = bytes[j] > SIZE_MAX - sum ? SIZE_MAX : sum + bytes[j];
                others += j != k;
            }
        if (need)
            need[k] = sum;
        i = k + 1;
        status = space_fits(paths[k], sum, others, errbuf, errlen);
    }
    if (failed)
        *failed = status && i > 0 ? i - 1 : 0;
    free(dev);
    return status;
}

/* Make a rename durable: fsync the directory holding path. Failure here loses nothing
 * already written, so it is not reported. */
static void sync_dir(const char *path) {
    char *dir = dir_of(path);
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* The temporary file's bytes onto the standard stream path is; NULL, or what failed. */
static const char *copy_to_stream(gp_atomic_file *f) {
    struct stat st;
    char buf[65536];
    size_t n;
    int fd = stat(f->path, &st) == 0 ? std_stream(&st) : 0;
    if (fd == 0)
        return errno = EBADF, "write";
    if (fflush(fd == 1 ? stdout : stderr) != 0 || fflush(f->fp) != 0 || ferror(f->fp) ||
        fseek(f->fp, 0, SEEK_SET) != 0)
        return "write";
    while ((n = fread(buf, 1, sizeof buf, f->fp)) > 0)
        for (size_t k = 0; k < n;) {
            ssize_t w = write(fd, buf + k, n - k);
            if (w < 0 && errno != EINTR)
                return "write";
            k += w > 0 ? (size_t)w : 0;
        }
    return ferror(f->fp) ? "read" : NULL;
}

int gp_atomic_commit(gp_atomic_file *f, char *errbuf, size_t errlen) {
    GPI_NONNULL(f, GSL_EINVAL);
    const char *what = NULL;
    if (f->fp == NULL || f->path == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "no open output file to commit");
    if (f->tmppath == NULL)
        what = copy_to_stream(f);
    else if (fflush(f->fp) != 0 || ferror(f->fp))
        what = "write";
    else if (fsync(fileno(f->fp)) != 0)
        what = "fsync";
    if (what == NULL) {
        int rc = fclose(f->fp);
        f->fp = NULL;
        if (rc != 0)
            what = "close";
        else if (f->tmppath != NULL && rename(f->tmppath, f->path) != 0)
            what = "rename";
    }
    if (what != NULL) {
        int e = errno;
        char *path = f->path;
        f->path = NULL; /* kept for the message */
        gp_atomic_abort(f);
        errno = e;
        int st = GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s failed: %s", path, what,
                          strerror(e));
        free(path);
        return st;
    }
    if (f->tmppath != NULL)
        sync_dir(f->path);
    release(f);
    return GSL_SUCCESS;
}

int gp_atomic_write(const char *path, const void *buf, size_t len, char *errbuf,
                    size_t errlen) {
    GPI_NONNULL(path, GSL_EINVAL);
    GPI_NONNULL(buf, GSL_EINVAL);
    gp_atomic_file f;
    int status = gp_atomic_open(path, &f, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    if (len > 0 && fwrite(buf, 1, len, f.fp) != len) {
        int e = errno;
        gp_atomic_abort(&f);
        errno = e;
        return GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: write failed: %s", path,
                        strerror(e));
    }
    return gp_atomic_commit(&f, errbuf, errlen);
}

/* ---- JSON ---- */

int gpi_json_write(const json_t *v, const char *path, char *errbuf, size_t errlen) {
    /* 17 significant digits round-trip every double exactly. */
    char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
    if (text == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory building JSON",
                        path);
    gp_atomic_file f;
    int status = gp_atomic_open(path, &f, errbuf, errlen);
    if (status == GSL_SUCCESS) {
        if (fputs(text, f.fp) == EOF || fputc('\n', f.fp) == EOF) {
            int e = errno;
            gp_atomic_abort(&f);
            errno = e;
            status = GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: write failed: %s", path,
                              strerror(e));
        } else
            status = gp_atomic_commit(&f, errbuf, errlen);
    }
    free(text);
    return status;
}

int gpi_open_input(const char *path, int *status, char *errbuf, size_t errlen) {
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    const char *why = NULL;
    *status = GSL_EFAILED;
    if (fd < 0) {
        GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: cannot open: %s", path,
                 strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = "is a directory, not a file";
    else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        why = "not a regular file or a pipe";
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        why = strerror(errno);
    if (why != NULL) {
        close(fd);
        GPI_FAIL(errbuf, errlen, GSL_EFAILED, "%s: %s", path, why);
        return -1;
    }
    *status = GSL_SUCCESS;
    return fd;
}

FILE *gpi_fopen_input(const char *path, int *status, char *errbuf, size_t errlen) {
    int fd = gpi_open_input(path, status, errbuf, errlen);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (fd >= 0 && f == NULL) {
        *status = GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: cannot open: %s", path,
                           strerror(errno));
        close(fd);
    }
    return f;
}

int gpi_json_empty(const json_error_t *je) {
    return je->position == 0 && json_error_code(je) == json_error_premature_end_of_input;
}

int gpi_json_load(const char *path, int any, json_t **out, char *errbuf, size_t errlen) {
    json_error_t je;
    int status;
    *out = NULL;
    FILE *f = gpi_fopen_input(path, &status, errbuf, errlen);
    if (f == NULL)
        return status;
    *out = json_loadf(f, JSON_REJECT_DUPLICATES | (any ? JSON_DECODE_ANY : 0), &je);
    fclose(f);
    if (*out == NULL && gpi_json_empty(&je))
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: " GPI_EMPTY, path);
    if (*out == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not JSON: %s (line %d)", path,
                        je.text, je.line);
    return GSL_SUCCESS;
}

json_t *gpi_json_matrix(const gsl_matrix *m) {
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < m->size1; i++) {
        json_t *row = json_array();
        for (size_t j = 0; row && j < m->size2; j++)
            if (json_array_append_new(row, json_real(gsl_matrix_get(m, i, j)))) {
                json_decref(row);
                row = NULL;
            }
        if (!row || json_array_append_new(rows, row)) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

/* Check the shape of every row (and every element) before allocating: a document
 * whose first row is long and the others short must not cost rows x len(row 0). */
static int json_matrix_shape(const json_t *v, const char *what, size_t *r, size_t *c,
                             char *errbuf, size_t errlen) {
    if (!json_is_array(v) || json_array_size(v) == 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                        "%s: expected a number or a non-empty list", what);
    int flat = !json_is_array(json_array_get(v, 0));
    *r = json_array_size(v);
    *c = flat ? 1 : json_array_size(json_array_get(v, 0));
    if (*c == 0)
        return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: row 0 is empty", what);
    for (size_t i = 0; i < *r; i++) {
        const json_t *row = json_array_get(v, i);
        if (flat ? !json_is_number(row)
                 : !json_is_array(row) || json_array_size(row) != *c)
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: row %zu is not %s", what, i,
                            flat ? "a number" : "a list of the same length as row 0");
        for (size_t j = 0; j < *c; j++) {
            const json_t *x = flat ? row : json_array_get(row, j);
            if (!json_is_number(x) || !isfinite(json_number_value(x)))
                return GPI_FAIL(errbuf, errlen, GSL_EINVAL,
                                "%s: element [%zu][%zu] is not a finite number", what, i,
                                j);
        }
    }
    return GSL_SUCCESS;
}

int gpi_matrix_from_json(const json_t *v, const char *what, gsl_matrix **out,
                         char *errbuf, size_t errlen) {
    size_t r = 0, c = 0;
    *out = NULL;
    if (json_is_number(v)) {
        if (!isfinite(json_number_value(v)))
            return GPI_FAIL(errbuf, errlen, GSL_EINVAL, "%s: not a finite number", what);
        *out = gsl_matrix_alloc(1, 1);
        if (*out == NULL)
            return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", what);
        gsl_matrix_set(*out, 0, 0, json_number_value(v));
        return GSL_SUCCESS;
    }
    int status = json_matrix_shape(v, what, &r, &c, errbuf, errlen);
    if (status != GSL_SUCCESS)
        return status;
    gsl_matrix *m = gsl_matrix_alloc(r, c);
    if (m == NULL)
        return GPI_FAIL(errbuf, errlen, GSL_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < r; i++) {
        const json_t *row = json_array_get(v, i);
        for (size_t j = 0; j < c; j++)
            gsl_matrix_set(
                m, i, j,
                json_number_value(json_is_array(row) ? json_array_get(row, j) : row));
    }
    *out = m;
    return GSL_SUCCESS;
}
