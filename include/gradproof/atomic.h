/* gradproof/atomic.h: the one writer of every output file (networks, .npy arrays,
 * dumps, records, reports, metrics, plots).
 *
 * A file is written under a temporary name in the target's directory
 * (PATH.tmp.PID.N), then flushed, fsynced, closed and renamed over PATH, and the
 * directory is fsynced: a reader sees the old file or the whole new one, never a part.
 * A symbolic link is written through: its target is replaced and the link stays.
 * A path that is this process's standard output or error (/dev/stdout, /dev/fd/2, or the
 * file, pipe or terminal it is) is not renamed over, which would replace the file the
 * results are printed to: the output goes to an unnamed temporary file (tmppath NULL)
 * and, at commit, to that descriptor, after fflush of stdout or stderr.
 * Every output has mode 0644 as filtered by the process umask (the temporary file is
 * created with that mode, as fopen would create it with 0666).
 *
 * Errors: a GSL status and, when errbuf is not NULL, a one-line message naming PATH
 * (at most errlen bytes, NUL-terminated, no trailing newline), the convention of every
 * gradproof module:
 *   GSL_EFAILED  create, write, fsync, close or rename failed (errno kept),
 *   GSL_ENOMEM   out of memory.
 * On failure the temporary file is removed and PATH is untouched. */
#ifndef GRADPROOF_ATOMIC_H
#define GRADPROOF_ATOMIC_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An output file being written. Fields are read-only for the caller; write to fp. */
typedef struct {
    FILE *fp;      /* write here */
    char *path;    /* the target (owned copy) */
    char *tmppath; /* the temporary file (owned) */
    int slot;      /* its entry in the cleanup registry, or -1 */
} gp_atomic_file;

/* The file a write to path replaces: path with the symbolic links of its last name
 * followed (a link to a missing file gives the name it points to), malloc'ed; NULL
 * when out of memory or after 40 links (errno ELOOP). */
char *gp_atomic_target(const char *path);

/* Create the temporary file next to path (mode 0644 & ~umask) and register it for
 * gp_atomic_cleanup (a standard stream: see above). GSL_EFAILED at once when path is a
 * directory or another file that is not a regular file nor a standard stream (a
 * device, a FIFO: the rename would replace it), or its
 * directory is missing or not writable (the temporary file cannot be created there).
 * On failure nothing is left behind and f->fp is NULL. */
int gp_atomic_open(const char *path, gp_atomic_file *f, char *errbuf, size_t errlen);
/* Flush, fsync, close and rename onto the target. Either way f is released. */
int gp_atomic_commit(gp_atomic_file *f, char *errbuf, size_t errlen);
/* Close and remove the temporary file. Safe on a released f, twice and on NULL. */
void gp_atomic_abort(gp_atomic_file *f);

/* Whether a file of up to `bytes` fits on the file system of path's directory:
 * statvfs's space available to unprivileged processes (f_bavail x f_frsize) against
 * bytes, for checking before hours of work that its output can be written (the old
 * file, if any, stays until the rename, so the new one needs all of it).
 * GSL_EFAILED with errno ENOSPC and "PATH: not enough space: ..." when it does not
 * fit; GSL_EFAILED if statvfs fails (errno kept). A file system that reports no size
 * (f_blocks 0: /proc, some FUSE mounts) passes. */
int gp_atomic_space(const char *path, size_t bytes, char *errbuf, size_t errlen);
/* gp_atomic_space for n outputs written by one run, which need room together where
 * they share a file system: output i's directory is stat'ed, and the bytes of every
 * output on the same file system (st_dev, i's own included) are summed (saturating at
 * SIZE_MAX) into need[i] (need may be NULL) and compared with that file system's
 * available space; the message of a sum of several names how many other outputs count
 * with it. On failure *failed (may be NULL) is the output named in errbuf; GSL_EFAILED
 * also when a directory cannot be stat'ed (errno kept), GSL_ENOMEM. */
int gp_atomic_space_all(size_t n, const char *const *paths, const size_t *bytes,
                        size_t *need, size_t *failed, char *errbuf, size_t errlen);

/* Write len bytes of buf to path atomically (open, fwrite, commit). */
int gp_atomic_write(const char *path, const void *buf, size_t len, char *errbuf,
                    size_t errlen);

/* Remove every temporary file currently open by gp_atomic_open in this process (and
 * temporary dump directories being built; see dump.h). Async-signal-safe (only
 * unlink/rmdir on names registered before the signal): call it from a SIGINT/SIGTERM
 * handler, then re-raise the signal. Returns the number of names removed. */
int gp_atomic_cleanup(void);

/* The temporary file names currently registered (for a caller that prefers to do its
 * own cleanup), up to max of them into names; returns how many exist. Borrowed: valid
 * until the file is committed or aborted. Not async-signal-safe. */
size_t gp_atomic_pending(const char **names, size_t max);

#ifdef __cplusplus
}
#endif
#endif
